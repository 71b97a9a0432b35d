"""Rescheduling (SPEC R16, reminders/clients/rescheduling.py) with in-memory fakes: the pass rewrites only
the pending items whose stored sending window is stale, survives a concurrent writer, and hands
what is left to another message when its invocation runs short of time."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import time

import pytest

from portal_reminders import budget, ids
from portal_reminders.models.domain import ActionItem, Firm, SendingHours, SendingWindow, Status, Weekday
from portal_reminders.models.messages import RescheduleMessage
from portal_reminders.reminders.clients import rescheduling
from portal_reminders.reminders.clients.rescheduling import RescheduleService
from portal_reminders.repository.ports import ClientSnapshot, ClientTimeRepository, Page, PendingEntry
from tests.support.fakes import FakeSendQueue
from tests.unit.test_delivery import ACCOUNT, FIRM, FakeItemRepository, item

WEEKDAYS = SendingHours(
    days=frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI}), start=time(9), end=time(17)
)
LISBON_WEEKDAYS = SendingWindow("Europe/Lisbon", WEEKDAYS)


class FakeClients(ClientTimeRepository):
    """The firm, one account and the item store; the pending index is the store's pending items."""

    def __init__(self, items: FakeItemRepository, firm: Firm) -> None:
        self.items = items
        self.firm = firm
        self.reads = 0

    def load_clients(self, firm_id: str, account_ids: Collection[str], item_ids: Collection[str]) -> ClientSnapshot:
        self.reads += 1
        accounts = {ACCOUNT.id: ACCOUNT} if ACCOUNT.id in account_ids else {}
        return ClientSnapshot(firm=self.firm, accounts=accounts, items=self.items.get_items(firm_id, list(item_ids)))

    def pending_entries(
        self, firm_id: str, account_id: str | None, limit: int, token: str | None
    ) -> Page[PendingEntry]:
        pending = sorted((i for i in self.items.items.values() if i.status is Status.PENDING), key=lambda i: i.id)
        start = int(token or 0)
        page = pending[start : start + limit]
        entries = [PendingEntry(account_id=i.account_id, item_id=i.id, window=i.window, zone=i.zone) for i in page]
        following = start + limit
        return Page(items=entries, next_token=str(following) if following < len(pending) else None)


def a_store(*stored: ActionItem) -> FakeItemRepository:
    repository = FakeItemRepository(ACCOUNT, FIRM)
    for each in stored:
        repository.add(each)
    return repository


def a_pass(repository: FakeItemRepository, firm: Firm) -> tuple[RescheduleService, FakeClients, FakeSendQueue]:
    clients, queue = FakeClients(repository, firm), FakeSendQueue()
    return RescheduleService(clients, repository, queue), clients, queue


@pytest.fixture
def out_of_time() -> Iterator[None]:
    budget.start(lambda: 0)
    yield
    budget.stop()


FIRM_IN_LISBON = replace(FIRM, time_zone="Europe/Lisbon", sending_hours=WEEKDAYS)


def test_only_pending_items_with_a_stale_window_are_rewritten() -> None:
    # Given a stale pending item, one already right, and a completed one
    stale = item(claim=None)
    right = item(id=ids.new_id(ids.ITEM), claim=None, window=LISBON_WEEKDAYS, zone=LISBON_WEEKDAYS.zone)
    done = item(id=ids.new_id(ids.ITEM), claim=None, status=Status.COMPLETED)
    repository = a_store(stale, right, done)
    service, _, _ = a_pass(repository, FIRM_IN_LISBON)

    # When the firm's pass runs
    result = service.run(RescheduleMessage(firm_id=FIRM.id))

    # Then the stale one carries the firm's window; the others were not written
    assert result == "rescheduled"
    assert repository.stored(stale.id).window == LISBON_WEEKDAYS
    assert repository.stored(stale.id).version == 2
    assert repository.stored(right.id).version == 1
    assert repository.stored(done.id).window is None


def test_a_concurrent_writer_is_absorbed_by_reading_again() -> None:
    # Given a stale item that the sender rewrites (with the old window) just as the pass writes it
    stale = item(claim=None)
    repository = a_store(stale)
    service, _, _ = a_pass(repository, FIRM_IN_LISBON)
    original_save = repository.save_item
    interfered = False

    def save_after_another_writer(updated: ActionItem, events: object = ()) -> ActionItem:
        nonlocal interfered
        if not interfered:
            interfered = True
            current = repository.items[updated.id]
            repository.items[updated.id] = replace(current, version=current.version + 1)
        return original_save(updated)

    repository.save_item = save_after_another_writer  # type: ignore[method-assign]

    # When the pass runs
    service.run(RescheduleMessage(firm_id=FIRM.id))

    # Then it read the item again and wrote the window on the newer version
    assert repository.stored(stale.id).window == LISBON_WEEKDAYS
    assert repository.stored(stale.id).version == 3


def test_a_pass_short_of_time_queues_its_continuation(out_of_time: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given more pending items than a page
    monkeypatch.setattr(rescheduling, "PAGE", 2)
    stored = [item(id=ids.new_id(ids.ITEM), claim=None) for _ in range(5)]
    repository = a_store(*stored)
    service, _, queue = a_pass(repository, FIRM_IN_LISBON)

    # When the invocation is about to time out after the first page
    result = service.run(RescheduleMessage(firm_id=FIRM.id))

    # Then that page is done and the rest is another message, starting after it
    assert result == "continued"
    assert sum(i.window == LISBON_WEEKDAYS for i in repository.items.values()) == 2
    (body,) = queue.bodies
    assert json.loads(body) == {"type": "reschedule", "firm_id": FIRM.id, "account_id": None, "after": "2"}

    # And that message finishes the work
    budget.stop()
    service.run(RescheduleMessage.model_validate_json(body))
    assert all(i.window == LISBON_WEEKDAYS for i in repository.items.values())


def test_a_pass_that_cannot_be_queued_is_an_error_for_the_caller() -> None:
    service = RescheduleService(FakeClients(a_store(), FIRM), a_store(), FakeSendQueue(failures=[1]))
    with pytest.raises(rescheduling.ReschedulingNotQueued):
        service.request(FIRM.id, ACCOUNT.id)
