"""The firm's worklist (SPEC R19, GET /action-items): one partition of the worklist index per firm,
sorted by `status#escalated#overdue_from#item_id` (keys.worklist_sk). Every filter is a set of
key ranges of that partition, in the listing's order: a status is a prefix, "escalated" the next
character ("0" first), "overdue now" a bound on the overdue instant. A page reads the ranges in turn
with Query, each from where the page token stands, and stops one entry past the page: it reads at
most `limit + 1` index entries for `limit` listed items, and never a Scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from portal_reminders.models.domain import Kind, Status
from portal_reminders.repository import keys, paging
from portal_reminders.repository.ports import Page, WorkEntry, WorklistFilter

# Past every character an item id or a time holds: the top of a range of sort keys.
_TOP = "~"

# Query(lo, hi, start key, limit) -> the index entries lo <= work_sk <= hi after start, at most limit.
RangeQuery = Callable[[str, str, dict[str, dict[str, str]] | None, int], Iterator[Any]]


@dataclass(frozen=True, slots=True)
class KeyRange:
    low: str
    high: str


def ranges(wanted: WorklistFilter, now: datetime) -> list[KeyRange]:
    """The sort-key ranges a filter reads, in the listing's order (statuses sort as Status values)."""
    statuses = [wanted.status] if wanted.status is not None else sorted(Status, key=lambda s: s.value)
    flags = {True: [keys.ESCALATED], False: [keys.NOT_ESCALATED], None: [keys.ESCALATED, keys.NOT_ESCALATED]}
    moment = int(now.timestamp())
    found = []
    for status in statuses:
        for flag in flags[wanted.escalated]:
            prefix = f"{status.value}#{flag}#"
            if wanted.overdue is True:
                found.append(KeyRange(f"{prefix}{0:010d}", f"{prefix}{moment:010d}#{_TOP}"))
            elif wanted.overdue is False:
                found.append(KeyRange(f"{prefix}{moment + 1:010d}", f"{prefix}{_TOP}"))
            else:
                found.append(KeyRange(prefix, f"{prefix}{_TOP}"))
    return found


def read(
    query: RangeQuery, firm_id: str, wanted: WorklistFilter, now: datetime, limit: int, token: str | None
) -> Page[WorkEntry]:
    partition = keys.worklist_partition(firm_id)
    after = paging.WORKLIST.decode(token, firm_id, partition) if token else None
    position = after["work_sk"] if after is not None else None
    records: list[Any] = []
    for key_range in ranges(wanted, now):
        wanted_more = limit + 1 - len(records)
        if wanted_more <= 0:
            break
        if position is not None and position >= key_range.high:
            continue  # the token stands past this range: it was read on an earlier page
        start = None
        if after is not None and position is not None and position >= key_range.low:
            start = {name: {"S": value} for name, value in after.items()}
        records += list(query(key_range.low, key_range.high, start, wanted_more))
    next_token = None
    if len(records) > limit:
        records = records[:limit]
        next_token = paging.WORKLIST.token_of(records[-1])
    return Page(items=[entry(record) for record in records], next_token=next_token)


def entry(record: Any) -> WorkEntry:
    status, _, at, _ = record.work_sk.split("#")
    overdue_from = int(at)
    return WorkEntry(
        item_id=record.item_id,
        account_id=record.account_id,
        kind=Kind(record.kind),
        title=record.title,
        status=Status(status),
        due_date=date.fromisoformat(record.due_date) if record.due_date else None,
        overdue_from=None if overdue_from == keys.NEVER_OVERDUE else datetime.fromtimestamp(overdue_from, UTC),
        escalated_at=record.escalated_at,
    )
