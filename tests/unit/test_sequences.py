"""Due-date schedules (SPEC R19) as pure rules: when each step is due, which step a reminder carries
out, what becomes of the others, and what a schedule must be. Fixed times; nothing reads the clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from portal_reminders import ids
from portal_reminders.models.domain import (
    ActionItem,
    Claim,
    EmailRound,
    Kind,
    ReminderPlan,
    ReminderSettings,
    Schedule,
    Step,
    StepStatus,
    Tone,
)
from portal_reminders.models.errors import InvalidInput, StateConflict
from portal_reminders.reminders.scheduling import policy, sequences
from portal_reminders.reminders.state import transitions
from tests.support.fakes import progress_of

# Monday 2 March 2026, 09:00 UTC; the item is due on Monday 16 March
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DUE = date(2026, 3, 16)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
USER = "user-1"
STEPS = (Step(-3), Step(0), Step(7))
BY_DUE_DATE = ReminderSettings(enabled=True, schedule=Schedule.DUE_DATE, steps=STEPS)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def sent(settings: ReminderSettings = BY_DUE_DATE, due: date | None = DUE, **overrides: Any) -> ActionItem:
    """The item as the api creates it at T0 (steps already past skipped), its notification recorded."""
    fresh = transitions.new_item(
        firm_id="firm-a",
        account_id=ids.new_id(ids.ACCOUNT),
        kind=Kind.INVOICE,
        title="INV-2026-118",
        message=None,
        reminders=settings,
        invoice=None,
        actor=USER,
        at=T0,
        claim=Claim(number=0, until=T0 + HOUR),
        due_date=due,
    )
    notified, _ = transitions.record_delivery(fresh, EmailRound.scheduled(0), T0, progress_of(["a@x.com"]))
    return replace(notified, **overrides)


def reminded(item: ActionItem, now: datetime) -> ActionItem:
    """The next automatic reminder, begun and recorded at `now` (its plan chosen then)."""
    number = policy.next_number(item)
    progress = replace(progress_of(["a@x.com"]), plan=policy.plan_reminder(item, now))
    after, _ = transitions.record_delivery(item, EmailRound.scheduled(number), now, progress)
    return after


def marks(item: ActionItem) -> list[tuple[int, StepStatus]]:
    return [(step.days, sequences.status(item, step)) for step in item.reminders.steps]


# --- when a step is due ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("UTC", date(2026, 3, 16), "2026-03-16T09:00:00+00:00"),
        ("Europe/Lisbon", date(2026, 3, 16), "2026-03-16T09:00:00+00:00"),  # winter time, UTC+0
        ("Europe/Lisbon", date(2026, 3, 30), "2026-03-30T08:00:00+00:00"),  # summer time, UTC+1
        ("America/Sao_Paulo", date(2026, 3, 16), "2026-03-16T12:00:00+00:00"),
        ("Pacific/Auckland", date(2026, 3, 16), "2026-03-15T20:00:00+00:00"),  # UTC+13: the day before in UTC
    ],
)
def test_a_step_is_due_at_nine_on_the_clients_wall_clock(zone: str, day: date, expected: str) -> None:
    assert sequences.step_time(day, Step(0), zone) == at(expected)
    assert sequences.step_time(day - 3 * DAY, Step(3), zone) == at(expected)


def test_the_first_open_step_is_due() -> None:
    # Given an item due on 16 March with steps -3, 0 and 7, sent on 2 March
    item = sent()

    # Then the first step is due on 13 March at 09:00, then each in turn once the one before went
    assert policy.due_at(item) == at("2026-03-13T09:00:00+00:00")
    item = reminded(item, at("2026-03-13T09:00:00+00:00"))
    assert policy.due_at(item) == at("2026-03-16T09:00:00+00:00")
    item = reminded(item, at("2026-03-16T09:00:00+00:00"))
    assert policy.due_at(item) == at("2026-03-23T09:00:00+00:00")
    item = reminded(item, at("2026-03-23T09:00:00+00:00"))
    assert policy.due_at(item) is None
    assert marks(item) == [(-3, StepStatus.SENT), (0, StepStatus.SENT), (7, StepStatus.SENT)]
    assert item.reminders_sent == 3


def test_a_step_is_never_due_less_than_24_hours_after_the_last_email() -> None:
    # Given the step on the due day (16 March, 09:00), and a manual resend on 15 March at 15:00
    item = sent(last_emailed_at=at("2026-03-15T15:00:00+00:00"), step_marks={-3: StepStatus.SENT})

    # Then the step is due 24 hours after the resend
    assert policy.due_at(item) == at("2026-03-16T15:00:00+00:00")


def test_no_step_is_due_without_reminders_on_or_once_the_item_is_closed() -> None:
    assert policy.due_at(sent(replace(BY_DUE_DATE, enabled=False))) is None
    done, _ = transitions.complete(sent(), T0 + DAY, USER)
    assert policy.due_at(done) is None


# --- what the item is sent with ----------------------------------------------------------------


def test_steps_already_past_when_the_item_is_sent_are_skipped() -> None:
    # Given an item sent on 2 March, due on 4 March: step -3 (1 March) is past, step 0 is not
    item = sent(due=date(2026, 3, 4))

    # Then the past step is skipped, the others scheduled
    assert marks(item) == [(-3, StepStatus.SKIPPED), (0, StepStatus.SCHEDULED), (7, StepStatus.SCHEDULED)]
    assert policy.due_at(item) == at("2026-03-04T09:00:00+00:00")


def test_a_step_exactly_at_the_time_the_item_is_sent_is_past() -> None:
    # Given an item due on 5 March sent at 09:00 on 2 March: step -3 is now
    item = sent(due=date(2026, 3, 5))

    assert marks(item)[0] == (-3, StepStatus.SKIPPED)


# --- which step a reminder carries out ------------------------------------------------------------


def test_a_reminder_carries_out_the_latest_step_whose_time_has_come_and_skips_the_earlier() -> None:
    # Given an item whose three steps have all come (the scheduler was down)
    item = sent()
    now = at("2026-03-24T12:00:00+00:00")

    # When the next reminder begins
    plan = policy.plan_reminder(item, now)
    after = reminded(item, now)

    # Then it is the last step; the two before are skipped, and nothing more is due
    assert plan == ReminderPlan(step=7, tone=Tone.FINAL)
    assert marks(after) == [(-3, StepStatus.SKIPPED), (0, StepStatus.SKIPPED), (7, StepStatus.SENT)]
    assert (after.reminders_sent, policy.due_at(after)) == (1, None)


def test_a_round_records_the_step_it_began_with_even_if_a_later_one_came_meanwhile() -> None:
    # Given a reminder that began on 13 March with step -3 and is recorded after step 0's time (a
    # retry after SES throttled half the contacts)
    item = sent()
    progress = replace(progress_of(["a@x.com"]), plan=policy.plan_reminder(item, at("2026-03-13T09:00:00+00:00")))

    # When it is recorded on 16 March at 10:00
    after, events = transitions.record_delivery(
        item, EmailRound.scheduled(1), at("2026-03-16T10:00:00+00:00"), progress
    )

    # Then step -3 is sent, step 0 still open (due 24 hours after this email), and the audit says -3
    assert marks(after) == [(-3, StepStatus.SENT), (0, StepStatus.SCHEDULED), (7, StepStatus.SCHEDULED)]
    assert policy.due_at(after) == at("2026-03-17T10:00:00+00:00")
    assert events[0].details["days"] == -3


def test_an_interval_reminder_carries_no_step() -> None:
    item = sent(ReminderSettings(enabled=True))
    assert policy.plan_reminder(item, T0 + 3 * DAY) == ReminderPlan()
    _, events = transitions.record_delivery(item, EmailRound.scheduled(1), T0 + 3 * DAY, progress_of(["a@x.com"]))
    assert "days" not in events[0].details


# --- rescheduling ---------------------------------------------------------------------------------


def test_moving_the_due_date_keeps_sent_steps_skips_past_ones_and_schedules_the_rest() -> None:
    # Given an item whose first step went on 13 March
    item = reminded(sent(), at("2026-03-13T09:00:00+00:00"))

    # When on 14 March the due date moves back to 10 March: step 0 and 7 are then 10 and 17 March
    moved, events = transitions.change_due_date(item, date(2026, 3, 10), at("2026-03-14T09:00:00+00:00"), USER)

    # Then -3 stays sent, 0 is past and skipped, 7 is scheduled; the change is audited
    assert marks(moved) == [(-3, StepStatus.SENT), (0, StepStatus.SKIPPED), (7, StepStatus.SCHEDULED)]
    assert policy.due_at(moved) == at("2026-03-17T09:00:00+00:00")
    assert events[0].details == {"before": {"due_date": "2026-03-16"}, "after": {"due_date": "2026-03-10"}}


def test_moving_the_due_date_later_schedules_a_skipped_step_again() -> None:
    # Given an item sent late: step -3 was skipped on creation
    item = sent(due=date(2026, 3, 4))

    # When the due date moves to 20 March
    moved, _ = transitions.change_due_date(item, date(2026, 3, 20), T0 + HOUR, USER)

    # Then every step is scheduled again
    assert marks(moved) == [(-3, StepStatus.SCHEDULED), (0, StepStatus.SCHEDULED), (7, StepStatus.SCHEDULED)]


def test_changing_the_steps_reschedules_them() -> None:
    # Given an item whose first step went on 13 March
    item = reminded(sent(), at("2026-03-13T09:00:00+00:00"))

    # When on 18 March the firm makes the steps -3, 1 and 14
    steps = [{"days": -3}, {"days": 1}, {"days": 14}]
    changed, events = transitions.change_settings(item, {"steps": steps}, at("2026-03-18T09:00:00+00:00"), USER)

    # Then -3 stays sent, 1 (17 March) is skipped, 14 is scheduled
    assert marks(changed) == [(-3, StepStatus.SENT), (1, StepStatus.SKIPPED), (14, StepStatus.SCHEDULED)]
    assert changed.reminders.max_reminders == 3
    assert [s["days"] for s in events[0].details["after"]["steps"]] == [-3, 1, 14]


def test_switching_to_the_interval_schedule_keeps_the_steps_and_their_marks() -> None:
    item = reminded(sent(), at("2026-03-13T09:00:00+00:00"))
    interval, _ = transitions.change_settings(item, {"schedule": "interval"}, at("2026-03-14T09:00:00+00:00"), USER)
    assert interval.reminders.steps == STEPS
    assert interval.step_marks == item.step_marks
    assert policy.due_at(interval) == at("2026-03-13T09:00:00+00:00") + 3 * DAY


def test_a_due_date_cannot_be_taken_from_an_item_whose_reminders_follow_it() -> None:
    with pytest.raises(StateConflict) as refused:
        transitions.change_due_date(sent(), None, T0, USER)
    assert refused.value.field == "due_date"


# --- what a schedule must be ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "field"),
    [
        ({"steps": [{"days": 0}, {"days": 0}]}, "steps[1].days"),
        ({"steps": [{"days": -3}, {"days": 7}, {"days": 5}]}, "steps[2].days"),
        ({"steps": [{"days": 0, "tone": "final"}, {"days": 7}]}, "steps[0].tone"),
        ({"schedule": "due_date", "steps": [{"days": 0}, {"days": 1}], "max_reminders": 3}, "max_reminders"),
    ],
)
def test_a_schedule_that_breaks_a_rule_is_refused_naming_the_field(layer: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        sequences.check_layer(layer, "reminders.")
    assert refused.value.field == f"reminders.{field}"


@pytest.mark.parametrize(
    "layer",
    [
        {"steps": [{"days": -90}, {"days": 0, "tone": "firm"}, {"days": 365, "tone": "final"}]},
        {"schedule": "due_date", "steps": [{"days": 0}], "max_reminders": 1},
        {"max_reminders": 5},
        {},
    ],
)
def test_a_schedule_that_keeps_the_rules_is_accepted(layer: dict[str, Any]) -> None:
    sequences.check_layer(layer)


@pytest.mark.parametrize(
    ("settings", "has_due_date", "named", "field"),
    [
        (ReminderSettings(schedule=Schedule.DUE_DATE), True, {}, "steps"),
        (BY_DUE_DATE, False, {}, "schedule"),
        (BY_DUE_DATE, True, {"max_reminders": 2}, "max_reminders"),
    ],
)
def test_an_items_merged_settings_need_steps_a_due_date_and_their_count(
    settings: ReminderSettings, has_due_date: bool, named: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        sequences.check_settings(settings, has_due_date=has_due_date, named=named)
    assert refused.value.field == field


def test_under_a_due_date_schedule_max_reminders_is_the_number_of_steps() -> None:
    assert replace(BY_DUE_DATE, max_reminders=9).max_reminders == 3
    assert ReminderSettings.from_dict(BY_DUE_DATE.as_dict()) == BY_DUE_DATE
