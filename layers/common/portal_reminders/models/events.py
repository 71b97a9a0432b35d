"""Trigger events the functions accept, validated before anything happens."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError


class InvalidEvent(ValueError):
    """The function was invoked with an event it cannot act on; nothing was changed."""


def _iso_text(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 timestamp string, as EventBridge sends it")
    return value


class ScheduledEvent(BaseModel):
    """The EventBridge scheduled event that triggers a scan. Only `time` matters: it is "now".

    (A small model of our own: Powertools' EventBridgeModel would import every parser model on
    each cold start for this one field.)
    """

    model_config = ConfigDict(populate_by_name=True)

    time: Annotated[AwareDatetime, BeforeValidator(_iso_text)]
    detail_type: str = Field(default="Scheduled Event", alias="detail-type")
    source: str = "aws.events"


def parse_scheduled_event(event: Any) -> ScheduledEvent:
    try:
        return ScheduledEvent.model_validate(event)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in error.errors())
        raise InvalidEvent(
            f"expected an EventBridge scheduled event with an ISO 8601 'time' (UTC offset included): {problems}"
        ) from error


def require_sqs_records(event: Any) -> None:
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) and "messageId" in r for r in records):
        raise InvalidEvent("expected an SQS event: {'Records': [{'messageId': ..., 'body': ...}, ...]}")
