"""Templates (R7): content and reminder settings items inherit, through the api handler."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START
from tests.support.world import World

DAY = timedelta(days=1)
# a template's reminder fields it does not set; an item's besides the numbers under the interval schedule
UNSET = dict.fromkeys(("enabled", "days_between", "max_reminders", "schedule", "steps", "escalate_after_days"))
INTERVAL = {"schedule": "interval", "steps": [], "escalate_after_days": None}

INVOICE_TEMPLATE = {
    "kind": "invoice",
    "name": "Monthly bookkeeping",
    "title": "Bookkeeping — monthly fee",
    "body": "Thank you for your business.",
    "invoice": {"amount": "450.00", "currency": "EUR", "due_in_days": 14},
    "reminders": {"enabled": True, "days_between": 5, "max_reminders": 3},
}


def create_template(world: World, body: dict[str, Any], **kw: Any) -> dict[str, Any]:
    reply = world.api("POST", "/templates", body, **kw)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_a_template_is_created_read_listed_and_changed(world: World) -> None:
    # When the firm creates a template
    created = create_template(world, INVOICE_TEMPLATE)

    # Then it has an id and everything it was given
    assert created["id"].startswith("tpl_")
    assert {k: created[k] for k in ("kind", "name", "title", "body")} == {
        "kind": "invoice",
        "name": "Monthly bookkeeping",
        "title": "Bookkeeping — monthly fee",
        "body": "Thank you for your business.",
    }
    assert created["invoice"] == {"amount": "450.00", "currency": "EUR", "due_in_days": 14}
    assert created["reminders"] == {**UNSET, "enabled": True, "days_between": 5, "max_reminders": 3}
    assert world.api("GET", f"/templates/{created['id']}").body == created
    assert [t["id"] for t in world.api("GET", "/templates").body["items"]] == [created["id"]]

    # When it is changed
    world.time.move_to(START + DAY)
    changed = world.api(
        "PATCH", f"/templates/{created['id']}", {"name": "Monthly fee", "reminders": {"enabled": False}}
    )

    # Then only the named fields changed
    assert changed.status == 200
    assert changed.body["name"] == "Monthly fee"
    assert changed.body["title"] == "Bookkeeping — monthly fee"
    assert changed.body["reminders"] == {**UNSET, "enabled": False}
    assert changed.body["updated_at"] == "2026-11-28T09:00:00Z"


def test_an_item_from_a_template_takes_its_content_and_reminder_settings(world: World) -> None:
    # Given an invoice template with reminders every 5 days, 3 times
    template = create_template(world, INVOICE_TEMPLATE)
    account = world.create_account()

    # When an invoice is sent from it with nothing but the kind
    item = world.send_item(account["id"], kind="invoice", title=None, template_id=template["id"])

    # Then it carries the template's title, body, amount, due date and settings
    assert item["title"] == "Bookkeeping — monthly fee"
    assert item["message"] == "Thank you for your business."
    assert item["template_id"] == template["id"]
    assert item["invoice"]["amount"] == "450.00"
    assert item["invoice"]["currency"] == "EUR"
    assert item["invoice"]["due_date"] == "2026-12-11"
    assert item["reminders"] == {
        "enabled": True,
        "days_between": 5,
        "max_reminders": 3,
        **INTERVAL,
        "sent": 0,
        "next_at": "2026-12-02T09:00:00Z",
    }
    assert "450" in world.mail[0].html


def test_settings_given_in_the_request_win_field_by_field(world: World) -> None:
    template = create_template(world, INVOICE_TEMPLATE)
    account = world.create_account()

    item = world.send_item(
        account["id"], kind="invoice", title="INV-77", template_id=template["id"], reminders={"days_between": 2}
    )

    assert item["title"] == "INV-77"
    assert item["reminders"]["days_between"] == 2
    assert (item["reminders"]["enabled"], item["reminders"]["max_reminders"]) == (True, 3)


def test_a_template_toggled_on_without_numbers_means_three_days_one_reminder(world: World) -> None:
    template = create_template(world, {"kind": "organizer", "name": "Organizer", "reminders": {"enabled": True}})
    account = world.create_account()

    item = world.send_item(account["id"], template_id=template["id"], title="2026 organizer")

    assert item["reminders"] == {
        "enabled": True,
        "days_between": 3,
        "max_reminders": 1,
        **INTERVAL,
        "sent": 0,
        "next_at": "2026-11-30T09:00:00Z",
    }


def test_editing_a_template_never_changes_items_already_sent(world: World) -> None:
    # Given an item sent from a template
    template = create_template(world, INVOICE_TEMPLATE)
    account = world.create_account()
    item = world.send_item(account["id"], kind="invoice", title=None, template_id=template["id"])

    # When the template's content and settings change
    world.api(
        "PATCH",
        f"/templates/{template['id']}",
        {
            "title": "New title",
            "invoice": {"amount": "999.00", "currency": "USD", "due_in_days": 1},
            "reminders": {"enabled": False},
        },
    )

    # Then the item is as it was sent
    after = world.api("GET", f"/action-items/{item['id']}").body
    assert after == item


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "signature", "name": "x"}, "kind"),
        ({"kind": "proposal", "name": "x", "invoice": {"amount": "1", "currency": "USD", "due_in_days": 3}}, "invoice"),
        ({"kind": "invoice", "name": ""}, "name"),
        ({"kind": "chat", "name": "x", "body": "b" * 5001}, "body"),
        (
            {"kind": "invoice", "name": "x", "invoice": {"amount": "1", "currency": "USD", "due_in_days": 400}},
            "invoice.due_in_days",
        ),
        ({"kind": "organizer", "name": "x", "reminders": {"max_reminders": 0}}, "reminders.max_reminders"),
    ],
)
def test_invalid_templates_are_refused_and_nothing_is_created(world: World, body: dict[str, Any], field: str) -> None:
    reply = world.api("POST", "/templates", body)
    assert reply.status == 422, reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]
    assert world.api("GET", "/templates").body["items"] == []


@pytest.mark.parametrize("case", ["unknown", "another firm", "wrong kind"])
def test_an_item_cannot_use_a_template_that_is_unknown_of_another_firm_or_of_another_kind(
    world: World, case: str
) -> None:
    # Given a template of the wrong sort for this request
    account = world.create_account()
    if case == "unknown":
        template_id = "tpl_" + "0" * 32
    elif case == "another firm":
        template_id = create_template(world, INVOICE_TEMPLATE, firm="firm-b")["id"]
    else:
        template_id = create_template(world, {"kind": "proposal", "name": "EL", "title": "Engagement letter"})["id"]

    # When an invoice is sent with it
    reply = world.api(
        "POST", f"/accounts/{account['id']}/action-items", {"kind": "invoice", "template_id": template_id}
    )

    # Then a clear 409 (a well-formed id that clashes with the stored templates; was 422) names the
    # template, and nothing was sent
    assert (reply.status, reply.body["error"]["code"]) == (409, "conflict")
    assert reply.body["error"]["details"][0]["field"] == "template_id"
    assert world.mail == []
    assert world.api("GET", f"/accounts/{account['id']}/action-items").body["items"] == []


def test_another_firms_template_is_not_found(world: World) -> None:
    template = create_template(world, INVOICE_TEMPLATE, firm="firm-b")
    assert world.api("GET", f"/templates/{template['id']}").status == 404
    assert world.api("PATCH", f"/templates/{template['id']}", {"name": "mine"}).status == 404
    assert world.api("GET", "/templates").body["items"] == []


def test_an_item_from_a_template_without_a_title_takes_the_templates_name(world: World) -> None:
    # Given a template with a name but no title
    template = create_template(world, {"kind": "organizer", "name": "2026 Organizer"})
    account = world.create_account()

    # When an item is sent from it without a title of its own
    reply = world.api(
        "POST", f"/accounts/{account['id']}/action-items", {"kind": "organizer", "template_id": template["id"]}
    )

    # Then it is sent, titled with the template's name (SPEC R18)
    assert reply.status == 201, reply.body
    assert reply.body["title"] == "2026 Organizer"
    assert "2026 Organizer" in world.mail_to("ana@client.example.com")[0].subject


def test_an_item_without_a_title_or_a_template_is_refused(world: World) -> None:
    account = world.create_account()
    reply = world.api("POST", f"/accounts/{account['id']}/action-items", {"kind": "organizer"})
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["field"] == "title"
    assert world.mail == []
