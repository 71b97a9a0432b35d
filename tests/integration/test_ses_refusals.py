"""SES refusals through the real handlers (SPEC R14, R15, R22): what the product sends meets SES's
documented constraints (the fidelity layer, devtools/moto_fidelity, refuses what SES refuses), and
a refusal is blamed on the address only when SES says it is about the address. A refusal caused by
the product's own request or configuration is retried with R14's backoff, counted
(`MailMisconfigured`), logged with SES's reason, and never marks a contact rejected."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from portal_reminders import wiring
from portal_reminders.reminders.delivery import mail_tags
from tests.conftest import START
from tests.support.faults import ses_errors
from tests.support.metrics import emf_records, figures
from tests.support.world import World

DAY = timedelta(days=1)
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"
REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 1}
# SES v2 API reference, MessageTag: ASCII letters, digits, '_' and '-', at most 256
SES_TAG_VALUE = re.compile(r"[A-Za-z0-9_-]{1,256}")


# What the adapter logs, with SES's reason, when SES refuses the product's own request or configuration
MISCONFIGURED_LOG = "ses refused the request: the product's request or configuration"


def _audit(world: World, item_id: str, **kw: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = world.api("GET", f"/action-items/{item_id}/audit", **kw).body["items"]
    return items


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """The stack deployed with one setting wrong, then fixed (the functions read settings afresh)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(name, value)
        wiring.reset()
        yield
    wiring.reset()


@contextmanager
def _refusing(code: str, message: str) -> Iterator[None]:
    with ses_errors(lambda *_: (code, message)):
        yield


# Refusals caused by the product's own request or configuration: the first two are real (the
# fidelity layer refuses what SES refuses), the others answered by SES through a botocore hook, with
# SES's codes and wording.
MISCONFIGURATIONS = {
    "configuration set unknown": lambda: _environment("SES_CONFIGURATION_SET", "client-reminders-typo"),
    "sender not verified": lambda: _environment("SENDER_ADDRESS", "reminders@unverified.example.com"),
    "message too large": lambda: _refusing(
        "MessageRejected", "Message length is more than 41943040 bytes long: '41943041'."
    ),
    "tag refused": lambda: _refusing(
        "BadRequestException",
        "Invalid tag value <acme.co>: only alphanumeric ASCII characters, '_', and '-' are allowed.",
    ),
    "mail from domain not verified": lambda: _refusing(
        "MailFromDomainNotVerifiedException", "Mail from domain example.com is not verified."
    ),
}
SES_SAYS = {
    "configuration set unknown": "NotFoundException: Configuration set <client-reminders-typo> does not exist.",
    "sender not verified": "MessageRejected: Email address is not verified.",
    "message too large": "MessageRejected: Message length is more than 41943040 bytes long",
    "tag refused": "BadRequestException: Invalid tag value <acme.co>",
    "mail from domain not verified": "MailFromDomainNotVerifiedException: Mail from domain",
}


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


# point 2: blame ---------------------------------------------------------------------------------


