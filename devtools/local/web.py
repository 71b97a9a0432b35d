"""The small HTTP vocabulary of the local gateway: a request, a reply, and JSON/HTML replies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # raw path, still percent-encoded, as API Gateway's rawPath
    query: str  # raw query string, without "?"
    headers: list[tuple[str, str]]
    body: bytes
    client_ip: str = "127.0.0.1"

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    @property
    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query, keep_blank_values=True))

    def json(self) -> Any:
        """The body as JSON; an empty body reads as {}. Raises ValueError when it is not JSON."""
        if not self.body.strip():
            return {}
        return json.loads(self.body)


@dataclass
class Reply:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


# Every page of the local stack sets the viewport, so a phone lays it out at its own width
# instead of a zoomed-out 980 px desktop page.
VIEWPORT = '<meta name="viewport" content="width=device-width, initial-scale=1">'


def json_reply(status: int, payload: Any, indent: int | None = 2) -> Reply:
    # Indented replies are for people (curl on a terminal: end the line before the prompt); compact
    # ones copy API Gateway's own answers byte for byte, which end with no newline.
    body = (json.dumps(payload, indent=indent) + ("\n" if indent is not None else "")).encode()
    return Reply(status, body, [("Content-Type", "application/json")])


def html_reply(status: int, page: str) -> Reply:
    return Reply(status, page.encode(), [("Content-Type", "text/html; charset=utf-8")])


def error_reply(status: int, code: str, message: str) -> Reply:
    """Errors of the /_local endpoints, in the API's own error shape (docs/http-api.md)."""
    return json_reply(status, {"error": {"code": code, "message": message, "details": []}})


# What API Gateway itself answers (not the function): no route, and a refused JWT.
NOT_FOUND = {"message": "Not Found"}
UNAUTHORIZED = {"message": "Unauthorized"}
INTERNAL_ERROR = {"message": "Internal Server Error"}
