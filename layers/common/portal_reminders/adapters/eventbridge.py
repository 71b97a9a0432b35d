"""The event bus on Amazon EventBridge: PutEvents in requests of at most 10 entries and 256 KB."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal_reminders.models.domain_events import SOURCE, DomainEvent
from portal_reminders.ports import EventBus

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024
# PutEvents counts a set Time as 14 bytes (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html)
TIME_BYTES = 14
NOT_SENT = "NotSent: an earlier request of this batch failed"


def entry_size(entry: dict[str, Any]) -> int:
    """The size EventBridge counts for one PutEvents entry (and the bus name, to be safe)."""
    size = TIME_BYTES if "Time" in entry else 0
    for name in ("Source", "DetailType", "Detail", "EventBusName"):
        size += len(str(entry.get(name, "")).encode())
    return size + sum(len(resource.encode()) for resource in entry.get("Resources", []))


def requests(entries: Sequence[dict[str, Any]]) -> list[list[int]]:
    """Indexes of the entries, split into PutEvents requests, in order."""
    batches: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for index, entry in enumerate(entries):
        size = entry_size(entry)
        if current and (len(current) == MAX_ENTRIES or current_bytes + size > MAX_REQUEST_BYTES):
            batches.append(current)
            current, current_bytes = [], 0
        current.append(index)
        current_bytes += size
    if current:
        batches.append(current)
    return batches


class EventBridgeBus(EventBus):
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def entry(self, event: DomainEvent) -> dict[str, Any]:
        return {
            "EventBusName": self._bus_name,
            "Source": SOURCE,
            "DetailType": event.type.value,
            "Detail": json.dumps(event.detail, ensure_ascii=False, separators=(",", ":")),
            # the envelope's `time` is when the change happened, not when it was published
            "Time": event.at,
        }

    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        entries = [self.entry(event) for event in events]
        results: list[str | None] = [NOT_SENT] * len(entries)
        for batch in requests(entries):
            try:
                response = self._client.put_events(Entries=[entries[i] for i in batch])
            except (ClientError, BotoCoreError) as error:
                # the whole request failed (after botocore's own retries): none of it was published
                for index in batch:
                    results[index] = _request_error(error)
                break
            answers = response.get("Entries", [])
            for position, index in enumerate(batch):
                answer = answers[position] if position < len(answers) else {}
                results[index] = (
                    None if answer.get("EventId") else f"{answer.get('ErrorCode')}: {answer.get('ErrorMessage')}"
                )
            if response.get("FailedEntryCount"):
                break
        return results


def _request_error(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{details.get('Code', 'ClientError')}: {details.get('Message', '')}"
    return f"{type(error).__name__}: {error}"
