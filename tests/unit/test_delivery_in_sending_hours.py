"""The sender and the client's sending window (SPEC R16), with the delivery tests' in-memory fakes:
the window as the batch read it decides whether an automatic reminder goes now, and is kept on
every write so the due index follows it."""

from __future__ import annotations

from dataclasses import replace
from datetime import time, timedelta

from portal_reminders.models.domain import Claim, SendingHours, SendingWindow, Weekday
from portal_reminders.reminders.scheduling import policy
from tests.unit.test_delivery import ACCOUNT, FIRM, NOW, REMINDER_1, T0, World, a_resend, item

# NOW is Thursday 5 March 2026, 09:05 UTC
TEN_TO_FIVE = SendingHours(
    days=frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI}), start=time(10), end=time(17)
)
EIGHT_TO_FIVE = replace(TEN_TO_FIVE, start=time(8))
THURSDAY_TEN = NOW.replace(hour=10, minute=0)


def in_hours(world: World, hours: SendingHours, zone: str = "UTC") -> World:
    world.repository.firm = replace(FIRM, time_zone=zone, sending_hours=hours)
    return world


def test_a_reminder_found_outside_the_window_is_released_not_sent_and_waits_for_its_start() -> None:
    # Given reminder 1 claimed (a second claim: the first lease expired), and the firm's hours start at 10:00
    world = in_hours(World(item(claim=Claim(number=1, until=NOW + timedelta(hours=1), attempts=2))), TEN_TO_FIVE)

    # When the sender gets it at 09:05
    outcome = world.deliver(REMINDER_1)

    # Then nobody is emailed and nothing is recorded; the claim is released, and the item remembers
    # the window and when it found it closed, so the due index says 10:00 today
    assert (outcome.status, outcome.reason) == ("skipped", policy.SKIP_OUTSIDE_HOURS)
    assert world.mailer.sent == []
    assert world.repository.events == []
    stored = world.stored
    assert stored.claim is None
    assert stored.reminders_sent == 0
    assert stored.window == SendingWindow("UTC", TEN_TO_FIVE)
    assert stored.not_before == NOW
    assert policy.index_time(stored) == THURSDAY_TEN
    # the next claim is a first attempt again: holding back is not a failed delivery
    assert policy.next_claim(stored.claim, 1, THURSDAY_TEN, timedelta(hours=1)).attempts == 1


def test_inside_the_window_it_is_sent_and_the_window_kept_for_the_next_one() -> None:
    # Given the firm's hours start at 08:00 in Lisbon (UTC in March until the 29th)
    world = in_hours(World(item()), EIGHT_TO_FIVE, "Europe/Lisbon")

    # When the sender gets reminder 1 at 09:05
    outcome = world.deliver(REMINDER_1)

    # Then it goes, and the item keeps the window: reminder 2, due on Sunday 8 March, waits for Monday
    assert outcome.status == "sent"
    stored = world.stored
    assert stored.window == SendingWindow("Europe/Lisbon", EIGHT_TO_FIVE)
    assert policy.due_at(stored) == NOW + timedelta(days=3)
    assert policy.index_time(stored) == (T0 + timedelta(days=7)).replace(hour=8)


def test_the_accounts_own_zone_decides() -> None:
    # Given hours from 10:00, an account in Lisbon (09:05 there) and one in Helsinki (UTC+2: 11:05)
    lisbon = in_hours(World(item(), account=replace(ACCOUNT, time_zone="Europe/Lisbon")), TEN_TO_FIVE)
    helsinki = in_hours(World(item(), account=replace(ACCOUNT, time_zone="Europe/Helsinki")), TEN_TO_FIVE)

    # Then at 09:05 UTC Lisbon's waits and Helsinki's goes
    assert lisbon.deliver(REMINDER_1).reason == policy.SKIP_OUTSIDE_HOURS
    assert helsinki.deliver(REMINDER_1).status == "sent"


def test_a_manual_resend_is_never_held_back() -> None:
    world = in_hours(World(item(claim=None)), TEN_TO_FIVE)
    assert world.deliver(a_resend()).status == "sent"
