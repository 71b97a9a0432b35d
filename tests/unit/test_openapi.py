"""openapi.json, committed at the repository root, is the API's OpenAPI document as the code
generates it (Powertools, from the routes and pydantic models): it must never drift. It is a
product of its own: a well-kept linter (openapi-spec-validator) finds it valid, and the house
rules below hold, so that a client generated from it is usable (tests/contract generates one)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from devtools.local.openapi import COMMITTED
from devtools.local.routes import routes_from_template
from devtools.local.swagger import openapi_document, openapi_text
from devtools.sam_template import load_template, translate

OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")  # camelCase: sendItem, listAccountItems
MAX_ENUM = 36  # more values than this is a list to look up, not a choice (time zones: a format)
ERROR_REF = "#/components/schemas/Error"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return openapi_document()


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def schemas_in(node: Any, where: str = "#") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema-like object in the document, with where it is."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from schemas_in(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from schemas_in(value, f"{where}/{index}")


def refs(node: Any) -> list[str]:
    return re.findall(r'"\$ref": "([^"]+)"', json.dumps(node))


def test_the_committed_openapi_document_matches_the_code() -> None:
    # Given the document the code generates now, and the committed one
    generated = openapi_text()
    committed = COMMITTED.read_text() if COMMITTED.exists() else ""

    # Then they are the same, or the failure shows how they differ and how to fix it
    if generated != committed:
        diff = "".join(
            list(difflib.unified_diff(committed.splitlines(True), generated.splitlines(True), "openapi.json", "code"))[
                :60
            ]
        )
        raise AssertionError(f"openapi.json is out of date with the code: run `make openapi` and commit it\n{diff}")


def test_the_document_describes_every_route_of_the_template_with_its_jwt(document: dict[str, Any]) -> None:
    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    routes = {(route.method, route.path) for route in routes_from_template(translate(load_template()))}
    assert routes == documented
    assert document["components"]["securitySchemes"]["jwt"]["scheme"] == "bearer"
    assert document["security"] == [{"jwt": []}]
    assert json.loads(COMMITTED.read_text())["info"]["title"] == document["info"]["title"]


def test_a_well_kept_linter_finds_the_document_valid(document: dict[str, Any]) -> None:
    # openapi-spec-validator checks the document against the OpenAPI 3.1 schema and its own rules
    # (references resolve, parameters are declared once, ...); it raises on the first problem
    validate(document)


def test_every_operation_has_a_stable_camel_case_id_one_described_tag_and_a_summary(
    document: dict[str, Any],
) -> None:
    tags = {tag["name"]: tag.get("description", "") for tag in document["tags"]}
    assert all(tags.values()), "every tag has a description"
    seen: dict[str, str] = {}
    for label, operation in operations(document):
        operation_id = operation.get("operationId", "")
        assert OPERATION_ID.match(operation_id), f"{label}: operationId {operation_id!r} is not camelCase"
        assert operation_id not in seen, f"{label} and {seen.get(operation_id)} share {operation_id}"
        seen[operation_id] = label
        assert len(operation.get("tags", [])) == 1, f"{label}: one tag, the resource's"
        assert operation["tags"][0] in tags, f"{label}: tag {operation['tags'][0]} is not declared"
        assert operation.get("summary"), f"{label}: no summary"
    assert set(tags) == {tag for _, operation in operations(document) for tag in operation["tags"]}, "unused tags"


def test_every_response_is_typed_and_every_error_is_the_error_schema(document: dict[str, Any]) -> None:
    for label, operation in operations(document):
        responses = operation["responses"]
        assert [status for status in responses if status.startswith("2")], f"{label}: no success response"
        for status, response in responses.items():
            assert response.get("description"), f"{label} {status}: no description"
            schema = response["content"]["application/json"]["schema"]
            if status.startswith("2"):
                assert schema.get("$ref"), f"{label} {status}: the body is not a named schema"
            else:
                # the function's errors are `Error`; 401 and 429 may also be API Gateway's own message
                assert ERROR_REF in refs(schema) or status in ("401", "429"), f"{label} {status}: not Error"
        body = operation.get("requestBody")
        if body:
            assert body["content"]["application/json"]["schema"].get("$ref"), f"{label}: body not a named schema"


def test_every_schema_is_typed_and_used_and_no_enum_is_a_long_list(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    # used: nothing dangling (such as validation error models the API never answers)
    reachable = set(refs(document["paths"]))
    while True:
        more = {ref for name in reachable for ref in refs(components.get(ref_name(name), {}))} - reachable
        if not more:
            break
        reachable |= more
    assert {f"#/components/schemas/{name}" for name in components} == reachable

    for where, node in schemas_in(components, "#/components/schemas"):
        if "properties" in where.rsplit("/", 1)[-1:]:
            continue
        # no enum that lists what a format or a pattern should describe
        assert len(node.get("enum", [])) <= MAX_ENUM, f"{where}: an enum of {len(node['enum'])} values"
        # typed: an object says what it holds
        if node.get("type") == "object":
            holds = node.get("properties") or isinstance(node.get("additionalProperties"), dict)
            assert holds, f"{where}: an object of unknown shape"
    for name, component in components.items():
        assert component, f"{name}: an empty (untyped) schema"


def ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def test_links_name_operations_that_exist(document: dict[str, Any]) -> None:
    ids = {operation["operationId"] for _, operation in operations(document)}
    linked = [
        link["operationId"]
        for _, operation in operations(document)
        for response in operation["responses"].values()
        for link in response.get("links", {}).values()
    ]
    assert linked
    assert set(linked) <= ids


def test_time_zones_are_a_validated_string_not_a_list(document: dict[str, Any]) -> None:
    zone = document["components"]["schemas"]["TimeZone"]
    assert (zone["type"], zone["format"]) == ("string", "time-zone")
    assert re.match(zone["pattern"], "America/Argentina/Buenos_Aires")
    assert re.match(zone["pattern"], "Etc/GMT+5")
    assert not re.match(zone["pattern"], "Europe/../etc")
    assert "enum" not in zone
