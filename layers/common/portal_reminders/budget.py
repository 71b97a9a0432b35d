"""The invocation's time budget. A handler starts it from its Lambda context; long loops (emails,
records, automations) check it and stop cleanly, saving their progress, rather than be cut off
by the timeout halfway through a round (whose retry could then email a contact twice)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

# Stop starting new work with this much time left: one more SES call and the progress write fit.
RESERVE_MS = 5_000

_remaining_ms: Callable[[], int] | None = None


class OutOfTime(Exception):
    """Not enough time left in this invocation; the work is retried by its trigger."""


def start(remaining_ms: Callable[[], int]) -> None:
    global _remaining_ms  # noqa: PLW0603 - one invocation at a time per Lambda process
    _remaining_ms = remaining_ms


def stop() -> None:
    global _remaining_ms  # noqa: PLW0603
    _remaining_ms = None


def exhausted() -> bool:
    return _remaining_ms is not None and _remaining_ms() < RESERVE_MS


def seconds_left() -> float | None:
    """Seconds this invocation may still spend before its reserve, or None outside an invocation."""
    return None if _remaining_ms is None else (_remaining_ms() - RESERVE_MS) / 1000


def check() -> None:
    if exhausted():
        raise OutOfTime("the invocation is about to time out")


def within_budget(handler: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """Decorate a Lambda handler: the budget is its context's remaining time, for one invocation."""

    @functools.wraps(handler)
    def run(event: Any, context: Any) -> Any:
        start(context.get_remaining_time_in_millis)
        try:
            return handler(event, context)
        finally:
            stop()

    return run
