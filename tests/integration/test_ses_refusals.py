"""SES refusals through the real handlers (SPEC R14, R15, R22): what the product sends meets SES's
documented constraints (the fidelity layer, devtools/moto_fidelity, refuses what SES refuses), and
a refusal is blamed on the address only when SES says it is about the address. A refusal caused by
the product's own request or configuration is retried with R14's backoff, counted
(`MailMisconfigured`), logged with SES's reason, and never marks a contact rejected."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from portal_reminders.reminders.delivery import mail_tags
from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"
REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 1}
# SES v2 API reference, MessageTag: ASCII letters, digits, '_' and '-', at most 256
SES_TAG_VALUE = re.compile(r"[A-Za-z0-9_-]{1,256}")


def _audit(world: World, item_id: str, **kw: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.api("GET", f"/action-items/{item_id}/audit", **kw).body["items"]
    return items


# point 1: the firm's id in a tag --------------------------------------------------------------------


def test_a_firm_whose_id_is_an_email_address_gets_its_notification_and_reminder_out(world: World) -> None:
    # Given a firm whose id (its identity provider's claim) is a domain-style address, with dots and an @
    firm = "silva.contabilidade@example.pt"
    account = world.create_account(firm=firm)
    body = {"kind": "organizer", "title": "2026 Tax Organizer", "reminders": REMINDERS}

    # When it sends an item with a reminder, and the reminder falls due and is sent
    reply = world.api("POST", f"/accounts/{account['id']}/action-items", body, firm=firm)
    assert reply.status == 201, reply.body
    item = reply.body
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    world.drain()

    # Then SES accepted the notification and the reminder for both notify contacts, every tag in SES's
    # alphabet, and each reads back as the firm
    assert sorted(m.to[0] for m in world.sent) == [ANA, ANA, BRUNO, BRUNO]
    for mail in world.sent:
        assert all(SES_TAG_VALUE.fullmatch(value) for value in mail.tags.values()), mail.tags
        assert mail_tags.origin(mail.tags).firm_id == firm
    # And the item's audit says both went out, and nobody was rejected
    audit = _audit(world, item["id"], firm=firm)
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent"]
    assert all(e["recipients"] == [ANA, BRUNO] for e in audit)
    after = world.api("GET", f"/action-items/{item['id']}", firm=firm).body
    assert after["reminders"]["sent"] == 1


def test_a_bounce_of_mail_tagged_before_the_encoding_still_suppresses_its_contact(world: World) -> None:
    # Given mail to a firm whose id holds dots and an @, and the same mail as the product tagged it
    # before it encoded such ids (the firm id as it is): SES's events about that mail can come weeks later
    firm = "silva.contabilidade@example.pt"
    account = world.create_account(firm=firm)
    body = {"kind": "organizer", "title": "2026 Tax Organizer"}
    assert world.api("POST", f"/accounts/{account['id']}/action-items", body, firm=firm).status == 201
    [mail] = world.sent_to(ANA)
    tagged_before = replace(mail, tags={**mail.tags, mail_tags.FIRM: firm})

    # When SES reports a permanent bounce of it
    result = world.deliver_ses_event(world.ses_event(tagged_before, "bounce"))

    # Then the contact is suppressed: the old tag still leads back to the firm's contact
    assert result is not None
    contact = next(
        c for c in world.api("GET", f"/accounts/{account['id']}", firm=firm).body["contacts"] if c["email"] == ANA
    )
    assert contact["suppressed"]["reason"] == "bounce"
