"""Durations a person types to move the local stack's clock: `3d`, `2h30m`, `1w`, `90s`, `3d1m`.

A unit letter after each number (weeks, days, hours, minutes, seconds), largest first, each at most
once: short enough for `make tick IN=3d`, and portable where `date -d '+3 days'` is GNU-only."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
EXAMPLES = "3d, 2h30m, 1w, 90s or 3d1m"


def parse_duration(text: str) -> timedelta:
    """The duration `text` names; ValueError when it names none (or zero)."""
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like {EXAMPLES}")
    weeks, days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    try:
        duration = timedelta(weeks=weeks, days=days, hours=hours, minutes=minutes, seconds=seconds)
    except OverflowError as error:
        raise ValueError(f"{text!r} is longer than the clock can go") from error
    if duration <= timedelta(0):
        raise ValueError(f"{text!r} is no time at all: the clock only moves forward")
    return duration
