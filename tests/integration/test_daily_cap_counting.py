"""SPEC R18: the daily email cap counts emails that went out (or are still owed), never rounds the
sender did not send: deferred by the sending window (R16), skipped, held back by the send rate or
throttled (R14), suppressed contacts (R15), or a manual round handed to the send queue. Otherwise
the cap fills early and the firm's reminders wait a day for nothing. Through the real handlers, with
the cap set low in the functions' environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from portal_reminders import clock, wiring
from portal_reminders.repository import keys
from tests.conftest import START
from tests.support.aws import REGION, TABLE_NAME
from tests.support.faults import ses_errors
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"
EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def _capped(monkeypatch: pytest.MonkeyPatch, cap: int) -> None:
    monkeypatch.setenv("DAILY_EMAIL_CAP", str(cap))
    monkeypatch.setenv("RESEND_COOLDOWN_MINUTES", "0")
    wiring.reset()


def _counted(firm: str, day: str) -> int:
    """What the firm's daily email counter holds for `day` (YYYY-MM-DD)."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE_NAME)
    record = table.get_item(Key={"pk": keys.daily_emails_pk(firm), "sk": day}).get("Item")
    return 0 if record is None else int(record["emails"])


def _auto_reminders_at(world: World, item_id: str) -> list[str]:
    audit = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return [e["at"] for e in audit if e["type"] == "reminder_sent" and e["details"]["mode"] == "auto"]


def _set_firm(world: World, sending_hours: Any) -> None:
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", "sending_hours": sending_hours})
    assert reply.status == 200, reply.body


# --- the daily cap against rounds that send nothing --------------------------------------------------


def test_a_round_deferred_by_the_sending_window_is_not_charged_to_the_daily_cap(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a firm capped at 3 emails a day, sending at any time, and an item (2 notify contacts)
    # sent on Friday whose reminder is due on Saturday at 09:00
    _capped(monkeypatch, 3)
    _set_firm(world, None)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1})
    world.drain()

    # When the firm narrows its hours to 12:00-17:00 every day, and the stale index has Saturday's
    # 09:00 tick claim the reminder, which the sender defers to 12:00 (SPEC R16)
    _set_firm(world, {"days": EVERY_DAY, "start": "12:00", "end": "17:00"})
    world.take_queued()  # the rescheduling pass has not run yet
    assert world.scan(at("2026-11-28T09:00:00+00:00"))["claimed"] == 1
    world.drain()
    assert _auto_reminders_at(world, item["id"]) == []

    # Then at 12:00 the reminder goes out on Saturday: the deferred round emailed nobody, so its 2
    # emails are the only ones of Saturday, within a cap of 3 (not pushed to Sunday by DailyCapReached)
    assert world.scan(at("2026-11-28T12:00:00+00:00"))["claimed"] == 1
    world.drain()
    assert _auto_reminders_at(world, item["id"]) == ["2026-11-28T12:00:00Z"]
    assert _counted("firm-a", "2026-11-28") == 2


def test_a_reminder_skipped_because_the_item_completed_while_queued_is_not_charged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a capped firm, and an item whose reminder the scan has claimed and queued on Monday
    _capped(monkeypatch, 4)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True})
    assert world.scan(START + 3 * DAY)["claimed"] == 1

    # When the client completes the item before the send function takes the message (SPEC R3)
    assert world.api("POST", f"/action-items/{item['id']}/complete", {}).status == 200
    world.drain()

    # Then nothing went out, and nothing was counted against Monday's cap
    assert _auto_reminders_at(world, item["id"]) == []
    assert _counted("firm-a", "2026-11-30") == 0


