"""The OpenAPI document tells the truth (SPEC R18): for each rule the schema fuzzer found the
document silent or wrong about, the document states it and the api handler keeps to it.
(tests/contract fuzzes all of it; these are the cases the issue named, one by one.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from devtools.local.swagger import openapi_document
from tests.support.world import World


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = document["components"]["schemas"][name]
    return found


def test_patch_bodies_need_a_field_and_refuse_null_as_documented(world: World, document: dict[str, Any]) -> None:
    # The document: at least one field, none nullable but those whose null means something (the
    # first word of the name, the account's own time zone or pause, no due date, no escalation)
    meaningful_nulls = {
        "RemindersPatch": {"escalate_after_days"},
        "ContactPatch": {"first_name"},
        "TemplatePatch": {"due_in_days"},
        "AccountPatch": {"time_zone", "reminders_paused_until"},
        "ItemPatch": {"due_date"},
    }
    for name, nullable in meaningful_nulls.items():
        patch = schema(document, name)
        assert patch["minProperties"] == 1
        null_allowed = {f for f, field in patch["properties"].items() if {"type": "null"} in field.get("anyOf", [])}
        assert null_allowed == nullable, name

    # The server: an empty PATCH and a null field are refused, naming the field
    account = world.create_account()
    item = world.send_item(account["id"])
    assert world.api("PATCH", f"/action-items/{item['id']}/reminders", {}).status == 422
    reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"enabled": None})
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["field"] == "enabled"


def test_an_integer_valued_number_is_an_integer(world: World, document: dict[str, Any]) -> None:
    # JSON Schema counts 247.0 as an integer; so does the server now
    assert schema(document, "RemindersPatch")["properties"]["days_between"]["type"] == "integer"
    account = world.create_account()
    item = world.send_item(account["id"])

    reply = world.api("PATCH", f"/action-items/{item['id']}/reminders", {"days_between": 247.0, "max_reminders": 2.0})

    assert reply.status == 200, reply.body
    assert (reply.body["reminders"]["days_between"], reply.body["reminders"]["max_reminders"]) == (247, 2)
    # and neither a fraction, a string nor a boolean is one
    for value in (247.5, "247", True):
        assert world.api("PATCH", f"/action-items/{item['id']}/reminders", {"days_between": value}).status == 422


def test_templates_are_of_four_kinds_told_apart_by_kind(world: World, document: dict[str, Any]) -> None:
    # The document: one body whose `kind` picks the fields, invoice terms for invoice templates only
    kinds = schema(document, "TemplateKind")["enum"]
    assert sorted(kinds) == ["chat", "invoice", "organizer", "proposal"]
    template_in = schema(document, "TemplateIn")
    assert template_in["discriminator"]["propertyName"] == "kind"
    assert sorted(template_in["discriminator"]["mapping"]) == sorted(kinds)
    assert "invoice" in schema(document, "InvoiceTemplateIn")["properties"]
    assert "invoice" not in schema(document, "OtherTemplateIn")["properties"]

    # The server: another kind, and invoice terms on a chat template, are refused naming the field
    reply = world.api("POST", "/templates", {"kind": "signature", "name": "Sign here"})
    assert reply.status == 422
    assert reply.body["error"]["details"][0]["field"] == "kind"
    terms = {"amount": "10.00", "currency": "USD", "due_in_days": 10}
    reply = world.api("POST", "/templates", {"kind": "chat", "name": "Hello", "invoice": terms})
    assert (reply.status, [d["field"] for d in reply.body["error"]["details"]]) == (422, ["invoice"])
    reply = world.api("POST", "/templates", {"kind": "invoice", "name": "Fee", "invoice": {**terms, "amount": "x"}})
    assert (reply.status, [d["field"] for d in reply.body["error"]["details"]]) == (422, ["invoice.amount"])


def test_emails_are_documented_as_the_server_checks_them(world: World, document: dict[str, Any]) -> None:
    email = schema(document, "ContactIn")["properties"]["email"]
    assert email["format"] == "email"
    assert email["pattern"].startswith("^")
    account = world.create_account(contacts=[])
    path = f"/accounts/{account['id']}/contacts"
    assert world.api("POST", path, {"name": "Eva", "email": "eva.o'neil+tax@mail.client.example"}).status == 201
    for refused in ("eva@localhost", "eva@[127.0.0.1]", " eva@example.com", "x" * 65 + "@example.com"):
        assert world.api("POST", path, {"name": "Eva", "email": refused}).status == 422, refused


def test_amounts_are_decimal_strings_with_their_limits(world: World, document: dict[str, Any]) -> None:
    amount = schema(document, "PaymentIn")["properties"]["amount"]
    assert amount["type"] == "string"
    assert amount["pattern"]
    account = world.create_account()
    invoice = {"amount": "100.00", "currency": "USD", "due_date": "2026-12-31"}
    item = world.send_item(account["id"], kind="invoice", title="Fee", invoice=invoice)
    path = f"/action-items/{item['id']}/payments"

    for refused in (12.5, "12.555", "0.00", "-1", "1e3"):
        reply = world.api("POST", path, {"amount": refused})
        assert reply.status == 422, refused
        assert reply.body["error"]["details"][0]["field"] == "amount"
    assert world.api("POST", path, {"amount": "12.5"}).body["invoice"]["amount_paid"] == "12.50"


def test_page_tokens_have_a_documented_shape_and_an_empty_one_is_the_first_page(
    world: World, document: dict[str, Any]
) -> None:
    [token] = [p for p in document["paths"]["/templates"]["get"]["parameters"] if p["name"] == "next_token"]
    pattern = token["schema"]["pattern"]
    assert "(?P<" not in pattern  # ECMA-262, as JSON Schema patterns are
    assert re.fullmatch(pattern, "20261127T090000000000Z.tpl_0123456789abcdef0123456789abcdef")
    assert world.api("GET", "/templates", query={"next_token": ""}).status == 200
    assert world.api("GET", "/templates", query={"next_token": "not a token!"}).status == 400


def test_every_route_documents_the_401_and_429_api_gateway_answers_itself(document: dict[str, Any]) -> None:
    gateway = {"$ref": "#/components/schemas/GatewayMessage"}
    assert schema(document, "GatewayMessage")["required"] == ["message"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            unauthorized = operation["responses"]["401"]["content"]["application/json"]["schema"]
            throttled = operation["responses"]["429"]["content"]["application/json"]["schema"]
            assert gateway in unauthorized["anyOf"], (method, path)
            assert throttled == gateway or gateway in throttled["anyOf"], (method, path)


def test_every_post_documents_the_idempotency_key_and_the_resend_its_cooldown(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        if "post" in operations:
            headers = [p for p in operations["post"]["parameters"] if p["in"] == "header"]
            assert [h["name"] for h in headers] == ["Idempotency-Key"], path
            assert headers[0]["schema"]["maxLength"] == 255
            assert "409" in operations["post"]["responses"]
    limited = document["paths"]["/action-items/{item_id}/resend"]["post"]["responses"]["429"]
    assert "Retry-After" in limited["headers"]
    assert "rate_limited" in limited["description"]


def test_optional_bodies_are_objects_never_null(world: World, document: dict[str, Any]) -> None:
    body = document["paths"]["/action-items/{item_id}/resend"]["post"]["requestBody"]
    assert body.get("required", False) is False
    assert body["content"]["application/json"]["schema"]["$ref"] == "#/components/schemas/ResendIn"
    account = world.create_account()
    item = world.send_item(account["id"])
    assert world.api("POST", f"/action-items/{item['id']}/resend", "null").status == 400
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202
