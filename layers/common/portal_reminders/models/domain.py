"""The product's nouns. Frozen dataclasses: every change is a new value made by a pure function."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import Any

from portal_reminders.models.values import dataclass


class Kind(StrEnum):
    ORGANIZER = "organizer"
    PROPOSAL = "proposal"
    INVOICE = "invoice"
    CHAT = "chat"
    SIGNATURE = "signature"
    APPROVAL = "approval"


class Status(StrEnum):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Language(StrEnum):
    """The language of the account's emails, a BCP 47 tag: en, pt-PT, pt-BR or es."""

    EN = "en"
    PT_PT = "pt-PT"  # European Portuguese
    PT_BR = "pt-BR"  # Brazilian Portuguese
    ES = "es"  # Spanish, neutral and formal (usted)

    @classmethod
    def _missing_(cls, value: object) -> Language | None:
        # "pt" was the only Portuguese before there were two: requests may still send it, and
        # records written then still hold it; it always meant European Portuguese.
        return cls.PT_PT if value == LEGACY_PORTUGUESE else None


LEGACY_PORTUGUESE = "pt"


class AuditType(StrEnum):
    ITEM_SENT = "item_sent"
    REMINDER_SENT = "reminder_sent"
    # an automatic reminder's turn came and it would have reached nobody: not counted (SPEC R20)
    REMINDER_SKIPPED = "reminder_skipped"
    SETTINGS_CHANGED = "settings_changed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    PAYMENT_RECORDED = "payment_recorded"
    APPROVAL_REQUESTED = "approval_requested"
    EMAIL_FAILED = "email_failed"
    # a contact suppressed after a permanent bounce or a complaint (SPEC R15), on the item the mail was about
    EMAIL_BOUNCED = "email_bounced"
    EMAIL_COMPLAINED = "email_complained"
    # the firm was told the client has not acted after the last automatic reminder (SPEC R19)
    ESCALATED = "escalated"


SYSTEM_ACTOR = "system"
# Contacts live inside the account record (DynamoDB items stop at 400 KB), and nobody needs more.
MAX_CONTACTS = 50


class Schedule(StrEnum):
    """How automatic reminders are timed: every `days_between` days after the latest
    email, or one per step relative to the item's due date."""

    INTERVAL = "interval"
    DUE_DATE = "due_date"


class Tone(StrEnum):
    """How an automatic reminder speaks: friendly, direct about the date, a last notice."""

    GENTLE = "gentle"
    FIRM = "firm"
    FINAL = "final"


class StepStatus(StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    SKIPPED = "skipped"


# A due-date schedule's limits (SPEC R19): how many steps, and how far from the due date.
MAX_STEPS = 10
MIN_STEP_DAYS = -90
MAX_STEP_DAYS = 365


@dataclass(frozen=True, slots=True)
class Step:
    """One automatic reminder of a due-date schedule: `days` after the due date (negative: before),
    at 09:00 on the client's wall clock; `tone` when the firm named one (else the default rule)."""

    days: int
    tone: Tone | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"days": self.days, "tone": None if self.tone is None else self.tone.value}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Step:
        tone = raw.get("tone")
        return cls(days=int(raw["days"]), tone=None if tone is None else Tone(tone))


