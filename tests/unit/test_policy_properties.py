"""Properties of the reminder schedule over random histories (SPEC R2-R5).

A small simulator drives the real policy and transitions the way the system does: the api creates
an item claiming its notification and records it; the scan ticks after random gaps, claims what the
due index shows as due and queues it; the sender re-checks the item and records or releases the
round; firm users resend, change settings and complete in between. Hypothesis draws the histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal_reminders import ids
from portal_reminders.models.domain import (
    ActionItem,
    AuditEvent,
    AuditType,
    Claim,
    EmailRound,
    Kind,
    ReminderSettings,
    Status,
)
from portal_reminders.reminders.scheduling import policy
from portal_reminders.reminders.state import transitions
from tests.support.fakes import progress_of

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LEASE = timedelta(hours=1)
MAX_CLAIM_ATTEMPTS = 3
USER = "user-1"
RECIPIENTS = ("a@x.com",)

PROPERTIES = settings(max_examples=200, deadline=None)


# --- the simulator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    """The scheduler runs; with `deliver` the sender takes the queued round at once."""

    gap: timedelta
    deliver: bool = True


@dataclass(frozen=True)
class SenderRuns:
    """The sender drains the queue (messages that waited, possibly beyond their claim's lease)."""

    gap: timedelta


@dataclass(frozen=True)
class SenderDown:
    """The sender is down while the scan keeps ticking every `every`: claims expire and are re-claimed."""

    gap: timedelta
    ticks: int
    every: timedelta


@dataclass(frozen=True)
class Resend:
    gap: timedelta


@dataclass(frozen=True)
class ChangeSettings:
    gap: timedelta
    changes: dict[str, Any]


@dataclass(frozen=True)
class Complete:
    gap: timedelta


Operation = Tick | SenderRuns | SenderDown | Resend | ChangeSettings | Complete


@dataclass(frozen=True)
class Email:
    """One email round recorded on the item, with the item just before and just after it."""

    at: datetime
    mode: str  # "notification" | "auto" | "manual"
    number: int
    before: ActionItem
    after: ActionItem


@dataclass
class Simulation:
    item: ActionItem
    now: datetime = T0
    queue: list[int] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    events: list[AuditEvent] = field(default_factory=list)

    @classmethod
    def start(cls, reminders: ReminderSettings) -> Simulation:
        """The api creates the item claiming its notification, and the notification goes out."""
        item = transitions.new_item(
            firm_id="firm-a",
            account_id=ids.new_id(ids.ACCOUNT),
            kind=Kind.ORGANIZER,
            title="2025 Tax Organizer",
            message=None,
            reminders=reminders,
            invoice=None,
            actor=USER,
            at=T0,
            claim=Claim(number=0, until=T0 + LEASE),
        )
        simulation = cls(item=item)
        simulation._deliver(0)
        return simulation

    def run(self, operations: Sequence[Operation]) -> Simulation:
        for operation in operations:
            self.apply(operation)
        return self

    def apply(self, operation: Operation) -> None:
        self.now += operation.gap
        match operation:
            case Tick(deliver=deliver):
                self.tick(deliver)
            case SenderRuns():
                self.drain()
            case SenderDown(ticks=ticks, every=every):
                for _ in range(ticks):
                    self.tick(deliver=False)
                    self.now += every
            case Resend():
                self.resend()
            case ChangeSettings(changes=changes):
                self._apply(transitions.change_settings(self.item, changes, self.now, USER))
            case Complete():
                if self.item.status is Status.PENDING:
                    self._apply(transitions.complete(self.item, self.now, USER))

    def tick(self, deliver: bool = True) -> int:
        """One scan: claim the item if the due index shows it due, queue the claim. Returns emails sent."""
        sent_before = len(self.emails)
        indexed = policy.index_time(self.item)
        if indexed is not None and indexed <= self.now:
            number = policy.next_number(self.item)
            claim = policy.next_claim(self.item.claim, number, self.now, LEASE)
            if claim.attempts > MAX_CLAIM_ATTEMPTS:
                reason = "no worker recorded this email"
                self._apply(transitions.record_failure(self.item, EmailRound.scheduled(number), self.now, reason))
            else:
                self.item = replace(self.item, claim=claim)
                self.queue.append(number)
        if deliver:
            self.drain()
        return len(self.emails) - sent_before

    def drain(self) -> None:
        queued, self.queue = self.queue, []
        for number in queued:
            self._deliver(number)

    def resend(self) -> None:
        if policy.resend_refusal(self.item) is None:
            email_round = EmailRound.manual(ids.new_id(ids.RESEND), USER, None)
            self._record(email_round, "manual")

    def _deliver(self, number: int) -> None:
        """The sender re-checks the item before sending (SPEC R3) and records or releases the round."""
        email_round = EmailRound.scheduled(number)
        if policy.skip_reason_for_scheduled(self.item, number, self.now) is None:
            self._record(email_round, "notification" if number == 0 else "auto")
        else:
            self.item = transitions.release(self.item, email_round)

    def _record(self, email_round: EmailRound, mode: str) -> None:
        before = self.item
        self._apply(transitions.record_delivery(before, email_round, self.now, progress_of(RECIPIENTS)))
        self.emails.append(Email(self.now, mode, email_round.number, before, self.item))

    def _apply(self, transition: transitions.Transition) -> None:
        self.item, events = transition
        self.events.extend(events)

    @property
    def automatic(self) -> list[Email]:
        return [e for e in self.emails if e.mode == "auto"]


# --- strategies -------------------------------------------------------------------------------

gaps = st.one_of(
    st.integers(1, 120).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 72).map(lambda h: timedelta(hours=h)),
    st.integers(1, 10).map(lambda d: timedelta(days=d)),
    st.integers(1, 140).map(lambda d: timedelta(days=d)),
)
# Biased towards reminders on, short intervals and small counts, so histories reach the interesting
# states (reminders sent, max reached) while still covering the whole range.
enabled = st.one_of(st.just(True), st.booleans())
days_between = st.one_of(st.integers(1, 5), st.integers(1, 365))
max_reminders = st.one_of(st.integers(1, 3), st.integers(1, 50))
reminder_settings = st.builds(ReminderSettings, enabled=enabled, days_between=days_between, max_reminders=max_reminders)
changes = st.fixed_dictionaries(
    {}, optional={"enabled": enabled, "days_between": days_between, "max_reminders": max_reminders}
)

