"""The firm's worklist (SPEC R19, GET /action-items): one partition per firm, sorted by
`status#overdue_from#item_id` (keys.worklist_sk), in the worklist index for every item and in the
sparse escalated index for the escalated ones. Every filter is a set of key ranges of that partition,
one per status: a status is a prefix, "overdue now" a bound on the overdue instant. The listing is by
status, then earliest due first, escalated or not; a page reads its own entries and one past it (to
know another follows), by Query, never a Scan. Only `escalated=false` reads past what it lists: the
escalated entries among the others, left out by a filter.
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
    moment = int(now.timestamp())
    found = []
    for status in statuses:
        prefix = f"{status.value}#"
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
    records: list[Any] = []
    for key_range in ranges(wanted, now):
        wanted_more = limit + 1 - len(records)
        if wanted_more <= 0:
            break
        if after is not None and after["work_sk"] >= key_range.high:
            continue  # the token stands past this range
        start = None
        if after is not None and after["work_sk"] >= key_range.low:
            start = {name: {"S": value} for name, value in after.items()}
        records += query(key_range.low, key_range.high, start, wanted_more)
    next_token = None
    if len(records) > limit:
        records = records[:limit]
        next_token = paging.WORKLIST.token_of(records[-1])
    return Page(items=[entry(record) for record in records], next_token=next_token)


def entry(record: Any) -> WorkEntry:
    parts = record.work_sk.split("#")
    # written before the escalated index (status#flag#at#id): listed as it is until its next write
    status, at = parts[0], parts[2] if len(parts) == 4 else parts[1]
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
