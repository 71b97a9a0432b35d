"""Templates and pipeline automations carry whole reminder schedules, due-date sequences included, and
a due date in days (SPEC R7, R8, R19), through the api, the publisher and the automations function."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.aws import table_snapshot
from tests.support.world import World

DAY = timedelta(days=1)
ANA = "ana@client.example.com"
# a week before the due date, on the day, and two weeks after (the last: final)
SEQUENCE = {
    "enabled": True,
    "schedule": "due_date",
    "steps": [{"days": -7}, {"days": 0}, {"days": 14, "tone": "final"}],
    "escalate_after_days": 10,
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def create(world: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    reply = world.api("POST", path, body)
    assert reply.status == 201, reply.body
    return dict(reply.body)


def an_invoice_template(world: World, **more: Any) -> dict[str, Any]:
    body = {
        "kind": "invoice",
        "name": "Annual fee",
        "invoice": {"amount": "300.00", "currency": "EUR", "due_in_days": 30},
        "reminders": SEQUENCE,
        **more,
    }
    return create(world, "/templates", body)


def test_a_template_keeps_a_whole_due_date_schedule(world: World) -> None:
    # When the firm creates an invoice template with a due-date sequence
    template = an_invoice_template(world)

    # Then it shows the whole schedule as given, and its due_in_days
    assert template["reminders"] == {
        "enabled": True,
        "days_between": None,
        "max_reminders": None,
        "schedule": "due_date",
        "steps": [{"days": -7, "tone": None}, {"days": 0, "tone": None}, {"days": 14, "tone": "final"}],
        "escalate_after_days": 10,
    }
    assert template["due_in_days"] == 30
    assert world.api("GET", f"/templates/{template['id']}").body == template


def test_an_item_from_the_template_follows_its_sequence_from_its_due_date(world: World) -> None:
    # Given an invoice template due 30 days after sending with a three-step sequence
    template = an_invoice_template(world)
    account = world.create_account()

    # When the firm sends an invoice from it on 27 November
    item = world.send_item(account["id"], kind="invoice", title=None, template_id=template["id"])

    # Then it is due on 27 December, with the template's steps, times and tones
    assert item["due_date"] == "2026-12-27"
    assert [(s["days"], s["tone"], s["at"]) for s in item["reminders"]["steps"]] == [
        (-7, "gentle", "2026-12-20T09:00:00Z"),
        (0, "gentle", "2026-12-27T09:00:00Z"),
        (14, "final", "2027-01-10T09:00:00Z"),
    ]
    assert (item["reminders"]["max_reminders"], item["reminders"]["escalate_after_days"]) == (3, 10)

    # And the steps go at those times
    for when in ("2026-12-20T09:00:00+00:00", "2026-12-27T09:00:00+00:00", "2027-01-10T09:00:00+00:00"):
        assert world.scan(at(when))["claimed"] == 1
        world.drain()
    assert [m.subject.split(":")[0] for m in world.sent_to(ANA)[1:]] == [
        "Reminder",
        "Second reminder",
        "Final reminder",
    ]


def test_a_request_overrides_the_templates_schedule_field_by_field(world: World) -> None:
    # Given the template with a due-date sequence
    template = an_invoice_template(world)
    account = world.create_account()

    # When the firm sends one invoice with its own steps and due date, and one on the interval schedule
    own = world.send_item(
        account["id"],
        kind="invoice",
        title="Own steps",
        template_id=template["id"],
        due_date="2027-01-31",
        reminders={"steps": [{"days": -1}, {"days": 3}]},
    )
    interval = world.send_item(
        account["id"], kind="invoice", title="Interval", template_id=template["id"], reminders={"schedule": "interval"}
    )

    # Then each named field is the request's, the others the template's
    assert [s["days"] for s in own["reminders"]["steps"]] == [-1, 3]
    assert (own["due_date"], own["reminders"]["schedule"], own["reminders"]["escalate_after_days"]) == (
        "2027-01-31",
        "due_date",
        10,
    )
    assert (interval["reminders"]["schedule"], interval["reminders"]["next_at"]) == ("interval", "2026-11-30T09:00:00Z")


def test_an_automation_creates_its_item_with_the_templates_due_date_and_sequence(world: World) -> None:
    # Given an organizer template due 10 days after sending, and a pipeline whose automation asks for
    # a due-date sequence over it
    organizer = create(world, "/templates", {"kind": "organizer", "name": "Organizer", "due_in_days": 10})
    steps = {"enabled": True, "schedule": "due_date", "steps": [{"days": -2}, {"days": 0}]}
    pipeline = create(
        world,
        "/pipelines",
        {
            "name": "Tax season",
            "stages": [
                {
                    "name": "Start",
                    "automations": [{"action": "create_organizer", "template_id": organizer["id"], "reminders": steps}],
                }
            ],
        },
    )
    account = world.create_account()

    # When a job enters the stage on 27 November and the automation runs
    job = {"account_id": account["id"], "stage_id": pipeline["stages"][0]["id"]}
    assert world.api("POST", f"/pipelines/{pipeline['id']}/jobs", job).status == 201
    [result] = world.deliver_events()

    # Then its item is due on 7 December, with the automation's steps
    [item_id] = result["item_ids"]
    item = world.api("GET", f"/action-items/{item_id}").body
    assert item["due_date"] == "2026-12-07"
    assert [(s["days"], s["at"], s["tone"]) for s in item["reminders"]["steps"]] == [
        (-2, "2026-12-05T09:00:00Z", "gentle"),
        (0, "2026-12-07T09:00:00Z", "final"),
    ]
    assert pipeline["stages"][0]["automations"][0]["reminders"]["steps"] == [
        {"days": -2, "tone": None},
        {"days": 0, "tone": None},
    ]

    # And the first step goes on its day
    assert world.scan(at("2026-12-05T09:00:00+00:00"))["claimed"] == 1


def test_an_automation_cannot_ask_for_a_due_date_schedule_its_template_gives_no_due_date_for(world: World) -> None:
    # Given an organizer template without due_in_days
    organizer = create(world, "/templates", {"kind": "organizer", "name": "Organizer"})
    before = table_snapshot()

    # When the firm makes a pipeline whose automation asks for a due-date sequence over it, or one
    # whose steps are out of order
    def pipeline(reminders: dict[str, Any]) -> Any:
        automation = {"action": "create_organizer", "template_id": organizer["id"], "reminders": reminders}
        return world.api("POST", "/pipelines", {"name": "P", "stages": [{"name": "S", "automations": [automation]}]})

    no_due_date = pipeline({"enabled": True, "schedule": "due_date", "steps": [{"days": 0}]})
    out_of_order = pipeline({"steps": [{"days": 3}, {"days": 1}]})

    # Then each is refused naming the field (409: the stored template lacks the due date; 422: the
    # request's own steps), and nothing was written
    assert (no_due_date.status, out_of_order.status) == (409, 422)
    assert [d["field"] for d in no_due_date.body["error"]["details"]] == ["stages[0].automations[0].reminders.schedule"]
    assert [d["field"] for d in out_of_order.body["error"]["details"]] == [
        "stages[0].automations[0].reminders.steps[1].days"
    ]
    assert table_snapshot() == before
