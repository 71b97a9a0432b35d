"""One send-queue message -> one email round, with retry and give-up semantics."""

from __future__ import annotations

from pydantic import ValidationError

from portal_reminders.models.events import InvalidEvent
from portal_reminders.models.messages import SEND_QUEUE_MESSAGE
from portal_reminders.observability import logger
from portal_reminders.ports import MailUnavailable
from portal_reminders.reminders.delivery import Deliverer


def process_send_record(body: str, receive_count: int, deliverer: Deliverer, max_receive_count: int) -> str:
    """Deliver the message's email round; raise to have SQS retry it. Returns the outcome status.

    On the queue's last receive (`max_receive_count`, the redrive policy's maxReceiveCount) a round
    the mail service keeps refusing is recorded as email_failed before the message dead-letters.
    """
    try:
        message = SEND_QUEUE_MESSAGE.validate_json(body)
    except ValidationError as error:
        logger.error("malformed send message", extra={"errors": error.errors(include_url=False, include_input=False)})
        raise InvalidEvent(f"not a send-queue message: {error.error_count()} problem(s)") from error
    email_round = message.email_round()
    try:
        outcome = deliverer.deliver(message.ref, email_round)
    except MailUnavailable as error:
        if receive_count >= max_receive_count:
            deliverer.give_up(message.ref, email_round, reason=f"mail service unavailable: {error}")
        raise
    return outcome.status
