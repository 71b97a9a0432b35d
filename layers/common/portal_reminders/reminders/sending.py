"""One send-queue message -> one email round, with retry and give-up semantics."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import ValidationError

from portal_reminders import budget
from portal_reminders.budget import OutOfTime
from portal_reminders.models.events import InvalidEvent
from portal_reminders.models.messages import AccountApprovalsMessage, ApprovalsRequestMessage, parse_send_message
from portal_reminders.observability import logger
from portal_reminders.ports import MailUnavailable

if TYPE_CHECKING:
    from portal_reminders.wiring import Services

# Failures that, still there on the queue's last receive, are recorded as email_failed before the
# message dead-letters (another worker holding the round is not one: it records it itself).
GIVE_UP_AFTER = (MailUnavailable, OutOfTime)


def process_send_record(body: str, receive_count: int, services: Services) -> str:
    """Carry out one send-queue message; raise to have SQS retry it. Returns the outcome status.

    On the queue's last receive (the redrive policy's maxReceiveCount) an email round the mail
    service keeps refusing is recorded as email_failed before the message dead-letters.
    """
    budget.check()
    try:
        message = parse_send_message(body)
    except ValidationError as error:
        logger.error("malformed send message", extra={"errors": error.errors(include_url=False, include_input=False)})
        raise InvalidEvent(f"not a send-queue message: {error.error_count()} problem(s)") from error
    if isinstance(message, ApprovalsRequestMessage):
        services.approvals.fan_out(message)
        return "fanned_out"
    last_receive = receive_count >= services.settings.send_max_receive_count
    if isinstance(message, AccountApprovalsMessage):
        try:
            return services.approvals.deliver_account(message)
        except GIVE_UP_AFTER as error:
            if last_receive:
                services.approvals.give_up(message, reason=_reason(error))
            raise
    email_round = message.email_round()
    try:
        outcome = services.deliverer.deliver(message.ref, email_round)
    except GIVE_UP_AFTER as error:
        if last_receive:
            services.deliverer.give_up(message.ref, email_round, reason=_reason(error))
        raise
    return outcome.status


def _reason(error: Exception) -> str:
    if isinstance(error, OutOfTime):
        return f"ran out of time on every attempt: {error}"
    return f"mail service unavailable: {error}"
