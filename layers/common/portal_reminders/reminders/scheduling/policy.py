"""When is the next automatic email due, and may it go out now? Pure functions of an item's state.

Number 0 is the first notification; numbers 1..max_reminders are the automatic reminders. An
automatic reminder goes out within the client's sending window (SPEC R16): one that falls due
outside it waits for the window's next start (`next_allowed`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal_reminders import zones
from portal_reminders.models.domain import (
    DEFAULT_TIME_ZONE,
    Account,
    ActionItem,
    Claim,
    EmailRound,
    Firm,
    Kind,
    SendingWindow,
    Status,
)

SKIP_NOT_PENDING = "item_not_pending"
SKIP_NOT_CLAIMED = "not_claimed"
SKIP_ALREADY_SENT = "already_sent"
SKIP_STOPPED = "reminders_stopped"
SKIP_NOT_DUE = "not_due_yet"
SKIP_ALREADY_DELIVERED = "already_delivered"
SKIP_OUTSIDE_HOURS = "outside_sending_hours"

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


def send_at(item: ActionItem) -> datetime | None:
    """When the next scheduled email may go out, as far as the item knows: its due time, moved to
    the next start of the sending window the item last saw (`item.window`), and never before the
    window's next start after a time the sender found it closed (`item.not_before`). The first
    notification is not held back: it goes at once (SPEC R16)."""
    due = due_at(item)
    if due is None or next_number(item) == 0:
        return due
    earliest = due if item.not_before is None else max(due, item.not_before)
    return next_allowed(earliest, item.window)


def next_at(item: ActionItem, now: datetime, window: SendingWindow | None = None) -> datetime | None:
    """The next automatic reminder as the API shows it, None if none: max(now, due) (SPEC R4),
    moved to the next start of the client's sending window as it is now (SPEC R16)."""
    if not item.notified:
        return None
    due = due_at(item)
    return None if due is None else next_allowed(max(due, now), window)


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
    item: ActionItem, number: int, now: datetime, window: SendingWindow | None = None
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
    if number > 0 and not started and next_allowed(now, window) > now + DUE_TOLERANCE:
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


# --- the client's time (SPEC R16) ---------------------------------------------------------------

# Dates searched for the window's next start: a week, and another for the day a clock change can
# swallow whole (Samoa skipped 30 December 2011).
_DAYS_SEARCHED = 15


def client_zone(firm: Firm | None, account: Account | None) -> str:
    """The client's time zone: the account's own, else the firm's."""
    if account is not None and account.time_zone:
        return account.time_zone
    return firm.time_zone if firm is not None else DEFAULT_TIME_ZONE


def sending_window(firm: Firm | None, account: Account | None) -> SendingWindow | None:
    """The firm's sending hours in the client's zone; None when the firm sends at any time."""
    if firm is None or firm.sending_hours is None:
        return None
    return SendingWindow(zone=client_zone(firm, account), hours=firm.sending_hours)


def local_time(at: datetime, zone: str) -> datetime:
    return at.astimezone(zones.zone(zone))


def inside(at: datetime, window: SendingWindow) -> bool:
    """Whether the client's wall clock at `at` reads a sending day, from start to before end."""
    local = local_time(at, window.zone)
    hours = window.hours
    return any(day.number == local.weekday() for day in hours.days) and hours.start <= local.time() < hours.end


def next_allowed(due: datetime, window: SendingWindow | None) -> datetime:
    """When an email due at `due` may go: `due` itself inside the window (or with no window), else
    the window's next start on the client's wall clock. Where the clocks jump over the start time
    (daylight saving begins), the window opens at the jump; where they repeat it, at its first
    reading (and again at its second). Never inside a closed window, never before `due`, and at
    most a week after it by the client's clock (tests/unit/test_sending_window.py)."""
    if window is None or inside(due, window):
        return due
    tz = zones.zone(window.zone)
    hours = window.hours
    sending_days = {day.number for day in hours.days}
    first = due.astimezone(tz).date()
    for offset in range(_DAYS_SEARCHED):
        day = first + timedelta(days=offset)
        if day.weekday() not in sending_days:
            continue
        for start in _starts(day, hours.start, tz):
            if start > due and inside(start, window):
                return start
    raise ValueError(f"no sending time within {_DAYS_SEARCHED} days of {due.isoformat()} in {window}")


def _starts(day: date, start: time, tz: ZoneInfo) -> list[datetime]:
    """The instants (UTC) at which the wall clock on `day` reaches `start`: one, or two where the
    clocks go back over it; where they jump over it, the instant of the jump."""
    wall = datetime.combine(day, start)
    found: list[datetime] = []
    for fold in (0, 1):
        instant = wall.replace(tzinfo=tz, fold=fold).astimezone(UTC)
        if instant.astimezone(tz).replace(tzinfo=None) == wall and instant not in found:
            found.append(instant)
    return sorted(found) or [_jump_over(wall, tz)]


def _jump_over(wall: datetime, tz: ZoneInfo) -> datetime:
    """The instant the clocks jumped over the wall time `wall` (which never happened that day):
    read with the offset after the jump it is an instant before it, with the one before the jump an
    instant after it; the jump (at a whole second, as zone data has them) lies between."""
    before = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    after = int(wall.replace(tzinfo=tz, fold=0).astimezone(UTC).timestamp())
    offset_after = datetime.fromtimestamp(after, tz).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)
