"""DynamoDB stream event source mappings, emulated: the stack's mapping reads the table's stream
(moto's DynamoDB Streams API) into the function in this process, the way Lambda does.

What is emulated, from the mapping as the stack deployed it (list_event_source_mappings):
`StartingPosition`, `BatchSize`, `FilterCriteria` (records that match no filter are passed over,
as Lambda drops them), `FunctionResponseTypes: [ReportBatchItemFailures]` (the stream resumes at
the lowest sequence number the function reports failed; everything before it is done),
`BisectBatchOnFunctionError` (a batch whose invocation raised is retried in halves),
`MaximumRetryAttempts` and the `DestinationConfig.OnFailure` SQS queue (a batch that exhausted
its retries is recorded there, as Lambda records it: where it is in the stream, not the records,
and the stream moves on). Not emulated: the batching window (a stream with nothing more to give
ends it at once), `MaximumRecordAgeInSeconds`, parallelization and several shards at once.

Used by the local stack (a thread per mapping) and by the tests (`drain()`, synchronously), so
both deliver the stream exactly alike. `stream_record` is the one builder of the records Lambda
hands the function.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from devtools.local.eventbus import check_pattern, matches

log = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], Any]
READ_LIMIT = 1000  # GetRecords returns at most 1000 records
POLL_SECONDS = 0.25  # Lambda polls a shard 4 times a second


@dataclass(frozen=True)
class StreamMapping:
    function: str  # logical id
    stream_arn: str
    batch_size: int = 100
    starting_position: str = "TRIM_HORIZON"
    report_failures: bool = False
    bisect: bool = False
    maximum_retry_attempts: int = -1  # -1: until the record expires
    filters: tuple[Mapping[str, Any], ...] = ()
    on_failure_arn: str | None = None

    @classmethod
    def from_configuration(cls, function: str, configuration: Mapping[str, Any]) -> StreamMapping:
        """From an event source mapping's configuration, as Lambda's API (or the template) has it."""
        filters = tuple(
            json.loads(f["Pattern"]) if isinstance(f["Pattern"], str) else f["Pattern"]
            for f in (configuration.get("FilterCriteria") or {}).get("Filters", [])
        )
        for pattern in filters:
            check_pattern(pattern, f"{function} stream filter")
        on_failure = (configuration.get("DestinationConfig") or {}).get("OnFailure") or {}
        return cls(
            function=function,
            stream_arn=str(configuration["EventSourceArn"]),
            batch_size=int(configuration.get("BatchSize") or 100),
            starting_position=str(configuration.get("StartingPosition") or "TRIM_HORIZON"),
            report_failures="ReportBatchItemFailures" in (configuration.get("FunctionResponseTypes") or []),
            bisect=bool(configuration.get("BisectBatchOnFunctionError")),
            maximum_retry_attempts=int(configuration.get("MaximumRetryAttempts", -1)),
            filters=filters,
            on_failure_arn=on_failure.get("Destination"),
        )

    @property
    def table(self) -> str:
        return self.stream_arn.split(":table/", 1)[1].split("/", 1)[0]


def stream_mappings(lambda_client: Any, functions: Mapping[str, str]) -> list[StreamMapping]:
    """The DynamoDB stream mappings of the deployed stack, for functions given as logical id ->
    physical name."""
    found = []
    for logical_id, name in functions.items():
        for configuration in lambda_client.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            if ":dynamodb:" in configuration["EventSourceArn"] and "/stream/" in configuration["EventSourceArn"]:
                found.append(StreamMapping.from_configuration(logical_id, configuration))
    return found


def stream_record(raw: Mapping[str, Any], stream_arn: str, region: str) -> dict[str, Any]:
    """A record as GetRecords returns it, as Lambda hands it to the function: the same fields,
    `ApproximateCreationDateTime` in epoch seconds, and the stream's ARN."""
    dynamodb = dict(raw["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        dynamodb["ApproximateCreationDateTime"] = float(int(created.timestamp()))
    record = {
        "eventID": raw["eventID"],
        "eventName": raw["eventName"],
        "eventVersion": raw.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": dynamodb,
        "eventSourceARN": stream_arn,
    }
    if "userIdentity" in raw:
        record["userIdentity"] = raw["userIdentity"]
    return record


def failed_positions(result: Any, positions: Sequence[str]) -> set[str] | None:
    """The sequence numbers a partial batch response reports failed; None when Lambda would take
    the response as a failure of the whole batch (malformed, or naming a record not in it)."""
    if not isinstance(result, Mapping):
        return set() if result is None else None
    failures = result.get("batchItemFailures", [])
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
        if not identifier or identifier not in positions:
            return None
        failed.add(str(identifier))
    return failed


def _iso(epoch: Any) -> str:
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def failure_record(
    mapping: StreamMapping,
    shard_id: str,
    batch: Sequence[Mapping[str, Any]],
    invoke_count: int,
    function_arn: str,
    function_error: bool,
) -> dict[str, Any]:
    """What Lambda sends the on-failure destination for a batch it gave up: where it is."""
    first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error:
        response["functionError"] = "Unhandled"
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first["SequenceNumber"],
            "endSequenceNumber": last["SequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first.get("ApproximateCreationDateTime", 0)),
            "approximateArrivalOfLastRecord": _iso(last.get("ApproximateCreationDateTime", 0)),
            "batchSize": len(batch),
            "streamArn": mapping.stream_arn,
        },
    }


class StreamPoller:
    def __init__(
        self,
        mapping: StreamMapping,
        invoke: Invoke,
        streams_client: Any,
        sqs_client: Any = None,
        region: str = "us-east-1",
        function_arn: str = "",
    ) -> None:
        self.mapping = mapping
        self._invoke = invoke
        self._streams = streams_client
        self._sqs = sqs_client
        self._region = region
        self._function_arn = function_arn
        self._checkpoints: dict[str, str | None] = {}  # shard -> last sequence number done
        self._attempts: dict[tuple[str, str], int] = {}  # (shard, first sequence number) -> failed tries
        self._limits: dict[tuple[str, str], int] = {}  # bisected batch sizes
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.invocations = 0
        self.succeeded = 0  # records done
        self.retried = 0  # records handed back for another try
        self.dead_lettered: list[dict[str, Any]] = []  # on-failure records sent
        self._failing = False  # the last batch failed: the loop waits before its retry

    # reading the stream ------------------------------------------------------------------------

    def _shards(self) -> list[str]:
        description = self._streams.describe_stream(StreamArn=self.mapping.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _read(self, shard: str, after: str | None) -> list[dict[str, Any]]:
        arguments: dict[str, Any] = {"StreamArn": self.mapping.stream_arn, "ShardId": shard}
        if after is None:
            arguments["ShardIteratorType"] = "TRIM_HORIZON"
        else:
            arguments.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=after)
        iterator = self._streams.get_shard_iterator(**arguments)["ShardIterator"]
        records: list[dict[str, Any]] = self._streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)["Records"]
        return records

    def _start_at(self, shard: str) -> str | None:
        if shard not in self._checkpoints:
            existing = self._read(shard, None) if self.mapping.starting_position == "LATEST" else []
            self._checkpoints[shard] = existing[-1]["dynamodb"]["SequenceNumber"] if existing else None
        return self._checkpoints[shard]

    # one batch ---------------------------------------------------------------------------------

    def poll_once(self) -> int:
        """One batch per shard into the function; returns how many records it was handed."""
        with self._lock:
            return sum(self._batch(shard) for shard in self._shards())

    def drain(self, timeout_seconds: float = 30) -> int:
        """Batches until the stream has nothing more for the function (or the timeout)."""
        handled, deadline = 0, time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            count = self.poll_once()
            if count == 0:
                break
            handled += count
        return handled

    def _batch(self, shard: str) -> int:
        examined = self._read(shard, self._start_at(shard))
        if not examined:
            return 0
        start = examined[0]["dynamodb"]["SequenceNumber"]
        limit = self._limits.get((shard, start), self.mapping.batch_size)
        records = [stream_record(raw, self.mapping.stream_arn, self._region) for raw in examined]
        batch, passed = [], 0
        for record in records:
            if len(batch) == limit:
                break
            passed += 1
            if not self.mapping.filters or any(matches(p, record) for p in self.mapping.filters):
                batch.append(record)
        done_until = records[passed - 1]["dynamodb"]["SequenceNumber"]
        if not batch:
            self._checkpoints[shard] = done_until  # filtered out: Lambda drops them
            return 0
        positions = [r["dynamodb"]["SequenceNumber"] for r in batch]
        first_key = (shard, positions[0])
        self.invocations += 1
        try:
            result = self._invoke(self.mapping.function, {"Records": batch})
            failed = failed_positions(result, positions) if self.mapping.report_failures else set()
            function_error = failed is None
        except Exception:
            log.exception("%s failed on a batch of %d stream records", self.mapping.function, len(batch))
            failed, function_error = None, True
        self._failing = failed != set()
        if failed == set():
            self.succeeded += len(batch)
            self._checkpoints[shard] = done_until
            self._forget(first_key)
            return len(batch)
        if failed is None:  # the whole batch failed
            retry_from, key = 0, first_key
            if self.mapping.bisect and len(batch) > 1:
                self._limits[key] = max(1, len(batch) // 2)
        else:
            lowest = min(failed, key=int)
            retry_from = positions.index(lowest)
            key = (shard, lowest)
            # everything before the lowest failed record is done, filtered records included
            before = [r for r in records[:passed] if int(r["dynamodb"]["SequenceNumber"]) < int(lowest)]
            self._checkpoints[shard] = before[-1]["dynamodb"]["SequenceNumber"] if before else self._checkpoints[shard]
            self.succeeded += retry_from
        self._attempts[key] = self._attempts.get(key, 0) + 1
        remaining = batch[retry_from:]
        retries = self.mapping.maximum_retry_attempts
        if retries >= 0 and self._attempts[key] > retries:
            self._give_up(shard, remaining, self._attempts[key], function_error)
            self._checkpoints[shard] = done_until
            self._forget(key)
        else:
            self.retried += len(remaining)
            log.warning(
                "%s: %d of %d stream records failed; they are retried",
                self.mapping.function,
                len(remaining),
                len(batch),
            )
        return len(batch)

    def _forget(self, key: tuple[str, str]) -> None:
        self._attempts.pop(key, None)
        self._limits.pop(key, None)

    def _give_up(self, shard: str, batch: list[dict[str, Any]], attempts: int, function_error: bool) -> None:
        record = failure_record(self.mapping, shard, batch, attempts, self._function_arn, function_error)
        self.dead_lettered.append(record)
        log.error(
            "%s: gave up %d stream records after %d attempts; their position is in the on-failure destination",
            self.mapping.function,
            len(batch),
            attempts,
        )
        arn = self.mapping.on_failure_arn
        if arn and self._sqs is not None and arn.startswith("arn:aws:sqs:"):
            url = self._sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"]
            self._sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))

    # the background loop ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"stream-{self.mapping.function}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=60)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if self.poll_once() == 0 or self._failing:
                    self._stop.wait(POLL_SECONDS)
            except Exception:
                log.exception("reading the stream %s failed", self.mapping.stream_arn)
                self._stop.wait(1)
