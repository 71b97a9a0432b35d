"""The firm's own wordings of its emails (SPEC R21): a record per kind, stage and language in the
firm's partition, each marked on the firm's record (Firm.wordings) in the same transaction. The
send path reads the firm's record anyway (in the batch that reads the items and accounts), so the
marks tell it which wordings to read, and a firm without any costs it no request at all. A round
reads the wordings of its item's kind in its account's language at the client stages, and the
escalation's (in the firm's language) only when it is the item's escalation (`candidates`).

Both writes are PutItem (the api's only write on the firms' records, template.yaml): the firm's
record is written whole under its version, like PUT /firm, and a deleted wording is overwritten
by a tombstone without its words."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace
from datetime import datetime

from pynamodb.exceptions import GetError, QueryError, TransactWriteError
from pynamodb.transactions import TransactWrite

from portal_reminders.models.domain import (
    Account,
    ActionItem,
    EmailStage,
    EmailWording,
    Firm,
    Kind,
    Language,
    WordingKey,
)
from portal_reminders.models.errors import ConcurrentModification, StorageUnavailable
from portal_reminders.reminders.delivery import escalation
from portal_reminders.repository import keys
from portal_reminders.repository.firms import unchanged
from portal_reminders.repository.mapping import firm_to_record
from portal_reminders.repository.ports import WordingRepository
from portal_reminders.repository.records import FirmRecord, WordingRecord

_TRANSACTION_RACES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
# the stages of the emails a client gets (the escalation email goes to the firm)
CLIENT_STAGES = (EmailStage.NOTIFICATION, EmailStage.REMINDER, EmailStage.FINAL)


def candidates(item: ActionItem, account: Account) -> list[WordingKey]:
    """The firm's wordings a round about the item may use: its kind's in the account's language at
    the client stages, and its escalation's when that is the round (escalation.due_next)."""
    found = [WordingKey(item.kind, stage, account.language) for stage in CLIENT_STAGES]
    if escalation.due_next(item):
        found.append(escalation.wording_key(item))
    return found


class WordingCache:
    """The wordings a send process has read, by firm, the firm's version and key: a firm's version
    changes with every change of its wordings (in the same transaction), so what was read at the
    version the batch has just read is still what is stored. Bounded: at most `size` wordings of
    at most ~21 KB each."""

    def __init__(self, size: int = 256) -> None:
        self._size = size
        self._read: OrderedDict[tuple[str, int, WordingKey], EmailWording | None] = OrderedDict()

    def has(self, firm_id: str, version: int, key: WordingKey) -> bool:
        return (firm_id, version, key) in self._read

    def put(self, firm_id: str, version: int, key: WordingKey, wording: EmailWording | None) -> None:
        self._read[(firm_id, version, key)] = wording
        self._read.move_to_end((firm_id, version, key))
        while len(self._read) > self._size:
            self._read.popitem(last=False)

    def by_stage(self, firm_id: str, wanted: list[tuple[int, WordingKey]]) -> dict[EmailStage, EmailWording]:
        found = {}
        for version, key in wanted:
            wording = self._read.get((firm_id, version, key))
            if wording is not None:
                self._read.move_to_end((firm_id, version, key))
                found[key.stage] = wording
        return found


def wording_from_record(record: WordingRecord) -> EmailWording | None:
    """The wording, or None for a deleted one's tombstone."""
    if record.deleted_at is not None or record.subject is None or record.body is None:
        return None
    return EmailWording(
        firm_id=record.firm_id,
        key=WordingKey(Kind(record.kind), EmailStage(record.stage), Language(record.language)),
        subject=record.subject,
        body=record.body,
        updated_at=record.updated_at,
        updated_by=record.updated_by,
    )


def _record(firm_id: str, key: WordingKey, at: datetime, by: str) -> WordingRecord:
    return WordingRecord(
        pk=keys.firm_pk(firm_id),
        sk=keys.wording_sk(key.marker),
        firm_id=firm_id,
        kind=key.kind.value,
        stage=key.stage.value,
        language=key.language.value,
        updated_at=at,
        updated_by=by,
    )


def wording_to_record(wording: EmailWording) -> WordingRecord:
    record = _record(wording.firm_id, wording.key, wording.updated_at, wording.updated_by)
    record.subject, record.body = wording.subject, wording.body
    return record


class DynamoWordings(WordingRepository):
    def get_wording(self, firm_id: str, key: WordingKey) -> EmailWording | None:
        try:
            record = WordingRecord.get(keys.firm_pk(firm_id), keys.wording_sk(key.marker), consistent_read=True)
        except WordingRecord.DoesNotExist:
            return None
        except GetError as error:
            raise StorageUnavailable(f"wording not read: {error.cause_response_code}") from error
        return wording_from_record(record)

    def list_wordings(self, firm_id: str) -> list[EmailWording]:
        try:
            records = WordingRecord.query(
                keys.firm_pk(firm_id), WordingRecord.sk.startswith(keys.WORDING_PREFIX), consistent_read=True
            )
            found = [wording_from_record(record) for record in records]
        except QueryError as error:
            raise StorageUnavailable(f"wordings not read: {error.cause_response_code}") from error
        return [wording for wording in found if wording is not None]

    def save_wording(self, firm: Firm, wording: EmailWording) -> Firm:
        return self._write(firm, wording_to_record(wording))

    def delete_wording(self, firm: Firm, key: WordingKey, at: datetime, by: str) -> Firm:
        tombstone = _record(firm.id, key, at, by)
        tombstone.deleted_at = at
        return self._write(firm, tombstone)

    def _write(self, firm: Firm, record: WordingRecord) -> Firm:
        """The wording's record and the firm's (with its marks as `firm` has them), if the firm's
        is still the version `firm` was read at; else ConcurrentModification."""
        try:
            with TransactWrite(connection=FirmRecord._get_connection().connection) as transaction:
                transaction.save(firm_to_record(firm, firm.version + 1), condition=unchanged(firm))
                transaction.save(record)
        except TransactWriteError as error:
            if error.cause_response_code == "TransactionConflictException" or any(
                reason is not None and reason.code in _TRANSACTION_RACES for reason in error.cancellation_reasons
            ):
                raise ConcurrentModification(firm.id) from error
            raise StorageUnavailable(f"wording of {firm.id} not written: {error.cause_response_code}") from error
        return replace(firm, version=firm.version + 1)
