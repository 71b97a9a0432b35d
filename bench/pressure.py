"""Benchmark of delivery under pressure (SPEC R14), with a latency model instead of moto:

    .venv/bin/python -m bench.pressure [--due 100000] [--reminders 700] [--ses-rate 14]

1. Scan throughput. 100,000 due items over the 8 shards of the due index; every DynamoDB and SQS
   call takes 10 ms (the in-region median): a claim, a queue batch, the lock and its in-flight
   note, a page of 1,000 due-index entries. The real `run_scan` runs tick after tick, each with the
   scan function's time budget (300 s, stopping with 20 s left), until every shard is drained.
   Target: <= 120 s of scan time. Reported: ticks, claims a second, what each tick took from each
   shard. Then again with ticks cut short (20 s each, an overloaded scan): every tick must take from
   every shard (none starves) and the ticks must drain them all.
2. Send rate under a backlog. A backlog of reminders (2 notify contacts each) is drained by 5
   concurrent send functions (threads, each with its own pacer as each Lambda has), through the real
   `SendBatch` and `Deliverer`, against in-memory storage whose calls take 10 ms and an SES that
   allows 14 sends in any second and throttles the rest (each call 10 ms). Target: >= 0.8 x the SES
   rate, 0 reminders given up, 0 contacts emailed twice.

The wall clock is real (the latency model sleeps), so the figures are times a deployment would
see, minus Python's own cost on this machine. Prints a table and writes bench/pressure.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import ROOT
from portal_reminders import ids
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    AuditEvent,
    Claim,
    Contact,
    Firm,
    ItemRef,
    Kind,
    Language,
    ReminderSettings,
)
from portal_reminders.models.errors import ConcurrentModification
from portal_reminders.models.messages import ScheduledEmailMessage, to_body
from portal_reminders.observability import logger
from portal_reminders.ports import Mailer, MailThrottled, OutgoingEmail, SendQuota
from portal_reminders.reminders.delivery.daily_cap import DailyCap
from portal_reminders.reminders.delivery.pacing import SendPacer
from portal_reminders.reminders.delivery.scan import run_scan
from portal_reminders.reminders.workers.send_batch import FailedRecord, SendBatch
from portal_reminders.repository import keys
from portal_reminders.repository.ports import DeliverySnapshot, DueEntry, ItemRepository, Page, TaskEntry
from portal_reminders.settings import Settings
from portal_reminders.wiring import Services
from tests.support.fakes import (
    FakeDailyEmails,
    FakeDueItems,
    FakeMailAccount,
    FakeScanState,
    FakeSendQueue,
    FakeSendTimeline,
)

RESULTS = Path(__file__).resolve().parent / "pressure.json"
LATENCY = 0.010
PAGE = 1_000
SCAN_TIMEOUT = 300.0
SCAN_MARGIN = 20.0
TARGET_SCAN_SECONDS = 120.0
TARGET_RATE_SHARE = 0.8
SEND_WORKERS = 5
SQS_BATCH = 10

ENVIRONMENT = {
    "TABLE_NAME": "bench",
    "SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/send",
    "SENDER_ADDRESS": "reminders@portal.example.com",
    "PORTAL_BASE_URL": "https://portal.example.com",
    "AWS_REGION": "us-east-1",
}


def say(message: str) -> None:
    print(message, flush=True)


def wait() -> None:
    time.sleep(LATENCY)


# --- 1. scan throughput -----------------------------------------------------------------------


class SlowDueIndex(FakeDueItems):
    """The due index with DynamoDB's latency; a claimed entry leaves it, as the real index shows."""

    def due_entries(self, shard: str, now: datetime) -> Iterator[DueEntry]:
        self.queried.append((shard, now))
        entries = [e for e in self.shards[shard] if e.ref.item_id not in self.claims]
        for start in range(0, len(entries), PAGE):
            wait()
            yield from entries[start : start + PAGE]
        if not entries:
            wait()

    def claim(self, entry: DueEntry, claim: Claim) -> bool:
        wait()
        return super().claim(entry, claim)

    def release(self, entry: DueEntry, claim: Claim) -> bool:
        wait()
        return super().release(entry, claim)


class SlowQueue(FakeSendQueue):
    def enqueue(self, bodies: Sequence[str]) -> list[str]:
        for _ in range(0, len(bodies), SQS_BATCH):
            wait()
        return super().enqueue(bodies)


