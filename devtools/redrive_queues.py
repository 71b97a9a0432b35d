"""Redrive a dead-letter queue of the stack (README, Operations): each message is handed back to
where it failed, and deleted once that took it; a message that fails again stays in the queue.

    python -m devtools.redrive_queues --stack client-reminders --queue suppression [--dry-run]

with the AWS credentials of the account. The queues (`--queue`):

    send              SendDeadLetterQueue: send-queue messages that failed 100 receives, or were
                      malformed; moved back to the send queue (the send function ignores a round
                      already recorded, so moving one twice sends nothing twice)
    automations       AutomationsDeadLetterQueue: JobEnteredStage events the automations function
                      failed on every retry; invoked again (once per entry_id, so safe to repeat)
    automations-rule  the JobEnteredStage rule's dead-letter queue: events EventBridge could not
                      deliver to the function; invoked again
    suppression       SuppressionDeadLetterQueue: SES bounce and complaint events the suppression
                      function failed on every retry; invoked again (an event already handled
                      changes nothing)
    suppression-rule  the SES rule's dead-letter queue: SES events EventBridge could not deliver;
                      invoked again

The publisher's dead-letter queue holds stream positions, not events: devtools.redrive_events.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

# --queue -> (the stack output naming the dead-letter queue, the output naming where it goes back)
QUEUES: dict[str, tuple[str, str]] = {
    "send": ("SendDeadLetterQueueUrl", "SendQueueUrl"),
    "automations": ("AutomationsDeadLetterQueueUrl", "AutomationsFunctionName"),
    "automations-rule": ("AutomationsRuleDeadLetterQueueUrl", "AutomationsFunctionName"),
    "suppression": ("SuppressionDeadLetterQueueUrl", "SuppressionFunctionName"),
    "suppression-rule": ("SuppressionRuleDeadLetterQueueUrl", "SuppressionFunctionName"),
}
# How long a received message stays hidden while it is handed back (a dry run shows it again at once).
VISIBILITY_SECONDS = 300

Handle = Callable[[str], None]  # takes a message body back; raises when it could not


@dataclass
class RedriveReport:
    redriven: list[str] = field(default_factory=list)  # message ids handed back and deleted
    failed: dict[str, str] = field(default_factory=dict)  # message id -> why it failed again (kept)
    looked: list[str] = field(default_factory=list)  # a dry run's messages, left in the queue
    what: dict[str, int] = field(default_factory=dict)  # kind of message -> how many


def describe(body: str) -> str:
    """What a message holds, in a word or two, for the report: an event's detail-type, or a send
    message's kind."""
    try:
        message = json.loads(body)
    except ValueError:
        return "unreadable"
    if not isinstance(message, dict):
        return "unreadable"
    if "detail-type" in message:
        return str(message["detail-type"])
    return str(message.get("type") or message.get("kind") or "message")


def redrive(sqs: Any, queue_url: str, handle: Handle, dry_run: bool = False) -> RedriveReport:
    """Receives until the queue shows nothing new (each message hidden meanwhile). A dry run shows
    every message it saw again at the end, by its latest receipt handle."""
    report = RedriveReport()
    seen: dict[str, str] = {}  # message id -> its latest receipt handle
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=VISIBILITY_SECONDS
        ).get("Messages", [])
        fresh = [m for m in messages if m["MessageId"] not in seen]
        seen |= {m["MessageId"]: m["ReceiptHandle"] for m in messages}
        if not fresh:
            break
        for message in fresh:
            kind = describe(message["Body"])
            report.what[kind] = report.what.get(kind, 0) + 1
            if dry_run:
                report.looked.append(message["MessageId"])
                continue
            try:
                handle(message["Body"])
            except Exception as error:  # it failed again: the message stays for another look
                report.failed[message["MessageId"]] = f"{type(error).__name__}: {error}"
                continue
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            report.redriven.append(message["MessageId"])
    if dry_run:
        for receipt_handle in seen.values():
            sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)
    return report


def move_to(sqs: Any, queue_url: str) -> Handle:
    def handle(body: str) -> None:
        sqs.send_message(QueueUrl=queue_url, MessageBody=body)

    return handle


def invoke(awslambda: Any, function: str) -> Handle:
    """Invoke the function with the message's event and wait for its answer (as its trigger would)."""

    def handle(body: str) -> None:
        response = awslambda.invoke(FunctionName=function, Payload=body.encode())
        payload = response["Payload"].read().decode(errors="replace")
        if response.get("FunctionError"):
            raise RuntimeError(f"{function} failed: {payload[:500]}")

    return handle


def summary(report: RedriveReport, queue: str, dry_run: bool) -> str:
    kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(report.what.items())) or "none"
    if dry_run:
        return f"{queue}: {len(report.looked)} message(s) ({kinds}); nothing redriven [dry run]"
    failed = "".join(f"\n  kept {message_id}: {why}" for message_id, why in report.failed.items())
    return (
        f"{queue}: {len(report.redriven) + len(report.failed)} message(s) ({kinds}): "
        f"{len(report.redriven)} redriven, {len(report.failed)} failed again (kept){failed}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the stack's name, e.g. client-reminders")
    parser.add_argument("--queue", required=True, choices=sorted(QUEUES), help="which dead-letter queue")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument("--dry-run", action="store_true", help="count what is there, hand nothing back")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    queue_output, target_output = QUEUES[args.queue]
    sqs = session.client("sqs")
    target = outputs[target_output]
    handle = move_to(sqs, target) if args.queue == "send" else invoke(session.client("lambda"), target)
    report = redrive(sqs, outputs[queue_output], handle, dry_run=args.dry_run)
    print(summary(report, args.queue, args.dry_run))
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
