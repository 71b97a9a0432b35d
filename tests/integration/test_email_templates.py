"""The firm's own voice (SPEC R21): its wording of each kind's emails per stage and language, and
previews, through API Gateway events, scheduled scans and SQS batches, with each mail read back as
SES took it (moto's outbox: both parts)."""

from __future__ import annotations

import html
import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from devtools.local.outbox import Mail
from functions.api import handler as api_handler
from portal_reminders.api.types import WORDING_BODY_MAX, WORDING_SUBJECT_MAX
from portal_reminders.models.domain import EmailStage, Kind, Language
from tests.support.aws import table_snapshot, wording_reads
from tests.support.world import World

FIRM = "Silva & Harper Accounting"
OLIVIA = "olivia@client.example.com"
# AWS Lambda quotas: invocation payload (request and response), 6 MB each for synchronous calls
LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024
INVOICE = {"amount": "1250.00", "currency": "USD", "due_date": "2026-12-15"}
REMINDER = {
    "subject": "{{item_title}}: still open with {{firm_name}}",
    "body": "Dear {{contact_first_name}},\n\n"
    "{{item_title}} for {{client_name}} is still open (first sent on {{first_sent_on}}).\n"
    "Reminder number: [{{reminder_number}}]\n\n"
    "Thank you.",
}


def _firm(world: World, firm: str | None = None) -> None:
    kw = {} if firm is None else {"firm": firm}
    reply = world.api("PUT", "/firm", {"name": FIRM, "branding": {"signature": "Maria Silva, CPA"}}, **kw)
    assert reply.status == 200, reply.body
    world.take_queued()  # the rescheduling pass a profile change queues: nothing to move here


def _account(world: World, language: str = "en", **kw: Any) -> Any:
    contacts = [{"name": "Olivia Harper", "email": OLIVIA, "notify": True}]
    return world.create_account(language=language, contacts=contacts, **kw)


def _put(world: World, kind: str, stage: str, language: str = "en", wording: Any = None, **kw: Any) -> Any:
    reply = world.api("PUT", f"/email-templates/{kind}/{stage}/{language}", wording or REMINDER, **kw)
    assert reply.status == 200, reply.body
    return reply.body


def _latest(world: World, address: str = OLIVIA) -> Mail:
    """The latest mail SES took for the address (both parts), checked against moto's outbox."""
    mails, stored = world.sent_to(address), world.mail_to(address)
    assert mails, f"no mail to {address}"
    assert len(stored) == len(mails)
    assert (stored[-1].subject, stored[-1].html) == (mails[-1].subject, mails[-1].html)
    return mails[-1]


def _html_text(mail: Mail) -> str:
    return html.unescape(mail.html or "")


# the wording reaches the client ----------------------------------------------------------------


def test_a_notification_goes_out_in_the_firms_words_within_its_greeting_brand_button_and_footer(world: World) -> None:
    # Given a firm that words its organizer notifications in English
    _firm(world)
    _put(
        world,
        "organizer",
        "notification",
        wording={
            "subject": "Your {{item_title}} from {{firm_name}}",
            "body": "Please fill in {{item_title}} at {{portal_link}}.\n\nIt helps us file on time.",
        },
    )
    account = _account(world)

    # When an organizer is sent
    item = world.send_item(account["id"], title="2026 Tax Organizer")

    # Then the mail says what the firm wrote, with the values in, in both parts
    mail = _latest(world)
    link = f"/action-items/{item['id']}"
    assert mail.subject == f"Your 2026 Tax Organizer from {FIRM}"
    assert mail.text is not None
    assert mail.html is not None
    assert "Please fill in 2026 Tax Organizer at http" in mail.text
    assert link in mail.text
    assert "It helps us file on time." in mail.text
    assert "<p" in mail.html
    assert "It helps us file on time.</p>" in mail.html
    # And the greeting, the signature, the portal button and the footer stay
    assert mail.text.startswith("Hi Olivia,")
    assert "Maria Silva, CPA" in mail.text
    assert 'href="http' in mail.html
    assert link in mail.html
    assert '<td align="center" bgcolor=' in mail.html  # the portal button
    assert "\n-- \n" in mail.text
    # And the built-in words are not there
    assert "Reminder" not in mail.subject


