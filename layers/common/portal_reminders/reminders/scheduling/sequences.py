"""Due-date schedules (SPEC R19): when each step goes, which step a reminder carries out, and what
becomes of the others. Pure functions of an item's settings, due date, time zone and step marks.

A step is due at 09:00 on the client's wall clock on `due_date + days` (then the sending window
moves it, as any automatic reminder: policy.send_at). Each step ends `sent` or `skipped`; until
then it is `scheduled` (an item keeps only the marks, by the step's `days`). Three rules keep a
sequence from bursting or crowding the client:

* a step whose time has passed when the item is created or rescheduled is skipped;
* a reminder carries out the latest step whose time has come; the earlier open ones are skipped
  (after an outage, a weekend of closed sending hours, a pause: one reminder, not several);
* no automatic reminder goes less than 24 hours after the last email about the item (`MIN_GAP`):
  it waits (policy.due_at).

Each round is still "the n-th automatic reminder" (reminders_sent + 1): the scan, the claims and
the round key `scheduled:n` are the interval schedule's. The step is chosen when the round begins
and kept on its progress (`Delivery.plan`), so a retry after a partial send carries out the same
step with the same words; recording the round marks the steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from portal_reminders.models.domain import ActionItem, ReminderSettings, Schedule, Step, StepStatus, Tone
from portal_reminders.models.errors import InvalidInput
from portal_reminders.reminders.scheduling import client_clock

# Each step goes at this time on the client's wall clock, on its day.
STEP_TIME = time(9, 0)
# Never an automatic reminder less than this after the last email about the item (any email).
MIN_GAP = timedelta(hours=24)


def step_day(due_date: date, step: Step) -> date:
    return due_date + timedelta(days=step.days)


def step_time(due_date: date, step: Step, zone: str) -> datetime:
    """When the step is due: 09:00 on the client's wall clock on its day (UTC)."""
    return client_clock.wall_clock_instant(step_day(due_date, step), STEP_TIME, zone)


def status(item: ActionItem, step: Step) -> StepStatus:
    return item.step_marks.get(step.days, StepStatus.SCHEDULED)


def open_steps(item: ActionItem) -> list[Step]:
    """The steps neither sent nor skipped, in order."""
    return [step for step in item.reminders.steps if status(item, step) is StepStatus.SCHEDULED]


def times(item: ActionItem) -> list[tuple[Step, datetime]]:
    """Each step with its time; none without a due date."""
    if item.due_date is None:
        return []
    due_date, zone = item.due_date, item.zone
    return [(step, step_time(due_date, step, zone)) for step in item.reminders.steps]


def next_step_time(item: ActionItem) -> datetime | None:
    """When the earliest open step is due; None when every step is sent or skipped."""
    pending = [at for step, at in times(item) if status(item, step) is StepStatus.SCHEDULED]
    return min(pending, default=None)


def step_for_round(item: ActionItem, now: datetime) -> Step | None:
    """The step a reminder beginning at `now` carries out: the latest open step whose time has come."""
    come = [step for step, at in times(item) if status(item, step) is StepStatus.SCHEDULED and at <= now]
    return come[-1] if come else None


def rescheduled(item: ActionItem, now: datetime) -> Mapping[int, StepStatus]:
    """The marks after the item was created or its due date, steps or schedule changed: steps sent
    stay sent, steps whose time has passed are skipped, the others are scheduled again."""
    if not item.reminders.by_due_date:
        return item.step_marks
    marks: dict[int, StepStatus] = {}
    for step, at in times(item):
        if status(item, step) is StepStatus.SENT:
            marks[step.days] = StepStatus.SENT
        elif at <= now:
            marks[step.days] = StepStatus.SKIPPED
    return marks


def marked_sent(item: ActionItem, days: int) -> Mapping[int, StepStatus]:
    """The marks once the step `days` went out: it is sent, and the open steps before it are skipped."""
    marks = dict(item.step_marks)
    for step in item.reminders.steps:
        if step.days < days and status(item, step) is StepStatus.SCHEDULED:
            marks[step.days] = StepStatus.SKIPPED
    marks[days] = StepStatus.SENT
    return marks


# --- what a schedule must be (SPEC R19): checked where settings come in -------------------------


def check_layer(layer: Mapping[str, Any] | None, prefix: str = "") -> None:
    """One object of reminder settings as a request, template or automation gives it: its steps
    strictly increasing, `final` only on the last, and a count that is the number of steps.
    `prefix` is where the object sits in the request (errors name the field)."""
    if not layer:
        return
    steps = [s if isinstance(s, Step) else Step.from_dict(s) for s in layer.get("steps") or ()]
    for n, step in enumerate(steps):
        if n and step.days <= steps[n - 1].days:
            raise InvalidInput(
                f"steps must be in order of days, each after the one before: {step.days} is not after "
                f"{steps[n - 1].days}",
                field=f"{prefix}steps[{n}].days",
            )
        if step.tone is Tone.FINAL and n != len(steps) - 1:
            raise InvalidInput("only the last step can be the final reminder", field=f"{prefix}steps[{n}].tone")
    by_due_date = layer.get("schedule") == Schedule.DUE_DATE
    if by_due_date and steps:
        _check_count(layer, len(steps), prefix)


def check_settings(
    settings: ReminderSettings, *, has_due_date: bool, named: Mapping[str, Any] | None, prefix: str = ""
) -> None:
    """An item's settings once merged: a due-date schedule has steps and the item a due date, and a
    `max_reminders` the request names is the number of steps."""
    if not settings.by_due_date:
        return
    if not settings.steps:
        raise InvalidInput("a due_date schedule needs its steps", field=f"{prefix}steps")
    if not has_due_date:
        raise InvalidInput("a due_date schedule needs the item's due_date", field=f"{prefix}schedule")
    _check_count(named or {}, len(settings.steps), prefix)


def _check_count(named: Mapping[str, Any], steps: int, prefix: str) -> None:
    count = named.get("max_reminders")
    if count is not None and count != steps:
        raise InvalidInput(
            f"under a due_date schedule max_reminders is the number of steps ({steps}): change the steps instead",
            field=f"{prefix}max_reminders",
        )
