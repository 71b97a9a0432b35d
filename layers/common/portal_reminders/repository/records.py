"""pynamodb models of the table's records. Table name and region are bound at run time by
`bind_records` (never at import), so tests and the local runner can point them anywhere."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

# What each index copies of a record is what the code reading it needs (docs/aws-readiness.md, "Cost"):
# every write that changes a copied attribute writes the index again, so an index that copies ALL of an
# item is written on every claim, mark and record of every reminder. Where the copy would not carry what
# the reader needs, the reader gets the record itself (a consistent BatchGetItem) instead.
#
# The account index lists an account's items and audit events and a firm's templates: its readers get
# the records themselves by key, so it copies keys only (an item's entry changes only when its status does).
ACCOUNT_INDEX = "account-index"
TASK_INDEX = "task-index"
# What the portal task list shows (SPEC §5: item_id, kind, title, last_emailed_at; R19: due_date); the
# entry moves when the item is emailed, and is rewritten when its due date changes.
TASK_INDEX_PROJECTION = ["item_id", "kind", "title", "last_emailed_at", "due_date"]
DUE_INDEX = "due-index"
# The firm's worklist (SPEC R19): what GET /action-items shows of each item, none of which a reminder changes.
WORKLIST_INDEX = "worklist-index"
# Its escalated items only (sparse: escalated_pk is set when the firm was told), keyed as in the worklist.
ESCALATED_INDEX = "escalated-index"
WORKLIST_INDEX_PROJECTION = ["item_id", "account_id", "kind", "title", "due_date", "escalated_at"]
APPROVAL_INDEX = "approval-index"
APPROVAL_INDEX_PROJECTION = ["item_id", "account_id"]
PENDING_INDEX = "pending-index"
# What rescheduling reads to find the items whose stored sending window is stale (SPEC R16).
PENDING_INDEX_PROJECTION = ["item_id", "account_id", "send_window"]
# What the scan needs to claim and enqueue a due item without reading the item itself.
DUE_INDEX_PROJECTION = [
    "firm_id",
    "item_id",
    "account_id",
    "notified",
    "reminders_sent",
    "claim_number",
    "claim_attempts",
    "give_up_by",
]


class _Record(Model):
    class Meta:
        table_name = "unbound"
        region: str | None = None

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class FirmRecord(_Record):
    firm_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    reply_to = UnicodeAttribute(null=True)
    portal_url = UnicodeAttribute(null=True)
    time_zone = UnicodeAttribute(null=True)  # absent: UTC
    sending_hours = JSONAttribute(null=True)  # {"days": [...], "start": "HH:MM", "end": "HH:MM"}; absent: any time
    reminders_paused_until = UnicodeAttribute(null=True)  # YYYY-MM-DD (SPEC R20); absent: not paused
    reminder_digest = BooleanAttribute(null=True)  # absent: on (SPEC R20)
    escalation_email = UnicodeAttribute(null=True)  # absent: escalations go to reply_to (SPEC R19)
    branding = JSONAttribute(null=True)  # {"logo_url", "accent_color", "signature"}; absent: none
    # {"domain", "status", "dkim_tokens", "dkim_zone", "checked_at"}; absent: the stack's sender
    sending_domain = JSONAttribute(null=True)
    version = NumberAttribute(null=True)  # absent on records written before it: 0
    # which of the firm's own wordings exist ("kind#stage#language"); absent: none
    wordings = UnicodeSetAttribute(null=True)


class WordingRecord(_Record):
    """The firm's own subject and body for one kind, stage and language (SPEC R21), in the firm's
    partition (pk FIRM#<firm>, sk WORDING#<kind>#<stage>#<language>): at most 5,000 characters of
    body and 200 of subject, so at most ~21 KB in UTF-8, well under DynamoDB's 400 KB item size.
    A deleted one is overwritten without its words (`deleted_at`): the api writes the firm's
    records with PutItem only (template.yaml), and a tombstone reads as nothing."""

    firm_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    stage = UnicodeAttribute()
    language = UnicodeAttribute()
    subject = UnicodeAttribute(null=True)  # absent: deleted
    body = UnicodeAttribute(null=True)
    updated_at = UTCDateTimeAttribute()
    updated_by = UnicodeAttribute()
    deleted_at = UTCDateTimeAttribute(null=True)


class DomainClaimRecord(_Record):
    """Which firm holds a sending domain (pk DOMAIN#<domain>): written in the same transaction as
    the firm's record, so that no two firms ever hold one domain. A released claim stays, without
    a firm, and remembers whether the mail service may still hold an identity for the domain."""

    firm_id = UnicodeAttribute(null=True)  # absent: released
    at = UTCDateTimeAttribute()
    identity = BooleanAttribute(default=False)


class ContactMap(MapAttribute[str, Any]):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    email = UnicodeAttribute()
    notify = BooleanAttribute()
    # {reason, at, key, lifted_at}: a bounce or complaint suppressed the address (SPEC R15)
    suppression = JSONAttribute(null=True)
    first_name = UnicodeAttribute(null=True)  # absent: the first word of name


class AccountRecord(_Record):
    firm_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    name = UnicodeAttribute()
    language = UnicodeAttribute()
    contacts = ListAttribute(of=ContactMap, default=list)
    created_at = UTCDateTimeAttribute()
    deliveries = JSONAttribute(null=True)
    done_keys: ListAttribute[str] = ListAttribute(null=True)
    version = NumberAttribute(default=0)
    time_zone = UnicodeAttribute(null=True)  # absent: the firm's
    reminders_paused_until = UnicodeAttribute(null=True)  # YYYY-MM-DD (SPEC R20); absent: not paused


class InvoiceMap(MapAttribute[str, Any]):
    amount = UnicodeAttribute()  # decimal strings: money never goes through float
    currency = UnicodeAttribute()
    due_date = UnicodeAttribute()
    amount_paid = UnicodeAttribute()


class ItemAccountIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = ACCOUNT_INDEX
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TaskIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = TASK_INDEX
        projection = IncludeProjection(TASK_INDEX_PROJECTION)

    task_pk = UnicodeAttribute(hash_key=True)
    task_sk = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = DUE_INDEX
        projection = IncludeProjection(DUE_INDEX_PROJECTION)

    due_shard = UnicodeAttribute(hash_key=True)
    next_reminder_at = NumberAttribute(range_key=True)


class ApprovalIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = APPROVAL_INDEX
        projection = IncludeProjection(APPROVAL_INDEX_PROJECTION)

    approval_pk = UnicodeAttribute(hash_key=True)
    approval_sk = UnicodeAttribute(range_key=True)


class PendingIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = PENDING_INDEX
        projection = IncludeProjection(PENDING_INDEX_PROJECTION)

    pending_pk = UnicodeAttribute(hash_key=True)
    pending_sk = UnicodeAttribute(range_key=True)


class WorklistIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = WORKLIST_INDEX
        projection = IncludeProjection(WORKLIST_INDEX_PROJECTION)

    work_pk = UnicodeAttribute(hash_key=True)
    work_sk = UnicodeAttribute(range_key=True)


class EscalatedIndex(GlobalSecondaryIndex["ItemRecord"]):
    class Meta:
        index_name = ESCALATED_INDEX
        projection = IncludeProjection(WORKLIST_INDEX_PROJECTION)

    escalated_pk = UnicodeAttribute(hash_key=True)
    work_sk = UnicodeAttribute(range_key=True)


class ItemRecord(_Record):
    firm_id = UnicodeAttribute()
    item_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    title = UnicodeAttribute()
    message = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    sent_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    reminders_enabled = BooleanAttribute()
    days_between = NumberAttribute()
    max_reminders = NumberAttribute()
    # the rest of the reminder settings (SPEC R19): {"schedule", "steps", "escalate_after_days"};
    # absent: the interval schedule, as items written before had
    reminder_schedule = JSONAttribute(null=True)
    # a due-date schedule's steps sent or skipped: {"<days>": "sent" | "skipped"}
    step_marks = JSONAttribute(null=True)
    notified = BooleanAttribute(default=False)
    reminders_sent = NumberAttribute(default=0)
    # automatic reminders skipped because nobody could get them, and the latest such turn (SPEC R20)
    reminders_skipped = NumberAttribute(null=True)
    skipped_at = UTCDateTimeAttribute(null=True)
    manual_reminders_sent = NumberAttribute(default=0)
    last_manual_resend_at = UTCDateTimeAttribute(null=True)
    last_emailed_at = UTCDateTimeAttribute(null=True)
    completed_at = UTCDateTimeAttribute(null=True)
    completed_via = UnicodeAttribute(null=True)
    cancelled_at = UTCDateTimeAttribute(null=True)
    invoice = InvoiceMap(null=True)
    claim_number = NumberAttribute(null=True)
    claim_until = NumberAttribute(null=True)
    claim_attempts = NumberAttribute(null=True)
    # a claimed round the mail service refused: when the scan gives it up if no worker did
    give_up_by = NumberAttribute(null=True)
    failed_number = NumberAttribute(null=True)
    deliveries = JSONAttribute(null=True)
    done_keys: ListAttribute[str] = ListAttribute(null=True)
    template_id = UnicodeAttribute(null=True)
    origin = JSONAttribute(null=True)
    version = NumberAttribute(default=0)
    # the client's time the item last saw: {"zone"} and, with sending hours, {"days", "start", "end"},
    # and with a pause {"paused_until"} (absent: UTC at any time, not paused)
    send_window = JSONAttribute(null=True)
    not_before = NumberAttribute(null=True)  # epoch seconds
    # YYYY-MM-DD, the client's calendar day (SPEC R19); invoices also keep it in invoice.due_date
    due_date = UnicodeAttribute(null=True)
    # SPEC R19: when the last automatic reminder went (absent on items written before: the last email),
    # and when the firm was told the client had not acted since
    last_reminder_at = UTCDateTimeAttribute(null=True)
    escalated_at = UTCDateTimeAttribute(null=True)
    # index keys, derived from the fields above on every write (absent = not in the sparse index)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    task_pk = UnicodeAttribute(null=True)
    task_sk = UnicodeAttribute(null=True)
    due_shard = UnicodeAttribute(null=True)
    next_reminder_at = NumberAttribute(null=True)
    approval_pk = UnicodeAttribute(null=True)
    approval_sk = UnicodeAttribute(null=True)
    pending_pk = UnicodeAttribute(null=True)
    pending_sk = UnicodeAttribute(null=True)
    # absent on items not written since the worklist came: such an item joins it on its next write
    work_pk = UnicodeAttribute(null=True)
    work_sk = UnicodeAttribute(null=True)
    escalated_pk = UnicodeAttribute(null=True)

    account_index = ItemAccountIndex()
    task_index = TaskIndex()
    due_index = DueIndex()
    approval_index = ApprovalIndex()
    pending_index = PendingIndex()
    worklist_index = WorklistIndex()
    escalated_index = EscalatedIndex()


class AuditAccountIndex(GlobalSecondaryIndex["AuditRecord"]):
    class Meta:
        index_name = ACCOUNT_INDEX
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class AuditRecord(_Record):
    event_id = UnicodeAttribute()
    firm_id = UnicodeAttribute()
    item_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    type = UnicodeAttribute()
    at = UTCDateTimeAttribute()
    actor = UnicodeAttribute()
    recipients: ListAttribute[str] = ListAttribute(default=list)
    details = JSONAttribute(default=dict)
    sequence = NumberAttribute(default=0)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()

    account_index = AuditAccountIndex()


class TemplateAccountIndex(GlobalSecondaryIndex["TemplateRecord"]):
    class Meta:
        index_name = ACCOUNT_INDEX
        projection = KeysOnlyProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class TemplateRecord(_Record):
    firm_id = UnicodeAttribute()
    template_id = UnicodeAttribute()
    kind = UnicodeAttribute()
    name = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    body = UnicodeAttribute(null=True)
    invoice = JSONAttribute(null=True)
    reminders = JSONAttribute(default=dict)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    version = NumberAttribute(default=0)
    # invoice templates also keep it in invoice.due_in_days, where templates written before had it
    due_in_days = NumberAttribute(null=True)
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()

    account_index = TemplateAccountIndex()


class PipelineRecord(_Record):
    firm_id = UnicodeAttribute()
    pipeline_id = UnicodeAttribute()
    name = UnicodeAttribute()
    stages = JSONAttribute()
    created_at = UTCDateTimeAttribute()


class JobRecord(_Record):
    firm_id = UnicodeAttribute()
    job_id = UnicodeAttribute()
    pipeline_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    stage_id = UnicodeAttribute()
    # the job's latest entry into a stage: a new one is what the publisher announces (JobEnteredStage)
    entry_id = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    entered_at = UTCDateTimeAttribute()
    archived_at = UTCDateTimeAttribute(null=True)
    item_ids: ListAttribute[str] = ListAttribute(null=True)
    version = NumberAttribute(default=0)


class SendTimelineRecord(_Record):
    """The account-wide send timeline (pacing.py): when the next send slot is free (epoch seconds)."""

    next_free = NumberAttribute(null=True)


class ScanStateRecord(_Record):
    """The scan's lock (one scan at a time), where the next scan starts among the shards, and the
    claims of the batch it is queueing (re-queued by the next scan if this one dies mid-way)."""

    owner = UnicodeAttribute(null=True)
    lease_until = NumberAttribute(null=True)
    cursor = NumberAttribute(null=True)
    in_flight = JSONAttribute(null=True)


class DailyEmailsRecord(_Record):
    """A firm's emails of one UTC day (sk: the date), expiring two days later."""

    emails = NumberAttribute(default=0)
    expiration = NumberAttribute(null=True)


RECORDS: tuple[type[_Record], ...] = (
    FirmRecord,
    DomainClaimRecord,
    AccountRecord,
    ItemRecord,
    AuditRecord,
    TemplateRecord,
    PipelineRecord,
    JobRecord,
    SendTimelineRecord,
    ScanStateRecord,
    DailyEmailsRecord,
)


def bind_records(table_name: str, region: str) -> None:
    """Point every record class at the table. Drops cached connections so a rebind takes effect."""
    _Record.Meta.table_name = table_name
    _Record.Meta.region = region
    records: tuple[type[Model], ...] = (_Record, *RECORDS)
    for record in records:
        record._connection = None
