"""The pure parts of the local gateway and event source mapping: route selection, the API
Gateway v2 event and response, dev tokens, and which SQS messages a batch response keeps."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime

import pytest

from devtools.local.apigw import http_api_event, http_reply
from devtools.local.poller import failed_message_ids
from devtools.local.routes import Route, RouteTable, routes_from_template
from devtools.local.tokens import DevTokens, bearer_token
from devtools.local.web import Request
from devtools.sam_template import load_template, translate

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def request(
    method: str, path: str, body: bytes = b"", query: str = "", headers: list[tuple[str, str]] | None = None
) -> Request:
    return Request(method, path, query, headers or [("Content-Type", "application/json")], body)


def test_the_templates_routes_are_read_with_their_function_and_authorizer() -> None:
    routes = routes_from_template(translate(load_template()))

    keys = {route.route_key for route in routes}
    assert {"GET /firm", "POST /accounts/{account_id}/action-items", "GET /action-items/{item_id}"} <= keys
    assert all(route.authorized and route.function == "ApiFunction" for route in routes)


def test_the_most_specific_route_wins() -> None:
    table = RouteTable(
        [
            Route("ANY", "/{proxy+}", "Fallback", False),
            Route("GET", "/items/{item_id}", "One", True),
            Route("GET", "/items/special", "Special", True),
        ]
    )

    assert table.match("GET", "/items/special").route.function == "Special"  # type: ignore[union-attr]
    one = table.match("GET", "/items/itm%201")
    assert one is not None
    assert (one.route.function, one.path_parameters) == ("One", {"item_id": "itm 1"})
    assert table.match("POST", "/items/x/y").route.function == "Fallback"  # type: ignore[union-attr]
    assert RouteTable([Route("GET", "/items/{item_id}", "One", True)]).match("GET", "/items/a/b") is None


def test_a_request_becomes_an_http_api_v2_event() -> None:
    route = Route("POST", "/accounts/{account_id}/action-items", "ApiFunction", True)
    matched = RouteTable([route]).match("POST", "/accounts/acc_1/action-items")
    assert matched is not None
    incoming = request(
        "POST",
        "/accounts/acc_1/action-items",
        b'{"kind": "chat"}',
        "a=1&a=2&b=",
        [("Content-Type", "application/json"), ("X-Trace", "1"), ("x-trace", "2"), ("Cookie", "s=1; t=2")],
    )

    event = http_api_event(incoming, matched, {"sub": "u", "custom:firm_id": "f"}, NOW, "127.0.0.1:3000")

    assert event["version"] == "2.0"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "POST /accounts/{account_id}/action-items"
    assert event["pathParameters"] == {"account_id": "acc_1"}
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["headers"]["x-trace"] == "1,2"
    assert event["cookies"] == ["s=1", "t=2"]
    assert (event["body"], event["isBase64Encoded"]) == ('{"kind": "chat"}', False)
    assert event["requestContext"]["http"]["method"] == "POST"
    assert event["requestContext"]["authorizer"]["jwt"]["claims"]["custom:firm_id"] == "f"
    assert event["requestContext"]["timeEpoch"] == int(NOW.timestamp() * 1000)


def test_a_binary_body_is_base64_encoded() -> None:
    matched = RouteTable([Route("POST", "/files", "F", False)]).match("POST", "/files")
    assert matched is not None
    incoming = request("POST", "/files", b"\xff\x00", headers=[("Content-Type", "application/octet-stream")])

    event = http_api_event(incoming, matched, None, NOW, "localhost")

    assert (event["body"], event["isBase64Encoded"]) == (base64.b64encode(b"\xff\x00").decode(), True)
    assert "authorizer" not in event["requestContext"]


def test_function_results_become_http_responses() -> None:
    full = http_reply(
        {"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": "{}", "cookies": ["a=1"]}
    )
    encoded = http_reply({"statusCode": 200, "body": base64.b64encode(b"hi").decode(), "isBase64Encoded": True})
    plain = http_reply({"items": []})

    assert (full.status, full.body, ("Set-Cookie", "a=1") in full.headers) == (201, b"{}", True)
    assert encoded.body == b"hi"
    assert (plain.status, json.loads(plain.body)) == (200, {"items": []})


def test_dev_tokens_carry_the_claims_and_refuse_forgeries() -> None:
    tokens = DevTokens("https://issuer.invalid/", ["local-dev"])
    token = tokens.issue("firm-a", "user-1")

    claims = tokens.verify(token)

    assert claims is not None
    assert (claims["sub"], claims["custom:firm_id"], claims["aud"]) == ("user-1", "firm-a", "local-dev")
    assert tokens.verify(token[:-2] + "xx") is None
    assert DevTokens("https://issuer.invalid/", ["local-dev"]).verify(token) is None  # another run's secret
    assert DevTokens("https://other.invalid/", ["local-dev"], secret=tokens._secret).verify(token) is None
    assert tokens.verify("not-a-token") is None


def test_an_expired_dev_token_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = DevTokens("https://issuer.invalid/", ["local-dev"])
    token = tokens.issue("firm-a", "user-1")

    monkeypatch.setattr(time, "time", lambda: 2e10)

    assert tokens.verify(token) is None


def test_bearer_tokens_are_read_from_the_authorization_header() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("abc") == "abc"
    assert bearer_token(None) is None
    assert bearer_token("Bearer ") is None


@pytest.mark.parametrize(
    ("result", "kept"),
    [
        ({"batchItemFailures": []}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "m2"}]}, {"m2"}),
        ({"batchItemFailures": [{"itemIdentifier": "unknown"}]}, {"m1", "m2"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"m1", "m2"}),
        ("not a response", {"m1", "m2"}),
        (None, {"m1", "m2"}),
    ],
)
def test_a_partial_batch_response_decides_which_messages_stay_queued(result: object, kept: set[str]) -> None:
    assert failed_message_ids(result, ["m1", "m2"]) == kept
