"""Benchmark: DynamoDB write units per reminder, with the table's indexes as template.yaml projects
them now ("after") and as they were projected before (every index copying ALL of an item that
the account and task indexes hold: "before"), from one run of the real functions under moto.

    .venv/bin/python -m bench.write_units [--accounts 10] [--items 3]

A firm with `accounts` client accounts (2 notify contacts each) sends `items` organizers to each,
with two automatic reminders 3 days apart; the schedule and the send queue then send both, a firm
user reads each account's items and audit and the client its task list (a page each), and the
clients complete the items. Every write the functions make is metered with the item as it was
before and after it (read from moto's table), and priced the way DynamoDB prices on-demand writes:

  * the table: ceil(larger of the item before and after / 1 KB) write units; twice that in a
    transaction; a conditional write that fails still pays for the item it read;
  * each global secondary index, per its projection: an item entering it pays ceil(entry / 1 KB),
    leaving it pays for the old entry, a change of its key pays both (delete + put), a change of a
    projected attribute pays for the new entry, and any other change pays nothing. An entry is the
    table's key, the index's key and the projected attributes (ALL: the whole item).

Item sizes follow DynamoDB's rules: attribute names and UTF-8 strings byte for byte, numbers
1 byte per 2 significant digits + 1, lists and maps 3 bytes + 1 byte per element. Index writes in
a transaction are priced as standard writes (DynamoDB doubles the table's). The list pages' reads
are priced per layout: a Query 0.5 unit a 4 KB of the entries it returns, and for a keys-only index
1 unit a 4 KB of each record its reader then gets (consistently). Not a test: the figures are
printed and written to bench/write_units.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import threading
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench import ROOT

RESULTS = Path(__file__).resolve().parent / "write_units.json"
KB = 1024
DAY = timedelta(days=1)
START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

# The projections before this change (main at 64c80bf): what "before" prices.
BEFORE = {
    "account-index": ("ALL", ()),
    "task-index": ("ALL", ()),
    "due-index": (
        "INCLUDE",
        (
            "firm_id",
            "item_id",
            "account_id",
            "notified",
            "reminders_sent",
            "claim_number",
            "claim_attempts",
            "give_up_by",
        ),
    ),
    "approval-index": ("INCLUDE", ("item_id", "account_id")),
    "pending-index": ("INCLUDE", ("item_id", "account_id", "send_window")),
}


def say(message: str) -> None:
    print(message, flush=True)


# sizes ------------------------------------------------------------------------------------------


def value_size(typed: dict[str, Any]) -> int:
    """Bytes DynamoDB counts for one attribute value (typed JSON, as the low-level API carries it)."""
    [(kind, value)] = typed.items()
    if kind == "S":
        return len(value.encode())
    if kind == "N":
        digits = Decimal(value).normalize().as_tuple().digits
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(value)
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind in {"SS", "NS", "BS"}:
        return sum(value_size({kind[0]: v}) for v in value)
    if kind == "L":
        return 3 + sum(1 + value_size(v) for v in value)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + value_size(v) for k, v in value.items())
    raise ValueError(f"unknown DynamoDB type {kind}")


def item_size(attributes: dict[str, Any] | None) -> int:
    if not attributes:
        return 0
    return sum(len(name.encode()) + value_size(value) for name, value in attributes.items())


def units(size: int) -> int:
    return math.ceil(size / KB) if size else 0


# layouts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Index:
    name: str
    keys: tuple[str, ...]  # hash (and range) key attribute names
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    attributes: tuple[str, ...] = ()

    def entry(self, item: dict[str, Any] | None, table_keys: tuple[str, ...]) -> dict[str, Any] | None:
        """The item's entry in this index, or None when it is not in it (a key attribute missing)."""
        if item is None or any(key not in item for key in self.keys):
            return None
        if self.projection == "ALL":
            return item
        kept = {*table_keys, *self.keys, *(self.attributes if self.projection == "INCLUDE" else ())}
        return {name: value for name, value in item.items() if name in kept}

    def write_units(
        self, before: dict[str, Any] | None, after: dict[str, Any] | None, table_keys: tuple[str, ...]
    ) -> int:
        old, new = self.entry(before, table_keys), self.entry(after, table_keys)
        if old is None and new is None:
            return 0
        if old is None:
            return units(item_size(new))
        if new is None:
            return units(item_size(old))
        if any(old.get(key) != new.get(key) for key in self.keys):
            return units(item_size(old)) + units(item_size(new))  # delete + put
        return 0 if old == new else units(item_size(new))


