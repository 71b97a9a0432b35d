"""Where moto differs from AWS in a way the product depends on, made to behave like AWS. Applied
by the tests (tests/conftest.py) and by the local stack, which both run moto in this process.

* SQS ChangeMessageVisibility: AWS caps a message's visibility at 12 hours *per receive* ("the
  next time it is received [its timeout] reverts to the original value"); moto counts the 12 hours
  from when the message was *sent*, so it refuses every change to a message older than 12 hours.
  The send function backs a reminder off with visibility changes for up to 24 hours (SPEC R14).
"""

from __future__ import annotations

from typing import Any

from moto.sqs import models as sqs_models
from moto.sqs.exceptions import InvalidParameterValue, ReceiptHandleIsInvalid

MAX_VISIBILITY_SECONDS = 43_200


def _change_message_visibility(self: Any, queue_name: str, receipt_handle: str, visibility_timeout: int) -> None:
    queue = self.get_queue(queue_name)
    if not 0 <= int(visibility_timeout) <= MAX_VISIBILITY_SECONDS:
        raise InvalidParameterValue(
            f"Value {visibility_timeout} for parameter VisibilityTimeout is invalid. Reason: must be 0 to 43200."
        )
    for message in queue._messages:
        if message.had_receipt_handle(receipt_handle):
            message.change_visibility(visibility_timeout)
            if message.visible and message in queue.pending_messages:
                queue.pending_messages.remove(message)
            return
    raise ReceiptHandleIsInvalid


def apply() -> None:
    sqs_models.SQSBackend.change_message_visibility = _change_message_visibility  # type: ignore[method-assign]
