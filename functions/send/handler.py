"""Send function: SQS batches of email rounds -> SES, with partial batch failures.

Each record is one email round (notification, automatic or manual reminder, approval request)
keyed on item + round, so a redelivered message sends nothing twice. A record that fails comes
back after its own backoff (not the queue's fixed visibility timeout) and is logged with why.
Each batch publishes its figures (reminders/workers/send_metrics.py): sent, failed by reason, throttled,
skipped as suppressed, given up.
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
from portal_reminders.reminders.workers import send_metrics
from portal_reminders.reminders.workers.send_batch import FailedRecord, SendBatch
from portal_reminders.wiring import get_services

# An all-failed batch is reported record by record like any other (not raised), so SQS
# retries exactly the failed messages and the response is the same shape every time.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False, logger=logger)


def _receive_count(record: SQSRecord) -> int:
    return int(record.attributes.approximate_receive_count or 1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    require_sqs_records(event)
    batch = SendBatch([str(record.get("body", "")) for record in event["Records"]], get_services())
    response = process_partial_response(
        event=event, record_handler=lambda record: batch.handle(record.body), processor=processor, context=context
    )
    failures = [
        FailedRecord(record.message_id, record.receipt_handle, _receive_count(record), error)
        for record, (_, error, _) in zip(processor.fail_messages, processor.exceptions, strict=True)
        if error is not None
    ]
    batch.retry_later(failures)
    batch.settle()
    send_metrics.publish(batch.outcomes, failures)
    return response
