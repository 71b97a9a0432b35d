"""Due-date sequences (SPEC R19) through the functions' real entry points: an item's reminders follow
its due date step by step, at 09:00 on the client's wall clock, kept to the sending hours; past steps
are skipped, an outage or a closed weekend sends only the latest step, nothing goes less than 24
hours after the last email, and changing the due date or the steps reschedules what is left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from portal_reminders import clock
from tests.conftest import START
from tests.support.aws import table_snapshot
from tests.support.faults import dynamodb_down_after_ses_accepts, ses_errors
from tests.support.world import World

DAY = timedelta(days=1)
HOUR = timedelta(hours=1)
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"
# START is Friday 27 November 2026, 09:00 UTC; the invoice is due on Thursday 10 December
DUE = "2026-12-10"
THREE_STEPS = [{"days": -3}, {"days": 0}, {"days": 7}]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def sequence(steps: list[dict[str, Any]] | None = None, **more: Any) -> dict[str, Any]:
    return {"enabled": True, "schedule": "due_date", "steps": steps or THREE_STEPS, **more}


def an_invoice(world: World, account_id: str, due: str = DUE, **reminders: Any) -> dict[str, Any]:
    invoice = {"amount": "1250.00", "currency": "EUR", "due_date": due}
    return dict(
        world.send_item(
            account_id, kind="invoice", title="INV-2026-118", invoice=invoice, reminders=sequence(**reminders)
        )
    )


def item_of(world: World, item_id: str) -> dict[str, Any]:
    return dict(world.api("GET", f"/action-items/{item_id}").body)


def statuses(world: World, item_id: str) -> list[tuple[int, str]]:
    return [(s["days"], s["status"]) for s in item_of(world, item_id)["reminders"]["steps"]]


def automatic(world: World, item_id: str) -> list[tuple[str, dict[str, Any]]]:
    audit = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return [
        (e["at"], {k: v for k, v in e["details"].items() if k != "message_ids"})
        for e in audit
        if e["type"] == "reminder_sent" and e["details"]["mode"] == "auto"
    ]


def tick(world: World, when: datetime) -> int:
    """A scheduled tick at `when`, then the send queue drained: how many reminders it claimed."""
    claimed = int(world.scan(when)["claimed"])
    world.drain()
    return claimed


def set_firm(world: World, **profile: Any) -> None:
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", **profile})
    assert reply.status == 200, reply.body
    world.take_queued()  # the rescheduling pass a profile change queues: nothing to move here


# --- the schedule --------------------------------------------------------------------------------


def test_an_invoice_with_a_due_date_sequence_shows_each_steps_time_and_status(world: World) -> None:
    # Given an account in Lisbon (UTC+0 in winter; the firm is in UTC)
    account = world.create_account()

    # When the firm sends an invoice due on 10 December with reminders 3 days before, on the day and
    # a week after, escalating after 14 days
    item = an_invoice(world, account["id"], escalate_after_days=14)

    # Then the item shows the schedule: one reminder per step at 09:00 on its day, all scheduled, the
    # last one final
    assert item["reminders"] == {
        "enabled": True,
        "days_between": 3,
        "max_reminders": 3,
        "schedule": "due_date",
        "steps": [
            {"days": -3, "tone": "gentle", "at": "2026-12-07T09:00:00Z", "status": "scheduled"},
            {"days": 0, "tone": "gentle", "at": "2026-12-10T09:00:00Z", "status": "scheduled"},
            {"days": 7, "tone": "final", "at": "2026-12-17T09:00:00Z", "status": "scheduled"},
        ],
        "escalate_after_days": 14,
        "sent": 0,
        "next_at": "2026-12-07T09:00:00Z",
    }
    assert item["due_date"] == DUE


def test_each_step_goes_at_its_time_and_is_marked_sent(world: World) -> None:
    # Given an invoice due on 10 December with three steps
    account = world.create_account()
    item = an_invoice(world, account["id"])

    # When the schedule ticks just before and at each step's time
    claims = [
        tick(world, when)
        for when in (
            at("2026-12-07T08:55:00+00:00"),
            at("2026-12-07T09:00:00+00:00"),
            at("2026-12-10T08:55:00+00:00"),
            at("2026-12-10T09:00:00+00:00"),
            at("2026-12-17T09:00:00+00:00"),
            at("2026-12-24T09:00:00+00:00"),
        )
    ]

    # Then each step went once, at its time, in its tone, and nothing after the last
    assert claims == [0, 1, 0, 1, 1, 0]
    assert [(when, d["number"], d["days"], d["tone"]) for when, d in automatic(world, item["id"])] == [
        ("2026-12-07T09:00:00Z", 1, -3, "gentle"),
        ("2026-12-10T09:00:00Z", 2, 0, "gentle"),
        ("2026-12-17T09:00:00Z", 3, 7, "final"),
    ]
    assert [subject.split(":")[0] for subject in step_mails(world, ANA)] == [
        "Reminder",
        "Second reminder",
        "Final reminder",
    ]
    assert statuses(world, item["id"]) == [(-3, "sent"), (0, "sent"), (7, "sent")]
    shown = item_of(world, item["id"])["reminders"]
    assert (shown["sent"], shown["next_at"]) == (3, None)
    assert len(world.mail_to(ANA)) == 4


def test_steps_are_at_nine_on_the_clients_wall_clock(world: World) -> None:
    # Given a firm in UTC and an account in Sao Paulo (UTC-3)
    account = world.api(
        "POST",
        "/accounts",
        {"name": "Souza", "time_zone": "America/Sao_Paulo", "contacts": [{"name": "Ana", "email": ANA}]},
    ).body

    # When the firm sends an invoice due on 10 December with a step on the day
    item = an_invoice(world, account["id"], steps=[{"days": 0}])

    # Then the step is at 09:00 in Sao Paulo, 12:00 UTC, and goes then
    assert item["reminders"]["steps"][0]["at"] == "2026-12-10T12:00:00Z"
    assert tick(world, at("2026-12-10T11:55:00+00:00")) == 0
    assert tick(world, at("2026-12-10T12:00:00+00:00")) == 1


def test_a_step_outside_the_sending_hours_waits_for_their_start(world: World) -> None:
    # Given sending hours Monday to Friday 10:00-17:00, and an invoice due on Saturday 12 December
    set_firm(world, sending_hours={"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "17:00"})
    account = world.create_account()
    item = an_invoice(world, account["id"], due="2026-12-12", steps=[{"days": -2}, {"days": 0}])

    # Then the Thursday step is at 10:00 (the hours' start), and Saturday's on Monday at 10:00
    assert [s["at"] for s in item["reminders"]["steps"]] == ["2026-12-10T10:00:00Z", "2026-12-14T10:00:00Z"]
    assert tick(world, at("2026-12-10T09:00:00+00:00")) == 0
    assert tick(world, at("2026-12-10T10:00:00+00:00")) == 1
    assert tick(world, at("2026-12-12T09:00:00+00:00")) == 0
    assert tick(world, at("2026-12-14T10:00:00+00:00")) == 1


# --- no bursts, no crowding -----------------------------------------------------------------------


def test_a_step_already_past_when_the_item_is_sent_is_skipped(world: World) -> None:
    # Given an account
    account = world.create_account()

    # When the firm sends an invoice due on 28 November (tomorrow) with steps 3 days before, on the day
    # and a week after
    item = an_invoice(world, account["id"], due="2026-11-28")

    # Then the step before is skipped (its day has passed), and the next is on the due day
    assert [(s["days"], s["status"]) for s in item["reminders"]["steps"]] == [
        (-3, "skipped"),
        (0, "scheduled"),
        (7, "scheduled"),
    ]
    assert item["reminders"]["next_at"] == "2026-11-28T09:00:00Z"


def test_after_an_outage_only_the_latest_past_step_goes(world: World) -> None:
    # Given an invoice with three steps, and a scheduler that is down from before the first step
    # until after the last
    account = world.create_account()
    item = an_invoice(world, account["id"])

    # When the schedule comes back on 18 December and ticks every 5 minutes for an hour
    claimed = [tick(world, at("2026-12-18T12:00:00+00:00") + n * timedelta(minutes=5)) for n in range(12)]

    # Then one reminder went out, carrying the latest step, and the two before it are skipped
    assert claimed == [1] + [0] * 11
    assert [(d["number"], d["days"]) for _, d in automatic(world, item["id"])] == [(1, 7)]
    assert statuses(world, item["id"]) == [(-3, "skipped"), (0, "skipped"), (7, "sent")]
    assert len(world.mail_to(ANA)) == 2
    assert item_of(world, item["id"])["reminders"]["next_at"] is None


def test_steps_that_fall_in_a_closed_weekend_go_as_one_on_monday(world: World) -> None:
    # Given sending hours on weekdays only, and an invoice due on Sunday 13 December with steps on
    # Saturday, Sunday and Monday
    set_firm(world, sending_hours={"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "17:00"})
    account = world.create_account()
    item = an_invoice(world, account["id"], due="2026-12-13", steps=[{"days": -1}, {"days": 0}, {"days": 1}])

    # When the schedule ticks through the weekend and on Monday morning
    claimed = [
        tick(world, when)
        for when in (at("2026-12-12T09:00:00+00:00"), at("2026-12-13T09:00:00+00:00"), at("2026-12-14T09:00:00+00:00"))
    ]

    # Then only Monday's step went; the weekend's are skipped
    assert claimed == [0, 0, 1]
    assert statuses(world, item["id"]) == [(-1, "skipped"), (0, "skipped"), (1, "sent")]
    assert len(world.mail_to(ANA)) == 2


def test_a_step_waits_24_hours_after_a_manual_resend(world: World) -> None:
    # Given an invoice with a step on its due day, 10 December at 09:00
    account = world.create_account()
    item = an_invoice(world, account["id"], steps=[{"days": 0}, {"days": 7}])

    # When the firm resends it by hand on 9 December at 15:00
    world.time.move_to(at("2026-12-09T15:00:00+00:00"))
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202

    # Then the step waits until 24 hours after the resend, and next_at says so
    assert item_of(world, item["id"])["reminders"]["next_at"] == "2026-12-10T15:00:00Z"
    assert tick(world, at("2026-12-10T09:00:00+00:00")) == 0
    assert tick(world, at("2026-12-10T14:55:00+00:00")) == 0
    assert tick(world, at("2026-12-10T15:00:00+00:00")) == 1
    assert [(when, d["days"]) for when, d in automatic(world, item["id"])] == [("2026-12-10T15:00:00Z", 0)]


def test_a_step_due_less_than_24_hours_after_the_notification_waits(world: World) -> None:
    # Given an invoice due tomorrow, 28 November, sent at 12:00 with a step on the due day at 09:00
    world.time.move_to(START.replace(hour=12))
    account = world.create_account()
    item = an_invoice(world, account["id"], due="2026-11-28", steps=[{"days": 0}])

    # Then it waits until 24 hours after the notification
    assert item["reminders"]["next_at"] == "2026-11-28T12:00:00Z"
    assert tick(world, at("2026-11-28T09:00:00+00:00")) == 0
    assert tick(world, at("2026-11-28T12:00:00+00:00")) == 1


# --- changing the due date, the steps, the schedule -----------------------------------------------


def test_moving_the_due_date_reschedules_the_steps_not_sent(world: World) -> None:
    # Given an invoice due on 10 December whose first step went on 7 December
    account = world.create_account()
    item = an_invoice(world, account["id"])
    assert tick(world, at("2026-12-07T09:00:00+00:00")) == 1

    # When the firm moves the due date to 20 December on 8 December
    world.time.move_to(at("2026-12-08T10:00:00+00:00"))
    moved = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": "2026-12-20"}).body

    # Then the step sent stays sent, and the others follow the new date
    assert [(s["days"], s["at"], s["status"]) for s in moved["reminders"]["steps"]] == [
        (-3, "2026-12-17T09:00:00Z", "sent"),
        (0, "2026-12-20T09:00:00Z", "scheduled"),
        (7, "2026-12-27T09:00:00Z", "scheduled"),
    ]
    assert moved["invoice"]["due_date"] == "2026-12-20"
    assert tick(world, at("2026-12-10T09:00:00+00:00")) == 0
    assert tick(world, at("2026-12-20T09:00:00+00:00")) == 1


def test_moving_the_due_date_earlier_skips_the_steps_now_past(world: World) -> None:
    # Given an invoice due on 10 December, nothing sent yet
    account = world.create_account()
    item = an_invoice(world, account["id"])

    # When on 5 December the firm moves the due date to 4 December
    world.time.move_to(at("2026-12-05T10:00:00+00:00"))
    moved = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": "2026-12-04"}).body

    # Then the steps before now are skipped (no burst of them), the last is scheduled
    assert [(s["days"], s["status"]) for s in moved["reminders"]["steps"]] == [
        (-3, "skipped"),
        (0, "skipped"),
        (7, "scheduled"),
    ]
    assert moved["reminders"]["next_at"] == "2026-12-11T09:00:00Z"
    assert tick(world, at("2026-12-05T10:05:00+00:00")) == 0


def test_changing_the_steps_reschedules_and_keeps_what_was_sent(world: World) -> None:
    # Given an invoice whose first step (-3) went
    account = world.create_account()
    item = an_invoice(world, account["id"])
    assert tick(world, at("2026-12-07T09:00:00+00:00")) == 1

    # When the firm replaces the steps with -3, 1 (tomorrow past) and 14
    world.time.move_to(at("2026-12-12T10:00:00+00:00"))
    changed = world.api(
        "PATCH",
        f"/action-items/{item['id']}/reminders",
        {"steps": [{"days": -3}, {"days": 1}, {"days": 14, "tone": "final"}]},
    ).body

    # Then -3 stays sent, 1 is past and skipped, 14 is scheduled; max_reminders reads 3
    assert [(s["days"], s["status"]) for s in changed["reminders"]["steps"]] == [
        (-3, "sent"),
        (1, "skipped"),
        (14, "scheduled"),
    ]
    assert changed["reminders"]["max_reminders"] == 3
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    change = [e for e in audit if e["type"] == "settings_changed"][-1]
    assert [s["days"] for s in change["details"]["before"]["steps"]] == [-3, 0, 7]
    assert [s["days"] for s in change["details"]["after"]["steps"]] == [-3, 1, 14]


def test_switching_schedules_back_and_forth(world: World) -> None:
    # Given an organizer due on 10 December with reminders every 3 days, twice
    account = world.create_account()
    item = world.send_item(account["id"], due_date=DUE, reminders={"enabled": True, "max_reminders": 2})
    assert item["reminders"]["schedule"] == "interval"

    # When the firm switches it to a due-date schedule, then back
    to_steps = world.api(
        "PATCH", f"/action-items/{item['id']}/reminders", {"schedule": "due_date", "steps": THREE_STEPS}
    ).body
    back = world.api(
        "PATCH", f"/action-items/{item['id']}/reminders", {"schedule": "interval", "max_reminders": 2}
    ).body

    # Then each shows its own timing: the steps, then every 3 days again (the steps kept for later)
    assert (to_steps["reminders"]["max_reminders"], to_steps["reminders"]["next_at"]) == (3, "2026-12-07T09:00:00Z")
    assert (back["reminders"]["max_reminders"], back["reminders"]["next_at"]) == (2, "2026-11-30T09:00:00Z")
    assert [s["days"] for s in back["reminders"]["steps"]] == [-3, 0, 7]


def test_max_reminders_is_the_number_of_steps_and_a_different_one_is_refused(world: World) -> None:
    # Given an account, and an invoice under a due-date schedule
    account = world.create_account()
    item = an_invoice(world, account["id"])
    before = table_snapshot()

    # When requests name a max_reminders other than the number of steps
    body = {
        "kind": "invoice",
        "title": "INV",
        "invoice": {"amount": "1.00", "currency": "EUR", "due_date": DUE},
        "reminders": sequence(max_reminders=2),
    }
    created = world.api("POST", f"/accounts/{account['id']}/action-items", body)
    patched = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"max_reminders": 5})

    # Then each is a 422 naming max_reminders, and nothing changed
    assert [d["field"] for d in created.body["error"]["details"]] == ["reminders.max_reminders"]
    assert [d["field"] for d in patched.body["error"]["details"]] == ["max_reminders"]
    assert (created.status, patched.status) == (422, 422)
    assert table_snapshot() == before

    # And the same number as the steps is accepted
    same = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"max_reminders": 3})
    assert (same.status, same.body["reminders"]["max_reminders"]) == (200, 3)


def test_a_due_date_schedule_needs_a_due_date(world: World) -> None:
    # Given an account and an organizer without a due date
    account = world.create_account()
    item = world.send_item(account["id"])
    before = table_snapshot()

    # When the firm asks for a due-date schedule on an item without a due date, or takes the due
    # date away from one that has such a schedule
    body = {"kind": "organizer", "title": "Organizer", "reminders": sequence()}
    created = world.api("POST", f"/accounts/{account['id']}/action-items", body)
    patched = world.api(
        "PATCH", f"/action-items/{item['id']}/reminders", {"schedule": "due_date", "steps": THREE_STEPS}
    )

    # Then each is a 422 naming the schedule, and nothing was written or sent
    assert [d["field"] for d in created.body["error"]["details"]] == ["reminders.schedule"]
    assert [d["field"] for d in patched.body["error"]["details"]] == ["schedule"]
    assert table_snapshot() == before

    # And an item on a due-date schedule keeps its due date
    scheduled = world.send_item(account["id"], due_date=DUE, reminders=sequence())
    cleared = world.api("PATCH", f"/action-items/{scheduled['id']}", {"due_date": None})
    assert (cleared.status, cleared.body["error"]["details"][0]["field"]) == (409, "due_date")


def test_escalate_after_days_is_stored_shown_and_cleared(world: World) -> None:
    # Given an organizer with a due-date schedule escalating after 5 days
    account = world.create_account()
    item = world.send_item(account["id"], due_date=DUE, reminders=sequence(escalate_after_days=5))
    assert item["reminders"]["escalate_after_days"] == 5

    # When the firm changes it, then clears it
    changed = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"escalate_after_days": 10}).body
    cleared = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"escalate_after_days": None}).body

    # Then each is shown
    assert (changed["reminders"]["escalate_after_days"], cleared["reminders"]["escalate_after_days"]) == (10, None)


# --- at most one mail per contact per step (SPEC R14) -----------------------------------------------


def step_mails(world: World, address: str) -> list[str]:
    """The subjects of the reminders the address got (the notification left out)."""
    return [m.subject for m in world.sent_to(address)[1:]]


def test_a_step_delivered_twice_by_the_queue_emails_each_contact_once(world: World) -> None:
    # Given an invoice whose first step the scan has claimed and queued
    account = world.create_account()
    item = an_invoice(world, account["id"])
    world.scan(at("2026-12-07T09:00:00+00:00"))
    [message] = world.receive()

    # When SQS delivers the same message twice
    world.send([message])
    world.send([message])

    # Then each contact got the step once, recorded once
    assert (len(step_mails(world, ANA)), len(step_mails(world, BRUNO))) == (1, 1)
    assert [d["days"] for _, d in automatic(world, item["id"])] == [-3]


def test_two_scans_at_once_claim_a_step_once(world: World) -> None:
    # Given an invoice whose first step is due
    account = world.create_account()
    an_invoice(world, account["id"])

    # When two scans run for the same tick
    first = world.scan(at("2026-12-07T09:00:00+00:00"))
    second = world.scan(at("2026-12-07T09:00:00+00:00"))

    # Then one claims it, and one message is queued
    assert (first["claimed"], second["claimed"]) == (1, 0)
    assert len(world.queued_bodies()) == 1


def test_a_step_ses_throttles_halfway_keeps_its_step_and_words_past_the_next_steps_time(world: World) -> None:
    # Given an invoice sent on 9 December at 20:00, due the next day, with steps on the due day and the
    # day after: the first waits until 24 hours after the notification (10 December, 20:00), 13 hours
    # before the second step's time (11 December, 09:00)
    world.time.move_to(at("2026-12-09T20:00:00+00:00"))
    account = world.create_account()
    item = an_invoice(world, account["id"], steps=[{"days": 0}, {"days": 1}])
    assert item["reminders"]["next_at"] == "2026-12-10T20:00:00Z"

    # When SES throttles every mail to Bruno from then until 12:00 on the 11th (past the second
    # step's time) while the queue retries, and the schedule ticks again a day later
    until = at("2026-12-11T12:00:00+00:00")
    with ses_errors(lambda to, _: "TooManyRequestsException" if to == BRUNO and clock.now() < until else None):
        assert tick(world, at("2026-12-10T20:00:00+00:00")) == 1
        world.run_for(18 * HOUR, step=timedelta(minutes=20), scan_every=None)
    tick(world, at("2026-12-11T12:30:00+00:00"))
    tick(world, at("2026-12-12T13:00:00+00:00"))

    # Then each contact got each step once: Ana the first at once, Bruno the same reminder (the same
    # step, its gentle tone chosen on the due day) once SES took it, saying where the invoice stands
    # the day he got it; the second step went 24 hours after that round was recorded, as the final one
    ana, bruno = world.sent_to(ANA)[1:], world.sent_to(BRUNO)[1:]
    assert [m.subject.split(":")[0] for m in ana] == [m.subject.split(":")[0] for m in bruno]
    assert [m.subject.split(":")[0] for m in ana] == ["Reminder", "Final reminder"]
    assert ana[0].subject.endswith("(EUR 1,250.00, due today)")
    assert bruno[0].subject.endswith("(EUR 1,250.00, overdue by 1 day)")
    assert all("just a friendly note" in (m.text or "") for m in (ana[0], bruno[0]))
    sent = automatic(world, item["id"])
    assert [(d["number"], d["days"], d["tone"]) for _, d in sent] == [(1, 0, "gentle"), (2, 1, "final")]
    first_recorded = at(sent[0][0])
    assert until <= first_recorded < until + HOUR
    assert at(sent[1][0]) >= first_recorded + 24 * HOUR
    assert statuses(world, item["id"]) == [(0, "sent"), (1, "sent")]


def test_dynamodb_failing_after_ses_accepted_a_step_emails_nobody_twice(world: World) -> None:
    # Given an invoice whose first step is claimed and queued
    account = world.create_account()
    item = an_invoice(world, account["id"])
    world.scan(at("2026-12-07T09:00:00+00:00"))

    # When DynamoDB fails the first write after SES accepted a mail, and the queue retries
    with dynamodb_down_after_ses_accepts() as failed:
        world.run_for(2 * HOUR, scan_every=None)

    # Then nobody got the step twice, and it is recorded once, marked sent
    assert failed
    assert (len(step_mails(world, ANA)), len(step_mails(world, BRUNO))) == (1, 1)
    assert [d["days"] for _, d in automatic(world, item["id"])] == [-3]
    assert statuses(world, item["id"])[0] == (-3, "sent")