@dataclass(frozen=True)
class Layout:
    name: str
    table_keys: tuple[str, ...]
    indexes: tuple[Index, ...]

    @classmethod
    def of(
        cls, name: str, table: dict[str, Any], projections: dict[str, tuple[str, tuple[str, ...]]] | None = None
    ) -> Layout:
        """The table's key schema with its own projections, or with `projections` instead."""
        indexes = []
        for index in table["GlobalSecondaryIndexes"]:
            keys = tuple(k["AttributeName"] for k in index["KeySchema"])
            projection = index["Projection"]
            kind, attributes = projection["ProjectionType"], tuple(projection.get("NonKeyAttributes", ()))
            if projections is not None:
                if index["IndexName"] not in projections:
                    continue  # an index added since (the worklist's): the layout before had none
                kind, attributes = projections[index["IndexName"]]
            indexes.append(Index(index["IndexName"], keys, kind, attributes))
        return cls(name, tuple(k["AttributeName"] for k in table["KeySchema"]), tuple(indexes))


# the meter --------------------------------------------------------------------------------------


@dataclass
class Write:
    phase: str
    operation: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    transactional: bool
    failed: bool


@dataclass
class WriteMeter:
    """Every table write the functions make, with the item before and after it."""

    read_item: Any  # (pk, sk) -> typed attributes or None, straight from moto's table
    table_keys: tuple[str, ...]
    phase: str = "setup"
    writes: list[Write] = field(default_factory=list)
    # the index Queries of the list pages: (index, each record it returned, whole, as the table had it)
    queries: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    _inside: threading.local = field(default_factory=threading.local)

    def keys_of(self, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
        def key(attributes: dict[str, Any]) -> tuple[str, str]:
            pk, sk = self.table_keys
            return attributes[pk]["S"], attributes[sk]["S"]

        if operation == "PutItem":
            return [key(params["Item"])]
        if operation in {"UpdateItem", "DeleteItem"}:
            return [key(params["Key"])]
        if operation == "TransactWriteItems":
            found = []
            for entry in params["TransactItems"]:
                [(kind, request)] = entry.items()
                if kind != "ConditionCheck":
                    found.append(key(request["Item"] if kind == "Put" else request["Key"]))
            return found
        if operation == "BatchWriteItem":
            return [
                key(request["PutRequest"]["Item"] if "PutRequest" in request else request["DeleteRequest"]["Key"])
                for requests in params["RequestItems"].values()
                for request in requests
            ]
        return []

    @contextmanager
    def metering(self) -> Iterator[None]:
        from botocore.client import BaseClient  # noqa: PLC0415
        from botocore.exceptions import ClientError  # noqa: PLC0415

        original = BaseClient._make_api_call
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb" or getattr(meter._inside, "on", False):
                return original(client, operation, params)
            meter.requests[(meter.phase, operation)] += 1
            touched = meter.keys_of(operation, params)
            before = {k: meter.read_item(*k) for k in touched}
            failed = False
            try:
                response = original(client, operation, params)
                if operation == "Query" and meter.phase == "lists" and "IndexName" in params:
                    pk, sk = meter.table_keys
                    found = [meter.read_item(i[pk]["S"], i[sk]["S"]) for i in response.get("Items", [])]
                    meter.queries.append((params["IndexName"], [record for record in found if record]))
                return response
            except ClientError:
                failed = True
                raise
            finally:
                for k in touched:
                    after = before[k] if failed else meter.read_item(*k)
                    meter.writes.append(
                        Write(meter.phase, operation, before[k], after, operation == "TransactWriteItems", failed)
                    )

        BaseClient._make_api_call = metered  # type: ignore[method-assign]
        try:
            yield
        finally:
            BaseClient._make_api_call = original  # type: ignore[method-assign]

    def by_record(self, phase: str) -> dict[str, dict[str, float]]:
        """Per kind of record written in a phase (its sort key's kind, or its partition's for the
        stack's records): writes, the table's write units, and the largest item size in bytes."""
        found: dict[str, dict[str, float]] = {}
        for write in (w for w in self.writes if w.phase == phase):
            item = write.after or write.before or {}
            pk, sk = item.get("pk", {}).get("S", ""), item.get("sk", {}).get("S", "")
            kind = pk.split("#")[0] if not pk.startswith("FIRM#") else sk.split("#")[0]
            row = found.setdefault(kind, {"writes": 0, "table_units": 0, "largest_bytes": 0})
            size = max(item_size(write.before), item_size(write.after))
            row["writes"] += 1
            row["table_units"] += max(1, units(size)) * (2 if write.transactional else 1)
            row["largest_bytes"] = max(row["largest_bytes"], size)
        return found

    def read_units(self, layout: Layout) -> float:
        """Read units of the list pages' index Queries with this layout: DynamoDB charges 0.5 a 4 KB
        (eventually consistent) of what the Query returns, the entries as the index copies them; a
        reader of a keys-only index then gets each record consistently (1 a 4 KB each)."""
        indexes = {index.name: index for index in layout.indexes}
        total = 0.0
        for name, records in self.queries:
            index = indexes[name]
            entries = [index.entry(record, layout.table_keys) for record in records]
            total += 0.5 * math.ceil(sum(item_size(e) for e in entries) / (4 * KB)) if entries else 0.5
            if index.projection == "KEYS_ONLY":
                total += sum(math.ceil(item_size(r) / (4 * KB)) for r in records)
        return total

    def write_units(self, layout: Layout, phase: str) -> dict[str, int]:
        """Write units of a phase: the table's and each index's."""
        found: Counter[str] = Counter()
        for write in (w for w in self.writes if w.phase == phase):
            size = max(item_size(write.before), item_size(write.after))
            found["table"] += max(1, units(size)) * (2 if write.transactional else 1)
            if write.failed:
                continue
            for index in layout.indexes:
                found[index.name] += index.write_units(write.before, write.after, layout.table_keys)
        return dict(found)


def moto_reader(table_name: str, region: str, account: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415
    from moto.dynamodb.models.dynamo_type import DynamoType  # noqa: PLC0415

    def read(pk: str, sk: str) -> dict[str, Any] | None:
        table = dynamodb_backends[account][region].get_table(table_name)
        item = table.get_item(DynamoType({"S": pk}), DynamoType({"S": sk}))
        return None if item is None else json.loads(json.dumps(item.to_json()["Attributes"]))

    return read


# the run ----------------------------------------------------------------------------------------


REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 2}
CONTACTS = [
    {"name": "Ana Souza", "email": "ana.{n}@client.example.com", "notify": True},
    {"name": "Bruno Lima", "email": "bruno.{n}@client.example.com", "notify": True},
    {"name": "Carla Dias", "email": "carla.{n}@client.example.com", "notify": False},
]


@dataclass
class Figures:
    items: int
    reminders: int
    emails: int
    requests: dict[str, dict[str, int]]
    units: dict[str, dict[str, dict[str, int]]]  # layout -> phase -> table/index -> units
    records: dict[str, dict[str, dict[str, float]]]  # phase -> record kind -> figures
    list_pages: int
    list_entries: int
    read_units: dict[str, float]  # layout -> read units of the list pages


# Powertools reads these when the handlers' logger and metrics are made (at import): set first.
POWERTOOLS = {
    "POWERTOOLS_SERVICE_NAME": "client-reminders",
    "POWERTOOLS_METRICS_NAMESPACE": "ClientRemindersBench",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "ERROR",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


def run(accounts: int, items: int) -> Figures:
    os.environ.update(POWERTOOLS)
    import boto3  # noqa: PLC0415
    import pytest  # noqa: PLC0415
    import time_machine  # noqa: PLC0415
    from moto import mock_aws  # noqa: PLC0415

    from devtools import moto_fidelity  # noqa: PLC0415
    from devtools.sam_template import load_template  # noqa: PLC0415
    from portal_reminders import clock, wiring  # noqa: PLC0415
    from tests.support import aws  # noqa: PLC0415
    from tests.support.world import World  # noqa: PLC0415

    moto_fidelity.apply()
    table = load_template()["Resources"]["RemindersTable"]["Properties"]
    layouts = [Layout.of("before", table, BEFORE), Layout.of("after", table)]
    environment = aws.FUNCTION_ENVIRONMENT
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        time_machine.travel(START, tick=False) as traveller,
        mock_aws(),
    ):
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(clock, "sleep", lambda seconds: traveller.shift(max(seconds, 0)))
        aws.create_table_from_template()
        queues = aws.create_queues()
        aws.verify_sender()
        aws.create_configuration_set()
        aws.create_bus()
        monkeypatch.setenv("SEND_QUEUE_URL", queues.send_url)
        monkeypatch.setenv("SEND_DEAD_LETTER_QUEUE_URL", queues.dead_letter_url)
        wiring.reset()
        world = World(queues, traveller)
        meter = WriteMeter(moto_reader(aws.TABLE_NAME, aws.REGION, "123456789012"), layouts[0].table_keys)
        created = []
        with meter.metering():
            world.api("PUT", "/firm", {"name": "Silva Contabilidade"})
            meter.phase = "notify"
            for n in range(accounts):
                contacts = [{**c, "email": c["email"].format(n=n)} for c in CONTACTS]
                account = world.create_account(contacts=contacts)
                for m in range(items):
                    created.append(world.send_item(account["id"], title=f"2026 Tax Organizer {m}", reminders=REMINDERS))
            for number in (1, 2):
                meter.phase = "remind"
                world.scan(START + number * REMINDERS["days_between"] * DAY + timedelta(minutes=1))
                world.drain(max_batches=10_000)
            # what a firm user and the client read: each account's items, audit and task list, a page each
            meter.phase = "lists"
            for account_id in {item["account_id"] for item in created}:
                for path in ("action-items", "audit", "tasks"):
                    assert world.api("GET", f"/accounts/{account_id}/{path}").status == 200
            list_pages = len(meter.queries)
            meter.phase = "complete"
            for item in created:
                assert world.api("POST", f"/action-items/{item['id']}/complete").status == 200
        reminders = sum(world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] for item in created)
        emails = len(world.mail)
        del boto3
    phases = ("notify", "remind", "complete")
    return Figures(
        items=len(created),
        reminders=reminders,
        emails=emails,
        requests={phase: {op: n for (p, op), n in sorted(meter.requests.items()) if p == phase} for phase in phases},
        units={layout.name: {phase: meter.write_units(layout, phase) for phase in phases} for layout in layouts},
        records={phase: meter.by_record(phase) for phase in phases},
        list_pages=list_pages,
        list_entries=sum(len(found) for _, found in meter.queries),
        read_units={layout.name: meter.read_units(layout) for layout in layouts},
    )


