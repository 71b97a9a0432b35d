"""Redrive the publisher's dead-letter queue (README, Domain events).

Each message there is what Lambda records when it gives up a batch of the table's stream: where the
batch is (DDBStreamBatchInfo: stream, shard, first and last sequence number), not the records. The
stream keeps them 24 hours. This reads them back, hands them to the publisher function exactly as
its event source mapping would (the same filters), and deletes the message once every record was
published. Events published twice carry the same event_id, so redriving more than needed is safe.

    python -m devtools.redrive_events --stack client-reminders [--region eu-west-1] [--dry-run]

with the AWS credentials of the account. A batch older than the stream's 24 hours cannot be read
back: it is reported, and its message kept (the audit trail in the table still has every change).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.exceptions import ClientError

from devtools.local.eventbus import matches
from devtools.local.streams import failed_positions, stream_record

Invoke = Callable[[dict[str, Any]], Any]


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)  # message ids whose records are now published
    failed: list[str] = field(default_factory=list)  # the publisher failed again: the message stays
    expired: list[str] = field(default_factory=list)  # the stream no longer holds the records
    records: int = 0


def batch_records(streams: Any, info: Mapping[str, Any], region: str) -> list[dict[str, Any]]:
    """The records of one given-up batch, read back from the stream, as Lambda hands them over."""
    first, last = int(info["startSequenceNumber"]), int(info["endSequenceNumber"])
    iterator = streams.get_shard_iterator(
        StreamArn=info["streamArn"],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    found: list[dict[str, Any]] = []
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        records = page.get("Records", [])
        for raw in records:
            position = int(raw["dynamodb"]["SequenceNumber"])
            if first <= position <= last:
                found.append(stream_record(raw, info["streamArn"], region))
        if not records or int(records[-1]["dynamodb"]["SequenceNumber"]) >= last:
            break
        iterator = page.get("NextShardIterator")
    return found


def redrive(
    sqs: Any,
    streams: Any,
    queue_url: str,
    invoke: Invoke,
    filters: Sequence[Mapping[str, Any]] = (),
    region: str = "us-east-1",
    dry_run: bool = False,
) -> RedriveReport:
    report = RedriveReport()
    seen: set[str] = set()
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=300).get(
            "Messages", []
        )
        fresh = [m for m in messages if m["MessageId"] not in seen]
        if not fresh:
            return report
        for message in fresh:
            seen.add(message["MessageId"])
            info = json.loads(message["Body"])["DDBStreamBatchInfo"]
            try:
                records = batch_records(streams, info, region)
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") != "TrimmedDataAccessException":
                    raise
                records = []
            if not records:
                report.expired.append(message["MessageId"])
                continue
            records = [r for r in records if not filters or any(matches(p, r) for p in filters)]
            report.records += len(records)
            if dry_run:
                continue
            try:
                result = invoke({"Records": records}) if records else None
                failed = failed_positions(result, [r["dynamodb"]["SequenceNumber"] for r in records])
            except Exception as error:  # the publisher failed as a whole: keep the message
                print(f"batch {message['MessageId']}: {error}")
                failed = None
            if failed == set():
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                report.redriven.append(message["MessageId"])
            else:
                report.failed.append(message["MessageId"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the stack's name, e.g. client-reminders")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument("--dry-run", action="store_true", help="read the batches back, publish nothing")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    function = outputs["PublisherFunctionName"]
    awslambda = session.client("lambda")
    [mapping] = [
        m
        for m in awslambda.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
        if "/stream/" in m["EventSourceArn"]
    ]
    filters = [json.loads(f["Pattern"]) for f in (mapping.get("FilterCriteria") or {}).get("Filters", [])]

    def invoke(event: dict[str, Any]) -> Any:
        response = awslambda.invoke(FunctionName=function, Payload=json.dumps(event).encode())
        payload = json.loads(response["Payload"].read() or b"null")
        if response.get("FunctionError"):
            raise RuntimeError(f"{function} failed: {payload}")
        return payload

    report = redrive(
        session.client("sqs"),
        session.client("dynamodbstreams"),
        outputs["PublisherDeadLetterQueueUrl"],
        invoke,
        filters,
        region=session.region_name or "us-east-1",
        dry_run=args.dry_run,
    )
    print(
        f"{report.records} records in {len(report.redriven) + len(report.failed) + len(report.expired)} batches: "
        f"{len(report.redriven)} redriven, {len(report.failed)} failed again (kept), "
        f"{len(report.expired)} older than the stream's 24 hours (kept)" + (" [dry run]" if args.dry_run else "")
    )
    return 1 if report.failed or report.expired else 0


if __name__ == "__main__":
    raise SystemExit(main())
