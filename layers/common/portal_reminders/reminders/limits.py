"""Limits on what callers may ask for (SPEC R18). Pure functions of state and time: no I/O."""

from __future__ import annotations

import math
from datetime import datetime, timedelta


def resend_wait(last_manual_resend_at: datetime | None, now: datetime, cooldown: timedelta) -> int | None:
    """Whole seconds until an item may be resent by hand again (at least 1), or None when it may
    be now: the previous manual resend was at least `cooldown` ago, or there was none."""
    if last_manual_resend_at is None or cooldown <= timedelta(0):
        return None
    remaining = (last_manual_resend_at + cooldown - now).total_seconds()
    if remaining <= 0:
        return None
    return max(1, math.ceil(remaining))
