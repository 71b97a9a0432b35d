"""The JSON Schemas in schemas/ (draft 2020-12) describe the events the publisher really puts on the
bus: one story through the real handlers publishes every type, captured from the publisher's
PutEvents calls, and each is validated against its schema as a rule's target receives it."""

from __future__ import annotations

from datetime import timedelta

from jsonschema import Draft202012Validator, FormatChecker

from portal_reminders.models.domain_events import EventType
from tests.conftest import START
from tests.support.faults import ses_errors
from tests.support.schemas import SCHEMAS, delivered, problems, schema
from tests.support.world import World

DAY = timedelta(days=1)


def test_there_is_a_valid_draft_2020_12_schema_for_each_event_type_and_no_other() -> None:
    files = sorted(path.name for path in SCHEMAS.glob("*.json"))
    assert files == sorted(f"{event_type.value}.schema.json" for event_type in EventType)
    for event_type in EventType:
        document = schema(event_type.value)
        Draft202012Validator.check_schema(document)
        assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert document["properties"]["detail-type"] == {"const": event_type.value}
        assert document["properties"]["source"] == {"const": "client-reminders"}
        assert {"event_id", "firm_id", "account_id", "at"} <= set(document["properties"]["detail"]["required"])


def test_every_event_the_publisher_puts_on_the_bus_matches_its_schema(world: World) -> None:
    # Given a story that makes every kind of change: items sent (one address rejected), reminders,
    # a manual resend, a completion, a cancellation, an escalation, a job entering a stage, and a bounce
    account = world.create_account()
    with ses_errors(lambda to, _: "MessageRejected" if to.startswith("bruno") else None):
        item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 2, "max_reminders": 2})
    # (an invoice due on 27 December, with a due-date step 28 days before: 29 November)
    sequence = {"enabled": True, "schedule": "due_date", "steps": [{"days": -28}]}
    other = world.send_item(account["id"], kind="invoice", title="Fee", invoice=_terms(), reminders=sequence)
    # (and one reminded after a day, escalating a day later)
    late = {"enabled": True, "days_between": 1, "max_reminders": 1, "escalate_after_days": 1}
    world.send_item(account["id"], title="Signed engagement letter", reminders=late)
    world.scan(START + 2 * DAY)
    world.drain()
    world.api("POST", f"/action-items/{item['id']}/resend")
    world.api("POST", f"/action-items/{item['id']}/complete")
    world.api("POST", f"/action-items/{other['id']}/cancel")
    world.scan(START + 3 * DAY)
    world.drain()
    _job_in_a_stage(world, account["id"])
    world.bounce("ana@client.example.com")  # SES's bounce event, through the suppression function

    # When the publisher reads the table's stream
    world.deliver_events()

    # Then every type was published, and each event (as EventBridge delivers it) matches its schema
    types = {e["DetailType"] for e in world.published}
    assert types == {event_type.value for event_type in EventType}
    for entry in world.published:
        assert problems(entry) == [], entry
        event = delivered(entry)
        Draft202012Validator(schema(entry["DetailType"]), format_checker=FormatChecker()).validate(event)
    assert all("@" not in entry["Detail"] for entry in world.published)
    # and the reminders say how they spoke and which step they carried out (SPEC R19)
    reminders = world.events_of("ReminderSent")
    assert sorted((e["mode"], e["tone"] or "", e["days"] or 0) for e in reminders) == [
        ("auto", "gentle", -28),
        ("auto", "gentle", 0),
        ("auto", "gentle", 0),  # the one that then escalated (interval schedule: no step)
        ("manual", "", 0),
    ]
    assert [e["days"] for e in reminders if e["mode"] == "manual"] == [None]


def _terms() -> dict[str, str]:
    return {"amount": "300.00", "currency": "USD", "due_date": "2026-12-27"}


def _job_in_a_stage(world: World, account_id: str) -> None:
    template = world.api("POST", "/templates", {"kind": "proposal", "name": "EL", "title": "Engagement letter"})
    automations = [{"action": "send_proposal", "template_id": template.body["id"]}]
    pipeline = world.api("POST", "/pipelines", {"name": "P", "stages": [{"name": "S", "automations": automations}]})
    entry = {"account_id": account_id, "stage_id": pipeline.body["stages"][0]["id"]}
    assert world.api("POST", f"/pipelines/{pipeline.body['id']}/jobs", entry).status == 201
