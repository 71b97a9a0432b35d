"""Pacing mail service calls so that every worker together stays within the account's send rate
(SPEC R14): the rate comes from the account (SES GetAccount), optionally capped lower by the
SendRateLimit parameter; workers book their sends on one shared timeline (a DynamoDB record),
a batch at a time, and wait for their turn. An account that is paused or out of daily quota is
not asked at all: the round waits (MailUnavailable) and retries with backoff."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from portal_reminders import budget, clock
from portal_reminders.budget import OutOfTime
from portal_reminders.models.errors import StorageUnavailable
from portal_reminders.observability import logger
from portal_reminders.ports import MailAccount, MailUnavailable, SendQuota, SendRateExceeded
from portal_reminders.repository.ports import SendTimeline

# How long the account's limits are trusted before GetAccount is asked again.
ACCOUNT_TTL = timedelta(minutes=5)
# SES's sandbox rate: the only safe guess when the account will not tell its own.
FALLBACK_RATE = 1.0
# One booking covers at most this many sends (a batch of 10 rounds of a few contacts each).
MAX_BOOKING = 50
# Sends are paced at this share of the account's rate: a send that leaves a few milliseconds late
# (a slow network call, another function's clock) must not make the next second's count go over.
HEADROOM = 0.9
# After SES throttled us anyway, the whole timeline moves on by this much.
THROTTLE_PENALTY_SECONDS = 1.0
# A booked turn this far in the past belongs to an earlier invocation: it is not used.
STALE_TURN = timedelta(seconds=1)


class SendPacer:
    def __init__(
        self,
        timeline: SendTimeline,
        account: MailAccount,
        rate_limit: float,
        max_wait_seconds: float,
        now: Callable[[], datetime] = clock.now,
    ) -> None:
        self._timeline = timeline
        self._account = account
        self._rate_limit = rate_limit
        self._max_wait = max_wait_seconds
        self._now = now
        self._turns: deque[datetime] = deque()
        self._expected = 0
        self._quota: SendQuota | None = None
        self._quota_read_at: datetime | None = None
        self._sent_since_read = 0

    def expect(self, sends: int) -> None:
        """A batch announces how many sends it will need, so one booking covers them."""
        self._expected = max(sends, 0)

    @property
    def rate(self) -> float:
        """Sends per second this account may make, after the optional cap (what is paced is
        HEADROOM of it)."""
        quota = self._current_quota()
        rate = quota.max_send_rate if quota is not None and quota.max_send_rate > 0 else None
        if rate is None:
            rate = self._rate_limit if self._rate_limit > 0 else FALLBACK_RATE
        elif self._rate_limit > 0:
            rate = min(rate, self._rate_limit)
        return rate

    def wait_turn(self) -> None:
        """Return when this worker may make its next send. Raises MailUnavailable when the account
        may not send now (paused, daily quota used up) or the rate is booked too far ahead, and
        OutOfTime when the turn would come after this invocation's time budget."""
        self._check_account()
        now = self._now()
        while self._turns and self._turns[0] < now - STALE_TURN:
            self._turns.popleft()
        if not self._turns:
            self._book(now)
        turn = self._turns.popleft()
        wait = (turn - now).total_seconds()
        left = budget.seconds_left()
        if left is not None and wait > left:
            raise OutOfTime(f"the next send turn is {wait:.1f} s away, after this invocation's time budget")
        clock.sleep(wait)
        self._sent_since_read += 1
        self._expected = max(self._expected - 1, 0)

    def throttled(self) -> None:
        """The mail service throttled a send we paced: drop our turns and slow everyone down."""
        self._turns.clear()
        try:
            self._timeline.push_back(self._now(), THROTTLE_PENALTY_SECONDS)
        except StorageUnavailable:
            logger.warning("shared send rate not slowed down: storage unavailable")
            return
        logger.warning("mail service throttled; the shared send rate slows down")

    def _book(self, now: datetime) -> None:
        sends = min(max(self._expected, 1), MAX_BOOKING)
        interval = 1.0 / (self.rate * HEADROOM)
        start = self._timeline.reserve(now, sends * interval, self._max_wait)
        if start is None:
            raise SendRateExceeded(f"the send rate ({self.rate:g}/s) is booked more than {self._max_wait:g} s ahead")
        self._turns.extend(start + timedelta(seconds=n * interval) for n in range(sends))

    def _check_account(self) -> None:
        quota = self._current_quota()
        if quota is None:
            return
        if not quota.sending_enabled:
            raise MailUnavailable("SES sending is paused for this account")
        used = quota.sent_last_24_hours + self._sent_since_read
        if quota.max_24_hour_send > 0 and used >= quota.max_24_hour_send:
            raise MailUnavailable(f"the SES daily quota of {quota.max_24_hour_send:g} emails is used up")

    def _current_quota(self) -> SendQuota | None:
        now = self._now()
        if self._quota_read_at is None or now - self._quota_read_at >= ACCOUNT_TTL or now < self._quota_read_at:
            self._quota = self._account.quota()
            self._quota_read_at = now
            self._sent_since_read = 0
        return self._quota
