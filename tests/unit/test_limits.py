"""The resend cooldown as a pure function of the last manual resend, the time and the setting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portal_reminders.reminders.delivery.limits import resend_wait

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("last", "cooldown", "wait"),
    [
        (None, HOUR, None),  # never resent by hand
        (NOW - HOUR, HOUR, None),  # exactly the cooldown ago
        (NOW - 2 * HOUR, HOUR, None),
        (NOW, HOUR, 3600),
        (NOW - timedelta(minutes=59), HOUR, 60),
        (NOW - timedelta(minutes=59, seconds=59, microseconds=1), HOUR, 1),  # rounds up, never 0
        (NOW, timedelta(0), None),  # the limit is off
        (NOW + timedelta(minutes=5), HOUR, 3900),  # a clock that moved back counts from the recorded time
    ],
)
def test_resend_wait(last: datetime | None, cooldown: timedelta, wait: int | None) -> None:
    assert resend_wait(last, NOW, cooldown) == wait