def test_a_manual_resend_is_not_charged_for_a_suppressed_contact(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a firm capped at 4 a day, an item sent to Ana and Bruno (2 emails), and Ana suppressed
    _capped(monkeypatch, 4)
    account = world.create_account()
    item = world.send_item(account["id"])
    assert world.bounce(ANA) is not None

    # When the firm resends it by hand: only Bruno is emailed (SPEC R15)
    first = world.api("POST", f"/action-items/{item['id']}/resend", {})
    assert first.status == 202
    assert len(world.mail_to(BRUNO)) == 2
    assert len(world.mail_to(ANA)) == 1

    # Then one more resend (1 email; 3 of 4 sent today) still fits the cap, and is not refused 429
    second = world.api("POST", f"/action-items/{item['id']}/resend", {})
    assert second.status == 202, second.body
    assert len(world.mail_to(BRUNO)) == 3
    assert _counted("firm-a", START.date().isoformat()) == 4


def _send_rate_booked_ahead(seconds: float) -> None:
    """Other send functions have booked the shared send rate `seconds` ahead (pacing.py)."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE_NAME)
    free = round(clock.now().timestamp() + seconds)
    table.put_item(Item={"pk": keys.SEND_TIMELINE_PK, "sk": keys.STACK_SK, "next_free": free})


def test_a_round_held_back_by_the_shared_send_rate_is_charged_to_the_daily_cap_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a firm capped at 4 emails a day, and an item (2 notify contacts) whose reminder falls
    # due on Monday
    _capped(monkeypatch, 4)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True})
    monday = START + 3 * DAY

    # When the scan queues it while other send functions have the send rate booked a minute ahead,
    # so the send function's first try gets no turn (SendRateExceeded, SPEC R14: a delay) ...
    assert world.scan(monday)["claimed"] == 1
    _send_rate_booked_ahead(60)
    runs = world.drain()
    assert runs
    assert runs[0].failed_ids
    assert _auto_reminders_at(world, item["id"]) == []

    # ... and its retry, once the rate is free, sends it
    world.time.shift(timedelta(minutes=2))
    world.drain()
    assert len(_auto_reminders_at(world, item["id"])) == 1
    assert len(world.mail_to(ANA)) == 2

    # Then Monday has sent 2 of its 4: a manual resend (2 more) still fits the cap, not 429
    resend = world.api("POST", f"/action-items/{item['id']}/resend", {})
    assert resend.status == 202, resend.body
    assert _counted("firm-a", "2026-11-30") == 4


def test_retries_of_a_throttled_round_are_not_charged_to_the_daily_cap_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a firm capped at 10 emails a day, and an item (2 notify contacts) whose reminder falls
    # due on Monday at 09:00, when SES throttles every send for an hour (SPEC R14: a delay)
    _capped(monkeypatch, 10)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True})
    monday = START + 3 * DAY
    world.time.move_to(monday)

    # When the schedule and the send queue run through the throttling and after it
    with ses_errors(lambda *_: "TooManyRequestsException" if clock.now() < monday + timedelta(hours=1) else None):
        world.run_for(timedelta(hours=2))

    # Then the reminder went out once to each contact
    assert len(_auto_reminders_at(world, item["id"])) == 1
    assert len(world.mail_to(ANA)) == len(world.mail_to(BRUNO)) == 2

    # And Monday has counted those 2 emails, not one batch's worth per retry: the firm can still
    # resend by hand (2 more of its 10)
    resend = world.api("POST", f"/action-items/{item['id']}/resend", {})
    assert resend.status == 202, (resend.body, _counted("firm-a", "2026-11-30"))
    assert _counted("firm-a", "2026-11-30") == 4


def test_a_manual_resend_handed_to_the_queue_is_counted_against_the_daily_cap_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _capped(monkeypatch, 7)
    # Given a cap of 7; an item to Ana and Bruno (2 emails) and one to Dora's account (1 email)
    first = world.create_account()
    item = world.send_item(first["id"])
    second = world.create_account(contacts=[{"name": "Dora", "email": "dora@client.example.com", "notify": True}])
    other = world.send_item(second["id"])
    # And a manual resend of the first while SES throttles: accepted (2 emails counted) and queued
    with ses_errors(lambda *_: "TooManyRequestsException"):
        queued = world.api("POST", f"/action-items/{item['id']}/resend")
    assert (queued.status, queued.body["queued"]) == (202, True), queued.body
    # which the send function delivers once SES is back (5 emails sent today in all)
    world.time.shift(timedelta(minutes=5))
    world.run_for(timedelta(minutes=30))
    assert len(world.sent) == 5, [m.to for m in world.sent]

    # When the firm resends Dora's item by hand: its 6th email today, within the cap of 7
    reply = world.api("POST", f"/action-items/{other['id']}/resend")

    # Then it is accepted (the queued resend's 2 emails were counted once, not twice)
    assert reply.status == 202, reply.body
