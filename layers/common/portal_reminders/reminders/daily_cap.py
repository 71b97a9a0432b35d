"""The per-firm daily email cap (SPEC R18): every email a firm's rounds send is counted, before it
is sent, against the firm's UTC day. Past the cap, an automatic round waits for the next day (it
goes back to the queue, not lost) and a manual request is refused with 429.

Counting costs one conditional write per firm per send batch, not per email: a batch counts what
its rounds will send at once (`prepay`), and its rounds draw on that (`Allowance.take`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime

from portal_reminders import clock
from portal_reminders.models.errors import DailyCapReached, RateLimited
from portal_reminders.reminders import limits
from portal_reminders.repository.ports import DailyEmailCounter


class DailyCap:
    def __init__(self, counter: DailyEmailCounter, cap: int, now: Callable[[], datetime] = clock.now) -> None:
        self._counter = counter
        self._cap = cap
        self._now = now

    def allowance(self, prepaid: Mapping[str, int] | None = None) -> Allowance:
        return Allowance(self, dict(prepaid or {}))

    def count(self, firm_id: str, emails: int) -> None:
        """Count `emails` for the firm today, or DailyCapReached (nothing counted)."""
        if self._cap <= 0 or emails <= 0:
            return
        now = self._now()
        if not self._counter.add_emails(firm_id, limits.email_day(now), emails, self._cap):
            raise DailyCapReached(firm_id, limits.seconds_to_next_day(now))

    def prepay(self, wanted: Mapping[str, int]) -> Allowance:
        """Count a batch's emails per firm in one write each; a firm whose whole batch would pass
        the cap gets nothing prepaid (its rounds then count one by one, as far as the cap goes)."""
        prepaid: dict[str, int] = {}
        for firm_id, emails in wanted.items():
            try:
                self.count(firm_id, emails)
            except DailyCapReached:
                continue
            prepaid[firm_id] = emails
        return self.allowance(prepaid)

    def manual(self, firm_id: str, emails: int) -> Allowance:
        """Count a manual request's emails now; past the cap it is refused (429, SPEC R18)."""
        try:
            self.count(firm_id, emails)
        except DailyCapReached as reached:
            raise RateLimited(
                "the firm has sent its daily email cap; it can email again tomorrow (UTC)",
                reached.retry_after_seconds,
            ) from reached
        return self.allowance({firm_id: emails})

    def check(self, firm_id: str) -> None:
        """Refuse (429) a manual request of a firm that already reached the cap today."""
        if self._cap <= 0:
            return
        now = self._now()
        if self._counter.emails_sent(firm_id, limits.email_day(now)) >= self._cap:
            raise RateLimited(
                "the firm has sent its daily email cap; it can email again tomorrow (UTC)",
                limits.seconds_to_next_day(now),
            )


class Allowance:
    """What one invocation (a send batch, an api request) has already counted, per firm."""

    def __init__(self, cap: DailyCap, prepaid: dict[str, int]) -> None:
        self._cap = cap
        self._prepaid = prepaid

    def take(self, firm_id: str, emails: int) -> None:
        """Draw `emails` from what was prepaid, counting the rest now (DailyCapReached past the cap)."""
        available = self._prepaid.get(firm_id, 0)
        drawn = min(available, emails)
        self._prepaid[firm_id] = available - drawn
        try:
            self._cap.count(firm_id, emails - drawn)
        except DailyCapReached:
            self._prepaid[firm_id] += drawn
            raise
