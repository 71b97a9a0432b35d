"""Domain events (SPEC R17) through the real handlers: the api, scan and send commit changes, the
table's stream (moto's) carries them to the publisher in DynamoDB stream batches as Lambda's event
source mapping would (devtools.local.streams), and the publisher puts them on the bus. Every event
published here is also checked against its JSON Schema (World.publish)."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import boto3
import pytest

from devtools.local.eventbus import matches
from devtools.local.streams import stream_record
from devtools.redrive_events import redrive
from portal_reminders import ids
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    Contact,
    Kind,
    Language,
)
from portal_reminders.models.events import InvalidEvent
from portal_reminders.wiring import get_services
from tests.conftest import START
from tests.support.aws import REGION, streams_client, template_limit
from tests.support.events import load_event
from tests.support.faults import cut_off_after_put_events, put_events_refused, ses_errors
from tests.support.world import World

DAY = timedelta(days=1)
ITEM_FIELDS = {"event_id", "firm_id", "account_id", "item_id", "at", "kind", "title", "actor"}


def _contacts(account: dict[str, Any]) -> dict[str, str]:
    return {c["email"]: c["id"] for c in account["contacts"]}


def _audit(world: World, item_id: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return items


def test_sending_reminding_and_completing_publish_one_event_each_with_the_audit_ids(world: World) -> None:
    # Given an account with two notify contacts, and an organizer with two reminders three days apart
    account = world.create_account()
    contacts = _contacts(account)
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 2})

    # When the first reminder goes out on schedule, the firm resends by hand, and the client completes it
    world.scan(START + 3 * DAY)
    world.drain()
    world.time.move_to(START + 4 * DAY)
    assert world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Any questions?"}).status == 202
    world.time.move_to(START + 5 * DAY)
    assert world.api("POST", f"/action-items/{item['id']}/complete").status == 200
    world.publish()

    # Then ItemSent, ReminderSent (auto 1 of 2), ReminderSent (manual) and ItemCompleted were published,
    # in that order, each with its audit event's id as event_id
    assert [e["DetailType"] for e in world.published] == ["ItemSent", "ReminderSent", "ReminderSent", "ItemCompleted"]
    details = [json.loads(e["Detail"]) for e in world.published]
    assert [d["event_id"] for d in details] == [e["id"] for e in _audit(world, item["id"])]
    sent, auto, manual, completed = details
    notify = sorted([contacts["ana@client.example.com"], contacts["bruno@client.example.com"]])
    assert sent == {
        "event_id": sent["event_id"],
        "firm_id": "firm-a",
        "account_id": account["id"],
        "item_id": item["id"],
        "at": "2026-11-27T09:00:00Z",
        "kind": "organizer",
        "title": "2026 Tax Organizer",
        "actor": "user-1",
        "contact_ids": sent["contact_ids"],
        "unresolved_recipients": 0,
    }
    assert sorted(sent["contact_ids"]) == notify
    assert (auto["mode"], auto["number"], auto["of"], auto["actor"]) == ("auto", 1, 2, "system")
    assert auto["at"] == "2026-11-30T09:00:00Z"
    assert (manual["mode"], manual["number"], manual["of"], manual["actor"]) == ("manual", 1, None, "user-1")
    assert sorted(manual["contact_ids"]) == notify
    assert set(completed) == ITEM_FIELDS | {"via"}
    assert (completed["via"], completed["at"]) == (None, "2026-12-02T09:00:00Z")

    # And no event carries an email address or the firm's message, and the envelope's time is the change's
    assert "@" not in json.dumps(details)
    assert "Any questions" not in json.dumps(details)
    assert {e["Source"] for e in world.published} == {"client-reminders"}
    assert [e["Time"].strftime("%Y-%m-%dT%H:%M:%SZ") for e in world.published] == [d["at"] for d in details]


def test_cancelling_publishes_item_cancelled_naming_the_firm_user(world: World) -> None:
    account = world.create_account()
    item = world.send_item(account["id"], kind="proposal", title="Engagement letter 2027")
    world.api("POST", f"/action-items/{item['id']}/cancel", user="user-7")
    world.publish()

    [cancelled] = world.events_of("ItemCancelled")
    assert set(cancelled) == ITEM_FIELDS
    assert (cancelled["kind"], cancelled["title"], cancelled["actor"]) == (
        "proposal",
        "Engagement letter 2027",
        "user-7",
    )


def test_a_chat_read_by_the_client_and_an_invoice_paid_in_full_say_how_they_completed(world: World) -> None:
    account = world.create_account()
    chat = world.send_item(account["id"], kind="chat", title="Please upload your W-2")
    invoice = world.send_item(
        account["id"],
        kind="invoice",
        title="Fee",
        invoice={"amount": "300.00", "currency": "USD", "due_date": "2026-12-27"},
    )
    world.api("POST", f"/action-items/{chat['id']}/complete", {"via": "read"})
    world.api("POST", f"/action-items/{invoice['id']}/payments", {"amount": "100.00"})
    world.api("POST", f"/action-items/{invoice['id']}/payments", {"amount": "200.00"})
    world.publish()

    completed = {e["item_id"]: e for e in world.events_of("ItemCompleted")}
    assert (completed[chat["id"]]["via"], completed[invoice["id"]]["via"]) == ("read", "payment")
    # a partial payment is in the audit trail only
    assert len(world.published) == 4


def test_an_address_rejected_for_good_publishes_email_failed_for_that_contact_only(world: World) -> None:
    # Given an account whose second contact's address the mail service rejects for good
    account = world.create_account()
    with ses_errors(lambda to, _: "MessageRejected" if to.startswith("bruno") else None):
        item = world.send_item(account["id"])
    world.publish()

    # Then the item was sent to Ana, and EmailFailed names Bruno by id, with no address anywhere
    [sent] = world.events_of("ItemSent")
    [failed] = world.events_of("EmailFailed")
    contacts = _contacts(account)
    assert sent["contact_ids"] == [contacts["ana@client.example.com"]]
    assert failed["item_id"] == item["id"]
    assert (failed["mode"], failed["number"]) == ("notification", 0)
    assert failed["contact_ids"] == [contacts["bruno@client.example.com"]]
    assert failed["reason"] == "rejected by the mail service"
    assert "@" not in json.dumps(failed)


def test_a_recipient_whose_address_changed_since_is_left_out_and_counted(world: World) -> None:
    # Given an item sent to Ana and Bruno, and Bruno's address changed before the publisher ran
    account = world.create_account()
    world.send_item(account["id"])
    bruno = _contacts(account)["bruno@client.example.com"]
    changed = world.api("PATCH", f"/accounts/{account['id']}/contacts/{bruno}", {"email": "bruno@new.example.com"})
    assert changed.status == 200
    world.publish()

    [sent] = world.events_of("ItemSent")
    assert sent["contact_ids"] == [_contacts(account)["ana@client.example.com"]]
    assert sent["unresolved_recipients"] == 1


def test_a_permanent_bounce_publishes_contact_suppressed_for_that_contact(world: World) -> None:
    # Given an item sent to Ana and Bruno, and SES reporting Bruno's address bounced for good (the
    # event as EventBridge delivers it, through the suppression function)
    account = world.create_account()
    item = world.send_item(account["id"])
    world.publish()
    bruno = _contacts(account)["bruno@client.example.com"]
    world.time.shift(timedelta(minutes=30))
    assert world.bounce("bruno@client.example.com") is not None

    # When the publisher reads its email_bounced audit event from the stream
    world.publish()

    # Then ContactSuppressed names Bruno by id, with the reason, and no address
    [suppressed] = world.events_of("ContactSuppressed")
    assert (suppressed["contact_id"], suppressed["reason"], suppressed["item_id"]) == (bruno, "bounce", item["id"])
    assert (suppressed["actor"], suppressed["at"]) == ("system", "2026-11-27T09:30:00Z")
    [bounced] = [e for e in _audit(world, item["id"]) if e["type"] == "email_bounced"]
    assert suppressed["event_id"] == ids.derived_id(ids.EVENT, bounced["id"], bruno)
    assert "@" not in json.dumps(suppressed)


# delivery: never lost, never duplicated without the same event_id ------------------------------------


def test_a_redelivered_stream_record_publishes_the_same_event_id(world: World) -> None:
    # Given an item sent and its record published once
    account = world.create_account()
    world.send_item(account["id"])
    world.publish()
    [first] = world.published

    # When Lambda delivers the same stream records again (say its checkpoint was lost)
    world.invoke_publisher(_stream_event_of_everything(world))

    # Then the event is published again with the same event_id, so consumers drop it as a duplicate
    again = [e for e in world.published[1:] if e["DetailType"] == "ItemSent"]
    assert [json.loads(e["Detail"])["event_id"] for e in again] == [json.loads(first["Detail"])["event_id"]]
    assert json.loads(again[0]["Detail"]) == json.loads(first["Detail"])


def _stream_event_of_everything(world: World) -> dict[str, Any]:
    """The Lambda event of every record the table's stream holds that passes the mapping's filters."""
    mapping = world.stream.mapping
    streams = streams_client()
    shard = streams.describe_stream(StreamArn=mapping.stream_arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=mapping.stream_arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    raw = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    records = [stream_record(r, mapping.stream_arn, REGION) for r in raw]
    return {"Records": [r for r in records if any(matches(p, r) for p in mapping.filters)]}


def test_a_publish_the_bus_refuses_is_retried_from_the_stream_and_published_once(world: World) -> None:
    # Given a completed item, committed, while EventBridge refuses everything
    account = world.create_account()
    item = world.send_item(account["id"])
    world.api("POST", f"/action-items/{item['id']}/complete")
    with put_events_refused(lambda _: True) as refused:
        # When the publisher gets the records
        world.stream.poll_once()

    # Then it tried, reported every record failed, and nothing is on the bus yet
    assert refused
    assert world.published == []
    assert world.stream.retried == 2

    # When the stream delivers them again, with EventBridge back
    world.publish()

    # Then each event is published exactly once, with its audit event's id
    assert [e["DetailType"] for e in world.published] == ["ItemSent", "ItemCompleted"]
    assert [json.loads(e["Detail"])["event_id"] for e in world.published] == [
        e["id"] for e in _audit(world, item["id"])
    ]


def test_a_crash_between_the_write_and_the_publish_loses_nothing(world: World) -> None:
    # Given changes committed while the publisher dies after its PutEvents on the first try
    account = world.create_account()
    item = world.send_item(account["id"])
    world.api("POST", f"/action-items/{item['id']}/cancel")
    with cut_off_after_put_events(lambda call: call == 1):
        world.publish()

    # Then the records came back after the crash and were published again, with the same event ids:
    # each change at least once, and every copy of it the same event
    ids_published = [json.loads(e["Detail"])["event_id"] for e in world.published]
    audit_ids = [e["id"] for e in _audit(world, item["id"])]
    assert ids_published == audit_ids + audit_ids
    assert world.stream.dead_lettered == []

    # And once caught up, nothing more is published
    assert world.publish() == 0


def test_changes_committed_while_the_publisher_was_away_are_all_published(world: World) -> None:
    # Given a day of changes and no publisher running
    account = world.create_account()
    items = [world.send_item(account["id"], title=f"Document {n}") for n in range(12)]
    for item in items[:5]:
        world.api("POST", f"/action-items/{item['id']}/cancel")

    # When it starts, at the oldest record of the stream (TRIM_HORIZON)
    world.publish()

    # Then every change is on the bus, once
    assert len(world.events_of("ItemSent")) == 12
    assert len(world.events_of("ItemCancelled")) == 5
    assert len({json.loads(e["Detail"])["event_id"] for e in world.published}) == 17


def test_records_the_bus_refuses_every_time_end_in_the_dead_letter_queue(world: World) -> None:
    # Given an item sent, and EventBridge refusing for longer than the mapping retries
    account = world.create_account()
    world.send_item(account["id"])
    retries = template_limit("Publish", "MaximumRetryAttempts")
    with put_events_refused(lambda _: True):
        world.publish()

    # Then after its retries the mapping recorded where the record is in the publisher's dead-letter
    # queue (the record itself stays in the stream for a redrive) and moved on
    sqs = boto3.client("sqs", region_name=REGION)
    url = world.queues.publisher_dead_letter_url
    [message] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", [])
    failure = json.loads(message["Body"])
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == retries + 1
    batch = failure["DDBStreamBatchInfo"]
    assert batch["batchSize"] == 1
    assert batch["startSequenceNumber"] == batch["endSequenceNumber"]
    assert batch["streamArn"] == world.stream.mapping.stream_arn
    assert world.published == []
    assert world.publish() == 0


def test_the_dead_letter_queue_is_redriven_from_the_stream_once_the_bus_is_back(world: World) -> None:
    # Given an item sent and a cancellation whose events gave up while EventBridge was down
    account = world.create_account()
    item = world.send_item(account["id"])
    world.api("POST", f"/action-items/{item['id']}/cancel")
    with put_events_refused(lambda _: True):
        world.publish()
    url, sqs = world.queues.publisher_dead_letter_url, boto3.client("sqs", region_name=REGION)
    filters = world.stream.mapping.filters

    # When an operator first looks (dry run), then redrives the dead-letter queue with the bus back
    looked = redrive(sqs, streams_client(), url, world.invoke_publisher, filters, dry_run=True)
    world.time.shift(timedelta(minutes=6))  # the dry run's receive hid the messages for 5 minutes
    report = redrive(sqs, streams_client(), url, world.invoke_publisher, filters)

    # Then the dry run published nothing; the redrive read the records back from the stream and
    # published each event once, with its audit event's id, and emptied the queue
    assert (looked.records, looked.redriven) == (2, [])
    assert (len(report.redriven), report.failed, report.expired, report.records) == (1, [], [], 2)
    published = [json.loads(e["Detail"])["event_id"] for e in world.published]
    assert published == [e["id"] for e in _audit(world, item["id"])]
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


# what the publisher skips ------------------------------------------------------------------------


def test_malformed_and_unknown_records_are_logged_and_skipped_without_failing_the_batch(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a real batch from the stream (an item sent), with a malformed record and an unknown one around it
    account = world.create_account()
    world.send_item(account["id"])
    event = _stream_event_of_everything(world)
    [good] = event["Records"]
    broken = copy.deepcopy(good)
    broken["dynamodb"]["SequenceNumber"] = str(int(good["dynamodb"]["SequenceNumber"]) - 1)
    del broken["dynamodb"]["NewImage"]["event_id"]
    unknown = copy.deepcopy(good)
    unknown["dynamodb"]["SequenceNumber"] = str(int(good["dynamodb"]["SequenceNumber"]) + 1)
    unknown["dynamodb"]["Keys"]["sk"] = {"S": "SOMETHING#else"}
    caplog.clear()

    # When the publisher gets them
    result = world.invoke_publisher({"Records": [broken, good, {"eventName": "INSERT"}, unknown]})

    # Then the good record is published, nothing is reported failed, and the unreadable ones are logged
    assert result == {"batchItemFailures": []}
    assert [e["DetailType"] for e in world.published] == ["ItemSent"]
    skipped = [r for r in caplog.records if r.getMessage() == "stream record skipped: unreadable"]
    assert [r.__dict__["position"] for r in skipped] == [broken["dynamodb"]["SequenceNumber"], ""]
    assert all(r.levelname == "ERROR" for r in skipped)


@pytest.mark.parametrize("event", [{}, {"Records": None}, []])
def test_an_event_that_is_no_stream_batch_is_an_error_of_the_invocation(world: World, event: Any) -> None:
    with pytest.raises(InvalidEvent):
        world.invoke_publisher(event)
    assert world.published == []


def test_the_sample_event_publishes_its_reminder_and_job_entry_and_skips_the_jobs_other_change(
    world: World,
) -> None:
    # Given the table holding the sample's item and account (events/publisher_stream_batch.json)
    sample = load_event("publisher_stream_batch.json")
    _seed_sample_item_and_account()

    # When the publisher is invoked with the sample, as `sam local invoke` would
    result = world.invoke_publisher(sample)

    # Then the reminder and the job's new entry are published; the job's later write is not an entry
    assert result == {"batchItemFailures": []}
    assert [e["DetailType"] for e in world.published] == ["ReminderSent", "JobEnteredStage"]
    reminder, entry = (json.loads(e["Detail"]) for e in world.published)
    assert (reminder["event_id"], reminder["number"], reminder["of"]) == ("evt_7c1e0d9f8a2b4c3d9e8f7a6b5c4d3e2f", 1, 2)
    assert reminder["contact_ids"] == ["ct_8a9b0c1d2e3f405162738495a6b7c8d9"]
    assert entry["event_id"] == entry["entry_id"] == "ent_1a2b3c4d5e6f708192a3b4c5d6e7f801"


def _seed_sample_item_and_account() -> None:
    repository = get_services().repository
    firm, account_id = "firm-silva-contabilidade", "acc_5f0c1d2e3b4a49c8a7e6d5c4b3a29180"
    olivia = Contact(
        id="ct_8a9b0c1d2e3f405162738495a6b7c8d9", name="Olivia", email="olivia@harper.example", notify=True
    )
    repository.save_account(
        Account(firm_id=firm, id=account_id, name="Harper", language=Language.EN, contacts=(olivia,), created_at=START)
    )
    item = ActionItem(
        firm_id=firm,
        id="itm_0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e",
        account_id=account_id,
        kind=Kind.ORGANIZER,
        title="2026 Tax Organizer",
        sent_at=START,
        created_by="user-beatriz",
    )
    repository.save_item(replace(item, notified=True))
