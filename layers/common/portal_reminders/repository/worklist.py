"""The firm's worklist (SPEC R19, GET /action-items): one partition of the worklist index per firm,
sorted by `status#escalated#overdue_from#item_id` (keys.worklist_sk). Every filter is a set of
key ranges of that partition: a status is a prefix, "escalated" the next character, "overdue now" a
bound on the overdue instant. The listing is by status, then earliest due first whether escalated
or not: a status's two ranges (escalated and not) are read with Query, each from where the page
token stands, and merged by due instant; the escalated range only up to the last entry read of the
other. A page reads its own entries, one past it (to know another follows) and the escalated ones
past it up to that entry, and never a Scan.
"""

from __future__ import annotations

import heapq
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
    flag: str  # the escalated flag of its keys


def ranges(wanted: WorklistFilter, now: datetime) -> list[list[KeyRange]]:
    """The sort-key ranges a filter reads, by status in the listing's order (statuses sort as Status
    values): the ranges of one status are merged."""
    statuses = [wanted.status] if wanted.status is not None else sorted(Status, key=lambda s: s.value)
    flags = {True: [keys.ESCALATED], False: [keys.NOT_ESCALATED], None: [keys.ESCALATED, keys.NOT_ESCALATED]}
    moment = int(now.timestamp())
    found = []
    for status in statuses:
        group = []
        for flag in flags[wanted.escalated]:
            prefix = f"{status.value}#{flag}#"
            if wanted.overdue is True:
                group.append(KeyRange(f"{prefix}{0:010d}", f"{prefix}{moment:010d}#{_TOP}", flag))
            elif wanted.overdue is False:
                group.append(KeyRange(f"{prefix}{moment + 1:010d}", f"{prefix}{_TOP}", flag))
            else:
                group.append(KeyRange(prefix, f"{prefix}{_TOP}", flag))
        found.append(group)
    return found


def read(
    query: RangeQuery, firm_id: str, wanted: WorklistFilter, now: datetime, limit: int, token: str | None
) -> Page[WorkEntry]:
    partition = keys.worklist_partition(firm_id)
    after = paging.WORKLIST.decode(token, firm_id, partition) if token else None
    records: list[Any] = []
    for group in ranges(wanted, now):
        wanted_more = limit + 1 - len(records)
        if wanted_more <= 0:
            break
        records += _read_group(query, group, after, wanted_more)
    next_token = None
    if len(records) > limit:
        records = records[:limit]
        next_token = paging.WORKLIST.token_of(records[-1])
    return Page(items=[entry(record) for record in records], next_token=next_token)


def _read_group(query: RangeQuery, group: list[KeyRange], after: paging.StartKey | None, most: int) -> list[Any]:
    """The first `most` entries of a status's ranges, earliest due first. With two, the items not
    escalated (most of them) are read first; the escalated range is read only up to the last of
    those, so a page reads about one entry past it, plus the escalated entries it lists."""
    records: list[Any] = []
    bound: str | None = None
    for key_range in sorted(group, key=lambda r: r.flag != keys.NOT_ESCALATED):
        high = key_range.high if bound is None else min(key_range.high, _in_range(bound, key_range.flag))
        start = _resume(key_range, after)
        if high < key_range.low or (start is not None and start["work_sk"]["S"] >= high):
            continue
        found = list(query(key_range.low, high, start, most))
        if len(found) == most:
            bound = found[-1].work_sk  # what sorts past it cannot be on this page
        records = list(heapq.merge(records, found, key=_due_order))[:most]
    return records


def _in_range(work_sk: str, flag: str) -> str:
    """The same position (status, overdue instant, item id) in the range of another escalated flag:
    a key no entry has, as an item is in one range only."""
    status, _, moment, item_id = work_sk.split("#")
    return f"{status}#{flag}#{moment}#{item_id}"


def _resume(key_range: KeyRange, after: paging.StartKey | None) -> dict[str, dict[str, str]] | None:
    """The start key to read this range from for the page after `after` (None: from its start). The
    token's position holds in either range: what sorts after it there is what sorts after the
    token's entry. A range the token stands past gets a start key at or past its top."""
    if after is None:
        return None
    position = _in_range(after["work_sk"], key_range.flag)
    if position < key_range.low:
        return None
    return {name: {"S": value} for name, value in {**after, "work_sk": position}.items()}


def _due_order(record: Any) -> str:
    """Earliest due first (the fixed-width overdue instant), then by item id, escalated or not."""
    return str(record.work_sk.split("#", 2)[2])


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
