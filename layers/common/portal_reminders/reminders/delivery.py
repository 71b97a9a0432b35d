"""Deliver one email round (notification, automatic or manual reminder) about one item.

The round is idempotent on its business key (item + round key, e.g. `scheduled:2`): the sender
re-reads the item and re-checks every stop rule, takes a short delivery lease on the item so two
workers never email the same round at once, skips contacts that already have this round's email
(a retry after SES throttled halfway), and records the result with a conditional write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from portal_reminders.clock import now as clock_now
from portal_reminders.models.domain import ActionItem, Contact, EmailRound, ItemRef, RoundMode
from portal_reminders.models.errors import ConcurrentModification, DeliveryInProgress
from portal_reminders.observability import logger
from portal_reminders.ports import Mailer, OutgoingEmail
from portal_reminders.reminders import compose, policy, transitions
from portal_reminders.reminders.mailing import email_each
from portal_reminders.repository.ports import DeliverySnapshot, ItemRepository
from portal_reminders.settings import Settings

# How often a write is retried after another writer changed the item in between (re-read each time).
WRITE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    status: str  # "sent" | "skipped" | "failed"
    item: ActionItem | None
    reason: str | None = None
    recipients: tuple[str, ...] = ()
    rejected: dict[str, str] = field(default_factory=dict)


def refusal(item: ActionItem, email_round: EmailRound, now: datetime) -> str | None:
    """Why this round must not be emailed now; None when it may go."""
    if email_round.mode is RoundMode.MANUAL:
        if email_round.key in item.done_keys:
            return policy.SKIP_ALREADY_DELIVERED
        return policy.resend_refusal(item)
    return policy.skip_reason_for_scheduled(item, email_round.number, now)


def _needs_release(item: ActionItem, email_round: EmailRound) -> bool:
    holds_claim = item.claim is not None and item.claim.number == email_round.number
    return email_round.key in item.deliveries or (email_round.mode is RoundMode.SCHEDULED and holds_claim)


def _still_recordable(item: ActionItem, email_round: EmailRound) -> bool:
    if email_round.mode is RoundMode.MANUAL:
        return email_round.key not in item.done_keys
    return policy.next_number(item) == email_round.number


class Deliverer:
    def __init__(
        self,
        items: ItemRepository,
        mailer: Mailer,
        settings: Settings,
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._items = items
        self._mailer = mailer
        self._settings = settings
        self._now = now

    def deliver(self, ref: ItemRef, email_round: EmailRound) -> DeliveryOutcome:
        for _ in range(WRITE_ATTEMPTS):
            try:
                return self._attempt(ref, email_round)
            except ConcurrentModification:
                logger.info("item changed while delivering; re-reading", extra={"item_id": ref.item_id})
        raise ConcurrentModification(ref.item_id)

    def give_up(self, ref: ItemRef, email_round: EmailRound, reason: str) -> DeliveryOutcome:
        """The round exhausted its retries: record email_failed instead of retrying forever
        (and, if it reached some contacts before failing, the email they got)."""
        for _ in range(WRITE_ATTEMPTS):
            item = self._items.get_item(ref.firm_id, ref.item_id)
            if item is None or not _still_recordable(item, email_round):
                return DeliveryOutcome("skipped", item, reason=policy.SKIP_ALREADY_SENT)
            reached = transitions.delivered_so_far(item, email_round)
            if reached:
                missing = self._missing_contacts(ref, reached)
                item, events = transitions.record_delivery(
                    item, email_round, self._now(), reached, dict.fromkeys(missing, reason)
                )
            else:
                item, events = transitions.record_failure(item, email_round, self._now(), reason)
            try:
                return DeliveryOutcome("failed", self._items.save_item(item, events), reason=reason)
            except ConcurrentModification:
                continue
        raise ConcurrentModification(ref.item_id)

    def _missing_contacts(self, ref: ItemRef, reached: tuple[str, ...]) -> list[str]:
        account = self._items.load_for_delivery(ref).account
        notify = [] if account is None else [c.email for c in account.notify_contacts]
        return [address for address in notify if address not in reached]

    def _attempt(self, ref: ItemRef, email_round: EmailRound) -> DeliveryOutcome:
        now = self._now()
        snapshot = self._items.load_for_delivery(ref)
        item = snapshot.item
        if item is None:
            return DeliveryOutcome("skipped", None, reason="item_not_found")
        reason = refusal(item, email_round, now)
        if reason is not None:
            reached = transitions.delivered_so_far(item, email_round)
            if reached and _still_recordable(item, email_round):
                # It stopped halfway earlier; those contacts did get it, so it is recorded for them.
                return self._record(item, email_round, now, reached, {})
            if _needs_release(item, email_round):
                item = self._items.save_item(transitions.release(item, email_round))
            logger.info("email round skipped", extra={"item_id": item.id, "round": email_round.key, "reason": reason})
            return DeliveryOutcome("skipped", item, reason=reason)
        delivery = item.deliveries.get(email_round.key)
        if delivery is not None and delivery.until > now:
            raise DeliveryInProgress(f"{item.id} {email_round.key}")
        item = self._items.save_item(
            transitions.start_delivery(item, email_round.key, now + self._settings.delivery_lease)
        )
        return self._send_and_record(item, snapshot, email_round, now)

    def _send_and_record(
        self, item: ActionItem, snapshot: DeliverySnapshot, email_round: EmailRound, now: datetime
    ) -> DeliveryOutcome:
        account = snapshot.account
        delivery = item.deliveries[email_round.key]
        contacts = [] if account is None else [c for c in account.notify_contacts if c.email not in delivery.delivered]
        tags = {"kind": item.kind.value, "round": email_round.mode.value}

        def build(contact: Contact) -> OutgoingEmail:
            assert account is not None
            content = compose.render_round(
                item, account, snapshot.firm, contact, email_round, self._settings.portal_base_url
            )
            return compose.outgoing(content, contact, snapshot.firm, self._settings.sender_address, tags)

        sent, rejected = email_each(
            contacts,
            build,
            self._mailer,
            lambda sent: self._pause(item, email_round, sent, now),
            f"{item.id} {email_round.key}",
        )
        recipients = tuple(sorted(delivery.delivered | set(sent)))
        return self._record(item, email_round, now, recipients, rejected)

    def _pause(self, item: ActionItem, email_round: EmailRound, sent: list[str], now: datetime) -> None:
        """Remember who already has the email, and free the round for an immediate retry."""
        for _ in range(WRITE_ATTEMPTS):
            try:
                self._items.save_item(transitions.pause_delivery(item, email_round.key, sent, now))
                return
            except ConcurrentModification:
                fresh = self._items.get_item(item.firm_id, item.id)
                if fresh is None:
                    return
                item = fresh

    def _record(
        self,
        item: ActionItem,
        email_round: EmailRound,
        at: datetime,
        recipients: tuple[str, ...],
        rejected: dict[str, str],
    ) -> DeliveryOutcome:
        for _ in range(WRITE_ATTEMPTS):
            updated, events = transitions.record_delivery(item, email_round, at, recipients, rejected)
            try:
                saved = self._items.save_item(updated, events)
            except ConcurrentModification:
                # The emails went out: record them on the fresh item (the firm may have edited it).
                fresh = self._items.get_item(item.firm_id, item.id)
                if fresh is None or not _still_recordable(fresh, email_round):
                    return DeliveryOutcome("skipped", fresh, reason=policy.SKIP_ALREADY_SENT)
                item = fresh
                continue
            status = "failed" if rejected and not recipients else "sent"
            logger.info(
                "email round recorded",
                extra={
                    "item_id": item.id,
                    "round": email_round.key,
                    "recipients": len(recipients),
                    "status": status,
                },
            )
            return DeliveryOutcome(status, saved, recipients=recipients, rejected=rejected)
        raise ConcurrentModification(item.id)
