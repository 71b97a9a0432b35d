"""The local stack's console: one short line per function invocation (no Powertools JSON unless
--log-level DEBUG), no correlation id carried from one invocation to the next, hints that carry
the port, and no traceback when a client hangs up before reading its answer."""

from __future__ import annotations

import io
import json
import logging
import socket
import struct
import uuid
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from devtools.local.console import make_hint
from devtools.local.function_logs import FunctionConsole
from devtools.local.gateway import Gateway
from devtools.local.web import Reply, Request
from tests.local.conftest import LOOPBACK

API_EVENT = {"routeKey": "GET /firm", "rawPath": "/firm", "requestContext": {"http": {"method": "GET"}}}
SCHEDULED = {"detail-type": "Scheduled Event", "time": "2026-11-27T09:00:00Z"}


@pytest.fixture
def stdout() -> io.StringIO:
    """What the functions' logger writes where Lambda would take it (stdout)."""
    return io.StringIO()


@pytest.fixture
def logger(stdout: io.StringIO) -> Logger:
    # a service of its own per test: Powertools configures a logger once per service name
    handler = logging.StreamHandler(stdout)
    return Logger(service=f"console-test-{uuid.uuid4().hex}", level="INFO", logger_handler=handler)


def console_for(logger: Logger, debug: bool = False) -> tuple[FunctionConsole, list[str]]:
    lines: list[str] = []
    return FunctionConsole(logger, lines.append, debug), lines


def clock() -> float:
    return 0.0


def test_an_invocation_is_one_line_and_its_json_logs_stay_off_the_console(
    logger: Logger, stdout: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    console, lines = console_for(logger)

    def scan() -> dict[str, Any]:
        print('{"_aws": {"CloudWatchMetrics": []}, "ColdStart": [1.0]}')  # noqa: T201 - as Powertools' metrics do
        logger.info("scan started", extra={"shards": 8})
        logger.info("scan finished", extra={"due": 2})
        return {"due": 2, "claimed": 2, "queued": 2, "errors": 0}

    result = console.invoke("ScanFunction", SCHEDULED, scan, clock)

    assert result["claimed"] == 2
    assert lines == ["ScanFunction: Scheduled Event: due 2, claimed 2, queued 2 (0 ms)"]
    assert stdout.getvalue() == ""
    assert capsys.readouterr().out == ""


def test_a_warning_is_named_on_the_line_and_an_api_call_gets_a_line_only_then(logger: Logger) -> None:
    console, lines = console_for(logger)

    console.invoke("ApiFunction", API_EVENT, lambda: {"statusCode": 200}, clock)
    assert lines == []  # the gateway already printed this request's line

    def busy() -> dict[str, Any]:
        logger.warning("email handed to the send queue", extra={"item_id": "itm_1"})
        return {"statusCode": 201}

    console.invoke("ApiFunction", API_EVENT, busy, clock)
    assert lines == ["ApiFunction: GET /firm -> 201  [1 logged, warning: email handed to the send queue] (0 ms)"]


def test_a_failing_invocation_says_so_and_still_raises(logger: Logger) -> None:
    console, lines = console_for(logger)

    def broken() -> None:
        raise RuntimeError("table not found")

    with pytest.raises(RuntimeError):
        console.invoke("SendFunction", {"Records": [{}]}, broken, clock)
    assert lines == ["SendFunction: failed: RuntimeError: table not found (0 ms)"]


def test_with_debug_the_json_logs_show_and_no_correlation_id_leaks_into_the_next_invocation(
    logger: Logger, stdout: io.StringIO
) -> None:
    console, lines = console_for(logger, debug=True)

    def request() -> dict[str, Any]:
        logger.set_correlation_id("req-123")
        logger.info("request served")
        return {"statusCode": 200}

    def scan() -> dict[str, Any]:
        logger.info("scan finished")
        return {"due": 0}

    console.invoke("ApiFunction", API_EVENT, request, clock)
    console.invoke("ScanFunction", SCHEDULED, scan, clock)

    records = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert [(r["message"], r.get("correlation_id")) for r in records] == [
        ("request served", "req-123"),
        ("scan finished", None),
    ]
    assert lines == ["ScanFunction: Scheduled Event: nothing to do (0 ms)"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:3000", "make tick AT=2026-12-01T09:00:00Z"),
        ("http://127.0.0.1:3100", "make tick PORT=3100 AT=2026-12-01T09:00:00Z"),
    ],
)
def test_make_hints_carry_the_port_unless_it_is_the_default(url: str, expected: str) -> None:
    assert make_hint("tick", url, "AT=2026-12-01T09:00:00Z") == expected


class BigAnswers:
    """An API proxy whose every answer is far larger than the socket buffers."""

    def handle(self, request: Request, host: str) -> Reply:
        return Reply(200, b"x" * 32_000_000, [("Content-Type", "text/plain")])


@pytest.mark.allow_hosts(LOOPBACK)
def test_a_client_that_hangs_up_early_leaves_no_traceback(capfd: pytest.CaptureFixture[str]) -> None:
    # Given the gateway, answering with a body the client will never read
    gateway = Gateway("127.0.0.1", 0, BigAnswers(), quiet=True)  # type: ignore[arg-type]
    gateway.start()
    try:
        host, port = gateway.url.removeprefix("http://").split(":")
        # When a client asks, then hangs up at once (a reset, as a closed tab or `curl | head` does)
        for _ in range(3):
            client = socket.create_connection((host, int(port)))
            client.sendall(b"GET /firm HTTP/1.1\r\nHost: localhost\r\n\r\n")
            client.recv(1024)
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()
        # Then the gateway still answers the next client
        with socket.create_connection((host, int(port))) as next_client:
            next_client.sendall(b"GET /firm HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            assert next_client.recv(12) == b"HTTP/1.1 200"
    finally:
        gateway.stop()

    # And nothing was printed about the clients that left
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out
    assert "BrokenPipeError" not in captured.err + captured.out
