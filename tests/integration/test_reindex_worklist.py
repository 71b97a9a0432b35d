"""The one-off re-index of a stack deployed before the escalated index (devtools/reindex_worklist.py):
items whose worklist keys are missing (written before the worklist index) or of the earlier form
(status#flag#at#id, no escalated_pk) get today's keys and list in their place; nothing else of them
changes; an item written meanwhile is left to its own write; a second run finds nothing to do."""

from __future__ import annotations

from typing import Any

import pytest

from devtools.reindex_worklist import reindex
from portal_reminders.repository import keys, mapping
from portal_reminders.repository.records import ItemRecord
from tests.integration.test_worklist import an_account, an_item, at, listed
from tests.support.world import FIRM, World


def record_of(item_id: str) -> ItemRecord:
    return ItemRecord.get(keys.item_pk(FIRM, item_id), keys.ITEM_SK, consistent_read=True)


def as_before_the_escalated_index(item_id: str) -> None:
    """The keys an earlier version wrote: the escalated flag (0 escalated, 1 not) after the status."""
    record = record_of(item_id)
    status, rest = record.work_sk.split("#", 1)
    flag = "0" if record.escalated_pk else "1"
    record.update(actions=[ItemRecord.work_sk.set(f"{status}#{flag}#{rest}"), ItemRecord.escalated_pk.remove()])


def as_before_the_worklist(item_id: str) -> None:
    record = record_of(item_id)
    record.update(actions=[ItemRecord.work_pk.remove(), ItemRecord.work_sk.remove(), ItemRecord.escalated_pk.remove()])


@pytest.fixture
def dues(world: World) -> list[str]:
    """Four overdue items, the first escalated, as the service writes them today."""
    account = an_account(world, "Souza")
    quick = {"enabled": True, "days_between": 1, "max_reminders": 1}
    dues = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"]
    for number, due in enumerate(dues):
        an_item(world, account, due, due, reminders={**quick, "escalate_after_days": 1} if number == 0 else quick)
    for day in ("2026-11-28", "2026-11-29"):
        world.scan(at(f"{day}T09:00:00+00:00"))
        world.drain()
    assert listed(world, status="pending", overdue="true") == dues
    assert listed(world, escalated="true") == dues[:1]
    return dues


def ids_by_title(world: World) -> dict[str, str]:
    return {entry["title"]: entry["id"] for entry in world.api("GET", "/action-items").body["items"]}


def test_items_with_earlier_or_missing_keys_list_in_their_place_after_the_reindex(
    world: World, dues: list[str]
) -> None:
    # Given the escalated item and another with the earlier keys, and one with none
    ids = ids_by_title(world)
    as_before_the_escalated_index(ids[dues[0]])
    as_before_the_escalated_index(ids[dues[2]])
    as_before_the_worklist(ids[dues[3]])
    before = {title: record_of(item_id).attribute_values for title, item_id in ids.items()}
    assert listed(world, status="pending", overdue="true") != dues
    assert listed(world, escalated="true") == []

    # When an operator looks first, then re-indexes
    looked = reindex(dry_run=True, say=lambda _: None)
    assert [record_of(item_id).attribute_values for item_id in ids.values()] == list(before.values())
    done = reindex(say=lambda _: None)

    # Then the three were rewritten, list in their place, and nothing else of them changed
    assert (looked.items, looked.rewritten) == (4, 3)
    assert (done.items, done.rewritten, done.changed_meanwhile) == (4, 3, 0)
    assert listed(world, status="pending", overdue="true") == dues
    assert listed(world, escalated="true") == dues[:1]
    worklist_keys = {"work_pk", "work_sk", "escalated_pk"}
    for title, item_id in ids.items():
        after = record_of(item_id).attribute_values
        assert {k: v for k, v in after.items() if k not in worklist_keys} == {
            k: v for k, v in before[title].items() if k not in worklist_keys
        }
    # and a second run finds nothing to do
    again = reindex(say=lambda _: None)
    assert (again.items, again.rewritten) == (4, 0)


def test_an_item_written_between_the_read_and_the_rewrite_is_left_to_its_own_write(
    world: World, dues: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an item with the earlier keys, which the service writes again while the re-index reads it
    item_id = ids_by_title(world)[dues[1]]
    as_before_the_escalated_index(item_id)
    read = mapping.item_from_record

    def written_meanwhile(record: ItemRecord) -> Any:
        if record.item_id == item_id:
            record_of(item_id).update(actions=[ItemRecord.version.add(1)])
        return read(record)

    monkeypatch.setattr(mapping, "item_from_record", written_meanwhile)

    # When the re-index runs
    done = reindex(say=lambda _: None)

    # Then it did not write over that write (here, one that left the keys as they were): it counted
    # it and went on
    assert (done.rewritten, done.changed_meanwhile) == (0, 1)
    assert record_of(item_id).work_sk.count("#") == 3
