"""The pynamodb implementation of the repository ports (one table, see keys.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from portal_reminders.models.domain import Account, ActionItem, AuditEvent, Claim, Firm, ItemRef, Status
from portal_reminders.models.errors import ConcurrentModification, InvalidPageToken
from portal_reminders.repository import keys, paging
from portal_reminders.repository.mapping import (
    account_from_record,
    account_to_record,
    audit_from_record,
    audit_to_record,
    epoch,
    firm_from_record,
    firm_to_record,
    from_epoch,
    item_from_record,
    item_to_record,
)
from portal_reminders.repository.ports import (
    AccountRepository,
    DeliverySnapshot,
    DueEntry,
    DueItemsRepository,
    FirmRepository,
    ItemRepository,
    Page,
)
from portal_reminders.repository.records import (
    AccountRecord,
    AuditRecord,
    FirmRecord,
    ItemRecord,
    bind_records,
)

R = TypeVar("R", bound=Model)
T = TypeVar("T")

CONDITION_FAILED = "ConditionalCheckFailedException"
# BatchGetItem may return some keys unprocessed under load; retry those this many times.
BATCH_GET_ATTEMPTS = 5


def _condition_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code == CONDITION_FAILED


def _transaction_condition_failed(error: TransactWriteError) -> bool:
    return any(reason is not None and reason.code == "ConditionalCheckFailed" for reason in error.cancellation_reasons)


class DynamoRepository(FirmRepository, AccountRepository, ItemRepository, DueItemsRepository):
    def __init__(self, table_name: str, region: str) -> None:
        bind_records(table_name, region)
        self._table_name = table_name

    @property
    def _table(self) -> TableConnection:
        """The records' shared table connection (it knows the table's key schema)."""
        return ItemRecord._get_connection()

    @property
    def _connection(self) -> Connection:
        return self._table.connection

    # firms ---------------------------------------------------------------------------------

    def get_firm(self, firm_id: str) -> Firm | None:
        record = self._get(FirmRecord, keys.firm_pk(firm_id), keys.FIRM_SK)
        return None if record is None else firm_from_record(record)

    def put_firm(self, firm: Firm) -> Firm:
        firm_to_record(firm).save()
        return firm

    # accounts ------------------------------------------------------------------------------

    def get_account(self, firm_id: str, account_id: str) -> Account | None:
        record = self._get(AccountRecord, keys.account_pk(firm_id, account_id), keys.ACCOUNT_SK)
        return None if record is None else account_from_record(record)

    def save_account(self, account: Account) -> Account:
        record = account_to_record(account, version=account.version + 1)
        condition = (
            AccountRecord.pk.does_not_exist() if account.version == 0 else AccountRecord.version == account.version
        )
        try:
            record.save(condition=condition)
        except PutError as error:
            if _condition_failed(error):
                raise ConcurrentModification(account.id) from error
            raise
        return replace(account, version=account.version + 1)

    # items ---------------------------------------------------------------------------------

    def get_item(self, firm_id: str, item_id: str) -> ActionItem | None:
        record = self._get(ItemRecord, keys.item_pk(firm_id, item_id), keys.ITEM_SK)
        return None if record is None else item_from_record(record)

    def load_for_delivery(self, ref: ItemRef) -> DeliverySnapshot:
        wanted = {
            (keys.item_pk(ref.firm_id, ref.item_id), keys.ITEM_SK),
            (keys.account_pk(ref.firm_id, ref.account_id), keys.ACCOUNT_SK),
            (keys.firm_pk(ref.firm_id), keys.FIRM_SK),
        }
        found: dict[str, dict[str, Any]] = {}
        pending = [{"pk": pk, "sk": sk} for pk, sk in wanted]
        for _ in range(BATCH_GET_ATTEMPTS):
            # pynamodb types `keys` as strings, but its key map builder takes {attribute: value} dicts
            response = self._table.batch_get_item(
                pending,  # type: ignore[arg-type]
                consistent_read=True,
            )
            for raw in response.get("Responses", {}).get(self._table_name, []):
                found[raw["sk"]["S"]] = raw
            unprocessed = response.get("UnprocessedKeys", {}).get(self._table_name, {}).get("Keys", [])
            pending = [{"pk": key["pk"]["S"], "sk": key["sk"]["S"]} for key in unprocessed]
            if not pending:
                break
        item = found.get(keys.ITEM_SK)
        account = found.get(keys.ACCOUNT_SK)
        firm = found.get(keys.FIRM_SK)
        return DeliverySnapshot(
            item=None if item is None else item_from_record(ItemRecord.from_raw_data(item)),
            account=None if account is None else account_from_record(AccountRecord.from_raw_data(account)),
            firm=None if firm is None else firm_from_record(FirmRecord.from_raw_data(firm)),
        )

    def save_item(self, item: ActionItem, events: Sequence[AuditEvent] = ()) -> ActionItem:
        record = item_to_record(item, version=item.version + 1)
        condition = ItemRecord.pk.does_not_exist() if item.version == 0 else ItemRecord.version == item.version
        try:
            if events:
                with TransactWrite(connection=self._connection) as transaction:
                    transaction.save(record, condition=condition)
                    for position, event in enumerate(events):
                        transaction.save(audit_to_record(event, position), condition=AuditRecord.pk.does_not_exist())
            else:
                record.save(condition=condition)
        except PutError as error:
            if _condition_failed(error):
                raise ConcurrentModification(item.id) from error
            raise
        except TransactWriteError as error:
            if _transaction_condition_failed(error):
                raise ConcurrentModification(item.id) from error
            raise
        return replace(item, version=item.version + 1)

    def list_items(
        self, firm_id: str, account_id: str, status: Status | None, limit: int, token: str | None
    ) -> Page[ActionItem]:
        partition = keys.account_pk(firm_id, account_id)
        prefix = f"{keys.ITEM_PREFIX}{status.value}#" if status else keys.ITEM_PREFIX
        return self._page(
            lambda start: ItemRecord.account_index.query(
                partition,
                ItemRecord.gsi1sk.startswith(prefix),
                limit=limit + 1,
                last_evaluated_key=start,
            ),
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            ("gsi1pk", partition),
            limit,
            token,
            item_from_record,
            sort=("gsi1sk", prefix),
        )

    def list_tasks(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[ActionItem]:
        partition = keys.account_pk(firm_id, account_id)
        return self._page(
            lambda start: ItemRecord.task_index.query(
                partition, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start
            ),
            ("pk", "sk", "task_pk", "task_sk"),
            ("task_pk", partition),
            limit,
            token,
            item_from_record,
        )

    def item_audit(self, firm_id: str, item_id: str, limit: int, token: str | None) -> Page[AuditEvent]:
        partition = keys.item_pk(firm_id, item_id)
        return self._page(
            lambda start: AuditRecord.query(
                partition,
                AuditRecord.sk.startswith(keys.AUDIT_PREFIX),
                consistent_read=True,
                limit=limit + 1,
                last_evaluated_key=start,
            ),
            ("pk", "sk"),
            ("pk", partition),
            limit,
            token,
            audit_from_record,
            sort=("sk", keys.AUDIT_PREFIX),
        )

    def account_audit(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[AuditEvent]:
        partition = keys.account_pk(firm_id, account_id)
        return self._page(
            lambda start: AuditRecord.account_index.query(
                partition,
                AuditRecord.gsi1sk.startswith(keys.AUDIT_PREFIX),
                limit=limit + 1,
                last_evaluated_key=start,
            ),
            ("pk", "sk", "gsi1pk", "gsi1sk"),
            ("gsi1pk", partition),
            limit,
            token,
            audit_from_record,
            sort=("gsi1sk", keys.AUDIT_PREFIX),
        )

    # the due index (scan) -------------------------------------------------------------------

    def due_entries(self, shard: str, now: datetime) -> Iterator[DueEntry]:
        for record in ItemRecord.due_index.query(shard, ItemRecord.next_reminder_at <= epoch(now)):
            claim = None
            if record.claim_number is not None:
                # while a claim is outstanding, the indexed time is its lease expiry
                claim = Claim(
                    number=int(record.claim_number),
                    until=from_epoch(record.next_reminder_at),
                    attempts=int(record.claim_attempts or 1),
                )
            yield DueEntry(
                ref=ItemRef(firm_id=record.firm_id, item_id=record.item_id, account_id=record.account_id),
                next_reminder_at=int(record.next_reminder_at),
                notified=bool(record.notified),
                reminders_sent=int(record.reminders_sent or 0),
                claim=claim,
            )

    def claim(self, entry: DueEntry, claim: Claim) -> bool:
        record = ItemRecord(pk=keys.item_pk(entry.ref.firm_id, entry.ref.item_id), sk=keys.ITEM_SK)
        try:
            record.update(
                actions=[
                    ItemRecord.next_reminder_at.set(epoch(claim.until)),
                    ItemRecord.claim_number.set(claim.number),
                    ItemRecord.claim_until.set(epoch(claim.until)),
                    ItemRecord.claim_attempts.set(claim.attempts),
                    ItemRecord.version.add(1),
                ],
                condition=self._unchanged_since_indexed(entry),
            )
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise
        return True

    def give_up(self, entry: DueEntry, event: AuditEvent) -> bool:
        record = ItemRecord(pk=keys.item_pk(entry.ref.firm_id, entry.ref.item_id), sk=keys.ITEM_SK)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.update(
                    record,
                    actions=[
                        ItemRecord.failed_number.set(entry.number),
                        ItemRecord.claim_number.remove(),
                        ItemRecord.claim_until.remove(),
                        ItemRecord.claim_attempts.remove(),
                        ItemRecord.due_shard.remove(),
                        ItemRecord.next_reminder_at.remove(),
                        ItemRecord.version.add(1),
                    ],
                    condition=self._unchanged_since_indexed(entry),
                )
                transaction.save(audit_to_record(event), condition=AuditRecord.pk.does_not_exist())
        except TransactWriteError as error:
            if _transaction_condition_failed(error):
                return False
            raise
        return True

    @staticmethod
    def _unchanged_since_indexed(entry: DueEntry) -> Any:
        return (
            (ItemRecord.next_reminder_at == entry.next_reminder_at)
            & (ItemRecord.status == Status.PENDING.value)
            & (ItemRecord.reminders_sent == entry.reminders_sent)
        )

    # helpers -------------------------------------------------------------------------------

    @staticmethod
    def _get(model: type[R], pk: str, sk: str) -> R | None:
        try:
            return model.get(pk, sk, consistent_read=True)
        except model.DoesNotExist:
            return None

    @staticmethod
    def _page(
        query: Callable[[dict[str, dict[str, Any]] | None], Iterator[Any]],
        key_names: tuple[str, ...],
        partition: tuple[str, str],
        limit: int,
        token: str | None,
        convert: Callable[[Any], T],
        sort: tuple[str, str] | None = None,
    ) -> Page[T]:
        start = paging.decode(token, key_names, partition, sort) if token else None
        try:
            records = list(query(start))
        except QueryError as error:
            # A start key DynamoDB finds unusable: the caller's token, not our fault.
            if start is not None and error.cause_response_code == "ValidationException":
                raise InvalidPageToken() from error
            raise
        next_token = None
        if len(records) > limit:
            records = records[:limit]
            last = records[-1]
            next_token = paging.encode({name: getattr(last, name) for name in key_names})
        return Page(items=[convert(r) for r in records], next_token=next_token)