def test_an_automatic_reminder_uses_the_reminder_wording_and_the_subject_exactly_as_written(world: World) -> None:
    # Given a firm with its own reminder wording for organizers
    _firm(world)
    _put(world, "organizer", "reminder")
    account = _account(world)
    world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 3})

    # When the first automatic reminder goes out
    world.time.shift(timedelta(days=3, minutes=1))
    world.scan()
    world.drain()

    # Then its subject is the firm's, with no "Reminder:" added, and the body names the reminder
    mail = _latest(world)
    assert mail.subject == f"2026 Tax Organizer: still open with {FIRM}"
    assert mail.text is not None
    assert "Dear Olivia,\n\n2026 Tax Organizer for Souza Family is still open (first sent on 27 November 2026)." in (
        mail.text
    )
    assert "Reminder number: [1]" in mail.text


def test_the_final_automatic_reminder_uses_the_final_wording(world: World) -> None:
    # Given reminder and final wordings for invoices
    _firm(world)
    _put(world, "invoice", "reminder")
    _put(
        world,
        "invoice",
        "final",
        wording={
            "subject": "Last call: {{item_title}}",
            "body": "{{amount}} was due on {{due_date}}, {{days_overdue}} days ago. Balance: {{balance_due}}.",
        },
    )
    account = _account(world)
    world.send_item(
        account["id"],
        kind="invoice",
        title="Invoice 1042",
        invoice={**INVOICE, "due_date": "2026-12-10"},
        reminders={"enabled": True, "schedule": "due_date", "steps": [{"days": 1}, {"days": 7}]},
    )

    # When the first (firm) and then the last (final) reminder go out
    sent = []
    for day in ("2026-12-11", "2026-12-17"):
        when = datetime.fromisoformat(f"{day}T09:01:00+00:00")
        world.time.move_to(when)
        assert world.scan(when)["claimed"] == 1
        world.drain()
        sent.append(_latest(world))

    # Then the first uses the reminder wording and the last the final wording
    assert sent[0].subject == f"Invoice 1042: still open with {FIRM}"
    assert sent[1].subject == "Last call: Invoice 1042"
    assert sent[1].text is not None
    assert "USD 1,250.00 was due on 10 December 2026, 7 days ago. Balance: USD 1,250.00." in sent[1].text


def test_a_manual_resend_uses_the_reminder_wording_with_the_firm_users_message(world: World) -> None:
    # Given a firm with a reminder wording, and an item without automatic reminders
    _firm(world)
    _put(world, "proposal", "reminder")
    account = _account(world)
    item = world.send_item(account["id"], kind="proposal", title="2026 Engagement Letter")

    # When a firm user resends it with a message
    reply = world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Call me if anything is unclear."})

    # Then the mail is in the firm's words, names no reminder number, and keeps the message
    assert reply.status == 202, reply.body
    mail = _latest(world)
    assert mail.subject == f"2026 Engagement Letter: still open with {FIRM}"
    assert mail.text is not None
    assert "Reminder number: []" in mail.text
    assert "Call me if anything is unclear." in mail.text


def test_only_the_accounts_language_uses_a_wording(world: World) -> None:
    # Given a Portuguese notification wording only
    _firm(world)
    _put(world, "organizer", "notification", "pt", {"subject": "Olá de {{firm_name}}", "body": "Texto nosso."})

    # When an English account and a Portuguese account get an organizer
    english = world.create_account(contacts=[{"name": "Ann Lee", "email": "ann@client.example.com", "notify": True}])
    portuguese = _account(world, "pt")
    world.send_item(english["id"])
    world.send_item(portuguese["id"])

    # Then only the Portuguese account's mail is in the firm's words
    assert _latest(world).subject == f"Olá de {FIRM}"
    assert _latest(world, "ann@client.example.com").subject != f"Olá de {FIRM}"


