"""The HTTP API's resources and their response shapes (SPEC §5), through API Gateway v2 events."""

from __future__ import annotations

from datetime import timedelta

from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)
NO_BRANDING = {"logo_url": None, "accent_color": None, "signature": None}

# the reminder settings an item has under the interval schedule (SPEC R2), besides the numbers
INTERVAL = {"schedule": "interval", "steps": [], "escalate_after_days": None}


def test_firm_profile_defaults_then_is_stored(world: World) -> None:
    # Given a firm that never set its profile
    assert world.api("GET", "/firm").body == {
        "id": "firm-a",
        "name": None,
        "reply_to": None,
        "portal_url": None,
        "time_zone": "UTC",
        "sending_hours": None,
        "reminders_paused_until": None,
        "reminder_digest": True,
        "branding": NO_BRANDING,
        "escalation_email": None,
    }

    # When it sets one
    profile = {
        "name": "Silva Contabilidade",
        "reply_to": "office@silva.example.com",
        "portal_url": "https://silva.example.com",
    }
    put = world.api("PUT", "/firm", profile)

    # Then it is returned and used from then on (reminders at any time in UTC, unless it says otherwise)
    assert put.status == 200
    stored = world.api("GET", "/firm").body
    assert stored == {
        "id": "firm-a",
        **profile,
        "time_zone": "UTC",
        "sending_hours": None,
        "reminders_paused_until": None,
        "reminder_digest": True,
        "branding": NO_BRANDING,
        "escalation_email": None,
    }


def test_emails_name_the_firm_and_link_to_its_portal(world: World) -> None:
    # Given a firm profile with its own portal URL and reply-to address
    world.api(
        "PUT",
        "/firm",
        {
            "name": "Silva Contabilidade",
            "reply_to": "office@silva.example.com",
            "portal_url": "https://silva.example.com/",
        },
    )
    account = world.create_account()

    # When an item is sent
    item = world.send_item(account["id"])

    # Then the email comes from the firm's name and links to its portal
    mail = world.mail[0]
    assert mail.source.startswith("Silva Contabilidade <reminders@portal.example.com>")
    assert "Silva Contabilidade" in mail.subject
    assert f"https://silva.example.com/action-items/{item['id']}" in mail.html


def test_account_is_created_and_read_with_its_contacts(world: World) -> None:
    # When a firm creates an account with contacts
    created = world.create_account(language="pt-BR")

    # Then it gets ids for the account and each contact, and reads back the same
    assert created["id"].startswith("acc_")
    assert created["language"] == "pt-BR"
    assert [c["email"] for c in created["contacts"]] == [
        "ana@client.example.com",
        "bruno@client.example.com",
        "carla@client.example.com",
    ]
    assert all(c["id"].startswith("ct_") for c in created["contacts"])
    assert world.api("GET", f"/accounts/{created['id']}").body == created


def test_contacts_can_be_added_and_their_notify_flag_changed(world: World) -> None:
    # Given an account
    account = world.create_account()
    carla = account["contacts"][2]

    # When a contact is added and Carla's notify is turned on
    added = world.api(
        "POST", f"/accounts/{account['id']}/contacts", {"name": "Davi", "email": "davi@client.example.com"}
    )
    changed = world.api("PATCH", f"/accounts/{account['id']}/contacts/{carla['id']}", {"notify": True})

    # Then both are stored, and the next item emails all four notify contacts
    assert added.status == 201
    assert added.body["notify"] is True
    assert changed.status == 200
    assert changed.body == {**carla, "notify": True}
    world.send_item(account["id"])
    assert len(world.mail) == 4


def test_item_response_carries_every_field_of_spec(world: World) -> None:
    # Given an account
    account = world.create_account()

    # When an invoice is sent
    reply = world.api(
        "POST",
        f"/accounts/{account['id']}/action-items",
        {
            "kind": "invoice",
            "title": "Invoice 2026-041",
            "invoice": {"amount": "1234.50", "currency": "EUR", "due_date": "2026-12-15"},
            "reminders": {"enabled": True, "days_between": 5, "max_reminders": 2},
        },
    )

    # Then the created item has the documented shape
    assert reply.status == 201
    body = reply.body
    assert body["id"].startswith("itm_")
    assert {k: body[k] for k in ("account_id", "kind", "title", "status", "sent_at", "completed_at")} == {
        "account_id": account["id"],
        "kind": "invoice",
        "title": "Invoice 2026-041",
        "status": "pending",
        "sent_at": "2026-11-27T09:00:00Z",
        "completed_at": None,
    }
    assert body["reminders"] == {
        "enabled": True,
        "days_between": 5,
        "max_reminders": 2,
        "schedule": "interval",
        "steps": [],
        "escalate_after_days": None,
        "sent": 0,
        "next_at": "2026-12-02T09:00:00Z",
    }
    assert body["invoice"] == {
        "amount": "1234.50",
        "currency": "EUR",
        "due_date": "2026-12-15",
        "paid": False,
        "amount_paid": "0.00",
        "balance_due": "1234.50",
    }
    assert "1.234,50 EUR" in world.mail[0].html or "EUR 1,234.50" in world.mail[0].html


