"""When is the next automatic email due, and may it go out now? Pure functions of an item's state.

Number 0 is the first notification; numbers 1..max_reminders are the automatic reminders. An
automatic reminder goes out within the client's sending window (SPEC R16): one that falls due
outside it waits for the window's next start (client_clock.next_allowed). Under a due-date
schedule (SPEC R19) the steps say when each is due (sequences.py).

Escalation (SPEC R19): once the last automatic reminder has gone, an item with
`escalate_after_days` has one more scheduled email, number reminders_sent + 1 like a reminder's
would be, due that many days after the last reminder: the escalation, which tells the firm, not the
client. It rides the reminders' machinery (due index, claim, round key, delivery marks), so it is
sent exactly once as they are; it is not held to the client's sending hours (the firm reads it).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from portal_reminders.models.domain import ActionItem, Claim, EmailRound, Kind, ReminderPlan, SendingWindow, Status
from portal_reminders.reminders.scheduling import client_clock, sequences, tone
from portal_reminders.reminders.scheduling.client_clock import next_allowed

SKIP_NOT_PENDING = "item_not_pending"
SKIP_NOT_CLAIMED = "not_claimed"
SKIP_ALREADY_SENT = "already_sent"
SKIP_STOPPED = "reminders_stopped"
SKIP_NOT_DUE = "not_due_yet"
SKIP_ALREADY_DELIVERED = "already_delivered"
SKIP_OUTSIDE_HOURS = "outside_sending_hours"
SKIP_NOBODY = "nobody_to_email"
SKIP_PAUSED = "reminders_paused"

# The due index keeps whole seconds; a due time a fraction of a second after the tick that
# claimed it is due at that tick.
DUE_TOLERANCE = timedelta(seconds=1)


def next_number(item: ActionItem) -> int:
    return 0 if not item.notified else item.reminders_sent + 1


def due_at(item: ActionItem) -> datetime | None:
    """When the next automatic email is due, or None when none will go out.

    Due times in the past are kept as they are: the next scan sends ONE email then, and the
    following one is counted from that email, so a scheduler that was down never sends a burst.
    Under a due-date schedule the earliest open step is due, never less than 24 hours after the
    last email about the item (sequences.py).
    """
    if item.status is not Status.PENDING:
        return None
    number = next_number(item)
    if item.failed_number == number:
        return None
    if number == 0:
        return item.sent_at
    settings = item.reminders
    if not settings.enabled:
        return None
    if escalating(item):
        return escalation_at(item)
    last = item.last_emailed_at or item.sent_at
    if settings.by_due_date:
        step_at = sequences.next_step_time(item)
        return None if step_at is None else max(step_at, last + sequences.MIN_GAP)
    if item.reminders_sent + item.reminders_skipped >= settings.max_reminders:
        return None
    # a turn skipped because nobody could get it moves the schedule on as a sent one would (SPEC R20)
    if item.skipped_at is not None:
        last = max(last, item.skipped_at)
    return last + timedelta(days=settings.days_between)


def escalating(item: ActionItem) -> bool:
    """The item's next scheduled email is its escalation: it escalates, has not yet, is pending,
    and its automatic reminders are over (every one sent, or every step sent or skipped) after at
    least one went out (without a reminder there is nothing the client ignored)."""
    settings = item.reminders
    if settings.escalate_after_days is None or item.escalated_at is not None:
        return False
    if item.status is not Status.PENDING or not item.notified or not settings.enabled or item.reminders_sent < 1:
        return False
    if item.failed_number == next_number(item):
        return False  # the escalation's own round failed for good (email_failed): it is not retried
    if settings.by_due_date:
        return sequences.next_step_time(item) is None
    return item.reminders_sent + item.reminders_skipped >= settings.max_reminders


def escalation_at(item: ActionItem) -> datetime | None:
    """When the firm is told: escalate_after_days 24-hour periods after the last automatic reminder
    (items whose reminders went before that time was kept: after the last email about them)."""
    days = item.reminders.escalate_after_days
    if days is None:
        return None
    last = item.last_reminder_at or item.last_emailed_at or item.sent_at
    return last + timedelta(days=days)


def send_at(item: ActionItem) -> datetime | None:
    """When the next scheduled email may go out, as far as the item knows: its due time, moved to
    the next start of the sending window the item last saw (`item.window`), and never before the
    window's next start after a time the sender found it closed (`item.not_before`). The first
    notification is not held back: it goes at once (SPEC R16)."""
    due = due_at(item)
    if due is None or next_number(item) == 0:
        return due
    if escalating(item):  # the firm is told at once, whatever the client's hours, but not while paused
        return _after_pause(due, item.paused_until, item.zone)
    earliest = due if item.not_before is None else max(due, item.not_before)
    return next_allowed(_after_pause(earliest, item.paused_until, item.zone), item.window)


def _after_pause(at: datetime, paused_until: date | None, zone: str) -> datetime:
    """`at`, or when the pause ends if that is later (SPEC R20)."""
    resume = client_clock.resume_at(paused_until, zone)
    return at if resume is None else max(at, resume)


def next_at(
    item: ActionItem, now: datetime, window: SendingWindow | None = None, paused_until: date | None = None
) -> datetime | None:
    """The next automatic reminder as the API shows it, None if none: max(now, due) (SPEC R4), after
    the client's pause if any (SPEC R20), moved to the next start of the client's sending window as
    it is now (SPEC R16)."""
    if not item.notified or escalating(item):
        return None
    due = due_at(item)
    return None if due is None else next_allowed(_after_pause(max(due, now), paused_until, item.zone), window)


def plan_reminder(item: ActionItem, now: datetime) -> ReminderPlan:
    """What the next automatic reminder carries out when its round begins at `now` (kept on the
    round: a retry carries out the same): under a due-date schedule, the latest open step whose
    time has come (sequences.step_for_round); and its tone, by the client's calendar day now. An
    escalation's round is planned as one, so its retries tell the firm too."""
    if escalating(item):
        return ReminderPlan(escalation=True)
    step = sequences.step_for_round(item, now) if item.reminders.by_due_date else None
    today = client_clock.client_today(now, item.zone)
    turn = next_number(item) + item.reminders_skipped
    spoken = tone.of_reminder(item.reminders, turn, step, item.due_date, today)
    return ReminderPlan(step=None if step is None else step.days, tone=spoken)


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
    return send_at(item)