@dataclass(frozen=True, slots=True)
class ReminderSettings:
    """An item's automatic reminder settings (SPEC R2, R19). Under a due-date schedule
    `max_reminders` is the number of steps (it reads as that, and is kept so); `steps` stay stored
    while the interval schedule is in force, so that switching back finds them again."""

    enabled: bool = False
    days_between: int = 3
    max_reminders: int = 1
    schedule: Schedule = Schedule.INTERVAL
    steps: tuple[Step, ...] = ()
    escalate_after_days: int | None = None

    def __post_init__(self) -> None:
        if self.by_due_date and self.steps:
            object.__setattr__(self, "max_reminders", len(self.steps))

    @property
    def by_due_date(self) -> bool:
        return self.schedule is Schedule.DUE_DATE

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, every field: the one codec of the settings (audit, records, API, layers)."""
        return {
            "enabled": self.enabled,
            "days_between": self.days_between,
            "max_reminders": self.max_reminders,
            "schedule": self.schedule.value,
            "steps": [step.as_dict() for step in self.steps],
            "escalate_after_days": self.escalate_after_days,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ReminderSettings:
        """The settings a (possibly partial) mapping names; the defaults for the others."""
        fields: dict[str, Any] = {name: raw[name] for name in _SCALAR_SETTINGS if raw.get(name) is not None}
        if raw.get("schedule") is not None:
            fields["schedule"] = Schedule(raw["schedule"])
        if raw.get("steps") is not None:
            fields["steps"] = tuple(s if isinstance(s, Step) else Step.from_dict(s) for s in raw["steps"])
        return cls(**fields)


_SCALAR_SETTINGS = ("enabled", "days_between", "max_reminders", "escalate_after_days")


@dataclass(frozen=True, slots=True)
class Claim:
    """A lease on one reminder: the scan owns reminder `number` until `until`."""

    number: int
    until: datetime
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class ReminderPlan:
    """What an automatic reminder round carries out, chosen when the round begins and kept through
    its retries, so every contact gets the same reminder: the step of a due-date schedule (its
    `days`; None under the interval schedule), and the tone it speaks in."""

    step: int | None = None
    tone: Tone = Tone.GENTLE
    # the round tells the firm instead of reminding the client (SPEC R19 escalation)
    escalation: bool = False


@dataclass(frozen=True, slots=True)
class DigestMember:
    """One item of a digest: its automatic reminder `number`, and the step and words it carries out."""

    number: int
    plan: ReminderPlan


@dataclass(frozen=True, slots=True)
class Delivery:
    """One email round (notification, reminder, approval request) in progress.

    `until` is a short lease (`owner` holds it) so two workers never email the round at once. Each
    address is marked `sending` durably *before* its mail service call; a worker that dies before
    recording the answer leaves the mark, and the next worker, unable to know whether that mail went
    out, counts the address `unconfirmed` and never emails it again for this round. `started_at` is
    the round's first try: the retry horizon (SPEC R14) counts from it, and `give_up_by` is set once
    the mail service has refused the round (the scan gives it up then if no worker did).
    """

    until: datetime
    started_at: datetime
    owner: str = ""
    delivered: Mapping[str, str] = field(default_factory=dict)  # address -> the mail service's message id
    rejected: Mapping[str, str] = field(default_factory=dict)  # address -> why it was refused for good
    unconfirmed: frozenset[str] = frozenset()
    sending: str | None = None
    refusals: int = 0  # times the mail service refused the round (throttled, quota, paused)
    give_up_by: datetime | None = None
    # notify contacts the round did not email because they are suppressed: address -> why (SPEC R15)
    suppressed: Mapping[str, str] = field(default_factory=dict)
    counted: int = 0  # emails counted against the firm's daily cap for this round
    plan: ReminderPlan | None = None  # an automatic reminder's step and words, once it began
    # a digest (SPEC R20, an account's round): the items it lists, each with its reminder's number
    # and plan, fixed when it begins so that a retry lists (and records) the same
    members: Mapping[str, DigestMember] = field(default_factory=dict)

    @property
    def paid_for(self) -> int:
        """Emails counted against the daily cap that this round has not sent yet."""
        return max(0, self.counted - len(self.done_with))

    @property
    def done_with(self) -> frozenset[str]:
        """Addresses this round never emails (again): delivered, refused for good, or unconfirmed."""
        marked = {self.sending} if self.sending else set()
        return frozenset(self.delivered) | frozenset(self.rejected) | self.unconfirmed | marked


class Weekday(StrEnum):
    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"

    @property
    def number(self) -> int:
        """As `date.weekday()` counts: Monday is 0."""
        return _WEEKDAYS.index(self)


_WEEKDAYS = tuple(Weekday)
DEFAULT_TIME_ZONE = "UTC"


@dataclass(frozen=True, slots=True)
class SendingHours:
    """When automatic reminders may go out (SPEC R16), on the client's wall clock: on `days`,
    from `start` (included) to `end` (excluded), with start before end."""

    days: frozenset[Weekday]
    start: time
    end: time

    @property
    def ordered_days(self) -> list[Weekday]:
        return sorted(self.days, key=lambda day: day.number)


@dataclass(frozen=True, slots=True)
class SendingWindow:
    """Sending hours in a time zone (an IANA name): what the policy's `next_allowed` takes."""

    zone: str
    hours: SendingHours


@dataclass(frozen=True, slots=True)
class Branding:
    """How the firm's emails look (SPEC R21): its logo in the HTML header, its accent colour on the
    button and the header rule, and its signature after the sign-off. All optional."""

    logo_url: str | None = None  # https only
    accent_color: str | None = None  # "#RRGGBB"
    signature: str | None = None  # plain text, never HTML

    @property
    def empty(self) -> bool:
        return self.logo_url is None and self.accent_color is None and self.signature is None


