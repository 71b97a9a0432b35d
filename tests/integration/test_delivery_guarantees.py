"""What the firm trusts the service for: never a duplicate email, never a lost reminder, never a
reminder retried forever (SPEC §4: claims, leases, idempotent sends, DLQ, email_failed)."""

from __future__ import annotations

from datetime import timedelta

import boto3

from functions.send import handler as send_handler
from tests.conftest import START
from tests.support.aws import REGION, template_limit
from tests.support.events import FakeLambdaContext, sqs_event
from tests.support.faults import dynamodb_errors, ses_errors
from tests.support.world import World

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
# a received message shows again once its visibility timeout has passed (strictly)
VISIBILITY = timedelta(seconds=template_limit("Send", "VisibilityTimeoutSeconds") + 1)
CLAIM_LEASE = timedelta(seconds=template_limit("Send", "ClaimLeaseSeconds"))


def _item_with_due_reminder(world: World, **reminders: object) -> dict:
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, **reminders})
    world.time.move_to(START + 3 * DAY)
    return item


def test_two_overlapping_scans_claim_a_due_item_once(world: World) -> None:
    # Given a due reminder
    _item_with_due_reminder(world)

    # When two scans run for the same tick
    first = world.scan(START + 3 * DAY)
    second = world.scan(START + 3 * DAY)

    # Then only the first claims it, and one message is queued
    assert (first["claimed"], second["claimed"]) == (1, 0)
    assert len(world.queued_bodies()) == 1


def test_the_same_message_delivered_twice_sends_one_email_per_contact(world: World) -> None:
    # Given a queued reminder
    _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)
    message = world.receive()[0]

    # When SQS delivers the same message twice (at-least-once delivery)
    world.send([message])
    world.send([message])

    # Then each contact got the reminder once
    reminders = [m for m in world.mail if m.subject.startswith("Reminder: ")]
    assert sorted(r for m in reminders for r in m.to) == ["ana@client.example.com", "bruno@client.example.com"]


def test_a_contact_already_emailed_is_not_emailed_again_when_a_throttled_send_is_retried(world: World) -> None:
    # Given a queued reminder for two contacts
    item = _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)

    # When SES throttles the email to the second contact
    with ses_errors(lambda to, _: "TooManyRequestsException" if to.startswith("bruno") else None) as failed:
        first = world.drain()
    # Then the record is reported failed and retried after the visibility timeout
    assert failed == ["bruno@client.example.com"]
    assert len(first[0].failed_ids) == 1
    world.time.shift(VISIBILITY)
    world.drain()

    # Then Ana got one reminder, Bruno got one, and the audit names both once
    reminders = [m for m in world.mail if m.subject.startswith("Reminder: ")]
    assert sorted(r for m in reminders for r in m.to) == ["ana@client.example.com", "bruno@client.example.com"]
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    sent = [e for e in audit if e["type"] == "reminder_sent"]
    assert len(sent) == 1
    assert sent[0]["recipients"] == ["ana@client.example.com", "bruno@client.example.com"]
    message_ids = sent[0]["details"].pop("message_ids")
    assert sent[0]["details"] == {"mode": "auto", "number": 1, "of": 1, "tone": "gentle"}
    assert sorted(message_ids) == sent[0]["recipients"]


def test_a_malformed_record_fails_alone(world: World) -> None:
    # Given a batch with one good message and one that is not a send message
    _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)
    good = world.receive()[0]
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=world.queues.send_url, MessageBody='{"type": "scheduled", "item_id": "nope"}')
    bad = world.receive()[0]

    # When send processes the batch
    run = world.send([good, bad])

    # Then the malformed record went to the dead-letter queue alone; the good one was sent
    assert run.failed_ids == []
    dead = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=world.queues.dead_letter_url)
    assert [m["Body"] for m in dead["Messages"]] == [bad["Body"]]
    assert len([m for m in world.mail if m.subject.startswith("Reminder: ")]) == 2


