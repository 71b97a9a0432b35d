"""The scan and send functions with the sample events, and with events they must refuse."""

from __future__ import annotations

from typing import Any

import pytest

from functions.scan import handler as scan_handler
from functions.send import handler as send_handler
from portal_reminders import wiring
from portal_reminders.models.events import InvalidEvent
from tests.support.events import FakeLambdaContext, load_event, scheduled_event
from tests.support.world import World


def test_the_sample_scheduled_event_runs_a_scan(world: World) -> None:
    result = scan_handler.lambda_handler(load_event("scan_tick.json"), FakeLambdaContext())
    assert result == {
        "due": 0,
        "claimed": 0,
        "lost_race": 0,
        "gave_up": 0,
        "errors": 0,
        "queued": 0,
        "queue_failures": 0,
        "released": 0,
        "recovered": 0,
        "stopped_early": False,
        "skipped": None,
        "claimed_by_shard": {},
    }


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({}, "time"),
        ("tick", "event"),
        (None, "event"),
        ({**load_event("scan_tick.json"), "time": "yesterday"}, "time"),
        ({**load_event("scan_tick.json"), "time": "2026-11-30T09:05:00"}, "time"),
        ({**load_event("scan_tick.json"), "time": 1795770000}, "time"),
    ],
)
def test_a_scan_refuses_an_event_without_a_usable_time_and_changes_nothing(
    world: World, event: Any, problem: str
) -> None:
    # Given an item whose notification lease has expired (it would be claimed by a real tick)
    account = world.create_account()
    world.send_item(account["id"], reminders={"enabled": True})

    # When the scan is invoked with a malformed event
    with pytest.raises(InvalidEvent, match=problem):
        scan_handler.lambda_handler(event, FakeLambdaContext())

    # Then nothing was claimed or queued
    assert world.queued_bodies() == []


def test_a_scan_that_runs_out_of_time_leaves_the_rest_due_for_the_next_tick(world: World) -> None:
    # Given three items with a reminder due
    account = world.create_account(contacts=[])
    for n in range(3):
        world.send_item(account["id"], title=f"Item {n}", reminders={"enabled": True})
    tick = scheduled_event("2026-12-01T09:00:00Z")

    # When a scan starts with less than its safety margin left
    result = scan_handler.lambda_handler(tick, FakeLambdaContext(remaining_ms=1_000))

    # Then it stops before claiming, and the next tick claims all three
    assert (result["claimed"], result["stopped_early"]) == (0, True)
    assert scan_handler.lambda_handler(tick, FakeLambdaContext())["claimed"] == 3


def test_the_sample_sqs_event_for_an_unknown_item_is_consumed_quietly(world: World) -> None:
    # the sample names an item that does not exist here: nothing to send, nothing to retry
    assert send_handler.lambda_handler(load_event("send_batch.json"), FakeLambdaContext()) == {"batchItemFailures": []}
    assert world.mail == []


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, {"Records": [{"body": "{}"}]}, [], None])
def test_send_refuses_an_event_that_is_not_an_sqs_batch(world: World, event: Any) -> None:
    with pytest.raises(InvalidEvent, match="SQS event"):
        send_handler.lambda_handler(event, FakeLambdaContext())


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "{}",
        '{"type": "scheduled"}',
        '{"type": "bulk", "firm_id": "f", "item_id": "itm_0", "account_id": "acc_0"}',
        '{"type": "scheduled", "firm_id": "firm-a", "item_id": "itm_x", "account_id": "acc_x", "number": 1}',
        '{"type": "scheduled", "firm_id": "firm a", "item_id": "itm_0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e",'
        ' "account_id": "acc_5f0c1d2e3b4a49c8a7e6d5c4b3a29180", "number": -1}',
        '{"type": "manual", "firm_id": "firm-a", "item_id": "itm_0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e",'
        ' "account_id": "acc_5f0c1d2e3b4a49c8a7e6d5c4b3a29180", "resend_id": "rs_1", "actor": "u"}',
    ],
)
def test_a_malformed_send_message_goes_straight_to_the_dead_letter_queue(world: World, body: str) -> None:
    # Given a batch with the malformed body next to the (harmless) sample record
    event = load_event("send_batch.json")
    bad = {**event["Records"][0], "messageId": "bad-1", "body": body}
    event["Records"].append(bad)

    # When send processes it
    response = send_handler.lambda_handler(event, FakeLambdaContext())

    # Then no retry can fix it, so it is moved to the dead-letter queue (not retried 100 times),
    # and nothing was sent
    assert response == {"batchItemFailures": []}
    dead = world.sqs.receive_message(QueueUrl=world.queues.dead_letter_url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in dead] == [body]
    assert world.mail == []


def test_a_malformed_message_that_cannot_be_dead_lettered_is_reported_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a send function whose dead-letter queue is unreachable
    monkeypatch.setenv("SEND_DEAD_LETTER_QUEUE_URL", world.queues.dead_letter_url + "-gone")
    wiring.reset()
    event = load_event("send_batch.json")
    event["Records"].append({**event["Records"][0], "messageId": "bad-1", "body": "not json"})

    # When send processes a malformed message
    response = send_handler.lambda_handler(event, FakeLambdaContext())

    # Then it is reported failed, to be retried (and dead-lettered by SQS in the end), not dropped
    assert response == {"batchItemFailures": [{"itemIdentifier": "bad-1"}]}