# escaping --------------------------------------------------------------------------------------


def test_the_firms_text_and_the_values_are_never_html(world: World) -> None:
    # Given a wording with markup of its own, and an item whose title has markup
    _firm(world)
    _put(
        world,
        "chat",
        "notification",
        wording={
            "subject": "<b>{{item_title}}</b>",
            "body": "<script>alert('firm')</script> & {{item_title}}\n\n<a href=\"https://evil.example\">x</a>",
        },
    )
    account = _account(world)

    # When the item is sent
    world.send_item(account["id"], kind="chat", title="<img src=x onerror=alert(1)> & more")

    # Then the text part has the text as written
    mail = _latest(world)
    assert mail.text is not None
    assert mail.html is not None
    assert "<script>alert('firm')</script> & <img src=x onerror=alert(1)> & more" in mail.text
    assert mail.subject == "<b><img src=x onerror=alert(1)> & more</b>"
    # And the HTML part shows it as text: nothing of it is markup
    assert "<script" not in mail.html
    assert "<img src=x" not in mail.html
    assert 'evil.example">' not in mail.html
    assert "&lt;script&gt;alert(&#39;firm&#39;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in mail.html
    assert "&lt;a href=&#34;https://evil.example&#34;&gt;x&lt;/a&gt;" in mail.html
    assert "<script>alert('firm')</script>" in _html_text(mail)


# the API ---------------------------------------------------------------------------------------


def test_a_wording_is_read_listed_and_deleted_and_delete_restores_the_built_in_words(world: World) -> None:
    # Given a stored wording
    _firm(world)
    put = _put(world, "signature", "notification", wording={"subject": "Sign {{item_title}}", "body": "Please."})
    path = "/email-templates/signature/notification/en"

    # Then it is returned, read back and listed
    assert put["subject"] == "Sign {{item_title}}"
    assert put["body"] == "Please."
    assert put["kind"] == "signature"
    assert put["stage"] == "notification"
    assert put["language"] == "en"
    assert put["updated_by"] == "user-1"
    assert world.api("GET", path).body == put
    assert world.api("GET", "/email-templates").body == {"items": [put], "next_token": None}

    # When it is deleted
    deleted = world.api("DELETE", path)

    # Then it is gone, a second delete finds nothing, and the item's email has the built-in words
    assert deleted.status == 200
    assert deleted.body == put
    assert world.api("GET", path).status == 404
    assert world.api("DELETE", path).status == 404
    assert world.api("GET", "/email-templates").body == {"items": [], "next_token": None}
    account = _account(world)
    world.send_item(account["id"], kind="signature", title="Form 8879")
    assert _latest(world).subject != "Sign Form 8879"


def test_a_put_replaces_the_wording_and_a_firm_profile_put_keeps_it(world: World) -> None:
    # Given a wording replaced by a second one, and then the firm profile put again
    _firm(world)
    _put(world, "organizer", "notification", wording={"subject": "First", "body": "One."})
    _put(world, "organizer", "notification", wording={"subject": "Second {{item_title}}", "body": "Two."})
    _firm(world)

    # When an organizer is sent
    world.send_item(_account(world)["id"])

    # Then the second wording is used
    assert _latest(world).subject == "Second 2026 Tax Organizer"
    assert len(world.api("GET", "/email-templates").body["items"]) == 1


def test_another_firms_wording_is_never_used_nor_seen(world: World) -> None:
    # Given another firm's wording for organizer notifications
    _firm(world, firm="firm-b")
    _put(world, "organizer", "notification", wording={"subject": "Firm B words", "body": "B."}, firm="firm-b")

    # When this firm sends an organizer
    _firm(world)
    world.send_item(_account(world)["id"])

    # Then its client gets the built-in words, and the other firm's wording is not this firm's
    assert _latest(world).subject != "Firm B words"
    assert world.api("GET", "/email-templates").body["items"] == []
    assert world.api("GET", "/email-templates/organizer/notification/en").status == 404
    assert world.api("DELETE", "/email-templates/organizer/notification/en").status == 404
    assert world.api("GET", "/email-templates", firm="firm-b").body["items"][0]["subject"] == "Firm B words"


