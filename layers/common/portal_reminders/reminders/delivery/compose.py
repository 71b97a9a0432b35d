"""Turn an email round into the email each contact receives (SPEC R12)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr
from typing import TYPE_CHECKING

from portal_reminders.models.domain import (
    Account,
    ActionItem,
    Contact,
    DigestMember,
    EmailRound,
    EmailStage,
    EmailWording,
    Firm,
    Language,
    ReminderPlan,
    RoundMode,
    Tone,
)
from portal_reminders.ports import OutgoingEmail
from portal_reminders.reminders.delivery import mail_tags
from portal_reminders.reminders.scheduling import client_clock

if TYPE_CHECKING:
    from portal_reminders.emails import Brand, EmailContent, ItemEmail, Wording


def portal_base(firm: Firm | None, default_portal_url: str) -> str:
    """The firm's own portal URL, else the stack's PortalBaseUrl."""
    return (firm.portal_url if firm and firm.portal_url else default_portal_url).rstrip("/")


def portal_link(item: ActionItem, firm: Firm | None, default_portal_url: str) -> str:
    return f"{portal_base(firm, default_portal_url)}/action-items/{item.id}"


def render_digest(
    members: Sequence[tuple[ActionItem, DigestMember]],
    account: Account,
    firm: Firm | None,
    contact: Contact,
    portal_url: str,
    *,
    now: datetime,
) -> EmailContent:
    """The one email a contact gets for the account's reminders of the day (SPEC R20): each item as
    its own automatic reminder would say it, with its own portal button, in the built-in words (the
    firm's own wordings are per item and stage; a digest is neither)."""
    from portal_reminders.emails import DigestEmail, render_digest_email  # noqa: PLC0415

    items = tuple(
        _item_email(item, account, firm, contact, EmailRound.scheduled(member.number), portal_url, now, member.plan)
        for item, member in members
    )
    return render_digest_email(
        DigestEmail(
            language=account.language.value,
            firm_name=firm_name(firm, account.language),
            recipient_name=contact.greeting_name,
            items=items,
            brand=brand(firm),
        )
    )


def render_round(
    item: ActionItem,
    account: Account,
    firm: Firm | None,
    contact: Contact,
    email_round: EmailRound,
    portal_url: str,
    *,
    now: datetime,
    plan: ReminderPlan | None = None,
    wording: EmailWording | None = None,
) -> EmailContent:
    """The email one contact gets for the round, sent `now`. A reminder says which one it is (an
    automatic one: its number and its `plan`'s tone), when the item was first sent and where it
    stands against its due date, on the client's calendar (SPEC R19). `wording` is the firm's own,
    for the round's stage (stage_of) in the account's language, if it has one (SPEC R21)."""
    # Imported when the first email is rendered: reads and scans never pay for the templates.
    from portal_reminders.emails import render_item_email  # noqa: PLC0415

    return render_item_email(
        _item_email(item, account, firm, contact, email_round, portal_url, now, plan), firm_wording(wording)
    )


def _item_email(
    item: ActionItem,
    account: Account,
    firm: Firm | None,
    contact: Contact,
    email_round: EmailRound,
    portal_url: str,
    now: datetime,
    plan: ReminderPlan | None,
) -> ItemEmail:
    from portal_reminders.emails import InvoiceSummary, ItemEmail  # noqa: PLC0415

    message = email_round.message if email_round.mode is RoundMode.MANUAL and email_round.message else item.message
    zone = client_clock.client_zone(firm, account)
    automatic = email_round.mode is RoundMode.SCHEDULED and not email_round.is_notification
    invoice = None
    if item.invoice is not None:
        invoice = InvoiceSummary(
            amount=item.invoice.amount,
            currency=item.invoice.currency,
            paid=item.invoice.paid,
            balance_due=item.invoice.balance_due,
        )
    return ItemEmail(
        kind=item.kind.value,
        language=account.language.value,
        purpose="notification" if email_round.is_notification else "reminder",
        firm_name=firm_name(firm, account.language),
        recipient_name=contact.greeting_name,
        item_title=item.title,
        portal_link=portal_link(item, firm, portal_url),
        message=message,
        invoice=invoice,
        brand=brand(firm),
        due_date=item.due_date,
        today=client_clock.client_today(now, zone),
        first_sent=client_clock.client_today(item.sent_at, zone),
        number=email_round.number if automatic else None,
        tone=plan.tone.value if automatic and plan is not None else None,
        client_name=account.name,
    )


def stage_of(email_round: EmailRound, plan: ReminderPlan | None) -> EmailStage:
    """Which of the firm's wordings a round uses (SPEC R21): the notification's; a manual resend
    and an automatic reminder the reminder's, except an automatic one in the final tone."""
    if email_round.is_notification:
        return EmailStage.NOTIFICATION
    automatic = email_round.mode is RoundMode.SCHEDULED
    if automatic and plan is not None and plan.tone is Tone.FINAL:
        return EmailStage.FINAL
    return EmailStage.REMINDER


def firm_wording(wording: EmailWording | None) -> Wording | None:
    """The firm's stored wording as the renderer takes it."""
    from portal_reminders.emails import Wording  # noqa: PLC0415

    return None if wording is None else Wording(subject=wording.subject, body=wording.body)


def firm_name(firm: Firm | None, language: Language) -> str:
    """The firm's name as a single line (it is the From display name): control characters, which
    the api refuses anyway, are never passed on to a header. A firm that has not named itself is
    "your accounting firm" in the client's language."""
    name = " ".join("".join(c if c.isprintable() else " " for c in (firm.name if firm else None) or "").split())
    if name:
        return name[:200]
    from portal_reminders.emails.catalogue import WORDING  # noqa: PLC0415 - loaded with the first email

    return WORDING[language.value].unnamed_firm


def brand(firm: Firm | None) -> Brand:
    """The firm's branding as the renderer takes it (the product's look when it has none)."""
    from portal_reminders.emails import Brand  # noqa: PLC0415

    if firm is None:
        return Brand()
    branding = firm.branding
    return Brand(logo_url=branding.logo_url, accent_color=branding.accent_color, signature=branding.signature)


def sender_address(firm: Firm | None, stack_sender: str) -> str:
    """reminders@<the firm's domain> once the mail service has verified it (SPEC R21), else the
    stack's sender. Read from the firm record the round already loaded: no extra read per mail."""
    domain = firm.sending_domain if firm else None
    return domain.sender_address if domain is not None and domain.verified else stack_sender


def outgoing(
    content: EmailContent,
    contact: Contact,
    account: Account,
    firm: Firm | None,
    stack_sender: str,
    tags: dict[str, str],
) -> OutgoingEmail:
    """The mail to one contact; its tags name the contact too (mail_tags), so that a bounce or a
    complaint about it finds the contact again."""
    return OutgoingEmail(
        to=contact.email,
        sender=formataddr((firm_name(firm, account.language), sender_address(firm, stack_sender))),
        subject=content.subject,
        text=content.text,
        html=content.html,
        reply_to=firm.reply_to if firm else None,
        tags={**tags, **mail_tags.for_contact(contact)},
    )


def render_approvals(
    account: Account,
    firm: Firm | None,
    contact: Contact,
    documents: list[str],
    message: str | None,
    portal_url: str,
) -> EmailContent:
    """The bulk approval request email: every document of the account pending approval (R6)."""
    from portal_reminders.emails import PendingApprovalsEmail, render_pending_approvals_email  # noqa: PLC0415

    return render_pending_approvals_email(
        PendingApprovalsEmail(
            language=account.language.value,
            firm_name=firm_name(firm, account.language),
            recipient_name=contact.greeting_name,
            documents=tuple(documents),
            portal_link=f"{portal_base(firm, portal_url)}/approvals",
            message=message,
            brand=brand(firm),
        )
    )
