"""When is the next automatic email due, and may it go out now? Pure functions of an item's state.

Number 0 is the first notification; numbers 1..max_reminders are the automatic reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from portal_reminders.models.domain import ActionItem, Claim, EmailRound, Kind, Status

SKIP_NOT_PENDING = "item_not_pending"
SKIP_NOT_CLAIMED = "not_claimed"
SKIP_ALREADY_SENT = "already_sent"
SKIP_STOPPED = "reminders_stopped"
SKIP_NOT_DUE = "not_due_yet"
SKIP_ALREADY_DELIVERED = "already_delivered"

# The due index keeps whole seconds; a due time a fraction of a second after the tick that
# claimed it is due at that tick.
DUE_TOLERANCE = timedelta(seconds=1)


def next_number(item: ActionItem) -> int:
    return 0 if not item.notified else item.reminders_sent + 1


def due_at(item: ActionItem) -> datetime | None:
    """When the next automatic email is due, or None when none will go out.

    Due times in the past are kept as they are: the next scan sends ONE email then, and the
    following one is counted from that email, so a scheduler that was down never sends a burst.
    """
    if item.status is not Status.PENDING:
        return None
    number = next_number(item)
    if item.failed_number == number:
        return None
    if number == 0:
        return item.sent_at
    settings = item.reminders
    if not settings.enabled or item.reminders_sent >= settings.max_reminders:
        return None
    last = item.last_emailed_at or item.sent_at
    return last + timedelta(days=settings.days_between)


def next_at(item: ActionItem, now: datetime) -> datetime | None:
    """The next automatic reminder as the API shows it: max(now, due) (SPEC R4), None if none."""
    if not item.notified:
        return None
    due = due_at(item)
    return None if due is None else max(due, now)


def index_time(item: ActionItem) -> datetime | None:
    """The value the sparse due index holds: the lease expiry while a claim on the next email is
    outstanding (so the item is due again if its reminder is never recorded), else the due time.

    A claimed round the mail service has refused is due earlier, at its give-up deadline, so that
    the scan gives it up then if no worker did (SPEC R14: never retried after 48 hours)."""
    due = due_at(item)
    if due is None:
        return None
    number = next_number(item)
    if item.claim is not None and item.claim.number == number:
        give_up_by = give_up_deadline(item, number)
        return item.claim.until if give_up_by is None else min(item.claim.until, give_up_by)
    return due


def give_up_deadline(item: ActionItem, number: int) -> datetime | None:
    progress = item.deliveries.get(EmailRound.scheduled(number).key)
    return progress.give_up_by if progress is not None else None


def next_claim(previous: Claim | None, number: int, now: datetime, lease: timedelta) -> Claim:
    """A claim on `number`. Claiming the same number again means the last lease expired unrecorded."""
    attempts = previous.attempts + 1 if previous is not None and previous.number == number else 1
    return Claim(number=number, until=now + lease, attempts=attempts)


def skip_reason_for_scheduled(item: ActionItem, number: int, now: datetime) -> str | None:
    """Why scheduled email `number` must not go out now (re-checked by the sender), or None to send."""
    if item.status is not Status.PENDING:
        return SKIP_NOT_PENDING
    if next_number(item) != number:
        return SKIP_ALREADY_SENT
    if item.claim is None or item.claim.number != number:
        return SKIP_NOT_CLAIMED
    due = due_at(item)
    if due is None:
        return SKIP_STOPPED
    if due > now + DUE_TOLERANCE:
        return SKIP_NOT_DUE
    return None


def resend_refusal(item: ActionItem) -> str | None:
    """Why a manual resend is refused (SPEC R5 and §3), or None when it is allowed."""
    if item.status is Status.CANCELLED:
        return "the item was cancelled; it cannot be resent"
    if item.status is Status.COMPLETED and item.kind is not Kind.INVOICE:
        return "the item is already completed; only invoices can be re-emailed after completion"
    return None


def pending_approval(item: ActionItem) -> bool:
    """A document waiting for the client's approval: what "request approval for pending" lists."""
    return item.kind is Kind.APPROVAL and item.status is Status.PENDING


def has_portal_task(item: ActionItem) -> bool:
    return item.status is Status.PENDING


def portal_task_at(item: ActionItem) -> datetime:
    """Tasks are ordered by the latest email about the item; before any, by when it was sent."""
    return item.last_emailed_at or item.sent_at
