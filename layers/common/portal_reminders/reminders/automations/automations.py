"""The automations function's use case: a JobEnteredStage event runs the stage's automations once
per entry_id (Powertools idempotency on the entry id; a redelivered event runs nothing again).
Events it cannot act on are logged and dropped: never retried forever."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from portal_reminders.models.messages import JobEnteredStage, JobEnteredStageEvent
from portal_reminders.observability import logger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from portal_reminders.wiring import Services


def parse_entry(event: Any) -> JobEnteredStage | None:
    try:
        return JobEnteredStageEvent.model_validate(event).detail
    except ValidationError as error:
        logger.error(
            "JobEnteredStage event dropped: malformed",
            extra={"errors": error.errors(include_url=False, include_input=False)},
        )
        return None


@cache
def _once_per_entry(services: Services) -> Callable[..., dict[str, Any]]:
    from aws_lambda_powertools.utilities.idempotency import idempotent_function  # noqa: PLC0415

    def run(entry: dict[str, Any]) -> dict[str, Any]:
        outcome = services.pipelines.run_entry(JobEnteredStage.model_validate(entry))
        return {
            "status": outcome.status,
            "reason": outcome.reason,
            "item_ids": outcome.item_ids,
            "failed": outcome.failed,
        }

    decorated: Callable[..., dict[str, Any]] = idempotent_function(
        data_keyword_argument="entry", persistence_store=services.idempotency, config=services.idempotency_config
    )(run)
    return decorated


def handle_job_entered(event: Any, context: LambdaContext, services: Services) -> dict[str, Any]:
    entry = parse_entry(event)
    if entry is None:
        return {"status": "dropped", "reason": "malformed event"}
    services.idempotency_config.register_lambda_context(context)
    return _once_per_entry(services)(entry=entry.model_dump())
