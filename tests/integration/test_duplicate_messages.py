"""The same send-queue message twice (SQS delivers at least once; a scan that died re-queues what
it noted) sends each contact one mail, also when both copies arrive in one batch: the batch's
snapshot of the item serves one round, and a worker that finds its round recorded meanwhile
stops before its first mail."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3

from tests.conftest import START
from tests.support.aws import REGION
from tests.support.world import World


def test_the_same_reminder_twice_in_one_batch_emails_each_contact_once(world: World) -> None:
    # Given a reminder due and queued twice
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 2})
    world.scan(START + timedelta(days=3, minutes=1))
    [body] = [json.dumps(b) for b in world.take_queued()]
    sqs = boto3.client("sqs", region_name=REGION)
    for _ in range(2):
        sqs.send_message(QueueUrl=world.queues.send_url, MessageBody=body)
    sent = len(world.mail)

    # When both copies come in one batch
    [run] = world.drain()

    # Then each notify contact got the reminder once, recorded once, and both messages are done
    assert sorted(m.to[0] for m in world.mail[sent:]) == ["ana@client.example.com", "bruno@client.example.com"]
    assert run.failed_ids == []
    assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 1
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent"]
