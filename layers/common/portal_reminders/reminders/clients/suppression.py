"""Bounces and complaints (SPEC R15): the suppression function's use case.

The mail service tells us, through the stack's configuration set and EventBridge, when a mail we
sent bounced or its recipient marked it as spam. A permanent bounce or a complaint suppresses the
contact the mail went to: no later email goes to it (rounds.to_email leaves it out) until the firm
changes its address or lifts the suppression. The mail's tags (mail_tags) say which firm, account,
item and contact it was for; the contact is suppressed and an `email_bounced` / `email_complained`
audit event is written on the item, in one transaction, and the publisher announces
ContactSuppressed from it.

Events that change nothing are logged and dropped, never retried: a transient bounce, a delivery,
mail of another stack or without our tags, a contact that is gone or has another address now, the
same event delivered again, a contact already suppressed, mail sent before the firm lifted the
suppression (the firm looked at the address and wants it mailed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from portal_reminders import clock, ids
from portal_reminders.models.domain import (
    SYSTEM_ACTOR,
    Account,
    AuditType,
    Contact,
    ItemRef,
    Suppression,
    SuppressionReason,
)
from portal_reminders.models.errors import ConcurrentModification
from portal_reminders.models.ses_events import FeedbackKind, MailFeedback, MalformedFeedback, parse_feedback
from portal_reminders.observability import count, count_by, logger
from portal_reminders.reminders.delivery import mail_tags
from portal_reminders.reminders.state import transitions
from portal_reminders.repository.ports import ItemRepository, SuppressionRepository

ATTEMPTS = 5


class Outcome(StrEnum):
    SUPPRESSED = "suppressed"
    IGNORED = "ignored"  # nothing to do (a transient bounce, a delivery, a redelivery, ...)
    UNMAPPABLE = "unmappable"  # not a mail of ours, or it names nothing that exists


@dataclass(frozen=True, slots=True)
class SuppressionResult:
    outcome: Outcome
    reason: str
    contact_id: str | None = None
    suppression: SuppressionReason | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reason": self.reason,
            "contact_id": self.contact_id,
            "suppression": None if self.suppression is None else self.suppression.value,
        }


REASONS = {FeedbackKind.BOUNCE: SuppressionReason.BOUNCE, FeedbackKind.COMPLAINT: SuppressionReason.COMPLAINT}
SUPPRESSED_BY = {SuppressionReason.BOUNCE: "a permanent bounce", SuppressionReason.COMPLAINT: "a complaint"}
AUDIT_TYPES = {
    SuppressionReason.BOUNCE: AuditType.EMAIL_BOUNCED,
    SuppressionReason.COMPLAINT: AuditType.EMAIL_COMPLAINED,
}


def receive_feedback(event: Any, service: SuppressionService) -> SuppressionResult:
    """One SES event as EventBridge delivers it: suppress, or log and drop; counted either way."""
    try:
        feedback = parse_feedback(event)
    except MalformedFeedback as error:
        logger.error("ses event dropped: unreadable", extra={"reason": str(error)})
        count("SesEventsDropped", 1)
        return SuppressionResult(Outcome.UNMAPPABLE, str(error))
    result = service.handle(feedback)
    if result.suppression is not None:
        count_by("ContactsSuppressed", 1, "reason", result.suppression.value)
    else:
        count("SesEventsDropped", 1)
    return result


class SuppressionService:
    def __init__(
        self,
        items: ItemRepository,
        suppressions: SuppressionRepository,
        configuration_set: str,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._items = items
        self._suppressions = suppressions
        self._configuration_set = configuration_set
        self._now = now

    def handle(self, feedback: MailFeedback) -> SuppressionResult:
        reason = REASONS.get(feedback.kind)
        if reason is None:
            return _ignored(feedback, Outcome.IGNORED, "not a bounce or a complaint")
        if not feedback.permanent:
            return _ignored(feedback, Outcome.IGNORED, "a transient bounce: the address may work later")
        try:
            origin = mail_tags.origin(feedback.tags)
        except mail_tags.BadTag as error:
            return _ignored(feedback, Outcome.UNMAPPABLE, f"not a mail of this product: {error}")
        if origin.configuration_set and origin.configuration_set != self._configuration_set:
            return _ignored(feedback, Outcome.UNMAPPABLE, "sent with another configuration set (another stack)")
        if not (
            ids.is_external_id(origin.firm_id)
            and ids.is_id(origin.account_id, ids.ACCOUNT)
            and ids.is_id(origin.item_id, ids.ITEM)
            and ids.is_id(origin.contact_id, ids.CONTACT)
        ):
            return _ignored(feedback, Outcome.UNMAPPABLE, "its tags are not ids this product makes")
        ref = ItemRef(firm_id=origin.firm_id, item_id=origin.item_id, account_id=origin.account_id)
        for _ in range(ATTEMPTS - 1):
            try:
                return self._suppress(ref, origin.contact_id, reason, feedback)
            except ConcurrentModification:
                logger.info("account changed while suppressing; re-reading", extra={"account_id": ref.account_id})
        return self._suppress(ref, origin.contact_id, reason, feedback)

    def _suppress(
        self, ref: ItemRef, contact_id: str, reason: SuppressionReason, feedback: MailFeedback
    ) -> SuppressionResult:
        snapshot = self._items.load_for_delivery(ref)
        account, item = snapshot.account, snapshot.item
        if account is None or item is None or item.account_id != account.id:
            return _ignored(feedback, Outcome.UNMAPPABLE, "no such account and item in the firm")
        contact = next((c for c in account.contacts if c.id == contact_id), None)
        if contact is None:
            return _ignored(feedback, Outcome.UNMAPPABLE, "the contact is no longer on the account")
        why_not = _unchanged_because(contact, feedback)
        if why_not is not None:
            return _ignored(feedback, Outcome.IGNORED, why_not, contact.id)
        suppression = Suppression(reason=reason, at=feedback.at, key=feedback.key)
        details: dict[str, Any] = {"reason": reason.value, "contact_id": contact.id, "message_id": feedback.message_id}
        if feedback.bounce_type:
            details["bounce_type"] = feedback.bounce_type
        event = transitions.audit_event(item, AUDIT_TYPES[reason], feedback.at, SYSTEM_ACTOR, (contact.email,), details)
        # the same event from SES again makes the same audit record, which the write refuses
        event = replace(event, id=ids.derived_id(ids.EVENT, feedback.key, contact.id), sequence=item.version)
        self._suppressions.save_suppression(_with_suppression(account, contact.id, suppression), [event])
        logger.info(
            "contact suppressed",
            extra={
                "firm_id": ref.firm_id,
                "account_id": ref.account_id,
                "item_id": ref.item_id,
                "contact_id": contact.id,
                "reason": reason.value,
                "message_id": feedback.message_id,
            },
        )
        return SuppressionResult(Outcome.SUPPRESSED, SUPPRESSED_BY[reason], contact.id, reason)


def _unchanged_because(contact: Contact, feedback: MailFeedback) -> str | None:
    """Why this feedback leaves the contact as it is, or None when it suppresses it."""
    if contact.email.casefold() not in {r.casefold() for r in feedback.recipients}:
        return "the contact's address is not the one the event is about (changed since)"
    previous = contact.suppression
    if previous is None:
        return None
    if previous.key == feedback.key:
        return "the same event again: already handled"
    if previous.active:
        return "the contact is already suppressed"
    lifted = previous.lifted_at
    if lifted is not None and feedback.mail_sent_at is not None and feedback.mail_sent_at <= lifted:
        return "about mail sent before the firm lifted the suppression"
    return None


def _with_suppression(account: Account, contact_id: str, suppression: Suppression) -> Account:
    contacts = tuple(replace(c, suppression=suppression) if c.id == contact_id else c for c in account.contacts)
    return replace(account, contacts=contacts)


def _ignored(feedback: MailFeedback, outcome: Outcome, reason: str, contact_id: str | None = None) -> SuppressionResult:
    level = logger.warning if outcome is Outcome.UNMAPPABLE else logger.info
    level(
        "ses event dropped",
        extra={
            "message_id": feedback.message_id,
            "event_type": feedback.kind.value,
            "outcome": outcome,
            "reason": reason,
        },
    )
    return SuppressionResult(outcome, reason, contact_id)