@pytest.mark.parametrize(
    ("wording", "field", "words"),
    [
        ({"subject": "Hi {{client}}", "body": "x"}, "subject", "{{client}}"),
        ({"subject": "Hi", "body": "Dear {{ first_name }},"}, "body", "{{first_name}}"),
        ({"subject": "Hi", "body": "{% if amount %}pay{% endif %}"}, "body", "tags"),
        ({"subject": "Hi", "body": "{{ item_title | upper }}"}, "body", "filters"),
        ({"subject": "Hi", "body": "{{ item_title.__class__ }}"}, "body", "attributes"),
        ({"subject": "Hi", "body": "{{ item_title"}, "body", "body line 1"),
        ({"subject": "Hi", "body": "x" * 5001}, "body", "5,000"),
        ({"subject": "x" * 201, "body": "x"}, "subject", "200"),
        ({"subject": "two\nlines", "body": "x"}, "subject", "single line"),
        ({"subject": " ", "body": "x"}, "subject", "blank"),
        ({"subject": "Hi", "body": "\n\n"}, "body", "blank"),
        ({"subject": "Hi"}, "body", "Field required"),
    ],
)
def test_a_wording_the_product_cannot_render_is_a_422_naming_the_field_and_nothing_is_written(
    world: World, wording: dict[str, str], field: str, words: str
) -> None:
    # Given the table as it is
    before = table_snapshot()

    # When the firm puts the wording
    reply = world.api("PUT", "/email-templates/organizer/reminder/en", wording)

    # Then it is refused, naming the field and what is wrong, and nothing is written
    assert reply.status == 422, reply.body
    details = reply.body["error"]["details"]
    assert [detail["field"] for detail in details] == [field]
    assert words in details[0]["message"]
    assert table_snapshot() == before


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/email-templates/letter/reminder/en", "kind"),
        ("/email-templates/organizer/later/en", "stage"),
        ("/email-templates/organizer/reminder/fr", "language"),
    ],
)
def test_a_kind_stage_or_language_outside_its_list_is_a_422_naming_it(world: World, path: str, field: str) -> None:
    # When the firm uses a path outside the lists, to put, read or delete
    for method, body in (("PUT", REMINDER), ("GET", None), ("DELETE", None)):
        reply = world.api(method, path, body)

        # Then it is refused, naming the part of the path
        assert reply.status == 422, (method, reply.body)
        assert [detail["field"] for detail in reply.body["error"]["details"]] == [field]


def test_the_escalation_stage_is_stored_for_the_escalation_email(world: World) -> None:
    # When the firm words its escalation emails
    put = _put(world, "invoice", "escalation", wording={"subject": "{{client_name}} is silent", "body": "Call them."})

    # Then the wording is stored for this firm only (the escalation email takes it:
    # test_escalation.py, "in the firm's own words")
    assert put["stage"] == "escalation"
    assert world.api("GET", "/email-templates/invoice/escalation/en").body == put
    assert world.api("GET", "/email-templates/invoice/escalation/en", firm="firm-b").status == 404


@pytest.mark.parametrize("language", ["pt-PT", "pt", "pt-BR", "es"])
def test_an_escalation_wording_in_a_language_the_escalation_never_speaks_is_a_422(world: World, language: str) -> None:
    # Given the table as it is
    before = table_snapshot()

    # When the firm words the escalation in another language than English (the firm's own email)
    reply = world.api(
        "PUT",
        f"/email-templates/invoice/escalation/{language}",
        {"subject": "{{client_name}} não pagou", "body": "Liguem."},
    )

    # Then it is refused like its preview, naming the language, and nothing is written
    assert reply.status == 422, reply.body
    details = reply.body["error"]["details"]
    assert [detail["field"] for detail in details] == ["language"]
    assert "en" in details[0]["message"]
    assert table_snapshot() == before


