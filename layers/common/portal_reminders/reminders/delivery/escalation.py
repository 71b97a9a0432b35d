"""The escalation email (SPEC R19): the firm is told a client has not acted after the last automatic
reminder. It rides an item's scheduled round (policy.escalating), but its one recipient is the firm:
the profile's `escalation_email`, else its `reply_to`; neither, and the round emails nobody (the
audit, `escalated_at` and ItemEscalated still say the item escalated).

It is written in English: the firm profile has no language yet (the client's account language is
the client's, not the firm's). Its words are in emails/texts.py under the stage "escalation",
unless the firm wrote its own for the item's kind in English (SPEC R21, `PUT
/email-templates/{kind}/escalation/en`): the batch that reads the item reads that wording too, but
only for an item whose next scheduled round is its escalation (`due_next`), so a reminder never
pays for it. Its preview (`POST /email-previews`, stage escalation: reminders/clients/wordings.py)
renders it with the same sent_history and render.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from email.utils import formataddr
from typing import TYPE_CHECKING

from portal_reminders.models.domain import (
    Account,
    ActionItem,
    AuditEvent,
    AuditType,
    Contact,
    EmailRound,
    EmailStage,
    EmailWording,
    Firm,
    Language,
    WordingKey,
)
from portal_reminders.ports import OutgoingEmail
from portal_reminders.reminders.delivery import compose, mail_tags
from portal_reminders.reminders.scheduling import client_clock, policy

if TYPE_CHECKING:
    from portal_reminders.emails import EmailContent
    from portal_reminders.repository.ports import ItemRepository

# The firm's language until the profile has one.
LANGUAGE = Language.EN
# The stage of the firm's own wording of it (SPEC R21).
STAGE = EmailStage.ESCALATION
# The audit events read for "what was sent and when" (an item has at most 10 automatic reminders).
HISTORY_LIMIT = 100
# The round's one "contact": the firm. Its mail carries no contact tag, so a bounce of it never
# suppresses a client's contact (mail_tags.origin refuses it).
FIRM_CONTACT_ID = "firm"
ROUND_TAG = "escalation"


def due_next(item: ActionItem) -> bool:
    """The item's next scheduled round is its escalation (policy.escalating), or began as one (a
    retry keeps its plan): the round that may take the firm's escalation wording."""
    if policy.escalating(item):
        return True
    progress = item.deliveries.get(EmailRound.scheduled(policy.next_number(item)).key)
    return progress is not None and progress.plan is not None and progress.plan.escalation


def wording_key(item: ActionItem) -> WordingKey:
    """The firm's wording the item's escalation takes: its kind's, in the firm's language."""
    return WordingKey(item.kind, STAGE, LANGUAGE)


def address(firm: Firm | None) -> str | None:
    if firm is None:
        return None
    return firm.escalation_email or firm.reply_to


def recipients(firm: Firm | None) -> list[Contact]:
    """Whom the escalation emails: the firm's address, or nobody."""
    to = address(firm)
    return (
        []
        if to is None
        else [Contact(id=FIRM_CONTACT_ID, name=compose.firm_name(firm, LANGUAGE), email=to, notify=True)]
    )


def history(events: Sequence[AuditEvent]) -> list[tuple[datetime, int, str | None, bool]]:
    """What the client was sent, oldest first: (when, number, tone, manual) of the first email and
    of each reminder that reached someone."""
    sent: list[tuple[datetime, int, str | None, bool]] = []
    for event in events:
        if event.details.get("nobody_emailed"):
            continue
        if event.type is AuditType.ITEM_SENT:
            sent.append((event.at, 0, None, False))
        elif event.type is AuditType.REMINDER_SENT:
            manual = event.details.get("mode") == "manual"
            number = event.details.get("number")
            tone = event.details.get("tone")
            sent.append(
                (event.at, number if isinstance(number, int) else 0, tone if isinstance(tone, str) else None, manual)
            )
    return sorted(sent, key=lambda entry: entry[0])


def sent_history(items: ItemRepository, item: ActionItem) -> list[tuple[datetime, int, str | None, bool]]:
    """What the client was sent, read from the item's audit trail: the send path and the preview
    (SPEC R21) read it alike."""
    return history(items.item_audit(item.firm_id, item.id, HISTORY_LIMIT, None).items)


def render(
    item: ActionItem,
    account: Account | None,
    firm: Firm | None,
    sent: Sequence[tuple[datetime, int, str | None, bool]],
    portal_url: str,
    *,
    now: datetime,
    wording: EmailWording | None = None,
) -> EmailContent:
    """The email, sent `now`: the account, the item, what was sent on which of the client's days,
    and its link; in the firm's own `wording` of it (wording_key), if it has one."""
    # Imported when the first escalation is rendered, as compose does for client emails.
    from portal_reminders.emails import (  # noqa: PLC0415
        EscalationEmail,
        InvoiceSummary,
        SentEmail,
        render_escalation_email,
    )

    lines = tuple(
        SentEmail(
            day=client_clock.client_today(at, item.zone),
            number=number,
            tone=tone if tone in ("gentle", "firm", "final") else None,  # type: ignore[arg-type]
            manual=manual,
        )
        for at, number, tone, manual in sent
    )
    # whom the client's emails went to first, and the invoice: the firm's wording may name them
    contacts = account.notify_contacts if account is not None else ()
    invoice = None
    if item.invoice is not None:
        invoice = InvoiceSummary(
            amount=item.invoice.amount,
            currency=item.invoice.currency,
            paid=item.invoice.paid,
            balance_due=item.invoice.balance_due,
        )
    return render_escalation_email(
        EscalationEmail(
            language=LANGUAGE.value,
            firm_name=compose.firm_name(firm, LANGUAGE),
            account_name=account.name if account is not None else item.account_id,
            kind=item.kind.value,
            item_title=item.title,
            days=item.reminders.escalate_after_days or 0,
            portal_link=compose.portal_link(item, firm, portal_url),
            sent=lines,
            due_date=item.due_date,
            contact_first_name=contacts[0].greeting_name if contacts else "",
            invoice=invoice,
            today=client_clock.client_today(now, item.zone),
            first_sent=client_clock.client_today(item.sent_at, item.zone),
            reminders_sent=item.reminders_sent,
        ),
        compose.firm_wording(wording),
    )


def outgoing(
    content: EmailContent, contact: Contact, firm: Firm | None, sender_address: str, tags: dict[str, str]
) -> OutgoingEmail:
    """The mail to the firm: from the stack's sender in the firm's name, tagged with the round's
    ids but no contact (it is not a client's mail)."""
    return OutgoingEmail(
        to=contact.email,
        sender=formataddr((compose.firm_name(firm, LANGUAGE), sender_address)),
        subject=content.subject,
        text=content.text,
        html=content.html,
        reply_to=None,
        tags={**tags, mail_tags.ROUND: ROUND_TAG},
    )
