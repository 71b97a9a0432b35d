"""In-memory fakes of the ports, and small builders, shared by the unit tests and bench/."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta

from portal_reminders.models.domain import AuditEvent, Claim, Delivery
from portal_reminders.ports import MailAccount, SendQueue, SendQuota
from portal_reminders.repository import keys
from portal_reminders.repository.ports import (
    DailyEmailCounter,
    DueEntry,
    DueItemsRepository,
    ScanLease,
    ScanStateRepository,
    SendTimeline,
)

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def progress_of(
    delivered: Iterable[str] = (), rejected: Mapping[str, str] | None = None, unconfirmed: Iterable[str] = ()
) -> Delivery:
    """A round's progress as the mail service answered it: message ids are made up from addresses."""
    return Delivery(
        until=EPOCH,
        started_at=EPOCH,
        delivered={address: f"msg-{address}" for address in delivered},
        rejected=dict(rejected or {}),
        unconfirmed=frozenset(unconfirmed),
    )


class FakeSendTimeline(SendTimeline):
    """The shared send timeline in memory, with the DynamoDB implementation's rules."""

    def __init__(self) -> None:
        self.next_free: datetime | None = None
        self.bookings: list[tuple[datetime, float]] = []

    def reserve(self, now: datetime, seconds: float, max_wait: float) -> datetime | None:
        start = now if self.next_free is None or self.next_free <= now else self.next_free
        if start > now + timedelta(seconds=max_wait):
            return None
        self.next_free = start + timedelta(seconds=seconds)
        self.bookings.append((start, seconds))
        return start

    def push_back(self, now: datetime, seconds: float) -> None:
        start = now if self.next_free is None or self.next_free <= now else self.next_free
        self.next_free = start + timedelta(seconds=seconds)


class FakeMailAccount(MailAccount):
    def __init__(self, quota: SendQuota | None = None) -> None:
        self.current = quota if quota is not None else SendQuota(1000.0, 0.0, 0.0)
        self.asked = 0

    def quota(self) -> SendQuota | None:
        self.asked += 1
        return self.current


class FakeDueItems(DueItemsRepository):
    """The sharded due index as a dict of shard -> entries; claims, releases and give-ups are
    recorded. Thread-safe (the scan claims concurrently), and it measures how many claims overlap."""

    def __init__(self, entries: Sequence[DueEntry], on_claim: Callable[[DueEntry], None] | None = None) -> None:
        self.shards: dict[str, list[DueEntry]] = defaultdict(list)
        for entry in entries:
            self.shards[keys.due_shard(entry.ref.item_id)].append(entry)
        self.queried: list[tuple[str, datetime]] = []
        self.claims: dict[str, Claim] = {}
        self.claim_order: list[str] = []
        self.released: list[str] = []
        self.given_up: list[tuple[DueEntry, AuditEvent]] = []
        self.claimed_by_another_scan: set[str] = set()
        self.changed_since_indexed: set[str] = set()
        self.most_claims_at_once = 0
        self._on_claim = on_claim
        self._in_flight = 0
        self._lock = threading.Lock()

    def due_entries(self, shard: str, now: datetime) -> Iterator[DueEntry]:
        self.queried.append((shard, now))
        yield from (e for e in self.shards[shard] if e.next_reminder_at <= now.timestamp())

    def claim(self, entry: DueEntry, claim: Claim) -> bool:
        with self._lock:
            self._in_flight += 1
            self.most_claims_at_once = max(self.most_claims_at_once, self._in_flight)
        try:
            if self._on_claim is not None:
                self._on_claim(entry)
            if entry.ref.item_id in self.claimed_by_another_scan:
                return False
            with self._lock:
                self.claims[entry.ref.item_id] = claim
                self.claim_order.append(entry.ref.item_id)
            return True
        finally:
            with self._lock:
                self._in_flight -= 1

    def give_up(self, entry: DueEntry, event: AuditEvent) -> bool:
        if entry.ref.item_id in self.changed_since_indexed:
            return False
        with self._lock:
            self.given_up.append((entry, event))
        return True

    def release(self, entry: DueEntry, claim: Claim) -> bool:
        with self._lock:
            self.claims.pop(entry.ref.item_id, None)
            self.released.append(entry.ref.item_id)
        return True


class FakeSendQueue(SendQueue):
    """Keeps each batch it was given; fails the number of messages listed for each call, in order
    (the last ones of the batch). Retry delays and dead letters are recorded."""

    def __init__(self, failures: Sequence[int] = ()) -> None:
        self.batches: list[list[str]] = []
        self.delays: list[tuple[str, int]] = []
        self.dead: list[str] = []
        self._failures = list(failures)
        self._lock = threading.Lock()

    def enqueue(self, bodies: Sequence[str]) -> list[str]:
        with self._lock:
            self.batches.append(list(bodies))
            failing = self._failures.pop(0) if self._failures else 0
        return list(bodies[len(bodies) - failing :]) if failing else []

    def retry_later(self, delays: Sequence[tuple[str, int]]) -> None:
        self.delays.extend(delays)

    def dead_letter(self, bodies: Sequence[str]) -> list[str]:
        self.dead.extend(bodies)
        return []

    @property
    def bodies(self) -> list[str]:
        return [body for batch in self.batches for body in batch]


class FakeScanState(ScanStateRepository):
    """The scan lock, cursor and in-flight note, with the DynamoDB implementation's rules."""

    def __init__(self) -> None:
        self.owner: str | None = None
        self.until: datetime | None = None
        self.cursor = 0
        self.in_flight: list[str] = []

    def lock(self, owner: str, now: datetime, until: datetime) -> ScanLease | None:
        if self.until is not None and self.until > now:
            return None
        self.owner, self.until = owner, until
        return ScanLease(owner=owner, cursor=self.cursor, in_flight=list(self.in_flight))

    def note_in_flight(self, owner: str, bodies: Sequence[str]) -> None:
        assert owner == self.owner
        self.in_flight = list(bodies)

    def unlock(self, owner: str, cursor: int, keep_in_flight: bool = False) -> None:
        if owner != self.owner:
            return
        self.owner, self.until, self.cursor = None, None, cursor
        if not keep_in_flight:
            self.in_flight = []


class FakeDailyEmails(DailyEmailCounter):
    """The per-firm daily email counters in memory, with the DynamoDB implementation's rule."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, date], int] = {}
        self.writes = 0
        self._lock = threading.Lock()

    def add_emails(self, firm_id: str, day: date, emails: int, cap: int) -> bool:
        with self._lock:
            self.writes += 1
            count = self.counts.get((firm_id, day), 0)
            if count + emails > cap:
                return False
            self.counts[(firm_id, day)] = count + emails
            return True

    def emails_sent(self, firm_id: str, day: date) -> int:
        return self.counts.get((firm_id, day), 0)
