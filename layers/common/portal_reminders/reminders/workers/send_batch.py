"""A batch of send-queue messages -> email rounds (the send function's use case).

The batch reads every round's item, account and firm in one request and books its sends on the
shared send rate at once; each message is then carried out on its own. A message that fails is
not retried at the queue's fixed visibility timeout but after its own backoff (backoff.py): the
mail service refusing, our own pacing, or anything else. Giving a round up is a matter of time
(the retry horizon, in delivery.py), never of how often SQS delivered the message. A message no
retry can fix (malformed) goes straight to the dead-letter queue.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import ValidationError

from portal_reminders import budget
from portal_reminders.models.domain import ItemRef
from portal_reminders.models.errors import StorageUnavailable
from portal_reminders.models.events import InvalidEvent
from portal_reminders.models.messages import (
    AccountApprovalsMessage,
    AnySendMessage,
    ApprovalsRequestMessage,
    ManualEmailMessage,
    RescheduleMessage,
    ScheduledEmailMessage,
    parse_send_message,
)
from portal_reminders.observability import logger
from portal_reminders.reminders.delivery import backoff
from portal_reminders.reminders.state import rounds
from portal_reminders.repository.ports import DeliverySnapshot

if TYPE_CHECKING:
    from portal_reminders.reminders.delivery.deliverer import DeliveryOutcome
    from portal_reminders.wiring import Services


ItemRoundMessage = ScheduledEmailMessage | ManualEmailMessage


@dataclass(frozen=True, slots=True)
class FailedRecord:
    message_id: str
    receipt_handle: str
    receive_count: int
    error: BaseException


class SendBatch:
    def __init__(self, bodies: Sequence[str], services: Services) -> None:
        self._services = services
        self._snapshots: dict[ItemRef, DeliverySnapshot] = {}
        self._allowance = services.daily_cap.allowance()
        self.outcomes: list[DeliveryOutcome] = []  # of the item rounds carried out (send_metrics)
        # reminders a digest of this batch recorded: their own messages need no read (SPEC R20)
        self._in_digests: set[tuple[str, int]] = set()
        item_rounds = [m for m in (_try_parse(body) for body in bodies) if isinstance(m, ItemRoundMessage)]
        refs = list(dict.fromkeys(m.ref for m in item_rounds))
        if refs:
            self._prefetch(refs)

    def _prefetch(self, refs: list[ItemRef]) -> None:
        try:
            self._snapshots = self._services.repository.load_for_deliveries(refs)
        except StorageUnavailable as error:
            # each round reads for itself instead (and fails on its own if storage is still down)
            logger.warning("batch read failed; rounds read one by one", extra={"error": str(error)})
            return
        sends: Counter[str] = Counter()
        for snapshot in self._snapshots.values():
            if snapshot.item is not None and snapshot.account is not None:
                sends[snapshot.item.firm_id] += len(rounds.to_email(snapshot.account.notify_contacts, None))
        self._services.pacer.expect(sum(sends.values()))
        # one write per firm counts the batch's emails against the firm's daily cap
        self._allowance = self._services.daily_cap.prepay(sends)

    def settle(self) -> None:
        """At the batch's end: what it counted against the firms' daily caps but did not send
        (rounds skipped, deferred, held back, or already paid for) goes back."""
        self._allowance.settle()

    def handle(self, body: str) -> str:
        """Carry out one message; raise to have it retried (after retry_later's backoff)."""
        budget.check()
        try:
            message = parse_send_message(body)
        except ValidationError as error:
            return self._dead_letter(body, error)
        services = self._services
        if isinstance(message, ApprovalsRequestMessage):
            services.approvals.fan_out(message)
            return "fanned_out"
        if isinstance(message, AccountApprovalsMessage):
            return services.approvals.deliver_account(message, self._allowance)
        if isinstance(message, RescheduleMessage):
            return services.rescheduling.run(message)
        if isinstance(message, ScheduledEmailMessage) and (message.item_id, message.number) in self._in_digests:
            return "in_digest"
        # a snapshot serves one round: a second message about the item (a duplicate) reads it afresh
        outcome = services.deliverer.deliver(
            message.ref, message.email_round(), self._snapshots.pop(message.ref, None), self._allowance
        )
        self.outcomes.append(outcome)
        self._in_digests.update(outcome.digest)
        return outcome.status.value

    def retry_later(self, failures: Sequence[FailedRecord]) -> None:
        """Each failed message comes back after its own backoff; each failure is logged with why."""
        delays = []
        for failure in failures:
            delay = backoff.retry_delay(failure.error, failure.receive_count)
            logger.warning(
                "send record failed",
                extra={
                    "message_id": failure.message_id,
                    "receive_count": failure.receive_count,
                    "error": type(failure.error).__name__,
                    "reason": str(failure.error),
                    "retry_in_seconds": delay,
                },
            )
            delays.append((failure.receipt_handle, delay))
        if delays:
            self._services.queue.retry_later(delays)

    def _dead_letter(self, body: str, error: ValidationError) -> str:
        problems = error.errors(include_url=False, include_input=False)
        logger.error("malformed send message", extra={"errors": problems})
        if self._services.queue.dead_letter([body]):
            raise InvalidEvent(f"not a send-queue message: {error.error_count()} problem(s)") from error
        return "dead_lettered"


def _try_parse(body: str) -> AnySendMessage | None:
    try:
        return parse_send_message(body)
    except ValidationError:
        return None
