"""The firm's brand, first-name greetings and preheaders (SPEC R21), through API Gateway events,
scheduled events and SQS batches, with each mail read back as SES took it (both parts)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

from devtools.local.outbox import Mail
from tests.support.world import World

FIRM = "Silva & Harper Accounting"
LOGO = "https://cdn.silva-harper.com/logo.png?v=2&size=email"
ACCENT = "#0B7A75"  # a dark teal: white text on it reads at 5.2:1
SIGNATURE = "Maria Silva, CPA\nPartner, Silva & Harper\n+1 555 0100"
BRANDING = {"logo_url": LOGO, "accent_color": ACCENT, "signature": SIGNATURE}
OLIVIA = "olivia@client.example.com"
INVOICE = {"amount": "1250.00", "currency": "USD", "due_date": "2026-12-15"}
# the hidden first element of the HTML body: what inbox lists show after the subject
PREHEADER = re.compile(r'<body[^>]*>\s*<div style="display:none;[^"]*">([^<]*?)(?:&#847;|&zwnj;|&nbsp;|<)')


def _firm(world: World, **branding: Any) -> None:
    reply = world.api("PUT", "/firm", {"name": FIRM, "branding": {**BRANDING, **branding}})
    assert reply.status == 200, reply.body


def _account(world: World, language: str = "en", **contact: Any) -> Any:
    person = {"name": "Olivia Harper", "email": OLIVIA, "notify": True, **contact}
    return world.create_account(language=language, contacts=[person])


def _preheader(mail: Mail) -> str:
    match = PREHEADER.search(mail.html or "")
    assert match, f"no preheader in {mail.subject}"
    return html.unescape(match.group(1))


def _every_kind_of_email(world: World) -> dict[str, Mail]:
    """Each kind of email the product sends, to Olivia: a notification, an automatic reminder
    (scan and send), a manual resend, a bulk approval request (send) and a paid invoice's copy."""
    mails: dict[str, Mail] = {}
    account = _account(world)
    organizer = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3})
    mails["notification"] = world.sent_to(OLIVIA)[-1]
    world.time.shift(timedelta(days=3, minutes=1))
    world.scan()
    world.drain()
    mails["automatic reminder"] = world.sent_to(OLIVIA)[-1]
    world.api("POST", f"/action-items/{organizer['id']}/resend", {"message": "Any questions, call us."})
    mails["manual resend"] = world.sent_to(OLIVIA)[-1]
    world.send_item(account["id"], kind="approval", title="2026 financial statements")
    world.api("POST", "/approvals/request-pending")
    world.drain()
    world.drain()
    mails["approval request"] = world.sent_to(OLIVIA)[-1]
    invoice = world.send_item(account["id"], kind="invoice", title="Invoice 1042", invoice=INVOICE)
    world.api("POST", f"/action-items/{invoice['id']}/complete")
    world.time.shift(timedelta(hours=2))
    world.api("POST", f"/action-items/{invoice['id']}/resend")
    mails["paid invoice copy"] = world.sent_to(OLIVIA)[-1]
    assert len({mail.message_id for mail in mails.values()}) == len(mails)
    return mails


# the profile --------------------------------------------------------------------------------


def test_branding_is_stored_with_the_firm_profile_and_a_put_without_it_removes_it(world: World) -> None:
    # When a firm sets its branding
    put = world.api("PUT", "/firm", {"name": FIRM, "branding": BRANDING})

    # Then it is returned and read back
    assert put.status == 200
    assert put.body["branding"] == BRANDING
    assert world.api("GET", "/firm").body["branding"] == BRANDING

    # And a profile put without it has none (PUT replaces the profile)
    world.api("PUT", "/firm", {"name": FIRM})
    assert world.api("GET", "/firm").body["branding"] == {"logo_url": None, "accent_color": None, "signature": None}


