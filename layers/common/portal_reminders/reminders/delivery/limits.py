"""Limits on what callers may ask for (SPEC R18). Pure functions of state and time: no I/O."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta


def resend_wait(last_manual_resend_at: datetime | None, now: datetime, cooldown: timedelta) -> int | None:
    """Whole seconds until an item may be resent by hand again (at least 1), or None when it may
    be now: the previous manual resend was at least `cooldown` ago, or there was none."""
    if last_manual_resend_at is None or cooldown <= timedelta(0):
        return None
    remaining = (last_manual_resend_at + cooldown - now).total_seconds()
    if remaining <= 0:
        return None
    return max(1, math.ceil(remaining))


def email_day(at: datetime) -> date:
    """The day a firm's daily email cap counts in: the UTC calendar day."""
    return at.astimezone(UTC).date()


def seconds_to_next_day(at: datetime) -> int:
    """Whole seconds until the next UTC day starts (at least 1): when a capped firm may email again."""
    midnight = datetime.combine(email_day(at) + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return max(1, math.ceil((midnight - at).total_seconds()))
