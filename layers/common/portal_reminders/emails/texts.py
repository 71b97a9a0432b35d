"""The shape of a language's wording: every entry a catalogue (emails/catalogue/) fills in.

Templates are `str.format` strings. Placeholders: {firm}, {title}, {name}, {count}, {amount},
{balance}, {due_date}, and in reminders {label}, {pending}, {first_sent}, {due_status}, {days},
{number}; money and dates have their own ({currency}, {number}, {day}, {month}, {year}).
The renderer escapes the values for HTML; the templates hold no markup, so the same wording
serves the text and the HTML part.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from portal_reminders.emails.model import Kind


@dataclass(frozen=True, slots=True)
class KindWording:
    subject: str
    notification_intro: str
    # what is still waiting, as a clause a reminder's opening completes (ReminderWording)
    pending: str
    call_to_action: str
    button: str


@dataclass(frozen=True, slots=True)
class InvoiceWording:
    amount_label: str
    balance_label: str
    status_label: str
    paid_status: str
    partially_paid: str
    paid_subject: str
    paid_intro: str
    paid_no_action: str
    paid_button: str
    # a reminder's subject ({due_status} in place of the due date) and call to action once overdue
    reminder_subject: str
    overdue_call_to_action: str


@dataclass(frozen=True, slots=True)
class ApprovalsWording:
    subject_one: str
    subject_many: str
    intro_one: str
    intro_many: str
    call_to_action_one: str
    call_to_action_many: str
    button: str


@dataclass(frozen=True, slots=True)
class DigestWording:
    """One email for an account's reminders of the day (SPEC R20): {firm}, {count}; each item
    is introduced by `item_heading` ({position}, {count}, {title}) and then says what its own
    reminder would."""

    subject: str
    intro: str
    item_heading: str


@dataclass(frozen=True, slots=True)
class DueWording:
    """Where the item stands against its due date on the client's calendar ({days}, {due_date}):
    short for subjects, as a sentence for the body."""

    in_days: str
    tomorrow: str
    today: str
    overdue_one: str
    overdue_days: str
    in_days_sentence: str
    tomorrow_sentence: str
    today_sentence: str
    overdue_one_sentence: str
    overdue_days_sentence: str


@dataclass(frozen=True, slots=True)
class ReminderWording:
    """What makes a reminder unmistakably one (SPEC R12, R19): which it is ({label}), in its tone,
    when the item was first sent, and where it stands against its due date. Openings complete the
    kind's `pending` clause; {firm} and {first_sent} are values too."""

    ordinals: tuple[str, ...]  # the 1st, 2nd ... automatic reminder's label
    numbered: str  # past the ordinals: {number}
    final: str  # the label of the final one
    subject: str  # {label}, {subject}
    subject_due: str  # {subject}, {due_status}
    manual: str  # a firm user's resend
    gentle: str
    firm: str
    final_opening: str
    first_sent: str


@dataclass(frozen=True, slots=True)
class MoneyWording:
    """How an amount reads: `format` places {currency} and {number}; {currency} is the local symbol
    when `symbols` has one for the ISO code (BRL: "R$"), else the code itself."""

    format: str
    thousands_separator: str
    decimal_separator: str
    symbols: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class EscalationWording:
    """The firm-facing escalation email (SPEC R19, stage "escalation"): the client has not acted
    after the last automatic reminder. Values: {account}, {title}, {kind}, {days}, {due_date},
    {day}, {label}, {tone}, {firm}."""

    kind_names: dict[Kind, str]
    subject: str
    intro: str
    due: str
    sent_heading: str
    notification: str  # one line of what was sent: {day}
    automatic: str  # {day}, {label}, {tone}
    manual: str  # {day}
    tones: dict[str, str]
    next_step: str
    button: str
    greeting: str
    sign_off: str
    footer: str


@dataclass(frozen=True, slots=True)
class LanguageWording:
    kinds: dict[Kind, KindWording]
    invoice: InvoiceWording
    approvals: ApprovalsWording
    digest: DigestWording
    reminders: ReminderWording
    due: DueWording
    escalation: EscalationWording
    due_date_label: str
    # the firm's name in its emails while its profile has none
    unnamed_firm: str
    greeting: str
    generic_greeting: str
    note_heading: str
    link_fallback: str
    sign_off: str
    footer: str
    money: MoneyWording
    date_format: str
    months: tuple[str, ...]
