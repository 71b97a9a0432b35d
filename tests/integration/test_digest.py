"""One email per client (SPEC R20) through the functions' real entry points: the automatic
reminders of one account due on one client day go to each notify contact as one email listing
every item, each item still recording its own reminder; reminders due later that day are brought
forward, except an item emailed less than 24 hours before; the firm can turn it off; and R14 holds
for the digest as a whole (redelivery, overlapping scans, a worker that died mid-digest, SES
throttling between contacts, DynamoDB failing after SES accepted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.conftest import START
from tests.support.aws import REGION
from tests.support.faults import Killed, dynamodb_down_after_ses_accepts, killed_after_ses_accepts, ses_errors
from tests.support.metrics import emf_records, figures
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"
EVERY_3_DAYS = {"enabled": True, "days_between": 3, "max_reminders": 2}
# START is Friday 27 November 2026, 09:00 UTC: reminders every 3 days are due on 30 November at 09:00
DUE = START + 3 * DAY
DIGEST_SUBJECT = "Reminder: Silva Contabilidade is waiting for you on 3 items"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def three_items(world: World, **account: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """An account with an organizer, an engagement letter and an invoice, sent together."""
    assert world.api("PUT", "/firm", {"name": "Silva Contabilidade"}).status == 200
    world.take_queued()
    created = world.create_account(**account)
    invoice = {"amount": "1250.00", "currency": "EUR", "due_date": "2026-12-10"}
    items = [
        world.send_item(created["id"], title="2026 Tax Organizer", reminders=EVERY_3_DAYS),
        world.send_item(created["id"], kind="proposal", title="2026 Engagement Letter", reminders=EVERY_3_DAYS),
        world.send_item(created["id"], kind="invoice", title="INV-118", invoice=invoice, reminders=EVERY_3_DAYS),
    ]
    return created, items


def reminders_to(world: World, address: str) -> list[Any]:
    """The reminders SES accepted for `address` (with their text and HTML parts and message ids)."""
    return [m for m in world.sent if address in m.to and m.subject.startswith(("Reminder", "Lembrete", "Recordatorio"))]


def reminder_events(world: World, item_id: str) -> list[dict[str, Any]]:
    audit = world.api("GET", f"/action-items/{item_id}/audit").body["items"]
    return [e for e in audit if e["type"] == "reminder_sent"]


def tick(world: World, when: datetime) -> int:
    claimed = int(world.scan(when)["claimed"])
    world.drain()
    return claimed


def assert_one_digest_each_recorded_once(world: World, items: list[dict[str, Any]]) -> None:
    """Each contact got one digest listing the three items, and each item recorded one reminder
    naming both contacts with that digest's message ids."""
    digests = {address: reminders_to(world, address) for address in (ANA, BRUNO)}
    assert {a: [m.subject for m in mails] for a, mails in digests.items()} == {
        ANA: [DIGEST_SUBJECT],
        BRUNO: [DIGEST_SUBJECT],
    }
    for item in items:
        [event] = reminder_events(world, item["id"])
        assert event["recipients"] == [ANA, BRUNO]
        assert event["details"]["number"] == 1
        assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 1


def test_three_reminders_due_the_same_morning_go_as_one_email_per_contact(world: World) -> None:
    # Given an account with three items whose first reminders fall due on 30 November
    _, items = three_items(world)
    sent = {m.message_id for m in world.sent}

    # When the scheduler ticks then
    assert tick(world, DUE + timedelta(minutes=1)) == 3

    # Then each contact gets ONE email listing every item, each with its own portal button
    [digest] = reminders_to(world, ANA)
    for item in items:
        assert item["title"] in digest.text
        assert f"/action-items/{item['id']}" in digest.text
        assert f"/action-items/{item['id']}" in digest.html
    assert "1 of 3" in digest.text
    assert "3 of 3" in digest.text
    assert "the questionnaire “2026 Tax Organizer” from Silva Contabilidade is still waiting" in digest.text
    assert "It is due in 10 days" in digest.text  # the invoice's due status, in its own words
    assert_one_digest_each_recorded_once(world, items)

    # And each item's audit event carries that digest's message id for each contact
    digest_ids = {m.to[0]: m.message_id for m in world.sent if m.message_id not in sent}
    for item in items:
        [event] = reminder_events(world, item["id"])
        assert event["details"]["message_ids"] == digest_ids
        assert (event["details"]["mode"], event["details"]["tone"]) == ("auto", "gentle")

    # And each item publishes its own ReminderSent with its tone
    world.publish()
    published = world.events_of("ReminderSent")
    assert sorted(e["item_id"] for e in published) == sorted(i["id"] for i in items)
    assert {e["tone"] for e in published} == {"gentle"}
    # And the next reminders are counted from the digest
    assert world.api("GET", f"/action-items/{items[0]['id']}").body["reminders"]["next_at"] == "2026-12-03T09:01:00Z"