def test_completing_an_invoice_means_paid_in_full(world: World) -> None:
    # Given an unpaid invoice
    account = world.create_account()
    item = world.send_item(
        account["id"],
        kind="invoice",
        title="INV-7",
        invoice={"amount": "99.90", "currency": "USD", "due_date": "2026-12-31"},
    )

    # When it is completed
    reply = world.api("POST", f"/action-items/{item['id']}/complete")

    # Then it is paid in full
    assert reply.status == 200
    assert reply.body["status"] == "completed"
    assert reply.body["invoice"]["paid"] is True
    assert reply.body["invoice"]["amount_paid"] == "99.90"
    assert reply.body["invoice"]["balance_due"] == "0.00"


def test_a_paid_invoice_can_be_emailed_again_without_a_portal_task(world: World) -> None:
    # Given a paid invoice
    account = world.create_account()
    item = world.send_item(
        account["id"],
        kind="invoice",
        title="INV-8",
        invoice={"amount": "10", "currency": "USD", "due_date": "2026-12-31"},
    )
    world.api("POST", f"/action-items/{item['id']}/complete")

    # When the firm uses "Email invoice"
    world.time.move_to(START + DAY)
    reply = world.api("POST", f"/action-items/{item['id']}/resend")

    # Then it is emailed (as paid) and no task appears in the portal
    assert reply.status == 202
    resent = world.mail[2:]
    assert len(resent) == 2
    assert all("paid" in m.subject.lower() for m in resent)
    assert world.api("GET", f"/accounts/{account['id']}/tasks").body["items"] == []


def test_an_unpaid_invoice_can_be_emailed_again(world: World) -> None:
    account = world.create_account()
    item = world.send_item(
        account["id"],
        kind="invoice",
        title="INV-9",
        invoice={"amount": "10", "currency": "USD", "due_date": "2026-12-31"},
    )

    reply = world.api("POST", f"/action-items/{item['id']}/resend")

    assert reply.status == 202
    assert len(world.mail) == 4


def test_chat_completes_when_read_or_replied(world: World) -> None:
    # Given two chat messages that need the client's action
    account = world.create_account()
    read = world.send_item(account["id"], kind="chat", title="Question about your W-2", reminders={"enabled": True})
    replied = world.send_item(account["id"], kind="chat", title="Please confirm your address")

    # When the client reads one and replies to the other
    first = world.api("POST", f"/action-items/{read['id']}/complete", {"via": "read"})
    second = world.api("POST", f"/action-items/{replied['id']}/complete", {"via": "reply"})

    # Then both are completed, saying how, and the reminder stops
    assert (first.body["status"], first.body["completed_via"]) == ("completed", "read")
    assert (second.body["status"], second.body["completed_via"]) == ("completed", "reply")
    assert world.scan(START + 3 * DAY)["due"] == 0


def test_completing_twice_changes_nothing(world: World) -> None:
    account = world.create_account()
    item = world.send_item(account["id"])
    first = world.api("POST", f"/action-items/{item['id']}/complete")

    world.time.move_to(START + DAY)
    second = world.api("POST", f"/action-items/{item['id']}/complete")

    assert second.status == 200
    assert second.body == first.body
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent", "completed"]


def test_resending_a_completed_item_is_a_conflict(world: World) -> None:
    account = world.create_account()
    item = world.send_item(account["id"], kind="proposal", title="Engagement letter 2027")
    world.api("POST", f"/action-items/{item['id']}/complete")

    reply = world.api("POST", f"/action-items/{item['id']}/resend")

    assert reply.status == 409
    assert reply.error_code == "conflict"
    assert len(world.mail) == 2


def test_items_are_listed_per_account_and_filtered_by_status(world: World) -> None:
    # Given three items, one completed
    account = world.create_account()
    first = world.send_item(account["id"], title="A")
    world.time.move_to(START + timedelta(minutes=1))
    second = world.send_item(account["id"], kind="signature", title="B")
    world.time.move_to(START + timedelta(minutes=2))
    third = world.send_item(account["id"], kind="approval", title="C")
    world.api("POST", f"/action-items/{second['id']}/complete")
    path = f"/accounts/{account['id']}/action-items"

    # Then the listing filters by status
    pending = world.api("GET", path, query={"status": "pending"}).body
    completed = world.api("GET", path, query={"status": "completed"}).body
    everything = world.api("GET", path).body
    assert [i["id"] for i in pending["items"]] == [first["id"], third["id"]]
    assert [i["id"] for i in completed["items"]] == [second["id"]]
    assert sorted(i["id"] for i in everything["items"]) == sorted([first["id"], second["id"], third["id"]])
    assert everything["next_token"] is None


