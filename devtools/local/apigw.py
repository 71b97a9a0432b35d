"""API Gateway HTTP API payload format 2.0: an HTTP request as the event a Lambda proxy
integration receives, and the function's result as the HTTP response API Gateway sends."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from devtools.local.routes import RouteMatch
from devtools.local.web import Reply, Request

API_ID = "local"
STAGE = "$default"
# API Gateway HTTP APIs name each request on every answer, theirs and the function's alike.
REQUEST_ID_HEADER = "apigw-requestid"
TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript", "+json", "+xml", "urlencoded")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def gateway_reply(status: int, payload: Mapping[str, str]) -> Reply:
    """What API Gateway answers itself, before or instead of the function: compact JSON."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Reply(status, body, [("Content-Type", "application/json")])


def _joined_headers(request: Request) -> tuple[dict[str, str], list[str]]:
    """Headers by lowercase name, repeated ones comma-joined; cookies apart, as API Gateway does."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        key = name.lower()
        if key == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    return headers, cookies


def _body(request: Request, content_type: str) -> tuple[str | None, bool]:
    if not request.body:
        return None, False
    textual = not content_type or any(marker in content_type.lower() for marker in TEXT_TYPES)
    if textual:
        try:
            return request.body.decode(), False
        except UnicodeDecodeError:
            pass
    return base64.b64encode(request.body).decode(), True


def http_api_event(
    request: Request,
    matched: RouteMatch,
    claims: Mapping[str, str] | None,
    now: datetime,
    host: str,
    request_id: str | None = None,
) -> dict[str, Any]:
    headers, cookies = _joined_headers(request)
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    body, is_base64 = _body(request, headers.get("content-type", ""))
    route_key = matched.route.route_key
    context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": API_ID,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id or new_request_id(),
        "routeKey": route_key,
        "stage": STAGE,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if claims is not None:
        context["authorizer"] = {"jwt": {"claims": dict(claims), "scopes": None}}
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": is_base64,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = query
    if matched.path_parameters:
        event["pathParameters"] = matched.path_parameters
    if body is not None:
        event["body"] = body
    return event


def http_reply(result: Any) -> Reply:
    """Payload 2.0 responses: a dict with statusCode is the response; anything else is returned
    as a 200 JSON body (API Gateway's rule for functions that return plain data)."""
    if not isinstance(result, Mapping) or "statusCode" not in result:
        return Reply(200, json.dumps(result).encode(), [("Content-Type", "application/json")])
    headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
    for name, values in (result.get("multiValueHeaders") or {}).items():
        headers.extend((str(name), str(value)) for value in values)
    headers.extend(("Set-Cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw = result.get("body") or ""
    body = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
    return Reply(int(result["statusCode"]), body, headers)
