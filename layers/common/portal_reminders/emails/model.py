"""What an email to a client is about; the renderer turns these into subject, text and HTML."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Kind = Literal["organizer", "proposal", "invoice", "chat", "signature", "approval"]
# BCP 47 tags, as the HTML part's lang says: European and Brazilian Portuguese are two languages here
Language = Literal["en", "pt-PT", "pt-BR", "es"]
Purpose = Literal["notification", "reminder"]
Tone = Literal["gentle", "firm", "final"]


@dataclass(frozen=True, slots=True)
class EmailContent:
    subject: str
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class Brand:
    """The firm's look, an input of every email (SPEC R21): a logo (https URL) in the HTML header,
    an accent colour ("#RRGGBB") on the button and the header rule, a plain-text signature after
    the sign-off. None: the product's default."""

    logo_url: str | None = None
    accent_color: str | None = None
    signature: str | None = None


NO_BRAND = Brand()


@dataclass(frozen=True, slots=True)
class InvoiceSummary:
    amount: Decimal
    currency: str
    paid: bool
    balance_due: Decimal


@dataclass(frozen=True, slots=True)
class ItemEmail:
    kind: Kind
    language: Language
    # "notification" is the first email when the item is sent; "reminder" is any later one,
    # automatic or a manual resend.
    purpose: Purpose
    firm_name: str
    # the name the greeting uses ("Hi Olivia,"): the contact's first name
    recipient_name: str
    item_title: str
    portal_link: str
    message: str | None = None
    invoice: InvoiceSummary | None = None
    brand: Brand = NO_BRAND
    # the client's calendar day the item is due (an invoice always has one)
    due_date: date | None = None
    # a reminder's facts (SPEC R19): the client's calendar day it is sent on (for "due in 3 days"),
    # the day the item was first sent, and for an automatic one which it is and its tone (a manual
    # resend has neither)
    today: date | None = None
    first_sent: date | None = None
    number: int | None = None
    tone: Tone | None = None
    # the account's name: the firm's own wording may name the client (SPEC R21, {{client_name}})
    client_name: str = ""


@dataclass(frozen=True, slots=True)
class PendingApprovalsEmail:
    """One email per account listing every document it has pending approval (SPEC R6)."""

    language: Language
    firm_name: str
    recipient_name: str
    documents: tuple[str, ...]
    portal_link: str
    message: str | None = None
    brand: Brand = NO_BRAND


@dataclass(frozen=True, slots=True)
class DigestEmail:
    """One email listing every automatic reminder of an account due on one client day (SPEC R20):
    each item as its own reminder would say it (which one, its tone, its due status), with its own
    button. `items` are reminders (purpose "reminder", each with its number and tone)."""

    language: Language
    firm_name: str
    recipient_name: str
    items: tuple[ItemEmail, ...]
    brand: Brand = NO_BRAND


@dataclass(frozen=True, slots=True)
class SentEmail:
    """One email the client was sent about an item, as an escalation lists it: the first one
    (`number` 0), an automatic reminder (its number and tone) or a firm user's resend (`manual`)."""

    day: date
    number: int = 0
    tone: Tone | None = None
    manual: bool = False


@dataclass(frozen=True, slots=True)
class EscalationEmail:
    """The firm is told a client has not acted after the last automatic reminder (SPEC R19). It goes
    to the firm, in `language` (the firm's: English until firms have one)."""

    language: Language
    firm_name: str
    account_name: str
    kind: Kind
    item_title: str
    days: int
    portal_link: str
    sent: tuple[SentEmail, ...] = ()
    due_date: date | None = None
    # what the firm's own wording of it may name (SPEC R21, stage "escalation"): the client's first
    # notify contact's first name, the invoice, the client's calendar day it is sent on, the day the
    # item was first sent, and how many automatic reminders went
    contact_first_name: str = ""
    invoice: InvoiceSummary | None = None
    today: date | None = None
    first_sent: date | None = None
    reminders_sent: int | None = None
