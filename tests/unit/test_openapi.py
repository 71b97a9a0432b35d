"""openapi.json, committed at the repository root, is the API's OpenAPI document as the code
generates it (Powertools, from the routes and pydantic models): it must never drift."""

from __future__ import annotations

import difflib
import json

from devtools.local.openapi import COMMITTED
from devtools.local.routes import routes_from_template
from devtools.local.swagger import openapi_document, openapi_text
from devtools.sam_template import load_template, translate


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


def test_the_document_describes_every_route_of_the_template_with_its_jwt() -> None:
    document = openapi_document()

    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    routes = {(route.method, route.path) for route in routes_from_template(translate(load_template()))}
    assert routes == documented
    assert document["components"]["securitySchemes"]["jwt"]["scheme"] == "bearer"
    assert document["security"] == [{"jwt": []}]
    assert json.loads(COMMITTED.read_text())["info"]["title"] == document["info"]["title"]
