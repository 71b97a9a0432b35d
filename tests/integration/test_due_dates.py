"""Due dates on every kind (SPEC R19) through the api handler: on the create body, mirrored from an
invoice, from a template's due_in_days on the client's calendar, changed with PATCH (audited),
shown in the item, the portal task and the emails."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import START
from tests.support.aws import table_snapshot
from tests.support.world import World

DAY = timedelta(days=1)
ANA = "ana@client.example.com"


def invoice(due_date: str = "2026-12-15") -> dict[str, str]:
    return {"amount": "1250.00", "currency": "EUR", "due_date": due_date}


def test_any_kind_takes_a_due_date_shown_in_the_item_the_task_and_the_email(world: World) -> None:
    # Given an account
    account = world.create_account()

    # When the firm sends an organizer due on 15 December
    item = world.send_item(account["id"], due_date="2026-12-15")

    # Then the item, its portal task and its notification show the due date
    assert item["due_date"] == "2026-12-15"
    assert world.api("GET", f"/action-items/{item['id']}").body["due_date"] == "2026-12-15"
    (task,) = world.api("GET", f"/accounts/{account['id']}/tasks").body["items"]
    assert task["due_date"] == "2026-12-15"
    (mail,) = world.sent_to(ANA)
    assert "Due date: 15 December 2026" in (mail.text or "").splitlines()


def test_an_item_without_a_due_date_shows_none_and_its_email_no_due_line(world: World) -> None:
    # Given an account
    account = world.create_account()

    # When the firm sends an organizer without a due date
    item = world.send_item(account["id"])

    # Then it has none, nor has its task, and the email says nothing of one
    assert item["due_date"] is None
    assert world.api("GET", f"/accounts/{account['id']}/tasks").body["items"][0]["due_date"] is None
    assert "Due date" not in (world.sent_to(ANA)[0].text or "")


def test_an_invoices_due_date_is_mirrored_at_the_top_level(world: World) -> None:
    # Given an account
    account = world.create_account()

    # When the firm sends an invoice with its due date, once alone and once repeated at the top level
    alone = world.send_item(account["id"], kind="invoice", title="INV-1", invoice=invoice())
    both = world.send_item(account["id"], kind="invoice", title="INV-2", invoice=invoice(), due_date="2026-12-15")

    # Then both carry it in both places
    for item in (alone, both):
        assert (item["due_date"], item["invoice"]["due_date"]) == ("2026-12-15", "2026-12-15")


def test_an_invoice_given_two_different_due_dates_is_refused_naming_the_field(world: World) -> None:
    # Given an account
    account = world.create_account()
    before = table_snapshot()

    # When the firm sends an invoice whose top-level due date is not the invoice's
    body = {"kind": "invoice", "title": "INV-3", "invoice": invoice("2026-12-15"), "due_date": "2026-12-16"}
    reply = world.api("POST", f"/accounts/{account['id']}/action-items", body)

    # Then 422 names due_date, and nothing was written or sent
    assert reply.status == 422, reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == ["due_date"]
    assert table_snapshot() == before
    assert world.mail == []


def _template(world: World, body: dict[str, Any]) -> dict[str, Any]:
    reply = world.api("POST", "/templates", body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_a_templates_due_in_days_counts_from_the_clients_today(world: World) -> None:
    # Given an organizer template due 10 days after sending, and an account in Auckland (UTC+13 in
    # November), where Friday 27 November 12:00 UTC is already Saturday the 28th
    world.time.move_to(START.replace(hour=12))
    template = _template(world, {"kind": "organizer", "name": "Organizer", "due_in_days": 10})
    auckland = world.api(
        "POST",
        "/accounts",
        {"name": "Ngata", "time_zone": "Pacific/Auckland", "contacts": [{"name": "Mere", "email": "mere@x.example"}]},
    ).body
    here = world.create_account()

    # When the firm sends an organizer from it to each, and one more naming its own due date
    there = world.send_item(auckland["id"], title=None, template_id=template["id"])
    home = world.send_item(here["id"], title=None, template_id=template["id"])
    own = world.send_item(here["id"], title=None, template_id=template["id"], due_date="2027-01-31")

    # Then each is due 10 days after the client's today, unless the request said otherwise
    assert template["due_in_days"] == 10
    assert (there["due_date"], home["due_date"], own["due_date"]) == ("2026-12-08", "2026-12-07", "2027-01-31")
    assert "Due date: 8 December 2026" in (world.sent_to("mere@x.example")[0].text or "")


def test_an_invoice_templates_due_in_days_is_its_invoices_and_changes_with_it(world: World) -> None:
    # Given an invoice template whose invoice terms say 14 days, repeated at the top level
    terms = {"amount": "450.00", "currency": "EUR", "due_in_days": 14}
    template = _template(world, {"kind": "invoice", "name": "Fee", "invoice": terms, "due_in_days": 14})
    assert (template["due_in_days"], template["invoice"]["due_in_days"]) == (14, 14)

    # When the firm changes due_in_days alone
    changed = world.api("PATCH", f"/templates/{template['id']}", {"due_in_days": 30}).body

    # Then the invoice terms say 30 too, and an invoice sent from it is due 30 days later
    assert (changed["due_in_days"], changed["invoice"]["due_in_days"]) == (30, 30)
    account = world.create_account()
    item = world.send_item(account["id"], kind="invoice", title=None, template_id=template["id"])
    assert (item["due_date"], item["invoice"]["due_date"]) == ("2026-12-27", "2026-12-27")

    # And new invoice terms bring their own due_in_days
    terms = {**terms, "due_in_days": 7}
    assert world.api("PATCH", f"/templates/{template['id']}", {"invoice": terms}).body["due_in_days"] == 7


def test_an_invoice_template_given_two_different_due_in_days_or_none_is_refused(world: World) -> None:
    # Given an invoice template
    terms = {"amount": "450.00", "currency": "EUR", "due_in_days": 14}
    template = _template(world, {"kind": "invoice", "name": "Fee", "invoice": terms})
    before = table_snapshot()

    # When the firm gives two different numbers, or takes the due date away
    created = world.api("POST", "/templates", {"kind": "invoice", "name": "F", "invoice": terms, "due_in_days": 15})
    patched = world.api("PATCH", f"/templates/{template['id']}", {"invoice": terms, "due_in_days": 15})
    cleared = world.api("PATCH", f"/templates/{template['id']}", {"due_in_days": None})

    # Then each is refused naming due_in_days (422 for two numbers in one request, 409 for taking
    # away what the stored invoice terms need), and nothing changed
    for reply, status in ((created, 422), (patched, 422), (cleared, 409)):
        assert reply.status == status, reply.body
        assert [d["field"] for d in reply.body["error"]["details"]] == ["due_in_days"]
    assert table_snapshot() == before


def test_changing_an_items_due_date_is_audited_with_before_and_after(world: World) -> None:
    # Given an organizer due on 15 December
    account = world.create_account()
    item = world.send_item(account["id"], due_date="2026-12-15")
    world.time.move_to(START + DAY)

    # When the firm moves it to 20 December, then takes it away
    moved = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": "2026-12-20"})
    cleared = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": None})

    # Then each change shows, and the audit trail has both with who and when
    assert (moved.status, moved.body["due_date"]) == (200, "2026-12-20")
    assert (cleared.status, cleared.body["due_date"]) == (200, None)
    changes = [e for e in world.api("GET", f"/action-items/{item['id']}/audit").body["items"][1:]]
    assert [(e["type"], e["actor"], e["at"], e["details"]) for e in changes] == [
        (
            "settings_changed",
            "user-1",
            "2026-11-28T09:00:00Z",
            {"before": {"due_date": "2026-12-15"}, "after": {"due_date": "2026-12-20"}},
        ),
        (
            "settings_changed",
            "user-1",
            "2026-11-28T09:00:00Z",
            {"before": {"due_date": "2026-12-20"}, "after": {"due_date": None}},
        ),
    ]


def test_the_same_due_date_again_changes_nothing(world: World) -> None:
    # Given an organizer due on 15 December
    account = world.create_account()
    item = world.send_item(account["id"], due_date="2026-12-15")
    before = table_snapshot()

    # When the firm sets the same date
    reply = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": "2026-12-15"})

    # Then 200 and nothing was written
    assert (reply.status, reply.body["due_date"]) == (200, "2026-12-15")
    assert table_snapshot() == before


def test_changing_an_invoices_due_date_changes_the_invoice_and_it_cannot_be_cleared(world: World) -> None:
    # Given an invoice due on 15 December
    account = world.create_account()
    item = world.send_item(account["id"], kind="invoice", title="INV-4", invoice=invoice())

    # When the firm moves it, then tries to take the due date away
    moved = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": "2027-01-15"})
    before = table_snapshot()
    cleared = world.api("PATCH", f"/action-items/{item['id']}", {"due_date": None})

    # Then the invoice's due date moved with it, and an invoice keeps one (409, nothing written)
    assert (moved.body["due_date"], moved.body["invoice"]["due_date"]) == ("2027-01-15", "2027-01-15")
    assert cleared.status == 409, cleared.body
    assert [d["field"] for d in cleared.body["error"]["details"]] == ["due_date"]
    assert table_snapshot() == before


def test_a_reminder_shows_the_due_date_as_it_is_then(world: World) -> None:
    # Given an organizer due on 15 December with a reminder after 3 days, whose due date the firm moves
    account = world.create_account()
    item = world.send_item(account["id"], due_date="2026-12-15", reminders={"enabled": True})
    world.api("PATCH", f"/action-items/{item['id']}", {"due_date": "2026-12-18"})

    # When the reminder goes
    world.scan(START + 3 * DAY)
    world.drain()

    # Then it shows the new date
    reminder = world.sent_to(ANA)[-1]
    assert reminder.subject.startswith("Reminder: ")
    assert "Due date: 18 December 2026" in (reminder.text or "").splitlines()
