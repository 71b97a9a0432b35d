"""One tick of the scheduler (SPEC §4, R14): find due items on the shards of the sparse due index,
claim each with a conditional write (a lease that outlives its message), and queue the claims
for the send function.

* One scan at a time: a tick that finds the lock held does nothing (the running scan covers it),
  and a tick delivered late (a retried invocation) is dropped rather than run with a stale time.
* Fair under overload: the shards are read round robin, a page of each in turn, starting at a
  shard that rotates from tick to tick, so a tick that runs out of time has served every shard.
* Claims and queue writes run concurrently, a bounded number at a time.
* Nothing is lost between a claim and its message: the messages a round is about to queue are
  noted on the lock first, and a scan that finds a note left by one that died queues them again
  (the send function ignores duplicates). A claim whose message could not be queued is released.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice, zip_longest
from typing import Any

from portal_reminders import clock
from portal_reminders.models.domain import Claim, EmailRound
from portal_reminders.models.messages import ScheduledEmailMessage, to_body
from portal_reminders.observability import logger
from portal_reminders.ports import SendQueue
from portal_reminders.reminders.scheduling import policy
from portal_reminders.reminders.state.transitions import record_failure_event
from portal_reminders.repository import keys
from portal_reminders.repository.ports import DueEntry, DueItemsRepository, ScanLease, ScanStateRepository
from portal_reminders.settings import Settings

QUEUE_BATCH = 10
# Due entries taken from each shard per round.
PER_SHARD = 50

SKIPPED_LOCKED = "another scan is running"
SKIPPED_STALE = "stale tick"


class ClaimResult(StrEnum):
    CLAIMED = "claimed"
    LOST_RACE = "lost_race"
    GAVE_UP = "gave_up"
    ERROR = "error"
    NOT_STARTED = "not_started"  # out of time: it stays due for the next tick


@dataclass(slots=True)
class ScanReport:
    due: int = 0
    claimed: int = 0
    lost_race: int = 0
    gave_up: int = 0
    errors: int = 0
    queued: int = 0
    queue_failures: int = 0
    released: int = 0
    recovered: int = 0
    stopped_early: bool = False
    skipped: str | None = None
    claimed_by_shard: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class _Round:
    entry: DueEntry
    body: str
    claim: Claim


def run_scan(
    tick_time: datetime,
    due_items: DueItemsRepository,
    state: ScanStateRepository,
    queue: SendQueue,
    settings: Settings,
    out_of_time: Callable[[], bool] = lambda: False,
    now: Callable[[], datetime] = clock.now,
) -> ScanReport:
    report = ScanReport()
    started = now()
    if started - tick_time > settings.max_tick_age:
        report.skipped = SKIPPED_STALE
        logger.warning("stale tick dropped", extra={"tick": tick_time.isoformat(), "now": started.isoformat()})
        return report
    owner = uuid.uuid4().hex
    lease = state.lock(owner, started, started + settings.scan_lease)
    if lease is None:
        report.skipped = SKIPPED_LOCKED
        logger.info("scan skipped: another scan is running", extra={"tick": tick_time.isoformat()})
        return report
    next_cursor = (lease.cursor + 1) % keys.DUE_SHARDS
    try:
        _recover(lease, queue, report)
        with ThreadPoolExecutor(max_workers=settings.scan_concurrency, thread_name_prefix="scan") as pool:
            _Scan(tick_time, due_items, state, queue, settings, out_of_time, pool, owner, report).run(lease.cursor)
    except Exception:
        # claims may be in flight: keep their note so the next scan queues them again
        state.unlock(owner, next_cursor, keep_in_flight=True)
        raise
    state.unlock(owner, next_cursor)
    logger.info("scan finished", extra={"tick": tick_time.isoformat(), **report.as_dict()})
    return report


def _recover(lease: ScanLease, queue: SendQueue, report: ScanReport) -> None:
    if not lease.in_flight:
        return
    failed = queue.enqueue(lease.in_flight)
    if failed:
        raise RuntimeError(f"{len(failed)} messages a previous scan left in flight could not be queued")
    report.recovered = len(lease.in_flight)
    logger.warning("messages of a scan that died queued again", extra={"messages": report.recovered})


class _Scan:
    def __init__(
        self,
        tick_time: datetime,
        due_items: DueItemsRepository,
        state: ScanStateRepository,
        queue: SendQueue,
        settings: Settings,
        out_of_time: Callable[[], bool],
        pool: ThreadPoolExecutor,
        owner: str,
        report: ScanReport,
    ) -> None:
        self._tick = tick_time
        self._due = due_items
        self._state = state
        self._queue = queue
        self._settings = settings
        self._out_of_time = out_of_time
        self._pool = pool
        self._owner = owner
        self._report = report

    def run(self, cursor: int) -> None:
        shards: dict[str, Iterator[DueEntry]] = {
            shard: iter(self._due.due_entries(shard, self._tick)) for shard in keys.all_due_shards(cursor)
        }
        while shards:
            if self._out_of_time():
                self._report.stopped_early = True
                return
            entries = self._next_round(shards)
            if not entries:
                return
            self._claim_and_queue(entries)

    def _next_round(self, shards: dict[str, Iterator[DueEntry]]) -> list[DueEntry]:
        """A page of every shard that still has due entries, interleaved (one of each shard in
        turn, in the rotated order): claims stopped by the time budget leave every shard served."""
        pages: list[list[DueEntry]] = []
        for shard in list(shards):
            try:
                page = list(islice(shards[shard], PER_SHARD))
            except Exception:
                # one shard's trouble must not stop the others; its items stay due for the next tick
                logger.exception("due index shard not read", extra={"shard": shard})
                self._report.errors += 1
                page = []
            if len(page) < PER_SHARD:
                del shards[shard]
            pages.append(page)
        return [entry for turn in zip_longest(*pages) for entry in turn if entry is not None]

    def _claim_and_queue(self, entries: list[DueEntry]) -> None:
        report = self._report
        report.due += len(entries)
        bodies = [_message(entry) for entry in entries]
        self._state.note_in_flight(self._owner, bodies)
        results = list(self._pool.map(self._claim, entries))
        claimed = []
        for entry, body, (result, claim) in zip(entries, bodies, results, strict=True):
            if result is ClaimResult.CLAIMED and claim is not None:
                claimed.append(_Round(entry, body, claim))
                shard = keys.due_shard(entry.ref.item_id)
                report.claimed_by_shard[shard] = report.claimed_by_shard.get(shard, 0) + 1
            elif result is ClaimResult.NOT_STARTED:
                report.stopped_early = True
            elif result is ClaimResult.LOST_RACE:
                report.lost_race += 1
            elif result is ClaimResult.GAVE_UP:
                report.gave_up += 1
            else:
                report.errors += 1
        report.claimed += len(claimed)
        self._queue_rounds(claimed)

    def _queue_rounds(self, claimed: Sequence[_Round]) -> None:
        chunks = [list(claimed[n : n + QUEUE_BATCH]) for n in range(0, len(claimed), QUEUE_BATCH)]
        failed_bodies = {body for failed in self._pool.map(self._enqueue, chunks) for body in failed}
        self._report.queued += len(claimed) - len(failed_bodies)
        self._report.queue_failures += len(failed_bodies)
        # a claim whose message is not in the queue would wait out its long lease: undo it now
        for round_ in (r for r in claimed if r.body in failed_bodies):
            try:
                if self._due.release(round_.entry, round_.claim):
                    self._report.released += 1
            except Exception:
                logger.exception("claim not released", extra={"item_id": round_.entry.ref.item_id})
                self._report.errors += 1

    def _enqueue(self, chunk: list[_Round]) -> list[str]:
        return self._queue.enqueue([r.body for r in chunk])

    def _claim(self, entry: DueEntry) -> tuple[ClaimResult, Claim | None]:
        if self._out_of_time():
            return ClaimResult.NOT_STARTED, None
        try:
            return self._claim_or_give_up(entry)
        except Exception:
            # one item's trouble must not strand the others; it stays due for the next tick
            logger.exception("due item not claimed", extra={"item_id": entry.ref.item_id})
            return ClaimResult.ERROR, None

    def _claim_or_give_up(self, entry: DueEntry) -> tuple[ClaimResult, Claim | None]:
        settings = self._settings
        if entry.give_up_by is not None and entry.give_up_by <= self._tick.timestamp():
            since = datetime.fromtimestamp(entry.give_up_by, UTC) - settings.give_up_by
            return self._give_up(entry, f"the mail service refused it since {since:%Y-%m-%dT%H:%M:%SZ}"), None
        claim = policy.next_claim(entry.claim, entry.number, self._tick, settings.claim_lease)
        if claim.attempts > settings.max_claim_attempts:
            reason = f"no worker recorded this email in {settings.max_claim_attempts} claims"
            return self._give_up(entry, reason), None
        if not self._due.claim(entry, claim):
            return ClaimResult.LOST_RACE, None
        return ClaimResult.CLAIMED, claim

    def _give_up(self, entry: DueEntry, reason: str) -> ClaimResult:
        event = record_failure_event(entry.ref, EmailRound.scheduled(entry.number), self._tick, reason)
        if not self._due.give_up(entry, event):
            return ClaimResult.LOST_RACE
        logger.warning("scheduled email given up", extra={"item_id": entry.ref.item_id, "number": entry.number})
        return ClaimResult.GAVE_UP


def _message(entry: DueEntry) -> str:
    return to_body(
        ScheduledEmailMessage(
            firm_id=entry.ref.firm_id,
            item_id=entry.ref.item_id,
            account_id=entry.ref.account_id,
            number=entry.number,
        )
    )
