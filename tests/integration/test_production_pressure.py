"""SPEC R14: delivery under production pressure. SES throttling, an exhausted quota, a paused
account, a backlog of hours, DynamoDB failing after SES accepted a mail, partial reads,
concurrent and overloaded scans: a reminder is delayed, never lost, never sent twice to anyone.

The functions run through their real entry points under moto; faults are injected with botocore
hooks; time is moved, never slept (World.run_for compresses hours of schedule and queue polling)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from functions.scan import handler as scan_handler
from portal_reminders import clock
from tests.conftest import START
from tests.support.aws import REGION
from tests.support.events import FakeLambdaContext, scheduled_event
from tests.support.faults import (
    Killed,
    dynamodb_down_after_ses_accepts,
    killed_after_ses_accepts,
    killed_before,
    ses_account,
    ses_calls,
    ses_errors,
    unprocessed_keys,
)
from tests.support.world import World

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
DUE = START + 3 * DAY
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"


def _due_reminder(world: World, **account: Any) -> dict[str, Any]:
    """An item whose first automatic reminder is due at DUE (the clock is left there)."""
    created = world.create_account(**account)
    item = world.send_item(created["id"], reminders={"enabled": True})
    world.time.move_to(DUE)
    return item


def _reminder_recipients(world: World) -> list[str]:
    return sorted(r for m in world.mail if m.subject.startswith("Reminder: ") for r in m.to)


def _audit(world: World, item: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    return items


def _types(world: World, item: dict[str, Any]) -> list[str]:
    return [e["type"] for e in _audit(world, item)]


def _at(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _dead_letters(world: World) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages: list[dict[str, Any]] = sqs.receive_message(
        QueueUrl=world.queues.dead_letter_url, MaxNumberOfMessages=10
    ).get("Messages", [])
    return messages


# --- throttling is backpressure, not failure ---------------------------------------------------


def test_ses_throttling_for_two_hours_delays_a_reminder_and_costs_it_nothing(world: World) -> None:
    # Given a due reminder, and SES throttling every send for the next two hours
    item = _due_reminder(world)
    throttled_until = DUE + 2 * HOUR

    # When the schedule and the send queue run for three hours
    with (
        ses_errors(lambda *_: "TooManyRequestsException" if clock.now() < throttled_until else None) as refused,
        ses_calls() as calls,
    ):
        world.run_for(3 * HOUR)

    # Then each contact got the reminder exactly once, after the throttling ended
    assert _reminder_recipients(world) == [ANA, BRUNO]
    assert refused, "SES was really asked during the throttling"
    accepted = [at for at, _ in calls if at >= throttled_until]
    assert len(accepted) == 2
    # and it backed off rather than hammering SES: a retry every few minutes at most, fewer later
    assert len(refused) <= 20
    # and it is recorded once, never as failed, and nothing dead-lettered
    assert _types(world, item) == ["item_sent", "reminder_sent"]
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert (current["reminders"]["sent"], current["email_failed"]) == (1, False)
    assert _dead_letters(world) == []


def test_a_daily_quota_exhausted_for_twenty_hours_delays_the_reminder_without_losing_it(world: World) -> None:
    # Given a due reminder, and an SES account whose daily quota is used up for the next 20 hours
    item = _due_reminder(world)
    exhausted_until = DUE + 20 * HOUR

    def used() -> float:
        return 50_000.0 if clock.now() < exhausted_until else 12_000.0

    # When the schedule and the send queue run for a day
    with (
        ses_account(max_24_hour_send=50_000, sent_last_24_hours=used),
        ses_errors(lambda *_: "LimitExceededException" if clock.now() < exhausted_until else None),
        ses_calls() as calls,
    ):
        world.run_for(DAY, step=timedelta(minutes=5))

    # Then the reminder went out once to each contact, after the quota came back, and is not failed
    assert _reminder_recipients(world) == [ANA, BRUNO]
    assert [at for at, _ in calls if at >= exhausted_until] != []
    assert _types(world, item) == ["item_sent", "reminder_sent"]
    assert world.api("GET", f"/action-items/{item['id']}").body["email_failed"] is False
    assert _dead_letters(world) == []


def test_a_round_ses_keeps_refusing_is_given_up_between_24_and_48_hours_and_never_retried(world: World) -> None:
    # Given two accounts with a due reminder each, and SES refusing (throttling) every mail to the
    # first account's contacts for two days while the other account's mail goes through
    refused_item = _due_reminder(world)
    other = world.create_account(
        contacts=[{"name": "Dora", "email": "dora@other.example.com", "notify": True}],
    )
    world.time.move_to(START)
    other_item = world.send_item(other["id"], reminders={"enabled": True})
    world.time.move_to(DUE)

    def plan(recipient: str, _: int) -> str | None:
        return "TooManyRequestsException" if recipient in (ANA, BRUNO) else None

    # When the schedule and the send queue run for three days
    with ses_errors(plan), ses_calls() as calls:
        world.run_for(3 * DAY, step=timedelta(minutes=5), scan_every=timedelta(minutes=15))

    # Then the refused round was given up once, between 24 and 48 hours after its first try
    tries = [at for at, to in calls if to in (ANA, BRUNO)]
    failures = [e for e in _audit(world, refused_item) if e["type"] == "email_failed"]
    assert len(failures) == 1
    given_up = _at(failures[0]["at"])
    # (the audit shows whole seconds, and another account's mail may take the first turn on the
    # send rate, so the first try can be a millisecond into the second the round began in)
    first_try = tries[0].replace(microsecond=0)
    assert first_try + DAY <= given_up <= first_try + 2 * DAY
    assert failures[0]["details"]["number"] == 1
    # and nothing retried it after that
    assert max(tries) <= given_up
    current = world.api("GET", f"/action-items/{refused_item['id']}").body
    assert (current["email_failed"], current["reminders"]["next_at"], current["reminders"]["sent"]) == (True, None, 0)
    # and the other account's reminder went out at once
    assert [e["type"] for e in _audit(world, other_item)] == ["item_sent", "reminder_sent"]
    assert _dead_letters(world) == []


def test_sending_stays_within_the_ses_rate_across_concurrent_send_functions(world: World) -> None:
    # Given an SES account allowed 2 mails a second, and 6 due reminders (12 mails) queued, one email
    # per item (the firm turned digests off: SPEC R20 would send the six as one email per contact)
    assert world.api("PUT", "/firm", {"name": "Silva Contabilidade", "reminder_digest": False}).status == 200
    world.take_queued()
    account = world.create_account()
    for n in range(6):
        world.send_item(account["id"], title=f"Organizer {n}", reminders={"enabled": True})
    world.scan(DUE)
    first, second = world.receive(max_messages=3), world.receive(max_messages=3)
    assert len(first) == len(second) == 3

    # When two send functions take a batch each at the same moment
    with ses_account(max_send_rate=2.0), ses_calls() as calls:
        world.send(first)
        world.time.move_to(DUE)  # the second worker started at the same time as the first
        world.send(second)

    # Then all 12 mails went out, never more than 2 in any second
    assert len(calls) == 12
    times = sorted(at for at, _ in calls)
    for n in range(len(times) - 2):
        assert times[n + 2] - times[n] >= timedelta(seconds=1), times


# --- queue time never costs a reminder ---------------------------------------------------------


def test_a_five_hour_backlog_is_neither_claimed_twice_nor_given_up(world: World) -> None:
    # Given a due reminder the scan has queued
    item = _due_reminder(world)

    # When the send side is backed up for five hours while the schedule keeps scanning
    claimed = 0
    for _ in range(60):
        claimed += world.scan()["claimed"]
        world.time.shift(timedelta(minutes=5))

    # Then it was claimed once, one message waits, and nothing was given up
    assert claimed == 1
    assert len(world.queued_bodies()) == 1
    assert _types(world, item) == ["item_sent"]

    # When the backlog drains
    world.drain()

    # Then the reminder goes out once, counted once
    assert _reminder_recipients(world) == [ANA, BRUNO]
    assert _types(world, item) == ["item_sent", "reminder_sent"]
    assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 1


def test_a_scan_killed_between_claim_and_enqueue_loses_nothing(world: World) -> None:
    # Given a due reminder, and a scan killed after claiming it but before queueing it
    item = _due_reminder(world)
    with killed_before("sqs", "SendMessageBatch"), pytest.raises(Killed):
        world.scan()

    # When the next ticks run, five minutes apart
    world.run_for(15 * timedelta(minutes=1))

    # Then the reminder went out within minutes, once
    assert _reminder_recipients(world) == [ANA, BRUNO]
    assert _types(world, item) == ["item_sent", "reminder_sent"]


# --- at most one mail per contact per reminder, under any single failure -------------------------


def test_dynamodb_failing_on_the_first_write_after_ses_accepted_emails_nobody_twice(world: World) -> None:
    # Given a queued reminder for two contacts
    item = _due_reminder(world)
    world.scan()

    # When DynamoDB fails the first write after SES accepted a mail, and the queue retries
    with dynamodb_down_after_ses_accepts() as failed:
        world.run_for(2 * HOUR, scan_every=None)

    # Then nobody got the reminder twice, and it is recorded exactly once
    assert failed
    assert len(world.mail_to(ANA)) == 2  # the notification and one reminder
    assert len(world.mail_to(BRUNO)) == 2
    reminders = [e for e in _audit(world, item) if e["type"] == "reminder_sent"]
    assert len(reminders) == 1
    assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 1


def test_an_invocation_killed_after_ses_accepted_emails_nobody_twice(world: World) -> None:
    # Given a queued reminder for two contacts
    item = _due_reminder(world)
    world.scan()

    # When the send invocation is killed right after SES accepted the first mail
    with killed_after_ses_accepts(), pytest.raises(Killed):
        world.drain()
    world.run_for(2 * HOUR, scan_every=None)

    # Then each contact got exactly one reminder, and it is recorded once
    assert _reminder_recipients(world) == [ANA, BRUNO]
    reminders = [e for e in _audit(world, item) if e["type"] == "reminder_sent"]
    assert len(reminders) == 1


def test_the_api_answers_201_when_recording_fails_after_the_notification_went_out(world: World) -> None:
    # Given an account with two notify contacts
    account = world.create_account()

    # When the firm sends an item and DynamoDB fails right after SES accepted the first mail
    with dynamodb_down_after_ses_accepts() as failed:
        reply = world.api("POST", f"/accounts/{account['id']}/action-items", {"kind": "organizer", "title": "Q"})

    # Then the API answers 201 (the item exists), not a 5xx
    assert failed
    assert reply.status == 201, reply.body

    # When the send queue runs
    world.run_for(HOUR, scan_every=None)

    # Then each contact got the notification once, and it is audited once
    assert len(world.mail_to(ANA)) == 1
    assert len(world.mail_to(BRUNO)) == 1
    assert [e["type"] for e in _audit(world, reply.body)] == ["item_sent"]


def test_the_api_answers_202_when_recording_a_resend_fails_after_the_mail_went_out(world: World) -> None:
    # Given a sent item
    account = world.create_account()
    item = world.send_item(account["id"])
    world.time.move_to(START + DAY)

    # When the firm resends it and DynamoDB fails right after SES accepted the first mail
    with dynamodb_down_after_ses_accepts() as failed:
        reply = world.api("POST", f"/action-items/{item['id']}/resend", {})

    # Then the API answers 202, and the resend is recorded later, once, nobody emailed twice
    assert failed
    assert reply.status == 202, reply.body
    world.run_for(HOUR, scan_every=None)
    assert len(world.mail_to(ANA)) == 2
    assert len(world.mail_to(BRUNO)) == 2
    assert [e["type"] for e in _audit(world, item)] == ["item_sent", "reminder_sent"]


# --- partial reads are retried, never read as "not found" ----------------------------------------


def test_unprocessed_keys_on_the_sends_read_are_retried_not_read_as_no_contacts(world: World) -> None:
    # Given a queued reminder
    item = _due_reminder(world)
    world.scan()

    # When DynamoDB leaves the account unprocessed on the send's first five reads
    with unprocessed_keys("ACCOUNT", times=5) as partial:
        world.run_for(HOUR, scan_every=None)

    # Then the reminder still reached both contacts, and the audit names them
    assert len(partial) == 5
    assert _reminder_recipients(world) == [ANA, BRUNO]
    sent = [e for e in _audit(world, item) if e["type"] == "reminder_sent"]
    assert [e["recipients"] for e in sent] == [[ANA, BRUNO]]
    assert "nobody_emailed" not in sent[0]["details"]


# --- the scan scales ---------------------------------------------------------------------------


def test_only_one_scan_runs_at_a_time(world: World) -> None:
    # Given two due reminders
    account = world.create_account(contacts=[])
    for n in range(2):
        world.send_item(account["id"], title=f"Item {n}", reminders={"enabled": True})
    world.time.move_to(DUE)

    # When a second scan starts while the first is reading the due index
    from portal_reminders.repository.records import ItemRecord  # noqa: PLC0415

    client = ItemRecord._get_connection().connection.client
    second: list[dict[str, Any]] = []

    def start_another(**_: Any) -> None:
        if not second:
            second.append({})
            second[0] = scan_handler.lambda_handler(scheduled_event(DUE), FakeLambdaContext())

    client.meta.events.register("before-call.dynamodb.Query", start_another, unique_id="second-scan")
    try:
        first = scan_handler.lambda_handler(scheduled_event(DUE), FakeLambdaContext())
    finally:
        client.meta.events.unregister("before-call.dynamodb.Query", unique_id="second-scan")

    # Then the second one did nothing, and the first claimed both
    assert second[0]["claimed"] == 0
    assert second[0]["skipped"] == "another scan is running"
    assert first["claimed"] == 2


def test_a_scheduled_run_delivered_late_is_dropped_not_run_with_its_stale_time(world: World) -> None:
    # Given a due reminder
    _due_reminder(world)

    # When a scheduled event from an hour ago arrives (a retried invocation)
    result = scan_handler.lambda_handler(scheduled_event(DUE - HOUR), FakeLambdaContext())

    # Then the scan does nothing with it
    assert result["claimed"] == 0
    assert result["skipped"] == "stale tick"
    assert world.queued_bodies() == []


class _ClaimBudgetContext(FakeLambdaContext):
    """A Lambda context whose remaining time runs out after `claims` conditional claims."""

    def __init__(self, claims: int) -> None:
        super().__init__()
        from portal_reminders.repository.records import ItemRecord  # noqa: PLC0415

        self.claims_left = claims
        client = ItemRecord._get_connection().connection.client
        client.meta.events.register("before-call.dynamodb.UpdateItem", self._count, unique_id="claim-budget")

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        if "claim_number" in json.dumps(params, default=str):
            self.claims_left -= 1

    def get_remaining_time_in_millis(self) -> int:
        return 300_000 if self.claims_left > 0 else 1_000


def test_an_overloaded_scan_visits_every_shard_and_drains_them_over_ticks(world: World) -> None:
    # Given 48 (or a few more) due reminders spread over every shard of the due index
    from portal_reminders.repository import keys  # noqa: PLC0415

    account = world.create_account(contacts=[])
    items: list[dict[str, Any]] = []
    while len(items) < 48 or len({keys.due_shard(i["id"]) for i in items}) < keys.DUE_SHARDS:
        items.append(world.send_item(account["id"], title=f"Item {len(items)}", reminders={"enabled": True}))
    shards = {keys.due_shard(i["id"]) for i in items}

    # When each tick only has time for about 16 claims
    queued_per_tick = []
    for tick in range(6):
        world.time.move_to(DUE + tick * timedelta(minutes=5))
        scan_handler.lambda_handler(scheduled_event(clock.now()), _ClaimBudgetContext(claims=16))
        queued_per_tick.append(world.take_queued())

    # Then the first tick already claimed from every shard, and the ticks drained them all
    assert {keys.due_shard(b["item_id"]) for b in queued_per_tick[0]} == shards
    assert len(queued_per_tick[0]) < len(items)
    assert sorted(b["item_id"] for tick in queued_per_tick for b in tick) == sorted(i["id"] for i in items)


def test_a_failed_record_is_logged_with_its_reason_and_its_retry(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a queued reminder, and SES throttling
    _due_reminder(world)
    world.scan()

    # When send takes it
    with ses_errors(lambda *_: "TooManyRequestsException"):
        [run] = world.drain()

    # Then the failure is logged with the message, why it failed, and when it is tried again
    [failed] = [r for r in caplog.records if r.getMessage() == "send record failed"]
    assert failed.message_id == run.failed_ids[0]  # type: ignore[attr-defined]
    assert failed.error == "MailThrottled"  # type: ignore[attr-defined]
    assert "TooManyRequestsException" in failed.reason  # type: ignore[attr-defined]
    assert 7 <= failed.retry_in_seconds <= 10  # type: ignore[attr-defined]
    # and it does come back after that delay, not the queue's 180 s
    world.time.shift(timedelta(seconds=failed.retry_in_seconds + 1))  # type: ignore[attr-defined]
    assert len(world.receive()) == 1
