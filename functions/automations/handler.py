"""Automations function: JobEnteredStage events from the bus -> the stage's automations (R8)."""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.budget import within_budget
from portal_reminders.observability import logger, metrics, tracer
from portal_reminders.reminders.automations.automations import handle_job_entered
from portal_reminders.wiring import get_services


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return handle_job_entered(event, context, get_services())
