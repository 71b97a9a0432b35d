"""The product story through the functions' real entry points: an item is sent, reminders go out
on schedule, and stop exactly when they should (SPEC R1-R5)."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)
NOTIFY = ["ana@client.example.com", "bruno@client.example.com"]


def test_sending_an_item_emails_each_notify_contact_once(world: World) -> None:
    # Given an account with two notify contacts and one without notify
    account = world.create_account()

    # When the firm sends an organizer
    item = world.send_item(account["id"], reminders={"enabled": True})

    # Then each notify contact got exactly one email, and nobody else
    assert sorted(r for m in world.mail for r in m.to) == NOTIFY
    assert item["last_emailed_at"] == "2026-11-27T09:00:00Z"
    assert item["reminders"] == {
        "enabled": True,
        "days_between": 3,
        "max_reminders": 1,
        "schedule": "interval",
        "steps": [],
        "escalate_after_days": None,
        "sent": 0,
        "next_at": "2026-11-30T09:00:00Z",
    }


def test_a_due_reminder_is_claimed_by_scan_and_sent_by_send(world: World) -> None:
    # Given an organizer with one reminder after 3 days
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 1})

    # When the schedule ticks three days later and the queue is drained into send
    report = world.scan(START + 3 * DAY)
    world.drain()

    # Then one reminder went to each notify contact, visibly a reminder
    assert report["claimed"] == 1
    reminders = world.mail[2:]
    assert sorted(r for m in reminders for r in m.to) == NOTIFY
    assert all(m.subject.startswith("Reminder: ") for m in reminders)
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert current["reminders"]["sent"] == 1
    assert current["reminders"]["next_at"] is None


def test_reminders_stop_after_max_reminders(world: World) -> None:
    # Given two reminders, two days apart
    account = world.create_account()
    world.send_item(account["id"], reminders={"enabled": True, "days_between": 2, "max_reminders": 2})

    # When the schedule ticks every day for two weeks
    for day in range(1, 15):
        world.scan(START + day * DAY)
        world.drain()

    # Then exactly two reminders went out, on days 2 and 4, the second saying it is the final one
    assert len(world.mail) == 2 + 2 * 2
    assert [m.subject.split(":")[0] for m in world.mail[2:]] == ["Reminder"] * 2 + ["Final reminder"] * 2


def test_completing_an_item_stops_its_reminders(world: World) -> None:
    # Given an item with reminders on
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "max_reminders": 3})

    # When the client completes it before the first reminder is due
    world.time.move_to(START + 2 * DAY)
    assert world.api("POST", f"/action-items/{item['id']}/complete").status == 200

    # Then no later tick queues anything, and no reminder is sent
    for day in (3, 6, 9):
        assert world.scan(START + day * DAY)["due"] == 0
    assert world.queued_bodies() == []
    assert len(world.mail) == 2


def test_an_item_completed_while_its_reminder_is_queued_is_not_reminded(world: World) -> None:
    # Given a reminder already claimed and queued by the scan
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True})
    assert world.scan(START + 3 * DAY)["queued"] == 1

    # When the client completes the item before send runs
    assert world.api("POST", f"/action-items/{item['id']}/complete").status == 200
    runs = world.drain()

    # Then send re-checks, emails nobody, and the message is done (not retried)
    assert len(world.mail) == 2
    assert runs[0].failed_ids == []
    assert world.queued_bodies() == []


def test_a_manual_resend_pushes_the_next_automatic_reminder(world: World) -> None:
    # Given reminders every 3 days
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 2})

    # When the firm resends by hand on day 2
    world.time.move_to(START + 2 * DAY)
    reply = world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Just a nudge"})

    # Then the resend went out now, and the automatic one moves to day 5 (not day 3)
    assert reply.status == 202
    assert reply.body == {"accepted": True, "item_id": item["id"], "recipients": 2, "queued": False}
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert current["reminders"]["next_at"] == "2026-12-02T09:00:00Z"
    assert current["reminders"]["sent"] == 0
    assert world.scan(START + 3 * DAY)["due"] == 0
    assert world.scan(START + 5 * DAY)["claimed"] == 1


def test_a_manual_resend_does_not_use_up_max_reminders(world: World) -> None:
    # Given one automatic reminder allowed
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 1})

    # When the firm resends twice by hand and the schedule runs on
    for day in (1, 2):
        world.time.move_to(START + day * DAY)
        world.api("POST", f"/action-items/{item['id']}/resend")
    for day in range(3, 12):
        world.scan(START + day * DAY)
        world.drain()

    # Then the one automatic reminder still went out, three days after the last manual email
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    reminders = [(e["at"], e["details"]["mode"]) for e in audit if e["type"] == "reminder_sent"]
    assert reminders == [
        ("2026-11-28T09:00:00Z", "manual"),
        ("2026-11-29T09:00:00Z", "manual"),
        ("2026-12-02T09:00:00Z", "auto"),
    ]


def test_a_scheduler_down_for_weeks_sends_one_reminder_not_a_burst(world: World) -> None:
    # Given five reminders, three days apart, and a scheduler that never ran for six weeks
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 5})

    # When it recovers and ticks twice in a row
    world.scan(START + 42 * DAY)
    world.drain()
    world.scan(START + 42 * DAY + timedelta(minutes=5))
    world.drain()

    # Then exactly one reminder went out, and the next is three days later
    current = world.api("GET", f"/action-items/{item['id']}").body
    assert current["reminders"]["sent"] == 1
    assert current["reminders"]["next_at"] == "2027-01-11T09:00:00Z"
    assert len(world.mail) == 2 + 2


def test_disabled_reminders_send_nothing_until_re_enabled(world: World) -> None:
    # Given an item sent without reminder settings (disabled)
    account = world.create_account()
    item = world.send_item(account["id"])
    assert item["reminders"]["enabled"] is False
    assert world.scan(START + 10 * DAY)["due"] == 0

    # When the firm turns reminders on, long after the last email
    reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"enabled": True})

    # Then the next reminder is scheduled now (max(now, last email + 3 days)) and goes out
    assert reply.status == 200
    assert reply.body["reminders"]["next_at"] == "2026-12-07T09:00:00Z"
    assert world.scan(START + 10 * DAY + timedelta(minutes=5))["claimed"] == 1
    world.drain()
    assert len(world.mail) == 4


def test_changing_days_between_moves_the_pending_reminder(world: World) -> None:
    # Given a reminder due on day 3
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3})

    # When the firm changes it to 7 days
    reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"days_between": 7})

    # Then nothing is due on day 3, and the reminder goes out on day 7
    assert reply.body["reminders"]["next_at"] == "2026-12-04T09:00:00Z"
    assert world.scan(START + 3 * DAY)["due"] == 0
    assert world.scan(START + 7 * DAY)["claimed"] == 1


def test_lowering_max_reminders_to_the_number_sent_stops(world: World) -> None:
    # Given three reminders allowed and one already sent
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1, "max_reminders": 3})
    world.scan(START + DAY)
    world.drain()

    # When the firm lowers the count to 1
    reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"max_reminders": 1})

    # Then no further reminder is scheduled or sent
    assert reply.body["reminders"]["next_at"] is None
    assert world.scan(START + 5 * DAY)["due"] == 0


def test_changing_settings_of_a_completed_item_is_stored_and_sends_nothing(world: World) -> None:
    # Given a completed item
    account = world.create_account()
    item = world.send_item(account["id"])
    world.api("POST", f"/action-items/{item['id']}/complete")

    # When the firm turns reminders on for it
    reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"enabled": True, "max_reminders": 4})

    # Then the settings are stored, but nothing is scheduled or sent
    assert reply.status == 200
    assert reply.body["reminders"] == {
        "enabled": True,
        "days_between": 3,
        "max_reminders": 4,
        "schedule": "interval",
        "steps": [],
        "escalate_after_days": None,
        "sent": 0,
        "next_at": None,
    }
    assert world.scan(START + 30 * DAY)["due"] == 0
    assert len(world.mail) == 2


def test_an_account_without_notify_contacts_gets_the_item_and_task_but_no_email(world: World) -> None:
    # Given an account whose only contact has notify off
    account = world.create_account(contacts=[{"name": "Dora", "email": "dora@client.example.com", "notify": False}])

    # When the firm sends an item
    item = world.send_item(account["id"])

    # Then nobody is emailed, the task is listed, and the audit event says nobody was emailed
    assert world.mail == []
    tasks = world.api("GET", f"/accounts/{account['id']}/tasks").body["items"]
    assert [t["item_id"] for t in tasks] == [item["id"]]
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert audit[0]["type"] == "item_sent"
    assert audit[0]["recipients"] == []
    assert audit[0]["details"]["nobody_emailed"] is True


def test_emails_follow_the_account_language(world: World) -> None:
    # Given a Portuguese-speaking account
    account = world.create_account(language="pt-PT")

    # When an item is sent and reminded
    world.send_item(account["id"], reminders={"enabled": True})
    world.scan(START + 3 * DAY)
    world.drain()

    # Then the notification and the reminder are in Portuguese
    subjects = [m.subject for m in world.mail]
    assert "questionário" in subjects[0]
    assert subjects[2].startswith("Lembrete: ")
