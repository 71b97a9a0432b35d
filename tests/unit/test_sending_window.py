"""The client's sending window (SPEC R16): `client_clock.next_allowed`, a pure function of a due time
and a window, with Hypothesis properties for its invariants over every zone the API accepts, and
the way the due index and the sender's re-check use it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from portal_reminders import zones
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    Claim,
    Firm,
    Kind,
    Language,
    ReminderSettings,
    SendingHours,
    SendingWindow,
    Weekday,
)
from portal_reminders.reminders.scheduling import client_clock, policy
from tests.support.fakes import progress_of

WEEK = timedelta(days=7)
PROPERTIES = settings(max_examples=500, deadline=None)
# zones whose offset never changes: there the bound is a week exactly, by any clock
FIXED_ZONES = ["UTC", "Etc/GMT+3", "Etc/GMT-14", "Asia/Kolkata"]
NINE_TO_FIVE = SendingHours(
    days=frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI}),
    start=time(9, 0),
    end=time(17, 0),
)

MONDAYS_AT_NINE = SendingHours(days=frozenset({Weekday.MON}), start=time(9, 0), end=time(9, 1))


def window(zone: str, hours: SendingHours = NINE_TO_FIVE) -> SendingWindow:
    return SendingWindow(zone=zone, hours=hours)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


# --- strategies ---------------------------------------------------------------------------------


@st.composite
def sending_hours(draw: st.DrawFn) -> SendingHours:
    days = draw(st.frozensets(st.sampled_from(list(Weekday)), min_size=1))
    minutes = draw(st.lists(st.integers(0, 24 * 60 - 1), min_size=2, max_size=2, unique=True).map(sorted))
    start, end = (time(m // 60, m % 60) for m in minutes)
    return SendingHours(days=days, start=start, end=end)


# hypothesis takes naive bounds with `timezones`
instants = st.datetimes(
    min_value=datetime(1970, 1, 1),  # noqa: DTZ001
    max_value=datetime(2040, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
windows = st.builds(window, st.sampled_from(zones.names()), sending_hours())
fixed_windows = st.builds(window, st.sampled_from(FIXED_ZONES), sending_hours())


def offset(instant: datetime, zone: str) -> timedelta:
    value = instant.astimezone(ZoneInfo(zone)).utcoffset()
    assert value is not None
    return value


# --- the invariants -----------------------------------------------------------------------------


@PROPERTIES
@given(due=instants, sending=windows)
def test_the_time_chosen_is_never_inside_a_closed_window(due: datetime, sending: SendingWindow) -> None:
    assert client_clock.inside(client_clock.next_allowed(due, sending), sending)


@PROPERTIES
@given(due=instants, sending=windows)
def test_the_time_chosen_is_never_earlier_than_due(due: datetime, sending: SendingWindow) -> None:
    assert client_clock.next_allowed(due, sending) >= due


@PROPERTIES
@given(due=instants, sending=windows)
@example(due=at("2026-10-19T09:01:00+01:00"), sending=window("Europe/Lisbon", MONDAYS_AT_NINE))
def test_the_time_chosen_is_never_more_than_a_week_after_due(due: datetime, sending: SendingWindow) -> None:
    # By the client's clock. When the clocks went back in between (the example: Lisbon in October),
    # the same wall time a week on is that much more than 7 x 24 hours away, and a window of one
    # minute a week cannot do better; when they went forward, it is less.
    chosen = client_clock.next_allowed(due, sending)
    went_back = max(offset(due, sending.zone) - offset(chosen, sending.zone), timedelta(0))
    assert chosen - due <= WEEK + went_back


def test_a_window_of_one_minute_a_week_across_the_end_of_summer_time() -> None:
    # the example above: Monday 19 October 09:01 WEST -> Monday 26 October 09:00 WET (the clocks
    # went back on the 25th): a week by the client's clock, 7 days and 59 minutes by the sun
    due = at("2026-10-19T09:01:00+01:00")
    chosen = client_clock.next_allowed(due, window("Europe/Lisbon", MONDAYS_AT_NINE))
    assert chosen == at("2026-10-26T09:00:00+00:00")
    assert chosen - due == WEEK + timedelta(minutes=59)


@PROPERTIES
@given(due=instants, sending=fixed_windows)
def test_where_the_clocks_never_change_it_is_at_most_a_week_after_due(due: datetime, sending: SendingWindow) -> None:
    assert client_clock.next_allowed(due, sending) - due <= WEEK


@settings(max_examples=60, deadline=None)
@given(due=instants, sending=fixed_windows)
def test_it_is_the_next_start_of_the_window_not_a_later_one(due: datetime, sending: SendingWindow) -> None:
    # every minute between due and the time chosen is outside the window
    chosen = client_clock.next_allowed(due, sending)
    minute = due.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while minute < chosen:
        assert not client_clock.inside(minute, sending), minute
        minute += timedelta(minutes=1)


@PROPERTIES
@given(due=instants, sending=windows)
def test_inside_the_window_it_goes_when_due(due: datetime, sending: SendingWindow) -> None:
    if client_clock.inside(due, sending):
        assert client_clock.next_allowed(due, sending) == due


@given(due=instants)
def test_without_sending_hours_it_goes_when_due(due: datetime) -> None:
    assert client_clock.next_allowed(due, None) == due


# --- examples -----------------------------------------------------------------------------------


def test_a_reminder_due_on_saturday_waits_for_monday_morning() -> None:
    saturday = at("2026-11-28T10:00:00+00:00")
    assert client_clock.next_allowed(saturday, window("UTC")) == at("2026-11-30T09:00:00+00:00")


def test_after_hours_it_waits_for_the_next_morning_and_before_hours_for_the_start() -> None:
    assert client_clock.next_allowed(at("2026-12-01T18:30:00+00:00"), window("UTC")) == at("2026-12-02T09:00:00+00:00")
    assert client_clock.next_allowed(at("2026-12-01T06:00:00+00:00"), window("UTC")) == at("2026-12-01T09:00:00+00:00")
    # the end is not part of the window
    assert client_clock.next_allowed(at("2026-12-01T17:00:00+00:00"), window("UTC")) == at("2026-12-02T09:00:00+00:00")


def test_the_window_is_on_the_clients_wall_clock() -> None:
    # 07:00 UTC on a Tuesday is 09:00 in Helsinki (UTC+2 in winter): inside; 16:00 in New York is 21:00 UTC
    assert client_clock.inside(at("2026-12-01T07:00:00+00:00"), window("Europe/Helsinki"))
    assert client_clock.next_allowed(at("2026-12-01T22:00:00+00:00"), window("America/New_York")) == at(
        "2026-12-02T09:00:00-05:00"
    )


def test_across_the_start_of_summer_time_in_lisbon() -> None:
    # due Saturday 28 March 2026 at 10:00 WET; the clocks go forward on Sunday; Monday 09:00 is WEST (UTC+1)
    chosen = client_clock.next_allowed(at("2026-03-28T10:00:00+00:00"), window("Europe/Lisbon"))
    assert chosen == at("2026-03-30T09:00:00+01:00")
    assert chosen == at("2026-03-30T08:00:00+00:00")


def test_a_start_the_clocks_jump_over_opens_the_window_at_the_jump() -> None:
    # Sao Paulo's summer time (until 2019) began at midnight: on 4 November 2018 the clocks went
    # from 00:00 to 01:00, so 00:30 never happened; a window from 00:30 opens at 01:00 (-02:00)
    sunday_early = window("America/Sao_Paulo", SendingHours(frozenset({Weekday.SUN}), time(0, 30), time(9, 0)))
    chosen = client_clock.next_allowed(at("2018-11-03T12:00:00-03:00"), sunday_early)
    assert chosen == at("2018-11-04T01:00:00-02:00")
    assert client_clock.inside(chosen, sunday_early)


def test_a_start_the_clocks_repeat_opens_at_its_first_reading() -> None:
    # Sao Paulo, 17 February 2019: at midnight (-02:00) the clocks went back to 23:00 (-03:00) on the 16th
    late = window("America/Sao_Paulo", SendingHours(frozenset({Weekday.SAT}), time(23, 30), time(23, 45)))
    assert client_clock.next_allowed(at("2019-02-16T12:00:00-02:00"), late) == at("2019-02-16T23:30:00-02:00")
    # ... and the window opens again when the clock reads 23:30 the second time
    assert client_clock.next_allowed(at("2019-02-16T23:50:00-02:00"), late) == at("2019-02-16T23:30:00-03:00")


def test_a_day_the_clocks_skip_is_not_a_sending_day() -> None:
    # Samoa skipped Friday 30 December 2011 (from UTC-10 to UTC+14): a Friday-only window waits a week
    fridays = window("Pacific/Apia", SendingHours(frozenset({Weekday.FRI}), time(9, 0), time(17, 0)))
    assert client_clock.next_allowed(at("2011-12-29T10:00:00-10:00"), fridays) == at("2012-01-06T09:00:00+14:00")


# --- the client's window, the due index and the sender --------------------------------------------

T0 = at("2026-11-25T09:00:00+00:00")  # a Wednesday
SATURDAY_NOON = at("2026-11-28T12:00:00+00:00")
FIRM = Firm(id="firm-a", time_zone="Europe/Lisbon", sending_hours=NINE_TO_FIVE)
ACCOUNT = Account(
    firm_id="firm-a", id="acc_1", name="Souza", language=Language.EN, contacts=(), created_at=T0, time_zone=None
)


def notified(window_seen: SendingWindow | None, days_between: int = 3) -> ActionItem:
    return ActionItem(
        firm_id="firm-a",
        id="itm_1",
        account_id="acc_1",
        kind=Kind.ORGANIZER,
        title="Organizer",
        sent_at=T0,
        created_by="user-1",
        reminders=ReminderSettings(enabled=True, days_between=days_between, max_reminders=2),
        notified=True,
        last_emailed_at=T0,
        window=window_seen,
    )


def test_the_clients_window_is_the_accounts_zone_else_the_firms() -> None:
    assert client_clock.sending_window(FIRM, ACCOUNT) == window("Europe/Lisbon")
    assert client_clock.sending_window(FIRM, replace(ACCOUNT, time_zone="Asia/Tokyo")) == window("Asia/Tokyo")
    assert client_clock.sending_window(replace(FIRM, sending_hours=None), ACCOUNT) is None
    assert client_clock.sending_window(None, ACCOUNT) is None


def test_the_due_index_holds_the_windows_next_start() -> None:
    # due Saturday 09:00 (3 days after Wednesday): indexed for Monday 09:00 Lisbon time
    item = notified(window("Europe/Lisbon"))
    assert policy.due_at(item) == at("2026-11-28T09:00:00+00:00")
    assert policy.index_time(item) == at("2026-11-30T09:00:00+00:00")
    # the notification itself is never held back
    fresh = replace(item, notified=False, last_emailed_at=None, claim=None)
    assert policy.index_time(fresh) == T0


def test_the_api_shows_the_next_start_in_the_window_as_it_is_now() -> None:
    item = notified(None)
    assert policy.next_at(item, T0) == at("2026-11-28T09:00:00+00:00")
    assert policy.next_at(item, T0, window("Europe/Lisbon")) == at("2026-11-30T09:00:00+00:00")
    # overdue while the window is closed: its next start; while it is open: now
    assert policy.next_at(item, SATURDAY_NOON, window("UTC")) == at("2026-11-30T09:00:00+00:00")
    tuesday = at("2026-12-01T10:00:00+00:00")
    assert policy.next_at(item, tuesday, window("UTC")) == tuesday


@PROPERTIES
@given(sending=windows, days_between=st.integers(1, 30), sent=instants)
def test_the_sender_sends_what_the_scan_claims_at_the_indexed_time(
    sending: SendingWindow, days_between: int, sent: datetime
) -> None:
    # Given an item that saw the client's window as it is
    item = replace(notified(sending, days_between), sent_at=sent, last_emailed_at=sent)
    indexed = policy.index_time(item)
    assert indexed is not None

    # When the scan claims it at the indexed time and the sender checks it at once
    claimed = replace(item, claim=Claim(number=1, until=indexed + timedelta(days=4)))

    # Then the sender sends it: no claim is ever released for being outside the window
    assert policy.skip_reason_for_scheduled(claimed, 1, indexed, sending) is None


@PROPERTIES
@given(sending=windows, late=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)))
def test_a_reminder_found_outside_the_window_waits_for_its_next_start_not_forever(
    sending: SendingWindow, late: timedelta
) -> None:
    # Given a claimed reminder the sender gets to `late` after the indexed time (a backlog)
    item = notified(sending)
    indexed = policy.index_time(item)
    assert indexed is not None
    now = indexed + late
    claimed = replace(item, claim=Claim(number=1, until=now + timedelta(days=4)))
    if policy.skip_reason_for_scheduled(claimed, 1, now, sending) != policy.SKIP_OUTSIDE_HOURS:
        return

    # When it releases the claim, remembering when it found the window closed
    released = replace(claimed, claim=None, not_before=now)

    # Then the index moves to the window's next start: later than now, inside the window, and the
    # scan claims it only then (never again while the window is still closed)
    moved = policy.index_time(released)
    assert moved is not None
    assert moved > now
    assert client_clock.inside(moved, sending)
    assert moved == client_clock.next_allowed(now, sending)


def test_a_round_that_started_is_finished_after_hours() -> None:
    # Given a reminder whose round was held back by the mail service after it reached one contact
    item = notified(window("UTC"))
    claimed = replace(
        item,
        claim=Claim(number=1, until=SATURDAY_NOON + WEEK),
        deliveries={"scheduled:1": progress_of(delivered=("a@x.com",))},
    )

    # Then the sender finishes it on Saturday; a round that has not started waits
    assert policy.skip_reason_for_scheduled(claimed, 1, SATURDAY_NOON, window("UTC")) is None
    fresh = replace(claimed, deliveries={})
    assert policy.skip_reason_for_scheduled(fresh, 1, SATURDAY_NOON, window("UTC")) == policy.SKIP_OUTSIDE_HOURS


@pytest.mark.parametrize("name", ["Europe/Lisbon", "America/Sao_Paulo", "UTC", "US/Eastern", "Etc/GMT+3"])
def test_accepted_zone_names_include_links_and_fixed_offsets(name: str) -> None:
    assert zones.is_known(name)


@pytest.mark.parametrize(
    "name", ["Europe/lisbon", "Mars/Olympus_Mons", "", "../etc/passwd", "/etc/localtime", "Factory"]
)
def test_other_names_are_unknown(name: str) -> None:
    assert not zones.is_known(name)
