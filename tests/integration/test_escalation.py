"""Escalation (SPEC R19) through the functions' real entry points: when the last automatic reminder
has gone and the item is still pending `escalate_after_days` days after it, the firm is told once
(an email to its escalation address, else its reply-to, else nobody), the audit says so, the item
shows `escalated_at` and ItemEscalated is published; exactly once under duplicate messages, two
scans and a failed write after SES accepted; never for an item completed or cancelled first. The
firm's own wording of the email (SPEC R21, stage `escalation`, in English) replaces its words, and
its preview (`POST /email-previews`, stage `escalation`) is the mail the firm gets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.aws import table_snapshot, wording_reads
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


def escalating_invoice(world: World, language: str = "en", **reminders: Any) -> dict[str, Any]:
    account = world.create_account(language=language)
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


def put_wording(world: World, path: str, subject: str, body: str) -> None:
    reply = world.api("PUT", f"/email-templates/{path}", {"subject": subject, "body": body})
    assert reply.status == 200, reply.body


def escalation_mail(world: World, address: str = PARTNERS) -> Any:
    """The one escalation mail SES took for the address, checked against moto's outbox (both parts)."""
    [mail], [stored] = world.sent_to(address), world.mail_to(address)
    assert (stored.subject, stored.html) == (mail.subject, mail.html)
    assert mail.text is not None
    assert mail.html is not None
    return mail


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


# --- in the firm's own words (SPEC R21, stage escalation) ---------------------------------------------

BUILT_IN_SUBJECT = "Escalation: Souza Family has not acted on “INV-2026-118”"


def test_the_escalation_email_is_in_the_firms_own_words_with_the_values_in_and_nothing_of_it_html(
    world: World,
) -> None:
    # Given a firm that words its invoices' escalation emails (in English, the firm's language),
    # with markup of its own, and an invoice whose three reminders went out
    set_firm(world, reply_to=OFFICE, escalation_email=PARTNERS)
    put_wording(
        world,
        "invoice/escalation/en",
        "{{client_name}} is silent on {{item_title}} ({{days_overdue}} days late)",
        "{{contact_first_name}} at {{client_name}} has not paid {{amount}} (due {{due_date}}, first sent on "
        "{{first_sent_on}}, {{reminder_number}} reminders, balance {{balance_due}}, {{days_until_due}} days left).\n\n"
        "Call them today: <script>alert('x')</script> & {{portal_link}}\n\n{{firm_name}} partners",
    )
    item = escalating_invoice(world)
    every_reminder(world)

    # When the escalation is due
    assert tick(world, ESCALATION) == 1

    # Then the firm's mail has its subject and body, with every placeholder filled in
    mail = escalation_mail(world)
    link = f"https://portal.example.com/action-items/{item['id']}"
    assert mail.subject == "Souza Family is silent on INV-2026-118 (21 days late)"
    assert (
        "Ana at Souza Family has not paid EUR 1,250.00 (due 10 December 2026, first sent on 27 November 2026, "
        "3 reminders, balance EUR 1,250.00, 0 days left)."
    ) in mail.text
    assert f"Call them today: <script>alert('x')</script> & {link}" in mail.text
    assert "Silva Contabilidade partners" in mail.text
    # And the HTML part shows the firm's markup as text
    assert "<script" not in mail.html
    assert "Call them today: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; https://" in mail.html
    # And around it the email keeps what the client was sent, the item's button and the footer,
    # but not the built-in words
    assert "has not acted on" not in mail.text
    assert "Call or write to the client" not in mail.text
    assert "What the client was sent:\n\n- 27 November 2026: the first email" in mail.text
    assert "- 17 December 2026: Final reminder (final)" in mail.text
    assert f"Open the item:\n{link}" in mail.text
    assert f'href="{link}"' in mail.html
    assert "\n-- \nYou receive this email because this item escalates" in mail.text
    # And it escalated as before: to the escalation address, once
    assert world.sent_to(OFFICE) == []
    assert [e["recipients"] for e in escalations(world, item["id"])] == [[PARTNERS]]


def test_only_the_items_kind_in_english_words_the_escalation_and_a_deleted_wording_restores_the_built_in_words(
    world: World,
) -> None:
    # Given a firm that worded organizers' escalations, and invoices', then deleted the latter
    # (an escalation wording in another language than English is refused: test_email_templates.py)
    set_firm(world, escalation_email=PARTNERS)
    put_wording(world, "organizer/escalation/en", "Organizer: {{client_name}}", "Organizer.")
    put_wording(world, "invoice/escalation/en", "Invoice: {{client_name}}", "Invoice.")
    assert world.api("DELETE", "/email-templates/invoice/escalation/en").status == 200
    escalating_invoice(world)
    every_reminder(world)

    # When the invoice escalates
    assert tick(world, ESCALATION) == 1

    # Then the firm gets the built-in words
    mail = escalation_mail(world)
    assert mail.subject == BUILT_IN_SUBJECT
    assert "Souza Family has not acted on the invoice “INV-2026-118” in the 14 days" in mail.text