@pytest.mark.parametrize(
    ("language", "html_language", "subject"),
    [
        ("pt", "pt-PT", "Lembrete: Silva Contabilidade aguarda por si em 3 pedidos"),
        ("pt-BR", "pt-BR", "Lembrete: Silva Contabilidade está aguardando você em 3 pendências"),
        ("es", "es", "Recordatorio: Silva Contabilidade está esperando su respuesta en 3 asuntos"),
    ],
)
def test_a_digest_speaks_the_account_language_with_a_text_part(
    world: World, language: str, html_language: str, subject: str
) -> None:
    # Given an account in another language with three items due the same morning
    _, items = three_items(world, language=language)

    # When they fall due
    tick(world, DUE + timedelta(minutes=1))

    # Then the one email is in that language, in both parts
    [digest] = reminders_to(world, ANA)
    assert digest.subject == subject
    assert "1 de 3" in digest.text
    assert f'lang="{html_language}"' in digest.html
    assert all(item["title"] in digest.text for item in items)


def test_a_reminder_due_later_the_same_day_is_brought_forward_into_the_digest(world: World) -> None:
    # Given two items due on 30 November at 09:00, and one sent six hours later (due at 15:00)
    assert world.api("PUT", "/firm", {"name": "Silva Contabilidade"}).status == 200
    world.take_queued()
    account = world.create_account()
    early = [world.send_item(account["id"], title=t, reminders=EVERY_3_DAYS) for t in ("Organizer", "Letter")]
    world.time.move_to(START + timedelta(hours=6))
    late = world.send_item(account["id"], title="Bank statements", kind="chat", reminders=EVERY_3_DAYS)

    # When the 09:01 tick sends the first two
    tick(world, DUE + timedelta(minutes=1))

    # Then the afternoon's reminder went with them, and nothing goes at 15:00
    [digest] = reminders_to(world, ANA)
    assert "Bank statements" in digest.text
    assert tick(world, DUE + timedelta(hours=6, minutes=1)) == 0
    assert [len(reminder_events(world, i["id"])) for i in (*early, late)] == [1, 1, 1]
    assert len(reminders_to(world, ANA)) == 1


def test_an_item_emailed_less_than_24_hours_before_is_not_brought_forward(world: World) -> None:
    # Given two items due on 30 November at 09:00, and a third due that day by its due date whose
    # reminder waits until 12:00 because the firm resent it by hand at 12:00 the day before
    assert world.api("PUT", "/firm", {"name": "Silva Contabilidade"}).status == 200
    world.take_queued()
    account = world.create_account()
    for title in ("Organizer", "Letter"):
        world.send_item(account["id"], title=title, reminders=EVERY_3_DAYS)
    on_the_day = {"enabled": True, "schedule": "due_date", "steps": [{"days": 0}]}
    chat = world.send_item(account["id"], kind="chat", title="Statements", due_date="2026-11-30", reminders=on_the_day)
    world.time.move_to(at("2026-11-29T12:00:00+00:00"))
    assert world.api("POST", f"/action-items/{chat['id']}/resend").status == 202

    # When the 09:01 tick sends the digest
    tick(world, DUE + timedelta(minutes=1))

    # Then the digest lists the other two only; the chat's own reminder goes at 12:00 (R19 wins)
    [digest] = reminders_to(world, ANA)[-1:]
    assert "Statements" not in digest.text
    assert "Organizer" in digest.text
    assert tick(world, at("2026-11-30T12:00:00+00:00")) == 1
    assert [e["at"] for e in reminder_events(world, chat["id"]) if e["details"]["mode"] == "auto"] == [
        "2026-11-30T12:00:00Z"
    ]