class SlowScanState(FakeScanState):
    def lock(self, owner: str, now: datetime, until: datetime) -> Any:
        wait()
        return super().lock(owner, now, until)

    def note_in_flight(self, owner: str, bodies: Sequence[str]) -> None:
        wait()
        super().note_in_flight(owner, bodies)

    def unlock(self, owner: str, cursor: int, keep_in_flight: bool = False) -> None:
        wait()
        super().unlock(owner, cursor, keep_in_flight)


def due_entries(count: int, now: datetime) -> list[DueEntry]:
    return [
        DueEntry(
            ref=ItemRef(firm_id="bench-firm", item_id=ids.new_id(ids.ITEM), account_id=ids.new_id(ids.ACCOUNT)),
            next_reminder_at=int((now - timedelta(minutes=1)).timestamp()),
            notified=True,
            reminders_sent=0,
            claim=None,
        )
        for _ in range(count)
    ]


def scan_throughput(due: int, budget: float = SCAN_TIMEOUT - SCAN_MARGIN) -> dict[str, Any]:
    settings = Settings.model_validate(ENVIRONMENT)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    index = SlowDueIndex(due_entries(due, now))
    queue, state = SlowQueue(), SlowScanState()
    ticks: list[dict[str, Any]] = []
    total = 0.0
    say(
        f"scan: {due:,} due items over {keys.DUE_SHARDS} shards, every call {LATENCY * 1000:.0f} ms,"
        f" {budget:g} s a tick ..."
    )
    while len(index.claims) < due and len(ticks) < 50:
        started = time.perf_counter()

        def out_of_time(began: float = started) -> bool:
            return time.perf_counter() - began > budget

        tick = now + timedelta(minutes=5 * len(ticks))
        report = run_scan(tick, index, state, queue, settings, out_of_time=out_of_time, now=lambda t=tick: t)
        seconds = time.perf_counter() - started
        total += seconds
        ticks.append(
            {
                "seconds": round(seconds, 2),
                "claimed": report.claimed,
                "queued": report.queued,
                "stopped_early": report.stopped_early,
                "claimed_by_shard": dict(sorted(report.claimed_by_shard.items())),
            }
        )
        early = report.stopped_early
        say(f"  tick {len(ticks)}: claimed {report.claimed:,} in {seconds:.1f} s (stopped early: {early})")
    drained = {
        shard: sum(1 for e in entries if e.ref.item_id in index.claims) for shard, entries in index.shards.items()
    }
    shares = _least_over_most_served(ticks, {shard: len(entries) for shard, entries in index.shards.items()})
    return {
        "due_items": due,
        "tick_budget_seconds": budget,
        "latency_ms": LATENCY * 1000,
        "scan_concurrency": settings.scan_concurrency,
        "scan_seconds": round(total, 1),
        "ticks": len(ticks),
        "claimed": len(index.claims),
        "queued_messages": len(queue.bodies),
        "claims_per_second": round(len(index.claims) / total, 1) if total else None,
        "most_claims_at_once": index.most_claims_at_once,
        "shards_drained": {
            shard: f"{drained[shard]}/{len(entries)}" for shard, entries in sorted(index.shards.items())
        },
        "every_shard_drained": all(drained[s] == len(e) for s, e in index.shards.items()),
        # per tick, the least-served shard's claims over the most-served one's, among the shards the
        # tick left unfinished (1.0: perfectly even; 0: a shard starved; a tick that finished every
        # shard it touched starved none)
        "least_over_most_served_shard_per_tick": [round(share, 2) for share in shares],
        "per_tick": ticks,
        "target_seconds": TARGET_SCAN_SECONDS,
        "passed": total <= TARGET_SCAN_SECONDS and len(index.claims) == due,
    }


def _least_over_most_served(ticks: list[dict[str, Any]], sizes: dict[str, int]) -> list[float]:
    """A shard drained within a tick got all it had; only a shard the tick left items on can have
    been starved, so each tick compares those shards' claims with the most any shard got."""
    left = dict(sizes)
    shares = []
    for tick in ticks:
        claimed: dict[str, int] = tick["claimed_by_shard"]
        if not tick["claimed"]:
            continue
        for shard, count in claimed.items():
            left[shard] -= count
        unfinished = [claimed.get(shard, 0) for shard, remaining in left.items() if remaining > 0]
        shares.append(min(unfinished) / max(claimed.values()) if unfinished else 1.0)
    return shares


