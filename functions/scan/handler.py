"""Scan function: on each scheduled tick, claim the due reminders and queue them for sending."""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.budget import within_budget
from portal_reminders.models.events import parse_scheduled_event
from portal_reminders.observability import logger, metrics, tracer
from portal_reminders.reminders.delivery.scan import run_scan
from portal_reminders.wiring import get_services

# Stop claiming with this much time left, so queued claims are never cut off mid-batch.
SAFETY_MARGIN_MS = 20_000


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    tick = parse_scheduled_event(event)
    services = get_services()
    report = run_scan(
        tick.time,
        services.repository,
        services.repository,
        services.queue,
        services.settings,
        out_of_time=lambda: context.get_remaining_time_in_millis() < SAFETY_MARGIN_MS,
    )
    metrics.add_metric(name="RemindersClaimed", unit=MetricUnit.Count, value=report.claimed)
    metrics.add_metric(name="RemindersGivenUp", unit=MetricUnit.Count, value=report.gave_up)
    metrics.add_metric(name="ScanQueueFailures", unit=MetricUnit.Count, value=report.queue_failures)
    metrics.add_metric(name="ScanStoppedEarly", unit=MetricUnit.Count, value=int(report.stopped_early))
    return report.as_dict()
