"""Optimistic read-modify-write: re-read and re-apply when another writer got there first."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from portal_reminders import clock
from portal_reminders.models.errors import ConcurrentModification

T = TypeVar("T")

ATTEMPTS = 5
# Backoff between attempts (seconds, doubling, with jitter): writers that collided should not
# collide again at once.
BACKOFF_SECONDS = 0.02


def with_retries(operation: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    for attempt in range(attempts - 1):
        try:
            return operation()
        except ConcurrentModification:
            clock.sleep(BACKOFF_SECONDS * 2**attempt * (0.5 + random.random() / 2))
    return operation()
