"""The one table from errors to HTTP responses (SPEC §5 error shape). Domain errors know nothing
of HTTP; request validation errors are split into 400 (not a JSON object) and 422 (bad fields)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from portal_reminders.models.errors import (
    DomainError,
    InvalidInput,
    InvalidPageToken,
    MalformedRequest,
    NotFound,
    RateLimited,
    StateConflict,
    Unauthenticated,
)
from portal_reminders.observability import logger
from portal_reminders.settings import get_settings

# pydantic error types at the body's root meaning "not a JSON object" rather than "a field is wrong"
NOT_AN_OBJECT = frozenset({"model_attributes_type", "model_type", "dict_type"})


def error_body(code: str, message: str, details: Sequence[dict[str, Any]] = ()) -> str:
    return json.dumps({"error": {"code": code, "message": message, "details": list(details)}})


def error_response(
    status: int,
    code: str,
    message: str,
    details: Sequence[dict[str, Any]] = (),
    headers: Mapping[str, str] | None = None,
) -> Response[str]:
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=error_body(code, message, details),
        headers=headers,
    )


def _event_response(status: int, body: str) -> dict[str, Any]:
    """A response in the API Gateway v2 format, for requests refused before routing."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": body,
        "isBase64Encoded": False,
    }


def _unauthorized_message() -> str:
    return f"this API needs a JWT with the claims 'sub' and '{get_settings().firm_claim}'"


def unauthorized_event_response() -> dict[str, Any]:
    return _event_response(401, error_body("unauthorized", _unauthorized_message()))


def bad_request_event_response(message: str) -> dict[str, Any]:
    return _event_response(400, error_body("bad_request", message))


def _field_name(location: Sequence[Any]) -> str | None:
    parts = list(location[1:])  # drop "body" / "query" / "path"
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or None


def _malformed_body(problem: dict[str, Any]) -> str | None:
    """The 400 message when a validation problem means the body is not a JSON object at all."""
    location, kind = tuple(problem.get("loc", ())), problem.get("type")
    if location[:1] != ("body",):
        return None
    if kind == "json_invalid":
        return "the request body is not valid JSON"
    if len(location) == 1 and kind == "missing":
        return "the request needs a JSON object body"
    if len(location) == 1 and kind in NOT_AN_OBJECT:
        return "the request body must be a JSON object"
    return None


def _validation_response(error: RequestValidationError) -> Response[str]:
    problems = list(error.errors())
    for problem in problems:
        message = _malformed_body(problem)
        if message:
            return error_response(400, "bad_request", message)
    details = [
        {
            "field": _field_name(p.get("loc", ())),
            "message": str(p.get("msg", "is invalid")).removeprefix("Value error, "),
        }
        for p in problems
    ]
    return error_response(422, "validation_error", "some fields are invalid", details)


def _malformed_request(error: MalformedRequest) -> Response[str]:
    return error_response(400, "bad_request", str(error), [{"field": error.field, "message": str(error)}])


def _invalid_input(error: InvalidInput) -> Response[str]:
    return error_response(422, "validation_error", str(error), [{"field": error.field, "message": str(error)}])


def _bad_token(error: InvalidPageToken) -> Response[str]:
    return error_response(400, "bad_request", str(error), [{"field": "next_token", "message": str(error)}])


def _unauthenticated(_: Unauthenticated) -> Response[str]:
    return error_response(401, "unauthorized", _unauthorized_message())


def _not_found(error: NotFound) -> Response[str]:
    return error_response(404, "not_found", str(error))


def _conflict(error: StateConflict) -> Response[str]:
    details = [{"field": error.field, "message": str(error)}] if error.field else []
    return error_response(409, "conflict", str(error), details)


def _rate_limited(error: RateLimited) -> Response[str]:
    return error_response(429, "rate_limited", str(error), headers={"Retry-After": str(error.retry_after_seconds)})


# The table: each domain error and its response, whether a route raised it or a check that runs
# before routing did (the Idempotency-Key check, answered by `refused_event_response`).
DOMAIN_ERRORS: dict[type[DomainError], Callable[[Any], Response[str]]] = {
    MalformedRequest: _malformed_request,
    InvalidInput: _invalid_input,
    InvalidPageToken: _bad_token,
    Unauthenticated: _unauthenticated,
    NotFound: _not_found,
    StateConflict: _conflict,
    RateLimited: _rate_limited,
}


def _domain_response(error: DomainError) -> Response[str]:
    for kind in type(error).__mro__:
        respond = DOMAIN_ERRORS.get(kind)
        if respond is not None:
            return respond(error)
    raise error


def refused_event_response(error: DomainError) -> dict[str, Any]:
    """The API Gateway v2 response for a domain error raised before routing."""
    response = _domain_response(error)
    headers = {name: str(value) for name, value in response.headers.items()}
    return {"statusCode": response.status_code, "headers": headers, "body": response.body, "isBase64Encoded": False}


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def _invalid_request(error: RequestValidationError) -> Response[str]:
        return _validation_response(error)

    for kind in DOMAIN_ERRORS:
        app.exception_handler(kind)(_domain_response)

    @app.not_found
    def _no_route(_: Exception) -> Response[str]:
        event = app.current_event
        return error_response(404, "not_found", f"no route {event.http_method} {event.path}")

    @app.exception_handler(Exception)
    def _unexpected(error: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return error_response(500, "internal_error", "something went wrong on our side; it was logged")