# --- 2. send rate under a backlog ---------------------------------------------------------------


class MemoryStore(ItemRepository):
    """Items, accounts and firms in memory with the real repository's version check; every call
    takes DynamoDB's latency. Shared by the send workers (thread-safe)."""

    def __init__(self) -> None:
        self.items: dict[str, ActionItem] = {}
        self.accounts: dict[str, Account] = {}
        self.firms: dict[str, Firm] = {}
        self.events: list[AuditEvent] = []
        self.lock = threading.Lock()

    def get_item(self, firm_id: str, item_id: str) -> ActionItem | None:
        wait()
        return self.items.get(item_id)

    def load_for_delivery(self, ref: ItemRef) -> DeliverySnapshot:
        wait()
        return self._snapshot(ref)

    def load_for_deliveries(self, refs: Sequence[ItemRef]) -> dict[ItemRef, DeliverySnapshot]:
        wait()
        return {ref: self._snapshot(ref) for ref in refs}

    def _snapshot(self, ref: ItemRef) -> DeliverySnapshot:
        return DeliverySnapshot(
            item=self.items.get(ref.item_id),
            account=self.accounts.get(ref.account_id),
            firm=self.firms.get(ref.firm_id),
        )

    def save_item(self, item: ActionItem, events: Sequence[AuditEvent] = ()) -> ActionItem:
        wait()
        with self.lock:
            stored = self.items.get(item.id)
            if item.version != (stored.version if stored is not None else 0):
                raise ConcurrentModification(item.id)
            saved = replace(item, version=item.version + 1)
            self.items[item.id] = saved
            self.events.extend(events)
            return saved

    def get_items(self, firm_id: str, item_ids: Sequence[str]) -> list[ActionItem]:
        raise NotImplementedError

    def list_items(self, *args: Any) -> Page[ActionItem]:
        raise NotImplementedError

    def list_tasks(self, *args: Any) -> Page[TaskEntry]:
        raise NotImplementedError

    def item_audit(self, *args: Any) -> Page[AuditEvent]:
        raise NotImplementedError

    def account_audit(self, *args: Any) -> Page[AuditEvent]:
        raise NotImplementedError


class SlowTimeline(FakeSendTimeline):
    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def reserve(self, now: datetime, seconds: float, max_wait: float) -> datetime | None:
        wait()
        with self.lock:
            return super().reserve(now, seconds, max_wait)

    def push_back(self, now: datetime, seconds: float) -> None:
        wait()
        with self.lock:
            super().push_back(now, seconds)


class SlowDailyEmails(FakeDailyEmails):
    def add_emails(self, firm_id: str, day: date, emails: int, cap: int) -> bool:
        wait()
        return super().add_emails(firm_id, day, emails, cap)