def test_listings_paginate_with_next_token(world: World) -> None:
    # Given five items
    account = world.create_account(contacts=[])
    ids = []
    for n in range(5):
        world.time.move_to(START + timedelta(minutes=n))
        ids.append(world.send_item(account["id"], title=f"Item {n}")["id"])

    # When the firm reads them two at a time
    seen, token, pages = [], None, 0
    while True:
        query = {"limit": "2", **({"next_token": token} if token else {})}
        page = world.api("GET", f"/accounts/{account['id']}/action-items", query=query).body
        seen += [i["id"] for i in page["items"]]
        pages += 1
        token = page["next_token"]
        if token is None:
            break

    # Then it gets every item once, in three pages
    assert seen == ids
    assert pages == 3


def test_task_list_is_most_recently_emailed_first_and_a_resend_moves_it_to_the_top(world: World) -> None:
    # Given two pending items and one completed
    account = world.create_account()
    older = world.send_item(account["id"], title="Older")
    world.time.move_to(START + timedelta(hours=1))
    newer = world.send_item(account["id"], title="Newer")
    world.time.move_to(START + timedelta(hours=2))
    done = world.send_item(account["id"], title="Done")
    world.api("POST", f"/action-items/{done['id']}/complete")
    tasks = f"/accounts/{account['id']}/tasks"
    assert [t["item_id"] for t in world.api("GET", tasks).body["items"]] == [newer["id"], older["id"]]

    # When the older one is resent
    world.time.move_to(START + timedelta(hours=3))
    world.api("POST", f"/action-items/{older['id']}/resend")

    # Then it moves to the top
    listed = world.api("GET", tasks).body["items"]
    assert [t["item_id"] for t in listed] == [older["id"], newer["id"]]
    assert listed[0] == {
        "item_id": older["id"],
        "kind": "organizer",
        "title": "Older",
        "last_emailed_at": "2026-11-27T12:00:00Z",
        "due_date": None,
    }


def test_audit_trail_per_item_and_per_account(world: World) -> None:
    # Given an item that was sent, reminded automatically and by hand, re-configured and completed
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 1, "max_reminders": 2})
    world.scan(START + DAY)
    world.drain()
    world.time.move_to(START + DAY + timedelta(hours=2))
    world.api("POST", f"/action-items/{item['id']}/resend", {"message": "Friendly nudge"}, user="user-2")
    world.time.move_to(START + DAY + timedelta(hours=3))
    world.api("PATCH", f"/action-items/{item['id']}/reminders", {"max_reminders": 3}, user="user-2")
    world.time.move_to(START + 2 * DAY)
    world.api("POST", f"/action-items/{item['id']}/complete")
    world.time.move_to(START + 3 * DAY)
    other = world.send_item(account["id"], title="Another")

    # When the firm reads the item's and the account's audit trail
    item_audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    account_audit = world.api("GET", f"/accounts/{account['id']}/audit").body["items"]

    # Then every message and change is there, oldest first, with actor and recipients
    notify = ["ana@client.example.com", "bruno@client.example.com"]
    ids = [e["details"].pop("message_ids", None) for e in item_audit]
    assert [(e["type"], e["actor"], e["recipients"], e["details"]) for e in item_audit] == [
        ("item_sent", "user-1", notify, {}),
        ("reminder_sent", "system", notify, {"mode": "auto", "number": 1, "of": 2, "tone": "gentle"}),
        ("reminder_sent", "user-2", notify, {"mode": "manual", "number": 1, "of": None, "message": "Friendly nudge"}),
        (
            "settings_changed",
            "user-2",
            [],
            {
                "before": {"enabled": True, "days_between": 1, "max_reminders": 2, **INTERVAL},
                "after": {"enabled": True, "days_between": 1, "max_reminders": 3, **INTERVAL},
            },
        ),
        ("completed", "user-1", [], {}),
    ]
    # and each mail names the SES message id of each address it went to
    assert [sorted(i) if i else None for i in ids] == [notify, notify, notify, None, None]
    assert len({message_id for i in ids if i for message_id in i.values()}) == 6
    assert [e["id"] for e in account_audit] == [e["id"] for e in item_audit] + [
        world.api("GET", f"/action-items/{other['id']}/audit").body["items"][0]["id"]
    ]
    assert all(
        set(e) == {"id", "item_id", "account_id", "type", "at", "actor", "recipients", "details"} for e in item_audit
    )
