"""Request approval for pending (R6), cancelling an item and paying an invoice (R13), through
the api, the send queue and the scan."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)


@pytest.fixture
def approvals(world: World) -> dict[str, Any]:
    """Two accounts with documents pending approval (one in Portuguese), and one without."""
    first = world.create_account()
    second = world.create_account(
        language="pt", contacts=[{"name": "Rui Costa", "email": "rui@cliente.example.pt", "notify": True}]
    )
    third = world.create_account(contacts=[{"name": "Zoe", "email": "zoe@client.example.com", "notify": True}])
    docs = {
        "first": [
            world.send_item(
                first["id"],
                kind="approval",
                title=f"Financial statements {n}",
                reminders={"enabled": True, "days_between": 5},
            )["id"]
            for n in (2024, 2025)
        ],
        "second": [world.send_item(second["id"], kind="approval", title="Balanço 2025")["id"]],
    }
    world.send_item(third["id"], kind="signature", title="Form 8879")
    done = world.send_item(first["id"], kind="approval", title="Already approved")
    world.api("POST", f"/action-items/{done['id']}/complete")
    return {"accounts": [first, second, third], "docs": docs}


def test_request_approval_for_pending_emails_each_account_once_listing_its_documents(
    world: World, approvals: dict[str, Any]
) -> None:
    # Given the notification emails already sent
    before = len(world.mail)
    world.time.move_to(START + DAY)

    # When the firm requests approval for everything pending, with a message
    reply = world.api("POST", "/approvals/request-pending", {"message": "Please approve before Friday."})

    # Then it is accepted with the counts, and the work is queued (not done in the request)
    assert reply.status == 202
    assert reply.body == {"accepted": True, "accounts": 2, "documents": 3}
    assert len(world.mail) == before

    # When the send function works through the queue (fan-out, then one message per account)
    world.drain()
    world.drain()

    # Then each notify contact of each account got ONE email listing all its pending documents
    new = world.mail[before:]
    assert sorted(r for m in new for r in m.to) == [
        "ana@client.example.com",
        "bruno@client.example.com",
        "rui@cliente.example.pt",
    ]
    ana = next(m for m in new if "ana@client.example.com" in m.to)
    assert "Financial statements 2024" in ana.html
    assert "Financial statements 2025" in ana.html
    assert "Already approved" not in ana.html
    assert "Please approve before Friday." in ana.html
    rui = next(m for m in new if "rui@cliente.example.pt" in m.to)
    assert "Balanço 2025" in rui.html


def test_each_document_gets_an_audit_event_and_counts_as_a_manual_reminder(
    world: World, approvals: dict[str, Any]
) -> None:
    world.time.move_to(START + DAY)
    world.api("POST", "/approvals/request-pending", {"message": "Please approve"}, user="user-9")
    world.drain()
    world.drain()

    doc = approvals["docs"]["first"][0]
    audit = world.api("GET", f"/action-items/{doc}/audit").body["items"]
    assert audit[-1]["type"] == "approval_requested"
    assert audit[-1]["actor"] == "user-9"
    assert audit[-1]["recipients"] == ["ana@client.example.com", "bruno@client.example.com"]
    assert audit[-1]["details"]["message"] == "Please approve"
    item = world.api("GET", f"/action-items/{doc}").body
    # the automatic reminder moves to 5 days after the request, not 5 days after sending
    assert item["reminders"]["next_at"] == "2026-12-03T09:00:00Z"
    assert item["last_emailed_at"] == "2026-11-28T09:00:00Z"
    assert world.scan(START + 5 * DAY)["due"] == 0


def test_only_the_named_accounts_are_asked_and_unknown_ids_count_as_nothing(
    world: World, approvals: dict[str, Any]
) -> None:
    second = approvals["accounts"][1]["id"]
    other_firm = world.create_account(firm="firm-b")["id"]
    body = {"account_ids": [second, other_firm, "acc_" + "0" * 32, "not-an-id"]}

    reply = world.api("POST", "/approvals/request-pending", body)
    world.drain()
    world.drain()

    assert reply.body == {"accepted": True, "accounts": 1, "documents": 1}
    assert [m.to for m in world.mail if "Balanço" in m.html][-1] == ["rui@cliente.example.pt"]


def test_a_request_with_nothing_pending_sends_nothing(world: World) -> None:
    world.create_account()
    reply = world.api("POST", "/approvals/request-pending")
    assert reply.body == {"accepted": True, "accounts": 0, "documents": 0}
    assert world.drain() == []


def test_redelivered_approval_messages_email_nobody_twice(world: World, approvals: dict[str, Any]) -> None:
    world.api("POST", "/approvals/request-pending")
    fan_out = world.receive()
    world.send(fan_out)
    per_account = world.receive()
    before = len(world.mail)

    world.send(per_account)
    world.send(per_account)
    world.send(fan_out)
    world.drain()

    assert len(world.mail) - before == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "m" * 5001}, "message"),
        ({"account_ids": "acc_1"}, "account_ids"),
        ({"account_ids": ["x" * 101]}, "account_ids[0]"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_approval_requests_are_refused_and_queue_nothing(
    world: World, approvals: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    reply = world.api("POST", "/approvals/request-pending", body)
    assert reply.status == 422
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]
    assert world.queued_bodies() == []


# cancel -----------------------------------------------------------------------------------------


def test_cancelling_stops_reminders_removes_the_task_and_refuses_resend(world: World) -> None:
    # Given a pending item with reminders
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "max_reminders": 3})

    # When the firm withdraws it
    world.time.move_to(START + DAY)
    reply = world.api("POST", f"/action-items/{item['id']}/cancel")

    # Then it is cancelled, off the task list, never reminded, and resend/complete conflict
    assert reply.status == 200
    assert (reply.body["status"], reply.body["cancelled_at"]) == ("cancelled", "2026-11-28T09:00:00Z")
    assert reply.body["reminders"]["next_at"] is None
    assert world.api("GET", f"/accounts/{account['id']}/tasks").body["items"] == []
    assert world.scan(START + 10 * DAY)["due"] == 0
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 409
    assert world.api("POST", f"/action-items/{item['id']}/complete").status == 409
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent", "cancelled"]
    # cancelling again changes nothing; settings can still be stored
    assert world.api("POST", f"/action-items/{item['id']}/cancel").body == reply.body
    assert world.api("PATCH", f"/action-items/{item['id']}/reminders", {"days_between": 9}).status == 200
    assert world.scan(START + 20 * DAY)["due"] == 0


def test_a_completed_item_cannot_be_cancelled(world: World) -> None:
    account = world.create_account()
    item = world.send_item(account["id"])
    world.api("POST", f"/action-items/{item['id']}/complete")
    reply = world.api("POST", f"/action-items/{item['id']}/cancel")
    assert (reply.status, reply.error_code) == (409, "conflict")


def test_an_item_cancelled_while_its_reminder_is_queued_is_not_reminded(world: World) -> None:
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True})
    world.scan(START + 3 * DAY)
    world.api("POST", f"/action-items/{item['id']}/cancel")
    world.drain()
    assert len(world.mail) == 2


# payments ---------------------------------------------------------------------------------------


def _invoice(world: World, account_id: str) -> dict[str, Any]:
    return world.send_item(
        account_id,
        kind="invoice",
        title="INV-100",
        invoice={"amount": "1000.00", "currency": "USD", "due_date": "2026-12-31"},
        reminders={"enabled": True, "days_between": 3, "max_reminders": 3},
    )


def test_a_partial_payment_keeps_the_reminders_and_the_full_balance_completes(world: World) -> None:
    # Given an unpaid invoice with reminders
    account = world.create_account()
    item = _invoice(world, account["id"])

    # When part of it is paid
    partial = world.api("POST", f"/action-items/{item['id']}/payments", {"amount": "400.00"})

    # Then it is still pending with the balance due, and the reminder (showing the balance) goes out
    assert partial.status == 200
    assert partial.body["status"] == "pending"
    assert partial.body["invoice"] == {
        "amount": "1000.00",
        "currency": "USD",
        "due_date": "2026-12-31",
        "paid": False,
        "amount_paid": "400.00",
        "balance_due": "600.00",
    }
    assert world.scan(START + 3 * DAY)["claimed"] == 1
    world.drain()
    assert "600.00" in world.mail[-1].html

    # When the rest is paid
    full = world.api("POST", f"/action-items/{item['id']}/payments", {"amount": 600})

    # Then it is completed (paid) and no more reminders go out
    assert (full.body["status"], full.body["invoice"]["paid"]) == ("completed", True)
    assert world.scan(START + 6 * DAY)["due"] == 0
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    payments = [e for e in audit if e["type"] == "payment_recorded"]
    assert [p["details"]["amount"] for p in payments] == ["400.00", "600.00"]
    assert audit[-1]["type"] == "completed"


@pytest.mark.parametrize(
    ("amount", "status"),
    [("1000.01", 409), ("0", 422), ("-5", 422), ("10.001", 422), ("abc", 422)],
)
def test_bad_payments_are_refused_and_change_nothing(world: World, amount: str, status: int) -> None:
    account = world.create_account()
    item = _invoice(world, account["id"])
    reply = world.api("POST", f"/action-items/{item['id']}/payments", {"amount": amount})
    assert reply.status == status
    assert world.api("GET", f"/action-items/{item['id']}").body == item


def test_payments_apply_to_pending_invoices_only(world: World) -> None:
    account = world.create_account()
    organizer = world.send_item(account["id"])
    paid = _invoice(world, account["id"])
    world.api("POST", f"/action-items/{paid['id']}/complete")
    cancelled = _invoice(world, account["id"])
    world.api("POST", f"/action-items/{cancelled['id']}/cancel")

    assert world.api("POST", f"/action-items/{organizer['id']}/payments", {"amount": "1"}).status == 422
    assert world.api("POST", f"/action-items/{paid['id']}/payments", {"amount": "1"}).status == 409
    assert world.api("POST", f"/action-items/{cancelled['id']}/payments", {"amount": "1"}).status == 409
