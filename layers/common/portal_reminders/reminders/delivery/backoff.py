"""How long a failed send-queue message waits before its next try (its visibility timeout), by
why it failed and how many times it was received. Exponential, capped, with jitter so that a
backlog refused at once does not come back at once.

The arithmetic behind SPEC R14 (template.yaml's Mappings hold the same numbers):
  * mail service refusals (quota used up, account paused, or the product's own request or
    configuration refused, MailMisconfigured: SPEC R22): 60 s, 120 s, ... capped at 30 min; a
    throttle (sending too fast) starts at 10 s. A round is given up at its first try 24 hours after
    its first refusal, so the give-up lands between 24 h and 24.5 h (the scan gives it up at 47 h if
    no worker got to it, e.g. a deep backlog); that takes at most 72 receives (every delay drawn at
    its shortest), well inside the queue's maxReceiveCount of 100 (tests/unit/test_template.py).
  * our own pacing (the send rate is booked ahead): 5 s doubling to 60 s.
  * anything else (storage errors, a worker holding the round, running out of time): 30 s
    doubling to 15 min, so 100 receives last over a day before the dead-letter queue.
  * a firm over its daily email cap: the next UTC day (SQS keeps it invisible 12 hours at most, so
    a round capped in the morning comes back once more in the evening and waits again).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from portal_reminders import clock
from portal_reminders.budget import OutOfTime
from portal_reminders.models.errors import DailyCapReached, DeliveryInProgress
from portal_reminders.ports import MailThrottled, MailUnavailable, SendRateExceeded


@dataclass(frozen=True, slots=True)
class Schedule:
    first_seconds: int
    cap_seconds: int


REFUSED = Schedule(first_seconds=60, cap_seconds=1800)
# Throttled (sending too fast): the pacer has already slowed everyone down, so try again soon.
THROTTLED = Schedule(first_seconds=10, cap_seconds=1800)
PACED = Schedule(first_seconds=5, cap_seconds=60)
OTHER = Schedule(first_seconds=30, cap_seconds=900)
IN_PROGRESS = Schedule(first_seconds=30, cap_seconds=120)
# A round over its firm's daily cap comes back when the next UTC day starts, within these seconds.
DAY_START_SPREAD_SECONDS = 600
# Each delay is drawn from [JITTER x delay, delay].
JITTER = 0.75


def schedule_for(error: BaseException) -> Schedule:
    if isinstance(error, SendRateExceeded):
        return PACED
    if isinstance(error, MailThrottled):
        return THROTTLED
    if isinstance(error, MailUnavailable):
        return REFUSED
    if isinstance(error, DeliveryInProgress | OutOfTime):
        return IN_PROGRESS
    return OTHER


def retry_delay(error: BaseException, receive_count: int, draw: Callable[[], float] = random.random) -> int:
    """Seconds before the message that failed with `error` on its `receive_count`-th receive is tried again."""
    if isinstance(error, DailyCapReached):
        # the firm's day is over its cap: the next day, spread over its first minutes
        return error.retry_after_seconds + round(DAY_START_SPREAD_SECONDS * draw())
    schedule = schedule_for(error)
    exponent = min(max(receive_count, 1) - 1, 16)
    delay = min(schedule.first_seconds * (1 << exponent), schedule.cap_seconds)
    return max(1, round(delay * (JITTER + (1 - JITTER) * draw())))


# Between retries of a write another writer got in before (re-read each time; seconds, doubling):
# writers that collided should not collide again.
WRITE_BACKOFF_SECONDS = 0.02


def before_rewrite(attempt: int) -> None:
    clock.sleep(WRITE_BACKOFF_SECONDS * 2**attempt)
