"""The table as the publisher sees it: the table's stream records (as Lambda delivers them) read
back into the changes events are published for, and the items and accounts those events name.

Which records can become events follows the key layout (keys.py): new audit events
(sk `AUDIT#...`, INSERT only: the trail is append-only) and job records whose stage entry is new
(sk `JOB`; the old image tells a new entry from any other change of the job). The template's
filter criteria send only those to the function; anything else that arrives is skipped here too.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pynamodb.connection import TableConnection

from portal_reminders.models.domain import Account, ActionItem
from portal_reminders.models.domain_events import (
    AuditAppended,
    AuditEntry,
    Change,
    NotPublished,
    StageEntered,
    StageEntry,
)
from portal_reminders.models.events import InvalidEvent
from portal_reminders.repository import keys
from portal_reminders.repository.mapping import account_from_record, item_from_record
from portal_reminders.repository.ports import EventFacts, EventFactsRepository
from portal_reminders.repository.records import AccountRecord, AuditRecord, ItemRecord, JobRecord, bind_records

BATCH_GET_LIMIT = 100
BATCH_GET_ATTEMPTS = 5
BACKOFF_SECONDS = 0.05

AUDIT_REQUIRED = ("event_id", "firm_id", "item_id", "account_id", "type", "at", "actor")
JOB_REQUIRED = ("firm_id", "job_id", "pipeline_id", "account_id", "stage_id", "entered_at")


class UnreadableFacts(RuntimeError):
    """DynamoDB kept leaving keys unprocessed: the batch fails and its trigger retries it."""


def changes_from_stream(event: Any) -> list[Change]:
    """Each record of a DynamoDB stream event, as the change it holds (never raises for a record)."""
    records = event.get("Records") if isinstance(event, Mapping) else None
    if not isinstance(records, list):
        raise InvalidEvent("expected a DynamoDB stream event: {'Records': [{'eventName': ..., 'dynamodb': {...}}]}")
    return [change_from_record(record) for record in records]


def change_from_record(record: Any) -> Change:
    stream = record.get("dynamodb") if isinstance(record, Mapping) else None
    position = stream.get("SequenceNumber") if isinstance(stream, Mapping) else None
    if not isinstance(stream, Mapping) or not isinstance(position, str) or not position:
        return NotPublished("", "a record without dynamodb.SequenceNumber", malformed=True)
    try:
        sort_key = str(stream["Keys"]["sk"]["S"])
        event_name = str(record["eventName"])
    except (KeyError, TypeError):
        return NotPublished(position, "a record without eventName or a sort key", malformed=True)
    try:
        if sort_key.startswith(keys.AUDIT_PREFIX):
            if event_name != "INSERT":
                return NotPublished(position, f"{event_name} of an audit event")
            return AuditAppended(position, _audit_entry(stream["NewImage"]))
        if sort_key == keys.JOB_SK and event_name in ("INSERT", "MODIFY"):
            entry = _stage_entry(stream["NewImage"], stream.get("OldImage"))
            if entry is None:
                return NotPublished(position, "a job change that is not a new stage entry")
            return StageEntered(position, entry)
    except (KeyError, TypeError, ValueError) as error:
        # pynamodb's AttributeDeserializationError is a TypeError
        kind = sort_key.split("#", maxsplit=1)[0]
        return NotPublished(position, f"an unreadable {kind} image: {error!r}", malformed=True)
    return NotPublished(position, "a change no event is published for")


def _missing(record: Any, names: Sequence[str]) -> list[str]:
    return [name for name in names if getattr(record, name, None) is None]


def _audit_entry(image: Mapping[str, Any]) -> AuditEntry:
    record = AuditRecord.from_raw_data(dict(image))
    missing = _missing(record, AUDIT_REQUIRED)
    if missing:
        raise ValueError(f"audit event without {', '.join(missing)}")
    details = record.details
    return AuditEntry(
        id=record.event_id,
        firm_id=record.firm_id,
        item_id=record.item_id,
        account_id=record.account_id,
        type=record.type,
        at=record.at,
        actor=record.actor,
        recipients=tuple(record.recipients or ()),
        details=details if isinstance(details, dict) else {},
    )


def _stage_entry(new_image: Mapping[str, Any], old_image: Mapping[str, Any] | None) -> StageEntry | None:
    record = JobRecord.from_raw_data(dict(new_image))
    entry_id = record.entry_id
    if not entry_id:
        return None  # a job written before entries were recorded on it
    old_entry = (old_image or {}).get("entry_id", {}).get("S")
    if old_entry == entry_id:
        return None  # archived, or the items its automations created were added
    missing = _missing(record, JOB_REQUIRED)
    if missing:
        raise ValueError(f"job without {', '.join(missing)}")
    return StageEntry(
        firm_id=record.firm_id,
        job_id=record.job_id,
        pipeline_id=record.pipeline_id,
        account_id=record.account_id,
        stage_id=record.stage_id,
        entry_id=entry_id,
        entered_at=record.entered_at,
    )


class DynamoEventFacts(EventFactsRepository):
    def __init__(self, table_name: str, region: str) -> None:
        bind_records(table_name, region)
        self._table_name = table_name

    @property
    def _table(self) -> TableConnection:
        return ItemRecord._get_connection()

    def event_facts(self, items: Collection[tuple[str, str]], accounts: Collection[tuple[str, str]]) -> EventFacts:
        wanted = [(keys.item_pk(firm_id, item_id), keys.ITEM_SK) for firm_id, item_id in sorted(set(items))]
        wanted += [(keys.account_pk(f, a), keys.ACCOUNT_SK) for f, a in sorted(set(accounts))]
        found_items: dict[tuple[str, str], ActionItem] = {}
        found_accounts: dict[tuple[str, str], Account] = {}
        for raw in self._batch_get(wanted):
            if raw["sk"]["S"] == keys.ITEM_SK:
                item = item_from_record(ItemRecord.from_raw_data(raw))
                found_items[(item.firm_id, item.id)] = item
            else:
                account = account_from_record(AccountRecord.from_raw_data(raw))
                found_accounts[(account.firm_id, account.id)] = account
        return EventFacts(items=found_items, accounts=found_accounts)

    def _batch_get(self, wanted: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """Consistent BatchGetItem, 100 keys a request; unprocessed keys are retried with backoff,
        and never taken for missing ones."""
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            pending = [{"pk": pk, "sk": sk} for pk, sk in wanted[start : start + BATCH_GET_LIMIT]]
            for attempt in range(BATCH_GET_ATTEMPTS):
                if attempt:
                    time.sleep(BACKOFF_SECONDS * 2**attempt)
                # pynamodb types `keys` as strings, but its key map builder takes {attribute: value} dicts
                response = self._table.batch_get_item(pending, consistent_read=True)  # type: ignore[arg-type]
                found.extend(response.get("Responses", {}).get(self._table_name, []))
                unprocessed = response.get("UnprocessedKeys", {}).get(self._table_name, {}).get("Keys", [])
                pending = [{"pk": key["pk"]["S"], "sk": key["sk"]["S"]} for key in unprocessed]
                if not pending:
                    break
            if pending:
                raise UnreadableFacts(f"{len(pending)} keys still unprocessed after {BATCH_GET_ATTEMPTS} attempts")
        return found