def test_the_firm_can_turn_digests_off(world: World) -> None:
    # Given a firm that turned digests off, and three items due the same morning
    _, items = three_items(world)
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", "reminder_digest": False})
    assert (reply.status, reply.body["reminder_digest"]) == (200, False)
    world.take_queued()

    # When they fall due
    tick(world, DUE + timedelta(minutes=1))

    # Then each contact gets one email per item, as before
    assert len(reminders_to(world, ANA)) == len(reminders_to(world, BRUNO)) == 3
    assert all(len(reminder_events(world, i["id"])) == 1 for i in items)
    assert world.api("GET", "/firm").body["reminder_digest"] is False


def test_a_digest_delivered_twice_by_sqs_emails_each_contact_once(world: World) -> None:
    # Given the three claimed reminders waiting in the queue
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))
    messages = world.receive()
    assert len(messages) == 3

    # When SQS delivers every message twice, one at a time
    for message in [*messages, *messages]:
        world.send([message])

    # Then each contact got one digest and each item recorded one reminder
    assert_one_digest_each_recorded_once(world, items)


def test_two_overlapping_scans_send_one_digest(world: World) -> None:
    # Given three reminders due
    _, items = three_items(world)

    # When two scans run for the same tick, then the queue is drained
    first, second = world.scan(DUE + timedelta(minutes=1)), world.scan(DUE + timedelta(minutes=1))
    world.drain()

    # Then one claimed them, and one digest went to each contact
    assert (first["claimed"], second["claimed"]) == (3, 0)
    assert_one_digest_each_recorded_once(world, items)


def test_a_digest_throttled_between_two_contacts_is_finished_without_emailing_anyone_twice(world: World) -> None:
    # Given three reminders claimed for the same morning
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))

    # When SES throttles the mail to Bruno, after Ana's went
    with ses_errors(lambda to, _: "TooManyRequestsException" if to == BRUNO else None) as failed:
        first = world.drain()
    assert set(failed) == {BRUNO}
    assert first[0].failed_ids

    # Then the retry (after its backoff) sends Bruno's digest only, and every item is recorded once
    world.time.shift(timedelta(minutes=20))
    world.drain()
    assert_one_digest_each_recorded_once(world, items)


@pytest.mark.parametrize("completed", [0, 1, 2])
def test_an_item_completed_between_a_throttled_digest_and_its_retry_still_records_the_reminder_it_got(
    world: World, completed: int
) -> None:
    # Given a digest of three reminders that reached Ana, while SES throttled Bruno's copy
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))
    with ses_errors(lambda to, _: "TooManyRequestsException" if to == BRUNO else None) as failed:
        world.drain()
    assert set(failed) == {BRUNO}

    # When Ana acts on one of the items before the retry (it leaves the pending index)
    assert world.api("POST", f"/action-items/{items[completed]['id']}/complete", {}).status == 200
    world.time.shift(timedelta(minutes=20))
    world.drain()

    # Then Bruno gets the same digest Ana got, and every item records the reminder it was sent,
    # the completed one too (Ana's mail listed it)
    assert [m.subject for m in reminders_to(world, BRUNO)] == [DIGEST_SUBJECT]
    for item in items:
        [event] = reminder_events(world, item["id"])
        assert event["recipients"] == [ANA, BRUNO]


def test_a_digest_whose_record_failed_after_ses_accepted_is_recorded_without_a_second_email(world: World) -> None:
    # Given three reminders claimed for the same morning
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))

    # When DynamoDB fails the writes right after SES accepted a digest
    with dynamodb_down_after_ses_accepts(writes=2) as failed:
        world.drain()
    assert failed

    # Then the retry records every item once, and nobody gets a second digest
    world.time.shift(timedelta(minutes=20))
    world.drain()
    assert_one_digest_each_recorded_once(world, items)


