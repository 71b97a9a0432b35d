"""Page tokens: the position a page ended at, in its listing's order, as short URL-safe text.

Each listing has a grammar (a regular expression the OpenAPI document publishes for its
`next_token`), and every string in that grammar is a token the listing could have issued: the
sort key of an entry, written with dots. The partition a listing reads (the firm, the account or
the item) comes from the request, never from the token, so a token only ever moves within the
caller's own listing. A token that is well formed but was not issued by this listing (stale, or
from another status filter) is read as the position it names: the page holds what comes after it,
possibly nothing. Anything outside the grammar is InvalidPageToken (400), never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from portal_reminders import ids
from portal_reminders.models.domain import Status
from portal_reminders.models.errors import InvalidPageToken
from portal_reminders.repository import keys

# keys.stamp's "2026-11-30T19:19:52.123456Z" without its separators: 20261130T191952123456Z
STAMP = r"[0-9]{8}T[0-9]{12}Z"
_STATUS = "|".join(status.value for status in Status)


def _id(prefix: str) -> str:
    return ids.pattern(prefix).removeprefix("^").removesuffix("$")


def compact_stamp(stamp: str) -> str:
    return stamp.replace("-", "").replace(":", "").replace(".", "")


def full_stamp(compact: str) -> str:
    s = compact
    return f"{s[0:4]}-{s[4:6]}-{s[6:8]}T{s[9:11]}:{s[11:13]}:{s[13:15]}.{s[15:21]}Z"


StartKey = dict[str, str]
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")


@dataclass(frozen=True)
class Listing:
    """One listing's tokens. `grammar` names its parts; `token_of` writes a record's position;
    `start_key` turns the parts back into the key DynamoDB starts after, given the firm and the
    partition the request reads; `sort` is the key attribute the query's range condition is on."""

    grammar: str
    token_of: Callable[[Any], str]
    start_key: Callable[[dict[str, str], str, str], StartKey]
    sort: str

    @property
    def pattern(self) -> str:
        """The whole token, anchored, as the document's `pattern` (ECMA-262: no named groups);
        empty reads as the first page."""
        return "^(?:" + _NAMED_GROUP.sub("(?:", self.grammar) + ")?$"

    def decode(self, token: str, firm_id: str, partition: str) -> StartKey:
        # compiled on first use (re keeps it), not for every listing at import: a cold start reads one listing at most
        match = re.compile(f"(?:{self.grammar})?").fullmatch(token)
        if match is None or not token:
            raise InvalidPageToken()
        return self.start_key(match.groupdict(), firm_id, partition)


def _split(sort_key: str, prefix: str = "") -> list[str]:
    return sort_key.removeprefix(prefix).split("#")


def _item_token(record: Any) -> str:
    status, stamp, item_id = _split(record.gsi1sk, keys.ITEM_PREFIX)
    return f"{status}.{compact_stamp(stamp)}.{item_id}"


def _task_token(record: Any) -> str:
    stamp, item_id = _split(record.task_sk)
    return f"{compact_stamp(stamp)}.{item_id}"


def _audit_position(sort_key: str) -> str:
    stamp, order, event_id = _split(sort_key, keys.AUDIT_PREFIX)
    return f"{compact_stamp(stamp)}.{order}.{event_id}"


def _audit_sk(parts: dict[str, str]) -> str:
    return f"{keys.AUDIT_PREFIX}{full_stamp(parts['at'])}#{parts['order']}#{parts['event']}"


def _template_token(record: Any) -> str:
    stamp, template_id = _split(record.gsi1sk, keys.TEMPLATE_PREFIX)
    return f"{compact_stamp(stamp)}.{template_id}"


def _pending_token(record: Any) -> str:
    account_id, item_id = _split(record.pending_sk)
    return f"{account_id}.{item_id}"


_AUDIT = rf"(?P<at>{STAMP})\.(?P<order>[0-9]{{10}}\.[0-9]{{2}})\.(?P<event>{_id(ids.EVENT)})"