def test_a_signature_keeps_its_lines_without_trailing_spaces_or_windows_line_ends(world: World) -> None:
    reply = world.api("PUT", "/firm", {"name": FIRM, "branding": {"signature": "  Maria Silva  \r\nCPA\r\n\r\n"}})
    assert reply.body["branding"]["signature"] == "Maria Silva\nCPA"


# every email ----------------------------------------------------------------------------------


def test_every_kind_of_email_carries_the_brand_and_a_preheader(world: World) -> None:
    # Given a branded firm
    _firm(world)

    # When it sends every kind of email the product sends
    mails = _every_kind_of_email(world)

    # Then each one carries the brand
    assert mails["automatic reminder"].subject.startswith("Reminder: ")
    assert mails["manual resend"].subject.startswith("Reminder: ")
    assert "waiting for your approval" in mails["approval request"].subject
    assert "(paid)" in mails["paid invoice copy"].subject
    logo = f'<img src="{html.escape(LOGO, quote=True)}" alt="{html.escape(FIRM, quote=True)}"'
    for mail in mails.values():
        assert mail.html is not None
        assert mail.text is not None
        # the logo heads the HTML part, the firm's name as its alt text; the text part has no image
        assert mail.html.count(logo) == 1, mail.subject
        assert "<img" not in mail.text
        assert LOGO not in mail.text
        # the accent colours the header rule and the button
        assert "border-bottom:3px solid #0b7a75" in mail.html
        assert 'bgcolor="#0b7a75"' in mail.html
        # the signature follows the sign-off in both parts
        assert mail.text.index(f"Kind regards,\n{FIRM}\n\n{SIGNATURE}") < mail.text.index("\n-- \n")
        signature_html = "<br>\n".join(html.escape(line) for line in SIGNATURE.splitlines())
        assert mail.html.index(html.escape(FIRM)) < mail.html.index(signature_html)

    # And each HTML part opens with a hidden preheader saying what the email asks (the text part
    # says it once, in its body)
    preheaders = {kind: _preheader(mail) for kind, mail in mails.items()}
    assert preheaders == {
        "notification": "Please complete and submit the questionnaire in your client portal.",
        "automatic reminder": "Please complete and submit the questionnaire in your client portal.",
        "manual resend": "Please complete and submit the questionnaire in your client portal.",
        "approval request": "Please review and approve it in your client portal.",
        "paid invoice copy": "This invoice is paid. No action is needed.",
    }
    for kind, mail in mails.items():
        assert mail.text is not None
        assert mail.text.count(preheaders[kind]) == 1


def test_the_firms_text_is_never_html(world: World) -> None:
    # Given a signature and a firm name that look like HTML
    signature = '<script>alert("x")</script>\n<a href="https://evil.example">Pay here</a>'
    branding = {**BRANDING, "signature": signature}
    reply = world.api("PUT", "/firm", {"name": "Silva <b>&</b> Harper", "branding": branding})
    assert reply.status == 200

    # When an email goes out
    world.send_item(_account(world)["id"])

    # Then the HTML part shows them as text, and the text part as written
    [mail] = world.sent_to(OLIVIA)
    assert mail.html is not None
    assert mail.text is not None
    assert "<script>" not in mail.html
    assert "<b>" not in mail.html
    assert 'href="https://evil.example"' not in mail.html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in mail.html
    assert 'alt="Silva &lt;b&gt;&amp;&lt;/b&gt; Harper"' in mail.html
    assert signature in mail.text


def test_a_light_accent_colours_the_header_rule_but_keeps_the_readable_default_button(world: World) -> None:
    # Given an accent white text cannot be read on (a yellow: 1.5:1)
    _firm(world, accent_color="#FFCC00")

    # When an email goes out
    world.send_item(_account(world)["id"])

    # Then the rule is yellow, the button and link the product's blue
    [mail] = world.sent_to(OLIVIA)
    assert mail.html is not None
    assert "border-bottom:3px solid #ffcc00" in mail.html
    assert 'bgcolor="#1a56db"' in mail.html
    assert "#ffcc00" not in mail.html.split("border-bottom:3px solid #ffcc00", 1)[1]


