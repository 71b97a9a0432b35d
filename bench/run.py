"""Benchmark: one scan tick over 100,000 non-due and 1,000 due items, then the send queue drained.

    .venv/bin/python -m bench.run [--non-due 100000] [--due 1000] [--accounts 200]
        [--sequences [--escalation] | --digest] [--wordings]

With --sequences every item is on a due-date schedule (SPEC R19) and bench/results_sequences.json
is written instead. With --digest the firm sends digests (SPEC R20) and the due items come three
to an account of their own, due the same day: each contact gets one email for the three, and
bench/results_digest.json is written. Without it the firm sends one email per item
(reminder_digest off), as before digests: the baseline its emails per reminder are compared to.

Everything runs in-process under moto, with the environment and resources template.yaml defines
and time frozen at the sample scheduled event's `time`. The functions' AWS calls are counted with
botocore event hooks (see bench/meter.py); the table is printed and bench/results.json written.
Not a test: moto is far slower than AWS, so wall times are informational, request counts are not.
moto's TransactWriteItems is made to back up only the items it touches (bench/emulator.py);
without that, each transaction deep-copies the whole 101,000-item table.
"""

from __future__ import annotations

import argparse
import copy
import gc
import io
import json
import os
import platform
import resource
import sys
import time
import tracemalloc
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import import_module, metadata
from pathlib import Path
from typing import Any

from bench import ROOT, importtime
from bench.meter import OUTSIDE, Meter
from bench.stack import (
    ACCOUNT_ID,
    LAMBDA_ENVIRONMENT,
    REGION,
    Stack,
    create_stack,
    detailed_tracing_environment,
    function_environment,
    template_environment,
)
from devtools import importtime as devtools_importtime
from devtools.importtime import BASELINE, Timing
from devtools.local.sesaccount import LocalSesAccount

EVENTS = ROOT / "events"
RESULTS = Path(__file__).resolve().parent / "results.json"
RESULTS_SEQUENCES = Path(__file__).resolve().parent / "results_sequences.json"
RESULTS_DIGEST = Path(__file__).resolve().parent / "results_digest.json"
# --digest: due items per account, and the emails per reminder it must reach against one email
# per item to each notify contact (SPEC R20: one email per contact instead of three)
DIGEST_OF = 3
TARGET_DIGEST_EMAIL_RATIO = 0.34
TARGET_DYNAMODB_PER_REMINDER_DIGEST = 5.5
RESULTS_ESCALATION = Path(__file__).resolve().parent / "results_escalation.json"
PACKAGES = ("boto3", "botocore", "moto", "pynamodb", "aws-lambda-powertools", "pydantic")
SQS_BATCH = 10
NOTIFY_CONTACTS_PER_ACCOUNT = 2
MIB = 1024 * 1024

TARGET_ITEMS_READ_PER_DUE = 1.05
TARGET_DYNAMODB_PER_REMINDER = 6
TARGET_SQS_PER_REMINDER = 0.15
TARGET_IMPORT_RATIO = 1.5


def say(message: str) -> None:
    print(message, flush=True)


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def tick_time() -> datetime:
    """'now': the time of the sample scheduled event (events/scan_tick.json)."""
    return datetime.fromisoformat(load_event("scan_tick.json")["time"])


# Lambda plumbing --------------------------------------------------------------------------------


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/client-reminders-bench"
    log_stream_name: str = "2026/11/30/[$LATEST]0123456789abcdef"
    # never runs down: moto's slowness must not make the scan stop early
    remaining_ms: int = 300_000

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


class LogSink(io.TextIOBase):
    """Where the functions' stdout (JSON logs, EMF metrics) goes: counted, not printed."""

    def __init__(self) -> None:
        self.lines = 0
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.lines += text.count("\n")
        self.bytes += len(text.encode())
        return len(text)


