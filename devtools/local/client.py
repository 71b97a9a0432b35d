"""A tiny JSON-over-HTTP client (standard library only) for scripts that talk to a running
local stack: make demo, make tick, the tests."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from devtools.local.console import make_hint

DEFAULT_URL = "http://127.0.0.1:3000"


class StackUnreachable(RuntimeError):
    pass


@dataclass(frozen=True)
class Response:
    status: int
    body: Any
    headers: dict[str, str]


class StackClient:
    def __init__(self, url: str = DEFAULT_URL, token: str | None = None, timeout: float = 60) -> None:
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: Any = None, *, token: str | None = None) -> Response:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)
        request.add_header("Content-Type", "application/json")
        bearer = token or self.token
        if bearer:
            request.add_header("Authorization", f"Bearer {bearer}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return _response(reply.status, reply.read(), dict(reply.headers))
        except urllib.error.HTTPError as error:
            return _response(error.code, error.read(), dict(error.headers))
        except (urllib.error.URLError, ConnectionError) as error:
            raise StackUnreachable(
                f"no local stack answers at {self.url} ({error}); start it with `{make_hint('run', self.url)}`"
            ) from error

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        response = self.call(method, path, body)
        if response.status != status:
            raise RuntimeError(f"{method} {path} answered {response.status}, not {status}: {response.body}")
        return response.body

    def login(self, firm_id: str, sub: str) -> str:
        self.token = str(self.expect(201, "POST", "/_local/token", {"firm_id": firm_id, "sub": sub})["token"])
        return self.token


def _response(status: int, raw: bytes, headers: dict[str, str]) -> Response:
    try:
        body: Any = json.loads(raw) if raw else None
    except ValueError:
        body = raw.decode(errors="replace")
    return Response(status, body, headers)
