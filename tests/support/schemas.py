"""The JSON Schemas of the domain events (schemas/ at the repository root), applied to events as
EventBridge delivers them to a rule's target. Strict here: a detail field the schema does not
document fails, so the schemas cannot fall behind the code."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from devtools.local.eventbus import event_from_entry

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


@cache
def schema(detail_type: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{detail_type}.schema.json").read_text())
    return loaded


@cache
def _strict_validator(detail_type: str) -> Draft202012Validator:
    strict = copy.deepcopy(schema(detail_type))
    strict["properties"]["detail"]["additionalProperties"] = False
    return Draft202012Validator(strict, format_checker=FormatChecker())


def delivered(entry: dict[str, Any]) -> dict[str, Any]:
    """A PutEvents entry as a rule's target receives it."""
    event_id = "6a7e8feb-b491-4cf7-a9f1-bf3703467718"
    return event_from_entry(entry, event_id, datetime.now(UTC), "us-east-1", "123456789012")


def problems(entry: dict[str, Any]) -> list[str]:
    """What is wrong with a published entry against its schema (nothing: [])."""
    event = delivered(entry)
    path = SCHEMAS / f"{event['detail-type']}.schema.json"
    if not path.exists():
        return [f"no schema for detail-type {event['detail-type']!r} in schemas/"]
    validator = _strict_validator(event["detail-type"])
    return [f"{'/'.join(map(str, e.absolute_path)) or '(event)'}: {e.message}" for e in validator.iter_errors(event)]
