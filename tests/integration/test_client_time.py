"""The client's time (SPEC R16) through the functions' real entry points: the firm's time zone and
sending hours, an account's own time zone, when automatic reminders go out (and what waits, what
does not), rescheduling when the hours or a zone change, and dates in emails."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from tests.conftest import START
from tests.support.aws import REGION, TABLE_NAME, table_snapshot
from tests.support.world import World

DAY = timedelta(days=1)
WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]
NINE_TO_FIVE = {"days": WEEKDAYS, "start": "09:00", "end": "17:00"}
ANA = "ana@client.example.com"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def set_firm(world: World, time_zone: str = "UTC", sending_hours: Any = NINE_TO_FIVE) -> Any:
    reply = world.api(
        "PUT", "/firm", {"name": "Silva Contabilidade", "time_zone": time_zone, "sending_hours": sending_hours}
    )
    assert reply.status == 200, reply.body
    return reply.body


def item_of(world: World, item_id: str) -> Any:
    return world.api("GET", f"/action-items/{item_id}").body


def reminders_sent_at(world: World, item_id: str) -> list[str]:
    audit = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return [e["at"] for e in audit if e["type"] == "reminder_sent" and e["details"]["mode"] == "auto"]


def stored_item(item_id: str) -> dict[str, Any]:
    table = boto3.resource("dynamodb", region_name=REGION).Table(TABLE_NAME)
    return next(i for i in table.scan()["Items"] if i.get("item_id") == item_id and i["sk"] == "ITEM")


def claimed_at(world: World, when: datetime) -> int:
    """A scheduled tick at `when`, then the send queue drained: how many reminders it claimed."""
    claimed = int(world.scan(when)["claimed"])
    world.drain()
    return claimed


# --- the profile ----------------------------------------------------------------------------------


def test_the_firm_sets_its_time_zone_and_sending_hours_and_reads_them_back(world: World) -> None:
    # When the firm sets its profile with sending hours, naming the days in any order
    hours = {"days": ["fri", "mon", "wed"], "start": "08:30", "end": "18:00"}
    put = set_firm(world, "Europe/Lisbon", hours)

    # Then they are stored and shown, the days in week order
    shown = {"days": ["mon", "wed", "fri"], "start": "08:30", "end": "18:00"}
    assert (put["time_zone"], put["sending_hours"]) == ("Europe/Lisbon", shown)
    assert world.api("GET", "/firm").body["sending_hours"] == shown

    # And putting the profile without them means UTC at any time again (PUT replaces the profile)
    again = world.api("PUT", "/firm", {"name": "Silva Contabilidade"}).body
    assert (again["time_zone"], again["sending_hours"]) == ("UTC", None)


def test_an_account_has_its_own_time_zone_set_on_create_and_changed_later(world: World) -> None:
    # Given an account created in Sao Paulo's time zone
    created = world.api("POST", "/accounts", {"name": "Souza", "time_zone": "America/Sao_Paulo"}).body
    assert created["time_zone"] == "America/Sao_Paulo"

    # When the firm moves it to Lisbon, then back to the firm's zone
    moved = world.api("PATCH", f"/accounts/{created['id']}", {"time_zone": "Europe/Lisbon", "name": "Souza Family"})
    cleared = world.api("PATCH", f"/accounts/{created['id']}", {"time_zone": None})

    # Then each change is shown and kept, and what it did not name stays
    assert (moved.status, moved.body["time_zone"], moved.body["name"]) == (200, "Europe/Lisbon", "Souza Family")
    assert (cleared.body["time_zone"], cleared.body["name"]) == (None, "Souza Family")
    assert world.api("GET", f"/accounts/{created['id']}").body["time_zone"] is None
    # an account made without one follows the firm's
    assert world.create_account()["time_zone"] is None


def test_bad_time_zones_and_hours_are_refused_naming_the_field_and_nothing_is_written(world: World) -> None:
    # Given a firm with sending hours and an account
    set_firm(world, "Europe/Lisbon")
    account = world.create_account()
    world.take_queued()
    before = table_snapshot()

    # When the firm sends an unknown zone, a start not before the end, and an unknown day
    replies = {
        "sending_hours.end": world.api(
            "PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon"], "start": "18:00", "end": "09:00"}}
        ),
        "time_zone": world.api("PUT", "/firm", {"name": "F", "time_zone": "Europe/Atlantis"}),
        "sending_hours.days[0]": world.api(
            "PUT", "/firm", {"name": "F", "sending_hours": {"days": ["someday"], "start": "09:00", "end": "17:00"}}
        ),
    }
    patched = world.api("PATCH", f"/accounts/{account['id']}", {"time_zone": "UTC+1"})

    # Then each is a 422 naming its field; nothing was written and no rescheduling was queued
    for field, reply in {**replies, "time_zone (account)": patched}.items():
        assert (reply.status, reply.error_code) == (422, "validation_error"), (field, reply.body)
        assert [d["field"] for d in reply.body["error"]["details"]] == [field.removesuffix(" (account)")]
    assert table_snapshot() == before
    assert world.queued_bodies() == []
    assert world.api("GET", "/firm").body["time_zone"] == "Europe/Lisbon"


# --- when reminders go out --------------------------------------------------------------------------


def test_a_reminder_due_on_saturday_waits_for_monday(world: World) -> None:
    # Given sending hours Monday to Friday, 09:00-17:00 UTC, and an item sent on Friday 27 November
    # 09:00 with a reminder a day later: due on Saturday at 09:00
    set_firm(world)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1})

    # Then it shows Monday at 09:00 as its next reminder
    assert item["reminders"]["next_at"] == "2026-11-30T09:00:00Z"

    # When the schedule ticks through the weekend
    weekend = [at("2026-11-28T09:00:00+00:00"), at("2026-11-29T12:00:00+00:00"), at("2026-11-30T08:59:59+00:00")]
    assert [claimed_at(world, tick) for tick in weekend] == [0, 0, 0]

    # Then it goes out on Monday at 09:00, not before
    assert claimed_at(world, at("2026-11-30T09:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-11-30T09:00:00Z"]
    assert len(world.mail_to(ANA)) == 2


def test_an_account_time_zone_overrides_the_firms(world: World) -> None:
    # Given a firm sending 09:00-17:00 UTC, an account of its own in Tokyo (UTC+9), one without
    set_firm(world, "UTC")
    tokyo = world.api(
        "POST",
        "/accounts",
        {"name": "Sato", "time_zone": "Asia/Tokyo", "contacts": [{"name": "Yui", "email": "yui@client.example.com"}]},
    ).body
    london = world.create_account()
    reminders = {"enabled": True, "days_between": 3}
    in_tokyo = world.send_item(tokyo["id"], reminders=reminders)
    in_utc = world.send_item(london["id"], reminders=reminders)

    # Then both fall due on Monday at 09:00 UTC: 18:00 in Tokyo, past its hours, so Tokyo's waits
    # for Tuesday 09:00 Tokyo time (00:00 UTC) while the other goes at once
    assert in_utc["reminders"]["next_at"] == "2026-11-30T09:00:00Z"
    assert in_tokyo["reminders"]["next_at"] == "2026-12-01T00:00:00Z"
    assert claimed_at(world, at("2026-11-30T09:00:00+00:00")) == 1
    assert reminders_sent_at(world, in_utc["id"]) == ["2026-11-30T09:00:00Z"]
    assert reminders_sent_at(world, in_tokyo["id"]) == []
    assert claimed_at(world, at("2026-12-01T00:00:00+00:00")) == 1
    assert reminders_sent_at(world, in_tokyo["id"]) == ["2026-12-01T00:00:00Z"]


def test_across_a_daylight_saving_change_the_window_keeps_to_the_clients_clock(world: World) -> None:
    # Given a firm in Lisbon sending 09:00-17:00 on weekdays, and an item sent on Wednesday 25 March
    # 2026 at 10:00 WET (UTC) with a reminder 3 days later: Saturday 28th; the clocks go forward on
    # Sunday the 29th, so Monday's 09:00 is WEST, 08:00 UTC
    world.time.move_to(at("2026-03-25T10:00:00+00:00"))
    set_firm(world, "Europe/Lisbon")
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3})

    # Then it shows, and goes out at, Monday 09:00 Lisbon time
    assert item["reminders"]["next_at"] == "2026-03-30T08:00:00Z"
    assert claimed_at(world, at("2026-03-30T07:59:00+00:00")) == 0
    assert claimed_at(world, at("2026-03-30T08:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-03-30T08:00:00Z"]


def test_first_notifications_manual_resends_and_approval_requests_go_at_once_outside_hours(world: World) -> None:
    # Given weekday sending hours, and Saturday night
    set_firm(world)
    account = world.create_account()
    world.time.move_to(at("2026-11-28T23:00:00+00:00"))

    # When the firm sends an item, resends it, and requests approval for a pending document
    item = world.send_item(account["id"], reminders={"enabled": True})
    resent = world.api("POST", f"/action-items/{item['id']}/resend")
    world.send_item(account["id"], kind="approval", title="Engagement letter")
    requested = world.api("POST", "/approvals/request-pending", {})
    world.drain()

    # Then every one of them went at once: notification, resend, notification, approval request
    assert (resent.status, requested.status) == (202, 202)
    subjects = [m.subject for m in world.mail_to(ANA)]
    assert len(subjects) == 4
    audit = world.api("GET", f"/accounts/{account['id']}/audit").body["items"]
    assert {e["at"] for e in audit} == {"2026-11-28T23:00:00Z"}
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent", "item_sent", "approval_requested"]


# --- changing the hours or the zone ---------------------------------------------------------------


def test_widening_the_hours_brings_a_waiting_reminder_forward(world: World) -> None:
    # Given a reminder due on Saturday 09:00 that waits for Monday under weekday hours
    set_firm(world)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1})
    assert item["reminders"]["next_at"] == "2026-11-30T09:00:00Z"

    # When the firm adds Saturdays (the send function reschedules its pending items)
    set_firm(world, sending_hours={**NINE_TO_FIVE, "days": [*WEEKDAYS, "sat"]})

    # Then the item shows Saturday at once, and goes out then, not on Monday
    assert item_of(world, item["id"])["reminders"]["next_at"] == "2026-11-28T09:00:00Z"
    world.drain()
    assert claimed_at(world, at("2026-11-28T09:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-11-28T09:00:00Z"]


def test_narrowing_the_hours_holds_a_reminder_back(world: World) -> None:
    # Given a firm sending at any time, and a reminder due on Saturday 09:00
    set_firm(world, sending_hours=None)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1})
    assert item["reminders"]["next_at"] == "2026-11-28T09:00:00Z"

    # When the firm limits sending to weekdays, and the pending items are rescheduled
    set_firm(world)
    assert item_of(world, item["id"])["reminders"]["next_at"] == "2026-11-30T09:00:00Z"
    world.drain()

    # Then the weekend's ticks find nothing due, and Monday's sends it
    assert claimed_at(world, at("2026-11-28T09:00:00+00:00")) == 0
    assert claimed_at(world, at("2026-11-30T09:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-11-30T09:00:00Z"]


def test_changing_an_accounts_zone_reschedules_its_reminders(world: World) -> None:
    # Given a reminder due on Monday 30 November at 09:00 UTC under 09:00-17:00 UTC hours
    set_firm(world)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3})
    assert item["reminders"]["next_at"] == "2026-11-30T09:00:00Z"

    # When the account moves to New York (09:00 UTC is 04:00 there), and the change is rescheduled
    assert world.api("PATCH", f"/accounts/{account['id']}", {"time_zone": "America/New_York"}).status == 200
    assert item_of(world, item["id"])["reminders"]["next_at"] == "2026-11-30T14:00:00Z"
    world.drain()

    # Then it goes at 09:00 New York time
    assert claimed_at(world, at("2026-11-30T09:00:00+00:00")) == 0
    assert claimed_at(world, at("2026-11-30T14:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-11-30T14:00:00Z"]


def test_a_reminder_claimed_on_a_stale_index_is_held_back_by_the_sender_and_not_lost(world: World) -> None:
    # Given a reminder due on Saturday 09:00 while the firm sends at any time
    set_firm(world, sending_hours=None)
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1, "max_reminders": 2})

    # When the firm limits sending to weekdays but its rescheduling has not run (the messages are
    # taken off the queue): the index still says Saturday
    world.drain()
    set_firm(world)
    assert [m["type"] for m in world.take_queued()] == ["reschedule"]
    assert int(stored_item(item["id"])["next_reminder_at"]) == int(at("2026-11-28T09:00:00+00:00").timestamp())

    # Then Saturday's tick claims it, and the sender sends nothing: it releases the claim (not an
    # attempt) and the index moves to Monday 09:00
    assert claimed_at(world, at("2026-11-28T09:00:00+00:00")) == 1
    assert len(world.mail_to(ANA)) == 1
    stored = stored_item(item["id"])
    assert "claim_number" not in stored
    assert int(stored["next_reminder_at"]) == int(at("2026-11-30T09:00:00+00:00").timestamp())
    assert claimed_at(world, at("2026-11-29T09:00:00+00:00")) == 0

    # And Monday's tick sends it, counted as the first of two (no attempt was used up)
    assert claimed_at(world, at("2026-11-30T09:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-11-30T09:00:00Z"]
    shown = item_of(world, item["id"])
    assert (shown["reminders"]["sent"], shown["email_failed"]) == (1, False)


def test_a_reminder_held_in_a_backlog_past_the_end_of_the_day_waits_for_the_next_morning(world: World) -> None:
    # Given a reminder claimed at Monday 16:59, whose message waits in the queue past 17:00
    set_firm(world)
    account = world.create_account()
    world.time.move_to(at("2026-11-26T16:59:00+00:00"))
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 4})
    assert world.scan(at("2026-11-30T16:59:00+00:00"))["claimed"] == 1

    # When the send function gets to it at 17:00:30
    world.time.move_to(at("2026-11-30T17:00:30+00:00"))
    world.drain()

    # Then nothing goes out after hours, and the reminder is due again at Tuesday's start, not at
    # every tick of the evening
    assert reminders_sent_at(world, item["id"]) == []
    assert item_of(world, item["id"])["reminders"]["next_at"] == "2026-12-01T09:00:00Z"
    assert claimed_at(world, at("2026-11-30T17:05:00+00:00")) == 0
    assert claimed_at(world, at("2026-12-01T09:00:00+00:00")) == 1
    assert reminders_sent_at(world, item["id"]) == ["2026-12-01T09:00:00Z"]


# --- dates in emails --------------------------------------------------------------------------------


def test_emails_show_the_invoice_due_date_in_the_accounts_time_zone(world: World) -> None:
    # Given an invoice template due 30 days after sending, and an account in Auckland (UTC+13 in
    # November), where Friday 27 November 12:00 UTC is already Saturday the 28th
    world.time.move_to(START.replace(hour=12))
    template = world.api(
        "POST",
        "/templates",
        {"kind": "invoice", "name": "Fee", "invoice": {"amount": "850.00", "currency": "NZD", "due_in_days": 30}},
    ).body
    auckland = world.api(
        "POST",
        "/accounts",
        {"name": "Ngata", "time_zone": "Pacific/Auckland", "contacts": [{"name": "Mere", "email": "mere@x.example"}]},
    ).body
    utc = world.create_account()

    # When the firm sends an invoice from it to each
    there = world.api(
        "POST", f"/accounts/{auckland['id']}/action-items", {"kind": "invoice", "template_id": template["id"]}
    )
    here = world.api("POST", f"/accounts/{utc['id']}/action-items", {"kind": "invoice", "template_id": template["id"]})

    # Then the due date is 30 days after the client's today, and the email shows that date
    assert there.body["invoice"]["due_date"] == "2026-12-28"
    assert here.body["invoice"]["due_date"] == "2026-12-27"
    (mail,) = world.mail_to("mere@x.example")
    assert "28 December 2026" in mail.subject
    assert "28 December 2026" in mail.html
