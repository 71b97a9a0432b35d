"""Send function: SQS batches of email rounds -> SES, with partial batch failures.

Each record is one email round (notification, automatic or manual reminder) keyed on item +
round, so a redelivered message sends nothing twice. A record that keeps failing is retried by
SQS, recorded as email_failed on its last receive, and ends in the dead-letter queue.
"""

from typing import Any

# Imported before anything that loads pydantic, on purpose: Powertools' batch module then skips
# loading every parser model (tens of milliseconds of cold start) that this function never uses.
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.budget import within_budget
from portal_reminders.models.events import require_sqs_records
from portal_reminders.observability import logger, metrics, tracer
from portal_reminders.reminders.sending import process_send_record
from portal_reminders.wiring import get_services

# An all-failed batch is reported record by record like any other (not raised), so SQS
# retries exactly the failed messages and the response is the same shape every time.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    return process_send_record(record.body, int(record.attributes.approximate_receive_count or 1), get_services())


@logger.inject_lambda_context
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    require_sqs_records(event)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
