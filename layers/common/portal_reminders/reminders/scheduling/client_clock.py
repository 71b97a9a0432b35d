"""The client's time (SPEC R16, R19): their time zone (the account's, else the firm's), the firm's
sending window in it, their calendar day, and instants read off their wall clock. Pure functions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from portal_reminders import zones
from portal_reminders.models.domain import DEFAULT_TIME_ZONE, Account, ClientTime, Firm, SendingWindow

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


def client_time(firm: Firm | None, account: Account | None) -> ClientTime:
    """The client's zone and sending window, as the firm and the account say now."""
    return ClientTime(zone=client_zone(firm, account), window=sending_window(firm, account))


def client_today(at: datetime, zone: str) -> date:
    """The client's calendar day at `at` (due dates are days on it)."""
    return local_time(at, zone).date()


def wall_clock_instant(day: date, at: time, zone: str) -> datetime:
    """The first instant (UTC) at which the client's wall clock reads `at` on `day`; where the clocks
    jump over it (daylight saving begins), the instant of the jump."""
    return _starts(day, at, zones.zone(zone))[0]


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