def test_a_worker_that_died_mid_digest_is_taken_over_when_its_lease_expires(world: World) -> None:
    # Given three reminders claimed for the same morning
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))

    # When the worker is killed right after SES accepted Ana's digest
    with killed_after_ses_accepts(), pytest.raises(Killed):
        world.drain()

    # Then after the digest's lease, another worker finishes it: Bruno gets his, Ana no second one
    # (her mail's outcome unknown to the new worker: recorded as unconfirmed, never sent again)
    world.run_for(timedelta(hours=2), scan_every=None)
    assert [len(reminders_to(world, a)) for a in (ANA, BRUNO)] == [1, 1]
    for item in items:
        [event] = reminder_events(world, item["id"])
        assert set(event["recipients"]) | set(event["details"].get("unconfirmed", [])) == {ANA, BRUNO}


def test_an_escalation_due_the_same_day_goes_to_the_firm_and_never_into_the_clients_digest(world: World) -> None:
    # Given a firm with an escalation address, and an account whose organizer (one reminder, then
    # escalated three days on) escalates on 3 December, the day two other items fall due
    reply = world.api("PUT", "/firm", {"name": "Silva Contabilidade", "escalation_email": "partners@silva.example.com"})
    assert reply.status == 200
    world.take_queued()
    account = world.create_account()
    once = {"enabled": True, "days_between": 3, "max_reminders": 1, "escalate_after_days": 3}
    every_6_days = {"enabled": True, "days_between": 6, "max_reminders": 2}
    escalating = world.send_item(account["id"], title="2026 Tax Organizer", reminders=once)
    others = [
        world.send_item(account["id"], kind="proposal", title="2026 Engagement Letter", reminders=every_6_days),
        world.send_item(account["id"], kind="signature", title="Power of attorney", reminders=every_6_days),
    ]
    assert tick(world, DUE + timedelta(minutes=1)) == 1  # the organizer's only reminder, on its own
    assert [m.subject.split(":")[0] for m in reminders_to(world, ANA)] == ["Reminder"]

    # When 3 December comes
    tick(world, DUE + 3 * DAY + timedelta(minutes=1))

    # Then the clients get one digest of the two reminders, without the escalation
    digest = reminders_to(world, ANA)[1:]
    assert [m.subject for m in digest] == ["Reminder: Silva Contabilidade is waiting for you on 2 items"]
    assert "2026 Tax Organizer" not in digest[0].text
    assert all(item["title"] in digest[0].text for item in others)
    # And the firm is told about the organizer, once, on its own
    [escalation] = [m for m in world.sent if "partners@silva.example.com" in m.to]
    assert escalation.subject.startswith("Escalation:")
    assert "2026 Tax Organizer" in escalation.subject
    assert world.api("GET", f"/action-items/{escalating['id']}").body["escalated_at"] is not None
    for item in others:
        assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 1


def test_a_digest_ses_refuses_for_a_day_is_given_up_as_email_failed_for_every_item(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given three reminders claimed for the same morning
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))
    before = len(world.sent)
    capsys.readouterr()

    # When SES stays paused and the send queue keeps retrying the digest for a day and a half
    with ses_errors(lambda *_: "SendingPausedException"):
        world.run_for(timedelta(hours=36), step=timedelta(minutes=10), scan_every=None)

    # Then the digest was given up (R14): every item is email_failed once, nothing was mailed,
    # and no message is left retrying or dead-lettered
    assert len(world.sent) == before
    assert world.receive() == []
    sqs = boto3.client("sqs", region_name=REGION)
    assert sqs.receive_message(QueueUrl=world.queues.dead_letter_url).get("Messages", []) == []
    for item in items:
        current = world.api("GET", f"/action-items/{item['id']}").body
        assert (current["email_failed"], current["reminders"]["sent"]) == (True, 0)
        audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
        [failure] = [e for e in audit if e["type"] == "email_failed"]
        assert failure["details"]["number"] == 1
        assert "refused it for 24 hours" in failure["details"]["reason"]
    # And the digest counts once as a round given up, which the RoundsGivenUp alarm watches
    assert figures(emf_records(capsys.readouterr().out))["RoundsGivenUp"] == 1
    # And later scans leave them alone until the firm acts
    assert world.scan(DUE + 5 * DAY)["due"] == 0