def scheduled_event(now: datetime) -> dict[str, Any]:
    event = load_event("scan_tick.json")
    event["id"] = str(uuid.uuid4())
    event["time"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def sqs_event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event the SQS event source mapping builds from received messages."""
    template = load_event("send_batch.json")["Records"][0]
    records = []
    for message in messages:
        record = copy.deepcopy(template)
        record.update(
            messageId=message["MessageId"],
            receiptHandle=message["ReceiptHandle"],
            body=message["Body"],
            md5OfBody=message["MD5OfBody"],
            eventSourceARN=queue_arn,
            awsRegion=REGION,
        )
        record["attributes"].update(
            {name: message["Attributes"][name] for name in record["attributes"] if name in message["Attributes"]}
        )
        records.append(record)
    return {"Records": records}


# the run ----------------------------------------------------------------------------------------


@dataclass
class Run:
    scan_report: dict[str, Any]
    scan_seconds: float
    drain_seconds: float
    send_invocations: int
    messages_received: int
    records_failed: int
    traced_peak_bytes: int
    scan_traced_peak_bytes: int
    drain_traced_peak_bytes: int
    logs: LogSink


class Functions:
    """The scan and send handlers, invoked the way their triggers invoke them, with the meter on."""

    def __init__(self, stack: Stack, meter: Meter, sqs: Any) -> None:
        self.stack = stack
        self.meter = meter
        self.sqs = sqs  # the benchmark's own client: the event source mapping's receive/delete
        self.logs = LogSink()
        # Lambda imports the handler after setting the environment; so does this
        self.scan_handler = import_module("functions.scan.handler")
        self.send_handler = import_module("functions.send.handler")
        observability = import_module("portal_reminders.observability")
        handler = observability.logger.registered_handler
        if hasattr(handler, "setStream"):
            handler.setStream(self.logs)

    @contextmanager
    def invocation(self, phase: str) -> Iterator[None]:
        with self.meter.in_phase(phase), redirect_stdout(self.logs):
            yield

    def scan(self, now: datetime) -> dict[str, Any]:
        with self.invocation("scan"):
            report: dict[str, Any] = self.scan_handler.lambda_handler(
                scheduled_event(now), LambdaContext("client-reminders-ScanFunction", remaining_ms=300_000)
            )
        return report

    def drain(self, progress: Callable[[str], None]) -> tuple[int, int, int]:
        """Receive up to 10, invoke send, delete what it did not report failed; until empty.
        Time is frozen, so a failed message stays invisible: it is counted, not retried."""
        invocations = received = failed_total = 0
        while True:
            messages: list[dict[str, Any]] = self.sqs.receive_message(
                QueueUrl=self.stack.send_queue_url,
                MaxNumberOfMessages=SQS_BATCH,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not messages:
                return invocations, received, failed_total
            event = sqs_event(messages, self.stack.send_queue_arn)
            with self.invocation("send"):
                response = self.send_handler.lambda_handler(
                    event, LambdaContext("client-reminders-SendFunction", remaining_ms=30_000)
                )
            failed = {failure["itemIdentifier"] for failure in response["batchItemFailures"]}
            done = [
                {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                for n, m in enumerate(messages)
                if m["MessageId"] not in failed
            ]
            if done:
                self.sqs.delete_message_batch(QueueUrl=self.stack.send_queue_url, Entries=done)
            invocations += 1
            received += len(messages)
            failed_total += len(failed)
            if invocations % 20 == 0:
                progress(f"  send: {invocations} batches, {received} messages")


def run_functions(functions: Functions, now: datetime) -> Run:
    gc.collect()
    tracemalloc.start()
    with functions.meter.watching_new_clients():
        say("scan tick ...")
        started = time.perf_counter()
        report = functions.scan(now)
        scan_seconds = time.perf_counter() - started
        _, scan_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        say(f"  scan: {report}  ({scan_seconds:.1f} s)")
        say("draining the send queue ...")
        started = time.perf_counter()
        invocations, received, failed = functions.drain(say)
        drain_seconds = time.perf_counter() - started
        say(f"  send: {invocations} batches, {received} messages, {failed} failed  ({drain_seconds:.1f} s)")
    _, drain_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return Run(
        scan_report=report,
        scan_seconds=scan_seconds,
        drain_seconds=drain_seconds,
        send_invocations=invocations,
        messages_received=received,
        records_failed=failed,
        traced_peak_bytes=max(scan_peak, drain_peak),
        scan_traced_peak_bytes=scan_peak,
        drain_traced_peak_bytes=drain_peak,
        logs=functions.logs,
    )


def function_clients_metered(meter: Meter) -> dict[str, bool]:
    """The clients the brief names are among those metered (they were made during the run)."""
    clients = import_module("portal_reminders.adapters.clients")
    records = import_module("portal_reminders.repository.records")
    named = {
        "pynamodb (ItemRecord)": records.ItemRecord._get_connection().connection.client,
        "sesv2": clients.client("sesv2"),
        "sqs": clients.client("sqs"),
    }
    return {name: meter.is_metered(client) for name, client in named.items()}


def verify_reminders(
    dynamodb: Any, table_name: str, expected: dict[str, int], firm_id: str, escalating: set[str] | None = None
) -> int:
    """How many due items now record their reminder (reminders_sent advanced, claim released), or
    for an escalation its escalated_at."""
    keys = import_module("portal_reminders.repository.keys")
    recorded = 0
    ids = list(expected)
    for start in range(0, len(ids), 100):
        pending: dict[str, Any] = {
            table_name: {
                "Keys": [
                    {"pk": {"S": keys.item_pk(firm_id, item_id)}, "sk": {"S": keys.ITEM_SK}}
                    for item_id in ids[start : start + 100]
                ],
                "ConsistentRead": True,
            }
        }
        while pending:
            response = dynamodb.batch_get_item(RequestItems=pending)
            for raw in response["Responses"].get(table_name, []):
                sent = int(raw["reminders_sent"]["N"])
                escalated = raw["item_id"]["S"] not in (escalating or set()) or "escalated_at" in raw
                if sent == expected[raw["item_id"]["S"]] and "claim_number" not in raw and escalated:
                    recorded += 1
            pending = response.get("UnprocessedKeys") or {}
    return recorded


def emails_sent(account_contacts: set[str]) -> tuple[int, int]:
    """Emails moto's SES accepted, and how many went to an address that is not a notify contact."""
    ses_models = import_module("moto.ses.models")
    backend = ses_models.ses_backends[ACCOUNT_ID][REGION]
    stray = 0
    for message in backend.sent_messages:
        stray += sum(1 for address in message.destinations.get("ToAddresses", []) if address not in account_contacts)
    return len(backend.sent_messages), stray


# figures ----------------------------------------------------------------------------------------


@dataclass
class Figure:
    key: str  # its name in results.json
    name: str  # its label in the table
    value: float | int
    target: str = ""
    passed: bool | None = None  # None: informational
    unit: str = ""

    def cells(self) -> tuple[str, str, str]:
        if isinstance(self.value, float):
            value = f"{self.value:,.3f}" if abs(self.value) < 100 else f"{self.value:,.1f}"
        else:
            value = f"{self.value:,}"
        verdict = "" if self.passed is None else ("PASS" if self.passed else "FAIL")
        return f"{value} {self.unit}".rstrip(), self.target, verdict


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def at_most(key: str, name: str, value: float, limit: float, suffix: str = "") -> Figure:
    return Figure(key, name, value, f"<= {limit}{suffix}", value <= limit)


def equal(key: str, name: str, value: int, expected: int, label: str = "") -> Figure:
    return Figure(key, name, value, f"= {expected:,}{label}", value == expected)


def build_figures(
    meter: Meter,
    run: Run,
    due: int,
    reminders: int,
    emails: int,
    stray: int,
    imports: dict[str, dict[str, Timing]],
    digest_of: int = 0,
    escalations: int = 0,
) -> list[Figure]:
    """`reminders`: the rounds recorded, reminders and escalations (`escalations` of them: each emails
    the firm's one address instead of the account's notify contacts)."""

    def per(count: float) -> float:
        return ratio(count, reminders)

    scans = meter.by_operation("dynamodb").get("Scan", 0)
    # one email per item to each notify contact; with digests one per account with due items
    # an escalation emails the firm's one address instead of the account's notify contacts
    expected_emails = (
        NOTIFY_CONTACTS_PER_ACCOUNT * (-(-due // digest_of) if digest_of else due - escalations) + escalations
    )
    figures = [
        equal("reminders_sent", "reminders sent", reminders, due, " due"),
        equal("emails_sent", "emails sent (moto SES)", emails, expected_emails),
        Figure("emails_per_reminder", "emails per reminder", per(emails)),
    ]
    if digest_of:
        figures.append(
            at_most(
                "emails_per_reminder_vs_one_per_item",
                "  against one email per item to each contact",
                ratio(per(emails), NOTIFY_CONTACTS_PER_ACCOUNT),
                TARGET_DIGEST_EMAIL_RATIO,
            )
        )
    figures += [
        equal("emails_to_contacts_without_notify", "emails to a contact without notify", stray, 0),
        equal("send_records_failed", "send records reported failed", run.records_failed, 0),
        equal("dynamodb_scan_calls", "DynamoDB Scan calls", scans, 0),
        Figure("scan_query_calls", "scan Query calls", meter.by_operation("dynamodb", "scan").get("Query", 0)),
        at_most(
            "scan_items_read_per_due_item",
            "items the scan read per due item",
            per(meter.query_items["scan"]),
            TARGET_ITEMS_READ_PER_DUE,
        ),
        at_most(
            "dynamodb_requests_per_reminder",
            "DynamoDB requests per reminder (txn = 1 per item)",
            per(meter.weighted_dynamodb()),
            TARGET_DYNAMODB_PER_REMINDER_DIGEST if digest_of else TARGET_DYNAMODB_PER_REMINDER,
        ),
        Figure("dynamodb_requests_per_reminder_scan", "  of which scan tick", per(meter.weighted_dynamodb("scan"))),
        Figure("dynamodb_requests_per_reminder_send", "  of which send drain", per(meter.weighted_dynamodb("send"))),
        Figure(
            "dynamodb_calls_per_reminder_raw",
            "DynamoDB requests per reminder (raw calls)",
            per(meter.total("dynamodb")),
        ),
        Figure(
            "send_items_read_per_reminder",
            "  items send read per reminder (BatchGetItem keys)",
            per(meter.batch_get_keys["send"]),
        ),
        Figure(
            "transaction_items_per_reminder",
            "  items written in transactions per reminder",
            per(sum(meter.transaction_items.values())),
        ),
        at_most(
            "sqs_requests_per_reminder",
            "SQS requests by the functions per reminder",
            per(meter.total("sqs")),
            TARGET_SQS_PER_REMINDER,
        ),
        Figure("ses_calls_per_reminder", "SES calls per reminder", per(meter.total("sesv2"))),
        *(
            Figure(f"{service}_requests_per_reminder", f"{service} requests per reminder", per(meter.total(service)))
            for service in meter.services
            if service not in {"dynamodb", "sqs", "sesv2"}
        ),
        Figure("aws_errors", "AWS errors returned to the functions", sum(meter.errors.values())),
        Figure("log_lines_per_reminder", "log lines per reminder (template's log level)", per(run.logs.lines)),
        Figure("traced_peak_mib", "peak traced memory, scan + drain", run.traced_peak_bytes / MIB, unit="MiB"),
        Figure("traced_peak_scan_mib", "  during the scan tick", run.scan_traced_peak_bytes / MIB, unit="MiB"),
        Figure("traced_peak_drain_mib", "  during the drain", run.drain_traced_peak_bytes / MIB, unit="MiB"),
        Figure("max_rss_mib", "process max RSS (includes seeding)", _max_rss_bytes() / MIB, unit="MiB"),
        Figure("scan_seconds", "scan tick wall time (moto)", run.scan_seconds, unit="s"),
        Figure("drain_seconds", "drain wall time (moto)", run.drain_seconds, unit="s"),
    ]
    for variant, (suffix, label) in IMPORT_VARIANTS.items():
        figures += import_figures(imports[variant], suffix, label)
    return figures


# Import-time runs with the variables template.yaml's Globals give every function: as deployed
# with the default parameters (judged against the target), and with DetailedTracing=true, which
# loads the X-Ray SDK on purpose (shown for information).
IMPORT_VARIANTS = {
    "deployed": ("", ", as deployed"),
    "detailed_tracing": ("_detailed_tracing", ", DetailedTracing=true"),
}


def import_figures(timings: dict[str, Timing], suffix: str, label: str) -> list[Figure]:
    boto3_ms = timings[BASELINE].wall_median_ms
    runs = len(timings[BASELINE].samples)
    figures = [Figure(f"import_boto3_ms{suffix}", f"import boto3 (median of {runs}{label})", boto3_ms, unit="ms")]
    for function in importtime.FUNCTIONS:
        # the target is the api's (issue 16); the others are shown
        judged = not suffix and function == "api"
        handler_ms = timings[function].wall_median_ms
        figures += [
            Figure(
                f"import_{function}_ms{suffix}",
                f"import {function} handler (median of {runs}{label})",
                handler_ms,
                unit="ms",
            ),
            at_most(
                f"import_{function}_ratio{suffix}",
                f"  {function} handler / boto3",
                handler_ms / boto3_ms,
                TARGET_IMPORT_RATIO,
                "x",
            )
            if judged
            else Figure(
                f"import_{function}_ratio{suffix}", f"  {function} handler / boto3", handler_ms / boto3_ms, unit="x"
            ),
        ]
    return figures


def _max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def print_table(figures: list[Figure], meter: Meter) -> None:
    rows = [("figure", "value", "target", ""), *((f.name, *f.cells()) for f in figures)]
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    rule = "-" * (sum(widths) + 6)
    say("")
    say(rule)
    for n, row in enumerate(rows):
        say(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
        if n == 0:
            say(rule)
    say(rule)
    say("")
    operations = sorted(meter.by_operation("dynamodb"), key=lambda op: -meter.by_operation("dynamodb")[op])
    say(f"{'DynamoDB requests':<22}{'scan tick':>11}{'send drain':>12}{'total':>9}")
    for operation in operations:
        scan = meter.by_operation("dynamodb", "scan").get(operation, 0)
        send = meter.by_operation("dynamodb", "send").get(operation, 0)
        say(f"{operation:<22}{scan:>11,}{send:>12,}{scan + send:>9,}")
    scan_total, send_total = meter.total("dynamodb", "scan"), meter.total("dynamodb", "send")
    say(f"{'(raw calls)':<22}{scan_total:>11,}{send_total:>12,}{scan_total + send_total:>9,}")
    scan_weighted, send_weighted = meter.weighted_dynamodb("scan"), meter.weighted_dynamodb("send")
    weighted_total = scan_weighted + send_weighted
    say(f"{'(txn = 1 per item)':<22}{scan_weighted:>11,}{send_weighted:>12,}{weighted_total:>9,}")
    for service in (s for s in meter.services if s != "dynamodb"):
        for operation, count in meter.by_operation(service).items():
            scan = meter.by_operation(service, "scan").get(operation, 0)
            send = meter.by_operation(service, "send").get(operation, 0)
            say(f"{service + ' ' + operation:<22}{scan:>11,}{send:>12,}{count:>9,}")
    for error in meter.error_list():
        say(f"  error: {error}")
    say("")


def package_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in PACKAGES}


def results_document(
    args: argparse.Namespace,
    now: datetime,
    seeded: Any,
    meter: Meter,
    run: Run,
    figures: list[Figure],
    imports: dict[str, dict[str, Timing]],
    heaviest: dict[str, list[tuple[str, float]]],
    clients_metered: dict[str, bool],
    total_seconds: float,
) -> dict[str, Any]:
    def requests(service: str) -> dict[str, dict[str, int]]:
        return {
            "scan": meter.by_operation(service, "scan"),
            "send": meter.by_operation(service, "send"),
            "total": meter.by_operation(service),
        }

    keys = import_module("portal_reminders.repository.keys")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": package_versions(),
        "parameters": {
            "non_due": args.non_due,
            "due": args.due,
            "accounts": args.accounts,
            "schedule": "due_date (steps -3, 0, 7, 14)" if args.sequences else "interval",
            "reminder_digest": args.digest,
            "due_items_per_account": DIGEST_OF if args.digest else None,
            "accounts_with_due_items": -(-args.due // DIGEST_OF) if args.digest else None,
            "firm_wordings": args.wordings,
            "escalation": _escalation_parameters() if args.escalation else None,
            "notify_contacts_per_account": NOTIFY_CONTACTS_PER_ACCOUNT,
            "now": now.isoformat(),
            "due_shards": keys.DUE_SHARDS,
            "sqs_batch": SQS_BATCH,
        },
        "seeded": {
            "records": seeded.records,
            "items_by_shape": dict(seeded.shapes),
            "items_on_due_index": seeded.on_due_index,
            "seconds": round(seeded.seconds, 1),
        },
        "figures": {
            figure.key: {"value": figure.value, "unit": figure.unit, "target": figure.target, "pass": figure.passed}
            for figure in figures
        },
        "scan_report": run.scan_report,
        "send": {
            "invocations": run.send_invocations,
            "messages_received": run.messages_received,
            "records_failed": run.records_failed,
        },
        "requests": {
            "dynamodb": requests("dynamodb"),
            "dynamodb_weighted": {
                "scan": meter.weighted_dynamodb("scan"),
                "send": meter.weighted_dynamodb("send"),
                "total": meter.weighted_dynamodb(),
            },
            "dynamodb_transaction_items": dict(meter.transaction_items),
            "dynamodb_batch_get_keys": dict(meter.batch_get_keys),
            "scan_query_items": meter.query_items["scan"],
            "scan_query_scanned_count": meter.scanned_items["scan"],
            "sqs": requests("sqs"),
            "sesv2": requests("sesv2"),
            "outside_invocations": sum(n for (phase, _, _), n in meter.calls.items() if phase == OUTSIDE),
            "errors": meter.error_list(),
            "retries": {f"{phase}/{service}": n for (phase, service), n in meter.retries.items() if n},
            "response_bytes": {f"{phase}/{service}": n for (phase, service), n in meter.response_bytes.items()},
            "metered_clients": meter.metered_clients,
            "named_clients_metered": clients_metered,
        },
        "logs": {"lines": run.logs.lines, "bytes": run.logs.bytes},
        "memory": {
            "traced_peak_bytes": run.traced_peak_bytes,
            "scan_traced_peak_bytes": run.scan_traced_peak_bytes,
            "drain_traced_peak_bytes": run.drain_traced_peak_bytes,
            "max_rss_bytes": _max_rss_bytes(),
            "note": "tracemalloc counts moto's allocations too (it runs in-process)",
        },
        "emulator_patches": ["moto TransactWriteItems backs up only the items it touches (bench/emulator.py)"],
        "wall_seconds": {
            "scan": round(run.scan_seconds, 3),
            "drain": round(run.drain_seconds, 3),
            "whole_run": round(total_seconds, 1),
        },
        "import_time": {
            "environments": {
                "deployed": template_environment(),
                "detailed_tracing": detailed_tracing_environment(),
            },
            **{
                variant: {
                    name: {
                        "wall_median_ms": timing.wall_median_ms,
                        "cpu_median_ms": timing.cpu_median_ms,
                        "wall_runs_us": [sample.wall_us for sample in timing.samples],
                        "cpu_runs_us": [sample.cpu_us for sample in timing.samples],
                    }
                    for name, timing in timings.items()
                }
                for variant, timings in imports.items()
            },
            "heaviest_imports_ms": {function: dict(modules) for function, modules in heaviest.items()},
        },
    }


# main -------------------------------------------------------------------------------------------


def _escalation_parameters() -> str:
    from bench.seed import ESCALATE_AFTER_DAYS, ESCALATING_EVERY  # noqa: PLC0415 - imports the layer

    return f"every item after {ESCALATE_AFTER_DAYS} days; 1 due item in {ESCALATING_EVERY} is its escalation"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--non-due", type=int, default=100_000, help="items no scan should touch (default 100000)")
    parser.add_argument("--due", type=int, default=1_000, help="items due now (default 1000)")
    parser.add_argument("--accounts", type=int, default=200, help="client accounts the items belong to")
    parser.add_argument("--import-runs", type=int, default=5, help="fresh interpreters per import measurement")
    parser.add_argument(
        "--sequences",
        action="store_true",
        help="every item on a due-date schedule of 4 steps (SPEC R19); writes bench/results_sequences.json",
    )
    parser.add_argument(
        "--digest",
        action="store_true",
        help=f"digests on, {DIGEST_OF} due items per account, due the same day (SPEC R20); writes "
        "bench/results_digest.json",
    )
    parser.add_argument(
        "--wordings",
        action="store_true",
        help="the firm has its own wording of every email a client gets (SPEC R21), read by the send path",
    )
    parser.add_argument(
        "--escalation",
        action="store_true",
        help="with --sequences: every item escalates, and one due item in ten is its escalation to the firm; "
        "writes bench/results_escalation.json",
    )
    parser.add_argument("--out", type=Path, default=None, help="where to write the results JSON")
    args = parser.parse_args(argv)
    if args.sequences and args.digest:
        parser.error("--sequences and --digest are separate runs")
    if args.out is None:
        args.out = (
            RESULTS_ESCALATION
            if args.escalation
            else RESULTS_SEQUENCES
            if args.sequences
            else RESULTS_DIGEST
            if args.digest
            else RESULTS
        )
    if args.escalation and not args.sequences:
        parser.error("--escalation goes with --sequences")
    if args.due < 1 or args.non_due < 0 or args.accounts < 1:
        parser.error("--due and --accounts must be at least 1, --non-due at least 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    # the send function publishes only the cold-start metric; Powertools warns on every such flush
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    os.environ.update(LAMBDA_ENVIRONMENT)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)

    import boto3  # noqa: PLC0415 - clients must be made after the fake credentials are set
    import time_machine  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from bench.emulator import item_level_transaction_backups  # noqa: PLC0415
    from bench.seed import seed  # noqa: PLC0415

    now = tick_time()
    with mock_aws(), item_level_transaction_backups(), time_machine.travel(now, tick=False) as traveller:
        # time is frozen: the send functions' pacing waits move it on instead (simulated time)
        clock = import_module("portal_reminders.clock")
        clock.sleep = traveller.shift
        # moto has no SES GetAccount: answer as a production account (14/s), as the local stack does
        LocalSesAccount(list, clock.now).install()
        stack = create_stack()
        os.environ.update(function_environment(stack))
        wiring = import_module("portal_reminders.wiring")
        wiring.reset()
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)

        total = args.non_due + args.due
        say(f"seeding 1 firm, {args.accounts:,} accounts, {total:,} items into moto (not measured) ...")
        seeded = seed(
            dynamodb,
            stack.table_name,
            now,
            args.non_due,
            args.due,
            args.accounts,
            say,
            by_due_date=args.sequences,
            digest_of=DIGEST_OF if args.digest else 0,
            wordings=args.wordings,
            escalation=args.escalation,
        )
        say(f"  seeded {seeded.records:,} records in {seeded.seconds:.1f} s: {dict(seeded.shapes)}")

        meter = Meter()
        functions = Functions(stack, meter, sqs)
        run = run_functions(functions, now)
        clients_metered = function_clients_metered(meter)
        reminders = verify_reminders(dynamodb, stack.table_name, seeded.due, seeded.firm.id, seeded.escalating)
        notify_addresses = {c.email for a in seeded.accounts for c in a.notify_contacts}
        # an escalation emails the firm's escalation address, once (SPEC R19)
        firm_addresses = {seeded.firm.escalation_email} - {None}
        emails, stray = emails_sent(notify_addresses | firm_addresses)

    if not all(clients_metered.values()):
        say(f"WARNING: some function clients were not metered: {clients_metered}")
    say(f"import times: {args.import_runs} fresh interpreters each, two environments ...")
    environments = {"deployed": template_environment(), "detailed_tracing": detailed_tracing_environment()}
    chosen = {name: target for name, target in importtime.targets().items() if name != importtime.PRIMED}
    imports = {
        name: devtools_importtime.measure(chosen, {**LAMBDA_ENVIRONMENT, **env}, runs=args.import_runs)
        for name, env in environments.items()
    }
    heaviest = {
        function: devtools_importtime.heaviest_imports(function, environments["deployed"])
        for function in importtime.FUNCTIONS
    }

    digest_of = DIGEST_OF if args.digest else 0
    figures = build_figures(meter, run, args.due, reminders, emails, stray, imports, digest_of, len(seeded.escalating))
    total_seconds = time.perf_counter() - started
    print_table(figures, meter)
    for function, modules in heaviest.items():
        say(f"heaviest imports of {function}/handler: " + ", ".join(f"{name} {ms:.0f} ms" for name, ms in modules))
    document = results_document(
        args, now, seeded, meter, run, figures, imports, heaviest, clients_metered, total_seconds
    )
    args.out.write_text(json.dumps(document, indent=2, sort_keys=False) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    say(f"whole run {total_seconds:.1f} s; wrote {shown}")
    return 0 if all(f.passed is not False for f in figures) else 1


if __name__ == "__main__":
    sys.exit(main())
