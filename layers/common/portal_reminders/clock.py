"""The one clock every function reads, and the one way they wait. The local runner may shift the
clock forward to replay time; tests freeze it with time-machine and make `sleep` move it instead
of waiting. Nothing else calls datetime.now() or time.sleep()."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

_shift = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _shift


def move_to(at: datetime) -> None:
    """Make now() read `at` from this moment on (time keeps flowing from there)."""
    global _shift  # noqa: PLW0603 - a process-wide clock is the point of this module
    _shift = at - datetime.now(UTC)


def sleep(seconds: float) -> None:
    """Wait (pacing sends, backing off between retries). Tests replace it to move a frozen clock."""
    if seconds > 0:
        time.sleep(seconds)
