"""What every route needs: the caller, the services, and the documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from portal_reminders.api.identity import Caller, caller_from_event
from portal_reminders.api.schemas import ErrorOut
from portal_reminders.models.errors import InvalidInput, Unauthenticated

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
# The token's shape is in the document (api/openapi.py); the listing refuses any other token with 400.
NextToken = Annotated[
    str | None, Query(description="next_token of the previous page (only the listing that issued it takes it)")
]
DEFAULT_LIMIT = 50


def changes_of(body: BaseModel, nullable: frozenset[str] | set[str] = frozenset()) -> dict[str, Any]:
    """The fields a PATCH names. Naming one as null is refused (there is nothing to unset), except
    the `nullable` ones, whose null means something (an account's time zone: the firm's)."""
    for name in sorted(body.model_fields_set - set(nullable)):
        if getattr(body, name) is None:
            raise InvalidInput(f"{name} cannot be null", field=name)
    return body.model_dump(include=body.model_fields_set)


def caller(router: BaseRouter) -> Caller:
    found = caller_from_event(router.current_event.raw_event)
    if found is None:  # the resolver refuses such requests before routing; this is a safety net
        raise Unauthenticated("no caller")
    return found


def _error(description: str) -> OpenAPIResponse:
    return {"description": description, "content": {content_types.APPLICATION_JSON: {"model": ErrorOut}}}


def responses(success: int, description: str, *errors: int) -> dict[int, OpenAPIResponse]:
    """The success and the errors of a route. Every route may answer 400 (any request may carry a
    body that is not a JSON object) and 422; 401 and 429, which API Gateway answers too, and what
    POST's Idempotency-Key adds, are completed in api/openapi.py."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": description}}
    texts = {
        400: "malformed request: a body that is not a JSON object, a bad page token (bad_request)",
        404: "no such resource in the caller's firm (not_found)",
        409: "the action does not apply in the item's state (conflict)",
        422: "invalid fields; details name each one (validation_error)",
    }
    for status in sorted({400, 422, *errors}):
        documented[status] = _error(texts[status])
    return documented
