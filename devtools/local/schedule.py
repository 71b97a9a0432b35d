"""The stack's schedules (rules with a ScheduleExpression that target functions), run every
N seconds on the shared clock instead of their real rate, and on demand by a tick that first
moves the clock."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.local.rules import FunctionTarget
from portal_reminders import clock

log = logging.getLogger(__name__)

Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class ScheduledFunction:
    rule: str  # the rule's name in the stack
    expression: str  # the template's rate/cron (shown, not used: the local interval replaces it)
    function: str  # logical id
    region: str = "us-east-1"
    account: str = "123456789012"

    def event(self, at: datetime) -> dict[str, Any]:
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.account,
            "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self.region,
            "resources": [f"arn:aws:events:{self.region}:{self.account}:rule/{self.rule}"],
            "detail": {},
        }


def scheduled_functions(targets: list[FunctionTarget]) -> list[ScheduledFunction]:
    """The schedules among the stack's rule targets."""
    return [
        ScheduledFunction(str(t.rule["Name"]), str(t.rule["ScheduleExpression"]), t.function)
        for t in targets
        if "ScheduleExpression" in t.rule
    ]


class Schedule:
    def __init__(self, targets: list[ScheduledFunction], invoke: Invoke, interval_seconds: float) -> None:
        self.targets = targets
        self.interval_seconds = interval_seconds
        self._invoke = invoke
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0

    def run_once(self) -> list[dict[str, Any]]:
        """One scheduled event per target, at the clock's now; the functions' results."""
        now = clock.now()
        results = []
        for target in self.targets:
            event = target.event(now)
            result = self._invoke(target.function, event)
            results.append({"function": target.function, "time": event["time"], "result": result})
        self.runs += 1
        return results

    def tick(self, at: datetime) -> list[dict[str, Any]]:
        clock.move_to(at)
        return self.run_once()

    def start(self) -> None:
        if self.interval_seconds <= 0 or not self.targets:
            return
        self._thread = threading.Thread(target=self._loop, name="schedule", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            try:
                self.run_once()
            except Exception:
                log.exception("scheduled run failed")
