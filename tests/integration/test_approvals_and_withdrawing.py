"""Request approval for pending (R6), cancelling an item and paying an invoice (R13), through
the api, the send queue and the scan."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START
from tests.support.aws import template_limit
from tests.support.faults import ses_errors
from tests.support.world import World

DAY = timedelta(days=1)
VISIBILITY = timedelta(seconds=template_limit("Send", "VisibilityTimeoutSeconds") + 1)


@pytest.fixture
def approvals(world: World) -> dict[str, Any]:
    """Two accounts with documents pending approval (one in Portuguese), and one without."""
    first = world.create_account()
    second = world.create_account(
        language="pt-PT", contacts=[{"name": "Rui Costa", "email": "rui@cliente.example.pt", "notify": True}]
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
    full = world.api("POST", f"/action-items/{item['id']}/payments", {"amount": "600"})

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

    # the stored item is not an invoice: a conflict naming the amount (was 422)
    assert world.api("POST", f"/action-items/{organizer['id']}/payments", {"amount": "1"}).status == 409
    assert world.api("POST", f"/action-items/{paid['id']}/payments", {"amount": "1"}).status == 409
    assert world.api("POST", f"/action-items/{cancelled['id']}/payments", {"amount": "1"}).status == 409


# failures, volume and odd input in approval requests ----------------------------------------------


def _request_and_drain(world: World, body: dict[str, Any] | None = None) -> None:
    world.api("POST", "/approvals/request-pending", body)
    world.drain()
    world.drain()


def test_addresses_rejected_in_an_approval_request_are_audited_as_email_failed(
    world: World, approvals: dict[str, Any]
) -> None:
    # Given SES rejecting Bruno's address for good
    world.time.move_to(START + DAY)
    with ses_errors(lambda to, _: "MessageRejected" if to.startswith("bruno") else None):
        _request_and_drain(world)

    # Then Ana's document records the request to Ana, and an email_failed for Bruno
    audit = world.api("GET", f"/action-items/{approvals['docs']['first'][0]}/audit").body["items"]
    assert [e["type"] for e in audit[-2:]] == ["approval_requested", "email_failed"]
    assert audit[-2]["recipients"] == ["ana@client.example.com"]
    assert audit[-1]["recipients"] == ["bruno@client.example.com"]


def test_an_approval_request_that_reached_nobody_does_not_count_as_a_reminder(
    world: World, approvals: dict[str, Any]
) -> None:
    # Given every address rejected
    doc = approvals["docs"]["first"][0]
    before = world.api("GET", f"/action-items/{doc}").body
    world.time.move_to(START + DAY)
    with ses_errors(lambda *_: "MessageRejected"):
        _request_and_drain(world)

    # Then the document's schedule and task position did not move, and the audit says why
    after = world.api("GET", f"/action-items/{doc}").body
    assert (after["last_emailed_at"], after["reminders"]["next_at"]) == (
        before["last_emailed_at"],
        before["reminders"]["next_at"],
    )
    audit = world.api("GET", f"/action-items/{doc}/audit").body["items"]
    assert [e["type"] for e in audit[-2:]] == ["approval_requested", "email_failed"]
    assert audit[-2]["details"]["nobody_emailed"] is True


def test_an_approval_request_the_mail_service_never_takes_ends_as_email_failed(
    world: World, approvals: dict[str, Any]
) -> None:
    # Given an SES that refuses everything for more than the whole retry horizon
    world.api("POST", "/approvals/request-pending")
    world.send(world.receive())  # the fan-out itself, which emails nobody
    with ses_errors(lambda *_: "SendingPausedException"):
        world.run_for(timedelta(hours=26), step=timedelta(minutes=10), scan_every=None)

    # Then every document records the failure instead of the request vanishing in the DLQ
    for doc in approvals["docs"]["first"] + approvals["docs"]["second"]:
        audit = world.api("GET", f"/action-items/{doc}/audit").body["items"]
        assert audit[-1]["type"] == "email_failed"
        assert audit[-1]["details"]["mode"] == "approvals"


def test_a_contact_emailed_before_ses_throttled_is_not_emailed_again(world: World, approvals: dict[str, Any]) -> None:
    world.api("POST", "/approvals/request-pending", {"account_ids": [approvals["accounts"][0]["id"]]})
    world.send(world.receive())  # the fan-out
    before = len(world.mail)
    with ses_errors(lambda to, _: "TooManyRequestsException" if to.startswith("bruno") else None):
        world.drain()
    world.time.shift(VISIBILITY)
    world.drain()

    requests = world.mail[before:]
    assert sorted(r for m in requests for r in m.to) == ["ana@client.example.com", "bruno@client.example.com"]


def test_many_accounts_and_many_documents_are_fanned_out_in_parts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 12 accounts with one document each, and one with five (more than a part holds here)
    monkeypatch.setattr("portal_reminders.reminders.clients.approvals.APPROVALS_PER_MESSAGE", 2)
    contact = [{"name": "C", "email": "c@client.example.com", "notify": True}]
    for n in range(12):
        world.send_item(world.create_account(contacts=contact)["id"], kind="approval", title=f"Doc {n}")
    big = world.create_account(contacts=[{"name": "B", "email": "b@client.example.com", "notify": True}])
    for n in range(5):
        world.send_item(big["id"], kind="approval", title=f"Big {n}")
    before = len(world.mail)

    # When approval is requested for everything
    reply = world.api("POST", "/approvals/request-pending")
    world.drain()
    world.drain()

    # Then each small account got one email, and the big one three (2 + 2 + 1 documents)
    assert reply.body == {"accepted": True, "accounts": 13, "documents": 17}
    new = world.mail[before:]
    assert len([m for m in new if m.to == ["c@client.example.com"]]) == 12
    assert len([m for m in new if m.to == ["b@client.example.com"]]) == 3


def test_a_message_with_characters_sqs_refuses_is_queued_escaped(world: World, approvals: dict[str, Any]) -> None:
    world.api("POST", "/approvals/request-pending", {"message": "Obrigado \ufffe\uffff ✓"})
    [raw] = [m["Body"] for m in world.receive()]
    assert raw.isascii()
    assert json.loads(raw)["message"] == "Obrigado \ufffe\uffff ✓"
