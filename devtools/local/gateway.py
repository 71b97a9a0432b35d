"""The local HTTP gateway: the template's HttpApi routes into their function as API Gateway v2
events (after the JWT check the route's authorizer would make), /_local/* and /swagger beside
them. What API Gateway itself answers is copied: 404 {"message":"Not Found"} for any method and
path no route takes (TRACE, CONNECT, a made-up method, OPTIONS too: the API configures no CORS,
so API Gateway answers no preflight), 401 {"message":"Unauthorized"} for a missing or invalid
token, 500 when the function fails; each answer carries an apigw-requestid header."""

from __future__ import annotations

import errno
import logging
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from typing import Any, TypeVar
from urllib.parse import urlsplit

from devtools.local.apigw import REQUEST_ID_HEADER, gateway_reply, http_api_event, http_reply, new_request_id
from devtools.local.console import say
from devtools.local.control import PREFIX, Control
from devtools.local.routes import RouteTable
from devtools.local.swagger import SWAGGER_PATH, SwaggerUi, openapi_document
from devtools.local.tokens import DevTokens, bearer_token
from devtools.local.web import INTERNAL_ERROR, NOT_FOUND, UNAUTHORIZED, Reply, Request, json_reply
from portal_reminders import clock

log = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], Any]
T = TypeVar("T")
RunAs = Callable[[str, Callable[[], Any]], Any]


OPENAPI_PATH = "/openapi.json"
# A client that hangs up before reading the answer (curl | head, a closed browser tab): nothing to
# report, and certainly no traceback.
CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class PortInUse(RuntimeError):
    pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], CLIENT_GONE):
            return
        super().handle_error(request, client_address)


class ApiProxy:
    def __init__(self, routes: RouteTable, tokens: DevTokens, invoke: Invoke, run_as: RunAs) -> None:
        self.routes = routes
        self.tokens = tokens
        self._invoke = invoke
        self._run_as = run_as

    def run_as_function(self, work: Callable[[], T]) -> T:
        """Run `work` in the environment of the function that serves the routes."""
        functions = sorted({route.function for route in self.routes.routes})
        if not functions:
            raise RuntimeError("the template has no HttpApi route")
        return self._run_as(functions[0], work)

    def handle(self, request: Request, host: str) -> Reply:
        request_id = new_request_id()
        reply = self._answer(request, host, request_id)
        reply.headers.append((REQUEST_ID_HEADER, request_id))
        return reply

    def _answer(self, request: Request, host: str, request_id: str) -> Reply:
        matched = self.routes.match(request.method, request.path)
        if matched is None:
            return gateway_reply(404, NOT_FOUND)
        claims = None
        if matched.route.authorized:
            token = bearer_token(request.header("Authorization"))
            claims = self.tokens.verify(token) if token else None
            if claims is None:
                return gateway_reply(401, UNAUTHORIZED)
        event = http_api_event(request, matched, claims, clock.now(), host, request_id)
        try:
            return http_reply(self._invoke(matched.route.function, event))
        except Exception:
            log.exception("%s failed on %s", matched.route.function, matched.route.route_key)
            return gateway_reply(500, INTERNAL_ERROR)


class Gateway:
    """Binds at construction (so a taken port fails at once, before anything else starts)."""

    def __init__(
        self, host: str, port: int, api: ApiProxy, control: Control | None = None, quiet: bool = False
    ) -> None:
        self.api = api
        self.control = control
        self.swagger = SwaggerUi(lambda: api.run_as_function(openapi_document))
        self.quiet = quiet
        try:
            self._server = _Server((host, port), _handler_for(self))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                message = f"port {port} on {host} is already in use (another `make run`?)"
                raise PortInUse(f"{message}; pick another: make run PORT={port + 1}") from error
            raise
        self._server.daemon_threads = True
        self._thread: Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")

    def start(self) -> None:
        self._thread = Thread(target=self._server.serve_forever, name="gateway", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=30)
        self._server.server_close()

    def dispatch(self, request: Request) -> Reply:
        if self.control is not None and (request.path == PREFIX or request.path.startswith(f"{PREFIX}/")):
            return self.control.handle(request) or json_reply(404, NOT_FOUND)
        if request.path == OPENAPI_PATH and request.method in ("GET", "HEAD"):
            return self.swagger.handle(f"{SWAGGER_PATH}/openapi.json", {}) or json_reply(404, NOT_FOUND)
        if request.path == SWAGGER_PATH or request.path.startswith(f"{SWAGGER_PATH}/"):
            return self.swagger.handle(request.path, request.query_params) or json_reply(404, NOT_FOUND)
        return self.api.handle(request, self.host)


def _handler_for(gateway: Gateway) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-gateway"

        def _serve(self) -> None:
            started = time.monotonic()
            target = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=target.path,
                query=target.query,
                headers=list(self.headers.items()),
                body=self.rfile.read(length) if length else b"",
                client_ip=self.client_address[0],
            )
            try:
                reply = gateway.dispatch(request)
            except Exception:
                log.exception("gateway error on %s %s", request.method, request.path)
                reply = json_reply(500, INTERNAL_ERROR)
            try:
                self._answer(reply)
            except CLIENT_GONE:
                self.close_connection = True
                return
            if not gateway.quiet:
                elapsed = (time.monotonic() - started) * 1000
                say(f"{request.method} {self.path} -> {reply.status} ({elapsed:.0f} ms)")

        def _answer(self, reply: Reply) -> None:
            self.send_response(reply.status)
            names = {name.lower() for name, _ in reply.headers}
            for name, value in reply.headers:
                self.send_header(name, value)
            if "content-length" not in names:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(reply.body)

        def handle_one_request(self) -> None:
            try:
                super().handle_one_request()
            except CLIENT_GONE:
                self.close_connection = True

        def __getattr__(self, name: str) -> Any:
            # Every method reaches the gateway, which answers as API Gateway does (a method no
            # route takes: 404), where http.server would answer an unknown one with a 501 page.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # one line per request comes from _serve

    return Handler