# An account's items: by status, then time sent, then id.
ITEMS = Listing(
    grammar=rf"(?P<status>{_STATUS})\.(?P<at>{STAMP})\.(?P<item>{_id(ids.ITEM)})",
    token_of=_item_token,
    start_key=lambda p, firm, partition: {
        "pk": keys.item_pk(firm, p["item"]),
        "sk": keys.ITEM_SK,
        "gsi1pk": partition,
        "gsi1sk": f"{keys.ITEM_PREFIX}{p['status']}#{full_stamp(p['at'])}#{p['item']}",
    },
    sort="gsi1sk",
)
# An account's portal tasks: most recently emailed first.
TASKS = Listing(
    grammar=rf"(?P<at>{STAMP})\.(?P<item>{_id(ids.ITEM)})",
    token_of=_task_token,
    start_key=lambda p, firm, partition: {
        "pk": keys.item_pk(firm, p["item"]),
        "sk": keys.ITEM_SK,
        "task_pk": partition,
        "task_sk": f"{full_stamp(p['at'])}#{p['item']}",
    },
    sort="task_sk",
)
# One item's audit events, oldest first (the item is the partition).
ITEM_AUDIT = Listing(
    grammar=_AUDIT,
    token_of=lambda record: _audit_position(record.sk),
    start_key=lambda p, firm, partition: {"pk": partition, "sk": _audit_sk(p)},
    sort="sk",
)
# An account's audit events, oldest first: the position, and the item the event is stored under.
ACCOUNT_AUDIT = Listing(
    grammar=rf"{_AUDIT}\.(?P<item>{_id(ids.ITEM)})",
    token_of=lambda record: f"{_audit_position(record.gsi1sk)}.{record.item_id}",
    start_key=lambda p, firm, partition: {
        "pk": keys.item_pk(firm, p["item"]),
        "sk": _audit_sk(p),
        "gsi1pk": partition,
        "gsi1sk": _audit_sk(p),
    },
    sort="gsi1sk",
)
# A firm's templates, oldest first.
TEMPLATES = Listing(
    grammar=rf"(?P<at>{STAMP})\.(?P<template>{_id(ids.TEMPLATE)})",
    token_of=_template_token,
    start_key=lambda p, firm, partition: {
        "pk": keys.template_pk(firm, p["template"]),
        "sk": keys.TEMPLATE_SK,
        "gsi1pk": partition,
        "gsi1sk": f"{keys.TEMPLATE_PREFIX}{full_stamp(p['at'])}#{p['template']}",
    },
    sort="gsi1sk",
)
# A firm's worklist (GET /action-items): by status, then when the item is overdue (epoch seconds),
# then id: the index's sort key with dots. Its readers read several ranges of the one partition in turn
# (repository/worklist.py), so the token is the sort key itself; the escalated items' index has the
# same sort key, under escalated_pk.
WORKLIST = Listing(
    grammar=rf"(?P<status>{_STATUS})\.(?P<at>[0-9]{{10}})\.(?P<item>{_id(ids.ITEM)})",
    token_of=lambda record: record.work_sk.replace("#", "."),
    start_key=lambda p, firm, partition: {
        "pk": keys.item_pk(firm, p["item"]),
        "sk": keys.ITEM_SK,
        "work_pk": partition,
        "work_sk": f"{p['status']}#{p['at']}#{p['item']}",
    },
    sort="work_sk",
)
# A firm's pending items (the rescheduling pass; not an API listing).
PENDING = Listing(
    grammar=rf"(?P<account>{_id(ids.ACCOUNT)})\.(?P<item>{_id(ids.ITEM)})",
    token_of=_pending_token,
    start_key=lambda p, firm, partition: {
        "pk": keys.item_pk(firm, p["item"]),
        "sk": keys.ITEM_SK,
        "pending_pk": partition,
        "pending_sk": f"{p['account']}#{p['item']}",
    },
    sort="pending_sk",
)


def within(start: StartKey, sort: str, prefix: str | None) -> bool | None:
    """Where a start key lies against a query's `begins_with(prefix)` range (DynamoDB refuses a
    start key outside it): True inside, False after it (nothing follows), None before it (the
    page starts at the beginning of the range)."""
    if prefix is None or start[sort].startswith(prefix):
        return True
    return False if start[sort] > prefix else None