@pytest.mark.parametrize("field", ["subject", "body"])
def test_plain_text_may_end_with_an_open_brace(world: World, field: str) -> None:
    # When a wording ends with a "{" (no placeholder, tag or comment follows it)
    wording = {"subject": "Invoice {{item_title}}", "body": "Please pay."}
    wording[field] += " :-{"
    reply = world.api("PUT", "/email-templates/invoice/reminder/en", wording)

    # Then it is plain text like any other
    assert reply.status == 200, reply.body
    assert reply.body[field].endswith(":-{")


# previews --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", ["notification", "reminder"])
def test_a_preview_for_an_item_is_the_mail_then_sent(world: World, stage: str) -> None:
    # Given a firm with its own wording of invoice emails, and an invoice
    _firm(world)
    _put(world, "invoice", stage, wording={"subject": "{{item_title}} ({{amount}})", "body": "Due {{due_date}}."})
    account = _account(world)
    if stage == "reminder":
        item = world.send_item(account["id"], kind="invoice", title="Invoice 1042", invoice=INVOICE)

    # When the firm previews the email
    item_id = item["id"] if stage == "reminder" else None
    if stage == "notification":
        item = world.send_item(account["id"], kind="invoice", title="Invoice 1042", invoice=INVOICE)
        item_id = item["id"]
        sent = _latest(world)
    preview = world.api("POST", "/email-previews", {"stage": stage, "item_id": item_id})
    if stage == "reminder":
        assert world.api("POST", f"/action-items/{item_id}/resend").status == 202
        sent = _latest(world)

    # Then the preview is exactly the mail sent, both parts
    assert preview.status == 200, preview.body
    assert preview.body == {"subject": sent.subject, "text": sent.text, "html": sent.html}
    assert preview.body["subject"] == "Invoice 1042 (USD 1,250.00)"


def test_a_preview_without_an_item_uses_sample_data_the_firms_brand_and_wording(world: World) -> None:
    # Given a firm with its own final wording for organizers
    _firm(world)
    _put(world, "organizer", "final", wording={"subject": "Last: {{item_title}}", "body": "{{days_overdue}} days late"})

    # When the firm previews it, and the built-in reminder of a proposal in Portuguese
    own = world.api("POST", "/email-previews", {"stage": "final", "kind": "organizer", "language": "en"})
    built_in = world.api("POST", "/email-previews", {"stage": "reminder", "kind": "proposal", "language": "pt"})

    # Then the first is in the firm's words with sample values, the second in the product's
    assert own.status == 200, own.body
    assert own.body["subject"] == "Last: 2026 Tax Organizer"
    assert "10 days late" in own.body["text"]
    assert "Maria Silva, CPA" in own.body["text"]
    assert "Hi Olivia," in own.body["text"]
    assert "<!DOCTYPE html>" in own.body["html"]
    assert built_in.status == 200, built_in.body
    assert "2026 Engagement Letter" in built_in.body["subject"]