def test_a_claimed_reminder_whose_message_was_lost_is_due_again_when_the_lease_expires(world: World) -> None:
    # Given a claimed reminder whose queue message never reaches send
    item = _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)
    lost = world.receive()[0]
    boto3.client("sqs", region_name=REGION).delete_message(
        QueueUrl=world.queues.send_url, ReceiptHandle=lost["ReceiptHandle"]
    )

    # When ticks run during the lease, then after it
    during = world.scan(START + 3 * DAY + CLAIM_LEASE - timedelta(minutes=5))
    after = world.scan(START + 3 * DAY + CLAIM_LEASE)
    world.drain()

    # Then nothing is due during the lease; afterwards it is claimed again and sent
    assert during["due"] == 0
    assert after["claimed"] == 1
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert current["reminders"]["sent"] == 1


def test_a_reminder_ses_refuses_for_a_day_is_recorded_email_failed_and_not_requeued(world: World) -> None:
    # Given a queued reminder and an SES account that stays paused
    item = _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)

    # When the send queue keeps retrying it for a day and a half
    with ses_errors(lambda *_: "SendingPausedException"):
        world.run_for(36 * HOUR, step=timedelta(minutes=10), scan_every=None)

    # Then it was given up once, a day after its first try, and its message is gone (not dead-lettered)
    assert world.receive() == []
    sqs = boto3.client("sqs", region_name=REGION)
    assert sqs.receive_message(QueueUrl=world.queues.dead_letter_url).get("Messages", []) == []
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert current["email_failed"] is True
    assert current["reminders"]["next_at"] is None
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    failure = [e for e in audit if e["type"] == "email_failed"]
    assert len(failure) == 1
    assert failure[0]["details"]["number"] == 1
    # and later scans skip it
    assert world.scan(START + 10 * DAY)["due"] == 0
    assert world.scan(START + 3 * DAY + 2 * CLAIM_LEASE)["due"] == 0


def test_a_reminder_no_worker_ever_records_is_given_up_after_repeated_leases(world: World) -> None:
    # Given a reminder whose send never completes (its messages vanish every time, e.g. purged)
    item = _item_with_due_reminder(world)
    sqs = boto3.client("sqs", region_name=REGION)
    at = START + 3 * DAY

    # When the scan claims it again after every expired lease
    claims = 0
    for _ in range(4):
        claims += world.scan(at)["claimed"]
        for message in world.receive():
            sqs.delete_message(QueueUrl=world.queues.send_url, ReceiptHandle=message["ReceiptHandle"])
        at += CLAIM_LEASE

    # Then after two claims it records email_failed and stops claiming
    assert claims == template_limit("Send", "MaxClaimAttempts") == 2
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent", "email_failed"]
    assert audit[1]["actor"] == "system"
    assert world.api("GET", f"/action-items/{item['id']}").body["email_failed"] is True


def test_changing_settings_after_email_failed_resumes_reminders(world: World) -> None:
    # Given an item whose reminder was given up as email_failed
    item = _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)
    with ses_errors(lambda *_: "SendingPausedException"):
        world.run_for(26 * HOUR, step=timedelta(minutes=10), scan_every=None)
    assert world.api("GET", f"/action-items/{item['id']}").body["email_failed"] is True

    # When the firm changes the reminder settings
    world.api("PATCH", f"/action-items/{item['id']}/reminders", {"days_between": 2})

    # Then the reminder is scheduled again and sent
    assert world.scan()["claimed"] == 1
    world.drain()
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert (current["reminders"]["sent"], current["email_failed"]) == (1, False)


def test_a_rejected_address_does_not_block_the_other_contacts(world: World) -> None:
    # Given a due reminder and an SES that rejects Bruno's address for good
    item = _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)

    # When send runs
    with ses_errors(lambda to, _: "MessageRejected" if to.startswith("bruno") else None):
        runs = world.drain()

    # Then Ana got it, the record succeeded, and the audit records Bruno's failure
    assert runs[0].failed_ids == []
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent", "email_failed"]
    assert audit[1]["recipients"] == ["ana@client.example.com"]
    assert audit[2]["recipients"] == ["bruno@client.example.com"]


