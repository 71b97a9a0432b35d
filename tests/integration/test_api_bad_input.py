"""Bad input on every endpoint: a clear 4xx in the SPEC §5 error shape, nothing written, no mail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.api import handler as api_handler
from tests.support.aws import table_snapshot
from tests.support.events import FakeLambdaContext, api_event
from tests.support.world import World

MISSING_ACCOUNT = "acc_00000000000000000000000000000000"
MISSING_ITEM = "itm_00000000000000000000000000000000"


@pytest.fixture(scope="module")
def seeded_data(module_world: World) -> dict[str, Any]:
    account = module_world.create_account()
    item = module_world.send_item(account["id"], reminders={"enabled": True})
    module_world.send_item(account["id"], kind="approval", title="Financial statements 2025")
    return {"account": account["id"], "contact": account["contacts"][0]["id"], "item": item["id"]}


@pytest.fixture
def world(shared_world: World) -> World:
    """Every test here is refused and changes nothing, so they share one seeded world."""
    return shared_world


@pytest.fixture
def seeded(seeded_data: dict[str, Any], world: World) -> dict[str, Any]:
    return seeded_data


def _path(template: str, seeded: dict[str, Any]) -> str:
    return template.format(**seeded)


ITEM_PATHS = [
    ("GET", "/action-items/{id}"),
    ("PATCH", "/action-items/{id}"),
    ("PATCH", "/action-items/{id}/reminders"),
    ("POST", "/action-items/{id}/resend"),
    ("POST", "/action-items/{id}/complete"),
    ("GET", "/action-items/{id}/audit"),
    ("POST", "/action-items/{id}/cancel"),
    ("POST", "/action-items/{id}/payments"),
]
OTHER_PATHS = [
    ("GET", "/templates/{id}"),
    ("PATCH", "/templates/{id}"),
    ("GET", "/pipelines/{id}"),
    ("POST", "/pipelines/{id}/jobs"),
    ("GET", "/jobs/{id}"),
    ("POST", "/jobs/{id}/move"),
    ("POST", "/jobs/{id}/archive"),
]
ACCOUNT_PATHS = [
    ("GET", "/accounts/{id}"),
    ("PATCH", "/accounts/{id}"),
    ("POST", "/accounts/{id}/contacts"),
    ("POST", "/accounts/{id}/action-items"),
    ("GET", "/accounts/{id}/action-items"),
    ("GET", "/accounts/{id}/tasks"),
    ("GET", "/accounts/{id}/audit"),
]
VALID_BODIES = {
    "/payments": {"amount": "1"},
    "/templates/{id}": {"name": "n"},
    "/accounts/{id}": {"time_zone": "Europe/Lisbon"},
    "/jobs": {"account_id": "acc_" + "1" * 32, "stage_id": "stg_" + "1" * 32},
    "/move": {"stage_id": "stg_" + "1" * 32},
    "/reminders": {"enabled": False},
    "/contacts": {"name": "Eva", "email": "eva@client.example.com"},
    "/action-items": {"kind": "organizer", "title": "x"},
    "/action-items/{id}": {"due_date": "2026-12-01"},
}


def _valid_body(method: str, template: str) -> dict[str, Any] | None:
    if method in {"GET"}:
        return None
    return next((body for suffix, body in VALID_BODIES.items() if template.endswith(suffix)), {})


@pytest.mark.parametrize(("method", "template"), ITEM_PATHS + ACCOUNT_PATHS + OTHER_PATHS)
@pytest.mark.parametrize(
    "identifier",
    [MISSING_ITEM, MISSING_ACCOUNT, "not-an-id", "itm_" + "0" * 5000, "%00", "' OR 1=1 --"],
)
def test_unknown_or_malformed_ids_are_not_found(
    world: World, seeded: dict[str, Any], method: str, template: str, identifier: str
) -> None:
    # Given a firm with data, and a path naming something that is not there
    before, mail = table_snapshot(), len(world.mail)
    path = template.format(id=identifier)

    # When it is called with an otherwise valid request
    reply = world.api(method, path, _valid_body(method, template))

    # Then 404, in the error shape, and nothing changed
    assert reply.status == 404, reply.body
    assert reply.error_code == "not_found"
    assert reply.body["error"]["message"]
    assert table_snapshot() == before
    assert len(world.mail) == mail


@pytest.mark.parametrize(("method", "template"), ITEM_PATHS + ACCOUNT_PATHS)
def test_another_firms_ids_are_not_found(world: World, seeded: dict[str, Any], method: str, template: str) -> None:
    # Given firm A's account and item, and firm B calling with their ids
    before, mail = table_snapshot(), len(world.mail)
    identifier = seeded["item"] if template.startswith("/action-items") else seeded["account"]
    path = template.format(id=identifier)

    # When firm B calls
    reply = world.api(method, path, _valid_body(method, template), firm="firm-b")

    # Then it behaves exactly like an id that does not exist
    assert reply.status == 404
    assert reply.error_code == "not_found"
    assert table_snapshot() == before
    assert len(world.mail) == mail


def test_another_firms_contact_cannot_be_changed(world: World, seeded: dict[str, Any]) -> None:
    before = table_snapshot()
    reply = world.api(
        "PATCH", f"/accounts/{seeded['account']}/contacts/{seeded['contact']}", {"notify": False}, firm="firm-b"
    )
    assert reply.status == 404
    assert table_snapshot() == before


def test_unknown_contact_is_not_found(world: World, seeded: dict[str, Any]) -> None:
    reply = world.api("PATCH", f"/accounts/{seeded['account']}/contacts/ct_{'0' * 32}", {"notify": False})
    assert (reply.status, reply.error_code) == (404, "not_found")


@pytest.mark.parametrize(
    "claims",
    [
        {},
        {"sub": "user-1"},
        {"custom:firm_id": "firm-a"},
        {"sub": "", "custom:firm_id": "firm-a"},
        {"sub": "user-1", "custom:firm_id": "firm a; DROP"},
        {"sub": "user-1", "custom:firm_id": "x" * 500},
    ],
)
@pytest.mark.parametrize(("method", "path"), [("GET", "/firm"), ("POST", "/accounts"), ("GET", "/nowhere")])
def test_requests_without_usable_claims_are_unauthorized(
    world: World, claims: dict[str, str], method: str, path: str
) -> None:
    before = table_snapshot()
    # a malformed body too: authentication is checked first
    reply = world.api(method, path, "{not json", claims=claims)
    assert reply.status == 401
    assert reply.body["error"]["code"] == "unauthorized"
    assert table_snapshot() == before


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("PUT", "/firm"),
        ("POST", "/accounts"),
        ("PATCH", "/accounts/{account}"),
        ("POST", "/accounts/{account}/contacts"),
        ("PATCH", "/accounts/{account}/contacts/{contact}"),
        ("POST", "/accounts/{account}/action-items"),
        ("PATCH", "/action-items/{item}"),
        ("PATCH", "/action-items/{item}/reminders"),
        ("POST", "/action-items/{item}/resend"),
        ("POST", "/action-items/{item}/complete"),
        ("POST", "/action-items/{item}/payments"),
        ("POST", "/templates"),
        ("POST", "/pipelines"),
        ("POST", "/approvals/request-pending"),
    ],
)
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('"text"', "must be a JSON object"),
        ("42", "must be a JSON object"),
    ],
)
def test_malformed_bodies_are_bad_requests(
    world: World, seeded: dict[str, Any], method: str, template: str, body: str, message: str
) -> None:
    before, mail = table_snapshot(), len(world.mail)
    reply = world.api(method, _path(template, seeded), body)
    assert reply.status == 400, reply.body
    assert reply.error_code == "bad_request"
    assert message in reply.body["error"]["message"]
    assert table_snapshot() == before
    assert len(world.mail) == mail


@pytest.mark.parametrize(
    ("method", "template"),
    [
        ("PUT", "/firm"),
        ("POST", "/accounts"),
        ("PATCH", "/accounts/{account}"),
        ("POST", "/accounts/{account}/contacts"),
        ("PATCH", "/accounts/{account}/contacts/{contact}"),
        ("POST", "/accounts/{account}/action-items"),
        ("PATCH", "/action-items/{item}"),
        ("PATCH", "/action-items/{item}/reminders"),
    ],
)
def test_a_missing_body_is_a_bad_request_where_one_is_needed(
    world: World, seeded: dict[str, Any], method: str, template: str
) -> None:
    before = table_snapshot()
    reply = world.api(method, _path(template, seeded), None)
    assert (reply.status, reply.error_code) == (400, "bad_request")
    assert table_snapshot() == before


LONG = "x" * 501


ITEMS = "/accounts/{account}/action-items"


def with_reminders(due_date: str | None = None, **reminders: Any) -> dict[str, Any]:
    """An organizer whose fields are valid but for its reminders."""
    body = {"kind": "organizer", "title": "t", "reminders": reminders}
    return body if due_date is None else {**body, "due_date": due_date}


def invoice_item(**invoice: str) -> dict[str, Any]:
    """An invoice item whose invoice fields are valid but for `invoice`."""
    return {
        "kind": "invoice",
        "title": "t",
        "invoice": {"amount": "1", "currency": "USD", "due_date": "2026-12-01", **invoice},
    }


LONG_MESSAGE = "m" * 5001
NINE_TO_FIVE = {"start": "09:00", "end": "17:00"}
HOURS_START, HOURS_END = ["sending_hours.start"], ["sending_hours.end"]
HOURS_DAYS, HOURS_DAY_1 = ["sending_hours.days"], ["sending_hours.days[1]"]
DUE = ["due_date"]

INVALID_FIELDS = [
    ("PUT", "/firm", {"name": ""}, ["name"]),
    ("PUT", "/firm", {"name": LONG}, ["name"]),
    ("PUT", "/firm", {"name": "F", "reply_to": "not-an-email"}, ["reply_to"]),
    ("PUT", "/firm", {"name": "F", "portal_url": "javascript:alert(1)"}, ["portal_url"]),
    ("PUT", "/firm", {"name": "F", "colour": "blue"}, ["colour"]),
    # the client's time (SPEC R16)
    ("PUT", "/firm", {"name": "F", "time_zone": "Mars/Olympus_Mons"}, ["time_zone"]),
    ("PUT", "/firm", {"name": "F", "time_zone": "europe/lisbon"}, ["time_zone"]),
    ("PUT", "/firm", {"name": "F", "time_zone": None}, ["time_zone"]),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon"], "start": "17:00", "end": "09:00"}}, HOURS_END),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon"], "start": "09:00", "end": "09:00"}}, HOURS_END),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon", "funday"], **NINE_TO_FIVE}}, HOURS_DAY_1),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["Mon"], **NINE_TO_FIVE}}, ["sending_hours.days[0]"]),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon", "mon"], **NINE_TO_FIVE}}, HOURS_DAYS),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": [], **NINE_TO_FIVE}}, HOURS_DAYS),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon"], "start": "9:00", "end": "17:00"}}, HOURS_START),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon"], "start": "09:00", "end": "24:00"}}, HOURS_END),
    ("PUT", "/firm", {"name": "F", "sending_hours": {"days": ["mon"], "start": "09:00"}}, HOURS_END),
    (
        "PUT",
        "/firm",
        {"name": "F", "sending_hours": {"days": ["mon"], **NINE_TO_FIVE, "tz": "UTC"}},
        ["sending_hours.tz"],
    ),
    ("POST", "/accounts", {"name": "A", "time_zone": "Atlantis/Capital"}, ["time_zone"]),
    ("PATCH", "/accounts/{account}", {}, [None]),
    ("PATCH", "/accounts/{account}", {"time_zone": "GMT+25"}, ["time_zone"]),
    ("PATCH", "/accounts/{account}", {"name": None}, ["name"]),
    ("PATCH", "/accounts/{account}", {"language": "fr"}, ["language"]),
    ("PATCH", "/accounts/{account}", {"contacts": []}, ["contacts"]),
    ("POST", "/accounts", {"name": "A", "language": "fr"}, ["language"]),
    # the four languages are BCP 47 tags spelled exactly; "pt" alone is the one alias (pt-PT)
    *(
        ("POST", "/accounts", {"name": "A", "language": language}, ["language"])
        for language in ("pt-pt", "PT-BR", "pt_BR", "es-ES", "br", "", None)
    ),
    ("PATCH", "/accounts/{account}", {"language": "pt-br"}, ["language"]),
    ("POST", "/accounts", {"language": "en"}, ["name"]),
    ("POST", "/accounts", {"name": "A", "contacts": [{"name": "B", "email": "b@@x.com"}]}, ["contacts[0].email"]),
    ("POST", "/accounts", {"name": "A", "contacts": [{"name": "B", "email": "Bob <b@x.com>"}]}, ["contacts[0].email"]),
    ("POST", "/accounts", {"name": "A", "contacts": [{"name": "B", "email": "b@localhost"}]}, ["contacts[0].email"]),
    (
        "POST",
        "/accounts",
        {"name": "A", "contacts": [{"name": "B", "email": "b@x.com", "notify": "yes"}]},
        ["contacts[0].notify"],
    ),
    (
        "POST",
        "/accounts",
        {"name": "A", "contacts": [{"name": "B", "email": "b@x.com"}, {"name": "C", "email": "B@X.com"}]},
        ["email"],
    ),
    ("POST", "/accounts/{account}/contacts", {"name": LONG, "email": "z@x.com"}, ["name"]),
    ("PATCH", "/accounts/{account}/contacts/{contact}", {}, [None]),
    ("PATCH", "/accounts/{account}/contacts/{contact}", {"notify": None}, ["notify"]),
    ("PATCH", "/accounts/{account}/contacts/{contact}", {"name": None}, ["name"]),
    ("POST", "/accounts/{account}/action-items", {"kind": "tax", "title": "t"}, ["kind"]),
    ("POST", "/accounts/{account}/action-items", {"kind": "organizer"}, ["title"]),
    ("POST", "/accounts/{account}/action-items", {"kind": "organizer", "title": LONG}, ["title"]),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "message": LONG_MESSAGE},
        ["message"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "reminders": {"days_between": 0}},
        ["reminders.days_between"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "reminders": {"days_between": 366}},
        ["reminders.days_between"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "reminders": {"max_reminders": 51}},
        ["reminders.max_reminders"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "reminders": {"max_reminders": "2"}},
        ["reminders.max_reminders"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "reminders": {"days_betwen": 2}},
        ["reminders.days_betwen"],
    ),
    ("POST", "/accounts/{account}/action-items", {"kind": "invoice", "title": "t"}, ["invoice"]),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "invoice": {"amount": "1", "currency": "USD", "due_date": "2026-12-01"}},
        None,
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(amount="-1"),
        ["invoice.amount"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(amount="0"),
        ["invoice.amount"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(amount="1.005"),
        ["invoice.amount"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(amount="NaN"),
        ["invoice.amount"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(amount="1e30"),
        ["invoice.amount"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(currency="usd"),
        ["invoice.currency"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        invoice_item(due_date="2026-13-01"),
        ["invoice.due_date"],
    ),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "template_id": "tpl_unknown"},
        ["template_id"],
    ),
    # due dates (SPEC R19)
    ("POST", "/accounts/{account}/action-items", {"kind": "organizer", "title": "t", "due_date": "2026-02-30"}, DUE),
    ("POST", "/accounts/{account}/action-items", {"kind": "organizer", "title": "t", "due_date": "15/12/2026"}, DUE),
    (
        "POST",
        "/accounts/{account}/action-items",
        {**invoice_item(due_date="2026-12-01"), "due_date": "2026-12-02"},
        DUE,
    ),
    ("PATCH", "/action-items/{item}", {}, [None]),
    ("PATCH", "/action-items/{item}", {"due_date": "2026-12-32"}, DUE),
    ("PATCH", "/action-items/{item}", {"due_date": 20261201}, DUE),
    ("PATCH", "/action-items/{item}", {"title": "t"}, ["title"]),
    ("POST", "/templates", {"kind": "organizer", "name": "n", "due_in_days": -1}, ["due_in_days"]),
    ("POST", "/templates", {"kind": "organizer", "name": "n", "due_in_days": 366}, ["due_in_days"]),
    ("POST", "/templates", {"kind": "organizer", "name": "n", "due_in_days": "7"}, ["due_in_days"]),
    # due-date schedules (SPEC R19)
    ("POST", ITEMS, with_reminders(steps=[]), ["reminders.steps"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": n} for n in range(11)]), ["reminders.steps"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": -91}]), ["reminders.steps[0].days"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 0}, {"days": 366}]), ["reminders.steps[1].days"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": "3"}]), ["reminders.steps[0].days"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 1.5}]), ["reminders.steps[0].days"]),
    ("POST", ITEMS, with_reminders(steps=[{}]), ["reminders.steps[0].days"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 0, "tone": "angry"}]), ["reminders.steps[0].tone"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 0, "at": "09:00"}]), ["reminders.steps[0].at"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 3}, {"days": -3}]), ["reminders.steps[1].days"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 3}, {"days": 3}]), ["reminders.steps[1].days"]),
    ("POST", ITEMS, with_reminders(steps=[{"days": 0, "tone": "final"}, {"days": 3}]), ["reminders.steps[0].tone"]),
    ("POST", ITEMS, with_reminders(schedule="weekly"), ["reminders.schedule"]),
    ("POST", ITEMS, with_reminders(schedule="due_date", steps=[{"days": 0}]), ["reminders.schedule"]),
    ("POST", ITEMS, with_reminders(schedule="due_date", due_date="2026-12-01"), ["reminders.steps"]),
    (
        "POST",
        ITEMS,
        with_reminders(schedule="due_date", steps=[{"days": 0}], max_reminders=2, due_date="2026-12-01"),
        ["reminders.max_reminders"],
    ),
    ("POST", ITEMS, with_reminders(escalate_after_days=0), ["reminders.escalate_after_days"]),
    ("POST", ITEMS, with_reminders(escalate_after_days=61), ["reminders.escalate_after_days"]),
    ("PATCH", "/action-items/{item}/reminders", {"schedule": "due_date", "steps": [{"days": 0}]}, ["schedule"]),
    ("PATCH", "/action-items/{item}/reminders", {"schedule": None}, ["schedule"]),
    ("PATCH", "/action-items/{item}/reminders", {"steps": None}, ["steps"]),
    ("PATCH", "/action-items/{item}/reminders", {"steps": [{"days": 2}, {"days": 1}]}, ["steps[1].days"]),
    ("PATCH", "/action-items/{item}/reminders", {"escalate_after_days": "7"}, ["escalate_after_days"]),
    (
        "POST",
        "/templates",
        {"kind": "organizer", "name": "n", "reminders": {"steps": [{"days": 1}, {"days": 1}]}},
        ["reminders.steps[1].days"],
    ),
    ("PATCH", "/action-items/{item}/reminders", {}, [None]),
    ("PATCH", "/action-items/{item}/reminders", {"enabled": "true"}, ["enabled"]),
    ("PATCH", "/action-items/{item}/reminders", {"enabled": None}, ["enabled"]),
    ("PATCH", "/action-items/{item}/reminders", {"days_between": 2.5}, ["days_between"]),
    ("PATCH", "/action-items/{item}/reminders", {"max_reminders": 0}, ["max_reminders"]),
    ("PATCH", "/action-items/{item}/reminders", {"sent": 3}, ["sent"]),
    ("POST", "/action-items/{item}/resend", {"message": LONG_MESSAGE}, ["message"]),
    ("POST", "/action-items/{item}/resend", {"msg": "hi"}, ["msg"]),
    ("POST", "/action-items/{item}/complete", {"via": "telepathy"}, ["via"]),
]
# Well-formed requests that clash with stored data: 409 conflict naming the field (the contract
# changed from 422 so that every request the document allows is either done or a documented
# conflict; SPEC section 5: 409 for a conflict with the state).
CONFLICTS = [
    ("POST", "/accounts/{account}/contacts", {"name": "Ana again", "email": "ana@client.example.com"}, ["email"]),
    ("PATCH", "/accounts/{account}/contacts/{contact}", {"email": "bruno@client.example.com"}, ["email"]),
    ("POST", "/action-items/{item}/complete", {"via": "read"}, ["via"]),
    (
        "POST",
        "/accounts/{account}/action-items",
        {"kind": "organizer", "title": "t", "template_id": "tpl_00000000000000000000000000000000"},
        ["template_id"],
    ),
]


@pytest.mark.parametrize(("method", "template", "body", "fields"), INVALID_FIELDS)
def test_invalid_fields_are_validation_errors_naming_each_field(
    world: World,
    seeded: dict[str, Any],
    method: str,
    template: str,
    body: dict[str, Any],
    fields: list[str | None] | None,
) -> None:
    # Given a firm with data
    before, mail = table_snapshot(), len(world.mail)

    # When a request carries invalid fields
    reply = world.api(method, _path(template, seeded), body)

    # Then 422 names each field, and nothing changed
    assert reply.status == 422, reply.body
    assert reply.error_code == "validation_error"
    details = reply.body["error"]["details"]
    assert details
    assert all(d["message"] for d in details)
    if fields is not None:
        assert [d["field"] for d in details] == fields
    assert table_snapshot() == before
    assert len(world.mail) == mail


@pytest.mark.parametrize(("method", "template", "body", "fields"), CONFLICTS)
def test_requests_that_clash_with_stored_data_are_conflicts_naming_the_field(
    world: World,
    seeded: dict[str, Any],
    method: str,
    template: str,
    body: dict[str, Any],
    fields: list[str],
) -> None:
    # Given a firm with data
    before, mail = table_snapshot(), len(world.mail)

    # When a well-formed request names or repeats something that clashes with what is stored
    reply = world.api(method, _path(template, seeded), body)

    # Then 409 names the field, and nothing changed
    assert (reply.status, reply.error_code) == (409, "conflict"), reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == fields
    assert all(d["message"] for d in reply.body["error"]["details"])
    assert table_snapshot() == before
    assert len(world.mail) == mail


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"status": "archived"}, 422, "status"),
        ({"limit": "0"}, 422, "limit"),
        ({"limit": "101"}, 422, "limit"),
        ({"limit": "ten"}, 422, "limit"),
        ({"next_token": "garbage!"}, 400, "next_token"),
        ({"next_token": "eyJwayI6IkZJUk0jZmlybS1iIn0"}, 400, "next_token"),
        ({"next_token": "x" * 3000}, 400, "next_token"),
    ],
)
@pytest.mark.parametrize(
    "listing",
    [
        "/accounts/{account}/action-items",
        "/accounts/{account}/tasks",
        "/accounts/{account}/audit",
        "/action-items/{item}/audit",
    ],
)
def test_bad_query_parameters_are_rejected_clearly(
    world: World, seeded: dict[str, Any], query: dict[str, str], status: int, field: str, listing: str
) -> None:
    if "status" in query and not listing.endswith("action-items"):
        pytest.skip("only the item listing filters by status")
    reply = world.api("GET", _path(listing, seeded), query=query)
    assert reply.status == status, reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]


def test_a_token_from_another_listing_is_rejected(world: World, seeded: dict[str, Any]) -> None:
    # Given a next_token from one account's audit listing
    token = world.api("GET", f"/accounts/{seeded['account']}/audit", query={"limit": "1"}).body["next_token"]
    assert token is not None

    # When it is used on the item listing of that account
    reply = world.api("GET", f"/accounts/{seeded['account']}/action-items", query={"limit": "1", "next_token": token})

    # Then it is refused
    assert (reply.status, reply.error_code) == (400, "bad_request")


def test_a_well_formed_token_the_listing_did_not_issue_reads_as_the_position_it_names(
    world: World, seeded: dict[str, Any]
) -> None:
    # Given the account's two pending items, and the token after the first of them
    path = f"/accounts/{seeded['account']}/action-items"
    pending = world.api("GET", path, query={"status": "pending"}).body["items"]
    token = world.api("GET", path, query={"limit": "1", "status": "pending"}).body["next_token"]
    assert len(pending) == 2
    assert token is not None

    # When it is used with another status filter, and without one
    completed = world.api("GET", path, query={"status": "completed", "next_token": token})
    unfiltered = world.api("GET", path, query={"next_token": token})
    # and a made-up token of the documented shape names a position before every pending item
    made_up = f"cancelled.20260101T000000000000Z.itm_{'0' * 32}"
    from_before = world.api("GET", path, query={"status": "pending", "next_token": made_up})

    # Then each is a page of what follows the position, never an error
    assert (completed.status, completed.body) == (200, {"items": [], "next_token": None})
    assert (unfiltered.status, [i["id"] for i in unfiltered.body["items"]]) == (200, [pending[1]["id"]])
    assert (from_before.status, [i["id"] for i in from_before.body["items"]]) == (200, [i["id"] for i in pending])


def test_unknown_routes_are_not_found(world: World) -> None:
    reply = world.api("DELETE", "/firm")
    assert (reply.status, reply.error_code) == (404, "not_found")


@pytest.mark.parametrize(
    ("body", "headers", "base64", "message"),
    [
        ("[" * 20_000 + "]" * 20_000, {}, False, "nested too deeply"),
        ("//79", {}, True, "not UTF-8"),
        ('{"name": "x"}', {"content-type": "text/plain"}, False, "must be JSON"),
        ("name=x", {"content-type": "application/x-www-form-urlencoded"}, False, "must be JSON"),
        # JSON may escape half a UTF-16 pair; the text it stands for is no Unicode, and no AWS
        # service stores or sends it (these were a 500, and branding holding one made sends a 500)
        ('{"name": "Souza \\ud800 Family"}', {}, False, "not valid Unicode"),
        (
            '{"name": "x", "contacts": [{"name": "\\udc00", "email": "a@x.example.com"}]}',
            {},
            False,
            "not valid Unicode",
        ),
        ('{"\\ud800": "x"}', {}, False, "not valid Unicode"),
    ],
)
def test_bodies_that_are_not_json_text_are_bad_requests(
    world: World, seeded: dict[str, Any], body: str, headers: dict[str, str], base64: bool, message: str
) -> None:
    event = api_event("POST", "/accounts", body, claims={"sub": "user-1", "custom:firm_id": "firm-a"}, headers=headers)
    event["isBase64Encoded"] = base64
    before = table_snapshot()
    response = api_handler.lambda_handler(event, FakeLambdaContext())
    assert response["statusCode"] == 400
    assert message in json.loads(response["body"])["error"]["message"]
    assert table_snapshot() == before


def test_an_account_holds_at_most_fifty_contacts(world: World, seeded: dict[str, Any]) -> None:
    account = world.create_account(contacts=[{"name": f"P{n}", "email": f"p{n}@x.example.com"} for n in range(50)])
    reply = world.api(
        "POST", f"/accounts/{account['id']}/contacts", {"name": "One more", "email": "more@x.example.com"}
    )
    # a full account is a conflict with what is stored, not an invalid contact (was 422)
    assert (reply.status, reply.error_code) == (409, "conflict")
    assert "at most 50" in reply.body["error"]["message"]


@pytest.mark.parametrize("name", ["Silva\r\nBcc: victim@example.org", "Tab\tinside", "null\x00byte"])
def test_names_with_control_characters_are_refused(world: World, seeded: dict[str, Any], name: str) -> None:
    reply = world.api("PUT", "/firm", {"name": name})
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["field"] == "name"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PUT", "/email-templates/organizer/reminder/en", '{"subject": "\\ud800", "body": "b"}'),
        ("PUT", "/email-templates/organizer/reminder/en", '{"subject": "s", "body": "\\udc00"}'),
        ("PUT", "/firm", '{"name": "Silva", "branding": {"logo_url": "https://x.example/\\ud800.png"}}'),
        ("PUT", "/firm", '{"name": "Silva", "branding": {"signature": "Maria \\udc00 Silva"}}'),
    ],
)
def test_an_unpaired_surrogate_is_refused_where_a_check_of_its_own_reads_the_text(
    world: World, seeded: dict[str, Any], method: str, path: str, body: str
) -> None:
    before = table_snapshot()
    reply = world.api(method, path, body)
    assert (reply.status, reply.error_code) == (400, "bad_request")
    assert "not valid Unicode" in reply.body["error"]["message"]
    assert table_snapshot() == before