class DomainStatus(StrEnum):
    """Where the mail service is with a firm's sending domain (SES's DKIM verification)."""

    PENDING = "pending"  # the DKIM records are not seen in the domain's DNS yet
    VERIFIED = "verified"  # SES lets the firm's mail go from the domain
    TEMPORARY_FAILURE = "temporary_failure"  # SES cannot tell now (a DNS problem); it keeps trying
    FAILED = "failed"  # SES gave up (records not found within 72 hours, or the identity is gone)


# The address a firm's mail goes from once its domain is verified: reminders@<domain>.
SENDING_LOCAL_PART = "reminders"
# Where Easy DKIM's CNAME records point (SES names it in SigningHostedZone; this is its usual value).
DEFAULT_DKIM_ZONE = "dkim.amazonses.com"


@dataclass(frozen=True, slots=True)
class SendingDomain:
    """The firm's own domain its mail goes from once the mail service has verified it (SPEC R21).
    `dkim_tokens` make the CNAME records the firm publishes; `checked_at` is when the mail service
    was last asked about it (GET refreshes a stale status); `dkim_zone` is where they point."""

    domain: str
    status: DomainStatus = DomainStatus.PENDING
    dkim_tokens: tuple[str, ...] = ()
    dkim_zone: str = DEFAULT_DKIM_ZONE
    checked_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.status is DomainStatus.VERIFIED

    @property
    def sender_address(self) -> str:
        return f"{SENDING_LOCAL_PART}@{self.domain}"


@dataclass(frozen=True, slots=True)
class DomainClaim:
    """Who holds a sending domain: a firm, or nobody since `at` (released). `identity`: the mail
    service may hold an identity for the domain that this product created (and must delete before
    another firm's claim may start its own verification)."""

    domain: str
    firm_id: str | None
    at: datetime
    identity: bool = False


@dataclass(frozen=True, slots=True)
class ClientTime:
    """The client's clock as a writer that read the firm and the account saw it: the time zone
    (the account's, else the firm's) and the sending window in it (None: any time)."""

    zone: str = DEFAULT_TIME_ZONE
    window: SendingWindow | None = None
    # automatic reminders wait until this day starts in `zone` (SPEC R20): the later of the
    # account's and the firm's pause; None: not paused
    paused_until: date | None = None


@dataclass(frozen=True, slots=True)
class Firm:
    id: str
    name: str | None = None
    reply_to: str | None = None
    portal_url: str | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    sending_hours: SendingHours | None = None  # None: any time
    # every account's automatic reminders wait until this day starts in the client's zone (SPEC R20)
    reminders_paused_until: date | None = None
    # automatic reminders of one account due on one client day go as one email (SPEC R20)
    reminder_digest: bool = True
    # where an escalation goes (SPEC R19); None: reply_to, and without either no email
    escalation_email: str | None = None
    branding: Branding = Branding()
    # set by PUT /firm/sending-domain only (PUT /firm keeps it); the send path reads it from here
    sending_domain: SendingDomain | None = None
    version: int = 0
    # which of the firm's own wordings exist (WordingKey.marker), kept by PUT and DELETE
    # /email-templates only: the send path reads only the wordings an email may use (SPEC R21)
    wordings: frozenset[str] = frozenset()


class EmailStage(StrEnum):
    """Which email a firm's own wording replaces: the notification, a reminder (an
    automatic one or a manual resend), the final automatic reminder, or the escalation to the firm."""

    NOTIFICATION = "notification"
    REMINDER = "reminder"
    FINAL = "final"
    ESCALATION = "escalation"


# What the firm's own wording may name (SPEC R21): `{{client_name}}` and the rest, nothing else.
WORDING_PLACEHOLDERS = (
    "client_name",
    "contact_first_name",
    "firm_name",
    "item_title",
    "due_date",
    "amount",
    "balance_due",
    "days_overdue",
    "days_until_due",
    "reminder_number",
    "first_sent_on",
    "portal_link",
)
WORDING_SUBJECT_MAX = 200
WORDING_BODY_MAX = 5000


@dataclass(frozen=True, slots=True)
class WordingKey:
    kind: Kind
    stage: EmailStage
    language: Language

    @property
    def marker(self) -> str:
        return f"{self.kind.value}#{self.stage.value}#{self.language.value}"


@dataclass(frozen=True, slots=True)
class EmailWording:
    """The firm's own subject and body for one kind, stage and language (SPEC R21)."""

    firm_id: str
    key: WordingKey
    subject: str
    body: str
    updated_at: datetime
    updated_by: str


class SuppressionReason(StrEnum):
    BOUNCE = "bounce"
    COMPLAINT = "complaint"