def test_a_notification_the_mail_service_could_not_take_is_queued_and_sent_by_send(world: World) -> None:
    # Given an SES that is throttling when the firm sends an item
    account = world.create_account()
    with ses_errors(lambda *_: "TooManyRequestsException"):
        item = world.send_item(account["id"])

    # Then the item exists, nobody was emailed yet, and the notification is queued
    assert item["last_emailed_at"] is None
    assert world.queued_bodies() == [
        {"type": "scheduled", "firm_id": "firm-a", "item_id": item["id"], "account_id": account["id"], "number": 0}
    ]

    # When send runs later
    world.drain()

    # Then the notification went out once to each notify contact
    assert sorted(r for m in world.mail for r in m.to) == ["ana@client.example.com", "bruno@client.example.com"]
    assert world.api("GET", f"/action-items/{item['id']}").body["last_emailed_at"] is not None


def test_a_resend_the_mail_service_could_not_take_is_queued(world: World) -> None:
    # Given an item, and SES throttling at the moment of the resend
    account = world.create_account()
    item = world.send_item(account["id"])
    world.time.move_to(START + DAY)
    with ses_errors(lambda *_: "TooManyRequestsException"):
        reply = world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Reminder from Beatriz"})

    # Then the resend is accepted and queued, and send delivers it once
    assert reply.status == 202
    assert reply.body["queued"] is True
    world.drain()
    world.drain()
    resent = world.mail[2:]
    assert sorted(r for m in resent for r in m.to) == ["ana@client.example.com", "bruno@client.example.com"]
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["details"].get("message") for e in audit if e["type"] == "reminder_sent"] == ["Reminder from Beatriz"]


def test_a_write_that_collides_with_a_transaction_is_retried_not_a_500(world: World) -> None:
    # Given an item, and DynamoDB refusing the next write because a transaction holds the item
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True})

    # When the firm changes its settings
    with dynamodb_errors(
        "TransactWriteItems", "TransactionCanceledException", times=1, reasons=["TransactionConflict", "None"]
    ) as refused:
        reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"days_between": 5})

    # Then the change was retried and made
    assert refused == ["TransactionCanceledException"]
    assert reply.status == 200
    assert reply.body["reminders"]["days_between"] == 5


def test_a_scan_survives_an_item_it_cannot_claim(world: World) -> None:
    # Given three due reminders, and the first claim failing with a DynamoDB error
    account = world.create_account(contacts=[])
    for n in range(3):
        world.send_item(account["id"], title=f"Item {n}", reminders={"enabled": True})

    with dynamodb_errors("UpdateItem", "InternalServerError", times=1):
        report = world.scan(START + 3 * DAY)

    # Then the other two were claimed and queued, and the third is claimed by the next tick
    assert (report["claimed"], report["errors"], report["queued"]) == (2, 1, 2)
    assert world.scan(START + 3 * DAY + timedelta(minutes=5))["claimed"] == 1


def test_a_send_without_time_left_stops_before_emailing_and_is_retried(world: World) -> None:
    # Given a queued reminder, and a send invocation that starts with almost no time left
    _item_with_due_reminder(world)
    world.scan(START + 3 * DAY)
    messages = world.receive()

    response = send_handler.lambda_handler(sqs_event(messages), FakeLambdaContext(remaining_ms=1_000))

    # Then the record is reported failed before any email, and a later delivery sends it once
    assert response == {"batchItemFailures": [{"itemIdentifier": messages[0]["MessageId"]}]}
    assert len(world.mail) == 2
    world.time.shift(VISIBILITY)
    world.drain()
    assert len(world.mail) == 4