def test_without_branding_emails_have_the_firms_name_as_header_and_the_default_button(world: World) -> None:
    world.api("PUT", "/firm", {"name": FIRM})

    world.send_item(_account(world)["id"])

    [mail] = world.sent_to(OLIVIA)
    assert mail.html is not None
    assert mail.text is not None
    assert "<img" not in mail.html
    assert f'font-weight:bold;color:#1f2933;">{html.escape(FIRM)}</td>' in mail.html
    assert 'bgcolor="#1a56db"' in mail.html
    assert mail.text.split("\n-- \n")[0].rstrip("\n").endswith(f"Kind regards,\n{FIRM}")


# first names ----------------------------------------------------------------------------------


def test_a_contact_has_an_optional_first_name_that_can_be_changed_and_cleared(world: World) -> None:
    # Given an account whose contact has a first name, and one added without
    account = _account(world, first_name="Liv")
    [olivia] = account["contacts"]
    assert olivia["first_name"] == "Liv"
    added = world.api(
        "POST", f"/accounts/{account['id']}/contacts", {"name": "Bruno Lima", "email": "bruno@client.example.com"}
    )
    assert added.body["first_name"] is None

    # When the firm changes it, then clears it
    changed = world.api("PATCH", f"/accounts/{account['id']}/contacts/{olivia['id']}", {"first_name": "Olivia"})
    cleared = world.api("PATCH", f"/accounts/{account['id']}/contacts/{olivia['id']}", {"first_name": None})

    # Then each answer and the account show it
    assert changed.body["first_name"] == "Olivia"
    assert cleared.body["first_name"] is None
    shown = world.api("GET", f"/accounts/{account['id']}").body["contacts"]
    assert [(c["name"], c["first_name"]) for c in shown] == [("Olivia Harper", None), ("Bruno Lima", None)]


def test_greetings_use_the_first_name_else_the_first_word_of_the_name(world: World) -> None:
    # Given contacts with and without a first name, in each language
    english = [
        ({"name": "Olivia Harper"}, "Hi Olivia,"),
        ({"name": "Liam Harper", "first_name": "Liv"}, "Hi Liv,"),
        ({"name": "Mary Ann Lee", "first_name": "Mary Ann"}, "Hi Mary Ann,"),
        ({"name": "Cher"}, "Hi Cher,"),
    ]
    portuguese = [
        ({"name": "Beatriz Oliveira Santos"}, "Olá Beatriz,"),
        ({"name": "Bruno Oliveira", "first_name": "Bruninho"}, "Olá Bruninho,"),
    ]
    brazilian = [({"name": "Ana Souza"}, "Olá, Ana,")]
    spanish = [({"name": "Lucía Fernández", "first_name": "Lucía"}, "Hola, Lucía:")]
    greetings = {}
    for language, people in (("en", english), ("pt-PT", portuguese), ("pt-BR", brazilian), ("es", spanish)):
        contacts = []
        for number, (contact, greeting) in enumerate(people):
            address = f"{language}{number}@client.example.com"
            contacts.append({**contact, "email": address, "notify": True})
            greetings[address] = greeting
        account = world.create_account(language=language, contacts=contacts)

        # When an item is sent to each account
        world.send_item(account["id"])

    # Then each contact is greeted by the first name, in both parts
    for address, greeting in greetings.items():
        [mail] = world.sent_to(address)
        assert mail.text is not None
        assert mail.html is not None
        assert mail.text.startswith(f"{greeting}\n\n")
        assert f">{html.escape(greeting)}</p>" in mail.html


# preheaders -----------------------------------------------------------------------------------


def test_the_preheader_is_in_the_emails_language_with_its_values(world: World) -> None:
    account = _account(world, language="pt-PT", name="Beatriz Oliveira")

    world.send_item(account["id"], kind="invoice", title="Fatura 1042", invoice=INVOICE)

    [mail] = world.sent_to(OLIVIA)
    assert _preheader(mail) == "Pague a fatura no portal do cliente até 15 de dezembro de 2026."
