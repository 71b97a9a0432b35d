"""Request and response bodies of the HTTP API (SPEC §5). Requests reject unknown fields, so a
typo ("days_betwen") is a 422 naming the field instead of a silently ignored setting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    MISSING,
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from portal_reminders import ids
from portal_reminders.api.types import (
    AmountIn,
    ClockTime,
    Currency,
    DateIn,
    DaysBetween,
    DomainName,
    DueInDays,
    EmailAddress,
    EscalateAfterDays,
    Flag,
    HexColor,
    HttpsUrl,
    LanguageIn,
    MaxReminders,
    Message,
    MoneyOut,
    Name,
    Signature,
    StepDays,
    Timestamp,
    TimeZoneName,
    Title,
    Url,
    WordingBody,
    WordingSubject,
)
from portal_reminders.models.domain import (
    MAX_CONTACTS,
    MAX_STEPS,
    AuditType,
    AutomationAction,
    DomainStatus,
    EmailStage,
    JobStatus,
    Kind,
    Language,
    Schedule,
    Status,
    StepStatus,
    SuppressionReason,
    Tone,
    Weekday,
)


class _Schema(BaseModel):
    # Validators are built on first use, not at import: a request needs two or three of these
    # models, and building all of them would cost every cold start tens of milliseconds.
    model_config = ConfigDict(defer_build=True)


class _Request(_Schema):
    model_config = ConfigDict(extra="forbid", defer_build=True)


def _at_least_one_field(model: BaseModel) -> None:
    if not model.model_fields_set:
        raise ValueError("name at least one field to change")


def _patch_schema(schema: dict[str, Any]) -> None:
    """A PATCH body names at least one field, and none as null: there is nothing to unset, and
    routes.common.changes_of answers null with a 422 naming the field."""
    schema["minProperties"] = 1
    for name, field in schema.get("properties", {}).items():
        field.pop("default", None)
        options = [option for option in field.pop("anyOf", []) if option != {"type": "null"}]
        if options:
            schema["properties"][name] = {**field, **options[0]} if len(options) == 1 else {**field, "anyOf": options}


def _id_of(prefix: str, description: str) -> Any:
    return Field(pattern=ids.pattern(prefix), description=description)


# firm ------------------------------------------------------------------------------------------


def _sending_hours_schema(schema: dict[str, Any]) -> None:
    schema["description"] = (
        "When automatic reminders may go out, on the client's wall clock: on `days`, from `start` to before `end`. "
        "`start` must be before `end` (a window does not cross midnight); a reminder that falls due outside waits "
        "for the next start."
    )


class SendingHoursIn(_Request):
    model_config = ConfigDict(json_schema_extra=_sending_hours_schema)

    days: list[Weekday] = Field(min_length=1, max_length=7, json_schema_extra={"uniqueItems": True})
    start: ClockTime = Field(description="HH:MM, 24-hour", examples=["09:00"])
    end: ClockTime = Field(description="HH:MM, 24-hour, after start", examples=["17:30"])

    @field_validator("days")
    @classmethod
    def _each_day_once(cls, days: list[Weekday]) -> list[Weekday]:
        if len(set(days)) != len(days):
            raise ValueError("name each day at most once")
        return days

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: str, info: ValidationInfo) -> str:
        start = info.data.get("start")
        if isinstance(start, str) and end <= start:  # "HH:MM" strings sort as the times do
            raise ValueError(f"must be after start ({start}): sending hours do not cross midnight")
        return end


class SendingHoursOut(_Schema):
    days: list[Weekday]
    start: str
    end: str


_FIRM_PAUSE = (
    "every account's automatic reminders wait until this day starts (00:00) in the client's time zone, then "
    "the sending hours; at most ten years ahead; null: not paused"
)
_DIGEST = (
    "automatic reminders of one account due on the same client day go to each notify contact as one email "
    "listing every item (true, the default); false: one email per item"
)
_ACCOUNT_PAUSE = (
    "the account's automatic reminders wait until this day starts (00:00) in its time zone, then the "
    "sending hours (the later of this and the firm's pause wins); at most ten years ahead; null: not paused"
)


class BrandingIn(_Request):
    """How every email of the firm looks; each field is optional (null: the product's default)."""

    logo_url: HttpsUrl | None = Field(
        default=None,
        description="an https URL of the firm's logo (PNG or JPEG; about 300 x 96 px reads well), shown at the "
        "top of the HTML part at most 48 px high, with the firm's name as its alt text",
        examples=["https://www.silva-harper.com/email-logo.png"],
    )
    accent_color: HexColor | None = Field(
        default=None,
        description="#RRGGBB: the header rule, and the button and link when white text on it is readable "
        "(a contrast of at least 4.5:1, WCAG AA); a lighter colour keeps the default button",
    )
    signature: Signature | None = Field(
        default=None,
        description="plain text after the sign-off in both parts, up to 1,000 characters; line breaks are kept, "
        "HTML is shown as written, never interpreted",
        examples=["Maria Silva, CPA\nSilva & Harper Accounting\n+1 555 0100"],
    )


class BrandingOut(_Schema):
    logo_url: str | None
    accent_color: str | None
    signature: str | None


class FirmIn(_Request):
    name: Name
    reply_to: EmailAddress | None = None
    portal_url: Url | None = None
    time_zone: TimeZoneName = Field(
        default="UTC", description="the firm's IANA time zone; clients' sending hours are in it unless theirs is set"
    )
    sending_hours: SendingHoursIn | None = Field(default=None, description="null: automatic reminders go at any time")
    reminders_paused_until: DateIn | None = Field(default=None, description=_FIRM_PAUSE)
    reminder_digest: Flag = Field(default=True, description=_DIGEST)
    branding: BrandingIn | None = Field(default=None, description="null: the product's look")
    escalation_email: EmailAddress | None = Field(
        default=None,
        description="where escalations go (an item's reminders.escalate_after_days); null: reply_to, and without "
        "either an escalation emails nobody (it is still audited and published)",
    )


class FirmOut(_Schema):
    id: str
    name: str | None
    reply_to: str | None
    portal_url: str | None
    time_zone: str
    sending_hours: SendingHoursOut | None
    reminders_paused_until: date | None = Field(description=_FIRM_PAUSE)
    reminder_digest: bool = Field(description=_DIGEST)
    branding: BrandingOut
    escalation_email: str | None


class SendingDomainIn(_Request):
    domain: DomainName = Field(
        description="the domain (or a subdomain kept for mail) the firm's email should come from, as "
        "reminders@<domain>; lowercase, no scheme; not the service's own sender domain"
    )


class DkimRecordOut(_Schema):
    name: str = Field(examples=["abcdef0123456789abcdef0123456789._domainkey.mail.silva-harper.com"])
    type: Literal["CNAME"]
    value: str = Field(examples=["abcdef0123456789abcdef0123456789.dkim.amazonses.com"])


class SendingDomainOut(_Schema):
    domain: str
    status: DomainStatus = Field(
        description="verified: the firm's mail goes from `sending_from`; pending: the mail service has not seen "
        "the DKIM records in the domain's DNS yet (it looks for up to 72 hours); temporary_failure: it cannot "
        "tell now and keeps trying; failed: it gave up (PUT the domain again to start over)"
    )
    dkim_records: list[DkimRecordOut] = Field(description="the CNAME records to publish in the domain's DNS")
    sending_from: str = Field(description="the address the firm's mail goes from now")
    checked_at: Timestamp | None = Field(description="when the mail service was last asked about the domain")


# accounts --------------------------------------------------------------------------------------


class ContactIn(_Request):
    name: Name
    email: EmailAddress
    notify: Flag = True
    first_name: Name | None = Field(
        default=None, description="what emails greet the contact by; null: the first word of name"
    )


def _only_false(value: bool) -> bool:
    if value:
        raise ValueError("only false: the firm lifts a suppression; the mail service's bounces and complaints set it")
    return value


# `{"suppressed": false}` lifts a contact's suppression (SPEC R15). JSON false only: not 0, not true.
LiftSuppression = Annotated[
    bool,
    Field(strict=True),
    AfterValidator(_only_false),
    WithJsonSchema(
        {
            "type": "boolean",
            "const": False,
            "description": "false lifts the suppression after a bounce or complaint (a new email does too)",
        }
    ),
]


def _patch_schema_with_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """A PATCH body's schema where null means something for these fields (see changes_of)."""

    def complete(schema: dict[str, Any]) -> None:
        _patch_schema(schema)
        for name in names:
            field = schema["properties"][name]
            schema["properties"][name] = {
                "anyOf": [{key: value for key, value in field.items() if key != "description"}, {"type": "null"}],
                "description": field.get("description", ""),
            }

    return complete


class ContactPatch(_Request):
    model_config = ConfigDict(json_schema_extra=_patch_schema_with_null("first_name"))

    name: Name | None = None
    email: EmailAddress | None = None
    notify: Flag | None = None
    suppressed: LiftSuppression | None = None
    first_name: Name | None = Field(
        default=None, description="what emails greet the contact by; null: the first word of name"
    )

    @model_validator(mode="after")
    def _changes_something(self) -> ContactPatch:
        _at_least_one_field(self)
        return self


class AccountIn(_Request):
    name: Name
    language: LanguageIn = Language.EN
    contacts: list[ContactIn] = Field(default_factory=list, max_length=MAX_CONTACTS)
    time_zone: TimeZoneName | None = Field(default=None, description="the client's IANA time zone; null: the firm's")


class AccountPatch(_Request):
    """Any of the account's name, language and time zone; the others keep their values."""

    # null is meaningful here: the account goes back to the firm's time zone
    model_config = ConfigDict(json_schema_extra=_patch_schema_with_null("time_zone", "reminders_paused_until"))

    name: Name | None = None
    language: LanguageIn | None = None
    time_zone: TimeZoneName | None = Field(default=None, description="the client's IANA time zone; null: the firm's")
    reminders_paused_until: DateIn | None = Field(default=None, description=_ACCOUNT_PAUSE)

    @model_validator(mode="after")
    def _changes_something(self) -> AccountPatch:
        _at_least_one_field(self)
        return self


class SuppressionOut(_Schema):
    reason: SuppressionReason
    at: Timestamp


class ContactOut(_Schema):
    id: str
    name: str
    first_name: str | None = Field(description="what emails greet the contact by; null: the first word of name")
    email: str
    notify: bool
    suppressed: SuppressionOut | None = Field(
        description=(
            "set while a permanent bounce or a complaint stops all email to the contact; "
            'PATCH {"suppressed": false} lifts it'
        )
    )


class AccountOut(_Schema):
    id: str
    name: str
    language: Language
    time_zone: str | None = Field(description="the client's own time zone; null: the firm's")
    reminders_paused_until: date | None = Field(description=_ACCOUNT_PAUSE)
    contacts: list[ContactOut]
    created_at: Timestamp


# action items ----------------------------------------------------------------------------------


class StepIn(_Request):
    days: StepDays = Field(
        description="days after the due date (negative: before); the reminder is due at 09:00 that day in the "
        "client's time zone, then kept to the sending hours"
    )
    tone: Tone | None = Field(
        default=None,
        description="how it speaks; final only on the last step. Omitted: the last of several steps is final, "
        "steps after the due date are firm, the others gentle",
    )


_SCHEDULE = (
    "interval: every days_between days after the latest email, max_reminders times (the default); due_date: one "
    "reminder per step, relative to the item's due_date (which it then needs)"
)
_STEPS = (
    f"a due_date schedule's reminders, 1 to {MAX_STEPS}, in strictly increasing order of days "
    "(kept while the schedule is interval). Under due_date, max_reminders is their number"
)
_ESCALATE = (
    "days (24-hour periods) after the last automatic reminder that a still pending item is escalated to the firm"
)


class RemindersIn(_Request):
    """Automatic reminder settings; omitted fields come from the template, else the defaults."""

    enabled: Flag | None = None
    days_between: DaysBetween | None = None
    max_reminders: MaxReminders | None = None
    schedule: Schedule | None = Field(default=None, description=_SCHEDULE)
    steps: list[StepIn] | None = Field(default=None, min_length=1, max_length=MAX_STEPS, description=_STEPS)
    escalate_after_days: EscalateAfterDays | None = Field(default=None, description=_ESCALATE)


class RemindersPatch(_Request):
    """Any of the automatic reminder settings; the others keep their values. Turning reminders on,
    or changing the schedule or its steps, reschedules the steps not sent."""

    # null is meaningful here: no escalation
    model_config = ConfigDict(json_schema_extra=_patch_schema_with_null("escalate_after_days"))

    enabled: Flag | None = None
    days_between: DaysBetween | None = None
    max_reminders: MaxReminders | None = None
    schedule: Schedule | None = Field(default=None, description=_SCHEDULE)
    steps: list[StepIn] | None = Field(default=None, min_length=1, max_length=MAX_STEPS, description=_STEPS)
    escalate_after_days: EscalateAfterDays | None = Field(default=None, description=_ESCALATE + "; null: never")

    @model_validator(mode="after")
    def _changes_something(self) -> RemindersPatch:
        _at_least_one_field(self)
        return self


class InvoiceIn(_Request):
    amount: AmountIn
    currency: Currency
    due_date: DateIn


_OTHER_KINDS = [kind.value for kind in Kind if kind is not Kind.INVOICE]


def _action_item_schema(schema: dict[str, Any]) -> None:
    """The cross-field rules of ActionItemIn, as the document states them."""

    def named(field: str) -> dict[str, Any]:
        # present and not null (its type is the property's own)
        return {"required": [field], "properties": {field: {"not": {"type": "null"}}}}

    schema["allOf"] = [
        # a title, or a template whose title (else name) the item takes
        {"anyOf": [named("title"), named("template_id")]},
        # an invoice carries its details, or takes them from its template; other kinds have none
        {
            "anyOf": [
                {
                    "properties": {"kind": {"const": Kind.INVOICE.value}},
                    "anyOf": [named("invoice"), named("template_id")],
                },
                {"properties": {"kind": {"enum": _OTHER_KINDS}, "invoice": {"type": "null"}}},
            ]
        },
    ]


class ActionItemIn(_Request):
    model_config = ConfigDict(json_schema_extra=_action_item_schema)

    kind: Kind
    title: Title | None = Field(default=None, description="required unless template_id is given")
    template_id: str | None = Field(
        default=None,
        pattern=ids.pattern(ids.TEMPLATE),
        description="a template of the firm of the same kind: content and settings the request leaves out",
    )
    reminders: RemindersIn | None = None
    message: Message | None = None
    invoice: InvoiceIn | None = Field(
        default=None, description="for invoices only; required unless the template has invoice terms"
    )
    due_date: DateIn | None = Field(
        default=None,
        description=(
            "the client's calendar day the item is due; else the template's due_in_days after today. "
            "For invoices it is invoice.due_date (if both are given they must be the same)"
        ),
    )

    @field_validator("due_date")
    @classmethod
    def _same_as_the_invoices(cls, due_date: date | None, info: ValidationInfo) -> date | None:
        invoice = info.data.get("invoice")
        if due_date is not None and isinstance(invoice, InvoiceIn) and invoice.due_date != due_date:
            raise ValueError(f"an invoice's due date is invoice.due_date ({invoice.due_date}); give one date")
        return due_date

    @property
    def effective_due_date(self) -> date | None:
        return self.invoice.due_date if self.invoice is not None else self.due_date

    @model_validator(mode="after")
    def _invoice_only_for_invoices(self) -> ActionItemIn:
        if self.invoice is not None and self.kind is not Kind.INVOICE:
            raise ValueError("invoice details are only for kind 'invoice'")
        return self


class ItemPatch(_Request):
    """The item's own fields that can change after it was sent (its reminders have their own PATCH)."""

    # null is meaningful here: the item has no due date any more
    model_config = ConfigDict(json_schema_extra=_patch_schema_with_null("due_date"))

    due_date: DateIn | None = Field(
        default=None,
        description=(
            "the client's calendar day the item is due; null: none (not for invoices, nor under a due_date "
            "schedule). An invoice's invoice.due_date changes with it; unsent steps are rescheduled"
        ),
    )

    @model_validator(mode="after")
    def _changes_something(self) -> ItemPatch:
        _at_least_one_field(self)
        return self


class ResendIn(_Request):
    message: Message | None = None


class CompleteIn(_Request):
    via: Literal["read", "reply"] | None = None


class StepOut(_Schema):
    days: int
    tone: Tone = Field(description="as named, else by the default rule (if it goes on its day)")
    at: Timestamp | None = Field(
        description="when it is due: 09:00 on its day in the client's time zone, kept to the sending hours"
    )
    status: StepStatus = Field(description="scheduled, sent, or skipped (its time had passed, or a later step went)")


class RemindersOut(_Schema):
    enabled: bool
    days_between: int
    max_reminders: int = Field(description="under a due_date schedule, the number of steps")
    schedule: Schedule
    steps: list[StepOut]
    escalate_after_days: int | None
    sent: int
    next_at: Timestamp | None


class InvoiceOut(_Schema):
    amount: MoneyOut
    currency: str
    due_date: date
    paid: bool
    amount_paid: MoneyOut
    balance_due: MoneyOut


class ActionItemOut(_Schema):
    id: str
    account_id: str
    kind: Kind
    title: str
    message: str | None
    status: Status
    sent_at: Timestamp
    last_emailed_at: Timestamp | None
    completed_at: Timestamp | None
    completed_via: str | None
    cancelled_at: Timestamp | None
    reminders: RemindersOut
    manual_reminders_sent: int
    email_failed: bool
    due_date: date | None = Field(
        description="the client's calendar day the item is due; for invoices invoice.due_date"
    )
    escalated_at: Timestamp | None = Field(
        default=None,
        description="when the firm was told the client had not acted escalate_after_days after the last reminder",
    )
    invoice: InvoiceOut | None = None
    template_id: str | None = None
    job_id: str | None = Field(default=None, description="the job whose stage automation created the item")


class ItemPage(_Schema):
    items: list[ActionItemOut]
    next_token: str | None


class WorkItemOut(_Schema):
    """An item on the firm's worklist: a summary (GET /action-items/{id} has the rest)."""

    id: str
    account_id: str
    kind: Kind
    title: str
    status: Status
    due_date: date | None = Field(description="the client's calendar day the item is due")
    overdue: bool = Field(description="the due date is before today on the client's calendar")
    escalated_at: Timestamp | None = Field(description="when the firm was told the client had not acted")


class WorkPage(_Schema):
    items: list[WorkItemOut]
    next_token: str | None


class ResendAccepted(_Schema):
    accepted: Literal[True] = True
    item_id: str
    recipients: int
    queued: bool = Field(description="true when the mail service was busy and the email was queued for retry")


class TaskOut(_Schema):
    item_id: str
    kind: Kind
    title: str
    last_emailed_at: Timestamp | None
    due_date: date | None


class TaskPage(_Schema):
    items: list[TaskOut]
    next_token: str | None


class SettingStepOut(_Schema):
    days: int
    tone: Tone | None = Field(description="as the firm named it; null: by the default rule")


class SettingsOut(_Schema):
    """settings_changed's before and after: the reminder settings, or (a due date moved) the due date."""

    model_config = ConfigDict(defer_build=True)

    enabled: bool | MISSING = MISSING
    days_between: int | MISSING = MISSING
    max_reminders: int | MISSING = MISSING
    schedule: Schedule | MISSING = MISSING
    steps: list[SettingStepOut] | MISSING = MISSING
    escalate_after_days: int | MISSING | None = MISSING
    due_date: date | MISSING | None = Field(default=MISSING, description="present when the due date was changed")


class AutomationOrigin(_Schema):
    """The stage automation that created an item."""

    pipeline_id: str
    stage_id: str
    job_id: str
    entry_id: str = Field(description="the job's entry into the stage")
    automation: int = Field(description="the automation's position in the stage, from 0")
    action: AutomationAction


class AuditDetails(_Schema):
    """What an audit event adds to its type: each field is present only on the types its
    description names (absent, not null, elsewhere). Other fields may appear in later versions."""

    # MISSING (not None) leaves a field out of the JSON; an unknown stored field passes through.
    model_config = ConfigDict(extra="allow", defer_build=True)

    mode: Literal["notification", "auto", "manual", "approvals"] | MISSING = Field(
        default=MISSING,
        description=(
            "reminder_sent: auto (scheduled) or manual (resend); reminder_skipped: auto; email_failed: also "
            "notification, approvals"
        ),
    )
    number: int | MISSING = Field(
        default=MISSING, description="reminder_sent, reminder_skipped, email_failed: the reminder's number"
    )
    of: int | MISSING | None = Field(
        default=MISSING,
        description="reminder_sent, reminder_skipped: max_reminders at the time (null for a manual resend)",
    )
    tone: Tone | MISSING = Field(default=MISSING, description="reminder_sent (auto): gentle, firm or final")
    days: int | MISSING = Field(
        default=MISSING,
        description=(
            "reminder_sent (auto, due-date schedule): the step carried out, days after the due date; "
            "reminder_skipped: the step skipped"
        ),
    )
    message: str | MISSING = Field(default=MISSING, description="reminder_sent, approval_requested: the firm's message")
    message_ids: dict[str, str] | MISSING = Field(
        default=MISSING, description="each address the mail service accepted, with its SES message id"
    )
    unconfirmed: list[str] | MISSING = Field(
        default=MISSING, description="addresses the mail may or may not have reached (a worker stopped mid-send)"
    )
    suppressed: dict[str, SuppressionReason] | MISSING = Field(
        default=MISSING,
        description=(
            "notify contacts left out because a bounce or a complaint suppressed them (reminder_skipped: all of them)"
        ),
    )
    nobody_emailed: bool | MISSING = Field(default=MISSING, description="true when the email reached nobody")
    reason: str | MISSING = Field(
        default=MISSING,
        description=(
            "why: item_sent, nobody emailed; reminder_skipped, why nobody could get it (no contact has notify "
            "on, every notify contact is suppressed); email_failed, what failed; settings_changed, who or what "
            "changed them when not a firm user; email_bounced, email_complained: bounce or complaint; escalated, "
            "why nobody was emailed"
        ),
    )
    after_days: int | MISSING = Field(
        default=MISSING, description="escalated: the item's escalate_after_days (days after its last reminder)"
    )
    reminders: int | MISSING = Field(
        default=MISSING, description="escalated: how many automatic reminders the client had been sent"
    )
    errors: dict[str, str] | MISSING = Field(
        default=MISSING, description="email_failed: each address the mail service refused, with its reason"
    )
    template_id: str | MISSING = Field(default=MISSING, description="item_sent: the template the item was made from")
    automation: AutomationOrigin | MISSING = Field(
        default=MISSING, description="item_sent: the automation that sent it"
    )
    before: SettingsOut | MISSING = Field(default=MISSING, description="settings_changed: the settings before")
    after: SettingsOut | MISSING = Field(default=MISSING, description="settings_changed: the settings after")
    via: str | MISSING = Field(default=MISSING, description="completed: read, reply (chat) or payment (invoices)")
    amount: str | MISSING = Field(default=MISSING, description='payment_recorded: the payment, like "125.00"')
    amount_paid: str | MISSING = Field(default=MISSING, description="payment_recorded: paid so far")
    balance_due: str | MISSING = Field(default=MISSING, description="payment_recorded: what is left to pay")
    request_id: str | MISSING = Field(
        default=MISSING, description="approval_requested, email_failed: the bulk approval request"
    )
    contact_id: str | MISSING = Field(default=MISSING, description="email_bounced, email_complained: the contact")
    message_id: str | MISSING = Field(default=MISSING, description="email_bounced, email_complained: the mail's id")
    bounce_type: str | MISSING = Field(default=MISSING, description="email_bounced: SES's bounce type")


class AuditEventOut(_Schema):
    id: str
    item_id: str
    account_id: str
    type: AuditType
    at: Timestamp
    actor: str
    recipients: list[str]
    details: AuditDetails


class AuditPage(_Schema):
    items: list[AuditEventOut]
    next_token: str | None


class PaymentIn(_Request):
    amount: AmountIn


# templates -------------------------------------------------------------------------------------


class InvoiceTermsIn(_Request):
    amount: AmountIn
    currency: Currency
    due_in_days: DueInDays = Field(
        description="the due date is this many days after sending (the template's due_in_days)"
    )


_DUE_IN_DAYS = (
    "items made from the template are due this many days after the day they are sent, on the client's calendar; "
    "for invoice templates it is invoice.due_in_days (if both are given they must be the same)"
)


def _same_due_in_days(due_in_days: int | None, info: ValidationInfo) -> int | None:
    invoice = info.data.get("invoice")
    if due_in_days is not None and isinstance(invoice, InvoiceTermsIn) and invoice.due_in_days != due_in_days:
        raise ValueError(f"an invoice template's due_in_days is invoice.due_in_days ({invoice.due_in_days}); give one")
    return due_in_days


class TemplateKind(StrEnum):
    """The kinds templates are for: signatures and approvals have none."""

    INVOICE = Kind.INVOICE.value
    PROPOSAL = Kind.PROPOSAL.value
    ORGANIZER = Kind.ORGANIZER.value
    CHAT = Kind.CHAT.value


class _TemplateFields(_Request):
    """What every template has, whatever its kind."""

    name: Name = Field(description="also the title of items made from it when it has no title of its own")
    title: Title | None = None
    body: Message | None = None
    reminders: RemindersIn | None = Field(default=None, description='"Send reminders to clients"')


class InvoiceTemplateIn(_TemplateFields):
    """An invoice template: it may also carry the invoice terms its invoices are sent with."""

    kind: Literal[TemplateKind.INVOICE]
    invoice: InvoiceTermsIn | None = Field(default=None, description="the terms of invoices made from it")
    due_in_days: DueInDays | None = Field(default=None, description=_DUE_IN_DAYS)

    _same_due_in_days = field_validator("due_in_days")(_same_due_in_days)

    @property
    def effective_due_in_days(self) -> int | None:
        return self.invoice.due_in_days if self.invoice is not None else self.due_in_days


class OtherTemplateIn(_TemplateFields):
    """A proposal, organizer or chat template: content and reminder settings, no invoice terms."""

    kind: Literal[TemplateKind.PROPOSAL, TemplateKind.ORGANIZER, TemplateKind.CHAT]
    due_in_days: DueInDays | None = Field(default=None, description=_DUE_IN_DAYS)

    @property
    def effective_due_in_days(self) -> int | None:
        return self.due_in_days


def _kind_of(value: Any) -> Any:
    return value.get("kind") if isinstance(value, dict) else None


class TemplateIn(RootModel[Annotated[InvoiceTemplateIn | OtherTemplateIn, Field(discriminator="kind")]]):
    """A new template: `kind` says which fields it may have (invoice templates: invoice terms)."""

    model_config = ConfigDict(defer_build=True)

    # Errors name fields as the client wrote them: pydantic puts the union's tag (the kind) first.
    @model_validator(mode="wrap")
    @classmethod
    def _errors_without_the_tag(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError as error:
            problems: list[Any] = []
            for problem in error.errors():
                location = problem["loc"]
                if problem["type"] in ("union_tag_invalid", "union_tag_not_found"):
                    location = ("kind",)
                elif location and location[0] == _kind_of(value):
                    location = location[1:]
                problems.append({**problem, "loc": location})
            raise ValidationError.from_exception_data(error.title, problems) from None


class TemplatePatch(_Request):
    """Only the named fields change; `invoice` and `reminders` are replaced as a whole."""

    # null is meaningful here: items made from the template have no due date
    model_config = ConfigDict(json_schema_extra=_patch_schema_with_null("due_in_days"))

    name: Name | None = None
    title: Title | None = None
    body: Message | None = None
    invoice: InvoiceTermsIn | None = Field(default=None, description="invoice templates only")
    reminders: RemindersIn | None = None
    due_in_days: DueInDays | None = Field(default=None, description=_DUE_IN_DAYS + "; null: none")

    _same_due_in_days = field_validator("due_in_days")(_same_due_in_days)

    @model_validator(mode="after")
    def _changes_something(self) -> TemplatePatch:
        _at_least_one_field(self)
        return self


class InvoiceTermsOut(_Schema):
    amount: MoneyOut
    currency: str
    due_in_days: int


class TemplateStepOut(_Schema):
    days: int
    tone: Tone | None = None


class TemplateRemindersOut(_Schema):
    enabled: bool | None = None
    days_between: int | None = None
    max_reminders: int | None = None
    schedule: Schedule | None = None
    steps: list[TemplateStepOut] | None = None
    escalate_after_days: int | None = None


class TemplateOut(_Schema):
    id: str
    kind: TemplateKind
    name: str
    title: str | None
    body: str | None
    invoice: InvoiceTermsOut | None
    reminders: TemplateRemindersOut
    due_in_days: int | None
    created_at: Timestamp
    updated_at: Timestamp


class TemplatePage(_Schema):
    items: list[TemplateOut]
    next_token: str | None


# pipelines and jobs ----------------------------------------------------------------------------


class AutomationIn(_Request):
    action: AutomationAction
    template_id: str = _id_of(ids.TEMPLATE, "a template of the firm of the action's kind")
    reminders: RemindersIn | None = Field(default=None, description="toggled on without numbers: 3 days, 1 reminder")


class StageIn(_Request):
    name: Name
    automations: list[AutomationIn] = Field(default_factory=list, max_length=20)


class PipelineIn(_Request):
    name: Name
    stages: list[StageIn] = Field(min_length=1, max_length=50)


class AutomationOut(_Schema):
    action: AutomationAction
    template_id: str
    reminders: TemplateRemindersOut


class StageOut(_Schema):
    id: str
    name: str
    automations: list[AutomationOut]


class PipelineOut(_Schema):
    id: str
    name: str
    stages: list[StageOut]
    created_at: Timestamp


class JobIn(_Request):
    account_id: str = _id_of(ids.ACCOUNT, "an account of the firm")
    stage_id: str = _id_of(ids.STAGE, "a stage of this pipeline")


class MoveIn(_Request):
    stage_id: str = _id_of(ids.STAGE, "another stage of the job's pipeline")


class JobOut(_Schema):
    id: str
    pipeline_id: str
    account_id: str
    stage_id: str
    status: JobStatus
    created_at: Timestamp
    entered_at: Timestamp
    archived_at: Timestamp | None
    item_ids: list[str] = Field(description="items the job's stage automations created")


# approvals -------------------------------------------------------------------------------------


class ApprovalRequestIn(_Request):
    message: Message | None = None
    account_ids: list[Annotated[str, Field(max_length=100)]] | None = Field(default=None, max_length=1000)


class ApprovalRequestAccepted(_Schema):
    accepted: Literal[True] = True
    accounts: int
    documents: int


# the firm's own wording (SPEC R21) ---------------------------------------------------------------


class EmailTemplateIn(_Request):
    subject: WordingSubject = Field(
        description='one line, used as written (no "Reminder:" is added); up to 200 characters; placeholders '
        "like {{item_title}} are filled in (each bounded to one line of at most 120 characters)"
    )
    body: WordingBody = Field(
        description="plain text, up to 5,000 characters: blank lines make paragraphs, line breaks are kept, HTML is "
        "shown as written; placeholders like {{contact_first_name}} are filled in. The greeting, the firm's "
        "message on a resend, the portal button, the sign-off, the signature and the footer are added around it"
    )


class EmailTemplateOut(_Schema):
    kind: Kind
    stage: EmailStage
    language: Language
    subject: str
    body: str
    updated_at: Timestamp
    updated_by: str = Field(description="the firm user who wrote it")


class EmailTemplateList(_Schema):
    items: list[EmailTemplateOut] = Field(
        description="every override of the firm (at most one per kind, stage and language: 96 with four languages), "
        "by kind, stage and language"
    )
    next_token: None = Field(default=None, description="always null: the whole list is one page")


class PreviewStage(StrEnum):
    """The stages of the emails that go to clients, and the escalation email to the firm (in English)."""

    NOTIFICATION = "notification"
    REMINDER = "reminder"
    FINAL = "final"
    ESCALATION = "escalation"


def _preview_schema(schema: dict[str, Any]) -> None:
    schema["description"] = (
        "With item_id: what that item's email of this stage would be if sent now, to its account's first notify "
        "contact, in its language (the reminder stage is a manual resend; the final stage its last automatic "
        "reminder); kind and language, if given, are the item's and its account's. The escalation stage is the "
        "email to the firm, as the item's escalation would be sent now (what the client was sent, in the firm's "
        "escalation wording of its kind), always in English: its language, if given, is en (409 for an item that "
        "never escalates). Without item_id: sample data, and kind and language are required."
    )
    schema["anyOf"] = [{"required": ["item_id"]}, {"required": ["kind", "language"]}]
    client_stages = [stage.value for stage in PreviewStage if stage is not PreviewStage.ESCALATION]
    schema["allOf"] = [
        {
            "anyOf": [
                {"properties": {"stage": {"enum": client_stages}}},
                {"properties": {"stage": {"const": PreviewStage.ESCALATION.value}, "language": {"const": "en"}}},
            ]
        }
    ]
    for name in ("kind", "language", "item_id"):  # left out, never null
        field = schema["properties"][name]
        field.pop("default", None)
        options = [option for option in field.pop("anyOf", []) if option != {"type": "null"}]
        schema["properties"][name] = {**field, **options[0]} if options else field


class EmailPreviewIn(_Request):
    model_config = ConfigDict(json_schema_extra=_preview_schema)

    stage: PreviewStage
    kind: Kind | None = None
    language: Language | None = None
    item_id: str | None = Field(default=None, pattern=ids.pattern(ids.ITEM), description="an item of the firm")

    @field_validator("kind", "language", "item_id", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("leave it out rather than null")
        return value


class EmailPreviewOut(_Schema):
    subject: str
    text: str = Field(description="the plain-text part")
    html: str = Field(description="the HTML part")


# errors ----------------------------------------------------------------------------------------


class ErrorDetail(_Schema):
    field: str | None = None
    message: str


class ErrorBody(_Schema):
    code: Literal[
        "bad_request", "validation_error", "unauthorized", "not_found", "conflict", "rate_limited", "internal_error"
    ]
    message: str
    details: list[ErrorDetail] = Field(default_factory=list)


class Error(_Schema):
    """Every error the API function answers (docs/http-api.md, "Errors")."""

    error: ErrorBody
