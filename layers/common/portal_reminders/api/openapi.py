"""What the OpenAPI document says beyond the routes and models Powertools reads (SPEC R18).

Every route declares its own `operation_id` (camelCase, stable: generated clients name their
functions after it), one tag of `Tag`, a summary, and its responses (routes/common.py); `finish`
completes the document Powertools generates with the rules the server enforces outside the
pydantic models, so that the document is the whole truth:
- the tags, each with its description;
- what API Gateway itself answers on every route: 401 {"message": "Unauthorized"} without a valid
  JWT, 429 {"message": "Too Many Requests"} past the stage's throttling;
- the shape of ids in paths (another shape names nothing: 404);
- request bodies are JSON objects, never null (an absent optional body is fine);
- `Idempotency-Key` on every POST (api/idempotency.py), its 400 and 409, and the replay header;
- the resend cooldown's and the daily email cap's 429 with Retry-After;
- links from what a POST creates to the operations on it, for clients and stateful fuzzers;
- time zone names (SPEC R16), once, as the `TimeZone` schema;
- no schema that nothing refers to (Powertools adds validation error models this API never sends).
"""

from __future__ import annotations

import copy
import json
from enum import StrEnum
from typing import Any

from portal_reminders import ids
from portal_reminders.api import idempotency


class Tag(StrEnum):
    """One tag per resource: generated clients group their operations by it (a module per tag)."""

    FIRM = "Firm"
    ACCOUNTS = "Accounts"
    CONTACTS = "Contacts"
    ACTION_ITEMS = "Action items"
    TASKS = "Tasks"
    AUDIT = "Audit"
    TEMPLATES = "Templates"
    PIPELINES = "Pipelines"
    JOBS = "Jobs"
    APPROVALS = "Approvals"
    EMAIL_TEMPLATES = "Email templates"


TAG_DESCRIPTIONS = {
    Tag.FIRM: "The caller's firm: its name in emails, reply-to address, portal URL, time zone and sending hours, "
    "the branding of its emails, and the domain its mail comes from once the mail service has verified it.",
    Tag.ACCOUNTS: "Client accounts: a name, a language for emails, and optionally the client's own time zone.",
    Tag.CONTACTS: "The people of an account. Those with `notify` on get the emails; bounces and complaints "
    "suppress a contact until the firm lifts it.",
    Tag.ACTION_ITEMS: "What a client must do (organizer, proposal, invoice, chat, signature, approval): sending "
    "one emails the account, resending reminds it by hand, automatic reminders follow the item's settings until "
    "it is completed, cancelled or out of reminders.",
    Tag.TASKS: "The client's portal task list: pending items, most recently emailed first.",
    Tag.AUDIT: "The append-only audit trail of everything that reached a client, per item and per account.",
    Tag.TEMPLATES: "Invoice, proposal, organizer and chat templates: content and reminder settings for items.",
    Tag.PIPELINES: "Pipelines of stages whose automations send items from templates when a job enters a stage.",
    Tag.JOBS: "An account's job in a pipeline: entering or moving to a stage runs its automations; archiving "
    "stops the reminders of the items they created.",
    Tag.APPROVALS: "Request approval for pending: one email per account listing its documents pending approval.",
    Tag.EMAIL_TEMPLATES: "The firm's own wording of its emails to clients, per kind, stage (notification, reminder, "
    "final, escalation) and language: a subject and a plain-text body with placeholders such as "
    "{{contact_first_name}} and {{due_date}}, in place of the built-in words; and previews of what an email would "
    "say, for an item or with sample data.",
}

PATH_IDS = {
    "account_id": ids.ACCOUNT,
    "contact_id": ids.CONTACT,
    "item_id": ids.ITEM,
    "template_id": ids.TEMPLATE,
    "pipeline_id": ids.PIPELINE,
    "job_id": ids.JOB,
}
ERROR_SCHEMA = "Error"
GATEWAY_MESSAGE = "GatewayMessage"
ERROR = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
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