def give_up_deadline(item: ActionItem, number: int) -> datetime | None:
    progress = item.deliveries.get(EmailRound.scheduled(number).key)
    return progress.give_up_by if progress is not None else None


def next_claim(previous: Claim | None, number: int, now: datetime, lease: timedelta) -> Claim:
    """A claim on `number`. Claiming the same number again means the last lease expired unrecorded."""
    attempts = previous.attempts + 1 if previous is not None and previous.number == number else 1
    return Claim(number=number, until=now + lease, attempts=attempts)


def skip_reason_for_scheduled(
    item: ActionItem, number: int, now: datetime, window: SendingWindow | None = None, paused_until: date | None = None
) -> str | None:
    """Why scheduled email `number` must not go out now (re-checked by the sender), or None to send.

    `window` is the client's sending window as it is now: an automatic reminder whose round has
    not started waits while it is closed. A round that started (some contacts have it, or the mail
    service held it back) is finished whatever the hour: it is one reminder, not one per contact."""
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
    started = EmailRound.scheduled(number).key in item.deliveries
    if number > 0 and not started and _after_pause(now, paused_until, item.zone) > now + DUE_TOLERANCE:
        return SKIP_PAUSED
    if number > 0 and not started and not escalating(item) and next_allowed(now, window) > now + DUE_TOLERANCE:
        return SKIP_OUTSIDE_HOURS
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