resends = st.builds(Resend, gap=gaps)
settings_changes = st.builds(ChangeSettings, gap=gaps, changes=changes)
firm_actions = st.one_of(resends, settings_changes)


@st.composite
def histories(draw: st.DrawFn, steps: st.SearchStrategy[Operation]) -> list[Operation]:
    """10-50 steps; in half of the histories the client completes the item at a random point."""
    operations = draw(st.lists(steps, min_size=10, max_size=50))
    completed_after = draw(st.none() | st.integers(0, len(operations)))
    if completed_after is not None:
        operations.insert(completed_after, Complete(draw(gaps)))
    return operations


# The sender takes each claimed round at once (the usual case): no claim ever expires.
ticks = st.builds(Tick, gap=gaps)
reliable_histories = histories(st.one_of(ticks, ticks, ticks, firm_actions))
# The sender may lag behind the scan, even beyond the claim's lease: rounds are re-claimed, queued
# twice, or given up after MAX_CLAIM_ATTEMPTS expired leases; firm users act while rounds are queued.
lagging_ticks = st.builds(Tick, gap=gaps, deliver=st.booleans())
sender_down = st.builds(
    SenderDown,
    gap=gaps,
    ticks=st.integers(1, 6),
    every=st.integers(5, 180).map(lambda m: timedelta(minutes=m)),
)
any_histories = histories(
    st.one_of(ticks, ticks, lagging_ticks, sender_down, st.builds(SenderRuns, gap=gaps), firm_actions)
)


def simulate(reminders: ReminderSettings, operations: Sequence[Operation]) -> Simulation:
    return Simulation.start(reminders).run(operations)


# --- properties -------------------------------------------------------------------------------


@PROPERTIES
@given(reminders=reminder_settings, operations=any_histories)
def test_never_more_automatic_reminders_than_max_reminders(
    reminders: ReminderSettings, operations: list[Operation]
) -> None:
    # Given any history of ticks, resends, settings changes and completion
    # When it is simulated
    simulation = simulate(reminders, operations)

    # Then automatic reminders are numbered 1, 2, 3... and each is within the max at the time it went out
    automatic = simulation.automatic
    assert [e.number for e in automatic] == list(range(1, len(automatic) + 1))
    for email in automatic:
        assert email.number <= email.before.reminders.max_reminders
    audited = [e for e in simulation.events if e.type is AuditType.REMINDER_SENT and e.details["mode"] == "auto"]
    assert [(e.details["number"], e.details["number"] <= e.details["of"]) for e in audited] == [
        (n, True) for n in range(1, len(audited) + 1)
    ]


@PROPERTIES
@given(reminders=reminder_settings, operations=any_histories)
def test_no_automatic_reminder_while_disabled_or_after_completion(
    reminders: ReminderSettings, operations: list[Operation]
) -> None:
    # Given any history, including completions and toggles while a round is queued
    # When it is simulated
    simulation = simulate(reminders, operations)

    # Then every automatic reminder went out on a pending item with reminders on
    for email in simulation.automatic:
        assert email.before.reminders.enabled
        assert email.before.status is Status.PENDING
    completed_at = simulation.item.completed_at
    if completed_at is not None:
        assert all(e.at <= completed_at for e in simulation.automatic)


