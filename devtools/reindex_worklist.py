"""Write the firm's worklist keys of every item whose keys are missing or of an earlier form
(docs/aws-readiness.md, "Deploying this on a stack made before it").

Items written before the worklist index have no worklist keys, and items written before the
escalated index hold the key with its escalated flag (status#flag#at#id) and no escalated_pk: both
list out of place, or not at all, until their next write. This reads the table's item records once
(a Scan, a page at a time) and, for each item whose keys differ from what the api writes today,
writes those three attributes and nothing else, on condition that the item did not change
meanwhile (a write that came first wrote the keys itself). No domain event follows: the publisher
reads audit and job records only. Running it again finds nothing to do.

    python -m devtools.reindex_worklist --stack client-reminders [--region eu-west-1] [--dry-run]

with the AWS credentials of the account, after the deploy that brought `escalated-index`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from pynamodb.exceptions import UpdateError

from devtools.local.runtime import add_layers_to_path

PROGRESS_EVERY = 1_000


@dataclass
class ReindexReport:
    items: int = 0  # item records read
    rewritten: int = 0  # keys written (or, in a dry run, that would be)
    changed_meanwhile: int = 0  # the item was written between the read and ours: it has its keys


def _worklist_keys(record: Any) -> tuple[str | None, str | None, str | None]:
    return record.work_pk, record.work_sk, record.escalated_pk


def reindex(dry_run: bool = False, say: Callable[[str], None] = print) -> ReindexReport:
    """Every item of the table the records are bound to (records.bind_records)."""
    # the layer, as the functions load it (on the path from the command line; the tests have it)
    from portal_reminders.repository import keys  # noqa: PLC0415
    from portal_reminders.repository.mapping import item_from_record, item_to_record  # noqa: PLC0415
    from portal_reminders.repository.records import ItemRecord  # noqa: PLC0415

    report = ReindexReport()
    for record in ItemRecord.scan(filter_condition=ItemRecord.sk == keys.ITEM_SK):
        report.items += 1
        if report.items % PROGRESS_EVERY == 0:
            say(f"{report.items} items read, {report.rewritten} rewritten")
        work_pk, work_sk, escalated_pk = _worklist_keys(item_to_record(item_from_record(record), record.version))
        if _worklist_keys(record) == (work_pk, work_sk, escalated_pk):
            continue
        if dry_run:
            report.rewritten += 1
            continue
        escalated = ItemRecord.escalated_pk.set(escalated_pk) if escalated_pk else ItemRecord.escalated_pk.remove()
        try:
            record.update(
                actions=[ItemRecord.work_pk.set(work_pk), ItemRecord.work_sk.set(work_sk), escalated],
                condition=ItemRecord.version == record.version,
            )
        except UpdateError as error:
            if error.cause_response_code != "ConditionalCheckFailedException":
                raise
            report.changed_meanwhile += 1
            continue
        report.rewritten += 1
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stack", required=True, help="the stack's name, e.g. client-reminders")
    parser.add_argument("--region", help="the stack's region (default: your AWS configuration's)")
    parser.add_argument("--dry-run", action="store_true", help="count the items to rewrite, write nothing")
    args = parser.parse_args(argv)
    session = boto3.session.Session(region_name=args.region)
    stack = session.client("cloudformation").describe_stacks(StackName=args.stack)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    add_layers_to_path()
    from portal_reminders.repository.records import bind_records  # noqa: PLC0415 - needs the layer on the path

    bind_records(outputs["TableName"], session.region_name or "us-east-1")
    report = reindex(dry_run=args.dry_run)
    print(
        f"{report.items} items read: {report.rewritten} "
        f"{'to rewrite' if args.dry_run else 'rewritten'}, {report.changed_meanwhile} written meanwhile by the "
        f"service (their keys are current)" + (" [dry run]" if args.dry_run else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
