"""One scheduler tick (SPEC §4 scan function): run_scan over fakes of the due index and the send queue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import count

from portal_reminders.models.domain import AuditEvent, AuditType, Claim, ItemRef
from portal_reminders.models.messages import ScheduledEmailMessage, parse_send_message
from portal_reminders.ports import SendQueue
from portal_reminders.reminders.scan import QUEUE_BATCH, run_scan
from portal_reminders.repository import keys
from portal_reminders.repository.ports import DueEntry, DueItemsRepository
from portal_reminders.settings import Settings

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
FIRM_ID = "firm-a"

SETTINGS = Settings.model_validate(
    {
        "TABLE_NAME": "client-reminders-test",
        "SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/send",
        "SENDER_ADDRESS": "reminders@portal.example.com",
        "PORTAL_BASE_URL": "https://portal.example.com",
        "AWS_REGION": "us-east-1",
        "CLAIM_LEASE_SECONDS": "3600",
        "MAX_CLAIM_ATTEMPTS": "3",
    }
)


# --- fakes ------------------------------------------------------------------------------------


class FakeDueItems(DueItemsRepository):
    """The sharded due index as a dict of shard -> entries; claims and give-ups are recorded."""

    def __init__(self, entries: Sequence[DueEntry]) -> None:
        self.shards: dict[str, list[DueEntry]] = defaultdict(list)
        for entry in entries:
            self.shards[keys.due_shard(entry.ref.item_id)].append(entry)
        self.queried: list[tuple[str, datetime]] = []
        self.claims: dict[str, Claim] = {}
        self.given_up: list[tuple[DueEntry, AuditEvent]] = []
        self.claimed_by_another_scan: set[str] = set()
        self.changed_since_indexed: set[str] = set()

    def due_entries(self, shard: str, now: datetime) -> Iterator[DueEntry]:
        self.queried.append((shard, now))
        yield from (e for e in self.shards[shard] if e.next_reminder_at <= now.timestamp())

    def claim(self, entry: DueEntry, claim: Claim) -> bool:
        if entry.ref.item_id in self.claimed_by_another_scan:
            return False
        self.claims[entry.ref.item_id] = claim
        return True

    def give_up(self, entry: DueEntry, event: AuditEvent) -> bool:
        if entry.ref.item_id in self.changed_since_indexed:
            return False
        self.given_up.append((entry, event))
        return True


class FakeSendQueue(SendQueue):
    """Keeps each batch it was given; fails the number of messages listed for each call, in order."""

    def __init__(self, failures: Sequence[int] = ()) -> None:
        self.batches: list[list[str]] = []
        self._failures = list(failures)

    def enqueue(self, bodies: Sequence[str]) -> int:
        self.batches.append(list(bodies))  # a copy: the caller may reuse its list
        return self._failures.pop(0) if self._failures else 0

    @property
    def messages(self) -> list[ScheduledEmailMessage]:
        parsed = [parse_send_message(body) for batch in self.batches for body in batch]
        assert all(isinstance(m, ScheduledEmailMessage) for m in parsed)
        return [m for m in parsed if isinstance(m, ScheduledEmailMessage)]


# --- builders ---------------------------------------------------------------------------------


_serial = count(1)


def an_entry(
    *, due: datetime = NOW - timedelta(minutes=1), notified: bool = True, sent: int = 0, claim: Claim | None = None
) -> DueEntry:
    # Fixed ids (not random ones) so that the shards the entries land on are the same on every run.
    n = next(_serial)
    return DueEntry(
        ref=ItemRef(firm_id=FIRM_ID, item_id=f"itm_{n:032x}", account_id=f"acc_{n:032x}"),
        next_reminder_at=int(due.timestamp()),
        notified=notified,
        reminders_sent=sent,
        claim=claim,
    )


def expired_claim(number: int, attempts: int) -> Claim:
    return Claim(number=number, until=NOW - timedelta(minutes=1), attempts=attempts)


# --- tests ------------------------------------------------------------------------------------


def test_every_due_entry_on_every_shard_is_claimed_and_queued_in_batches_of_ten() -> None:
    # Given 23 due items spread over the shards of the due index
    entries = [an_entry() for _ in range(23)]
    due = FakeDueItems(entries)
    assert len(due.shards) > 1
    queue = FakeSendQueue()

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS)

    # Then every shard was queried at the tick's time, every item claimed for an hour and queued once,
    # in batches of at most 10
    assert sorted(due.queried) == sorted((shard, NOW) for shard in keys.all_due_shards())
    assert set(due.claims) == {e.ref.item_id for e in entries}
    assert all(c == Claim(number=1, until=NOW + timedelta(hours=1), attempts=1) for c in due.claims.values())
    assert all(len(batch) <= QUEUE_BATCH for batch in queue.batches)
    assert sorted(len(batch) for batch in queue.batches) == [3, 10, 10]
    assert sorted(m.item_id for m in queue.messages) == sorted(e.ref.item_id for e in entries)
    assert (report.due, report.claimed, report.queued, report.queue_failures) == (23, 23, 23, 0)
    assert not report.stopped_early


def test_a_queued_message_names_the_item_and_the_email_number() -> None:
    # Given an item awaiting its notification and one awaiting its third reminder
    notification = an_entry(notified=False)
    third = an_entry(sent=2)
    queue = FakeSendQueue()

    # When the scan runs
    run_scan(NOW, FakeDueItems([notification, third]), queue, SETTINGS)

    # Then each message carries the item's ref and the number of the email it claimed
    numbers = {(m.firm_id, m.item_id, m.account_id): m.number for m in queue.messages}
    assert numbers == {
        (FIRM_ID, notification.ref.item_id, notification.ref.account_id): 0,
        (FIRM_ID, third.ref.item_id, third.ref.account_id): 3,
    }


def test_nothing_due_queues_nothing() -> None:
    # Given an item due only tomorrow
    due = FakeDueItems([an_entry(due=NOW + timedelta(days=1))])
    queue = FakeSendQueue()

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS)

    # Then nothing is claimed and the queue is not called
    assert due.claims == {}
    assert queue.batches == []
    assert report.due == 0


def test_an_entry_claimed_by_another_scan_is_not_queued() -> None:
    # Given two due items, one of which an overlapping scan claims first
    mine, theirs = an_entry(), an_entry()
    due = FakeDueItems([mine, theirs])
    due.claimed_by_another_scan.add(theirs.ref.item_id)
    queue = FakeSendQueue()

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS)

    # Then only the item it claimed is queued
    assert [m.item_id for m in queue.messages] == [mine.ref.item_id]
    assert (report.claimed, report.lost_race, report.queued) == (1, 1, 1)


def test_an_expired_claim_is_claimed_again_as_the_next_attempt() -> None:
    # Given reminder 1's second claim expired without the reminder being recorded
    entry = an_entry(claim=expired_claim(1, attempts=2))
    due = FakeDueItems([entry])
    queue = FakeSendQueue()

    # When the scan runs
    run_scan(NOW, due, queue, SETTINGS)

    # Then it is claimed again as attempt 3 and queued
    assert due.claims[entry.ref.item_id] == Claim(number=1, until=NOW + timedelta(hours=1), attempts=3)
    assert [m.number for m in queue.messages] == [1]


def test_an_entry_whose_claims_expired_max_attempts_times_is_given_up() -> None:
    # Given reminder 2's claim expired unrecorded for the third time (max_claim_attempts is 3)
    entry = an_entry(sent=1, claim=expired_claim(2, attempts=3))
    due = FakeDueItems([entry])
    queue = FakeSendQueue()

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS)

    # Then it is given up with an email_failed event for reminder 2, neither claimed nor queued
    [(given_up, event)] = due.given_up
    assert given_up == entry
    assert (event.type, event.item_id, event.account_id, event.at) == (
        AuditType.EMAIL_FAILED,
        entry.ref.item_id,
        entry.ref.account_id,
        NOW,
    )
    assert event.details["mode"] == "auto"
    assert event.details["number"] == 2
    assert "3 attempts" in event.details["reason"]
    assert due.claims == {}
    assert queue.batches == []
    assert (report.gave_up, report.claimed, report.queued) == (1, 0, 0)


def test_a_give_up_that_loses_a_race_is_not_counted() -> None:
    # Given an entry to give up on, which another writer changed since the index showed it
    entry = an_entry(claim=expired_claim(1, attempts=3))
    due = FakeDueItems([entry])
    due.changed_since_indexed.add(entry.ref.item_id)
    queue = FakeSendQueue()

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS)

    # Then nothing is given up or queued
    assert report.gave_up == 0
    assert queue.batches == []


def test_running_out_of_time_stops_early_and_queues_what_was_claimed() -> None:
    # Given 30 due items, and a function that has time left for only 4 claims
    entries = [an_entry() for _ in range(30)]
    due = FakeDueItems(entries)
    queue = FakeSendQueue()

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS, out_of_time=lambda: len(due.claims) >= 4)

    # Then it stops, reporting it, and the 4 claimed items are queued (the rest stay due for the next tick)
    assert report.stopped_early
    assert (report.due, report.claimed, report.queued) == (4, 4, 4)
    assert sorted(m.item_id for m in queue.messages) == sorted(due.claims)
    assert len(due.queried) < len(keys.all_due_shards())


def test_queue_failures_are_counted_and_not_reported_as_queued() -> None:
    # Given 23 due items and a queue that fails 2 messages of its first batch and 1 of its last
    due = FakeDueItems([an_entry() for _ in range(23)])
    queue = FakeSendQueue(failures=[2, 0, 1])

    # When the scan runs
    report = run_scan(NOW, due, queue, SETTINGS)

    # Then the failures are reported, and only the messages that made it count as queued
    assert report.queue_failures == 3
    assert report.queued == 20
    assert report.claimed == 23
