"""Pipelines and their automations (R8): the api writes the job with a new stage entry, the publisher
announces it from the table's stream as JobEnteredStage on the bus, and the automations function
consumes it and creates each automation's item, once per entry."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import START
from tests.support.events import load_event
from tests.support.world import World

DAY = timedelta(days=1)


@pytest.fixture
def setup(world: World) -> dict[str, Any]:
    """An account, four templates, and a two-stage pipeline using them."""

    def template(body: dict[str, Any]) -> str:
        reply = world.api("POST", "/templates", body)
        assert reply.status == 201, reply.body
        return str(reply.body["id"])

    organizer = template({"kind": "organizer", "name": "Organizer", "title": "2026 Organizer"})
    invoice = template(
        {
            "kind": "invoice",
            "name": "Fee",
            "title": "Annual fee",
            "invoice": {"amount": "300", "currency": "USD", "due_in_days": 30},
            "reminders": {"enabled": True, "days_between": 10, "max_reminders": 5},
        }
    )
    proposal = template({"kind": "proposal", "name": "EL", "title": "Engagement letter 2027"})
    chat = template({"kind": "chat", "name": "Docs", "title": "Please upload your W-2", "body": "Upload it here."})
    pipeline = world.api(
        "POST",
        "/pipelines",
        {
            "name": "Tax season",
            "stages": [
                {
                    "name": "Onboarding",
                    "automations": [
                        {"action": "send_proposal", "template_id": proposal, "reminders": {"enabled": True}},
                        {
                            "action": "create_organizer",
                            "template_id": organizer,
                            "reminders": {"enabled": True, "days_between": 2, "max_reminders": 4},
                        },
                    ],
                },
                {
                    "name": "Billing",
                    "automations": [
                        {"action": "create_invoice", "template_id": invoice, "reminders": {"days_between": 7}},
                        {"action": "send_message", "template_id": chat},
                    ],
                },
                {"name": "Done"},
            ],
        },
    )
    assert pipeline.status == 201, pipeline.body
    account = world.create_account()
    return {"pipeline": pipeline.body, "account": account, "templates": [organizer, invoice, proposal, chat]}


def _start(world: World, setup: dict[str, Any], stage: int = 0) -> dict[str, Any]:
    pipeline = setup["pipeline"]
    reply = world.api(
        "POST",
        f"/pipelines/{pipeline['id']}/jobs",
        {"account_id": setup["account"]["id"], "stage_id": pipeline["stages"][stage]["id"]},
    )
    assert reply.status == 201, reply.body
    return dict(reply.body)


def test_a_pipeline_is_created_with_an_id_per_stage(world: World, setup: dict[str, Any]) -> None:
    pipeline = setup["pipeline"]
    assert pipeline["id"].startswith("pl_")
    assert [s["name"] for s in pipeline["stages"]] == ["Onboarding", "Billing", "Done"]
    assert all(s["id"].startswith("stg_") for s in pipeline["stages"])
    assert pipeline["stages"][0]["automations"][1] == {
        "action": "create_organizer",
        "template_id": setup["templates"][0],
        "reminders": {
            "enabled": True,
            "days_between": 2,
            "max_reminders": 4,
            "schedule": None,
            "steps": None,
            "escalate_after_days": None,
        },
    }
    assert world.api("GET", f"/pipelines/{pipeline['id']}").body == pipeline


def test_putting_a_job_in_a_stage_publishes_one_event_that_runs_its_automations(
    world: World, setup: dict[str, Any]
) -> None:
    # When an account's job is put in the first stage, and the publisher reads the table's stream
    job = _start(world, setup)
    world.publish()

    # Then one JobEnteredStage is on the bus, naming the job, its stage and the entry
    [entered] = world.events_of("JobEnteredStage")
    assert [e["DetailType"] for e in world.published] == ["JobEnteredStage"]
    assert (entered["job_id"], entered["stage_id"]) == (job["id"], setup["pipeline"]["stages"][0]["id"])
    assert entered["event_id"] == entered["entry_id"]
    assert job["status"] == "active"
    assert job["item_ids"] == []

    # When the automations function consumes it
    [result] = world.deliver_events()

    # Then each automation created and sent its item with the automation's reminder settings
    assert result["status"] == "ran"
    items = world.api("GET", f"/accounts/{setup['account']['id']}/action-items").body["items"]
    by_kind = {i["kind"]: i for i in items}
    assert set(by_kind) == {"proposal", "organizer"}
    assert by_kind["proposal"]["title"] == "Engagement letter 2027"
    assert by_kind["proposal"]["reminders"]["days_between"] == 3
    assert by_kind["proposal"]["reminders"]["max_reminders"] == 1
    assert by_kind["organizer"]["reminders"]["days_between"] == 2
    assert by_kind["organizer"]["reminders"]["max_reminders"] == 4
    assert all(i["job_id"] == job["id"] for i in items)
    assert len(world.mail) == 4
    assert sorted(world.api("GET", f"/jobs/{job['id']}").body["item_ids"]) == sorted(i["id"] for i in items)

    # And the audit trail says which automation created each
    audit = world.api("GET", f"/action-items/{by_kind['organizer']['id']}/audit").body["items"]
    assert audit[0]["type"] == "item_sent"
    assert audit[0]["actor"] == "system"
    assert audit[0]["details"]["automation"]["action"] == "create_organizer"
    assert audit[0]["details"]["automation"]["job_id"] == job["id"]
    assert audit[0]["details"]["automation"]["stage_id"] == setup["pipeline"]["stages"][0]["id"]


def test_the_automation_settings_win_over_the_template_field_by_field(world: World, setup: dict[str, Any]) -> None:
    job = _start(world, setup, stage=1)
    world.deliver_events()
    items = world.api("GET", f"/accounts/{setup['account']['id']}/action-items").body["items"]
    invoice = next(i for i in items if i["kind"] == "invoice")
    assert invoice["reminders"]["days_between"] == 7
    assert (invoice["reminders"]["enabled"], invoice["reminders"]["max_reminders"]) == (True, 5)
    assert invoice["invoice"]["due_date"] == "2026-12-27"
    chat = next(i for i in items if i["kind"] == "chat")
    assert chat["reminders"]["enabled"] is False
    assert chat["message"] == "Upload it here."
    assert job["stage_id"] == setup["pipeline"]["stages"][1]["id"]


def test_a_redelivered_event_runs_nothing_again(world: World, setup: dict[str, Any]) -> None:
    # Given an entry whose automations already ran
    _start(world, setup)
    world.deliver_events()
    entry = next(e for e in world.published if e["DetailType"] == "JobEnteredStage")

    # When EventBridge delivers the same event again
    world.published.append(entry)
    world.deliver_events()

    # Then no item or email was added
    items = world.api("GET", f"/accounts/{setup['account']['id']}/action-items").body["items"]
    assert len(items) == 2
    assert len(world.mail) == 4


def test_moving_a_job_runs_the_new_stages_automations(world: World, setup: dict[str, Any]) -> None:
    job = _start(world, setup)
    world.deliver_events()

    world.time.move_to(START + DAY)
    moved = world.api("POST", f"/jobs/{job['id']}/move", {"stage_id": setup["pipeline"]["stages"][1]["id"]})
    world.deliver_events()

    assert moved.status == 200
    assert moved.body["stage_id"] == setup["pipeline"]["stages"][1]["id"]
    items = world.api("GET", f"/accounts/{setup['account']['id']}/action-items").body["items"]
    assert sorted(i["kind"] for i in items) == ["chat", "invoice", "organizer", "proposal"]
    assert len(world.api("GET", f"/jobs/{job['id']}").body["item_ids"]) == 4


def test_a_stage_without_automations_creates_nothing(world: World, setup: dict[str, Any]) -> None:
    _start(world, setup, stage=2)
    [result] = world.deliver_events()
    assert result == {"status": "ran", "reason": None, "item_ids": [], "failed": []}
    assert world.mail == []


def test_archiving_a_job_stops_the_reminders_of_its_items_which_stay_pending(
    world: World, setup: dict[str, Any]
) -> None:
    # Given a job whose automations created items with reminders on
    job = _start(world, setup)
    world.deliver_events()

    # When the firm archives the job
    world.time.move_to(START + DAY)
    reply = world.api("POST", f"/jobs/{job['id']}/archive")

    # Then the job is archived, its items stay pending with reminders off, and no reminder is sent
    assert reply.status == 200
    assert reply.body["status"] == "archived"
    items = world.api("GET", f"/accounts/{setup['account']['id']}/action-items").body["items"]
    assert all(i["status"] == "pending" and i["reminders"]["enabled"] is False for i in items)
    assert world.scan(START + 20 * DAY)["due"] == 0
    audit = world.api("GET", f"/action-items/{items[0]['id']}/audit").body["items"]
    assert audit[-1]["type"] == "settings_changed"
    assert audit[-1]["details"]["reason"] == "job archived"
    # they can still be completed
    assert world.api("POST", f"/action-items/{items[0]['id']}/complete").body["status"] == "completed"
    # an archived job cannot move, and archiving twice changes nothing
    assert (
        world.api("POST", f"/jobs/{job['id']}/move", {"stage_id": setup["pipeline"]["stages"][1]["id"]}).status == 409
    )
    assert world.api("POST", f"/jobs/{job['id']}/archive").body == reply.body


def test_an_event_for_an_archived_job_runs_nothing(world: World, setup: dict[str, Any]) -> None:
    job = _start(world, setup)
    world.api("POST", f"/jobs/{job['id']}/archive")
    [result] = world.deliver_events()
    assert result["status"] == "dropped"
    assert world.mail == []


@pytest.mark.parametrize(
    "detail",
    [
        {},
        {"firm_id": "firm-a"},
        {**load_event("job_entered_stage.json")["detail"], "firm_id": "firm-a"},
        {**load_event("job_entered_stage.json")["detail"], "job_id": "not-a-job"},
    ],
)
def test_an_event_naming_unknown_things_is_dropped_not_retried(
    world: World, setup: dict[str, Any], detail: dict[str, Any]
) -> None:
    # Given an event from another system naming things that do not exist here
    event = {**load_event("job_entered_stage.json"), "detail": detail}

    # When the automations function gets it
    result = world.invoke_automations(event)

    # Then it is dropped (returned, not raised: EventBridge does not retry it) and nothing happens
    assert result["status"] == "dropped"
    assert world.mail == []


def test_the_sample_event_is_a_valid_event_for_unknown_things(world: World) -> None:
    assert world.invoke_automations(load_event("job_entered_stage.json"))["status"] == "dropped"


def test_another_system_may_publish_the_event(world: World, setup: dict[str, Any]) -> None:
    # Given a job, and another system announcing a new entry of it into the billing stage
    job = _start(world, setup, stage=2)
    world.deliver_events()
    event = load_event("job_entered_stage.json")
    event["source"] = "practice-manager"
    event["detail"] = {
        "firm_id": "firm-a",
        "pipeline_id": setup["pipeline"]["id"],
        "stage_id": setup["pipeline"]["stages"][1]["id"],
        "job_id": job["id"],
        "account_id": setup["account"]["id"],
        "entry_id": "ent_" + "7" * 32,
    }

    # When it reaches the automations function
    result = world.invoke_automations(event)

    # Then that stage's automations run
    assert result["status"] == "ran"
    assert len(result["item_ids"]) == 2


def test_two_firms_announcing_the_same_entry_id_each_get_their_automations_run(
    world: World, setup: dict[str, Any]
) -> None:
    # Given firm A's job entering its billing stage, announced by another system with entry id X
    job = _start(world, setup, stage=2)
    world.deliver_events()
    entry_id = "ent_" + "5" * 32
    first = load_event("job_entered_stage.json")
    first["detail"] = {
        "firm_id": "firm-a",
        "pipeline_id": setup["pipeline"]["id"],
        "stage_id": setup["pipeline"]["stages"][1]["id"],
        "job_id": job["id"],
        "account_id": setup["account"]["id"],
        "entry_id": entry_id,
    }
    assert world.invoke_automations(first)["status"] == "ran"

    # When firm B's own job enters a stage and its system happens to use the same entry id
    template = world.api("POST", "/templates", {"kind": "chat", "name": "B", "title": "Hello"}, firm="firm-b").body
    pipeline = world.api(
        "POST",
        "/pipelines",
        {
            "name": "B",
            "stages": [{"name": "S", "automations": [{"action": "send_message", "template_id": template["id"]}]}],
        },
        firm="firm-b",
    ).body
    account = world.create_account(firm="firm-b")
    stage = pipeline["stages"][0]["id"]
    job_b = world.api(
        "POST", f"/pipelines/{pipeline['id']}/jobs", {"account_id": account["id"], "stage_id": stage}, firm="firm-b"
    ).body
    second = load_event("job_entered_stage.json")
    second["detail"] = {
        "firm_id": "firm-b",
        "pipeline_id": pipeline["id"],
        "stage_id": stage,
        "job_id": job_b["id"],
        "account_id": account["id"],
        "entry_id": entry_id,
    }
    result = world.invoke_automations(second)

    # Then firm B's automations ran too (the idempotency key is the firm and the entry, not the
    # entry alone), creating firm B's item
    assert result["status"] == "ran"
    [item_id] = result["item_ids"]
    assert world.api("GET", f"/action-items/{item_id}", firm="firm-b").status == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Empty", "stages": []}, "stages"),
        ({"name": "No stages"}, "stages"),
        (
            {"name": "x", "stages": [{"name": "s", "automations": [{"action": "fly", "template_id": "CHAT"}]}]},
            "stages[0].automations[0].action",
        ),
        (
            {
                "name": "x",
                "stages": [
                    {
                        "name": "s",
                        "automations": [
                            {"action": "send_message", "template_id": "CHAT", "reminders": {"days_between": 0}}
                        ],
                    }
                ],
            },
            "stages[0].automations[0].reminders.days_between",
        ),
    ],
)
def test_invalid_pipelines_are_refused_and_nothing_is_created(
    world: World, setup: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    reply = world.api("POST", "/pipelines", _with_templates(world, setup, body))
    assert reply.status == 422, reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]


def _with_templates(world: World, setup: dict[str, Any], body: dict[str, Any]) -> Any:
    other_firm = world.api("POST", "/templates", {"kind": "chat", "name": "theirs"}, firm="firm-b").body["id"]
    text = (
        json.dumps(body)
        .replace("ORGANIZER", setup["templates"][0])
        .replace("OTHER_FIRM", other_firm)
        .replace("CHAT", setup["templates"][3])
    )
    return json.loads(text)


@pytest.mark.parametrize(
    ("action", "template"),
    [("send_proposal", "tpl_" + "0" * 32), ("create_invoice", "ORGANIZER"), ("send_message", "OTHER_FIRM")],
)
def test_automations_naming_templates_that_do_not_fit_are_conflicts(
    world: World, setup: dict[str, Any], action: str, template: str
) -> None:
    # Given an automation naming an unknown template, one of another kind, or another firm's
    body = {"name": "x", "stages": [{"name": "s", "automations": [{"action": action, "template_id": template}]}]}

    # When the pipeline is created
    reply = world.api("POST", "/pipelines", _with_templates(world, setup, body))

    # Then the well-formed id clashes with the stored templates: 409 naming it (was 422)
    assert (reply.status, reply.body["error"]["code"]) == (409, "conflict"), reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == ["stages[0].automations[0].template_id"]


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        # well-formed ids that name nothing of the pipeline or the firm: conflicts (were 422)
        ({"stage_id": "stg_" + "0" * 32}, 409, "stage_id"),
        ({"account_id": "acc_" + "0" * 32}, 409, "account_id"),
        ({"account_id": "OTHER_ACCOUNT"}, 409, "account_id"),
        ({"stage_id": None}, 422, "stage_id"),
    ],
)
def test_a_job_needs_a_stage_of_the_pipeline_and_an_account_of_the_firm(
    world: World, setup: dict[str, Any], change: dict[str, Any], status: int, field: str
) -> None:
    other = world.create_account(firm="firm-b")["id"]
    body = {"account_id": setup["account"]["id"], "stage_id": setup["pipeline"]["stages"][0]["id"], **change}
    body = {k: (other if v == "OTHER_ACCOUNT" else v) for k, v in body.items()}
    reply = world.api("POST", f"/pipelines/{setup['pipeline']['id']}/jobs", body)
    assert reply.status == status, reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]
    assert world.deliver_events() == []
    assert world.published == []


def test_another_firms_pipeline_and_job_are_not_found(world: World, setup: dict[str, Any]) -> None:
    job = _start(world, setup)
    pipeline = setup["pipeline"]
    assert world.api("GET", f"/pipelines/{pipeline['id']}", firm="firm-b").status == 404
    assert (
        world.api(
            "POST",
            f"/pipelines/{pipeline['id']}/jobs",
            {"account_id": "acc_" + "1" * 32, "stage_id": "stg_" + "1" * 32},
            firm="firm-b",
        ).status
        == 404
    )
    assert world.api("GET", f"/jobs/{job['id']}", firm="firm-b").status == 404
    assert (
        world.api("POST", f"/jobs/{job['id']}/move", {"stage_id": pipeline["stages"][1]["id"]}, firm="firm-b").status
        == 404
    )
    assert world.api("POST", f"/jobs/{job['id']}/archive", firm="firm-b").status == 404


def test_a_pipeline_refuses_an_invoice_template_without_terms(world: World) -> None:
    template_id = world.api("POST", "/templates", {"kind": "invoice", "name": "No terms", "title": "Fee"}).body["id"]
    automation = {"action": "create_invoice", "template_id": template_id}
    reply = world.api("POST", "/pipelines", {"name": "p", "stages": [{"name": "s", "automations": [automation]}]})
    assert reply.status == 409  # the stored template lacks the terms (was 422)
    assert reply.body["error"]["details"][0]["field"] == "stages[0].automations[0].template_id"


def test_an_automation_with_a_template_without_a_title_titles_the_item_with_the_templates_name(world: World) -> None:
    # Given a pipeline whose automation uses a template that has a name but no title
    template_id = world.api("POST", "/templates", {"kind": "organizer", "name": "Year-end organizer"}).body["id"]
    automation = {"action": "create_organizer", "template_id": template_id}
    pipeline = world.api("POST", "/pipelines", {"name": "p", "stages": [{"name": "s", "automations": [automation]}]})
    assert pipeline.status == 201, pipeline.body
    account = world.create_account()

    # When a job enters the stage and the automation runs
    body = {"account_id": account["id"], "stage_id": pipeline.body["stages"][0]["id"]}
    assert world.api("POST", f"/pipelines/{pipeline.body['id']}/jobs", body).status == 201
    world.deliver_events()

    # Then the item it created carries the template's name as its title
    [item] = world.api("GET", f"/accounts/{account['id']}/action-items").body["items"]
    assert item["title"] == "Year-end organizer"
