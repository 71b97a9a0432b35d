"""The one clock every function reads. The local runner may shift it forward to replay time;
tests freeze it with time-machine. Nothing else calls datetime.now()."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_shift = timedelta(0)


def now() -> datetime:
    return datetime.now(UTC) + _shift


def move_to(at: datetime) -> None:
    """Make now() read `at` from this moment on (time keeps flowing from there)."""
    global _shift  # noqa: PLW0603 - a process-wide clock is the point of this module
    _shift = at - datetime.now(UTC)