def _width(name: str) -> int:
    """A column as wide as its index's name and a space, 15 at least."""
    return max(15, len(name) + 1)


def report(figures: Figures) -> dict[str, Any]:
    per = {"notify": figures.items, "remind": figures.reminders, "complete": figures.items}
    labels = {"notify": "per item sent", "remind": "per reminder", "complete": "per item completed"}
    rows: dict[str, Any] = defaultdict(dict)
    for layout, phases in figures.units.items():
        for phase, found in phases.items():
            rows[phase][layout] = {name: round(value / per[phase], 2) for name, value in found.items()}
            rows[phase][layout]["total"] = round(sum(found.values()) / per[phase], 2)
    # every index either layout has, the ones added since (the worklist's) after the others
    added = {name for phases in figures.units.values() for found in phases.values() for name in found}
    names = ["table", *BEFORE, *sorted(added - set(BEFORE) - {"table"})]
    say("")
    say(f"{figures.items} items, {figures.reminders} automatic reminders, {figures.emails} emails (moto SES)")
    for phase in ("notify", "remind", "complete"):
        say("")
        say(f"write units {labels[phase]}")
        say(f"  {'':<16}" + "".join(f"{name:>{_width(name)}}" for name in [*names, "total"]))
        for layout in ("before", "after"):
            row = rows[phase][layout]
            say(f"  {layout:<16}" + "".join(f"{row.get(name, 0):>{_width(name)}.2f}" for name in [*names, "total"]))
        requests = figures.requests[phase]
        say(f"  requests: {', '.join(f'{op} {n / per[phase]:.2f}' for op, n in requests.items())} ({labels[phase]})")
        say(
            "  table writes by record: "
            + ", ".join(
                f"{kind} {row['writes'] / per[phase]:.2f} writes, {row['table_units'] / per[phase]:.2f} units"
                f" (<= {row['largest_bytes']:.0f} B)"
                for kind, row in sorted(figures.records[phase].items())
            )
        )
    say("")
    say(f"read units of {figures.list_pages} list pages ({figures.list_entries} entries: items, audit events, tasks)")
    for layout, read in figures.read_units.items():
        say(f"  {layout:<16}{read:>15.2f} ({read / figures.list_pages:.2f} a page)")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "items": figures.items,
        "reminders": figures.reminders,
        "emails": figures.emails,
        "write_units": rows,
        "requests_per_unit": {
            phase: {op: round(n / per[phase], 3) for op, n in requests.items()}
            for phase, requests in figures.requests.items()
        },
        "raw_write_units": figures.units,
        "table_writes_by_record": figures.records,
        "list_pages": figures.list_pages,
        "list_entries": figures.list_entries,
        "list_read_units": figures.read_units,
        "assumptions": __doc__.split("\n\n", 2)[2].strip(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.write_units", description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10, help="client accounts (2 notify contacts each)")
    parser.add_argument("--items", type=int, default=3, help="organizers sent to each account")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the figures (JSON)")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="No application metrics to publish", category=UserWarning)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        os.environ.pop(name, None)
    say(f"sending {args.accounts * args.items} items to {args.accounts} accounts, reminding them twice (moto) ...")
    document = report(run(args.accounts, args.items))
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    say(f"\nwrote {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
