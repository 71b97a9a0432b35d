"""The fidelity layer (devtools/moto_fidelity, applied to every test by conftest and to the local
stack): one test per rule, each showing moto, so patched, refusing what AWS refuses with AWS's error
code, and accepting the limit itself. Requests go through boto3 clients, as the product's do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine
from botocore.exceptions import ClientError
from moto import mock_aws

from devtools.moto_fidelity import dynamodb as dynamodb_rules
from devtools.moto_fidelity import eventbridge as eventbridge_rules
from devtools.moto_fidelity import ses as ses_rules
from devtools.moto_fidelity import sqs as sqs_rules
from tests.support.aws import (
    BUS_NAME,
    CONFIGURATION_SET,
    REGION,
    SENDER,
    TABLE_NAME,
    create_bus,
    create_configuration_set,
    create_table_from_template,
    verify_sender,
)

KIB = 1024


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def _code(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Code"])


def _message(error: pytest.ExceptionInfo[ClientError]) -> str:
    return str(error.value.response["Error"]["Message"])


# SES v2 SendEmail ----------------------------------------------------------------------------------


@pytest.fixture
def ses(aws: None) -> Any:
    verify_sender()
    create_configuration_set()
    return boto3.client("sesv2", region_name=REGION)


def _send(ses: Any, *, tags: list[dict[str, str]] | None = None, text: str = "Hello", **request: Any) -> Any:
    arguments: dict[str, Any] = {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": ["ana@client.example.com"]},
        "Content": {"Simple": {"Subject": {"Data": "Reminder"}, "Body": {"Text": {"Data": text}}}},
        "ConfigurationSetName": CONFIGURATION_SET,
        **request,
    }
    if tags is not None:
        arguments["EmailTags"] = tags
    return ses.send_email(**arguments)


@pytest.mark.parametrize("part", ["Name", "Value"])
def test_ses_refuses_a_tag_name_or_value_outside_its_alphabet(ses: Any, part: str) -> None:
    # Given a tag whose name or value holds a '.' (SES: ASCII letters, digits, '_' and '-' only)
    tag = {"Name": "firm", "Value": "acme-co_7", part: "acme.co"}

    # When it is sent; Then SES refuses the whole mail, naming the value
    with pytest.raises(ClientError) as refused:
        _send(ses, tags=[tag])
    assert _code(refused) == "BadRequestException"
    assert _message(refused) == (
        f"Invalid tag {part.lower()} <acme.co>: only alphanumeric ASCII characters, '_', and '-' are allowed."
    )
    # And a tag made only of SES's alphabet goes
    assert _send(ses, tags=[{"Name": "firm_id-2", "Value": "Acme-co_7"}])["MessageId"]


@pytest.mark.parametrize("part", ["Name", "Value"])
def test_ses_refuses_a_tag_longer_than_256_characters(ses: Any, part: str) -> None:
    at_limit = {"Name": "firm", "Value": "v", part: "x" * ses_rules.MAX_TAG_CHARACTERS}
    over = {**at_limit, part: "x" * (ses_rules.MAX_TAG_CHARACTERS + 1)}

    assert _send(ses, tags=[at_limit])["MessageId"]
    with pytest.raises(ClientError) as refused:
        _send(ses, tags=[over])
    assert (_code(refused), _message(refused)) == (
        "BadRequestException",
        f"Tag {part.lower()} cannot exceed 256 characters.",
    )


def test_ses_refuses_more_than_50_tags(ses: Any) -> None:
    tags = [{"Name": f"tag{n}", "Value": "v"} for n in range(ses_rules.MAX_TAGS + 1)]

    assert _send(ses, tags=tags[:-1])["MessageId"]
    with pytest.raises(ClientError) as refused:
        _send(ses, tags=tags)
    assert _code(refused) == "BadRequestException"


def test_ses_refuses_a_message_over_40_mb_after_base64(ses: Any) -> None:
    # Given a mail whose text part, as base64, brings the message to exactly 40 MB with the subject
    # ("Reminder": 12 characters of base64) and the addresses, and one three bytes longer (four more
    # characters of base64)
    addresses = {"FromEmailAddress": SENDER, "ReplyToAddresses": ["a@b.cd"]}
    fixed = 12 + len(SENDER) + len("a@b.cd") + len("ana@client.example.com")
    assert (ses_rules.MAX_MESSAGE_BYTES - fixed) % 4 == 0
    text_bytes = (ses_rules.MAX_MESSAGE_BYTES - fixed) // 4 * 3

    # Then the first goes, and SES refuses the second
    assert _send(ses, text="x" * text_bytes, **addresses)["MessageId"]
    with pytest.raises(ClientError) as refused:
        _send(ses, text="x" * (text_bytes + 3), **addresses)
    assert _code(refused) == "MessageRejected"
    assert _message(refused) == "Message length is more than 41943040 bytes long: '41943044'."


def test_ses_refuses_a_configuration_set_that_does_not_exist(ses: Any) -> None:
    with pytest.raises(ClientError) as refused:
        _send(ses, ConfigurationSetName="client-reminders-typo")
    assert (_code(refused), _message(refused)) == (
        "NotFoundException",
        "Configuration set <client-reminders-typo> does not exist.",
    )
    assert _send(ses, ConfigurationSetName=CONFIGURATION_SET)["MessageId"]


def test_ses_refuses_an_unverified_sender_in_its_own_words(ses: Any) -> None:
    with pytest.raises(ClientError) as refused:
        _send(ses, FromEmailAddress="reminders@unverified.example.com")
    assert _code(refused) == "MessageRejected"
    assert _message(refused) == (
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "reminders@unverified.example.com"
    )


def test_ses_v2_answers_an_address_it_cannot_parse_with_bad_request(ses: Any) -> None:
    with pytest.raises(ClientError) as refused:
        _send(ses, Destination={"ToAddresses": ["ana.client.example.com"]})
    assert _code(refused) == "BadRequestException"


# SQS ------------------------------------------------------------------------------------------------


@pytest.fixture
def queue(aws: None) -> tuple[Any, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    return sqs, sqs.create_queue(QueueName="fidelity")["QueueUrl"]


def test_sqs_counts_a_message_in_utf8_bytes_with_its_attributes(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    # Given a body of exactly 256 KiB: it goes
    assert sqs.send_message(QueueUrl=url, MessageBody="x" * sqs_rules.MAX_PAYLOAD_BYTES)["MessageId"]
    # When the body is half as many characters, each two bytes in UTF-8 (one byte too many), or an
    # attribute takes it over: Then SQS refuses it
    two_byte = "é" * (sqs_rules.MAX_PAYLOAD_BYTES // 2) + "x"
    attribute = {"n": {"DataType": "String", "StringValue": "v"}}  # 1 + 6 + 1 bytes
    for body, attributes in ((two_byte, {}), ("x" * (sqs_rules.MAX_PAYLOAD_BYTES - 7), attribute)):
        with pytest.raises(ClientError) as refused:
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageAttributes=attributes)
        assert _code(refused) == "InvalidParameterValue"
        assert "Message must be shorter than 262144 bytes" in _message(refused)
    assert sqs.send_message(
        QueueUrl=url, MessageBody="x" * (sqs_rules.MAX_PAYLOAD_BYTES - 8), MessageAttributes=attribute
    )


def test_sqs_refuses_a_send_batch_over_256_kib_in_all(queue: tuple[Any, str]) -> None:
    sqs, url = queue
    share = sqs_rules.MAX_PAYLOAD_BYTES // 8
    entries = [{"Id": str(n), "MessageBody": "x" * share} for n in range(8)]

    assert len(sqs.send_message_batch(QueueUrl=url, Entries=entries)["Successful"]) == 8
    entries[-1]["MessageBody"] += "é"
    with pytest.raises(ClientError) as refused:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert (_code(refused), _message(refused)) == (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        "Batch requests cannot be longer than 262144 bytes. You have sent 262146 bytes.",
    )


def _batch(sqs: Any, url: str, action: str, entries: list[dict[str, Any]]) -> Any:
    return getattr(sqs, action)(QueueUrl=url, Entries=entries)


@pytest.mark.parametrize("action", ["send_message_batch", "delete_message_batch", "change_message_visibility_batch"])
def test_sqs_batches_hold_one_to_ten_entries_with_distinct_ids(queue: tuple[Any, str], action: str) -> None:
    sqs, url = queue
    for n in range(11):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    handles = [
        m["ReceiptHandle"]
        for _ in range(2)
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]

    def entry(n: int, entry_id: str | None = None) -> dict[str, Any]:
        fields = {
            "send_message_batch": {"MessageBody": f"b{n}"},
            "delete_message_batch": {"ReceiptHandle": handles[n]},
            "change_message_visibility_batch": {"ReceiptHandle": handles[n], "VisibilityTimeout": 30},
        }[action]
        return {"Id": entry_id or f"e-{n}", **fields}

    refusals = {
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest": [entry(n) for n in range(11)],
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct": [entry(0, "same"), entry(1, "same")],
        "AWS.SimpleQueueService.InvalidBatchEntryId": [entry(0, "not.an.id")],
        "AWS.SimpleQueueService.EmptyBatchRequest": [],
    }
    for code, entries in refusals.items():
        with pytest.raises(ClientError) as refused:
            _batch(sqs, url, action, entries)
        assert _code(refused) == code, action
    assert len(_batch(sqs, url, action, [entry(n) for n in range(10)])["Successful"]) == 10


def test_sqs_visibility_is_capped_at_12_hours_per_receive_not_since_the_message_was_sent(
    queue: tuple[Any, str],
) -> None:
    sqs, url = queue
    with time_machine.travel(datetime(2026, 11, 27, 9, tzinfo=UTC), tick=False) as clock:
        # Given a message sent, then received again and again over 20 hours
        sqs.send_message(QueueUrl=url, MessageBody="reminder")
        clock.shift(timedelta(hours=20))
        [message] = sqs.receive_message(QueueUrl=url)["Messages"]

        # Then its visibility can still be set to 12 hours from now, and not more
        handle = message["ReceiptHandle"]
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=sqs_rules.MAX_VISIBILITY_SECONDS
        )
        with pytest.raises(ClientError) as refused:
            sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=43_201)
        assert _code(refused) == "InvalidParameterValue"


# DynamoDB -------------------------------------------------------------------------------------------


@pytest.fixture
def table(aws: None) -> Any:
    create_table_from_template()
    return boto3.client("dynamodb", region_name=REGION)


def _item(pk: str, size: int) -> dict[str, Any]:
    """An item of exactly `size` bytes as AWS counts them: the key, and a `blob` string to fill up."""
    key = {"pk": {"S": pk}, "sk": {"S": "x"}}
    fixed = dynamodb_rules.item_bytes(key) + len("blob")
    return {**key, "blob": {"S": "b" * (size - fixed)}}


def test_dynamodb_refuses_an_item_over_400_kb(table: Any) -> None:
    assert dynamodb_rules.item_bytes(_item("at-limit", dynamodb_rules.MAX_ITEM_BYTES)) == 409_600
    table.put_item(TableName=TABLE_NAME, Item=_item("at-limit", dynamodb_rules.MAX_ITEM_BYTES))

    with pytest.raises(ClientError) as refused:
        table.put_item(TableName=TABLE_NAME, Item=_item("over", dynamodb_rules.MAX_ITEM_BYTES + 1))
    assert (_code(refused), _message(refused)) == (
        "ValidationException",
        "Item size has exceeded the maximum allowed size",
    )
    assert "Item" not in table.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "over"}, "sk": {"S": "x"}})


def test_dynamodb_counts_an_item_as_aws_does_names_values_and_document_overhead(table: Any) -> None:
    # Given a map of 1,000 entries: AWS counts 3 bytes for the map, and per entry 1 byte, its name
    # and its value (a number: 1 byte per two significant digits, plus 1)
    entries = {f"k{n:05d}": {"N": "12345"} for n in range(1000)}
    assert dynamodb_rules.value_bytes({"M": entries}) == 3 + 1000 * (1 + 6 + 4)
    key = {"pk": {"S": "map"}, "sk": {"S": "x"}}
    base = dynamodb_rules.item_bytes({**key, "m": {"M": entries}, "blob": {"S": ""}})

    # When the rest of the item fills it up to exactly 400 KB, it goes; one byte more does not
    fill = dynamodb_rules.MAX_ITEM_BYTES - base
    table.put_item(TableName=TABLE_NAME, Item={**key, "m": {"M": entries}, "blob": {"S": "b" * fill}})
    with pytest.raises(ClientError) as refused:
        table.put_item(TableName=TABLE_NAME, Item={**key, "m": {"M": entries}, "blob": {"S": "b" * (fill + 1)}})
    assert _code(refused) == "ValidationException"


def test_dynamodb_refuses_an_update_that_would_take_the_item_over_400_kb(table: Any) -> None:
    # Given an item 100 bytes short of the limit
    item = _item("grows", dynamodb_rules.MAX_ITEM_BYTES - 100)
    table.put_item(TableName=TABLE_NAME, Item=item)
    key = {"pk": item["pk"], "sk": item["sk"]}

    def grow(by: str) -> Any:
        return table.update_item(
            TableName=TABLE_NAME,
            Key=key,
            UpdateExpression="SET extra = :v",
            ExpressionAttributeValues={":v": {"S": by}},
        )

    # When an update would add 101 bytes ("extra" and 96), it is refused and the item is unchanged
    with pytest.raises(ClientError) as refused:
        grow("e" * 96)
    assert (_code(refused), _message(refused)) == (
        "ValidationException",
        "Item size to update has exceeded the maximum allowed size",
    )
    assert "extra" not in table.get_item(TableName=TABLE_NAME, Key=key)["Item"]
    # And one that brings it to exactly the limit goes
    grow("e" * 95)


def test_dynamodb_cancels_a_transaction_that_writes_an_item_over_400_kb(table: Any) -> None:
    actions = [
        {"Put": {"TableName": TABLE_NAME, "Item": _item("small", 100)}},
        {"Put": {"TableName": TABLE_NAME, "Item": _item("big", dynamodb_rules.MAX_ITEM_BYTES + 1)}},
    ]

    with pytest.raises(ClientError) as refused:
        table.transact_write_items(TransactItems=actions)
    assert _code(refused) == "TransactionCanceledException"
    reasons = [r["Code"] for r in refused.value.response["CancellationReasons"]]
    assert reasons == ["None", "ValidationError"]
    assert "Item" not in table.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "small"}, "sk": {"S": "x"}})


def test_dynamodb_refuses_a_transaction_over_4_mb_in_all(table: Any) -> None:
    # Given ten items of 400 KB and one that brings the transaction to exactly 4 MB: it goes
    full = [_item(f"full-{n}", dynamodb_rules.MAX_ITEM_BYTES) for n in range(10)]
    rest = dynamodb_rules.MAX_TRANSACTION_BYTES - 10 * dynamodb_rules.MAX_ITEM_BYTES
    table.transact_write_items(
        TransactItems=[{"Put": {"TableName": TABLE_NAME, "Item": i}} for i in [*full, _item("rest", rest)]]
    )

    # When the last item is one byte bigger; Then the whole transaction is refused
    with pytest.raises(ClientError) as refused:
        table.transact_write_items(
            TransactItems=[{"Put": {"TableName": TABLE_NAME, "Item": i}} for i in [*full, _item("more", rest + 1)]]
        )
    assert _code(refused) == "ValidationException"
    assert "Item" not in table.get_item(TableName=TABLE_NAME, Key={"pk": {"S": "more"}, "sk": {"S": "x"}})


def test_dynamodb_refuses_a_transaction_of_more_than_100_actions(table: Any) -> None:
    # moto's own rule, kept here so that a moto upgrade cannot drop it unnoticed
    actions = [{"Put": {"TableName": TABLE_NAME, "Item": _item(f"t-{n}", 100)}} for n in range(101)]
    table.transact_write_items(TransactItems=actions[:100])
    with pytest.raises(ClientError) as refused:
        table.transact_write_items(TransactItems=actions)
    assert _code(refused) == "ValidationException"


def test_dynamodb_refuses_a_batch_write_of_more_than_25_requests(table: Any) -> None:
    requests = [{"PutRequest": {"Item": _item(f"b-{n}", 100)}} for n in range(26)]

    table.batch_write_item(RequestItems={TABLE_NAME: requests[:25]})
    with pytest.raises(ClientError) as refused:
        table.batch_write_item(RequestItems={TABLE_NAME: requests})
    assert _code(refused) == "ValidationException"
    assert "Member must have length less than or equal to 25" in _message(refused)


# EventBridge ------------------------------------------------------------------------------------------


@pytest.fixture
def bus(aws: None) -> Any:
    create_bus()
    return boto3.client("events", region_name=REGION)


def _entry(detail_bytes: int) -> dict[str, Any]:
    """A PutEvents entry whose Detail is `detail_bytes` long (a JSON object)."""
    return {
        "EventBusName": BUS_NAME,
        "Source": "client-reminders",
        "DetailType": "ReminderSent",
        "Detail": json.dumps({"p": "x" * (detail_bytes - len('{"p": ""}'))}),
        "Time": datetime(2026, 11, 27, 9, tzinfo=UTC),
    }


def test_eventbridge_refuses_a_put_events_request_over_256_kb_as_it_counts_entries(bus: Any) -> None:
    # Given four entries that, counted as EventBridge counts them (Time 14 bytes, Source, DetailType,
    # Detail; not the bus name), add up to exactly 256 KB: they go
    overhead = 14 + len("client-reminders") + len("ReminderSent")
    per_entry = eventbridge_rules.MAX_REQUEST_BYTES // 4 - overhead
    entries = [_entry(per_entry) for _ in range(4)]
    assert sum(eventbridge_rules.entry_bytes({**e, "Time": 0}) for e in entries) == 262_144
    assert bus.put_events(Entries=entries)["FailedEntryCount"] == 0

    # When one entry is a byte longer; Then the request is refused as a whole
    entries[-1] = _entry(per_entry + 1)
    with pytest.raises(ClientError) as refused:
        bus.put_events(Entries=entries)
    assert (_code(refused), _message(refused)) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
    )


def test_eventbridge_refuses_more_than_10_entries(bus: Any) -> None:
    # moto's own rule, kept here so that a moto upgrade cannot drop it unnoticed
    assert bus.put_events(Entries=[_entry(100) for _ in range(10)])["FailedEntryCount"] == 0
    with pytest.raises(ClientError) as refused:
        bus.put_events(Entries=[_entry(100) for _ in range(11)])
    assert _code(refused) == "ValidationException"
