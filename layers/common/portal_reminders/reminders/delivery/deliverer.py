"""Deliver one email round (notification, automatic or manual reminder) about one item.

The round is idempotent on its business key (item + round key, e.g. `scheduled:2`). Read as a
straight line:

1. re-read the item (or take the batch's snapshot) and re-check every stop rule;
2. give the round up if the mail service has refused it for the whole retry horizon (SPEC R14);
3. take the round's lease, then for each contact still owed: wait for a turn on the shared send
   rate, mark the contact, call the mail service, note the answer (mailing.py, rounds.py);
4. record the round, its audit event and the portal-task bump in one conditional write.

A failure at any point leaves the round where a retry can finish it without emailing anyone twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from portal_reminders import clock
from portal_reminders.models.domain import (
    ActionItem,
    ClientTime,
    Contact,
    Delivery,
    EmailRound,
    ItemRef,
    ReminderPlan,
    RoundMode,
)
from portal_reminders.models.errors import (
    ConcurrentModification,
    DeliveryInProgress,
    RoundNotRecorded,
    StorageUnavailable,
)
from portal_reminders.observability import logger
from portal_reminders.ports import Mailer, OutgoingEmail
from portal_reminders.reminders.delivery import compose, digest, escalation, mail_tags, mailing
from portal_reminders.reminders.delivery.backoff import before_rewrite
from portal_reminders.reminders.delivery.daily_cap import Allowance, DailyCap
from portal_reminders.reminders.delivery.digest import DigestRounds
from portal_reminders.reminders.delivery.pacing import SendPacer
from portal_reminders.reminders.scheduling import client_clock, policy
from portal_reminders.reminders.state import rounds, transitions
from portal_reminders.repository.ports import DeliverySnapshot, ItemRepository
from portal_reminders.settings import Settings

# How often a write is retried after another writer changed the item in between (re-read each time).
WRITE_ATTEMPTS = 5


class RoundStatus(StrEnum):
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class DeliveryOutcome:
    status: RoundStatus
    item: ActionItem | None
    reason: str | None = None
    recipients: tuple[str, ...] = ()
    rejected: dict[str, str] = field(default_factory=dict)
    suppressed: tuple[str, ...] = ()  # notify contacts left out: suppressed (SPEC R15)
    given_up: bool = False  # the mail service refused it for the whole retry horizon
    # the reminders a digest recorded with this one (SPEC R20): (item id, number) of each of its items
    digest: tuple[tuple[str, int], ...] = ()


def refusal(item: ActionItem, email_round: EmailRound, now: datetime, client: ClientTime | None = None) -> str | None:
    """Why this round must not be emailed now; None when it may go. `client` is the client's time
    as it is now: automatic reminders keep to its sending window and wait out its pause; nothing
    else does."""
    if email_round.mode is RoundMode.MANUAL:
        if email_round.key in item.done_keys:
            return policy.SKIP_ALREADY_DELIVERED
        return policy.resend_refusal(item)
    client = client or ClientTime()
    return policy.skip_reason_for_scheduled(item, email_round.number, now, client.window, client.paused_until)


def _needs_release(item: ActionItem, email_round: EmailRound) -> bool:
    holds_claim = item.claim is not None and item.claim.number == email_round.number
    return email_round.key in item.deliveries or (email_round.mode is RoundMode.SCHEDULED and holds_claim)


def _still_recordable(item: ActionItem, email_round: EmailRound) -> bool:
    if email_round.mode is RoundMode.MANUAL:
        return email_round.key not in item.done_keys
    return policy.next_number(item) == email_round.number and item.failed_number != email_round.number


def _automatic(email_round: EmailRound) -> bool:
    return email_round.mode is RoundMode.SCHEDULED and not email_round.is_notification


def _round_plan(
    item: ActionItem, email_round: EmailRound, current: Delivery | None, now: datetime
) -> ReminderPlan | None:
    """Which step, in which words, or the escalation: chosen once, when an automatic reminder's
    round begins, and kept on it for its retries (SPEC R19)."""
    if not _automatic(email_round):
        return None
    return current.plan if current is not None and current.plan is not None else policy.plan_reminder(item, now)


def _recipients(snapshot: DeliverySnapshot, escalating: bool) -> list[Contact]:
    """The firm for an escalation; else the account's notify contacts."""
    if escalating:
        return escalation.recipients(snapshot.firm)
    return [] if snapshot.account is None else list(snapshot.account.notify_contacts)


