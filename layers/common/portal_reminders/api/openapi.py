"""What the OpenAPI document says beyond the routes and models Powertools reads (SPEC R18).

`finish` completes the document Powertools generates with the rules the server enforces outside
the pydantic models, so that the document is the whole truth:
- what API Gateway itself answers on every route: 401 {"message": "Unauthorized"} without a valid
  JWT, 429 {"message": "Too Many Requests"} past the stage's throttling;
- the shape of ids in paths (another shape names nothing: 404) and of page tokens;
- request bodies are JSON objects, never null (an absent optional body is fine);
- `Idempotency-Key` on every POST (api/idempotency.py), its 400 and 409, and the replay header;
- the resend cooldown's and the daily email cap's 429 with Retry-After;
- links from what a POST creates to the operations on it, for clients and stateful fuzzers;
- the time zone names the API accepts (SPEC R16), once, as the `TimeZone` schema.
"""

from __future__ import annotations

import copy
from typing import Any

from portal_reminders import ids, zones
from portal_reminders.api import idempotency
from portal_reminders.api.types import TIME_ZONE_MARK, TIME_ZONE_SCHEMA
from portal_reminders.repository.paging import MAX_TOKEN_LENGTH

PATH_IDS = {
    "account_id": ids.ACCOUNT,
    "contact_id": ids.CONTACT,
    "item_id": ids.ITEM,
    "template_id": ids.TEMPLATE,
    "pipeline_id": ids.PIPELINE,
    "job_id": ids.JOB,
}
PAGE_TOKEN_PATTERN = r"^[A-Za-z0-9_-]*$"  # empty: the first page
GATEWAY_MESSAGE = "GatewayMessage"
ERROR = {"$ref": "#/components/schemas/ErrorOut"}
GATEWAY = {"$ref": f"#/components/schemas/{GATEWAY_MESSAGE}"}
RESEND = ("/action-items/{item_id}/resend", "post")
# Manual requests that email: past the firm's daily email cap they are refused (SPEC R18).
CAPPED = {
    ("/accounts/{account_id}/action-items", "post"),
    RESEND,
    ("/approvals/request-pending", "post"),
}
DAILY_CAP = (
    "rate_limited: the firm has sent its DailyEmailCap emails today (UTC); Retry-After says when tomorrow starts"
)

