"""The send function's figures (SPEC R15), published as Powertools EMF metrics at the end of each
batch: what went out, what was held back and why, so that a dashboard and alarms show delivery.

    EmailsSent                 mails the mail service accepted
    EmailsThrottled            mail service answers "too fast" (the round waits and retries)
    MailMisconfigured          rounds the mail service refused because of the product's own request
                               or configuration (a tag, the configuration set, the sender, the size):
                               retried, never blamed on an address; template.yaml alarms on any
    ContactsSkippedSuppressed  notify contacts left out: suppressed after a bounce or complaint
    RoundsGivenUp              rounds the mail service refused for the whole retry horizon
    RoundsFailed (by reason)   rounds that did not complete: refused, misconfigured, throttled, paced,
                               busy, storage, error (retried later); rejected, suppressed, given_up
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from portal_reminders.budget import OutOfTime
from portal_reminders.models.errors import DeliveryInProgress, RoundNotRecorded, StorageUnavailable
from portal_reminders.observability import count, count_by
from portal_reminders.ports import MailMisconfigured, MailThrottled, MailUnavailable, SendRateExceeded
from portal_reminders.reminders.delivery.deliverer import DeliveryOutcome, RoundStatus

if TYPE_CHECKING:
    from portal_reminders.reminders.workers.send_batch import FailedRecord

# the metric template.yaml's SendMisconfiguredAlarm watches
MAIL_MISCONFIGURED = "MailMisconfigured"


def failure_reason(error: BaseException) -> str:
    """Why a record failed this time, in a few words a dashboard can group by."""
    if isinstance(error, SendRateExceeded):
        return "paced"
    if isinstance(error, MailThrottled):
        return "throttled"
    if isinstance(error, MailMisconfigured):
        return "misconfigured"
    if isinstance(error, MailUnavailable):
        return "refused"
    if isinstance(error, DeliveryInProgress | OutOfTime):
        return "busy"
    if isinstance(error, StorageUnavailable | RoundNotRecorded):
        return "storage"
    return "error"


def final_failure_reason(outcome: DeliveryOutcome) -> str | None:
    """Why a round that was recorded reached nobody, or None when it reached someone (or was skipped)."""
    if outcome.status is not RoundStatus.FAILED:
        return None
    if outcome.given_up:
        return "given_up"
    return "rejected" if outcome.rejected else "suppressed"


def publish(outcomes: Sequence[DeliveryOutcome], failures: Sequence[FailedRecord]) -> None:
    count("EmailsSent", sum(len(o.recipients) for o in outcomes))
    count("EmailsThrottled", sum(isinstance(f.error, MailThrottled) for f in failures))
    count(MAIL_MISCONFIGURED, sum(isinstance(f.error, MailMisconfigured) for f in failures))
    count("ContactsSkippedSuppressed", sum(len(o.suppressed) for o in outcomes))
    count("RoundsGivenUp", sum(o.given_up for o in outcomes))
    reasons: Counter[str] = Counter(failure_reason(f.error) for f in failures)
    reasons.update(reason for o in outcomes if (reason := final_failure_reason(o)) is not None)
    count("RoundsFailed", sum(reasons.values()))
    for reason, number in sorted(reasons.items()):
        count_by("RoundsFailed", number, "reason", reason)
