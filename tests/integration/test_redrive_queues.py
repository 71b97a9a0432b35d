"""Redriving the dead-letter queues (README, Operations) with devtools.redrive_queues: what failed
for good waits there; once the cause is gone, each message is handed back where it failed (the
real handlers under moto here, `lambda invoke` and the send queue in AWS) and leaves the queue;
what fails again stays."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from devtools.redrive_queues import QUEUES, move_to, redrive, summary
from devtools.sam_template import load_template
from portal_reminders.models.errors import StorageUnavailable
from tests.conftest import START
from tests.support.aws import REGION
from tests.support.faults import dynamodb_errors
from tests.support.world import World

BRUNO = "bruno@client.example.com"


def _contacts(world: World, account_id: str) -> dict[str, Any]:
    return {c["email"]: c for c in world.api("GET", f"/accounts/{account_id}").body["contacts"]}


def test_a_bounce_the_suppression_function_failed_on_is_redriven_once_storage_is_back(world: World) -> None:
    # Given Bruno's bounce, which the suppression function failed on (DynamoDB unavailable): after
    # Lambda's retries the event waits in the function's dead-letter queue, as Lambda records it
    account = world.create_account()
    world.send_item(account["id"])
    event = world.ses_event(world.sent_to(BRUNO)[0], "bounce")
    with dynamodb_errors("TransactWriteItems", "InternalServerError", times=100), pytest.raises(StorageUnavailable):
        world.invoke_suppression(event)
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="suppression-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    assert _contacts(world, account["id"])[BRUNO]["suppressed"] is None

    # When an operator looks (dry run), then redrives it into the function
    looked = redrive(sqs, queue, lambda body: _invoke(world, body), dry_run=True)
    world.time.shift(timedelta(seconds=1))  # a dry run shows its messages again at once
    report = redrive(sqs, queue, lambda body: _invoke(world, body))

    # Then the dry run changed nothing; the redrive suppressed Bruno and emptied the queue
    assert (len(looked.looked), looked.what, looked.redriven) == (1, {"Email Bounced": 1}, [])
    assert (len(report.redriven), report.failed) == (1, {})
    assert summary(report, "suppression", dry_run=False) == (
        "suppression: 1 message(s) (1 Email Bounced): 1 redriven, 0 failed again (kept)"
    )
    assert _contacts(world, account["id"])[BRUNO]["suppressed"]["reason"] == "bounce"
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []

    # And redriving the same event again (say it was in both dead-letter queues) changes nothing
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    again = redrive(sqs, queue, lambda body: _invoke(world, body))
    assert len(again.redriven) == 1
    audit = world.api("GET", f"/accounts/{account['id']}/audit").body["items"]
    assert [e["type"] for e in audit].count("email_bounced") == 1


def _invoke(world: World, body: str) -> None:
    world.invoke_suppression(json.loads(body))


def test_a_message_that_fails_again_stays_in_the_queue(world: World) -> None:
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="automations-dlq")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"detail-type": "JobEnteredStage", "detail": {}}))

    def fails(_: str) -> None:
        raise RuntimeError("still broken")

    report = redrive(sqs, queue, fails)

    assert list(report.failed.values()) == ["RuntimeError: still broken"]
    assert report.redriven == []
    assert "kept" in summary(report, "automations", dry_run=False)
    world.time.shift(timedelta(minutes=6))  # the receive hid it for 5 minutes
    assert len(sqs.receive_message(QueueUrl=queue).get("Messages", [])) == 1


def test_a_dead_lettered_reminder_moved_back_to_the_send_queue_goes_out_once(world: World) -> None:
    # Given a reminder that went to the send dead-letter queue instead of being sent
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 1})
    world.scan(START + timedelta(days=3, minutes=1))
    [body] = [json.dumps(b) for b in world.take_queued()]
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=world.queues.dead_letter_url, MessageBody=body)
    sent = len(world.mail)

    # When the operator moves the dead-letter queue back to the send queue, twice by mistake
    report = redrive(sqs, world.queues.dead_letter_url, move_to(sqs, world.queues.send_url))
    sqs.send_message(QueueUrl=world.queues.send_url, MessageBody=body)
    world.drain()

    # Then the reminder went out once, to each notify contact
    assert (len(report.redriven), report.what) == (1, {"scheduled": 1})
    assert sorted(m.to[0] for m in world.mail[sent:]) == ["ana@client.example.com", BRUNO]
    assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 1


def test_every_dead_letter_queue_but_the_publishers_has_a_redrive_and_a_stack_output() -> None:
    outputs = load_template()["Outputs"]
    for queue_output, target_output in QUEUES.values():
        assert queue_output in outputs
        assert target_output in outputs