@dataclass(frozen=True, slots=True)
class Suppression:
    """The mail service reported the contact's address dead (a permanent bounce) or the recipient
    marked our mail as spam (a complaint): no email goes to it until the firm lifts it (SPEC R15).

    `key` names the mail service's event that caused it; `lifted_at` is when the firm lifted it.
    A lifted suppression is kept so that the same event, delivered again, changes nothing."""

    reason: SuppressionReason
    at: datetime
    key: str
    lifted_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.lifted_at is None


@dataclass(frozen=True, slots=True)
class Contact:
    id: str
    name: str
    email: str
    notify: bool
    suppression: Suppression | None = None
    first_name: str | None = None  # None: the first word of `name` (SPEC R21)

    @property
    def greeting_name(self) -> str:
        """What emails greet the contact by: "Hi Olivia," for Olivia Harper."""
        if self.first_name and self.first_name.strip():
            return self.first_name.strip()
        words = self.name.split()
        return words[0] if words else ""

    @property
    def suppressed(self) -> Suppression | None:
        """The suppression in force, if any."""
        return self.suppression if self.suppression is not None and self.suppression.active else None


@dataclass(frozen=True, slots=True)
class Account:
    firm_id: str
    id: str
    name: str
    language: Language
    contacts: tuple[Contact, ...]
    created_at: datetime
    # account-wide email rounds (the bulk approval request), like an item's deliveries
    deliveries: Mapping[str, Delivery] = field(default_factory=dict)
    done_keys: tuple[str, ...] = ()
    version: int = 0
    time_zone: str | None = None  # None: the firm's
    # the account's automatic reminders wait until this day starts in its zone (SPEC R20)
    reminders_paused_until: date | None = None

    @property
    def notify_contacts(self) -> tuple[Contact, ...]:
        return tuple(c for c in self.contacts if c.notify)


@dataclass(frozen=True, slots=True)
class Invoice:
    """An invoice's money. Its due date is the item's (`ActionItem.due_date`), which every kind may have."""

    amount: Decimal
    currency: str
    amount_paid: Decimal = Decimal("0")

    @property
    def balance_due(self) -> Decimal:
        return max(self.amount - self.amount_paid, Decimal("0"))

    @property
    def paid(self) -> bool:
        return self.amount_paid >= self.amount


@dataclass(frozen=True, slots=True)
class ItemRef:
    """Enough to find an item and everything its emails need."""

    firm_id: str
    item_id: str
    account_id: str


@dataclass(frozen=True, slots=True)
class Origin:
    """The pipeline automation that created an item (R8), for the audit trail and job archiving."""

    pipeline_id: str
    stage_id: str
    job_id: str
    entry_id: str
    automation: int
    action: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "pipeline_id": self.pipeline_id,
            "stage_id": self.stage_id,
            "job_id": self.job_id,
            "entry_id": self.entry_id,
            "automation": self.automation,
            "action": self.action,
        }


@dataclass(frozen=True, slots=True)
class ActionItem:
    firm_id: str
    id: str
    account_id: str
    kind: Kind
    title: str
    sent_at: datetime
    created_by: str
    reminders: ReminderSettings = ReminderSettings()
    message: str | None = None
    status: Status = Status.PENDING
    notified: bool = False
    reminders_sent: int = 0
    # automatic reminders whose turn came while nobody could get them (SPEC R20): not counted in
    # reminders_sent, but the turn is used up and the interval schedule goes on from `skipped_at`
    reminders_skipped: int = 0
    skipped_at: datetime | None = None
    manual_reminders_sent: int = 0
    # when a firm user's resend was last accepted: the cooldown counts from it (SPEC R18)
    last_manual_resend_at: datetime | None = None
    last_emailed_at: datetime | None = None
    completed_at: datetime | None = None
    completed_via: str | None = None
    cancelled_at: datetime | None = None
    invoice: Invoice | None = None
    claim: Claim | None = None
    failed_number: int | None = None
    deliveries: Mapping[str, Delivery] = field(default_factory=dict)
    done_keys: tuple[str, ...] = ()
    template_id: str | None = None
    origin: Origin | None = None
    version: int = 0
    # The client's sending window as last seen by a writer that read the firm and the account
    # (None: any time). The due index is derived from it; see reminders/clients/rescheduling.py.
    window: SendingWindow | None = None
    # The sender found the window closed at this time: the next automatic email waits for the
    # window's next opening after it, however long ago it fell due.
    not_before: datetime | None = None
    # The client's calendar day the item is due (SPEC R19); for invoices the invoice's due date.
    due_date: date | None = None
    # The client's time zone as last seen with `window` (a due-date schedule's steps are at 09:00 in it).
    zone: str = DEFAULT_TIME_ZONE
    # What became of each step of a due-date schedule, by its `days`: sent or skipped (absent: scheduled).
    step_marks: Mapping[int, StepStatus] = field(default_factory=dict)
    # The pause (SPEC R20) as last seen with `window`: automatic reminders wait until this day starts in `zone`.
    paused_until: date | None = None
    # when the last automatic reminder went (an escalation counts from it) and when the firm was
    # told the client had not acted since (SPEC R19)
    last_reminder_at: datetime | None = None
    escalated_at: datetime | None = None

    @property
    def ref(self) -> ItemRef:
        return ItemRef(firm_id=self.firm_id, item_id=self.id, account_id=self.account_id)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: str
    firm_id: str
    item_id: str
    account_id: str
    type: AuditType
    at: datetime
    actor: str
    recipients: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)
    sequence: int = 0