def test_an_escalation_wording_costs_the_reminders_no_read_and_the_escalation_one(world: World) -> None:
    # Given a firm whose only wording is its invoices' escalation
    set_firm(world, escalation_email=PARTNERS)
    put_wording(world, "invoice/escalation/en", "Silent: {{client_name}}", "Please call {{client_name}}.")

    with wording_reads() as asked:
        # When an invoice is sent, reminded three times, and escalates
        escalating_invoice(world)
        every_reminder(world)
        reminded = len(world.sent_to(ANA))
        assert asked == []
        assert tick(world, ESCALATION) == 1

    # Then the notification and the reminders read no wording, and the escalation read its own once
    assert reminded == 4
    assert asked == ["WORDING#invoice#escalation#en"]
    assert escalation_mail(world).subject == "Silent: Souza Family"


# --- its preview (SPEC R21: "exactly what would be sent") ----------------------------------------------


def preview(world: World, **body: Any) -> Any:
    return world.api("POST", "/email-previews", {"stage": "escalation", **body})


def test_the_preview_of_an_items_escalation_is_the_mail_the_firm_gets_and_still_is_once_sent(world: World) -> None:
    # Given a firm that words its invoices' escalations, and an invoice whose three reminders went out
    set_firm(world, reply_to=OFFICE, escalation_email=PARTNERS)
    put_wording(
        world,
        "invoice/escalation/en",
        "{{client_name}} is silent on {{item_title}} ({{days_overdue}} days late)",
        "Please call {{contact_first_name}} today: {{reminder_number}} reminders went.\n\n{{portal_link}}",
    )
    item = escalating_invoice(world)
    every_reminder(world)

    # When the firm previews the item's escalation on the day it escalates, just before the tick
    # sends it, and again once it was sent (the same day)
    world.time.move_to(at("2026-12-31T08:55:00+00:00"))
    before = preview(world, item_id=item["id"])
    with_kind = preview(world, item_id=item["id"], kind="invoice", language="en")
    assert tick(world, ESCALATION) == 1
    after = preview(world, item_id=item["id"])

    # Then each preview is exactly the mail SES took for the firm, both parts
    mail = escalation_mail(world)
    sent = {"subject": mail.subject, "text": mail.text, "html": mail.html}
    assert (before.status, with_kind.status, after.status) == (200, 200, 200), (before.body, after.body)
    assert before.body == sent
    assert with_kind.body == sent
    assert after.body == sent  # the escalated event is no email to the client: the list is the same
    # in the firm's words, with the history read from the item's audit trail
    assert mail.subject == "Souza Family is silent on INV-2026-118 (21 days late)"
    assert "Please call Ana today: 3 reminders went." in mail.text
    assert "- 17 December 2026: Final reminder (final)" in mail.text


def test_the_escalation_of_a_portuguese_clients_item_previews_in_english_only(world: World) -> None:
    # Given an invoice to a Portuguese-speaking client that escalates, with the built-in words
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world, language="pt-PT")
    every_reminder(world)

    # When the firm previews its escalation without a language, in English, and in Portuguese
    plain = preview(world, item_id=item["id"])
    english = preview(world, item_id=item["id"], language="en")
    portuguese = preview(world, item_id=item["id"], language="pt-PT")

    # Then the first two are the English email; Portuguese is a 422 naming language (the firm's
    # email has no other language), not the 409 of a client's email in another language
    assert (plain.status, english.status) == (200, 200), plain.body
    assert plain.body == english.body
    assert plain.body["subject"] == BUILT_IN_SUBJECT
    assert "What the client was sent:" in plain.body["text"]
    assert (portuguese.status, [d["field"] for d in portuguese.body["error"]["details"]]) == (422, ["language"])


def test_an_item_that_never_escalates_has_no_escalation_preview(world: World) -> None:
    # Given an invoice whose reminders have no escalate_after_days
    set_firm(world, escalation_email=PARTNERS)
    item = escalating_invoice(world, escalate_after_days=None)

    # When the firm previews its escalation
    reply = preview(world, item_id=item["id"])

    # Then it is a conflict naming the stage: no such email will ever go
    assert (reply.status, reply.body["error"]["details"][0]["field"]) == (409, "stage")
