"""The SQS event source mapping as the local stack emulates it, on a moto queue with a redrive
policy: batches, deletion of what succeeded, partial batch failures kept, and the dead-letter
queue after maxReceiveCount receives."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from devtools.local.poller import QueueMapping, SqsPoller

REGION = "us-east-1"


@pytest.fixture
def queues() -> Iterator[tuple[Any, str, str]]:
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dead_letters = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dead_letters, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        # visibility 0: a failed message is visible again at once (180 s in the template)
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})
        url = sqs.create_queue(QueueName="send", Attributes={"VisibilityTimeout": "0", "RedrivePolicy": redrive})[
            "QueueUrl"
        ]
        yield sqs, url, dead_letters


def mapping(url: str, batch_size: int = 10, report_failures: bool = True) -> QueueMapping:
    return QueueMapping("SendFunction", f"arn:aws:sqs:{REGION}:123456789012:send", url, batch_size, 5, report_failures)


def visible(sqs: Any, url: str) -> int:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def test_batches_are_deleted_except_the_reported_failures_which_end_in_the_dead_letter_queue(
    queues: tuple[Any, str, str],
) -> None:
    # Given three messages, and a function that always fails on "bad"
    sqs, url, dead_letters = queues
    for body in ("ok-1", "bad", "ok-2"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    batches: list[list[str]] = []

    def send_function(function: str, event: dict[str, Any]) -> dict[str, Any]:
        records = event["Records"]
        batches.append([r["body"] for r in records])
        assert all(r["eventSource"] == "aws:sqs" and r["attributes"]["ApproximateReceiveCount"] for r in records)
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "bad"]}

    # When the poller drains the queue
    SqsPoller(mapping(url), send_function, sqs).drain(timeout_seconds=10)

    # Then the first batch held all three; "bad" was retried, then moved to the dead-letter queue
    assert sorted(batches[0]) == ["bad", "ok-1", "ok-2"]
    assert batches[1:] == [["bad"]]
    assert visible(sqs, url) == 0
    [dead] = sqs.receive_message(QueueUrl=dead_letters)["Messages"]
    assert dead["Body"] == "bad"


def test_a_function_error_keeps_the_whole_batch(queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    sqs.send_message(QueueUrl=url, MessageBody="one")
    poller = SqsPoller(mapping(url), lambda function, event: 1 / 0, sqs)

    poller.poll_once(wait_seconds=0, use_window=False)

    assert (poller.succeeded, poller.failed) == (0, 1)
    assert visible(sqs, url) == 1


def test_batch_size_bounds_each_batch(queues: tuple[Any, str, str]) -> None:
    sqs, url, _ = queues
    for n in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sizes: list[int] = []

    def count(function: str, event: dict[str, Any]) -> dict[str, Any]:
        sizes.append(len(event["Records"]))
        return {"batchItemFailures": []}

    SqsPoller(mapping(url, batch_size=2), count, sqs).drain(timeout_seconds=10)

    assert sizes == [2, 2, 1]


def test_a_batch_larger_than_ten_is_deleted_ten_at_a_time(queues: tuple[Any, str, str]) -> None:
    # Given a mapping whose batches hold 25 messages (SQS deletes at most ten per DeleteMessageBatch)
    sqs, _, _ = queues
    # a visibility timeout that keeps a received message from being received again into the same batch
    url = sqs.create_queue(QueueName="large-batches", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    for n in range(25):
        sqs.send_message(QueueUrl=url, MessageBody=str(n))
    sizes: list[int] = []

    def count(function: str, event: dict[str, Any]) -> dict[str, Any]:
        sizes.append(len(event["Records"]))
        return {"batchItemFailures": []}

    poller = SqsPoller(mapping(url, batch_size=25), count, sqs)

    # When the poller fills one batch within its batching window; Then all 25 handed over are deleted
    poller.poll_once(wait_seconds=0, use_window=True)

    assert sizes == [25]
    assert (poller.succeeded, poller.failed, visible(sqs, url)) == (25, 0, 0)