class RoundMode(StrEnum):
    SCHEDULED = "scheduled"  # number 0 = the first notification, 1..n = automatic reminders
    MANUAL = "manual"  # a firm user's resend


@dataclass(frozen=True, slots=True)
class EmailRound:
    """One email to every notify contact about one item: the notification, an automatic reminder,
    or a manual resend. `key` is the business idempotency key within the item."""

    mode: RoundMode
    number: int = 0
    resend_id: str | None = None
    actor: str = SYSTEM_ACTOR
    message: str | None = None

    @classmethod
    def scheduled(cls, number: int, actor: str = SYSTEM_ACTOR) -> EmailRound:
        return cls(mode=RoundMode.SCHEDULED, number=number, actor=actor)

    @classmethod
    def manual(cls, resend_id: str, actor: str, message: str | None) -> EmailRound:
        return cls(mode=RoundMode.MANUAL, resend_id=resend_id, actor=actor, message=message)

    @property
    def key(self) -> str:
        return f"manual:{self.resend_id}" if self.mode is RoundMode.MANUAL else f"scheduled:{self.number}"

    @property
    def is_notification(self) -> bool:
        return self.mode is RoundMode.SCHEDULED and self.number == 0


TEMPLATE_KINDS = (Kind.INVOICE, Kind.PROPOSAL, Kind.ORGANIZER, Kind.CHAT)


@dataclass(frozen=True, slots=True)
class InvoiceTerms:
    """An invoice template's money; its due date comes from the template's `due_in_days`."""

    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Template:
    """Content and reminder settings an item can be created from (R7). `reminders` holds only the
    fields the template sets; items merge them under their own (SPEC R2)."""

    firm_id: str
    id: str
    kind: Kind
    name: str
    created_at: datetime
    updated_at: datetime
    title: str | None = None
    body: str | None = None
    invoice: InvoiceTerms | None = None
    reminders: Mapping[str, Any] = field(default_factory=dict)
    version: int = 0
    # Items made from it are due this many days after the day they are sent, in the client's zone.
    due_in_days: int | None = None


class AutomationAction(StrEnum):
    CREATE_INVOICE = "create_invoice"
    CREATE_ORGANIZER = "create_organizer"
    SEND_PROPOSAL = "send_proposal"
    SEND_MESSAGE = "send_message"

    @property
    def kind(self) -> Kind:
        return _ACTION_KINDS[self]


_ACTION_KINDS = {
    AutomationAction.CREATE_INVOICE: Kind.INVOICE,
    AutomationAction.CREATE_ORGANIZER: Kind.ORGANIZER,
    AutomationAction.SEND_PROPOSAL: Kind.PROPOSAL,
    AutomationAction.SEND_MESSAGE: Kind.CHAT,
}


@dataclass(frozen=True, slots=True)
class Automation:
    action: AutomationAction
    template_id: str
    reminders: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Stage:
    id: str
    name: str
    automations: tuple[Automation, ...] = ()


@dataclass(frozen=True, slots=True)
class Pipeline:
    firm_id: str
    id: str
    name: str
    stages: tuple[Stage, ...]
    created_at: datetime

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)


class JobStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


@dataclass(frozen=True, slots=True)
class Job:
    """One account's way through a pipeline. `item_ids` are the items its automations created.
    `entry_id` names its latest entry into a stage (at `entered_at`); writing a new one is what
    publishes JobEnteredStage (from the table's stream)."""

    firm_id: str
    id: str
    pipeline_id: str
    account_id: str
    stage_id: str
    created_at: datetime
    entered_at: datetime
    entry_id: str | None = None
    status: JobStatus = JobStatus.ACTIVE
    archived_at: datetime | None = None
    item_ids: tuple[str, ...] = ()
    version: int = 0