class ModelSes(Mailer):
    """SES with a maximum send rate: more than `rate` calls in any second are throttled."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.accepted: list[tuple[float, str]] = []
        self.throttled = 0
        self._recent: deque[float] = deque()
        self._lock = threading.Lock()

    def send(self, email: OutgoingEmail) -> str:
        time.sleep(LATENCY)
        with self._lock:
            at = time.monotonic()
            while self._recent and self._recent[0] <= at - 1.0:
                self._recent.popleft()
            if len(self._recent) >= self.rate:
                self.throttled += 1
                raise MailThrottled("TooManyRequestsException: Maximum sending rate exceeded.")
            self._recent.append(at)
            self.accepted.append((at, email.to))
            return f"ses-{len(self.accepted)}"


@dataclass(order=True)
class _Queued:
    visible_at: float
    body: str = field(compare=False)
    receive_count: int = field(default=0, compare=False)
    handle: str = field(default="", compare=False)


class ModelQueue(FakeSendQueue):
    """SQS for the benchmark: messages become visible at their time; a failed one comes back after
    the delay the send function asked for."""

    def __init__(self, bodies: Sequence[str]) -> None:
        super().__init__()
        self._waiting = [_Queued(0.0, body) for body in bodies]
        self._in_flight: dict[str, _Queued] = {}
        self._lock = threading.Lock()
        self._handles = 0

    def receive(self, limit: int) -> list[_Queued]:
        now = time.monotonic()
        with self._lock:
            ready = [m for m in self._waiting if m.visible_at <= now][:limit]
            for message in ready:
                self._waiting.remove(message)
                self._handles += 1
                message.receive_count += 1
                message.handle = f"h{self._handles}"
                message.visible_at = now + 180
                self._in_flight[message.handle] = message
            return ready

    def done(self, message: _Queued) -> None:
        with self._lock:
            self._in_flight.pop(message.handle, None)

    def retry_later(self, delays: Sequence[tuple[str, int]]) -> None:
        with self._lock:
            for handle, seconds in delays:
                message = self._in_flight.pop(handle, None)
                if message is not None:
                    message.visible_at = time.monotonic() + seconds
                    self._waiting.append(message)

    @property
    def remaining(self) -> int:
        with self._lock:
            return len(self._waiting) + len(self._in_flight)


def backlog(reminders: int, store: MemoryStore, now: datetime) -> list[str]:
    firm = Firm(id="bench-firm", name="Bench & Co")
    store.firms[firm.id] = firm
    bodies = []
    for n in range(reminders):
        account = Account(
            firm_id=firm.id,
            id=ids.new_id(ids.ACCOUNT),
            name=f"Client {n}",
            language=Language.EN,
            contacts=tuple(
                Contact(id=ids.new_id(ids.CONTACT), name=f"C{n}-{c}", email=f"c{n}-{c}@client.example", notify=True)
                for c in range(2)
            ),
            created_at=now - timedelta(days=30),
        )
        store.accounts[account.id] = account
        item = ActionItem(
            firm_id=firm.id,
            id=ids.new_id(ids.ITEM),
            account_id=account.id,
            kind=Kind.ORGANIZER,
            title=f"Organizer {n}",
            sent_at=now - timedelta(days=3),
            created_by="bench",
            reminders=ReminderSettings(enabled=True, days_between=3, max_reminders=1),
            notified=True,
            last_emailed_at=now - timedelta(days=3),
            claim=Claim(number=1, until=now + timedelta(days=4)),
            version=1,
        )
        store.items[item.id] = item
        message = ScheduledEmailMessage(firm_id=firm.id, item_id=item.id, account_id=account.id, number=1)
        bodies.append(to_body(message))
    return bodies


def worker_services(
    settings: Settings,
    store: MemoryStore,
    timeline: SlowTimeline,
    daily: SlowDailyEmails,
    ses: ModelSes,
    queue: Any,
    rate: float,
) -> Services:
    services = Services(settings)
    account = FakeMailAccount(SendQuota(max_send_rate=rate, max_24_hour_send=0.0, sent_last_24_hours=0.0))
    services.__dict__.update(
        repository=store,
        queue=queue,
        mailer=ses,
        pacer=SendPacer(timeline, account, settings.send_rate_limit, settings.send_max_wait_seconds),
        daily_cap=DailyCap(daily, settings.daily_email_cap),
    )
    return services


def send_rate(reminders: int, rate: float) -> dict[str, Any]:
    settings = Settings.model_validate(ENVIRONMENT)
    store, timeline, daily, ses = MemoryStore(), SlowTimeline(), SlowDailyEmails(), ModelSes(rate)
    now = datetime.now(UTC)
    queue = ModelQueue(backlog(reminders, store, now))
    failures: Counter[str] = Counter()
    emails = 2 * reminders
    say(f"send: {reminders:,} reminders ({emails:,} emails) queued, {SEND_WORKERS} send functions, SES at {rate:g}/s")

    crashed: list[str] = []

    def worker() -> None:
        try:
            work()
        except Exception as error:
            crashed.append(f"{type(error).__name__}: {error}")

    def work() -> None:
        services = worker_services(settings, store, timeline, daily, ses, queue, rate)
        while queue.remaining:
            batch = queue.receive(SQS_BATCH)
            if not batch:
                time.sleep(0.05)
                continue
            send_batch = SendBatch([m.body for m in batch], services)
            failed = []
            for message in batch:
                try:
                    send_batch.handle(message.body)
                    queue.done(message)
                except Exception as error:
                    failures[type(error).__name__] += 1
                    failed.append(FailedRecord(message.handle, message.handle, message.receive_count, error))
            send_batch.retry_later(failed)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, name=f"send-{n}") for n in range(SEND_WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    sent_to = Counter(to for _, to in ses.accepted)
    given_up = sum(1 for e in store.events if e.type.value == "email_failed")
    recorded = sum(1 for i in store.items.values() if i.reminders_sent == 1)
    busiest = max((sum(1 for t, _ in ses.accepted if a <= t < a + 1) for a, _ in ses.accepted), default=0)
    emails_per_second = len(ses.accepted) / seconds
    return {
        "reminders": reminders,
        "emails": len(ses.accepted),
        "send_functions": SEND_WORKERS,
        "ses_max_send_rate": rate,
        "latency_ms": LATENCY * 1000,
        "seconds": round(seconds, 1),
        "emails_per_second": round(emails_per_second, 2),
        "share_of_ses_rate": round(emails_per_second / rate, 3),
        "most_sends_in_any_second": busiest,
        "throttles": ses.throttled,
        "failed_records_by_reason": dict(failures),
        "reminders_recorded": recorded,
        "reminders_given_up": given_up,
        "contacts_emailed_twice": sum(1 for n in sent_to.values() if n > 1),
        "timeline_bookings": len(timeline.bookings),
        "daily_cap_writes": daily.writes,
        "workers_crashed": crashed,
        "target_share": TARGET_RATE_SHARE,
        "passed": emails_per_second >= TARGET_RATE_SHARE * rate
        and given_up == 0
        and recorded == reminders
        and not crashed,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pressure", description=__doc__.splitlines()[0])
    parser.add_argument("--due", type=int, default=100_000, help="due items for the scan (default 100000)")
    parser.add_argument("--reminders", type=int, default=700, help="reminders in the send backlog (default 700)")
    parser.add_argument("--ses-rate", type=float, default=14.0, help="SES maximum send rate (default 14)")
    parser.add_argument(
        "--overload-budget", type=float, default=20.0, help="a tick's time in the overloaded scan run (default 20 s)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    logger.setLevel("ERROR")  # the functions' own logs; the benchmark prints its figures
    scan = scan_throughput(args.due)
    overloaded = scan_throughput(args.due, budget=args.overload_budget)
    send = send_rate(args.reminders, args.ses_rate)
    say("")
    say(f"{'figure':<58} {'value':>14}  target")
    rows: list[tuple[str, str, str]] = [
        ("scan: due items claimed and queued", f"{scan['claimed']:,}", f"{args.due:,}"),
        ("scan: total scan time (s)", f"{scan['scan_seconds']}", f"<= {TARGET_SCAN_SECONDS:g}"),
        ("scan: ticks / claims a second", f"{scan['ticks']} / {scan['claims_per_second']}", ""),
        ("scan: every shard drained", str(scan["every_shard_drained"]), "True"),
        (
            f"overloaded scan ({args.overload_budget:g} s a tick): ticks to drain",
            str(overloaded["ticks"]),
            "",
        ),
        (
            "overloaded scan: least/most-served shard per tick (worst)",
            str(min(overloaded["least_over_most_served_shard_per_tick"], default=0)),
            "> 0",
        ),
        (
            "send: emails a second (share of the SES rate)",
            f"{send['emails_per_second']} ({send['share_of_ses_rate']:.0%})",
            f">= {TARGET_RATE_SHARE:.0%}",
        ),
        ("send: most sends in any second", str(send["most_sends_in_any_second"]), f"<= {args.ses_rate:g}"),
        ("send: throttles", str(send["throttles"]), ""),
        (
            "send: reminders recorded / given up",
            f"{send['reminders_recorded']} / {send['reminders_given_up']}",
            f"{args.reminders} / 0",
        ),
        ("send: contacts emailed twice", str(send["contacts_emailed_twice"]), "0"),
    ]
    for name, value, target in rows:
        say(f"{name:<58} {value:>14}  {target}")
    document = {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "python": sys.version.split()[0],
        "scan_throughput": scan,
        "scan_overloaded": overloaded,
        "send_rate_under_backlog": send,
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    say(f"wrote {shown}")
    starved = min(overloaded["least_over_most_served_shard_per_tick"], default=0) == 0
    return 0 if scan["passed"] and send["passed"] and overloaded["every_shard_drained"] and not starved else 1


if __name__ == "__main__":
    sys.exit(main())
