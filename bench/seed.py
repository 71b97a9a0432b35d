"""The data the benchmark runs against: one firm, its accounts, 100,000 items no scan should touch
and 1,000 due ones. Items are domain objects written as the records the product's own mapping
makes (item_to_record), so every index attribute is derived exactly as the product derives it.
Written with the benchmark's own boto3 client: seeding is not measured."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from portal_reminders.models.domain import (
    Account,
    ActionItem,
    Contact,
    EmailStage,
    EmailWording,
    Firm,
    Invoice,
    Kind,
    Language,
    ReminderSettings,
    Schedule,
    Status,
    Step,
    StepStatus,
    WordingKey,
)
from portal_reminders.reminders.scheduling import policy, sequences
from portal_reminders.repository.mapping import account_to_record, firm_to_record, item_to_record
from portal_reminders.repository.wordings import wording_to_record

FIRM_ID = "firm-bench-contabilidade"
CREATED_BY = "user-bench"
BATCH_WRITE = 25
UNPROCESSED_ATTEMPTS = 10
WORDING_SUBJECT = "{{item_title}}: {{firm_name}} is waiting"
WORDING_BODY = "{{item_title}} was first sent on {{first_sent_on}}.\n\nPlease open it in your portal."
KINDS = (Kind.ORGANIZER, Kind.PROPOSAL, Kind.INVOICE, Kind.SIGNATURE, Kind.APPROVAL, Kind.CHAT)
NON_DUE_SHAPES = ("completed", "disabled", "due_later")
# --sequences: every item on a due-date schedule (SPEC R19) of four steps around its due date
STEPS = (Step(-3), Step(0), Step(7), Step(14))
# --escalation: every item escalates this many days after its last reminder (SPEC R19), and one due
# item in ESCALATING_EVERY is its escalation (its reminders over): it emails the firm, not the client
ESCALATE_AFTER_DAYS = 7
ESCALATING_EVERY = 10
ESCALATION_EMAIL = "partners@silva.example.com"


@dataclass
class Seeded:
    firm: Firm
    accounts: list[Account]
    # item id -> the reminders_sent it must have once its due reminder is recorded
    due: dict[str, int] = field(default_factory=dict)
    # the due items whose round is their escalation (--escalation)
    escalating: set[str] = field(default_factory=set)
    shapes: Counter[str] = field(default_factory=Counter)
    on_due_index: int = 0
    records: int = 0
    seconds: float = 0.0


def _hex_id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}_{uuid.UUID(int=rng.getrandbits(128)).hex}"


def _accounts(rng: random.Random, count: int, now: datetime) -> list[Account]:
    accounts = []
    for n in range(count):
        account_id = _hex_id(rng, "acc")
        contacts = (
            Contact(id=_hex_id(rng, "ct"), name=f"Ana {n}", email=f"ana.{n}@client{n}.example.com", notify=True),
            Contact(id=_hex_id(rng, "ct"), name=f"Bruno {n}", email=f"bruno.{n}@client{n}.example.com", notify=True),
            Contact(id=_hex_id(rng, "ct"), name=f"Carla {n}", email=f"carla.{n}@client{n}.example.com", notify=False),
        )
        accounts.append(
            Account(
                firm_id=FIRM_ID,
                id=account_id,
                name=f"Client {n} Ltda",
                language=Language.PT_PT if n % 2 else Language.EN,
                contacts=contacts,
                created_at=now - timedelta(days=400),
            )
        )
    return accounts


def _base_item(rng: random.Random, n: int, account: Account, now: datetime) -> ActionItem:
    kind = KINDS[n % len(KINDS)]
    sent_at = now - timedelta(days=rng.randint(20, 90), seconds=rng.randint(0, 86_399))
    invoice, due_date = None, None
    if kind is Kind.INVOICE:
        invoice, due_date = Invoice(amount=Decimal("1250.00"), currency="BRL"), date(2026, 12, 15)
    return ActionItem(
        firm_id=FIRM_ID,
        id=_hex_id(rng, "itm"),
        account_id=account.id,
        kind=kind,
        title=f"{kind.value.title()} #{n}",
        sent_at=sent_at,
        created_by=CREATED_BY,
        message="Please take a look at your portal." if n % 4 == 0 else None,
        invoice=invoice,
        due_date=due_date,
        notified=True,
        last_emailed_at=sent_at,
        reminders=ReminderSettings(enabled=True, days_between=rng.randint(3, 14), max_reminders=3),
    )


def _by_due_date(rng: random.Random, item: ActionItem, now: datetime, due: bool) -> ActionItem:
    """The item on a due-date schedule: a due one has steps come since its last email (one or
    several: the scan's round carries out the latest and skips the others), a due-later one its
    next step still ahead; the steps before its reminders_sent are marked sent."""
    sent = rng.randint(0, 1)
    if due:
        # the first open step's day is today or up to six days ago (09:00 on it: come by now)
        last = now - timedelta(days=rng.randint(2, 6))
        first_open = now.date() - timedelta(days=rng.randint(0, 6))
    else:
        last = now - timedelta(hours=rng.randint(1, 47))
        first_open = now.date() + timedelta(days=rng.randint(1, 20))
    due_date = first_open - timedelta(days=STEPS[sent].days)
    item = replace(
        item,
        reminders=ReminderSettings(enabled=True, schedule=Schedule.DUE_DATE, steps=STEPS),
        due_date=due_date,
        last_emailed_at=last,
        reminders_sent=sent,
        step_marks={step.days: StepStatus.SENT for step in STEPS[:sent]},
    )
    if sequences.next_step_time(item) != sequences.step_time(due_date, STEPS[sent], item.zone):
        raise RuntimeError(f"the first open step of {item.id} is not step {sent}")
    return item


def _escalating(rng: random.Random, item: ActionItem, now: datetime) -> ActionItem:
    """A due item whose reminders are over (every step sent, the last ESCALATE_AFTER_DAYS and up to
    two days ago): its due round is the escalation."""
    last = now - timedelta(days=ESCALATE_AFTER_DAYS, minutes=rng.randint(1, 2 * 24 * 60))
    due_date = last.date() - timedelta(days=STEPS[-1].days)
    item = replace(
        item,
        due_date=due_date,
        last_emailed_at=last,
        last_reminder_at=last,
        reminders_sent=len(STEPS),
        step_marks={step.days: StepStatus.SENT for step in STEPS},
    )
    if not policy.escalating(item):
        raise RuntimeError(f"{item.id} would not escalate")
    return item


def _escalates(item: ActionItem) -> ActionItem:
    return replace(item, reminders=replace(item.reminders, escalate_after_days=ESCALATE_AFTER_DAYS))


def non_due_item(
    rng: random.Random, n: int, account: Account, now: datetime, by_due_date: bool = False, escalation: bool = False
) -> tuple[str, ActionItem]:
    """Completed (off the index), reminders disabled (off the index) or due later (on it)."""
    item = _base_item(rng, n, account, now)
    shape = NON_DUE_SHAPES[n % len(NON_DUE_SHAPES)]
    if shape == "completed":
        item = replace(item, status=Status.COMPLETED, completed_at=now - timedelta(days=2))
    elif shape == "disabled":
        item = replace(item, reminders=ReminderSettings(enabled=False))
    elif by_due_date:
        item = _by_due_date(rng, item, now, due=False)
        item = _escalates(item) if escalation else item
    else:
        last = now - timedelta(hours=rng.randint(1, 47))
        item = replace(item, last_emailed_at=last, reminders_sent=rng.randint(0, 2))
    at = policy.index_time(item)
    if (at is not None) != (shape == "due_later") or (at is not None and at <= now):
        raise RuntimeError(f"a {shape} item would be indexed at {at}")
    return shape, item


def due_item(
    rng: random.Random, n: int, account: Account, now: datetime, by_due_date: bool = False, escalation: bool = False
) -> ActionItem:
    """Notified, reminders on and left, due between a minute and two days ago (six, on a due-date
    schedule), unclaimed."""
    item = _base_item(rng, n, account, now)
    if by_due_date:
        item = _by_due_date(rng, item, now, due=True)
        if escalation:
            item = _escalates(item)
            item = _escalating(rng, item, now) if n % ESCALATING_EVERY == 0 else item
    else:
        days = item.reminders.days_between
        last = now - timedelta(days=days, minutes=rng.randint(1, 2 * 24 * 60))
        item = replace(item, last_emailed_at=last, reminders_sent=rng.randint(0, 2))
    at = policy.index_time(item)
    if at is None or at > now:
        raise RuntimeError(f"a due item would be indexed at {at}")
    return item


def seed(
    dynamodb: Any,
    table_name: str,
    now: datetime,
    non_due: int,
    due: int,
    accounts: int,
    progress: Callable[[str], None],
    seed_value: int = 20261130,
    by_due_date: bool = False,
    digest_of: int = 0,
    wordings: bool = False,
    escalation: bool = False,
) -> Seeded:
    """`digest_of` > 0: the firm sends digests (SPEC R20) and the due items come that many to an
    account of their own (the k-th due item belongs to the k // digest_of-th such account); 0: the
    firm sends one email per item (reminder_digest off) and due items are spread among the
    accounts like the others."""
    started = time.perf_counter()
    rng = random.Random(seed_value)
    firm = Firm(
        id=FIRM_ID,
        name="Silva Contabilidade",
        reply_to="office@silva.example.com",
        escalation_email=ESCALATION_EMAIL if escalation else None,
        reminder_digest=digest_of > 0,
    )
    # the firm's own wording of every kind's emails at every stage a client gets, in both languages
    words = (
        [
            EmailWording(FIRM_ID, WordingKey(kind, stage, language), WORDING_SUBJECT, WORDING_BODY, now, CREATED_BY)
            for kind in KINDS
            for stage in (EmailStage.NOTIFICATION, EmailStage.REMINDER, EmailStage.FINAL)
            for language in Language
        ]
        if wordings
        else []
    )
    firm = replace(firm, wordings=frozenset(w.key.marker for w in words))
    # with digests the due items have accounts of their own, three to each (its other items are the
    # digest's reads: docs/benchmarks.md says what more pending items cost)
    groups = -(-due // digest_of) if digest_of else 0
    seeded = Seeded(firm=firm, accounts=_accounts(rng, accounts + groups, now))
    writer = _BatchWriter(dynamodb, table_name)
    writer.put_all([firm_to_record(firm, version=1).serialize()])
    writer.put_all(wording_to_record(wording).serialize() for wording in words)
    writer.put_all(account_to_record(account, version=1).serialize() for account in seeded.accounts)

    total = non_due + due
    # due items are spread among the others, as they would be in a real table
    due_positions = set(rng.sample(range(total), due))
    report_every = max(total // 20, 1)

    due_order = {n: k for k, n in enumerate(sorted(due_positions))}

    def items() -> Iterator[dict[str, Any]]:
        for n in range(total):
            account = seeded.accounts[n % accounts]
            if digest_of and n in due_positions:
                account = seeded.accounts[accounts + due_order[n] // digest_of]
            if n in due_positions:
                item = due_item(rng, n, account, now, by_due_date, escalation)
                escalating = policy.escalating(item)
                if escalating:
                    seeded.escalating.add(item.id)
                # an escalation leaves reminders_sent as it is
                seeded.due[item.id] = item.reminders_sent + (0 if escalating else 1)
                seeded.shapes["due"] += 1
                seeded.on_due_index += 1
            else:
                shape, item = non_due_item(rng, n, account, now, by_due_date, escalation)
                seeded.shapes[shape] += 1
                seeded.on_due_index += shape == "due_later"
            yield item_to_record(item, version=1).serialize()
            if (n + 1) % report_every == 0 or n + 1 == total:
                elapsed = time.perf_counter() - started
                progress(f"  seeded {n + 1:>7,} / {total:,} items  ({elapsed:6.1f} s)")

    writer.put_all(items())
    seeded.records = writer.written
    seeded.seconds = time.perf_counter() - started
    return seeded


class _BatchWriter:
    """BatchWriteItem in batches of 25, retrying unprocessed items."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        self._dynamodb = dynamodb
        self._table_name = table_name
        self.written = 0

    def put_all(self, items: Iterable[dict[str, Any]]) -> None:
        batch: list[dict[str, Any]] = []
        for item in items:
            batch.append({"PutRequest": {"Item": item}})
            if len(batch) == BATCH_WRITE:
                self._write(batch)
                batch = []
        if batch:
            self._write(batch)

    def _write(self, requests: list[dict[str, Any]]) -> None:
        pending = {self._table_name: requests}
        for _ in range(UNPROCESSED_ATTEMPTS):
            response = self._dynamodb.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                self.written += len(requests)
                return
        raise RuntimeError(f"batch write left {sum(len(r) for r in pending.values())} items unprocessed")
