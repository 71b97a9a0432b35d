"""Suppression function: the SES configuration set's bounce and complaint events, from the default
event bus -> suppressed contacts and their audit events (SPEC R15).

EventBridge invokes it asynchronously; a storage failure raises, so Lambda retries it and then
keeps the event in the dead-letter queue. Events it cannot act on are logged and dropped.
"""

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.budget import within_budget
from portal_reminders.observability import logger, metrics, tracer
from portal_reminders.reminders.clients.suppression import receive_feedback
from portal_reminders.wiring import get_services


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return receive_feedback(event, get_services().suppressions).as_dict()
