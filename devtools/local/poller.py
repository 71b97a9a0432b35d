"""SQS event source mappings, emulated: the stack's mappings (batch size, batching window,
ReportBatchItemFailures) poll their queue into the function in this process. As Lambda does,
messages that succeeded are deleted; failed ones (reported, or the whole batch when the function
raised) stay and come back after the queue's visibility timeout; the queue's redrive policy
(maxReceiveCount, in moto) moves them to the dead-letter queue."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], Any]
MAX_RECEIVE = 10  # SQS returns at most 10 messages per receive


@dataclass(frozen=True)
class QueueMapping:
    function: str  # logical id
    queue_arn: str
    queue_url: str
    batch_size: int
    batching_window_seconds: int
    report_failures: bool


def queue_mappings(lambda_client: Any, sqs_client: Any, functions: Mapping[str, str]) -> list[QueueMapping]:
    """The SQS mappings of the deployed stack (deploy disabled them in moto, which would run the
    function in Docker), for functions given as logical id -> physical name."""
    found = []
    for logical_id, name in functions.items():
        for mapping in lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            arn = mapping["EventSourceArn"]
            if not arn.startswith("arn:aws:sqs:"):
                continue
            url = sqs_client.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
            found.append(
                QueueMapping(
                    function=logical_id,
                    queue_arn=arn,
                    queue_url=url,
                    batch_size=int(mapping.get("BatchSize") or 10),
                    batching_window_seconds=int(mapping.get("MaximumBatchingWindowInSeconds") or 0),
                    report_failures="ReportBatchItemFailures" in (mapping.get("FunctionResponseTypes") or []),
                )
            )
    return found


def sqs_record(message: Mapping[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {name: str(value) for name, value in message.get("Attributes", {}).items()}
    message_attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": value.get("StringListValues", []),
            "binaryListValues": value.get("BinaryListValues", []),
            "dataType": value.get("DataType"),
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": attributes,
        "messageAttributes": message_attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def failed_message_ids(result: Any, message_ids: list[str]) -> set[str]:
    """What Lambda keeps in the queue given the function's partial batch response: the reported
    ids; every id when the response is malformed or names an id that is not in the batch."""
    if not isinstance(result, Mapping) or not isinstance(result.get("batchItemFailures", []), list):
        return set(message_ids)
    failed = set()
    for failure in result.get("batchItemFailures", []):
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in message_ids:
            return set(message_ids)
        failed.add(identifier)
    return failed


class SqsPoller:
    def __init__(self, mapping: QueueMapping, invoke: Invoke, sqs_client: Any, region: str = "us-east-1") -> None:
        self.mapping = mapping
        self._invoke = invoke
        self._sqs = sqs_client
        self._region = region
        self._stop = threading.Event()
        self._batch_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.succeeded = 0
        self.failed = 0

    def poll_once(self, wait_seconds: int = 1, use_window: bool = True) -> int:
        """Receive one batch (up to the batch size, within the batching window) and run the
        function on it; returns how many messages it held."""
        with self._batch_lock:
            messages = self._receive(wait_seconds, use_window)
            if messages:
                self._run(messages)
            return len(messages)

    def drain(self, timeout_seconds: float = 30) -> int:
        """Run batches until the queue shows no visible message (or the timeout); the count."""
        handled, deadline = 0, time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            count = self.poll_once(wait_seconds=0, use_window=False)
            if count == 0:
                break
            handled += count
        return handled

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"sqs-{self.mapping.function}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                log.exception("polling %s failed", self.mapping.queue_url)
                self._stop.wait(1)

    def _receive(self, wait_seconds: int, use_window: bool) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        window_ends = time.monotonic() + (self.mapping.batching_window_seconds if use_window else 0)
        while len(messages) < self.mapping.batch_size and not self._stop.is_set():
            received = self._sqs.receive_message(
                QueueUrl=self.mapping.queue_url,
                MaxNumberOfMessages=min(MAX_RECEIVE, self.mapping.batch_size - len(messages)),
                WaitTimeSeconds=0 if messages else wait_seconds,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            messages.extend(received)
            # Lambda waits up to the batching window to fill a batch; locally a queue that has
            # nothing more to give ends the wait early, so a reminder goes out at once.
            if not received or time.monotonic() >= window_ends:
                break
        return messages

    def _run(self, messages: list[dict[str, Any]]) -> None:
        ids = [m["MessageId"] for m in messages]
        event = {"Records": [sqs_record(m, self.mapping.queue_arn, self._region) for m in messages]}
        try:
            result = self._invoke(self.mapping.function, event)
            failed = failed_message_ids(result, ids) if self.mapping.report_failures else set()
        except Exception:
            log.exception(
                "%s failed on a batch of %d; it returns after the visibility timeout", self.mapping.function, len(ids)
            )
            failed = set(ids)
        done = [m for m in messages if m["MessageId"] not in failed]
        # DeleteMessageBatch takes ten entries at most (a mapping's batch may be larger)
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(
                QueueUrl=self.mapping.queue_url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done[start : start + 10])
                ],
            )
        self.succeeded += len(done)
        self.failed += len(failed)
        if failed:
            log.warning(
                "%s: %d of %d messages failed; they return after the visibility timeout",
                self.mapping.function,
                len(failed),
                len(ids),
            )
