"""`Idempotency-Key` on POST (SPEC R18), with Powertools idempotency.

A client that retries a POST whose answer it never got (a timeout, a dropped connection) sends
the same key again. Within 24 hours, the same key with the same body gets the first response
again (status, body, headers, plus `Idempotent-Replayed: true`) and nothing is done twice; the
same key with another body, or while the first request is still running, is 409 conflict.
Records are keyed by firm, route (method and path) and key, so two firms or two routes never
share one. Only successes (2xx) are remembered: an error is answered and forgotten, so the client
may fix the request and retry with the same key. Without the header nothing changes.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from portal_reminders.models.errors import MalformedRequest, StateConflict

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

# ruff: noqa: PLC0415 - Powertools idempotency (and boto3 with it) loads only when a key is sent

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
EXPIRES_AFTER_SECONDS = 24 * 3600
# printable ASCII; spaces only inside (HTTP trims them at the ends)
_KEY = re.compile(r"^[!-~](?:[ -~]*[!-~])?$")
KEY_PATTERN = _KEY.pattern
KEY_PROBLEM = f"{HEADER} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters"


class _NotRemembered(Exception):
    """An answer that is not a success: given to the caller, not kept (Powertools drops the
    in-progress record when the function raises)."""

    def __init__(self, response: dict[str, Any]) -> None:
        super().__init__(response.get("statusCode"))
        self.response = response


def _header(event: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def _method(event: Mapping[str, Any]) -> str:
    http = (event.get("requestContext") or {}).get("http") or {}
    return str(http.get("method", "")).upper()


def idempotency_key(event: Mapping[str, Any]) -> str | None:
    """The request's Idempotency-Key: None when it has none or is not a POST; MalformedRequest
    when the header is empty, too long or not printable."""
    if _method(event) != "POST":
        return None
    key = _header(event, HEADER)
    if key is None:
        return None
    if len(key) > MAX_KEY_LENGTH or not _KEY.match(key):
        raise MalformedRequest(KEY_PROBLEM, field=HEADER)
    return key


def _body(event: Mapping[str, Any]) -> Any:
    """The body as the hash should see it: parsed JSON, so spacing and key order do not matter."""
    body = event.get("body")
    if not body:
        return None
    text = str(body)
    if event.get("isBase64Encoded"):
        try:
            text = base64.b64decode(text, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _replayed(response: Any, idempotent_data: DataRecord) -> Any:
    if isinstance(response, dict):
        headers = dict(response.get("headers") or {})
        headers[REPLAYED_HEADER] = "true"
        return {**response, "headers": headers}
    return response


def api_idempotency_config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[firm_id, route, key]",
        payload_validation_jmespath="body",
        raise_on_no_idempotency_key=True,
        expires_after_seconds=EXPIRES_AFTER_SECONDS,
        response_hook=_replayed,
    )


def run_once(
    event: Mapping[str, Any],
    firm_id: str,
    key: str,
    context: LambdaContext,
    persistence: DynamoDBPersistenceLayer,
    config: IdempotencyConfig,
    respond: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """`respond()`'s answer, or the answer it gave to the same request before."""
    from aws_lambda_powertools.utilities.idempotency.base import IdempotencyHandler
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
        IdempotencyValidationError,
    )

    path = str(event.get("rawPath") or "")
    request = {"firm_id": firm_id, "route": f"{_method(event)} {path}", "key": key, "body": _body(event)}

    def once() -> dict[str, Any]:
        response = respond()
        if not 200 <= int(response.get("statusCode", 500)) < 300:
            raise _NotRemembered(response)
        return response

    # an in-progress record outlives this invocation by no more than its time left
    config.register_lambda_context(context)
    handler = IdempotencyHandler(
        function=once,
        function_payload=request,
        config=config,
        persistence_store=persistence,
        key_prefix="api",
        function_args=(),
        function_kwargs={},
    )
    try:
        answer: dict[str, Any] = handler.handle()
    except _NotRemembered as refused:
        return refused.response
    except IdempotencyValidationError as error:
        raise StateConflict(
            f"this {HEADER} was used in the last 24 hours for a request with another body; "
            "send a new key for a new request"
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise StateConflict(
            f"a request with this {HEADER} is still in progress; retry it once that one has answered"
        ) from error
    return answer
