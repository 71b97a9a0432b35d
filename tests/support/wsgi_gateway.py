"""The local stack's API Gateway as a WSGI application, for HTTP clients that run in process
(schemathesis): each request goes through the same route table, JWT check and API Gateway v2
event as `make run` (devtools/local), into the api handler called directly, under moto. API
Gateway's own answers are kept: 404 {"message": "Not Found"} for no route, 401 {"message":
"Unauthorized"} without a valid token. GET /openapi.json serves the API's document, as the local
gateway does."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

from devtools.local.gateway import ApiProxy
from devtools.local.routes import RouteTable, routes_from_template
from devtools.local.swagger import openapi_document
from devtools.local.tokens import DevTokens
from devtools.local.web import Request
from devtools.sam_template import load_template, translate
from functions.api import handler as api_handler
from tests.support.events import FakeLambdaContext

StartResponse = Callable[[str, list[tuple[str, str]]], Any]
HOST = "localhost"
REASONS = {200: "OK", 201: "Created", 202: "Accepted", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}


class WsgiGateway:
    def __init__(self, tokens: DevTokens) -> None:
        self.tokens = tokens
        routes = RouteTable(routes_from_template(translate(load_template())))
        self.proxy = ApiProxy(routes, tokens, self._invoke, lambda _, work: work())
        self.document = openapi_document()
        self.requests = 0

    @staticmethod
    def _invoke(_: str, event: dict[str, Any]) -> Any:
        return api_handler.lambda_handler(event, FakeLambdaContext())

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raw = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/"))
        path = str(raw).split("?", 1)[0]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        headers = [
            (name[5:].replace("_", "-").title(), str(value)) for name, value in environ.items() if name[:5] == "HTTP_"
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", str(environ["CONTENT_TYPE"])))
        request = Request(
            method=str(environ["REQUEST_METHOD"]),
            path=path,
            query=str(environ.get("QUERY_STRING", "")),
            headers=headers,
            body=environ["wsgi.input"].read(length) if length else b"",
        )
        if request.method == "GET" and request.path == "/openapi.json":
            reply_status, body = 200, json.dumps(self.document).encode()
            reply_headers = [("Content-Type", "application/json")]
        else:
            self.requests += 1
            reply = self.proxy.handle(request, HOST)
            reply_status, body, reply_headers = reply.status, reply.body, reply.headers
        start_response(f"{reply_status} {REASONS.get(reply_status, 'Status')}", reply_headers)
        return [body]
