"""Benchmark: what the firm's worklist (GET /action-items, SPEC R19) reads, per item it lists.

    .venv/bin/python -m bench.worklist [--items 5000] [--accounts 100] [--limit 50]

One firm's items across `accounts` accounts (a third completed or cancelled, some escalated, due
dates spread over two months around today in five time zones, some without one) are written into
moto's table as the api writes them (repository/mapping.py, so the worklist index holds them as it
would); then a firm user reads each listing the worklist offers, page by page, through the api
handler (API Gateway events). Every DynamoDB request the function makes is counted with botocore's
event hooks: its operation, the index it names, and the entries it returned. The target: at most
1.05 entries read per listed item (the page's own, and one past it to know a page follows), with
Query on the worklist index, or the escalated items' own, only (no Scan, no per-account request, no
record read by key). `escalated=false` is reported apart: it reads the escalated entries it filters out.
Not a test: the figures are printed and written to bench/worklist.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import warnings
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import ROOT

RESULTS = Path(__file__).resolve().parent / "worklist.json"
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
FIRM_ID = "bench-firm"
ZONES = ("UTC", "Europe/Lisbon", "America/Sao_Paulo", "Asia/Tokyo", "Pacific/Kiritimati")
TARGET_READ_PER_LISTED = 1.05
LISTINGS: dict[str, dict[str, str]] = {
    "everything": {},
    "pending": {"status": "pending"},
    "pending, overdue": {"status": "pending", "overdue": "true"},
    "pending, not overdue": {"status": "pending", "overdue": "false"},
    "escalated": {"escalated": "true"},
    "completed": {"status": "completed"},
    "not escalated": {"escalated": "false"},
}
# Listings that read entries they leave out: `escalated=false` filters the escalated entries out of
# the worklist index (one in eleven here). Reported, not held to the target.
FILTERED = {"not escalated"}
INDEXES = {"Query worklist-index", "Query escalated-index"}
POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME": "client-reminders",
    "POWERTOOLS_METRICS_NAMESPACE": "ClientRemindersBench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def say(message: str) -> None:
    print(message, flush=True)


def items(count: int, accounts: int, rng: random.Random) -> list[Any]:
    """The firm's items, as domain objects, in the shapes a busy firm has."""
    from portal_reminders.models.domain import ActionItem, Kind, ReminderSettings, Status  # noqa: PLC0415

    made = []
    for n in range(count):
        sent_at = NOW - timedelta(days=rng.randint(1, 60), minutes=rng.randint(0, 1439))
        due = None if n % 7 == 0 else (NOW + timedelta(days=rng.randint(-30, 30))).date()
        status = (Status.COMPLETED, Status.CANCELLED, Status.PENDING, Status.PENDING, Status.PENDING, Status.PENDING)[
            n % 6
        ]
        item = ActionItem(
            firm_id=FIRM_ID,
            id=f"itm_{rng.getrandbits(128):032x}",
            account_id=f"acc_{n % accounts:032x}",
            kind=(Kind.INVOICE, Kind.ORGANIZER, Kind.PROPOSAL)[n % 3],
            title=f"Item {n}",
            sent_at=sent_at,
            created_by="bench",
            reminders=ReminderSettings(enabled=True, max_reminders=2, escalate_after_days=7),
            status=status,
            notified=True,
            reminders_sent=2 if n % 11 == 0 else rng.randint(0, 1),
            last_emailed_at=sent_at,
            zone=ZONES[n % len(ZONES)],
            due_date=due,
        )
        if n % 11 == 0:
            item = replace(item, escalated_at=sent_at + timedelta(days=12))
        made.append(item)
    return made


