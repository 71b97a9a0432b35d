"""Escalation (SPEC R19) through the functions' real entry points: when the last automatic reminder
has gone and the item is still pending `escalate_after_days` days after it, the firm is told once
(an email to its escalation address, else its reply-to, else nobody), the audit says so, the item
shows `escalated_at` and ItemEscalated is published; exactly once under duplicate messages, two
scans and a failed write after SES accepted; never for an item completed or cancelled first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.aws import table_snapshot
from tests.support.faults import dynamodb_down_after_ses_accepts
from tests.support.schemas import problems
from tests.support.world import World

HOUR = timedelta(hours=1)
ANA = "ana@client.example.com"
PARTNERS = "partners@silva.example.com"
OFFICE = "office@silva.example.com"
# START is Friday 27 November 2026, 09:00 UTC; the invoice is due on Thursday 10 December, its
# reminders go on the 7th, the 10th and the 17th (final), and it escalates 14 days after the last
DUE = "2026-12-10"
STEPS = [{"days": -3}, {"days": 0}, {"days": 7}]
LAST_REMINDER = "2026-12-17T09:00:00+00:00"
ESCALATION = "2026-12-31T09:00:00+00:00"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def set_firm(world: World, **profile: Any) -> None:
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", **profile})
    assert reply.status == 200, reply.body
    world.take_queued()  # the rescheduling pass a profile change queues: nothing to move here


def escalating_invoice(world: World, **reminders: Any) -> dict[str, Any]:
    account = world.create_account()
    invoice = {"amount": "1250.00", "currency": "EUR", "due_date": DUE}
    settings = {"enabled": True, "schedule": "due_date", "steps": STEPS, "escalate_after_days": 14, **reminders}
    item = world.send_item(account["id"], kind="invoice", title="INV-2026-118", invoice=invoice, reminders=settings)
    return dict(item)


def tick(world: World, when: str) -> int:
    claimed = int(world.scan(at(when))["claimed"])
    world.drain()
    return claimed


def every_reminder(world: World) -> None:
    for when in ("2026-12-07T09:00:00+00:00", "2026-12-10T09:00:00+00:00", LAST_REMINDER):
        assert tick(world, when) == 1


def item_of(world: World, item_id: str) -> dict[str, Any]:
    return dict(world.api("GET", f"/action-items/{item_id}").body)


def escalations(world: World, item_id: str) -> list[dict[str, Any]]:
    audit = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return [e for e in audit if e["type"] == "escalated"]


# --- the happy path ------------------------------------------------------------------------------


def test_the_firm_is_told_once_escalate_after_days_after_the_last_reminder(world: World) -> None:
    # Given a firm with an escalation address, and an invoice whose three reminders went out
    set_firm(world, reply_to=OFFICE, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)
    assert item_of(world, item["id"])["reminders"]["next_at"] is None

    # When the schedule ticks just before, at, and after 14 days past the last reminder
    claims = [tick(world, when) for when in ("2026-12-31T08:55:00+00:00", ESCALATION, "2027-01-15T09:00:00+00:00")]

    # Then it escalated once, at its time: one email to the escalation address (not reply_to, not the client)
    assert claims == [0, 1, 0]
    [mail] = world.sent_to(PARTNERS)
    assert world.sent_to(OFFICE) == []
    assert len(world.sent_to(ANA)) == 4  # the notification and three reminders: nothing more
    assert mail.subject == "Escalation: Souza Family has not acted on “INV-2026-118”"
    # naming the account, the item, what was sent and when (in which tone), and the item's link
    assert mail.text is not None
    assert mail.html is not None
    for line in (
        "Souza Family has not acted on the invoice “INV-2026-118” in the 14 days since its last automatic reminder.",
        "It was due on 10 December 2026.",
        "- 27 November 2026: the first email",
        "- 7 December 2026: Reminder (gentle)",
        "- 10 December 2026: Second reminder (gentle)",
        "- 17 December 2026: Final reminder (final)",
        f"/action-items/{item['id']}",
    ):
        assert line in mail.text
    assert "Souza Family" in mail.html
    assert f"/action-items/{item['id']}" in mail.html
    assert "max-width:600px" in mail.html  # readable on a 390 px phone, like every email
    assert mail.reply_to == []

    # And the item shows when; the audit has one escalated event naming the address and the message id
    assert item_of(world, item["id"])["escalated_at"] == "2026-12-31T09:00:00Z"
    [event] = escalations(world, item["id"])
    assert event["at"] == "2026-12-31T09:00:00Z"
    assert event["recipients"] == [PARTNERS]
    assert event["details"] == {"after_days": 14, "reminders": 3, "message_ids": {PARTNERS: mail.message_id}}

    # And ItemEscalated is published once, valid against its schema, without the address
    world.publish()
    [published] = world.events_of("ItemEscalated")
    assert {k: published[k] for k in ("item_id", "after_days", "reminders_sent", "due_date", "firm_emailed")} == {
        "item_id": item["id"],
        "after_days": 14,
        "reminders_sent": 3,
        "due_date": DUE,
        "firm_emailed": True,
    }
    assert PARTNERS not in str(published)
    assert [problems(e) for e in world.published if e["DetailType"] == "ItemEscalated"] == [[]]


def test_without_an_escalation_address_the_firms_reply_to_is_told(world: World) -> None:
    # Given a firm with a reply-to address only, and an invoice whose reminders went out
    set_firm(world, reply_to=OFFICE)
    item = escalating_invoice(world)
    every_reminder(world)

    # When the escalation is due
    assert tick(world, ESCALATION) == 1

    # Then the reply-to address is told
    assert [m.subject for m in world.sent_to(OFFICE)] == ["Escalation: Souza Family has not acted on “INV-2026-118”"]
    assert escalations(world, item["id"])[0]["recipients"] == [OFFICE]


def test_a_firm_with_neither_address_gets_no_email_but_the_escalation_is_recorded(world: World) -> None:
    # Given a firm profile with no address at all, and an invoice whose reminders went out
    set_firm(world)
    item = escalating_invoice(world)
    every_reminder(world)
    mails = len(world.sent)

    # When the escalation is due, and later ticks come
    assert tick(world, ESCALATION) == 1
    assert tick(world, "2027-01-31T09:00:00+00:00") == 0

    # Then no email went, but the audit, escalated_at and ItemEscalated say it escalated, once
    assert len(world.sent) == mails
    [event] = escalations(world, item["id"])
    assert event["recipients"] == []
    assert event["details"] == {
        "after_days": 14,
        "reminders": 3,
        "nobody_emailed": True,
        "reason": "the firm profile has neither escalation_email nor reply_to",
    }
    assert item_of(world, item["id"])["escalated_at"] == "2026-12-31T09:00:00Z"
    world.publish()
    assert [e["firm_emailed"] for e in world.events_of("ItemEscalated")] == [False]


def test_the_escalation_email_and_profile_address_are_validated_like_reply_to(world: World) -> None:
    # Given a firm profile
    set_firm(world, escalation_email=PARTNERS)
    before = table_snapshot()

    # When the firm sets a malformed escalation address
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", "escalation_email": "partners at silva"})

    # Then it is a 422 naming the field, and nothing changed; the profile shows the address it has
    assert (reply.status, [d["field"] for d in reply.body["error"]["details"]]) == (422, ["escalation_email"])
    assert table_snapshot() == before
    assert world.api("GET", "/firm").body["escalation_email"] == PARTNERS


# --- exactly once ----------------------------------------------------------------------------------


def test_an_escalation_delivered_twice_by_the_queue_tells_the_firm_once(world: World) -> None:
    # Given an invoice whose escalation the scan has claimed and queued
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)
    world.scan(at(ESCALATION))
    [message] = world.receive()

    # When SQS delivers the same message twice
    world.send([message])
    world.send([message])

    # Then the firm got one email, recorded once
    assert len(world.sent_to(PARTNERS)) == 1
    assert len(escalations(world, item["id"])) == 1


def test_two_scans_at_once_claim_an_escalation_once(world: World) -> None:
    # Given an invoice whose escalation is due
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)

    # When two scans run for the same tick, and the queue is drained
    first = world.scan(at(ESCALATION))
    second = world.scan(at(ESCALATION))
    world.drain()

    # Then one claimed it, and the firm was told once
    assert (first["claimed"], second["claimed"]) == (1, 0)
    assert len(world.sent_to(PARTNERS)) == 1
    assert len(escalations(world, item["id"])) == 1


def test_a_failed_write_after_ses_accepted_the_escalation_does_not_tell_the_firm_twice(world: World) -> None:
    # Given an invoice whose escalation is claimed and queued
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)
    world.scan(at(ESCALATION))

    # When DynamoDB fails the first write after SES accepted the mail, and the queue retries
    with dynamodb_down_after_ses_accepts() as failed:
        world.run_for(2 * HOUR, scan_every=None)
    world.run_for(2 * HOUR)

    # Then the firm got it once, recorded once
    assert failed
    assert len(world.sent_to(PARTNERS)) == 1
    assert len(escalations(world, item["id"])) == 1
    assert item_of(world, item["id"])["escalated_at"] is not None


# --- never for an item the client finished, or the firm withdrew -------------------------------------


def test_an_invoice_paid_before_the_escalation_never_escalates(world: World) -> None:
    # Given an invoice whose reminders went out, paid in full before the escalation
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)
    paid = world.api("POST", f"/action-items/{item['id']}/payments", {"amount": "1250.00"})
    assert paid.status in (200, 201), paid.body

    # When the escalation would have been due
    claimed = tick(world, ESCALATION)

    # Then nothing is claimed, nobody told, nothing recorded
    assert claimed == 0
    assert world.sent_to(PARTNERS) == []
    assert escalations(world, item["id"]) == []


def test_a_cancelled_item_never_escalates(world: World) -> None:
    # Given an invoice whose reminders went out, cancelled before the escalation
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)
    assert world.api("POST", f"/action-items/{item['id']}/cancel").status == 200

    # When the escalation would have been due
    claimed = tick(world, ESCALATION)

    # Then nothing happens
    assert claimed == 0
    assert world.sent_to(PARTNERS) == []
    assert escalations(world, item["id"]) == []
    assert item_of(world, item["id"])["escalated_at"] is None


def test_an_item_completed_after_its_escalation_was_claimed_is_not_escalated(world: World) -> None:
    # Given an invoice whose escalation the scan has claimed and queued
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world)
    every_reminder(world)
    assert world.scan(at(ESCALATION))["claimed"] == 1

    # When the client pays before the send function takes the message
    paid = world.api("POST", f"/action-items/{item['id']}/payments", {"amount": "1250.00"})
    assert paid.status in (200, 201), paid.body
    world.drain()

    # Then the firm is not told and nothing is recorded
    assert world.sent_to(PARTNERS) == []
    assert escalations(world, item["id"]) == []
    world.publish()
    assert world.events_of("ItemEscalated") == []


def test_an_item_without_escalate_after_days_is_never_escalated(world: World) -> None:
    # Given an invoice with the same reminders but no escalation
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world, escalate_after_days=None)
    every_reminder(world)

    # When a long time passes
    assert tick(world, "2027-03-01T09:00:00+00:00") == 0

    # Then nobody is told
    assert world.sent_to(PARTNERS) == []
    assert escalations(world, item["id"]) == []