def test_a_sample_escalation_preview_is_in_the_firms_english_words_else_the_built_in_ones(world: World) -> None:
    # Given a firm that words its invoices' escalations in English, and not its organizers'
    _firm(world)
    _put(
        world,
        "invoice",
        "escalation",
        wording={
            "subject": "{{client_name}} owes {{balance_due}} ({{days_overdue}} days late)",
            "body": "Call {{contact_first_name}}: {{reminder_number}} reminders, first sent on {{first_sent_on}}.",
        },
    )

    # When the firm previews an invoice's escalation and an organizer's, with sample data
    invoice = world.api("POST", "/email-previews", {"stage": "escalation", "kind": "invoice", "language": "en"})
    organizer = world.api("POST", "/email-previews", {"stage": "escalation", "kind": "organizer", "language": "en"})

    # Then the invoice's is in the firm's words with the sample values, around the sample history
    assert invoice.status == 200, invoice.body
    assert invoice.body["subject"] == "Harper Household owes USD 1,250.00 (24 days late)"
    text = invoice.body["text"]
    assert "Call Olivia: 3 reminders, first sent on " in text
    assert "has not acted on" not in text
    history = text.split("What the client was sent:\n\n")[1].split("\n\n")[0].splitlines()
    assert [line.split(": ", 1)[1] for line in history] == [
        "the first email",
        "Reminder (gentle)",
        "Second reminder (firm)",
        "Final reminder (final)",
    ]
    assert "/action-items/sample" in text
    assert "<!DOCTYPE html>" in invoice.body["html"]
    # And the organizer's is in the built-in English words
    assert organizer.status == 200, organizer.body
    assert organizer.body["subject"] == "Escalation: Harper Household has not acted on “2026 Tax Organizer”"
    assert "in the 14 days since its last automatic reminder" in organizer.body["text"]
    assert "Call Olivia" not in organizer.body["text"]


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"stage": "reminder"}, 422, "kind"),
        ({"stage": "reminder", "kind": "invoice"}, 422, "language"),
        ({"stage": "escalation", "kind": "invoice", "language": "pt-BR"}, 422, "language"),
        ({"stage": "escalation", "kind": "invoice"}, 422, "language"),
        ({"stage": "escalation", "language": "en"}, 422, "kind"),
        ({"stage": "escalation", "item_id": "itm_00000000000000000000000000000000"}, 404, None),
        ({"stage": "reviewed", "kind": "invoice", "language": "en"}, 422, "stage"),
        ({"stage": "reminder", "kind": None, "language": "en"}, 422, "kind"),
        ({"stage": "reminder", "item_id": "itm_00000000000000000000000000000000"}, 404, None),
        ({"stage": "reminder", "item_id": "nope"}, 422, "item_id"),
    ],
)
def test_a_preview_of_nothing_renderable_is_refused(
    world: World, body: dict[str, Any], status: int, field: str | None
) -> None:
    # When the firm asks for a preview it cannot have
    reply = world.api("POST", "/email-previews", body)

    # Then it is refused, naming the field
    assert reply.status == status, reply.body
    if field is not None:
        assert field in [detail["field"] for detail in reply.body["error"]["details"]]


def test_a_preview_naming_another_kind_or_language_than_the_items_is_a_409(world: World) -> None:
    # Given an English organizer
    item = world.send_item(_account(world)["id"])

    # When the firm previews it as an invoice, or in Portuguese
    kind = world.api("POST", "/email-previews", {"stage": "reminder", "item_id": item["id"], "kind": "invoice"})
    language = world.api("POST", "/email-previews", {"stage": "reminder", "item_id": item["id"], "language": "pt"})

    # Then both are conflicts naming the field
    assert (kind.status, kind.body["error"]["details"][0]["field"]) == (409, "kind")
    assert (language.status, language.body["error"]["details"][0]["field"]) == (409, "language")


@pytest.mark.parametrize("stage", ["reminder", "escalation"])
def test_another_firms_item_cannot_be_previewed(world: World, stage: str) -> None:
    # Given another firm's item, which escalates
    account = _account(world, firm="firm-b")
    body = {"kind": "chat", "title": "Hi", "reminders": {"enabled": True, "escalate_after_days": 7}}
    item = world.api("POST", f"/accounts/{account['id']}/action-items", body, firm="firm-b")
    assert item.status == 201, item.body

    # When this firm previews its email
    reply = world.api("POST", "/email-previews", {"stage": stage, "item_id": item.body["id"]})

    # Then it does not exist for this firm
    assert reply.status == 404


