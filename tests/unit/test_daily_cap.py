"""The daily cap's allowance (SPEC R18): what a batch or request counted but did not send goes back
to the firm's day, once, and only an allowance the call made itself is settled by it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from portal_reminders.models.errors import DailyCapReached
from portal_reminders.reminders.delivery.daily_cap import DailyCap
from tests.support.fakes import FakeDailyEmails

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DAY = NOW.date()


@pytest.fixture
def counter() -> FakeDailyEmails:
    return FakeDailyEmails()


@pytest.fixture
def cap(counter: FakeDailyEmails) -> DailyCap:
    return DailyCap(counter, 10, now=lambda: NOW)


def test_settling_gives_back_what_was_prepaid_and_not_taken_or_given_back(
    cap: DailyCap, counter: FakeDailyEmails
) -> None:
    allowance = cap.prepay({"firm-a": 6, "firm-b": 2})
    allowance.take("firm-a", 4)  # two rounds of a's sent 4 of the 6 counted
    allowance.take("firm-b", 2)
    allowance.give_back("firm-b", 2)  # b's round was held back before anything was stored

    allowance.settle()
    allowance.settle()  # a second settle has nothing left to give back

    assert counter.counts == {("firm-a", DAY): 4, ("firm-b", DAY): 0}


def test_what_is_given_back_is_drawn_again_before_anything_more_is_counted(
    cap: DailyCap, counter: FakeDailyEmails
) -> None:
    allowance = cap.manual("firm-a", 2)
    allowance.take("firm-a", 2)
    allowance.give_back("firm-a", 2)

    allowance.take("firm-a", 2)  # the retry in the same invocation

    assert counter.counts[("firm-a", DAY)] == 2
    assert counter.writes == 1


def test_a_call_settles_an_allowance_of_its_own_but_never_its_callers(cap: DailyCap, counter: FakeDailyEmails) -> None:
    callers = cap.prepay({"firm-a": 3})
    with cap.drawing_on(callers) as drawn_on:
        assert drawn_on is callers
    assert counter.counts[("firm-a", DAY)] == 3  # the caller settles it at its end

    with cap.drawing_on(None) as own:
        own.take("firm-a", 2)
        own.give_back("firm-a", 2)
    assert counter.counts[("firm-a", DAY)] == 3  # counted 5, then 2 given back when the call ended


def test_past_the_cap_nothing_is_counted_and_nothing_is_drawn(cap: DailyCap, counter: FakeDailyEmails) -> None:
    allowance = cap.prepay({"firm-a": 9})
    allowance.take("firm-a", 9)

    with pytest.raises(DailyCapReached):
        allowance.take("firm-a", 2)

    allowance.settle()
    assert counter.counts[("firm-a", DAY)] == 9
