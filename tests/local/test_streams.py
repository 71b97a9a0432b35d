"""The DynamoDB stream event source mapping as the local stack (and the tests' World) emulate it, on
a moto table's real stream: order, filters, the checkpoint at the lowest failed record, halving a
batch whose invocation failed, and the on-failure destination once the retries are spent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.local.streams import StreamMapping, StreamPoller, failed_positions
from tests.support.aws import streams_client

REGION = "us-east-1"
ONLY_ITEMS = ({"dynamodb": {"Keys": {"sk": {"S": [{"prefix": "ITEM#"}]}}}},)


@pytest.fixture
def table() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        stream = dynamodb.describe_table(TableName="t")["Table"]["LatestStreamArn"]
        sqs = boto3.client("sqs", region_name=REGION)
        dead_letters = sqs.create_queue(QueueName="on-failure")["QueueUrl"]
        yield dynamodb, stream, dead_letters


def write(dynamodb: Any, *names: str) -> None:
    for name in names:
        dynamodb.put_item(TableName="t", Item={"pk": {"S": "p"}, "sk": {"S": name}})


def mapping(stream: str, **options: Any) -> StreamMapping:
    defaults: dict[str, Any] = {
        "batch_size": 100,
        "report_failures": True,
        "bisect": True,
        "maximum_retry_attempts": 2,
        "on_failure_arn": f"arn:aws:sqs:{REGION}:123456789012:on-failure",
    }
    return StreamMapping("PublisherFunction", stream, **{**defaults, **options})


class Function:
    """Records each batch (by sort key) and answers as `answer` says."""

    def __init__(self, answer: Any = None) -> None:
        self.batches: list[list[str]] = []
        self.answer = answer

    def __call__(self, function: str, event: dict[str, Any]) -> Any:
        records = event["Records"]
        assert all(r["eventSource"] == "aws:dynamodb" and r["eventSourceARN"] for r in records)
        self.batches.append([r["dynamodb"]["Keys"]["sk"]["S"] for r in records])
        return self.answer(records) if callable(self.answer) else self.answer


def poller(stream: str, function: Function, **options: Any) -> StreamPoller:
    return StreamPoller(mapping(stream, **options), function, streams_client(), boto3.client("sqs", region_name=REGION))


def test_records_come_in_order_in_batches_and_only_once_done(table: tuple[Any, str, str]) -> None:
    dynamodb, stream, _ = table
    write(dynamodb, "ITEM#1", "ITEM#2", "ITEM#3")
    function = Function()
    emulated = poller(stream, function, batch_size=2)

    assert emulated.drain() == 3
    write(dynamodb, "ITEM#4")
    emulated.drain()

    assert function.batches == [["ITEM#1", "ITEM#2"], ["ITEM#3"], ["ITEM#4"]]
    assert emulated.succeeded == 4


def test_records_no_filter_matches_are_passed_over(table: tuple[Any, str, str]) -> None:
    dynamodb, stream, _ = table
    write(dynamodb, "ACCOUNT", "ITEM#1", "FIRM", "ITEM#2")
    function = Function()

    poller(stream, function, filters=ONLY_ITEMS).drain()

    assert function.batches == [["ITEM#1", "ITEM#2"]]


def test_the_stream_resumes_at_the_lowest_record_reported_failed(table: tuple[Any, str, str]) -> None:
    # Given a function that fails ITEM#2 once
    dynamodb, stream, _ = table
    write(dynamodb, "ITEM#1", "ITEM#2", "ITEM#3")
    failures = {"ITEM#2": 1}

    def answer(records: list[dict[str, Any]]) -> dict[str, Any]:
        failed = []
        for record in records:
            name = record["dynamodb"]["Keys"]["sk"]["S"]
            if failures.get(name):
                failures[name] -= 1
                failed.append({"itemIdentifier": record["dynamodb"]["SequenceNumber"]})
        return {"batchItemFailures": failed}

    function = Function(answer)

    # When the stream is drained
    emulated = poller(stream, function)
    emulated.drain()

    # Then ITEM#1 was done the first time; ITEM#2 and what follows came again
    assert function.batches == [["ITEM#1", "ITEM#2", "ITEM#3"], ["ITEM#2", "ITEM#3"]]
    assert (emulated.succeeded, emulated.retried) == (3, 2)


def test_a_batch_whose_invocation_fails_is_retried_in_halves(table: tuple[Any, str, str]) -> None:
    dynamodb, stream, _ = table
    write(dynamodb, "ITEM#1", "ITEM#2", "ITEM#3", "ITEM#4")
    calls = 0

    def crash_once(records: list[dict[str, Any]]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("the function crashed")

    function = Function(crash_once)
    poller(stream, function).drain()

    assert function.batches == [["ITEM#1", "ITEM#2", "ITEM#3", "ITEM#4"], ["ITEM#1", "ITEM#2"], ["ITEM#3", "ITEM#4"]]


@pytest.mark.parametrize(
    "answer",
    [
        {"batchItemFailures": [{"itemIdentifier": ""}]},
        {"batchItemFailures": [{"itemIdentifier": "12345"}]},
        {"batchItemFailures": "all"},
        "not a response",
    ],
)
def test_a_malformed_response_fails_the_whole_batch(answer: Any) -> None:
    assert failed_positions(answer, ["1", "2"]) is None


def test_empty_responses_mean_success() -> None:
    assert failed_positions(None, ["1"]) == set()
    assert failed_positions({}, ["1"]) == set()
    assert failed_positions({"batchItemFailures": []}, ["1"]) == set()


def test_a_batch_that_spends_its_retries_is_recorded_in_the_on_failure_destination(
    table: tuple[Any, str, str],
) -> None:
    # Given a function that always reports ITEM#2 failed
    dynamodb, stream, dead_letters = table
    write(dynamodb, "ITEM#1", "ITEM#2", "ITEM#3")

    def answer(records: list[dict[str, Any]]) -> dict[str, Any]:
        failed = [r for r in records if r["dynamodb"]["Keys"]["sk"]["S"] == "ITEM#2"]
        return {"batchItemFailures": [{"itemIdentifier": r["dynamodb"]["SequenceNumber"]} for r in failed]}

    function = Function(answer)

    # When the stream is drained (2 retries)
    emulated = poller(stream, function, maximum_retry_attempts=2)
    emulated.drain()

    # Then after the first try and 2 retries, where the rest of the batch is was sent to the
    # destination, and the stream moved on past it
    assert function.batches == [["ITEM#1", "ITEM#2", "ITEM#3"]] + [["ITEM#2", "ITEM#3"]] * 2
    sqs = boto3.client("sqs", region_name=REGION)
    [message] = sqs.receive_message(QueueUrl=dead_letters)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    info = record["DDBStreamBatchInfo"]
    assert (info["batchSize"], info["streamArn"]) == (2, stream)
    assert int(info["endSequenceNumber"]) - int(info["startSequenceNumber"]) == 1
    assert emulated.drain() == 0


def test_latest_starts_after_what_the_stream_already_holds(table: tuple[Any, str, str]) -> None:
    dynamodb, stream, _ = table
    write(dynamodb, "ITEM#old")
    function = Function()
    emulated = poller(stream, function, starting_position="LATEST")
    emulated.drain()
    write(dynamodb, "ITEM#new")
    emulated.drain()
    assert function.batches == [["ITEM#new"]]


def test_the_mapping_reads_lambdas_configuration_of_it() -> None:
    configuration = {
        "EventSourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/2026",
        "BatchSize": 100,
        "StartingPosition": "TRIM_HORIZON",
        "FunctionResponseTypes": ["ReportBatchItemFailures"],
        "BisectBatchOnFunctionError": True,
        "MaximumRetryAttempts": 10,
        "FilterCriteria": {"Filters": [{"Pattern": json.dumps(ONLY_ITEMS[0])}]},
        "DestinationConfig": {"OnFailure": {"Destination": "arn:aws:sqs:us-east-1:123456789012:dlq"}},
    }
    found = StreamMapping.from_configuration("PublisherFunction", configuration)
    assert (found.table, found.batch_size, found.maximum_retry_attempts) == ("t", 100, 10)
    assert (found.report_failures, found.bisect, found.filters) == (True, True, ONLY_ITEMS)
    assert found.on_failure_arn == "arn:aws:sqs:us-east-1:123456789012:dlq"