def test_the_longest_wording_in_four_byte_characters_is_stored_and_sent(world: World) -> None:
    # Given a body of 5,000 characters of four bytes each in UTF-8 (a DynamoDB item stops at 400 KB)
    _firm(world)
    body = "\N{GRINNING FACE}" * 5000
    _put(world, "approval", "notification", wording={"subject": "\N{GRINNING FACE}" * 200, "body": body})

    # When an approval is sent
    world.send_item(_account(world)["id"], kind="approval", title="2026 Financial Statements")

    # Then the client gets all of it
    mail = _latest(world)
    assert mail.subject == "\N{GRINNING FACE}" * 200
    assert mail.text is not None
    assert body in mail.text


# what the send path reads ----------------------------------------------------------------------


def test_the_send_path_reads_a_wording_once_per_firm_version(world: World) -> None:
    # Given a firm with a reminder wording for organizers
    _firm(world)
    _put(world, "organizer", "reminder")
    account = _account(world)

    with wording_reads() as asked:
        # When two organizers are sent and each reminder goes out in a batch of its own
        for days in (3, 4):
            world.send_item(account["id"], reminders={"enabled": True, "days_between": days})
        for day in (3, 4):
            world.scan(datetime.fromisoformat("2026-11-27T09:01:00+00:00") + timedelta(days=day))
            world.drain()
        # And then the firm changes the wording, and a third organizer is reminded
        _put(world, "organizer", "reminder", wording={"subject": "New words", "body": "New."})
        world.send_item(account["id"], reminders={"enabled": True, "days_between": 1})
        world.scan(datetime.fromisoformat("2026-12-02T09:01:00+00:00"))
        world.drain()

    # Then each wording was read once (the firm's version changes with it) for three notifications
    # and three reminders, and the last reminder has the new words
    assert asked == ["WORDING#organizer#reminder#en", "WORDING#organizer#reminder#en"]
    subjects = [mail.subject for mail in world.sent_to(OLIVIA)]
    assert len(subjects) == 6
    assert subjects[-1] == "New words"


def test_a_firm_without_wordings_costs_the_send_path_no_read(world: World) -> None:
    # Given a firm without any wording, and another firm with one
    _put(world, "organizer", "reminder", firm="firm-b")
    world.send_item(_account(world)["id"], reminders={"enabled": True, "days_between": 3})

    # When its reminder goes out
    with wording_reads() as asked:
        world.scan(datetime.fromisoformat("2026-11-30T09:01:00+00:00"))
        world.drain()

    # Then no wording was asked for
    assert len(world.sent_to(OLIVIA)) == 2
    assert asked == []


def test_every_wording_a_firm_may_store_lists_within_a_lambda_response(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a firm that stored the longest wording the API takes, in four-byte characters, for
    # every kind, stage and language it may word (the escalation in English only)
    longest = {"subject": "\U0001f4c4" * WORDING_SUBJECT_MAX, "body": "\U0001f4c4" * WORDING_BODY_MAX}
    stored = 0
    for kind in Kind:
        for stage in EmailStage:
            for language in (Language.EN,) if stage is EmailStage.ESCALATION else tuple(Language):
                _put(world, kind.value, stage.value, language.value, wording=longest)
                stored += 1

    # When it lists them
    responses: list[dict[str, Any]] = []
    handler = api_handler.lambda_handler
    monkeypatch.setattr(api_handler, "lambda_handler", lambda e, c: responses.append(handler(e, c)) or responses[-1])
    reply = world.api("GET", "/email-templates")

    # Then the body is UTF-8 text, not \\u escapes (12 bytes for one such character, 14 once the
    # runtime escapes the backslashes: 78 such wordings came within 10 % of the limit)
    assert (reply.status, len(reply.body["items"])) == (200, stored)
    assert reply.body["items"][0]["body"] == longest["body"]
    assert longest["body"] in responses[-1]["body"]
    # And the response, as the python3.12 runtime hands it to Lambda (it does not escape either),
    # fits Lambda's 6 MB limit for a synchronous response with room to spare (past it: a 5xx)
    marshalled = json.dumps(responses[-1], ensure_ascii=False).encode()
    assert len(marshalled) <= LAMBDA_RESPONSE_LIMIT / 2, f"{len(marshalled):,} bytes"
