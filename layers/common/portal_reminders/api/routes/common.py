"""What every route needs: the caller, the services, and the documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import content_types
from aws_lambda_powertools.event_handler.api_gateway import BaseRouter
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel

from portal_reminders.api.identity import Caller, caller_from_event
from portal_reminders.models.errors import InvalidInput, Unauthenticated
from portal_reminders.repository import paging

Limit = Annotated[int, Query(ge=1, le=100, description="page size")]
DEFAULT_LIMIT = 50


def page_token(listing: paging.Listing) -> Any:
    """The `next_token` query parameter of a listing: its grammar is in the document, so every
    token a client can form is one the listing could have issued (repository/paging.py); the
    listing refuses anything else with 400 bad_request naming next_token."""
    return Query(
        description=(
            "the previous page's next_token, passed back as it came; a position in this listing, which the page "
            "continues after (a well-formed token the listing did not issue, or a stale one, reads as the position "
            "it names: the page may be empty). Empty or absent: the first page"
        ),
        json_schema_extra={"pattern": listing.pattern},
    )


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


# The error responses' bodies: their model, schemas.Error, is filled in when the models load (api/deferred.py).
_ERROR_CONTENTS: list[dict[str, Any]] = []


def _error(description: str) -> OpenAPIResponse:
    content: dict[str, Any] = {}
    _ERROR_CONTENTS.append(content)
    return {"description": description, "content": {content_types.APPLICATION_JSON: content}}  # type: ignore[dict-item]


def fill_error_model(model: type[BaseModel]) -> None:
    """Name `model` as the body of every error response documented so far (api/deferred.py)."""
    for content in _ERROR_CONTENTS:
        content["model"] = model


SCHEDULE_RULES = (
    "a due_date schedule has its steps in increasing order of days, `final` only on the last, no more steps "
    "than max_reminders, and the item a due date"
)


def responses(
    success: int, description: str, *errors: int, conflict: str | None = None, invalid: str | None = None
) -> dict[int, OpenAPIResponse]:
    """The success and the errors of a route. Every route may answer 400 (any request may carry a
    body that is not a JSON object) and 422; 401 and 429, which API Gateway answers too, and what
    POST's Idempotency-Key adds, are completed in api/openapi.py.

    `conflict` documents the route's 409: every refusal that depends on stored data (the entity's
    state, or a well-formed field that clashes with what is stored) is a 409 `conflict`, so that a
    request the document allows is never refused as invalid. `invalid` adds the rules of the 422
    that JSON Schema cannot state."""
    documented: dict[int, OpenAPIResponse] = {success: {"description": description}}
    texts = {
        400: "malformed request: a body that is not a JSON object, a page token outside its pattern (bad_request)",
        404: "no such resource in the caller's firm (not_found)",
        422: "invalid fields; details name each one (validation_error)",
    }
    if invalid:
        texts[422] = f"{texts[422][: -len(' (validation_error)')]}; {invalid} (validation_error)"
    codes = {400, 422, *errors}
    if conflict:
        texts[409] = f"{conflict}; details name the field when one is to blame (conflict)"
        codes.add(409)
    for status in sorted(codes):
        documented[status] = _error(texts[status])
    return documented
