"""Pauses (SPEC R20) through the functions' real entry points: an account's or the firm's
`reminders_paused_until` holds every automatic reminder until that day starts in the client's time
zone, then R16's sending hours; `next_at` shows the resumed time; nothing bursts afterwards (one
reminder per item: the latest step of a sequence); manual resends and first notifications still go;
setting, moving or lifting a pause reschedules the pending items through the send queue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.aws import table_snapshot
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"
# START is Friday 27 November 2026, 09:00 UTC: a reminder every 3 days is due on Monday 30 November
EVERY_3_DAYS = {"enabled": True, "days_between": 3, "max_reminders": 3}
WEEKDAYS_9_TO_5 = {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def item_of(world: World, item_id: str) -> dict[str, Any]:
    return dict(world.api("GET", f"/action-items/{item_id}").body)


def next_at(world: World, item_id: str) -> str | None:
    return item_of(world, item_id)["reminders"]["next_at"]  # type: ignore[no-any-return]


def automatic_at(world: World, item_id: str) -> list[str]:
    audit = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return [e["at"] for e in audit if e["type"] == "reminder_sent" and e["details"]["mode"] == "auto"]


def tick(world: World, when: datetime) -> int:
    """A scheduled tick at `when`, then the send queue drained: how many reminders it claimed."""
    claimed = int(world.scan(when)["claimed"])
    world.drain()
    return claimed


def pause_account(world: World, account_id: str, until: str | None) -> dict[str, Any]:
    reply = world.api("PATCH", f"/accounts/{account_id}", {"reminders_paused_until": until})
    assert reply.status == 200, reply.body
    world.drain()  # the rescheduling pass the change queued
    return dict(reply.body)


def put_firm(world: World, **profile: Any) -> dict[str, Any]:
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", **profile})
    assert reply.status == 200, reply.body
    world.drain()
    return dict(reply.body)


def test_an_account_pause_holds_reminders_until_the_day_starts_in_the_clients_zone(world: World) -> None:
    # Given an account in New York with a reminder due on Monday 30 November
    account = world.create_account()
    assert world.api("PATCH", f"/accounts/{account['id']}", {"time_zone": "America/New_York"}).status == 200
    world.drain()
    item = world.send_item(account["id"], reminders=EVERY_3_DAYS)
    assert item["reminders"]["next_at"] == "2026-11-30T09:00:00Z"

    # When the firm pauses the account's reminders until Saturday 5 December
    paused = pause_account(world, account["id"], "2026-12-05")

    # Then the account shows the pause, and the item the resumed time: midnight in New York
    assert paused["reminders_paused_until"] == "2026-12-05"
    assert world.api("GET", f"/accounts/{account['id']}").body["reminders_paused_until"] == "2026-12-05"
    assert next_at(world, item["id"]) == "2026-12-05T05:00:00Z"

    # And nothing goes during the pause; one reminder goes when it ends, and the next is counted from it
    assert tick(world, at("2026-11-30T09:01:00+00:00")) == 0
    assert tick(world, at("2026-12-05T04:59:00+00:00")) == 0
    assert tick(world, at("2026-12-05T05:00:00+00:00")) == 1
    assert automatic_at(world, item["id"]) == ["2026-12-05T05:00:00Z"]
    assert next_at(world, item["id"]) == "2026-12-08T05:00:00Z"


def test_a_pause_ending_on_a_saturday_resumes_at_the_next_start_of_the_sending_hours(world: World) -> None:
    # Given weekday sending hours, and a reminder due on Monday 30 November
    put_firm(world, sending_hours=WEEKDAYS_9_TO_5)
    account = world.create_account()
    item = world.send_item(account["id"], reminders=EVERY_3_DAYS)

    # When the account is paused until Saturday 5 December
    pause_account(world, account["id"], "2026-12-05")

    # Then the reminder waits for Monday 7 December at 09:00
    assert next_at(world, item["id"]) == "2026-12-07T09:00:00Z"
    assert tick(world, at("2026-12-05T00:00:00+00:00")) == 0
    assert tick(world, at("2026-12-07T09:00:00+00:00")) == 1
    assert automatic_at(world, item["id"]) == ["2026-12-07T09:00:00Z"]


def test_steps_that_fell_inside_a_pause_are_not_sent_in_a_burst(world: World) -> None:
    # Given an item due on 10 December with steps 3 days before, on the day and a week after
    account = world.create_account()
    steps = [{"days": -3}, {"days": 0}, {"days": 7}]
    reminders = {"enabled": True, "schedule": "due_date", "steps": steps}
    item = world.send_item(account["id"], due_date="2026-12-10", reminders=reminders)

    # When the account is paused until 12 December, over the first two steps
    pause_account(world, account["id"], "2026-12-12")
    assert next_at(world, item["id"]) == "2026-12-12T00:00:00Z"

    # Then when the pause ends only the latest step that came goes, and the first is skipped
    assert tick(world, at("2026-12-10T09:00:00+00:00")) == 0
    assert tick(world, at("2026-12-12T00:00:00+00:00")) == 1
    shown = item_of(world, item["id"])["reminders"]
    assert [(s["days"], s["status"]) for s in shown["steps"]] == [(-3, "skipped"), (0, "sent"), (7, "scheduled")]
    assert (shown["sent"], shown["next_at"]) == (1, "2026-12-17T09:00:00Z")
    assert len([m for m in world.mail if m.to == [ANA]]) == 2  # the notification and one reminder


def test_lifting_a_pause_brings_the_reminder_back(world: World) -> None:
    # Given an account paused until 20 December, with a reminder due on 30 November
    account = world.create_account()
    item = world.send_item(account["id"], reminders=EVERY_3_DAYS)
    pause_account(world, account["id"], "2026-12-20")
    assert tick(world, at("2026-11-30T09:01:00+00:00")) == 0

    # When the firm lifts the pause on 1 December
    world.time.move_to(at("2026-12-01T10:00:00+00:00"))
    lifted = pause_account(world, account["id"], None)

    # Then the reminder is due again at once, and the next tick sends it
    assert lifted["reminders_paused_until"] is None
    assert next_at(world, item["id"]) == "2026-12-01T10:00:00Z"
    assert tick(world, at("2026-12-01T10:05:00+00:00")) == 1
    assert automatic_at(world, item["id"]) == ["2026-12-01T10:05:00Z"]


def test_moving_a_pause_earlier_reschedules_the_reminder(world: World) -> None:
    # Given an account paused until 20 December
    account = world.create_account()
    item = world.send_item(account["id"], reminders=EVERY_3_DAYS)
    pause_account(world, account["id"], "2026-12-20")

    # When the firm moves the pause's end to 2 December
    pause_account(world, account["id"], "2026-12-02")

    # Then the reminder goes on 2 December
    assert next_at(world, item["id"]) == "2026-12-02T00:00:00Z"
    assert tick(world, at("2026-12-02T00:00:00+00:00")) == 1


def test_a_firm_pause_holds_every_account_and_the_later_pause_wins(world: World) -> None:
    # Given two accounts with reminders due on 30 November, one of them paused until 10 December
    first, second = world.create_account(), world.create_account()
    one = world.send_item(first["id"], reminders=EVERY_3_DAYS)
    two = world.send_item(second["id"], reminders=EVERY_3_DAYS)
    pause_account(world, second["id"], "2026-12-10")

    # When the firm pauses the whole firm until 4 December
    firm = put_firm(world, reminders_paused_until="2026-12-04")

    # Then the profile shows it, and each item waits for the later of the two pauses
    assert firm["reminders_paused_until"] == "2026-12-04"
    assert world.api("GET", "/firm").body["reminders_paused_until"] == "2026-12-04"
    assert (next_at(world, one["id"]), next_at(world, two["id"])) == ("2026-12-04T00:00:00Z", "2026-12-10T00:00:00Z")
    assert tick(world, at("2026-12-01T00:00:00+00:00")) == 0
    assert tick(world, at("2026-12-04T00:00:00+00:00")) == 1
    assert automatic_at(world, one["id"]) == ["2026-12-04T00:00:00Z"]

    # And putting the profile without the pause lifts it (PUT replaces the profile)
    assert put_firm(world)["reminders_paused_until"] is None


def test_manual_resends_and_first_notifications_still_go_during_a_pause(world: World) -> None:
    # Given a paused account
    account = world.create_account()
    pause_account(world, account["id"], "2026-12-20")

    # When the firm sends an item and then resends it by hand
    item = world.send_item(account["id"], reminders=EVERY_3_DAYS)
    reply = world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Please"})

    # Then both go at once to both notify contacts; only the automatic reminder waits for the pause
    assert (reply.status, reply.body["recipients"]) == (202, 2)
    assert sorted(m.to[0] for m in world.mail) == [ANA, ANA, BRUNO, BRUNO]
    assert next_at(world, item["id"]) == "2026-12-20T00:00:00Z"


def test_a_reminder_claimed_before_the_pause_reached_the_index_is_held_back_not_lost(world: World) -> None:
    # Given a reminder due on 30 November, and a pause whose rescheduling pass has not run yet
    account = world.create_account()
    item = world.send_item(account["id"], reminders=EVERY_3_DAYS)
    assert world.api("PATCH", f"/accounts/{account['id']}", {"reminders_paused_until": "2026-12-05"}).status == 200
    world.take_queued()  # the pass is lost: the index still says 30 November

    # When the scan claims it on the stale index and the sender gets it
    assert tick(world, at("2026-11-30T09:01:00+00:00")) == 1

    # Then the sender holds it back for the pause (nothing sent, nothing counted), and it goes when the pause ends
    assert automatic_at(world, item["id"]) == []
    assert tick(world, at("2026-12-05T00:00:00+00:00")) == 1
    assert automatic_at(world, item["id"]) == ["2026-12-05T00:00:00Z"]


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", 20261205, "2026-12-5", "2037-01-01"])
def test_a_bad_pause_is_refused_naming_the_field_and_nothing_is_written(world: World, value: Any) -> None:
    # Given an account and the firm's profile
    account = world.create_account()
    put_firm(world)
    before = table_snapshot()

    # When the firm sets a pause that is not a date, or is more than ten years ahead
    replies = [
        world.api("PATCH", f"/accounts/{account['id']}", {"reminders_paused_until": value}),
        world.api("PUT", "/firm", {"name": "Silva Contabilidade", "reminders_paused_until": value}),
    ]

    # Then each is a 422 naming the field, and nothing changed
    for reply in replies:
        assert reply.status == 422, reply.body
        assert [d["field"] for d in reply.body["error"]["details"]] == ["reminders_paused_until"]
    assert table_snapshot() == before


def test_a_pause_holds_the_escalation_to_the_firm_until_it_ends(world: World) -> None:
    # Given an item whose only reminder goes on 30 November and that escalates three days later
    put_firm(world, escalation_email="partners@silva.example.com")
    account = world.create_account()
    once = {"enabled": True, "days_between": 3, "max_reminders": 1, "escalate_after_days": 3}
    item = world.send_item(account["id"], reminders=once)
    assert tick(world, at("2026-11-30T09:01:00+00:00")) == 1

    # When the firm pauses the account until 10 December (it is talking to the client)
    pause_account(world, account["id"], "2026-12-10")

    # Then the firm is not told while the pause lasts, and is told once when it ends
    def escalations() -> list[str]:
        return [m.subject for m in world.sent if "partners@silva.example.com" in m.to]

    assert tick(world, at("2026-12-03T09:01:00+00:00")) == 0
    assert tick(world, at("2026-12-09T23:59:00+00:00")) == 0
    assert escalations() == []
    assert tick(world, at("2026-12-10T00:00:00+00:00")) == 1
    assert len(escalations()) == 1
    assert item_of(world, item["id"])["escalated_at"] == "2026-12-10T00:00:00Z"
