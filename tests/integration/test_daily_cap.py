"""SPEC R18: the per-firm daily email cap. Past it, automatic reminders wait for the next (UTC) day
and are not lost; manual requests get 429 rate_limited with Retry-After, and nothing is sent or
made. Through the real handlers, with the cap set low in the functions' environment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from portal_reminders import wiring
from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)
CAP = 6
ANA, BRUNO = "ana@client.example.com", "bruno@client.example.com"


@pytest.fixture
def capped(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("DAILY_EMAIL_CAP", str(CAP))
    monkeypatch.setenv("RESEND_COOLDOWN_MINUTES", "0")
    wiring.reset()
    return world


def _seconds_to_midnight(at: datetime) -> int:
    midnight = datetime.combine(at.date() + DAY, datetime.min.time(), tzinfo=UTC)
    return int((midnight - at).total_seconds())


def test_a_firm_user_sending_past_the_cap_gets_429_and_nothing_is_made(capped: World) -> None:
    # Given a firm that emailed 6 of its 6 for today (3 items, 2 notify contacts each)
    account = capped.create_account()
    for n in range(3):
        capped.send_item(account["id"], title=f"Organizer {n}")
    sent = len(capped.mail)

    # When it sends one more item
    reply = capped.api("POST", f"/accounts/{account['id']}/action-items", {"kind": "organizer", "title": "One more"})

    # Then it is refused with 429 and when to try again, nothing is made and nobody is emailed
    assert reply.status == 429
    assert reply.error_code == "rate_limited"
    assert int(reply.headers["Retry-After"]) == _seconds_to_midnight(START)
    items = capped.api("GET", f"/accounts/{account['id']}/action-items").body["items"]
    assert "One more" not in [i["title"] for i in items]
    assert len(capped.mail) == sent == 6

    # And the next day the firm can send again
    capped.time.move_to(START + DAY)
    assert (
        capped.api("POST", f"/accounts/{account['id']}/action-items", {"kind": "organizer", "title": "Next day"}).status
        == 201
    )


def test_a_resend_past_the_cap_gets_429_and_sends_nothing(capped: World) -> None:
    # Given a firm at its cap for today
    account = capped.create_account()
    items = [capped.send_item(account["id"], title=f"Organizer {n}") for n in range(3)]

    # When it resends one by hand
    reply = capped.api("POST", f"/action-items/{items[0]['id']}/resend", {})

    # Then it is refused, nothing is sent, and the resend is not recorded
    assert (reply.status, reply.error_code) == (429, "rate_limited")
    assert len(capped.mail) == 6
    audit = capped.api("GET", f"/action-items/{items[0]['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent"]


def test_requesting_approvals_past_the_cap_gets_429(capped: World) -> None:
    # Given a firm at its cap, with a document pending approval
    account = capped.create_account()
    capped.send_item(account["id"], kind="approval", title="Balance sheet")
    capped.send_item(account["id"], title="Organizer")
    capped.send_item(account["id"], title="Organizer 2")

    # When it requests approval for pending documents
    reply = capped.api("POST", "/approvals/request-pending", {})

    # Then it is refused
    assert (reply.status, reply.error_code) == (429, "rate_limited")
    assert capped.receive() == []


def test_automatic_reminders_past_the_cap_wait_for_the_next_day_and_are_not_lost(capped: World) -> None:
    # Given three items whose reminders fall due on day 3, and another item resent by hand that
    # morning, so that day 3 has room for only two of the three reminders (2 + 3 x 2 > 6); one email
    # per item (the firm turned digests off: SPEC R20 would send the three as one email per contact)
    assert capped.api("PUT", "/firm", {"name": "Silva Contabilidade", "reminder_digest": False}).status == 200
    capped.take_queued()
    account = capped.create_account()
    items = [capped.send_item(account["id"], title=f"Organizer {n}", reminders={"enabled": True}) for n in range(3)]
    capped.time.move_to(START + DAY)
    other = capped.send_item(account["id"], title="Without reminders")
    capped.time.move_to(START + 3 * DAY - timedelta(hours=1))
    assert capped.api("POST", f"/action-items/{other['id']}/resend", {}).status == 202

    # When the schedule and the send queue run through day 3 and into day 4
    capped.run_for(DAY, step=timedelta(minutes=10), scan_every=timedelta(minutes=30))

    # Then the two reminders that fit went out on day 3, the third on day 4, and none was lost
    sent: dict[str, Any] = {}
    for item in items:
        audit = capped.api("GET", f"/action-items/{item['id']}/audit").body["items"]
        reminders = [e for e in audit if e["type"] == "reminder_sent"]
        assert len(reminders) == 1, audit
        sent[item["id"]] = reminders[0]["at"]
    days = sorted(at[:10] for at in sent.values())
    assert days == ["2026-11-30", "2026-11-30", "2026-12-01"]
    # and each contact got each reminder once
    reminder_mail = [m for m in capped.mail if m.subject.startswith("Reminder: ") and "Organizer" in m.subject]
    assert sorted(r for m in reminder_mail for r in m.to) == sorted([ANA, BRUNO] * 3)
