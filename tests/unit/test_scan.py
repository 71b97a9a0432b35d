"""One scheduler tick (SPEC §4 scan function): run_scan over fakes of the due index and the send queue."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from portal_reminders.models.domain import AuditType, Claim, ItemRef
from portal_reminders.models.messages import ScheduledEmailMessage, parse_send_message
from portal_reminders.reminders.delivery.scan import ScanReport, run_scan
from portal_reminders.repository import keys
from portal_reminders.repository.ports import DueEntry
from portal_reminders.settings import Settings
from tests.support.aws import template_limit
from tests.support.fakes import FakeDueItems, FakeScanState, FakeSendQueue

NOW = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)
FIRM_ID = "firm-a"

ENVIRONMENT = {
    "TABLE_NAME": "client-reminders-test",
    "SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/send",
    "SENDER_ADDRESS": "reminders@portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "AWS_REGION": "us-east-1",
    "MAX_CLAIM_ATTEMPTS": "2",
    # one claim at a time, so that the order of claims is the order of the entries
    "SCAN_CONCURRENCY": "1",
}
SETTINGS = Settings.model_validate(ENVIRONMENT)
LEASE = SETTINGS.claim_lease


def scan(due: FakeDueItems, queue: FakeSendQueue, state: FakeScanState | None = None, **kw: Any) -> ScanReport:
    return run_scan(NOW, due, state or FakeScanState(), queue, kw.pop("settings", SETTINGS), now=lambda: NOW, **kw)


def messages(queue: FakeSendQueue) -> list[ScheduledEmailMessage]:
    parsed = [parse_send_message(body) for body in queue.bodies]
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


def entries_on_every_shard(per_shard: int) -> list[DueEntry]:
    by_shard: dict[str, list[DueEntry]] = {shard: [] for shard in keys.all_due_shards()}
    while any(len(entries) < per_shard for entries in by_shard.values()):
        entry = an_entry()
        shard = by_shard[keys.due_shard(entry.ref.item_id)]
        if len(shard) < per_shard:
            shard.append(entry)
    return [e for entries in by_shard.values() for e in entries]


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
    report = scan(due, queue)

    # Then every shard was queried at the tick's time, every item claimed for the whole claim lease
    # and queued once, in batches of at most 10
    assert sorted(due.queried) == sorted((shard, NOW) for shard in keys.all_due_shards())
    assert set(due.claims) == {e.ref.item_id for e in entries}
    assert all(c == Claim(number=1, until=NOW + LEASE, attempts=1) for c in due.claims.values())
    assert sorted(len(batch) for batch in queue.batches) == [3, 10, 10]
    assert sorted(m.item_id for m in messages(queue)) == sorted(e.ref.item_id for e in entries)
    assert (report.due, report.claimed, report.queued, report.queue_failures) == (23, 23, 23, 0)
    assert sum(report.claimed_by_shard.values()) == 23
    assert not report.stopped_early


def test_a_claim_outlives_every_message_it_queues() -> None:
    # The claim lease is longer than the send queue keeps a message (template.yaml's Mappings), so
    # a reminder waiting in the queue is never claimed a second time (SPEC R14)
    assert template_limit("Send", "ClaimLeaseSeconds") > template_limit("Send", "MessageRetentionSeconds")
    assert timedelta(seconds=template_limit("Send", "ClaimLeaseSeconds")) == LEASE


def test_a_queued_message_names_the_item_and_the_email_number() -> None:
    # Given an item awaiting its notification and one awaiting its third reminder
    notification = an_entry(notified=False)
    third = an_entry(sent=2)
    queue = FakeSendQueue()

    # When the scan runs
    scan(FakeDueItems([notification, third]), queue)

    # Then each message carries the item's ref and the number of the email it claimed
    numbers = {(m.firm_id, m.item_id, m.account_id): m.number for m in messages(queue)}
    assert numbers == {
        (FIRM_ID, notification.ref.item_id, notification.ref.account_id): 0,
        (FIRM_ID, third.ref.item_id, third.ref.account_id): 3,
    }


def test_nothing_due_queues_nothing() -> None:
    # Given an item due only tomorrow
    due = FakeDueItems([an_entry(due=NOW + timedelta(days=1))])
    queue = FakeSendQueue()

    # When the scan runs
    report = scan(due, queue)

    # Then nothing is claimed and the queue is not called
    assert due.claims == {}
    assert queue.batches == []
    assert report.due == 0


def test_an_entry_claimed_by_another_writer_is_not_queued() -> None:
    # Given two due items, one of which changed since the index showed it
    mine, theirs = an_entry(), an_entry()
    due = FakeDueItems([mine, theirs])
    due.claimed_by_another_scan.add(theirs.ref.item_id)
    queue = FakeSendQueue()

    # When the scan runs
    report = scan(due, queue)

    # Then only the item it claimed is queued
    assert [m.item_id for m in messages(queue)] == [mine.ref.item_id]
    assert (report.claimed, report.lost_race, report.queued) == (1, 1, 1)


def test_an_expired_claim_is_claimed_again_as_the_next_attempt() -> None:
    # Given reminder 1's first claim expired without the reminder being recorded (its message is gone)
    entry = an_entry(claim=expired_claim(1, attempts=1))
    due = FakeDueItems([entry])
    queue = FakeSendQueue()

    # When the scan runs
    scan(due, queue)

    # Then it is claimed again as attempt 2 and queued
    assert due.claims[entry.ref.item_id] == Claim(number=1, until=NOW + LEASE, attempts=2)
    assert [m.number for m in messages(queue)] == [1]


def test_an_entry_whose_claims_expired_max_attempts_times_is_given_up() -> None:
    # Given reminder 2's claim expired unrecorded for the second time (max_claim_attempts is 2)
    entry = an_entry(sent=1, claim=expired_claim(2, attempts=2))
    due = FakeDueItems([entry])
    queue = FakeSendQueue()

    # When the scan runs
    report = scan(due, queue)

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
    assert "2 claims" in event.details["reason"]
    assert due.claims == {}
    assert queue.bodies == []
    assert (report.gave_up, report.claimed, report.queued) == (1, 0, 0)


def test_a_round_past_its_give_up_deadline_is_given_up_by_the_scan() -> None:
    # Given a claimed reminder the mail service refused, whose 48-hour deadline has passed (no
    # worker got to it: a backlog)
    deadline = NOW - timedelta(minutes=1)
    entry = replace(
        an_entry(claim=Claim(number=1, until=NOW + LEASE)),
        next_reminder_at=int(deadline.timestamp()),
        give_up_by=int(deadline.timestamp()),
    )
    due = FakeDueItems([entry])

    # When the scan runs
    report = scan(due, FakeSendQueue())

    # Then it is given up, naming when the mail service first refused it, and not claimed again
    [(_, event)] = due.given_up
    first_try = deadline - SETTINGS.give_up_by
    assert event.details["reason"] == f"the mail service refused it since {first_try:%Y-%m-%dT%H:%M:%SZ}"
    assert (report.gave_up, report.claimed) == (1, 0)


def test_a_give_up_that_loses_a_race_is_not_counted() -> None:
    # Given an entry to give up on, which another writer changed since the index showed it
    entry = an_entry(claim=expired_claim(1, attempts=2))
    due = FakeDueItems([entry])
    due.changed_since_indexed.add(entry.ref.item_id)
    queue = FakeSendQueue()

    # When the scan runs
    report = scan(due, queue)

    # Then nothing is given up or queued
    assert report.gave_up == 0
    assert queue.bodies == []


def test_running_out_of_time_stops_early_and_queues_what_was_claimed() -> None:
    # Given 30 due items, and a function that has time left for only 4 claims
    entries = [an_entry() for _ in range(30)]
    due = FakeDueItems(entries)
    queue = FakeSendQueue()

    # When the scan runs
    report = scan(due, queue, out_of_time=lambda: len(due.claims) >= 4)

    # Then it stops, reporting it, and the 4 claimed items are queued (the rest stay due for the next tick)
    assert report.stopped_early
    assert (report.claimed, report.queued) == (4, 4)
    assert sorted(m.item_id for m in messages(queue)) == sorted(due.claims)


def test_an_overloaded_tick_claims_from_every_shard_not_the_first_ones() -> None:
    # Given 10 due items on every shard, and time for only 16 claims
    entries = entries_on_every_shard(10)
    due = FakeDueItems(entries)

    # When the scan runs
    report = scan(due, FakeSendQueue(), out_of_time=lambda: len(due.claims) >= 16)

    # Then its claims are spread over every shard, two each
    assert report.stopped_early
    assert report.claimed_by_shard == {shard: 2 for shard in keys.all_due_shards()}


def test_each_tick_starts_at_the_next_shard_and_none_starves() -> None:
    # Given 30 due items on every shard, and ticks with time for only 12 claims each
    due = FakeDueItems(entries_on_every_shard(30))
    state = FakeScanState()
    claimed: list[dict[str, int]] = []

    # When 20 ticks run
    for _ in range(20):
        before = len(due.claims)
        claimed.append(
            scan(due, FakeSendQueue(), state, out_of_time=lambda b=before: len(due.claims) >= b + 12).claimed_by_shard
        )
        for item_id in list(due.claims):
            for shard in due.shards.values():
                shard[:] = [e for e in shard if e.ref.item_id != item_id]

    # Then the first shard of each tick rotates, and every shard is drained
    starts = [keys.due_shard(due.claim_order[n * 12]) for n in range(8)]
    assert starts == keys.all_due_shards()
    assert all(not entries for entries in due.shards.values())
    assert len(due.claims) == 8 * 30


def test_claims_run_concurrently_within_the_bound() -> None:
    # Given 16 due items, a bound of 4 claims at once, and claims that only finish once 4 overlap
    bound = 4
    meet = threading.Barrier(bound, timeout=5)
    due = FakeDueItems([an_entry() for _ in range(16)], on_claim=lambda _: meet.wait())
    settings = Settings.model_validate({**ENVIRONMENT, "SCAN_CONCURRENCY": str(bound)})

    # When the scan runs
    report = scan(due, FakeSendQueue(), settings=settings)

    # Then every item was claimed, 4 at a time and never more
    assert report.claimed == 16
    assert due.most_claims_at_once == bound


def test_queue_failures_are_counted_and_their_claims_released() -> None:
    # Given 23 due items and a queue that fails 2 messages of one batch and 1 of another
    due = FakeDueItems([an_entry() for _ in range(23)])
    queue = FakeSendQueue(failures=[2, 0, 1])

    # When the scan runs
    report = scan(due, queue)

    # Then the failures are reported, only the messages that made it count as queued, and the
    # claims of the others are released (due again at the next tick, not after the long lease)
    assert (report.queue_failures, report.queued, report.claimed, report.released) == (3, 20, 23, 3)
    assert len(due.released) == 3
    assert len(due.claims) == 20


def test_a_tick_that_finds_another_scan_running_does_nothing() -> None:
    # Given another scan holds the lock
    due = FakeDueItems([an_entry()])
    state = FakeScanState()
    assert state.lock("another", NOW, NOW + timedelta(minutes=5)) is not None

    # When a tick runs
    report = scan(due, FakeSendQueue(), state)

    # Then it reads and claims nothing
    assert report.skipped == "another scan is running"
    assert due.queried == []


def test_a_tick_delivered_late_is_dropped() -> None:
    # Given a scheduled event from 10 minutes ago (a retried invocation)
    due = FakeDueItems([an_entry()])

    # When it runs
    report = run_scan(NOW - timedelta(minutes=10), due, FakeScanState(), FakeSendQueue(), SETTINGS, now=lambda: NOW)

    # Then nothing is read or claimed
    assert report.skipped == "stale tick"
    assert due.queried == []


def test_messages_a_dead_scan_left_in_flight_are_queued_by_the_next() -> None:
    # Given a scan that noted its messages and died before queueing them (it kept the lock's note)
    state = FakeScanState()
    lease = state.lock("dead", NOW - timedelta(minutes=10), NOW - timedelta(minutes=5))
    assert lease is not None
    state.note_in_flight("dead", ["left-1", "left-2"])
    queue = FakeSendQueue()

    # When the next tick runs
    report = scan(FakeDueItems([]), queue, state)

    # Then it queues them again and clears the note
    assert queue.bodies == ["left-1", "left-2"]
    assert report.recovered == 2
    assert state.in_flight == []