def test_a_digest_that_reached_one_contact_before_ses_refused_for_a_day_is_recorded_for_that_contact(
    world: World,
) -> None:
    # Given a digest that reached Ana, while SES refused Bruno's copy
    _, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))

    # When SES keeps refusing Bruno's copy for a day and a half
    with ses_errors(lambda to, _: "SendingPausedException" if to == BRUNO else None):
        world.run_for(timedelta(hours=36), step=timedelta(minutes=10), scan_every=None)

    # Then every item records the reminder Ana got and Bruno's copy as failed, and nothing retries
    assert [len(reminders_to(world, a)) for a in (ANA, BRUNO)] == [1, 0]
    assert world.receive() == []
    for item in items:
        [event] = reminder_events(world, item["id"])
        assert event["recipients"] == [ANA]
        audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
        [failure] = [e for e in audit if e["type"] == "email_failed"]
        assert failure["recipients"] == [BRUNO]
        assert "refused it for 24 hours" in failure["details"]["errors"][BRUNO]
        current = world.api("GET", f"/action-items/{item['id']}").body
        assert (current["reminders"]["sent"], current["email_failed"]) == (1, False)


def test_the_firm_editing_the_account_while_its_digest_goes_out_does_not_hold_the_digest_up(world: World) -> None:
    # Given three reminders claimed for the same morning
    account, items = three_items(world)
    world.scan(DUE + timedelta(minutes=1))
    edited: list[int] = []

    # When the firm renames the account while SES takes Ana's digest (before Bruno's goes)
    def rename_while_sending(to: str, _: int) -> None:
        if to == ANA and not edited:
            edited.append(world.api("PATCH", f"/accounts/{account['id']}", {"name": "Souza & Filhos"}).status)

    with ses_errors(rename_while_sending):
        world.drain()

    # Then the digest went on to Bruno in the same run, and every item recorded both mails with
    # their message ids, without waiting for a retry
    assert edited == [200]
    assert_one_digest_each_recorded_once(world, items)
    for item in items:
        [event] = reminder_events(world, item["id"])
        assert set(event["details"]["message_ids"]) == {ANA, BRUNO}
    assert world.api("GET", f"/accounts/{account['id']}").body["name"] == "Souza & Filhos"


def test_reminders_due_together_after_the_days_digest_went_go_as_a_second_digest(world: World) -> None:
    # Given an organizer and a letter due on 30 November at 09:00, and two chats emailed on
    # 29 November at 12:00 whose daily reminders fall due on 30 November at 12:00
    assert world.api("PUT", "/firm", {"name": "Silva Contabilidade"}).status == 200
    account = world.create_account()
    every_3_days = {"enabled": True, "days_between": 3, "max_reminders": 2}
    morning = [world.send_item(account["id"], title=t, reminders=every_3_days) for t in ("Organizer", "Letter")]
    world.time.move_to(at("2026-11-29T12:00:00+00:00"))
    daily = {"enabled": True, "days_between": 1, "max_reminders": 1}
    chats = [world.send_item(account["id"], kind="chat", title=t, reminders=daily) for t in ("Statements", "Receipts")]

    # When the morning's reminders go (the chats, emailed less than 24 hours before, wait for theirs)
    tick(world, at("2026-11-30T09:01:00+00:00"))
    [first] = reminders_to(world, ANA)
    assert all(item["title"] in first.text for item in morning)

    # Then at noon the two chats' reminders go to each contact as one more digest, not one email each
    tick(world, at("2026-11-30T12:01:00+00:00"))
    afternoon = reminders_to(world, ANA)[1:]
    assert [m.subject for m in afternoon] == ["Reminder: Silva Contabilidade is waiting for you on 2 items"]
    assert all(item["title"] in afternoon[0].text for item in chats)
    assert [len(reminders_to(world, a)) for a in (ANA, BRUNO)] == [2, 2]
    for item in [*morning, *chats]:
        [event] = reminder_events(world, item["id"])
        assert event["recipients"] == [ANA, BRUNO]