@pytest.mark.parametrize("misconfiguration", sorted(MISCONFIGURATIONS))
def test_a_refusal_of_the_products_own_making_is_retried_counted_logged_and_rejects_nobody(
    world: World, misconfiguration: str, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a reminder due
    account = world.create_account()
    item = world.send_item(account["id"], reminders=REMINDERS)
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    capsys.readouterr()

    # When the send function tries it while SES refuses it because of the product's own request or configuration
    with MISCONFIGURATIONS[misconfiguration]():
        [run] = world.drain()

    # Then the record failed, to come back after R14's backoff for refusals (60 s, less its jitter)
    assert len(run.failed_ids) == 1
    [failed] = [r for r in caplog.records if r.getMessage() == "send record failed"]
    assert failed.error == "MailMisconfigured"  # type: ignore[attr-defined]
    assert 45 <= failed.retry_in_seconds <= 60  # type: ignore[attr-defined]
    # And SES's reason is logged as the product's fault, and counted for the alarm
    [refused] = [r for r in caplog.records if r.getMessage() == MISCONFIGURED_LOG]
    assert SES_SAYS[misconfiguration] in f"{refused.code}: {refused.reason}"  # type: ignore[attr-defined]
    records = emf_records(capsys.readouterr().out)
    assert (figures(records)["MailMisconfigured"], figures(records)["EmailsSent"]) == (1, 0)
    assert figures(records, reason="misconfigured") == {"RoundsFailed": 1}
    # And nobody is rejected: the item still owes its reminder, its audit shows no failure
    assert [e["type"] for e in _audit(world, item["id"])] == ["item_sent"]
    assert world.api("GET", f"/action-items/{item['id']}").body["reminders"]["sent"] == 0

    # When the configuration is fixed and the backoff has passed
    world.time.shift(timedelta(minutes=2))
    world.drain()

    # Then the reminder reaches both contacts
    audit = _audit(world, item["id"])
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent"]
    assert audit[-1]["recipients"] == [ANA, BRUNO]


def test_only_a_refusal_of_the_address_rejects_the_contact(
    world: World, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Given a reminder due, and SES unable to parse Bruno's address (SES v2's answer to an illegal address)
    account = world.create_account()
    item = world.send_item(account["id"], reminders=REMINDERS)
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    capsys.readouterr()

    # When the send function sends it
    with ses_errors(lambda to, _: ("BadRequestException", "Illegal address") if to == BRUNO else None):
        [run] = world.drain()

    # Then Ana got it and Bruno is rejected for this round, audited with SES's reason; nothing is
    # counted or logged as the product's fault, and nothing is retried
    assert run.failed_ids == []
    audit = _audit(world, item["id"])
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent", "email_failed"]
    assert audit[1]["recipients"] == [ANA]
    assert audit[2]["details"]["errors"] == {BRUNO: "BadRequestException: Illegal address"}
    records = emf_records(capsys.readouterr().out)
    assert figures(records)["MailMisconfigured"] == 0
    assert not [r for r in caplog.records if r.getMessage() == MISCONFIGURED_LOG]


def test_a_misconfiguration_nobody_fixes_gives_the_round_up_at_the_horizon_without_rejecting_anyone(
    world: World,
) -> None:
    # Given a reminder due, and the stack's configuration set missing for more than the retry horizon
    account = world.create_account()
    item = world.send_item(account["id"], reminders=REMINDERS)
    world.scan(START + 3 * DAY + timedelta(minutes=1))
    with _environment("SES_CONFIGURATION_SET", "client-reminders-typo"):
        world.run_for(timedelta(hours=26), step=timedelta(minutes=30), scan_every=None)

    # Then the round was retried until R14 gave it up: email_failed, its reason the mail service's
    # refusals, no address named as refused
    [sent, failed] = _audit(world, item["id"])
    assert (sent["type"], failed["type"]) == ("item_sent", "email_failed")
    assert failed["details"]["reason"].startswith("the mail service refused it for 24 hours")
    assert failed["recipients"] == []
    assert "errors" not in failed["details"]


def test_an_item_sent_through_the_api_while_misconfigured_is_handed_to_the_send_queue_not_failed(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a stack whose configuration set does not exist
    account = world.create_account()
    with _environment("SES_CONFIGURATION_SET", "client-reminders-typo"):
        # When a firm user sends an item, and resends another
        item = world.send_item(account["id"])
        other = world.send_item(account["id"], title="Engagement letter", kind="proposal")
        world.time.shift(timedelta(minutes=1))
        resend = world.api("POST", f"/action-items/{other['id']}/resend", {})

        # Then both are accepted, nobody is mailed yet, and no contact is rejected
        assert resend.status == 202, resend.body
        assert world.sent == []
        assert [e["type"] for e in _audit(world, item["id"])] == []
        assert any(r.getMessage() == MISCONFIGURED_LOG for r in caplog.records)

    # When the configuration is fixed and the send function takes what was queued
    world.time.shift(timedelta(minutes=5))
    world.drain()

    # Then the notification and the resend reach both contacts
    assert [e["type"] for e in _audit(world, item["id"])] == ["item_sent"]
    assert [e["type"] for e in _audit(world, other["id"])] == ["item_sent", "reminder_sent"]
    assert sorted(m.to[0] for m in world.sent) == [ANA, ANA, ANA, BRUNO, BRUNO, BRUNO]


def test_an_approval_request_while_misconfigured_waits_and_then_reaches_the_account(world: World) -> None:
    # Given a document pending approval, and a stack whose configuration set does not exist
    account = world.create_account()
    with _environment("SES_CONFIGURATION_SET", "client-reminders-typo"):
        document = world.send_item(account["id"], kind="approval", title="Balanço 2025")
        world.drain()
        # When the firm requests approval for what is pending
        assert world.api("POST", "/approvals/request-pending", {}).status == 202
        runs = world.drain()

        # Then the account's round failed to come back later, and no document is email_failed
        assert any(run.failed_ids for run in runs)
        assert "email_failed" not in [e["type"] for e in _audit(world, document["id"])]

    # When the configuration is fixed and the backoff has passed
    world.time.shift(timedelta(minutes=5))
    world.drain()

    # Then the approval request reaches both contacts and is audited on the document
    assert [e["type"] for e in _audit(world, document["id"])] == ["item_sent", "approval_requested"]
    assert _audit(world, document["id"])[-1]["recipients"] == [ANA, BRUNO]
