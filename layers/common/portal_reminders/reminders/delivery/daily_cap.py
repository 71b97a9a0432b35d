"""The per-firm daily email cap (SPEC R18): every email a firm's rounds send is counted, before it
is sent, against the firm's UTC day. Past the cap, an automatic round waits for the next day (it
goes back to the queue, not lost) and a manual request is refused with 429.

Counting costs one conditional write per firm per send batch, not per email: a batch counts what
its rounds will send at once (`prepay`), and its rounds draw on that (`Allowance.take`). What a
batch or a request counted but did not send goes back at its end (`Allowance.settle`, one more
write per firm, only when something is left)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime

from portal_reminders import clock
from portal_reminders.models.errors import DailyCapReached, RateLimited, StorageUnavailable
from portal_reminders.observability import logger
from portal_reminders.reminders.delivery import limits
from portal_reminders.repository.ports import DailyEmailCounter


class DailyCap:
    def __init__(self, counter: DailyEmailCounter, cap: int, now: Callable[[], datetime] = clock.now) -> None:
        self._counter = counter
        self._cap = cap
        self._now = now

    def allowance(self, prepaid: Mapping[str, int] | None = None) -> Allowance:
        return Allowance(self, dict(prepaid or {}), limits.email_day(self._now()))

    @contextmanager
    def drawing_on(self, allowance: Allowance | None) -> Iterator[Allowance]:
        """The caller's allowance (the caller settles it), or else one of this call's own, settled
        when the call ends."""
        if allowance is not None:
            yield allowance
            return
        own = self.allowance()
        try:
            yield own
        finally:
            own.settle()

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

    def refund(self, firm_id: str, day: date, emails: int) -> None:
        """Take back `emails` counted for the firm's `day` that were not sent after all."""
        if self._cap > 0 and emails > 0:
            self._counter.add_emails(firm_id, day, -emails, self._cap)

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

    def __init__(self, cap: DailyCap, prepaid: dict[str, int], day: date) -> None:
        self._cap = cap
        self._prepaid = prepaid
        self._day = day

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

    def give_back(self, firm_id: str, emails: int) -> None:
        """`emails` taken were not sent and their count is not kept anywhere else: they may be taken
        again, or go back to the counter when the invocation settles."""
        if emails > 0:
            self._prepaid[firm_id] = self._prepaid.get(firm_id, 0) + emails

    def settle(self) -> None:
        """Return what was counted but not sent (rounds skipped, deferred, held back, already paid
        for) to the firm's day, so the cap counts only emails that went out or are still owed."""
        for firm_id, unused in self._prepaid.items():
            try:
                self._cap.refund(firm_id, self._day, unused)
            except StorageUnavailable as error:
                # the firm's count stays high until the day ends: fewer emails, never more
                logger.warning("daily cap not settled", extra={"firm_id": firm_id, "error": str(error)})
        self._prepaid = {}