class Deliverer:
    def __init__(
        self,
        items: ItemRepository,
        mailer: Mailer,
        pacer: SendPacer,
        cap: DailyCap,
        settings: Settings,
        now: Callable[[], datetime] = clock.now,
        digests: Callable[[mailing.RoundMailer], DigestRounds] | None = None,
    ) -> None:
        self._items = items
        self._rounds = mailing.RoundMailer(mailer, pacer, settings.give_up_by)
        # one email per client (SPEC R20); without it every reminder goes on its own
        self._digests = None if digests is None else digests(self._rounds)
        self._cap = cap
        self._settings = settings
        self._now = now

    def deliver(
        self,
        ref: ItemRef,
        email_round: EmailRound,
        snapshot: DeliverySnapshot | None = None,
        allowance: Allowance | None = None,
    ) -> DeliveryOutcome:
        """Email the round, or finish it. Raises MailUnavailable / OutOfTime / DeliveryInProgress /
        StorageUnavailable / DailyCapReached for the caller to retry later, RoundNotRecorded when
        mail went out but could not be recorded (the caller hands the round to the send queue to
        finish). `allowance` is what the caller already counted against the firm's daily cap."""
        with self._cap.drawing_on(allowance) as drawn_on:
            for attempt in range(WRITE_ATTEMPTS):
                try:
                    return self._attempt(ref, email_round, snapshot if attempt == 0 else None, drawn_on)
                except ConcurrentModification:
                    logger.info("item changed while delivering; re-reading", extra={"item_id": ref.item_id})
                    before_rewrite(attempt)
            raise ConcurrentModification(ref.item_id)

    def _attempt(
        self, ref: ItemRef, email_round: EmailRound, snapshot: DeliverySnapshot | None, allowance: Allowance
    ) -> DeliveryOutcome:
        now = self._now()
        snapshot = snapshot or self._items.load_for_delivery(ref)
        item = snapshot.item
        if item is None:
            return DeliveryOutcome(RoundStatus.SKIPPED, None, reason="item_not_found")
        # the client's time zone and sending window as the batch read them, kept on every write (SPEC R16)
        client = client_clock.client_time(snapshot.firm, snapshot.account)
        item = transitions.seen_client(item, client)
        if self._in_digest(item, snapshot, email_round):
            # a digest listing it went out (part of it, at least): it is finished whatever changed since
            return self._digest(item, snapshot, now, allowance) or self._skip(
                item, email_round, now, policy.SKIP_ALREADY_SENT
            )
        reason = refusal(item, email_round, now, client)
        if reason == policy.SKIP_OUTSIDE_HOURS:
            item = transitions.defer(item, now)
        if reason is not None:
            return self._skip(item, email_round, now, reason)
        current = item.deliveries.get(email_round.key)
        if rounds.held_by_another(current, now):
            raise DeliveryInProgress(f"{item.id} {email_round.key}")
        plan = _round_plan(item, email_round, current, now)
        escalating = plan is not None and plan.escalation
        contacts = _recipients(snapshot, escalating)
        nobody = None if escalating else transitions.nobody_to_email(contacts)
        if nobody is not None and _automatic(email_round) and not rounds.reached_anyone(current):
            # never a fake reminder (SPEC R20): not counted, audited as skipped, the schedule goes on
            return self._record_skip(item, email_round, now, nobody, contacts)
        if rounds.past_retry_horizon(current, now, self._settings.give_up_after):
            return self._give_up(item, email_round, now, contacts)
        if (
            current is None
            and _automatic(email_round)
            and not escalating
            and (sent := self._digest(item, snapshot, now, allowance))
        ):
            return sent
        owed = rounds.to_email(contacts, current)
        progress = rounds.skipping(rounds.begin(current, now, self._settings.delivery_lease), contacts)
        if plan is not None:
            progress = rounds.planned(progress, plan)
        if owed:
            item, progress = self._email(item, snapshot, email_round, now, owed, progress, allowance)
        return self._record(item, email_round, now, progress)

    def _in_digest(self, item: ActionItem, snapshot: DeliverySnapshot, email_round: EmailRound) -> bool:
        return (
            self._digests is not None
            and _automatic(email_round)
            and digest.owed_digest(snapshot.account, item.id, email_round.number) is not None
        )

    def _digest(
        self, item: ActionItem, snapshot: DeliverySnapshot, now: datetime, allowance: Allowance
    ) -> DeliveryOutcome | None:
        """The day's digest listing this reminder (SPEC R20); None when it goes on its own."""
        if self._digests is None or snapshot.account is None:
            return None
        done = self._digests.deliver(item, snapshot.account, snapshot.firm, now, allowance)
        if done is None:
            return None
        progress = done.progress
        recipients = tuple(sorted(progress.delivered))
        failed = (progress.rejected or progress.suppressed or done.given_up) and not recipients
        return DeliveryOutcome(
            RoundStatus.FAILED if failed else RoundStatus.SENT,
            done.item,
            recipients=recipients,
            rejected=dict(progress.rejected),
            suppressed=tuple(sorted(progress.suppressed)),
            digest=tuple((i, progress.members[i].number) for i in done.members),
            reason=done.given_up,
            given_up=done.given_up is not None,
        )

    def _skip(self, item: ActionItem, email_round: EmailRound, now: datetime, reason: str) -> DeliveryOutcome:
        reached = transitions.partly_delivered(item, email_round)
        if reached is not None and _still_recordable(item, email_round):
            # It stopped halfway earlier; those contacts did get it, so it is recorded for them.
            return self._record(item, email_round, now, reached)
        if _needs_release(item, email_round):
            item = self._items.save_item(transitions.release(item, email_round))
        logger.info("email round skipped", extra={"item_id": item.id, "round": email_round.key, "reason": reason})
        return DeliveryOutcome(RoundStatus.SKIPPED, item, reason=reason)

    def _email(
        self,
        item: ActionItem,
        snapshot: DeliverySnapshot,
        email_round: EmailRound,
        now: datetime,
        owed: list[Contact],
        progress: Delivery,
        allowance: Allowance,
    ) -> tuple[ActionItem, Delivery]:
        """Email the owed contacts; returns the item as last written and the round's progress."""
        account = snapshot.account
        tags = mail_tags.for_round(item, email_round)
        latest = item

        plan = progress.plan  # the same words for every contact, also on a retry
        build: Callable[[Contact], OutgoingEmail]
        if plan is not None and plan.escalation:
            build = self._escalation_builder(item, snapshot, tags, now)
        else:
            assert account is not None
            client = account
            wording = snapshot.wordings.get(compose.stage_of(email_round, plan))
            portal_url = self._settings.portal_base_url

            def build(contact: Contact) -> OutgoingEmail:
                content = compose.render_round(
                    item, client, snapshot.firm, contact, email_round, portal_url, now=now, plan=plan, wording=wording
                )
                return compose.outgoing(content, contact, client, snapshot.firm, self._settings.sender_address, tags)

        def save(state: Delivery) -> None:
            nonlocal latest
            latest = self._save_progress(latest, email_round, state)

        progress = self._rounds.email(
            owed, build, progress, save, now, allowance, item.firm_id, f"{item.id} {email_round.key}"
        )
        return latest, progress

    def _escalation_builder(
        self, item: ActionItem, snapshot: DeliverySnapshot, tags: dict[str, str], now: datetime
    ) -> Callable[[Contact], OutgoingEmail]:
        """The escalation email to the firm: what was sent and when, read from the item's audit trail
        (only when the firm is told, so reminders never pay for it)."""
        history = escalation.sent_history(self._items, item)
        firm, portal_url, sender = snapshot.firm, self._settings.portal_base_url, self._settings.sender_address
        wording = snapshot.wordings.get(escalation.STAGE)  # the firm's own, if it has one (SPEC R21)

        def build(contact: Contact) -> OutgoingEmail:
            content = escalation.render(item, snapshot.account, firm, history, portal_url, now=now, wording=wording)
            return escalation.outgoing(content, contact, firm, sender, tags)

        return build

    def _save_progress(self, item: ActionItem, email_round: EmailRound, progress: Delivery) -> ActionItem:
        """Write the round's progress; another writer in between (the firm editing the item) is
        absorbed by re-reading, as long as this worker still holds the round's lease."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return self._items.save_item(transitions.with_delivery(item, email_round.key, progress))
            except ConcurrentModification:
                fresh = self._items.get_item(item.firm_id, item.id)
                stored = fresh.deliveries.get(email_round.key) if fresh is not None else None
                if fresh is None or (stored is not None and not rounds.same_lease(stored, progress)):
                    raise DeliveryInProgress(f"{item.id} {email_round.key}: the round was taken over") from None
                if not _still_recordable(fresh, email_round):
                    # another worker (a duplicate message) began and recorded the whole round since
                    # this one read the item: nothing is owed any more
                    raise DeliveryInProgress(f"{item.id} {email_round.key}: the round was recorded meanwhile") from None
                item = fresh
                before_rewrite(attempt)
        raise ConcurrentModification(item.id)

    def _record(self, item: ActionItem, email_round: EmailRound, at: datetime, progress: Delivery) -> DeliveryOutcome:
        for attempt in range(WRITE_ATTEMPTS):
            updated, events = transitions.record_delivery(item, email_round, at, progress)
            try:
                saved = self._items.save_item(updated, events)
            except ConcurrentModification:
                # The emails went out: record them on the fresh item (the firm may have edited it).
                fresh = self._items.get_item(item.firm_id, item.id)
                if fresh is None or not _still_recordable(fresh, email_round):
                    return DeliveryOutcome(RoundStatus.SKIPPED, fresh, reason=policy.SKIP_ALREADY_SENT)
                item = fresh
                before_rewrite(attempt)
                continue
            except StorageUnavailable as error:
                if progress.delivered or progress.unconfirmed:
                    raise RoundNotRecorded(f"{item.id} {email_round.key}: {error}") from error
                raise
            recipients = tuple(sorted(progress.delivered))
            failed = (progress.rejected or progress.suppressed) and not recipients
            status = RoundStatus.FAILED if failed else RoundStatus.SENT
            logger.info(
                "email round recorded",
                extra={"item_id": item.id, "round": email_round.key, "recipients": len(recipients), "status": status},
            )
            return DeliveryOutcome(
                status,
                saved,
                recipients=recipients,
                rejected=dict(progress.rejected),
                suppressed=tuple(sorted(progress.suppressed)),
            )
        raise ConcurrentModification(item.id)

    def _record_skip(
        self, item: ActionItem, email_round: EmailRound, now: datetime, reason: str, contacts: list[Contact]
    ) -> DeliveryOutcome:
        for attempt in range(WRITE_ATTEMPTS):
            updated, events = transitions.record_skip(item, email_round, now, reason, contacts)
            try:
                saved = self._items.save_item(updated, events)
            except ConcurrentModification:
                fresh = self._items.get_item(item.firm_id, item.id)
                if fresh is None or not _still_recordable(fresh, email_round):
                    return DeliveryOutcome(RoundStatus.SKIPPED, fresh, reason=policy.SKIP_ALREADY_SENT)
                item = fresh
                before_rewrite(attempt)
                continue
            logger.info(
                "automatic reminder skipped", extra={"item_id": item.id, "round": email_round.key, "reason": reason}
            )
            left_out = tuple(sorted(c.email for c in contacts if c.suppressed is not None))
            return DeliveryOutcome(RoundStatus.SKIPPED, saved, reason=policy.SKIP_NOBODY, suppressed=left_out)
        raise ConcurrentModification(item.id)

    def _give_up(
        self, item: ActionItem, email_round: EmailRound, now: datetime, contacts: list[Contact]
    ) -> DeliveryOutcome:
        """The mail service refused this round for the whole retry horizon: email_failed, for good."""
        reason = rounds.give_up_reason(item.deliveries[email_round.key], self._settings.give_up_after)
        updated, events = transitions.give_up(item, email_round, now, reason, [c.email for c in contacts])
        saved = self._items.save_item(updated, events)
        logger.warning("email round given up", extra={"item_id": item.id, "round": email_round.key, "reason": reason})
        return DeliveryOutcome(RoundStatus.FAILED, saved, reason=reason, given_up=True)
