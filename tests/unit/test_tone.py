"""The tone of an automatic reminder (SPEC R19): named by its step, else the default rule: the last of a
schedule of several is final, after the due date firm, otherwise gentle. Pure rules; and the tone a
round begins with is the one it is recorded with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest

from portal_reminders.models.domain import EmailRound, ReminderSettings, Schedule, Step, Tone
from portal_reminders.reminders.scheduling import policy, tone
from portal_reminders.reminders.state import transitions
from tests.support.fakes import progress_of
from tests.unit.test_sequences import sent

DUE = date(2026, 3, 16)
BY_DUE_DATE = ReminderSettings(enabled=True, schedule=Schedule.DUE_DATE, steps=(Step(-3), Step(0), Step(7)))


@pytest.mark.parametrize(
    ("step", "today", "expected"),
    [
        (Step(-3), date(2026, 3, 13), Tone.GENTLE),
        (Step(0), date(2026, 3, 16), Tone.GENTLE),
        (Step(0), date(2026, 3, 17), Tone.FIRM),  # on the due day's step, but sent the day after
        (Step(7), date(2026, 3, 23), Tone.FINAL),  # the last of three
    ],
)
def test_a_due_date_steps_tone_by_the_default_rule(step: Step, today: date, expected: Tone) -> None:
    assert tone.of_reminder(BY_DUE_DATE, 1, step, DUE, today) is expected


def test_a_step_after_the_due_date_that_is_not_the_last_is_firm() -> None:
    settings = replace(BY_DUE_DATE, steps=(Step(-3), Step(2), Step(7)))
    assert tone.of_reminder(settings, 2, Step(2), DUE, date(2026, 3, 18)) is Tone.FIRM


def test_a_named_tone_wins_and_a_single_step_is_never_final_by_default() -> None:
    assert tone.of_reminder(BY_DUE_DATE, 1, Step(-3, Tone.FIRM), DUE, date(2026, 3, 13)) is Tone.FIRM
    one = replace(BY_DUE_DATE, steps=(Step(7),))
    assert tone.of_reminder(one, 1, Step(7), DUE, date(2026, 3, 23)) is Tone.FIRM


@pytest.mark.parametrize(
    ("max_reminders", "number", "today", "expected"),
    [
        (3, 1, date(2026, 3, 5), Tone.GENTLE),
        (3, 2, date(2026, 3, 17), Tone.FIRM),  # after the due date
        (3, 3, date(2026, 3, 5), Tone.FINAL),  # the last of 3
        (1, 1, date(2026, 3, 5), Tone.GENTLE),  # one reminder only: not "final"
    ],
)
def test_an_interval_reminders_tone(max_reminders: int, number: int, today: date, expected: Tone) -> None:
    settings = ReminderSettings(enabled=True, max_reminders=max_reminders)
    assert tone.of_reminder(settings, number, None, DUE, today) is expected
    assert tone.of_reminder(settings, number, None, None, date(2027, 1, 1)) in (Tone.GENTLE, Tone.FINAL)


def test_the_steps_shown_tones_are_those_they_will_have_on_their_day() -> None:
    assert [tone.of_step(BY_DUE_DATE, step, DUE) for step in BY_DUE_DATE.steps] == [
        Tone.GENTLE,
        Tone.GENTLE,
        Tone.FINAL,
    ]


def test_a_round_is_recorded_with_the_tone_it_began_with() -> None:
    # Given an item whose step 0 began on the due day, 16 March (gentle), and is recorded the next day
    item = sent()
    begun = policy.plan_reminder(item, datetime(2026, 3, 16, 9, tzinfo=UTC))
    progress = replace(progress_of(["a@x.com"]), plan=begun)

    # When the round is recorded on 17 March (a retry after SES throttled)
    _, events = transitions.record_delivery(
        item, EmailRound.scheduled(1), datetime(2026, 3, 16, 9, tzinfo=UTC) + timedelta(days=1), progress
    )

    # Then the audit says gentle, step 0: what the contacts read
    assert (begun.step, begun.tone) == (0, Tone.GENTLE)
    assert (events[0].details["tone"], events[0].details["days"]) == ("gentle", 0)