# What each POST creates, and the operations that take its id: (operation, path parameter, where).
_FROM_BODY_ID = "$response.body#/id"
LINKS: dict[tuple[str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("/accounts", "post"): {
        "GetAccount": ("/accounts/{account_id}", "get", {"account_id": _FROM_BODY_ID}),
        "UpdateAccount": ("/accounts/{account_id}", "patch", {"account_id": _FROM_BODY_ID}),
        "AddContact": ("/accounts/{account_id}/contacts", "post", {"account_id": _FROM_BODY_ID}),
        "SendItem": ("/accounts/{account_id}/action-items", "post", {"account_id": _FROM_BODY_ID}),
        "ListItems": ("/accounts/{account_id}/action-items", "get", {"account_id": _FROM_BODY_ID}),
        "ListTasks": ("/accounts/{account_id}/tasks", "get", {"account_id": _FROM_BODY_ID}),
        "AccountAudit": ("/accounts/{account_id}/audit", "get", {"account_id": _FROM_BODY_ID}),
    },
    ("/accounts/{account_id}/contacts", "post"): {
        "UpdateContact": (
            "/accounts/{account_id}/contacts/{contact_id}",
            "patch",
            {"account_id": "$request.path.account_id", "contact_id": _FROM_BODY_ID},
        ),
    },
    ("/accounts/{account_id}/action-items", "post"): {
        "GetItem": ("/action-items/{item_id}", "get", {"item_id": _FROM_BODY_ID}),
        "ChangeReminders": ("/action-items/{item_id}/reminders", "patch", {"item_id": _FROM_BODY_ID}),
        "Resend": ("/action-items/{item_id}/resend", "post", {"item_id": _FROM_BODY_ID}),
        "Complete": ("/action-items/{item_id}/complete", "post", {"item_id": _FROM_BODY_ID}),
        "Cancel": ("/action-items/{item_id}/cancel", "post", {"item_id": _FROM_BODY_ID}),
        "RecordPayment": ("/action-items/{item_id}/payments", "post", {"item_id": _FROM_BODY_ID}),
        "ItemAudit": ("/action-items/{item_id}/audit", "get", {"item_id": _FROM_BODY_ID}),
    },
    ("/templates", "post"): {
        "GetTemplate": ("/templates/{template_id}", "get", {"template_id": _FROM_BODY_ID}),
        "UpdateTemplate": ("/templates/{template_id}", "patch", {"template_id": _FROM_BODY_ID}),
    },
    ("/pipelines", "post"): {
        "GetPipeline": ("/pipelines/{pipeline_id}", "get", {"pipeline_id": _FROM_BODY_ID}),
        "StartJob": ("/pipelines/{pipeline_id}/jobs", "post", {"pipeline_id": _FROM_BODY_ID}),
    },
    ("/pipelines/{pipeline_id}/jobs", "post"): {
        "GetJob": ("/jobs/{job_id}", "get", {"job_id": _FROM_BODY_ID}),
        "MoveJob": ("/jobs/{job_id}/move", "post", {"job_id": _FROM_BODY_ID}),
        "ArchiveJob": ("/jobs/{job_id}/archive", "post", {"job_id": _FROM_BODY_ID}),
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _pointer(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + f"/{method}"


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`X | None` as Powertools writes it (anyOf with null), without the null."""
    options = [option for option in schema.get("anyOf", []) if option != {"type": "null"}]
    if len(options) == 1 and len(options) < len(schema.get("anyOf", [])):
        rest = {key: value for key, value in schema.items() if key != "anyOf"}
        return {**rest, **options[0]}
    return schema


def _gateway_responses(operation: dict[str, Any], resend: bool, capped: bool) -> None:
    responses = operation["responses"]
    responses["401"] = {
        "description": (
            "API Gateway's JWT authorizer refused the token (none, expired, or not from the identity provider): "
            '{"message": "Unauthorized"}; a token without the claims `sub` and the firm claim: unauthorized'
        ),
        "content": _json({"anyOf": [GATEWAY, ERROR]}),
    }
    throttled = (
        'API Gateway\'s throttling (ApiThrottlingBurstLimit, ApiThrottlingRateLimit): {"message": "Too Many Requests"}'
    )
    if not capped:
        responses["429"] = {"description": throttled, "content": _json(GATEWAY)}
        return
    cooldown = (
        "rate_limited: the item was resent by hand less than ResendCooldownMinutes ago (60 by default); "
        "Retry-After says in how many seconds it may be resent. Or "
    )
    responses["429"] = {
        "description": f"{cooldown if resend else ''}{DAILY_CAP}. Or {throttled}, without Retry-After",
        "headers": {
            "Retry-After": {
                "description": "seconds until the request may be made again (on rate_limited)",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        "content": _json({"anyOf": [ERROR, GATEWAY]}),
    }


def _idempotency(operation: dict[str, Any]) -> None:
    operation.setdefault("parameters", []).append(
        {
            "in": "header",
            "name": idempotency.HEADER,
            "required": False,
            "description": (
                "Makes a retried POST safe: within 24 hours the same key and body get the first response again "
                f"(with {idempotency.REPLAYED_HEADER}: true) and nothing is done twice; the same key with another "
                "body, or while the first request is still running, is 409. Keys belong to the firm and the route; "
                "only successful responses are kept."
            ),
            "schema": {
                "type": "string",
                "minLength": 1,
                "maxLength": idempotency.MAX_KEY_LENGTH,
                "pattern": idempotency.KEY_PATTERN,
            },
        }
    )
    responses = operation["responses"]
    for status, response in responses.items():
        if status.startswith("2"):
            response.setdefault("headers", {})[idempotency.REPLAYED_HEADER] = {
                "description": "true when this is the response to an earlier request with the same Idempotency-Key",
                "schema": {"type": "string", "enum": ["true"]},
            }
    conflict = responses.setdefault("409", {"content": _json(ERROR)})
    conflict["description"] = (conflict.get("description", "") + "; or ").lstrip(
        "; "
    ) + "the Idempotency-Key was used for another body, or its first request is still in progress (conflict)"
    bad = responses["400"]
    bad["description"] += f"; or a malformed {idempotency.HEADER} (bad_request)"


def _parameters(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        if parameter["in"] == "path" and parameter["name"] in PATH_IDS:
            schema["pattern"] = ids.pattern(PATH_IDS[parameter["name"]])
        if parameter["in"] == "query":
            parameter["schema"] = schema = _without_null(schema)
            if parameter["name"] == "next_token":
                schema.update(pattern=PAGE_TOKEN_PATTERN, maxLength=MAX_TOKEN_LENGTH)


def _links(document: dict[str, Any]) -> None:
    for (path, method), links in LINKS.items():
        created = next(r for status, r in document["paths"][path][method]["responses"].items() if status == "201")
        created["links"] = {
            name: {"operationRef": _pointer(target, target_method), "parameters": parameters}
            for name, (target, target_method, parameters) in links.items()
        }


def _time_zones(node: Any) -> Any:
    """Every schema marked as a time zone, as a reference to the one list of names."""
    if isinstance(node, dict):
        if node.get(TIME_ZONE_MARK):
            rest = {key: value for key, value in node.items() if key not in (TIME_ZONE_MARK, "type")}
            return {"$ref": f"#/components/schemas/{TIME_ZONE_SCHEMA}", **rest}
        return {key: _time_zones(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_time_zones(value) for value in node]
    return node


def finish(generated: dict[str, Any]) -> dict[str, Any]:
    document: dict[str, Any] = _time_zones(copy.deepcopy(generated))
    document["components"]["schemas"][GATEWAY_MESSAGE] = {
        "title": GATEWAY_MESSAGE,
        "description": "What API Gateway itself answers, before the function runs",
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
    }
    document["components"]["schemas"][TIME_ZONE_SCHEMA] = {
        "title": TIME_ZONE_SCHEMA,
        "description": "An IANA time zone name: the tz database's zones and their links (the pinned tzdata's)",
        "type": "string",
        "enum": list(zones.names()),
    }
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody")
            if body:
                media = body["content"]["application/json"]
                media["schema"] = _without_null(media["schema"])
            _parameters(operation)
            _gateway_responses(operation, (path, method) == RESEND, (path, method) in CAPPED)
            if method == "post":
                _idempotency(operation)
    _links(document)
    return document