def run(count: int, accounts: int, limit: int) -> dict[str, Any]:
    os.environ.update(POWERTOOLS)
    import pytest  # noqa: PLC0415
    import time_machine  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from devtools import moto_fidelity  # noqa: PLC0415
    from portal_reminders import wiring  # noqa: PLC0415
    from portal_reminders.repository.mapping import item_to_record  # noqa: PLC0415
    from portal_reminders.repository.records import ItemRecord  # noqa: PLC0415
    from tests.support import aws  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    moto_fidelity.apply()
    environment = aws.FUNCTION_ENVIRONMENT
    figures: dict[str, Any] = {}
    with pytest.MonkeyPatch.context() as monkeypatch, time_machine.travel(NOW, tick=False) as traveller, mock_aws():
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        aws.create_table_from_template()
        queues = aws.create_queues()
        monkeypatch.setenv("SEND_QUEUE_URL", queues.send_url)
        monkeypatch.setenv("SEND_DEAD_LETTER_QUEUE_URL", queues.dead_letter_url)
        wiring.reset()
        world = World(queues, traveller)
        assert world.api("PUT", "/firm", {"name": "Bench firm"}, firm=FIRM_ID).status == 200
        say(f"writing {count:,} items of {accounts} accounts (not measured) ...")
        with ItemRecord.batch_write() as batch:
            for item in items(count, accounts, random.Random(20261207)):
                batch.save(item_to_record(item, version=1))

        client = ItemRecord._get_connection().connection.client
        requests: list[dict[str, Any]] = []

        def note(params: dict[str, Any], model: Any, **_: Any) -> None:
            requests.append({"operation": model.name, "index": params.get("IndexName"), "read": 0})

        def returned(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            if requests and model.name in ("Query", "Scan"):
                requests[-1]["read"] = int(parsed.get("ScannedCount", parsed.get("Count", 0)))
            elif requests and model.name == "BatchGetItem":
                requests[-1]["read"] = sum(len(found) for found in parsed.get("Responses", {}).values())

        client.meta.events.register("before-parameter-build.dynamodb", note, unique_id="bench-worklist-params")
        client.meta.events.register("after-call.dynamodb", returned, unique_id="bench-worklist-read")
        for name, query in LISTINGS.items():
            requests.clear()
            listed = pages = 0
            token = None
            while True:
                page_query = {**query, "limit": str(limit), **({"next_token": token} if token else {})}
                reply = world.api("GET", "/action-items", query=page_query, firm=FIRM_ID)
                assert reply.status == 200, reply.body
                listed += len(reply.body["items"])
                pages += 1
                token = reply.body["next_token"]
                if token is None:
                    break
            read = sum(r["read"] for r in requests)
            operations = Counter(f"{r['operation']} {r['index'] or 'table'}" for r in requests)
            figures[name] = {
                "query": query,
                "pages": pages,
                "listed": listed,
                "entries_read": read,
                "read_per_listed": round(read / listed, 4) if listed else None,
                "requests": dict(operations),
                "requests_per_page": round(len(requests) / pages, 2),
            }
        client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="bench-worklist-params")
        client.meta.events.unregister("after-call.dynamodb", unique_id="bench-worklist-read")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worklist", description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5_000, help="the firm's items")
    parser.add_argument("--accounts", type=int, default=100, help="the accounts they belong to")
    parser.add_argument("--limit", type=int, default=50, help="page size")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    figures = run(args.items, args.accounts, args.limit)
    say("")
    say(f"{'listing':<22}{'pages':>7}{'listed':>8}{'read':>8}{'read/listed':>13}  requests")
    passed = True
    for name, row in figures.items():
        ratio = row["read_per_listed"]
        ok = set(row["requests"]) <= INDEXES and (
            name in FILTERED or (ratio is not None and ratio <= TARGET_READ_PER_LISTED)
        )
        passed &= ok
        requests = ", ".join(f"{operation} {n}" for operation, n in row["requests"].items())
        say(f"{name:<22}{row['pages']:>7}{row['listed']:>8}{row['entries_read']:>8}{ratio:>13.4f}  {requests}")
    say(
        f"target: <= {TARGET_READ_PER_LISTED} entries read per listed item (but {', '.join(sorted(FILTERED))}), "
        f"Query on the worklist and escalated indexes only: "
        f"{'PASS' if passed else 'FAIL'}"
    )
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {"items": args.items, "accounts": args.accounts, "limit": args.limit, "now": NOW.isoformat()},
        "target_read_per_listed": TARGET_READ_PER_LISTED,
        "passed": passed,
        "listings": figures,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    say(f"wrote {shown}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
