"""The pynamodb implementation of the repository ports (one table, see keys.py)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from pynamodb.connection import Connection, TableConnection
from pynamodb.exceptions import PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from portal_reminders import clock
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    AuditEvent,
    Claim,
    Firm,
    ItemRef,
    Job,
    Kind,
    Pipeline,
    Status,
    Template,
    WordingKey,
)
from portal_reminders.models.errors import ConcurrentModification, InvalidPageToken, StorageUnavailable
from portal_reminders.repository import keys, paging, worklist
from portal_reminders.repository.firms import DynamoFirms
from portal_reminders.repository.mapping import (
    account_from_record,
    account_to_record,
    audit_from_record,
    audit_to_record,
    epoch,
    firm_from_record,
    from_epoch,
    item_from_record,
    item_to_record,
    job_from_record,
    job_to_record,
    paused_from_json,
    pipeline_from_record,
    pipeline_to_record,
    template_from_record,
    template_to_record,
    window_from_json,
    zone_from_json,
)
from portal_reminders.repository.ports import (
    AccountRepository,
    AccountRoundSnapshot,
    ApprovalRepository,
    ClientSnapshot,
    ClientTimeRepository,
    DailyEmailCounter,
    DeliverySnapshot,
    DueEntry,
    DueItemsRepository,
    ItemRepository,
    Page,
    PendingEntry,
    PipelineRepository,
    ScanLease,
    ScanStateRepository,
    SendTimeline,
    SuppressionRepository,
    TaskEntry,
    TemplateRepository,
    WorkEntry,
    WorklistFilter,
    WorklistRepository,
)
from portal_reminders.repository.records import (
    AccountRecord,
    AuditRecord,
    DailyEmailsRecord,
    FirmRecord,
    ItemRecord,
    JobRecord,
    PipelineRecord,
    ScanStateRecord,
    SendTimelineRecord,
    TemplateRecord,
    WordingRecord,
    bind_records,
)
from portal_reminders.repository.wordings import DynamoWordings, WordingCache, candidates, wording_from_record

R = TypeVar("R", bound=Model)
T = TypeVar("T")

# Another writer got there first (a failed condition) or at the same moment (DynamoDB refuses a
# write that overlaps a transaction on the same item): either way, re-read and try again.
WRITE_RACES = frozenset({"ConditionalCheckFailedException", "TransactionConflictException"})
TRANSACTION_RACES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})
# BatchGetItem may return some keys unprocessed under load; retry those this many times, with
# exponential backoff (AWS's advice), then give up on the read as a whole: a key left unprocessed
# is unknown, never "not found".
BATCH_GET_ATTEMPTS = 5
BATCH_GET_BACKOFF_SECONDS = 0.05
BATCH_GET_LIMIT = 100
# Bookings on the send timeline race each other; a few tries settle it.
TIMELINE_ATTEMPTS = 4


def _condition_failed(error: PutError | UpdateError) -> bool:
    return error.cause_response_code in WRITE_RACES


def _transaction_condition_failed(error: TransactWriteError) -> bool:
    if error.cause_response_code == "TransactionConflictException":
        return True
    return any(reason is not None and reason.code in TRANSACTION_RACES for reason in error.cancellation_reasons)


class DynamoRepository(
    DailyEmailCounter,
    DynamoFirms,
    DynamoWordings,
    AccountRepository,
    ItemRepository,
    DueItemsRepository,
    TemplateRepository,
    PipelineRepository,
    ApprovalRepository,
    SendTimeline,
    ScanStateRepository,
    ClientTimeRepository,
    SuppressionRepository,
    WorklistRepository,
):
    def __init__(self, table_name: str, region: str) -> None:
        bind_records(table_name, region)
        self._table_name = table_name
        self._wording_cache = WordingCache()

    @property
    def _table(self) -> TableConnection:
        """The records' shared table connection (it knows the table's key schema)."""
        return ItemRecord._get_connection()

    @property
    def _connection(self) -> Connection:
        return self._table.connection

    def connect(self) -> None:
        """Make the table's DynamoDB client now rather than on the first query (it loads botocore's
        model of the service; no request is sent): the api does it before its SnapStart snapshot."""
        _ = self._connection.client

    # accounts ------------------------------------------------------------------------------

    def get_account(self, firm_id: str, account_id: str) -> Account | None:
        record = self._get(AccountRecord, keys.account_pk(firm_id, account_id), keys.ACCOUNT_SK)
        return None if record is None else account_from_record(record)

    def save_account(self, account: Account) -> Account:
        record = account_to_record(account, version=account.version + 1)
        self._save_versioned(record, AccountRecord, account.version, account.id)
        return replace(account, version=account.version + 1)

    def save_suppression(self, account: Account, events: Sequence[AuditEvent]) -> Account:
        record = account_to_record(account, version=account.version + 1)
        try:
            with TransactWrite(connection=self._connection) as transaction:
                transaction.save(record, condition=AccountRecord.version == account.version)
                for position, event in enumerate(events):
                    transaction.save(audit_to_record(event, position), condition=AuditRecord.pk.does_not_exist())
        except TransactWriteError as error:
            if _transaction_condition_failed(error):
                raise ConcurrentModification(account.id) from error
            raise StorageUnavailable(f"account {account.id} not written: {error.cause_response_code}") from error
        return replace(account, version=account.version + 1)

    # items ---------------------------------------------------------------------------------

    def get_item(self, firm_id: str, item_id: str) -> ActionItem | None:
        record = self._get(ItemRecord, keys.item_pk(firm_id, item_id), keys.ITEM_SK)
        return None if record is None else item_from_record(record)

    def load_for_delivery(self, ref: ItemRef) -> DeliverySnapshot:
        found = self._batch_get(
            [
                (keys.item_pk(ref.firm_id, ref.item_id), keys.ITEM_SK),
                (keys.account_pk(ref.firm_id, ref.account_id), keys.ACCOUNT_SK),
                (keys.firm_pk(ref.firm_id), keys.FIRM_SK),
            ]
        )
        items = [item_from_record(ItemRecord.from_raw_data(raw)) for raw in found.get(keys.ITEM_SK, [])]
        account, firm = self._account_and_firm(found)
        snapshot = DeliverySnapshot(item=items[0] if items else None, account=account, firm=firm)
        return self._with_wordings({ref: snapshot})[ref]

    def load_for_deliveries(self, refs: Sequence[ItemRef]) -> dict[ItemRef, DeliverySnapshot]:
        wanted: list[tuple[str, str]] = []
        for ref in refs:
            wanted += [
                (keys.item_pk(ref.firm_id, ref.item_id), keys.ITEM_SK),
                (keys.account_pk(ref.firm_id, ref.account_id), keys.ACCOUNT_SK),
                (keys.firm_pk(ref.firm_id), keys.FIRM_SK),
            ]
        by_pk = {raw["pk"]["S"]: raw for records in self._batch_get(wanted).values() for raw in records}

        def record(pk: str, model: Any, convert: Callable[[Any], T]) -> T | None:
            raw = by_pk.get(pk)
            return None if raw is None else convert(model.from_raw_data(raw))

        return self._with_wordings(
            {
                ref: DeliverySnapshot(
                    item=record(keys.item_pk(ref.firm_id, ref.item_id), ItemRecord, item_from_record),
                    account=record(keys.account_pk(ref.firm_id, ref.account_id), AccountRecord, account_from_record),
                    firm=record(keys.firm_pk(ref.firm_id), FirmRecord, firm_from_record),
                )
                for ref in refs
            }
        )

    def _with_wordings(self, snapshots: dict[ItemRef, DeliverySnapshot]) -> dict[ItemRef, DeliverySnapshot]:
        """The firm's own wordings each round may use (its item's kind and its account's language, at
        the stages a client's email has, and the escalation's for an escalation: wordings.candidates),
        only if its firm marks having some: from what this process
        read at the firm's version (every change of a wording changes it, and the batch has just read
        the firm's record), else in one more request for the whole batch."""
        wanted: dict[ItemRef, list[tuple[int, WordingKey]]] = {}
        for ref, snapshot in snapshots.items():
            item, account, firm = snapshot.item, snapshot.account, snapshot.firm
            if item is None or account is None or firm is None or not firm.wordings:
                continue
            wanted[ref] = [(firm.version, key) for key in candidates(item, account) if key.marker in firm.wordings]
        unread = {
            (ref.firm_id, version, key)
            for ref, found in wanted.items()
            for version, key in found
            if not self._wording_cache.has(ref.firm_id, version, key)
        }
        if unread:
            found = self._batch_get(
                [(keys.firm_pk(firm_id), keys.wording_sk(key.marker)) for firm_id, _, key in sorted(unread, key=str)]
            )
            raws = [raw for sk, records in found.items() if sk.startswith(keys.WORDING_PREFIX) for raw in records]
            read = {(raw["pk"]["S"], raw["sk"]["S"]): raw for raw in raws}
            for firm_id, version, key in unread:
                raw = read.get((keys.firm_pk(firm_id), keys.wording_sk(key.marker)))
                wording = None if raw is None else wording_from_record(WordingRecord.from_raw_data(raw))
                self._wording_cache.put(firm_id, version, key, wording)
        return {
            ref: replace(snapshot, wordings=self._wording_cache.by_stage(ref.firm_id, wanted.get(ref, [])))
            for ref, snapshot in snapshots.items()
        }

    def get_items(self, firm_id: str, item_ids: Sequence[str]) -> list[ActionItem]:
        found = self._batch_get([(keys.item_pk(firm_id, item_id), keys.ITEM_SK) for item_id in item_ids])
        return [item_from_record(ItemRecord.from_raw_data(raw)) for raw in found.get(keys.ITEM_SK, [])]

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
            raise StorageUnavailable(f"item {item.id} not written: {error.cause_response_code}") from error
        except TransactWriteError as error:
            if _transaction_condition_failed(error):
                raise ConcurrentModification(item.id) from error
            raise StorageUnavailable(f"item {item.id} not written: {error.cause_response_code}") from error
        return replace(item, version=item.version + 1)

    def list_items(
        self, firm_id: str, account_id: str, status: Status | None, limit: int, token: str | None
    ) -> Page[ActionItem]:
        prefix = f"{keys.ITEM_PREFIX}{status.value}#" if status else keys.ITEM_PREFIX
        partition = keys.account_pk(firm_id, account_id)
        return self._account_index_page(
            ItemRecord, paging.ITEMS, (firm_id, partition), prefix, limit, token, item_from_record
        )

    def list_tasks(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[TaskEntry]:
        partition = keys.account_pk(firm_id, account_id)
        return self._page(
            lambda start: ItemRecord.task_index.query(
                partition, scan_index_forward=False, limit=limit + 1, last_evaluated_key=start
            ),
            paging.TASKS,
            (firm_id, partition),
            limit,
            token,
            lambda record: TaskEntry(
                item_id=record.item_id,
                kind=Kind(record.kind),
                title=record.title,
                last_emailed_at=record.last_emailed_at,
                due_date=date.fromisoformat(record.due_date) if record.due_date else None,
            ),
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
            paging.ITEM_AUDIT,
            (firm_id, partition),
            limit,
            token,
            audit_from_record,
            prefix=keys.AUDIT_PREFIX,
        )

    def account_audit(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[AuditEvent]:
        partition = keys.account_pk(firm_id, account_id)
        return self._account_index_page(
            AuditRecord, paging.ACCOUNT_AUDIT, (firm_id, partition), keys.AUDIT_PREFIX, limit, token, audit_from_record
        )

    def worklist(
        self, firm_id: str, wanted: WorklistFilter, now: datetime, limit: int, token: str | None
    ) -> Page[WorkEntry]:
        partition = keys.worklist_partition(firm_id)

        def query(low: str, high: str, start: dict[str, dict[str, str]] | None, most: int) -> Iterator[Any]:
            in_range = ItemRecord.work_sk.between(low, high)
            if wanted.escalated is True:
                if start is not None:
                    start = {("escalated_pk" if name == "work_pk" else name): value for name, value in start.items()}
                return ItemRecord.escalated_index.query(partition, in_range, limit=most, last_evaluated_key=start)
            if wanted.escalated is None:
                return ItemRecord.worklist_index.query(partition, in_range, limit=most, last_evaluated_key=start)
            return _not_escalated(partition, in_range, start, most)

        try:
            return worklist.read(query, firm_id, wanted, now, limit, token)
        except QueryError as error:
            # as _page: a start key DynamoDB finds unusable can only come from the caller's token
            if token and error.cause_response_code == "ValidationException":
                raise InvalidPageToken() from error
            raise

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
                give_up_by=None if record.give_up_by is None else int(record.give_up_by),
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
            raise StorageUnavailable(f"item {entry.ref.item_id} not claimed: {error.cause_response_code}") from error
        return True

    def release(self, entry: DueEntry, claim: Claim) -> bool:
        record = ItemRecord(pk=keys.item_pk(entry.ref.firm_id, entry.ref.item_id), sk=keys.ITEM_SK)
        previous = entry.claim
        restore = (
            [
                ItemRecord.claim_number.set(previous.number),
                ItemRecord.claim_until.set(epoch(previous.until)),
                ItemRecord.claim_attempts.set(previous.attempts),
            ]
            if previous is not None
            else [ItemRecord.claim_number.remove(), ItemRecord.claim_until.remove(), ItemRecord.claim_attempts.remove()]
        )
        try:
            record.update(
                actions=[ItemRecord.next_reminder_at.set(entry.next_reminder_at), *restore, ItemRecord.version.add(1)],
                condition=(ItemRecord.next_reminder_at == epoch(claim.until))
                & (ItemRecord.claim_number == claim.number)
                & (ItemRecord.status == Status.PENDING.value),
            )
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise StorageUnavailable(
                f"claim on {entry.ref.item_id} not released: {error.cause_response_code}"
            ) from error
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
                        ItemRecord.give_up_by.remove(),
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
            raise StorageUnavailable(f"{entry.ref.item_id} not given up: {error.cause_response_code}") from error
        return True

    @staticmethod
    def _unchanged_since_indexed(entry: DueEntry) -> Any:
        return (
            (ItemRecord.next_reminder_at == entry.next_reminder_at)
            & (ItemRecord.status == Status.PENDING.value)
            & (ItemRecord.reminders_sent == entry.reminders_sent)
        )

    # templates, pipelines and jobs ---------------------------------------------------------

    def get_template(self, firm_id: str, template_id: str) -> Template | None:
        record = self._get(TemplateRecord, keys.template_pk(firm_id, template_id), keys.TEMPLATE_SK)
        return None if record is None else template_from_record(record)

    def save_template(self, template: Template) -> Template:
        record = template_to_record(template, version=template.version + 1)
        self._save_versioned(record, TemplateRecord, template.version, template.id)
        return replace(template, version=template.version + 1)

    def list_templates(self, firm_id: str, limit: int, token: str | None) -> Page[Template]:
        partition = keys.templates_partition(firm_id)
        return self._account_index_page(
            TemplateRecord,
            paging.TEMPLATES,
            (firm_id, partition),
            keys.TEMPLATE_PREFIX,
            limit,
            token,
            template_from_record,
        )

    def get_pipeline(self, firm_id: str, pipeline_id: str) -> Pipeline | None:
        record = self._get(PipelineRecord, keys.pipeline_pk(firm_id, pipeline_id), keys.PIPELINE_SK)
        return None if record is None else pipeline_from_record(record)

    def create_pipeline(self, pipeline: Pipeline) -> Pipeline:
        pipeline_to_record(pipeline).save(condition=PipelineRecord.pk.does_not_exist())
        return pipeline

    def get_job(self, firm_id: str, job_id: str) -> Job | None:
        record = self._get(JobRecord, keys.job_pk(firm_id, job_id), keys.JOB_SK)
        return None if record is None else job_from_record(record)

    def save_job(self, job: Job) -> Job:
        self._save_versioned(job_to_record(job, version=job.version + 1), JobRecord, job.version, job.id)
        return replace(job, version=job.version + 1)

    # pending approvals ----------------------------------------------------------------------

    def pending_approvals(self, firm_id: str, account_id: str | None = None) -> Iterator[tuple[str, str]]:
        condition = ItemRecord.approval_sk.startswith(f"{account_id}#") if account_id else None
        for record in ItemRecord.approval_index.query(keys.approvals_partition(firm_id), condition):
            yield record.account_id, record.item_id

    def load_account_round(self, firm_id: str, account_id: str, item_ids: Sequence[str]) -> AccountRoundSnapshot:
        wanted = [(keys.account_pk(firm_id, account_id), keys.ACCOUNT_SK), (keys.firm_pk(firm_id), keys.FIRM_SK)]
        found = self._batch_get(wanted + [(keys.item_pk(firm_id, item_id), keys.ITEM_SK) for item_id in item_ids])
        account, firm = self._account_and_firm(found)
        items = [item_from_record(ItemRecord.from_raw_data(raw)) for raw in found.get(keys.ITEM_SK, [])]
        return AccountRoundSnapshot(account=account, firm=firm, items=items)

    # the client's time ------------------------------------------------------------------------

    def load_clients(self, firm_id: str, account_ids: Collection[str], item_ids: Collection[str]) -> ClientSnapshot:
        wanted = [(keys.firm_pk(firm_id), keys.FIRM_SK)]
        wanted += [(keys.account_pk(firm_id, account_id), keys.ACCOUNT_SK) for account_id in account_ids]
        wanted += [(keys.item_pk(firm_id, item_id), keys.ITEM_SK) for item_id in item_ids]
        found = self._batch_get(wanted)
        firms = found.get(keys.FIRM_SK)
        accounts = [account_from_record(AccountRecord.from_raw_data(raw)) for raw in found.get(keys.ACCOUNT_SK, [])]
        return ClientSnapshot(
            firm=firm_from_record(FirmRecord.from_raw_data(firms[0])) if firms else None,
            accounts={account.id: account for account in accounts},
            items=[item_from_record(ItemRecord.from_raw_data(raw)) for raw in found.get(keys.ITEM_SK, [])],
        )

    def pending_entries(
        self, firm_id: str, account_id: str | None, limit: int, token: str | None
    ) -> Page[PendingEntry]:
        partition = keys.pending_partition(firm_id)
        prefix = keys.pending_sk(account_id, "") if account_id else None
        condition = ItemRecord.pending_sk.startswith(prefix) if prefix else None
        return self._page(
            lambda start: ItemRecord.pending_index.query(
                partition, condition, limit=limit + 1, last_evaluated_key=start
            ),
            paging.PENDING,
            (firm_id, partition),
            limit,
            token,
            lambda record: PendingEntry(
                account_id=record.account_id,
                item_id=record.item_id,
                window=window_from_json(record.send_window),
                zone=zone_from_json(record.send_window),
                paused_until=paused_from_json(record.send_window),
            ),
            prefix=prefix,
        )

    # helpers -------------------------------------------------------------------------------

    def _batch_get(self, wanted: Sequence[tuple[str, str]]) -> dict[str, list[dict[str, Any]]]:
        """Consistent BatchGetItem of (pk, sk) keys, 100 a request; raw records grouped by sk.

        Keys DynamoDB leaves unprocessed are asked again with backoff; if some are still left,
        StorageUnavailable: a record that was not read is unknown, never "not found"."""
        found: dict[str, list[dict[str, Any]]] = {}
        unique = list(dict.fromkeys(wanted))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            pending = [{"pk": pk, "sk": sk} for pk, sk in unique[start : start + BATCH_GET_LIMIT]]
            for attempt in range(BATCH_GET_ATTEMPTS):
                if attempt:
                    clock.sleep(BATCH_GET_BACKOFF_SECONDS * 2 ** (attempt - 1))
                # pynamodb types `keys` as strings, but its key map builder takes {attribute: value} dicts
                response = self._table.batch_get_item(
                    pending,  # type: ignore[arg-type]
                    consistent_read=True,
                )
                for raw in response.get("Responses", {}).get(self._table_name, []):
                    found.setdefault(raw["sk"]["S"], []).append(raw)
                unprocessed = response.get("UnprocessedKeys", {}).get(self._table_name, {}).get("Keys", [])
                pending = [{"pk": key["pk"]["S"], "sk": key["sk"]["S"]} for key in unprocessed]
                if not pending:
                    break
            if pending:
                raise StorageUnavailable(f"{len(pending)} records left unprocessed after {BATCH_GET_ATTEMPTS} reads")
        return found

    # the send timeline (pacing) -------------------------------------------------------------

    def reserve(self, now: datetime, seconds: float, max_wait: float) -> datetime | None:
        record = SendTimelineRecord(pk=keys.SEND_TIMELINE_PK, sk=keys.STACK_SK)
        at = now.timestamp()
        free = SendTimelineRecord.next_free
        for _ in range(TIMELINE_ATTEMPTS):
            # idle: the booking starts now
            if self._try_update(record, [free.set(at + seconds)], free.does_not_exist() | (free <= at)):
                return now
            # busy: it starts where the timeline is booked up to, if that is not too far ahead
            booked = self._try_update(record, [free.set(free + seconds)], (free > at) & (free <= at + max_wait))
            if booked:
                return from_epoch(float(record.next_free) - seconds)
        return None

    def push_back(self, now: datetime, seconds: float) -> None:
        record = SendTimelineRecord(pk=keys.SEND_TIMELINE_PK, sk=keys.STACK_SK)
        at = now.timestamp()
        free = SendTimelineRecord.next_free
        for _ in range(TIMELINE_ATTEMPTS):
            if self._try_update(record, [free.set(at + seconds)], free.does_not_exist() | (free <= at)):
                return
            # never more than a minute ahead: a storm of throttles must not stop sending for long
            if self._try_update(record, [free.set(free + seconds)], (free > at) & (free <= at + 60)):
                return

    @staticmethod
    def _try_update(record: Any, actions: list[Any], condition: Any) -> bool:
        try:
            record.update(actions=actions, condition=condition)
        except UpdateError as error:
            if _condition_failed(error):
                return False
            raise StorageUnavailable(f"stack record not written: {error.cause_response_code}") from error
        return True

    # the daily email cap ----------------------------------------------------------------------

    def add_emails(self, firm_id: str, day: date, emails: int, cap: int) -> bool:
        record = DailyEmailsRecord(pk=keys.daily_emails_pk(firm_id), sk=day.isoformat())
        count = DailyEmailsRecord.emails
        expires = datetime.combine(day + timedelta(days=3), datetime.min.time(), tzinfo=UTC)
        return self._try_update(
            record,
            [count.add(emails), DailyEmailsRecord.expiration.set(int(expires.timestamp()))],
            count.does_not_exist() | (count <= cap - emails),
        )

    def emails_sent(self, firm_id: str, day: date) -> int:
        record = self._get(DailyEmailsRecord, keys.daily_emails_pk(firm_id), day.isoformat())
        return 0 if record is None else int(record.emails or 0)

    # the scan's lock --------------------------------------------------------------------------

    def lock(self, owner: str, now: datetime, until: datetime) -> ScanLease | None:
        record = ScanStateRecord(pk=keys.SCAN_STATE_PK, sk=keys.STACK_SK)
        lease = ScanStateRecord.lease_until
        taken = self._try_update(
            record,
            [ScanStateRecord.owner.set(owner), lease.set(epoch(until))],
            lease.does_not_exist() | (lease <= epoch(now)),
        )
        if not taken:
            return None
        return ScanLease(owner=owner, cursor=int(record.cursor or 0), in_flight=list(record.in_flight or []))

    def note_in_flight(self, owner: str, bodies: Sequence[str]) -> None:
        record = ScanStateRecord(pk=keys.SCAN_STATE_PK, sk=keys.STACK_SK)
        action = ScanStateRecord.in_flight.set(list(bodies)) if bodies else ScanStateRecord.in_flight.remove()
        if not self._try_update(record, [action], ScanStateRecord.owner == owner):
            raise ConcurrentModification("the scan lock moved to another scan")

    def unlock(self, owner: str, cursor: int, keep_in_flight: bool = False) -> None:
        record = ScanStateRecord(pk=keys.SCAN_STATE_PK, sk=keys.STACK_SK)
        actions = [
            ScanStateRecord.owner.remove(),
            ScanStateRecord.lease_until.remove(),
            ScanStateRecord.cursor.set(cursor),
        ]
        if not keep_in_flight:
            actions.append(ScanStateRecord.in_flight.remove())
        self._try_update(record, actions, ScanStateRecord.owner == owner)

    @staticmethod
    def _account_and_firm(found: dict[str, list[dict[str, Any]]]) -> tuple[Account | None, Firm | None]:
        accounts, firms = found.get(keys.ACCOUNT_SK), found.get(keys.FIRM_SK)
        account = account_from_record(AccountRecord.from_raw_data(accounts[0])) if accounts else None
        firm = firm_from_record(FirmRecord.from_raw_data(firms[0])) if firms else None
        return account, firm

    @staticmethod
    def _save_versioned(record: Any, model: Any, version: int, identifier: str) -> None:
        condition = model.pk.does_not_exist() if version == 0 else model.version == version
        try:
            record.save(condition=condition)
        except PutError as error:
            if _condition_failed(error):
                raise ConcurrentModification(identifier) from error
            raise

    @staticmethod
    def _get(model: type[R], pk: str, sk: str) -> R | None:
        try:
            return model.get(pk, sk, consistent_read=True)
        except model.DoesNotExist:
            return None

    def _account_index_page(
        self,
        model: Any,
        listing: paging.Listing,
        reading: tuple[str, str],
        prefix: str,
        limit: int,
        token: str | None,
        convert: Callable[[Any], T],
    ) -> Page[T]:
        """A page of the records of one kind (`prefix`) in an account-index partition. The index
        copies keys only: the records themselves are read by key, consistently, in index order; one
        that changed since its index entry was written (now elsewhere in the index, or gone) is left out."""
        page = self._page(
            lambda start: model.account_index.query(
                reading[1], model.gsi1sk.startswith(prefix), limit=limit + 1, last_evaluated_key=start
            ),
            listing,
            reading,
            limit,
            token,
            lambda entry: (entry.pk, entry.sk),
            prefix=prefix,
        )
        found = {(raw["pk"]["S"], raw["sk"]["S"]): raw for raws in self._batch_get(page.items).values() for raw in raws}
        records = [model.from_raw_data(found[key]) for key in page.items if key in found]
        current = [r for r in records if r.gsi1pk == reading[1] and r.gsi1sk.startswith(prefix)]
        return Page(items=[convert(record) for record in current], next_token=page.next_token)

    @staticmethod
    def _page(
        query: Callable[[dict[str, dict[str, Any]] | None], Iterator[Any]],
        listing: paging.Listing,
        reading: tuple[str, str],
        limit: int,
        token: str | None,
        convert: Callable[[Any], T],
        prefix: str | None = None,
    ) -> Page[T]:
        """A page of `listing` in the partition `reading` = (firm id, partition key), after `token`'s
        position (paging.py); `prefix` is the query's begins_with range on the listing's sort key."""
        start = None
        if token:
            key = listing.decode(token, *reading)
            place = paging.within(key, listing.sort, prefix)
            if place is False:  # a position after every entry of the range: nothing follows it
                return Page(items=[], next_token=None)
            start = None if place is None else {name: {"S": value} for name, value in key.items()}
        try:
            records = list(query(start))
        except QueryError as error:
            # A start key DynamoDB finds unusable: the caller's token (every token in the grammar
            # makes a key of the right shape, so this is a safety net), not our fault.
            if start is not None and error.cause_response_code == "ValidationException":
                raise InvalidPageToken() from error
            raise
        next_token = None
        if len(records) > limit:
            records = records[:limit]
            next_token = listing.token_of(records[-1])
        return Page(items=[convert(r) for r in records], next_token=next_token)


def _not_escalated(partition: str, in_range: Any, start: dict[str, dict[str, str]] | None, most: int) -> Iterator[Any]:
    """The worklist's entries in range less the escalated ones (escalated_at is projected). Each
    request asks for what the page still lacks: DynamoDB's Limit counts the entries read before the
    filter, and pynamodb would ask for `most` again and drop what it did not need."""
    pages = ItemRecord.worklist_index.query(
        partition, in_range, filter_condition=ItemRecord.escalated_at.does_not_exist(),
        page_size=most, last_evaluated_key=start,
    ).page_iter  # fmt: skip
    found: list[ItemRecord] = []
    while len(found) < most:
        pages.page_size = most - len(found)
        page = next(pages, None)
        if page is None:
            break
        found += map(ItemRecord.from_raw_data, page.get("Items", []))
    return iter(found)