@PROPERTIES
@given(reminders=reminder_settings, operations=any_histories)
def test_each_automatic_reminder_waits_days_between_after_the_latest_email(
    reminders: ReminderSettings, operations: list[Operation]
) -> None:
    # Given any history
    # When it is simulated
    simulation = simulate(reminders, operations)

    # Then each automatic reminder went out no earlier than days_between after the email before it
    for previous, email in zip(simulation.emails, simulation.emails[1:], strict=False):
        if email.mode == "auto":
            assert email.at >= previous.at + timedelta(days=email.before.reminders.days_between)


def _reminders_left(item: ActionItem) -> bool:
    return (
        item.status is Status.PENDING and item.reminders.enabled and item.reminders_sent < item.reminders.max_reminders
    )


@PROPERTIES
@given(reminders=reminder_settings, operations=reliable_histories | any_histories)
@example(
    # reminders every 3 days, 3 times; reminder 1 is claimed three times and never delivered, the
    # fourth scan gives it up, then the firm resends by hand
    reminders=ReminderSettings(enabled=True, days_between=3, max_reminders=3),
    operations=[
        Tick(timedelta(days=3), deliver=False),
        Tick(timedelta(hours=2), deliver=False),
        Tick(timedelta(hours=2), deliver=False),
        Tick(timedelta(hours=2), deliver=False),
        Resend(timedelta(days=1)),
    ],
)
def test_after_every_email_the_next_reminder_is_due_days_between_later(
    reminders: ReminderSettings, operations: list[Operation]
) -> None:
    # Given any history: the sender taking each claimed round at once, or rounds given up after
    # their claims expired
    # When it is simulated
    simulation = simulate(reminders, operations)

    # Then after every email with reminders on and some left, the next is due days_between later
    for email in simulation.emails:
        if _reminders_left(email.after):
            assert policy.due_at(email.after) == email.at + timedelta(days=email.after.reminders.days_between)


@PROPERTIES
@given(reminders=reminder_settings, operations=any_histories)
def test_reminders_sent_counts_only_automatic_reminders(
    reminders: ReminderSettings, operations: list[Operation]
) -> None:
    # Given any history with manual resends mixed in
    # When it is simulated
    simulation = simulate(reminders, operations)

    # Then reminders_sent is the number of automatic reminders, and no manual resend changed it
    assert simulation.item.reminders_sent == len(simulation.automatic)
    for email in simulation.emails:
        if email.mode == "manual":
            assert email.after.reminders_sent == email.before.reminders_sent
    manual = [e for e in simulation.emails if e.mode == "manual"]
    assert simulation.item.manual_reminders_sent == len(manual)


@PROPERTIES
@given(reminders=reminder_settings, operations=any_histories)
def test_every_scheduled_round_is_emailed_at_most_once(
    reminders: ReminderSettings, operations: list[Operation]
) -> None:
    # Given any history, where a lagging sender may find the same round queued twice
    # When it is simulated
    simulation = simulate(reminders, operations)

    # Then the notification went out once, and no reminder number was emailed twice
    scheduled = [e.number for e in simulation.emails if e.mode != "manual"]
    assert scheduled[:1] == [0]
    assert len(scheduled) == len(set(scheduled))


@PROPERTIES
@given(
    days=st.integers(1, 20),
    already_sent=st.integers(0, 5),
    outage=st.integers(3, 20).map(lambda weeks: timedelta(weeks=weeks)),
)
def test_a_scheduler_back_after_weeks_down_sends_one_reminder_not_a_burst(
    days: int, already_sent: int, outage: timedelta
) -> None:
    # Given reminders on with many left, some already sent on schedule
    simulation = Simulation.start(ReminderSettings(enabled=True, days_between=days, max_reminders=50))
    for _ in range(already_sent):
        simulation.apply(Tick(timedelta(days=days)))
    assert simulation.item.reminders_sent == already_sent

    # When the scheduler comes back after an outage of weeks and ticks every 5 minutes for an hour
    simulation.now += outage
    back_at = simulation.now
    sent_on_first_tick = simulation.tick()
    sent_later = 0
    for _ in range(12):
        simulation.now += timedelta(minutes=5)
        sent_later += simulation.tick()

    # Then the first tick sends exactly one reminder, the next hour none, and the next is due days later
    assert sent_on_first_tick == 1
    assert sent_later == 0
    assert simulation.item.reminders_sent == already_sent + 1
    assert policy.due_at(simulation.item) == back_at + timedelta(days=days)