# What each POST creates, and the operations that take its id: operation id -> path parameter -> where.
_FROM_BODY_ID = "$response.body#/id"
LINKS: dict[tuple[str, str], dict[str, dict[str, str]]] = {
    ("/accounts", "post"): {
        "getAccount": {"account_id": _FROM_BODY_ID},
        "updateAccount": {"account_id": _FROM_BODY_ID},
        "addContact": {"account_id": _FROM_BODY_ID},
        "sendItem": {"account_id": _FROM_BODY_ID},
        "listAccountItems": {"account_id": _FROM_BODY_ID},
        "listAccountTasks": {"account_id": _FROM_BODY_ID},
        "listAccountAudit": {"account_id": _FROM_BODY_ID},
    },
    ("/accounts/{account_id}/contacts", "post"): {
        "updateContact": {"account_id": "$request.path.account_id", "contact_id": _FROM_BODY_ID},
    },
    ("/accounts/{account_id}/action-items", "post"): {
        "getItem": {"item_id": _FROM_BODY_ID},
        "changeItemReminders": {"item_id": _FROM_BODY_ID},
        "resendItem": {"item_id": _FROM_BODY_ID},
        "completeItem": {"item_id": _FROM_BODY_ID},
        "cancelItem": {"item_id": _FROM_BODY_ID},
        "recordPayment": {"item_id": _FROM_BODY_ID},
        "listItemAudit": {"item_id": _FROM_BODY_ID},
    },
    ("/templates", "post"): {
        "getTemplate": {"template_id": _FROM_BODY_ID},
        "updateTemplate": {"template_id": _FROM_BODY_ID},
    },
    ("/pipelines", "post"): {
        "getPipeline": {"pipeline_id": _FROM_BODY_ID},
        "startJob": {"pipeline_id": _FROM_BODY_ID},
    },
    ("/pipelines/{pipeline_id}/jobs", "post"): {
        "getJob": {"job_id": _FROM_BODY_ID},
        "moveJob": {"job_id": _FROM_BODY_ID},
        "archiveJob": {"job_id": _FROM_BODY_ID},
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


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
            parameter["schema"] = _without_null(schema)


def _links(document: dict[str, Any]) -> None:
    for (path, method), links in LINKS.items():
        created = next(r for status, r in document["paths"][path][method]["responses"].items() if status == "201")
        created["links"] = {
            operation_id[0].upper() + operation_id[1:]: {"operationId": operation_id, "parameters": parameters}
            for operation_id, parameters in links.items()
        }


def _time_zones(node: Any) -> Any:
    """Every schema marked as a time zone, as a reference to the one `TimeZone` schema."""
    # deferred, as in finish: the routes import this module for Tag, and api.types is the models' (api/deferred.py)
    from portal_reminders.api.types import TIME_ZONE_MARK, TIME_ZONE_SCHEMA  # noqa: PLC0415

    if isinstance(node, dict):
        if node.get(TIME_ZONE_MARK):
            rest = {key: value for key, value in node.items() if key not in (TIME_ZONE_MARK, "type")}
            return {"$ref": f"#/components/schemas/{TIME_ZONE_SCHEMA}", **rest}
        return {key: _time_zones(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_time_zones(value) for value in node]
    return node


def _referenced(node: Any) -> set[str]:
    text = json.dumps(node)
    prefix = '"#/components/schemas/'
    return {part.split('"', 1)[0] for part in text.split(prefix)[1:]}


def _without_unused_schemas(document: dict[str, Any]) -> None:
    """Drop component schemas nothing refers to (Powertools adds HTTPValidationError and the like,
    which this API never answers: its errors are all `Error`)."""
    schemas = document["components"]["schemas"]
    used = _referenced(document["paths"])
    while True:
        more = set().union(*(_referenced(schemas[name]) for name in used if name in schemas)) - used
        if not more:
            break
        used |= more
    for name in sorted(set(schemas) - used):
        del schemas[name]


def finish(generated: dict[str, Any]) -> dict[str, Any]:
    # deferred: the routes import this module for Tag; api.types loads with the models (api/deferred.py)
    from portal_reminders.api.types import TIME_ZONE_SCHEMA, time_zone_json_schema  # noqa: PLC0415

    document: dict[str, Any] = _time_zones(copy.deepcopy(generated))
    document["tags"] = [{"name": tag.value, "description": TAG_DESCRIPTIONS[tag]} for tag in Tag]
    document["components"]["schemas"][GATEWAY_MESSAGE] = {
        "title": GATEWAY_MESSAGE,
        "description": "What API Gateway itself answers, before the function runs",
        "type": "object",
        "properties": {"message": {"type": "string"}},
        "required": ["message"],
    }
    document["components"]["schemas"][TIME_ZONE_SCHEMA] = time_zone_json_schema()
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
    _without_unused_schemas(document)
    return document
