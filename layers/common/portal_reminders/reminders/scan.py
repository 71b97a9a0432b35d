"""One tick of the scheduler: find due items on every shard of the sparse due index, claim each
with a conditional write (a lease: two overlapping scans cannot both claim it), and queue the
claims for the send function in batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from portal_reminders.models.domain import EmailRound
from portal_reminders.models.messages import ScheduledEmailMessage, to_body
from portal_reminders.observability import logger
from portal_reminders.ports import SendQueue
from portal_reminders.reminders import policy
from portal_reminders.reminders.transitions import record_failure_event
from portal_reminders.repository import keys
from portal_reminders.repository.ports import DueEntry, DueItemsRepository
from portal_reminders.settings import Settings

QUEUE_BATCH = 10


@dataclass(slots=True)
class ScanReport:
    due: int = 0
    claimed: int = 0
    lost_race: int = 0
    gave_up: int = 0
    errors: int = 0
    queued: int = 0
    queue_failures: int = 0
    stopped_early: bool = False


def run_scan(
    now: datetime,
    due_items: DueItemsRepository,
    queue: SendQueue,
    settings: Settings,
    out_of_time: Callable[[], bool] = lambda: False,
) -> ScanReport:
    report = ScanReport()
    pending: list[str] = []

    def flush() -> None:
        # A failed enqueue is not lost: the claim's lease expires and the item is due again.
        failures = queue.enqueue(pending)
        report.queue_failures += failures
        report.queued += len(pending) - failures
        pending.clear()

    try:
        for shard in keys.all_due_shards():
            for entry in due_items.due_entries(shard, now):
                if out_of_time():
                    # Unclaimed items stay due: the next tick takes them.
                    report.stopped_early = True
                    break
                report.due += 1
                try:
                    body = _claim(entry, now, due_items, settings, report)
                except Exception:
                    # one item's trouble must not strand the others; it stays due for the next tick
                    logger.exception("due item not claimed", extra={"item_id": entry.ref.item_id})
                    report.errors += 1
                    continue
                if body is not None:
                    pending.append(body)
                    if len(pending) == QUEUE_BATCH:
                        flush()
            if report.stopped_early:
                break
    finally:
        # claims already made are queued even if a shard's query failed
        if pending:
            flush()
    logger.info("scan finished", extra={"now": now.isoformat(), **asdict(report)})
    return report


def _claim(
    entry: DueEntry, now: datetime, due_items: DueItemsRepository, settings: Settings, report: ScanReport
) -> str | None:
    claim = policy.next_claim(entry.claim, entry.number, now, settings.claim_lease)
    if claim.attempts > settings.max_claim_attempts:
        reason = f"no worker recorded this email in {settings.max_claim_attempts} attempts"
        event = record_failure_event(entry.ref, EmailRound.scheduled(entry.number), now, reason)
        if due_items.give_up(entry, event):
            report.gave_up += 1
            logger.warning("scheduled email given up", extra={"item_id": entry.ref.item_id, "number": entry.number})
        return None
    if not due_items.claim(entry, claim):
        report.lost_race += 1
        return None
    report.claimed += 1
    message = ScheduledEmailMessage(
        firm_id=entry.ref.firm_id,
        item_id=entry.ref.item_id,
        account_id=entry.ref.account_id,
        number=entry.number,
    )
    return to_body(message)
