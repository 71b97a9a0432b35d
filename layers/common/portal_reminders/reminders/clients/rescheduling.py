"""Keeping the due index right when the client's time changes (SPEC R16).

The due index holds when each automatic reminder may go: its due time (for a due-date schedule,
09:00 in the client's time zone on each step's day) moved to the next start of the client's
sending window. The index is derived from the item alone (repository/mapping.py), so each item
keeps the zone and the window it last saw (`item.zone`, `item.window`). Whoever writes an item with the firm and
the account in hand keeps that copy current: the api when it creates an item, the sender on every
round, and this pass. When the firm changes its sending hours or time zone, or an account its
time zone, the api saves the change and queues one `RescheduleMessage`; the send function walks the
firm's (or the account's) pending items on the pending index, a page at a time, and rewrites
those whose copy is stale, so the index moves to the right time, earlier or later, within seconds.

Why this is safe against concurrent writers: every rewrite is conditional on the item's version,
and the window it writes is worked out from the firm and account read in the same consistent
request as the item. The api saves a change before it queues its pass, so a pass (or a sender)
that reads an item after that save also reads the change; whichever writer is last to succeed
read the newest firm and account. The sender's own re-check (policy.skip_reason_for_scheduled,
with the window as it is now) is the backstop: a reminder never goes out in a closed window even
if the index was early.
"""

from __future__ import annotations

from collections.abc import Sequence

from portal_reminders import budget
from portal_reminders.models.domain import ActionItem, ClientTime, Status
from portal_reminders.models.errors import ConcurrentModification
from portal_reminders.models.messages import RescheduleMessage, to_body
from portal_reminders.observability import logger
from portal_reminders.ports import SendQueue
from portal_reminders.reminders.scheduling import client_clock
from portal_reminders.reminders.state import transitions
from portal_reminders.repository.ports import ClientSnapshot, ClientTimeRepository, ItemRepository, PendingEntry

# Pending items read from the index per page, and stale items read (with the firm and their
# accounts) per BatchGetItem, whose limit is 100 keys.
PAGE = 100
READ_CHUNK = 45
WRITE_ATTEMPTS = 5


class ReschedulingNotQueued(Exception):
    """The pass could not be queued: the change is saved; asking for it again queues the pass."""


class RescheduleService:
    def __init__(self, clients: ClientTimeRepository, items: ItemRepository, queue: SendQueue) -> None:
        self._clients = clients
        self._items = items
        self._queue = queue

    def request(self, firm_id: str, account_id: str | None = None) -> None:
        """Queue a pass over the firm's (or the account's) pending items. The api calls it after
        every change it saves, changed or not: a retry of a request whose pass was not queued
        queues it then."""
        message = RescheduleMessage(firm_id=firm_id, account_id=account_id)
        if self._queue.enqueue([to_body(message)]):
            raise ReschedulingNotQueued(f"rescheduling of {firm_id} {account_id or ''} not queued")

    def run(self, message: RescheduleMessage) -> str:
        """One pass, from `message.after`; it queues its own continuation when time runs short."""
        token, moved, seen = message.after, 0, 0
        while True:
            page = self._clients.pending_entries(message.firm_id, message.account_id, PAGE, token)
            seen += len(page.items)
            moved += self._bring_up_to_date(message.firm_id, page.items)
            token = page.next_token
            if token is None:
                break
            if budget.exhausted():
                self._continue(message.model_copy(update={"after": token}), moved)
                return "continued"
        logger.info(
            "pending items rescheduled",
            extra={"firm_id": message.firm_id, "account_id": message.account_id, "seen": seen, "moved": moved},
        )
        return "rescheduled"

    def _continue(self, message: RescheduleMessage, moved: int) -> None:
        if self._queue.enqueue([to_body(message)]):
            # raising has the message retried from where it started: slower, never wrong
            raise ReschedulingNotQueued(f"continuation of the rescheduling of {message.firm_id} not queued")
        logger.info("rescheduling continues in another message", extra={"firm_id": message.firm_id, "moved": moved})

    def _bring_up_to_date(self, firm_id: str, entries: Sequence[PendingEntry]) -> int:
        if not entries:
            return 0
        # A first look at the index's copy of each window (cheap, and possibly a moment old)...
        now_seen = self._clients.load_clients(firm_id, {e.account_id for e in entries}, [])
        stale = [e for e in entries if ClientTime(e.zone, e.window) != _client_of(now_seen, e.account_id)]
        moved = 0
        # ... then the decision on consistent reads of the items with their firm and accounts
        for start in range(0, len(stale), READ_CHUNK):
            chunk = stale[start : start + READ_CHUNK]
            snapshot = self._clients.load_clients(firm_id, {e.account_id for e in chunk}, [e.item_id for e in chunk])
            for item in snapshot.items:
                moved += self._move(item, snapshot)
        return moved

    def _move(self, item: ActionItem, snapshot: ClientSnapshot) -> int:
        """Store the client's time as it is now on the item (the due index follows); 1 if it was stale."""
        for _ in range(WRITE_ATTEMPTS):
            client = _client_of(snapshot, item.account_id)
            updated = transitions.seen_client(item, client)
            if item.status is not Status.PENDING or updated is item:
                return 0
            try:
                self._items.save_item(updated)
            except ConcurrentModification:
                # another writer (the sender, a firm user, another pass) got there first: read again
                snapshot = self._clients.load_clients(item.firm_id, [item.account_id], [item.id])
                if not snapshot.items:
                    return 0
                item = snapshot.items[0]
                continue
            return 1
        raise ConcurrentModification(item.id)


def _client_of(snapshot: ClientSnapshot, account_id: str) -> ClientTime:
    return client_clock.client_time(snapshot.firm, snapshot.accounts.get(account_id))
