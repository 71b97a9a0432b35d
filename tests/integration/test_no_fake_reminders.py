"""Never a fake reminder (SPEC R20) through the real handlers: an automatic reminder that would
reach nobody (no notify contact, or every one suppressed) is not counted, is audited as
`reminder_skipped` with its reason, publishes no ReminderSent, and the schedule goes on; a manual
resend that would reach nobody is a 409 that sends, records and starts nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO, DORA = "ana@client.example.com", "bruno@client.example.com", "dora@client.example.com"
QUIET = [{"name": "Dora Reis", "email": DORA, "notify": False}]
TWO_REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 2}


def _item(world: World, item_id: str) -> dict[str, Any]:
    return dict(world.api("GET", f"/action-items/{item_id}").body)


def _audit(world: World, item_id: str) -> list[dict[str, Any]]:
    return list(world.api("GET", f"/action-items/{item_id}/audit").body["items"])


def _tick(world: World, days: float) -> None:
    world.scan(START + timedelta(days=days, minutes=1))
    world.drain()


def test_an_automatic_reminder_to_an_account_nobody_gets_mail_for_is_skipped_not_counted(world: World) -> None:
    # Given an account whose only contact has notify off, and an item with two reminders 3 days apart
    account = world.create_account(contacts=QUIET)
    item = world.send_item(account["id"], reminders=TWO_REMINDERS)

    # When the first reminder falls due
    _tick(world, 3)

    # Then nothing is counted and the last email stays the notification
    stored = _item(world, item["id"])
    assert (stored["reminders"]["sent"], stored["last_emailed_at"]) == (0, item["last_emailed_at"])
    # And the audit says the reminder was skipped, and why
    skipped = _audit(world, item["id"])[-1]
    assert (skipped["type"], skipped["recipients"]) == ("reminder_skipped", [])
    assert skipped["details"] == {"mode": "auto", "number": 1, "of": 2, "reason": "no contact has notify on"}
    # And no ReminderSent is published
    world.publish()
    assert world.events_of("ReminderSent") == []
    # And the schedule goes on: the next turn comes 3 days after the skipped one
    assert stored["reminders"]["next_at"] == "2026-12-03T09:01:00Z"


def test_the_schedule_goes_on_and_reaches_a_contact_who_turns_notify_on(world: World) -> None:
    # Given an item whose first reminder was skipped because nobody had notify on
    account = world.create_account(contacts=QUIET)
    item = world.send_item(account["id"], reminders=TWO_REMINDERS)
    _tick(world, 3)

    # When Dora turns notify on and the next turn falls due
    dora = account["contacts"][0]
    world.api("PATCH", f"/accounts/{account['id']}/contacts/{dora['id']}", {"notify": True})
    _tick(world, 6)

    # Then she gets that reminder, the first one counted, and the turns are used up
    assert [m.to for m in world.mail] == [[DORA]]
    stored = _item(world, item["id"])
    assert (stored["reminders"]["sent"], stored["reminders"]["next_at"]) == (1, None)
    assert [e["type"] for e in _audit(world, item["id"])] == ["item_sent", "reminder_skipped", "reminder_sent"]


def test_a_reminder_whose_notify_contacts_are_all_suppressed_is_skipped_with_the_addresses(world: World) -> None:
    # Given both notify contacts suppressed (Ana bounced, Bruno complained)
    account = world.create_account()
    item = world.send_item(account["id"], reminders=TWO_REMINDERS)
    world.bounce(ANA)
    world.bounce(BRUNO, kind="complaint")
    mail_before = len(world.mail)

    # When the first reminder falls due
    _tick(world, 3)

    # Then nobody is emailed, nothing is counted, and the audit names each address left out
    assert len(world.mail) == mail_before
    stored = _item(world, item["id"])
    assert stored["reminders"]["sent"] == 0
    skipped = _audit(world, item["id"])[-1]
    assert skipped["type"] == "reminder_skipped"
    assert skipped["details"] == {
        "mode": "auto",
        "number": 1,
        "of": 2,
        "reason": "every notify contact is suppressed",
        "suppressed": {ANA: "bounce", BRUNO: "complaint"},
    }
    # And the schedule goes on: once the firm lifts Ana's suppression, the next turn reaches her
    ana = next(c for c in account["contacts"] if c["email"] == ANA)
    world.api("PATCH", f"/accounts/{account['id']}/contacts/{ana['id']}", {"suppressed": False})
    _tick(world, 6)
    assert world.mail[-1].to == [ANA]
    assert _item(world, item["id"])["reminders"]["sent"] == 1


def test_a_skipped_step_of_a_due_date_schedule_is_marked_skipped_and_the_next_step_comes(world: World) -> None:
    # Given an item due on 10 December with steps 3 days before and on the day, and nobody to email
    account = world.create_account(contacts=QUIET)
    reminders = {"enabled": True, "schedule": "due_date", "steps": [{"days": -3}, {"days": 0}]}
    item = world.send_item(account["id"], due_date="2026-12-10", reminders=reminders)

    # When the first step's time comes
    world.scan(START + timedelta(days=10, minutes=1))
    world.drain()

    # Then that step shows skipped, nothing is counted, and the next step is still scheduled
    stored = _item(world, item["id"])
    assert [(s["days"], s["status"]) for s in stored["reminders"]["steps"]] == [(-3, "skipped"), (0, "scheduled")]
    assert (stored["reminders"]["sent"], stored["reminders"]["next_at"]) == (0, "2026-12-10T09:00:00Z")
    assert _audit(world, item["id"])[-1]["details"]["days"] == -3


def test_a_manual_resend_to_nobody_is_a_conflict_that_starts_no_cooldown(world: World) -> None:
    # Given an account whose only contact has notify off
    account = world.create_account(contacts=QUIET)
    item = world.send_item(account["id"])
    audit_before = _audit(world, item["id"])

    # When a firm user resends the item
    reply = world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Please"})

    # Then it is refused with a clear message, and nothing is sent or recorded
    assert reply.status == 409, reply.body
    assert reply.body["error"]["code"] == "conflict"
    assert "notify" in reply.body["error"]["message"]
    assert world.mail == []
    assert _audit(world, item["id"]) == audit_before
    assert _item(world, item["id"])["last_emailed_at"] == item["last_emailed_at"]

    # And no cooldown started: once Dora turns notify on, a resend goes at once
    dora = account["contacts"][0]
    world.api("PATCH", f"/accounts/{account['id']}/contacts/{dora['id']}", {"notify": True})
    again = world.api("POST", f"/action-items/{item['id']}/resend")
    assert (again.status, again.body["recipients"]) == (202, 1)


def test_a_manual_resend_when_every_notify_contact_is_suppressed_is_a_conflict(world: World) -> None:
    # Given both notify contacts suppressed
    account = world.create_account()
    item = world.send_item(account["id"])
    world.bounce(ANA)
    world.bounce(BRUNO)
    mail_before = len(world.mail)

    # When a firm user resends the item
    reply = world.api("POST", f"/action-items/{item['id']}/resend")

    # Then it is a 409 naming the suppression, and nothing is sent
    assert reply.status == 409, reply.body
    assert "suppressed" in reply.body["error"]["message"]
    assert len(world.mail) == mail_before


def test_an_item_whose_last_turn_reached_nobody_still_escalates_to_the_firm(world: World) -> None:
    # Given a firm that wants to hear about silent clients, and an item with two reminders that
    # escalates three days after the last
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", "escalation_email": "partners@silva.example.com"})
    assert reply.status == 200
    world.take_queued()
    account = world.create_account(contacts=[{"name": "Ana Souza", "email": ANA, "notify": True}])
    item = world.send_item(account["id"], reminders={**TWO_REMINDERS, "escalate_after_days": 3})
    _tick(world, 3)  # the first reminder reaches Ana
    # When Ana stops getting notifications before the second turn
    [contact] = world.api("GET", f"/accounts/{account['id']}").body["contacts"]
    assert world.api("PATCH", f"/accounts/{account['id']}/contacts/{contact['id']}", {"notify": False}).status == 200
    _tick(world, 6)  # the second turn reaches nobody: skipped
    assert [e["type"] for e in _audit(world, item["id"])][-1] == "reminder_skipped"

    # Then the turns are over and the firm is told, once
    _tick(world, 7)
    _tick(world, 8)
    told = [m for m in world.sent if "partners@silva.example.com" in m.to]
    assert len(told) == 1
    assert _item(world, item["id"])["escalated_at"] is not None
