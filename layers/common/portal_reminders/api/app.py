"""The API's resolver: every route, the error table, and authentication before anything else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.api.errors import register_error_handlers, unauthorized_event_response
from portal_reminders.api.identity import caller_from_event
from portal_reminders.api.routes import accounts, approvals, audit, firm, items, pipelines, templates

API_TITLE = "Client reminders API"
API_VERSION = "1.0.0"


class PortalResolver(APIGatewayHttpResolver):
    """Refuses requests without the JWT claims before routing, so an anonymous request gets 401
    whatever its body (request validation would otherwise answer first)."""

    def resolve(self, event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
        if caller_from_event(event) is None:
            return unauthorized_event_response()
        return super().resolve(event, context)


def build_app() -> PortalResolver:
    resolver = PortalResolver(enable_validation=True)
    for module in (firm, accounts, items, audit, templates, pipelines, approvals):
        resolver.include_router(module.router)
    register_error_handlers(resolver)
    return resolver


app = build_app()
