"""Events for the handlers, built from the sample events in events/ (the ones `sam local invoke`
uses), so tests and the samples cannot drift apart."""

from __future__ import annotations

import copy
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

EVENTS = Path(__file__).resolve().parents[2] / "events"


def load_event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def api_event(
    method: str,
    path: str,
    body: Any = None,
    *,
    query: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload v2) event; `body` dicts are JSON-encoded, strings sent as-is.

    `claims=None` keeps the sample's JWT claims; `claims={}` means the authorizer passed none.
    """
    event = copy.deepcopy(load_event("api_send_item.json"))
    event["routeKey"] = f"{method} {path}"
    event["rawPath"] = path
    event["requestContext"]["http"].update(method=method, path=path)
    event["requestContext"]["requestId"] = uuid.uuid4().hex
    event.pop("pathParameters", None)
    event["body"] = json.dumps(body) if isinstance(body, dict | list) else body
    event["rawQueryString"] = urlencode(query or {})
    if query:
        event["queryStringParameters"] = query
    if claims is not None:
        if claims:
            event["requestContext"]["authorizer"]["jwt"]["claims"] = claims
        else:
            del event["requestContext"]["authorizer"]
    if headers:
        event["headers"].update(headers)
    return event


def scheduled_event(at: datetime | str) -> dict[str, Any]:
    event = load_event("scan_tick.json")
    event["id"] = str(uuid.uuid4())
    event["time"] = at if isinstance(at, str) else at.strftime("%Y-%m-%dT%H:%M:%SZ")
    return event


def bus_event(entry: dict[str, Any]) -> dict[str, Any]:
    """The event EventBridge delivers to a rule's target for one PutEvents entry."""
    event = load_event("job_entered_stage.json")
    event["id"] = str(uuid.uuid4())
    event["detail-type"] = entry["DetailType"]
    event["source"] = entry["Source"]
    event["detail"] = json.loads(entry["Detail"])
    return event


def sqs_event(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """An SQS event source mapping batch of real received messages (receive_message output)."""
    template = load_event("send_batch.json")["Records"][0]
    records = []
    for message in messages:
        record = copy.deepcopy(template)
        record["messageId"] = message["MessageId"]
        record["receiptHandle"] = message["ReceiptHandle"]
        record["body"] = message["Body"]
        record["md5OfBody"] = message["MD5OfBody"]
        record["attributes"]["ApproximateReceiveCount"] = message["Attributes"]["ApproximateReceiveCount"]
        records.append(record)
    return {"Records": records}


@dataclass
class FakeLambdaContext:
    function_name: str = "client-reminders-test"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:client-reminders-test"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/client-reminders-test"
    log_stream_name: str = "2026/11/27/[$LATEST]0123456789abcdef"
    remaining_ms: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms
