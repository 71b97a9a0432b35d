"""Publisher function: the table's stream (committed changes) -> domain events on the bus (R17).

Lambda's DynamoDB event source mapping delivers the stream in order, with partial batch failures:
the response names the records whose events the bus did not accept, and only those (and what
follows them) come back.
"""

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.budget import within_budget
from portal_reminders.observability import logger, metrics, tracer
from portal_reminders.reminders.publishing.publishing import publish_changes
from portal_reminders.repository.changes import changes_from_stream
from portal_reminders.wiring import get_services


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    changes = changes_from_stream(event)
    services = get_services()
    report = publish_changes(changes, services.event_facts, services.event_bus)
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=report.published)
    metrics.add_metric(name="StreamRecordsFailed", unit=MetricUnit.Count, value=len(report.failed))
    metrics.add_metric(name="StreamRecordsUnreadable", unit=MetricUnit.Count, value=report.malformed)
    return report.response()
