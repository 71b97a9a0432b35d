"""Properties of the due-date step scheduler (SPEC R19) over random histories.

A small simulator drives the real policy and transitions as the system does (like
test_policy_properties.py): the api creates an item under a due-date schedule and records its
notification; the scan ticks after random gaps, claims what the due index shows as due and queues
it; the sender re-checks the item, begins the round (choosing its step) and records it, or releases
it; the scheduler goes down for days; firm users resend, move the due date, change the steps and
the client completes in between. Hypothesis draws the histories.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from portal_reminders import ids
from portal_reminders.models.domain import (
    ActionItem,
    Claim,
    EmailRound,
    Kind,
    ReminderSettings,
    Schedule,
    Status,
    Step,
    StepStatus,
)
from portal_reminders.reminders.scheduling import policy, sequences
from portal_reminders.reminders.state import transitions
from tests.support.fakes import progress_of

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LEASE = timedelta(hours=1)
USER = "user-1"
GAP = sequences.MIN_GAP

PROPERTIES = settings(max_examples=200, deadline=None)


@dataclass(frozen=True)
class Tick:
    gap: timedelta
    deliver: bool = True


@dataclass(frozen=True)
class SchedulerDown:
    """Nothing runs for `gap` (an outage): the next tick finds whatever came meanwhile."""

    gap: timedelta


@dataclass(frozen=True)
class SenderRuns:
    gap: timedelta


@dataclass(frozen=True)
class Resend:
    gap: timedelta


@dataclass(frozen=True)
class MoveDueDate:
    gap: timedelta
    days: int


@dataclass(frozen=True)
class ChangeSteps:
    gap: timedelta
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Complete:
    gap: timedelta


Operation = Tick | SchedulerDown | SenderRuns | Resend | MoveDueDate | ChangeSteps | Complete


@dataclass(frozen=True)
class Email:
    at: datetime
    mode: str  # "notification" | "auto" | "manual"
    operation: int  # which operation of the history sent it
    step: int | None
    before: ActionItem
    after: ActionItem
    changed_before: int  # how many due-date or step changes came before it


@dataclass
class Simulation:
    item: ActionItem
    now: datetime = T0
    queue: list[int] = field(default_factory=list)
    emails: list[Email] = field(default_factory=list)
    operation: int = 0
    changes: int = 0

    @classmethod
    def start(cls, steps: tuple[Step, ...], due: date, zone: str) -> Simulation:
        reminders = ReminderSettings(enabled=True, schedule=Schedule.DUE_DATE, steps=steps)
        item = transitions.new_item(
            firm_id="firm-a",
            account_id=ids.new_id(ids.ACCOUNT),
            kind=Kind.INVOICE,
            title="INV-1",
            message=None,
            reminders=reminders,
            invoice=None,
            actor=USER,
            at=T0,
            claim=Claim(number=0, until=T0 + LEASE),
            due_date=due,
        )
        simulation = cls(item=replace(item, zone=zone))
        simulation._deliver(0)
        return simulation

    def run(self, operations: Sequence[Operation]) -> Simulation:
        for n, operation in enumerate(operations, start=1):
            self.operation = n
            self.now += operation.gap
            match operation:
                case Tick(deliver=deliver):
                    self.tick(deliver)
                case SchedulerDown():
                    pass
                case SenderRuns():
                    self.drain()
                case Resend():
                    if policy.resend_refusal(self.item) is None:
                        self._record(EmailRound.manual(ids.new_id(ids.RESEND), USER, None), "manual")
                case MoveDueDate(days=days):
                    if self.item.due_date is not None:
                        moved = self.item.due_date + timedelta(days=days)
                        self.item, _ = transitions.change_due_date(self.item, moved, self.now, USER)
                        self.changes += 1
                case ChangeSteps(steps=steps):
                    changes = {"steps": [s.as_dict() for s in steps]}
                    self.item, _ = transitions.change_settings(self.item, changes, self.now, USER)
                    self.changes += 1
                case Complete():
                    if self.item.status is Status.PENDING:
                        self.item, _ = transitions.complete(self.item, self.now, USER)
        return self

    def tick(self, deliver: bool = True) -> None:
        indexed = policy.index_time(self.item)
        if indexed is not None and indexed <= self.now:
            number = policy.next_number(self.item)
            self.item = replace(self.item, claim=policy.next_claim(self.item.claim, number, self.now, LEASE))
            self.queue.append(number)
        if deliver:
            self.drain()

    def drain(self) -> None:
        queued, self.queue = self.queue, []
        for number in queued:
            self._deliver(number)

    def _deliver(self, number: int) -> None:
        email_round = EmailRound.scheduled(number)
        if policy.skip_reason_for_scheduled(self.item, number, self.now) is None:
            self._record(email_round, "notification" if number == 0 else "auto")
        else:
            self.item = transitions.release(self.item, email_round)

    def _record(self, email_round: EmailRound, mode: str) -> None:
        before = self.item
        progress = progress_of(["a@x.com"])
        if mode == "auto":
            # the round begins now: its step is chosen and kept on its progress
            progress = replace(progress, plan=policy.plan_reminder(before, self.now))
        self.item, _ = transitions.record_delivery(before, email_round, self.now, progress)
        step = progress.plan.step if progress.plan else None
        self.emails.append(Email(self.now, mode, self.operation, step, before, self.item, self.changes))

    @property
    def automatic(self) -> list[Email]:
        return [e for e in self.emails if e.mode == "auto"]


# --- strategies -------------------------------------------------------------------------------

gaps = st.one_of(
    st.integers(1, 120).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 48).map(lambda h: timedelta(hours=h)),
    st.integers(1, 10).map(lambda d: timedelta(days=d)),
)


@st.composite
def step_lists(draw: st.DrawFn) -> tuple[Step, ...]:
    """1-10 steps in strictly increasing order of days, near the due date; `final` only on the last."""
    days = sorted(draw(st.sets(st.integers(-20, 30), min_size=1, max_size=10)))
    tones = [draw(st.sampled_from([None, "gentle", "firm"])) for _ in days]
    if draw(st.booleans()):
        tones[-1] = "final"
    return tuple(Step.from_dict({"days": d, "tone": t}) for d, t in zip(days, tones, strict=True))


due_dates = st.integers(-10, 40).map(lambda d: T0.date() + timedelta(days=d))
zones = st.sampled_from(["UTC", "Europe/Lisbon", "America/Sao_Paulo", "Pacific/Auckland"])
ticks = st.builds(Tick, gap=gaps)
lagging = st.builds(Tick, gap=gaps, deliver=st.booleans())
outages = st.builds(SchedulerDown, gap=st.integers(1, 30).map(lambda d: timedelta(days=d)))
firm_actions = st.one_of(
    st.builds(Resend, gap=gaps),
    st.builds(MoveDueDate, gap=gaps, days=st.integers(-15, 15)),
    st.builds(ChangeSteps, gap=gaps, steps=step_lists()),
)
steady = st.lists(st.one_of(ticks, ticks, ticks, lagging, outages, st.builds(SenderRuns, gap=gaps)), max_size=40)
histories = st.lists(
    st.one_of(ticks, ticks, ticks, lagging, outages, st.builds(SenderRuns, gap=gaps), firm_actions),
    min_size=5,
    max_size=40,
)


def simulate(steps: tuple[Step, ...], due: date, zone: str, operations: Sequence[Operation]) -> Simulation:
    return Simulation.start(steps, due, zone).run(operations)


# --- properties -------------------------------------------------------------------------------


@PROPERTIES
@given(steps=step_lists(), due=due_dates, zone=zones, operations=histories)
def test_never_two_reminders_within_24_hours_nor_one_within_24_hours_of_any_email(
    steps: tuple[Step, ...], due: date, zone: str, operations: list[Operation]
) -> None:
    # Given any history of ticks, outages, resends, due-date and step changes
    # When it is simulated
    simulation = simulate(steps, due, zone, operations)

    # Then every automatic reminder went at least 24 hours after the email before it (of any kind)
    for previous, email in zip(simulation.emails, simulation.emails[1:], strict=False):
        if email.mode == "auto":
            assert email.at >= previous.at + GAP, (previous, email)


@PROPERTIES
@given(steps=step_lists(), due=due_dates, zone=zones, operations=histories)
def test_never_a_step_before_its_time(
    steps: tuple[Step, ...], due: date, zone: str, operations: list[Operation]
) -> None:
    # Given any history
    # When it is simulated
    simulation = simulate(steps, due, zone, operations)

    # Then each automatic reminder carried out a step whose time (by the due date then) had come
    for email in simulation.automatic:
        assert email.step is not None
        assert email.before.due_date is not None
        assert sequences.step_time(email.before.due_date, Step(email.step), zone) <= email.at


@PROPERTIES
@given(steps=step_lists(), due=due_dates, zone=zones, operations=histories)
def test_never_more_than_one_reminder_per_scan_or_queue_run(
    steps: tuple[Step, ...], due: date, zone: str, operations: list[Operation]
) -> None:
    # Given any history, where a lagging sender may find the same round queued several times
    # When it is simulated
    simulation = simulate(steps, due, zone, operations)

    # Then no tick or queue run sent more than one automatic reminder, and each number went once
    per_operation = [e.operation for e in simulation.automatic]
    assert len(per_operation) == len(set(per_operation))
    assert [e.before.reminders_sent + 1 for e in simulation.automatic] == list(range(1, len(simulation.automatic) + 1))


@PROPERTIES
@given(steps=step_lists(), due=due_dates, zone=zones, operations=histories)
def test_the_final_step_is_the_last_reminder(
    steps: tuple[Step, ...], due: date, zone: str, operations: list[Operation]
) -> None:
    # Given any history
    # When it is simulated
    simulation = simulate(steps, due, zone, operations)

    # Then once the last step of the schedule went, nothing more is due, and no reminder follows
    # unless the firm changed the due date or the steps afterwards
    automatic = simulation.automatic
    for n, email in enumerate(automatic):
        if email.step == email.before.reminders.steps[-1].days:
            assert policy.due_at(email.after) is None
            assert all(later.changed_before > email.changed_before for later in automatic[n + 1 :])


@PROPERTIES
@given(steps=step_lists(), due=due_dates, zone=zones, operations=steady)
def test_with_nothing_changed_each_step_goes_at_most_once_in_order_and_the_rest_are_skipped(
    steps: tuple[Step, ...], due: date, zone: str, operations: list[Operation]
) -> None:
    # Given any history of ticks, lagging senders and outages, with no change by the firm
    # When it is simulated, and then the scheduler runs until well after the last step
    simulation = simulate(steps, due, zone, operations)
    simulation.run([SchedulerDown(timedelta(days=120)), Tick(timedelta(minutes=5)), Tick(GAP)])

    # Then the steps went in order, each at most once, and every step is sent or skipped
    sent = [e.step for e in simulation.automatic]
    assert sent == sorted(set(sent))
    marks = [sequences.status(simulation.item, step) for step in steps]
    assert StepStatus.SCHEDULED not in marks
    assert [s.days for s, m in zip(steps, marks, strict=True) if m is StepStatus.SENT] == sent
    assert policy.due_at(simulation.item) is None


@PROPERTIES
@given(
    steps=step_lists(),
    zone=zones,
    outage=st.integers(61, 150).map(lambda d: timedelta(days=d)),  # the last step is day 60 at most
)
def test_a_scheduler_back_after_every_step_passed_sends_one_reminder_not_a_burst(
    steps: tuple[Step, ...], zone: str, outage: timedelta
) -> None:
    # Given an item due in 30 days, and a scheduler down until every step has passed
    simulation = Simulation.start(steps, T0.date() + timedelta(days=30), zone)

    # When it comes back and ticks every 5 minutes for an hour, then daily for a week
    simulation.run([SchedulerDown(outage)] + [Tick(timedelta(minutes=5))] * 12 + [Tick(timedelta(days=1))] * 7)

    # Then exactly one reminder went, carrying the last step; the others are skipped
    assert [e.step for e in simulation.automatic] == [steps[-1].days]
    assert all(sequences.status(simulation.item, step) is StepStatus.SKIPPED for step in steps[:-1])
