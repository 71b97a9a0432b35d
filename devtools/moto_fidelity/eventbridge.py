"""EventBridge PutEvents as AWS checks it. moto 5.2.5 refuses more than 10 entries but never
measures them.

* A request's entries together at most MAX_REQUEST_BYTES, each entry counted as "Calculating
  Amazon EventBridge PutEvents event entry size" says: 14 bytes for a Time, the UTF-8 bytes of
  Source, DetailType and Detail, and of each Resources entry (EventBusName is not counted) ->
  ValidationException `Total size of the entries in the request is over the limit.`

MAX_REQUEST_BYTES is the 256 KB that page names. AWS raised EventBridge's payload bound to 1 MB in
January 2026; the product is built to the old one (adapters/eventbridge.py splits requests at
256 KB), which holds on every bus, and a rule stricter than AWS can only fail a test that AWS
would have passed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.events.exceptions import ValidationException
from moto.events.models import EventsBackend

MAX_REQUEST_BYTES = 256 * 1024
TIME_BYTES = 14


def entry_bytes(entry: dict[str, Any]) -> int:
    size = TIME_BYTES if entry.get("Time") is not None else 0
    for name in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(name) or "").encode())
    return size + sum(len(str(resource).encode()) for resource in entry.get("Resources") or [] if resource)


def _put_events(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_events(self: EventsBackend, events: list[dict[str, Any]]) -> Any:
        # more than 10 entries is moto's to refuse, first, as AWS does
        if len(events) <= 10 and sum(entry_bytes(entry) for entry in events) > MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        return original(self, events)

    return put_events


def apply() -> None:
    EventsBackend.put_events = _put_events(EventsBackend.put_events)  # type: ignore[method-assign]
