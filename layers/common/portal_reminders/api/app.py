"""The API's resolver: every route, the error table, and authentication before anything else."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.shared.json_encoder import Encoder
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.api import deferred
from portal_reminders.api.errors import (
    bad_request_event_response,
    refused_event_response,
    register_error_handlers,
    unauthorized_event_response,
)
from portal_reminders.api.idempotency import idempotency_key, run_once
from portal_reminders.api.identity import caller_from_event
from portal_reminders.api.routes import (
    accounts,
    approvals,
    audit,
    email_templates,
    firm,
    items,
    pipelines,
    sending_domain,
    templates,
)
from portal_reminders.models.errors import DomainError
from portal_reminders.wiring import get_services

API_TITLE = "Client reminders API"
API_VERSION = "1.0.0"
ROUTE_MODULES = (firm, sending_domain, accounts, items, audit, templates, pipelines, approvals, email_templates)


class PortalResolver(APIGatewayHttpResolver):
    """Refuses requests without the JWT claims before routing, so an anonymous request gets 401
    whatever its body (request validation would otherwise answer first); then refuses bodies
    that are not a JSON object with a 400 before the framework trips over them; then answers a
    POST with an Idempotency-Key once (api/idempotency.py)."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        caller = caller_from_event(event)
        if caller is None:
            return unauthorized_event_response()
        problem = unreadable_body(event)
        if problem:
            return bad_request_event_response(problem)
        self.load_models()
        try:
            key = idempotency_key(event)
            if key is None:
                return super().resolve(event, context)
            services = get_services()
            return run_once(
                event,
                caller.firm_id,
                key,
                context,
                services.api_idempotency,
                services.api_idempotency_config,
                lambda: super(PortalResolver, self).resolve(event, context),
            )
        except DomainError as error:
            return refused_event_response(error)

    def load_models(self) -> None:
        """The request and response models, which the routes name but registering them does not
        need: defined with the first request routed, not at import (api/deferred.py)."""
        deferred.load(ROUTE_MODULES)

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        self.load_models()
        return super().get_openapi_schema(*args, **kwargs)


def unreadable_body(event: Mapping[str, Any]) -> str | None:
    """Why the body cannot be read as a JSON object (None when it can, or when there is none)."""
    body = event.get("body")
    if not body:
        return None
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = str(headers.get("content-type", "application/json")).lower()
    if not content_type.startswith("application/json"):
        return "the request body must be JSON (Content-Type: application/json)"
    text = body
    if event.get("isBase64Encoded"):
        try:
            text = base64.b64decode(body, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return "the request body is not UTF-8 text"
    try:
        parsed = json.loads(text)
    except RecursionError:
        return "the request body is nested too deeply"
    except ValueError:
        return None  # reported by request validation, like any malformed JSON
    if not isinstance(parsed, dict):
        # the framework would act on the first element of an array (SPEC R18: 400)
        return "the request body must be a JSON object"
    if not _unicode_throughout(parsed):
        # JSON may escape half of a UTF-16 pair ("\ud800"); what it stands for is no text any AWS
        # service stores or sends, and checks of our own (re, not pydantic's) would let it through
        return "the request body is not valid Unicode: it holds an unpaired surrogate escape like \\ud800"
    return None


def _unicode_throughout(value: Any) -> bool:
    """Whether every key and string in the parsed body encodes as UTF-8."""
    pending = [value]
    while pending:
        current = pending.pop()
        if isinstance(current, dict):
            pending += current.keys()
            pending += current.values()
        elif isinstance(current, list):
            pending += current
        elif isinstance(current, str):
            try:
                current.encode("utf-8")
            except UnicodeEncodeError:
                return False
    return True


# Response bodies as UTF-8 text, not \u escapes: a character outside the BMP is 4 bytes instead of
# 12 (14 once the python3.12 runtime, which does not escape either, escapes the backslashes), so
# the largest listing stays far below Lambda's 6 MB response limit. Otherwise Powertools' own.
_SERIALIZE = partial(json.dumps, separators=(",", ":"), ensure_ascii=False, cls=Encoder)


def build_app() -> PortalResolver:
    resolver = PortalResolver(enable_validation=True, serializer=_SERIALIZE)
    for module in ROUTE_MODULES:
        resolver.include_router(module.router)
    register_error_handlers(resolver)
    return resolver


app = build_app()
