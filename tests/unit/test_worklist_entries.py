"""What the firm's worklist shows of an index entry: its status and when it becomes overdue, from the
sort key, whether the entry was written with today's key or with the one before the escalated index."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from portal_reminders.models.domain import Status
from portal_reminders.repository import keys, worklist

AT = 1_796_688_000  # 2026-12-08T00:00:00Z


def an_entry(work_sk: str) -> SimpleNamespace:
    return SimpleNamespace(
        work_sk=work_sk, item_id="itm_1", account_id="acc_1", kind="invoice", title="Invoice", due_date=None,
        escalated_at=None,
    )  # fmt: skip


@pytest.mark.parametrize("work_sk", [keys.worklist_sk("pending", AT, "itm_1"), f"pending#1#{AT:010d}#itm_1"])
def test_an_entry_reads_its_status_and_overdue_instant_from_either_key(work_sk: str) -> None:
    shown = worklist.entry(an_entry(work_sk))
    assert (shown.status, shown.overdue_from) == (Status.PENDING, datetime(2026, 12, 8, tzinfo=UTC))


def test_an_entry_without_a_due_date_is_never_overdue() -> None:
    shown = worklist.entry(an_entry(keys.worklist_sk("completed", keys.NEVER_OVERDUE, "itm_1")))
    assert (shown.status, shown.overdue_from) == (Status.COMPLETED, None)
