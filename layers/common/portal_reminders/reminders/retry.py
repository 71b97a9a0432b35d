"""Optimistic read-modify-write: re-read and re-apply when another writer got there first."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from portal_reminders.models.errors import ConcurrentModification

T = TypeVar("T")

ATTEMPTS = 5


def with_retries(operation: Callable[[], T], attempts: int = ATTEMPTS) -> T:
    for _ in range(attempts - 1):
        try:
            return operation()
        except ConcurrentModification:
            continue
    return operation()
