"""Emailing a round's contacts one by one, shared by item rounds and account-wide rounds: each
send waits for its turn on the shared send rate, and is marked durably before the mail service is
called (rounds.py), so no failure at any point can make a retry email someone twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from portal_reminders import budget
from portal_reminders.budget import OutOfTime
from portal_reminders.models.domain import Contact, Delivery
from portal_reminders.models.errors import RoundNotRecorded, StorageUnavailable
from portal_reminders.ports import Mailer, MailRejected, MailThrottled, MailUnavailable, OutgoingEmail, SendRateExceeded
from portal_reminders.reminders.delivery.daily_cap import Allowance
from portal_reminders.reminders.delivery.pacing import SendPacer
from portal_reminders.reminders.state import rounds

# Persist the round's progress; returns nothing, raises if it could not be written.
SaveProgress = Callable[[Delivery], None]


@dataclass(frozen=True)
class RoundMailer:
    """What emailing a round takes besides the round itself: the mail service, the shared send
    rate, and how long a refused round keeps trying."""

    mailer: Mailer
    pacer: SendPacer
    give_up_by: timedelta

    def email(
        self,
        contacts: Sequence[Contact],
        build: Callable[[Contact], OutgoingEmail],
        progress: Delivery,
        save: SaveProgress,
        now: datetime,
        allowance: Allowance,
        firm_id: str,
        round_name: str,
    ) -> Delivery:
        """Email each of `contacts` (those the round still owes a mail); returns the round's progress.

        `progress` is the round as begun (rounds.begin), not yet saved. The emails are first counted
        against the firm's daily cap (DailyCapReached past it), once: a retry draws on what the round
        already paid for. When the mail service cannot take mail now, or the invocation runs out of
        time, the progress is saved with the lease released and the error raised: the retry emails
        only the contacts still owed. A save that fails once someone was emailed raises
        RoundNotRecorded (`round_name` says which): the mail went out, only its record is owed.
        """
        unpaid = max(0, len(contacts) - progress.paid_for)
        allowance.take(firm_id, unpaid)
        written = False

        def save_noted(state: Delivery) -> None:
            nonlocal written
            try:
                save(state)
            except StorageUnavailable as error:
                if state.delivered or state.unconfirmed:
                    raise RoundNotRecorded(f"{round_name}: {error}") from error
                raise
            written = True

        try:
            return _email_each(
                contacts,
                build,
                self.mailer,
                self.pacer,
                rounds.counted(progress, unpaid),
                save_noted,
                now,
                self.give_up_by,
            )
        except BaseException:
            if not written:
                # This try stored nothing, so what it counted is not stored with the round either (held
                # back by the shared send rate, the first mark not written): the count goes back, and
                # the retry counts again.
                allowance.give_back(firm_id, unpaid)
            raise


def _email_each(
    contacts: Sequence[Contact],
    build: Callable[[Contact], OutgoingEmail],
    mailer: Mailer,
    pacer: SendPacer,
    progress: Delivery,
    save: SaveProgress,
    now: datetime,
    give_up_by: timedelta,
) -> Delivery:
    saved = False
    for contact in contacts:
        try:
            pacer.wait_turn()
            budget.check()
        except SendRateExceeded:
            # our own pacing, not a refusal: nothing to save unless someone was already emailed
            if saved:
                save(rounds.paused(progress, now, refused=False))
            raise
        except MailUnavailable:
            save(rounds.paused(progress, now, refused=True, deadline=give_up_by))
            raise
        except OutOfTime:
            save(rounds.paused(progress, now, refused=False))
            raise
        progress = rounds.mark(progress, contact.email)
        save(progress)
        saved = True
        try:
            message_id = mailer.send(build(contact))
        except MailRejected as error:
            progress = rounds.refused_for_good(progress, contact.email, str(error))
            continue
        except MailUnavailable as error:
            if isinstance(error, MailThrottled):
                pacer.throttled()
            # the mail service answered "not now": that mail did not go out, the mark is lifted
            save(rounds.paused(progress, now, refused=True, deadline=give_up_by))
            raise
        progress = rounds.accepted(progress, contact.email, message_id)
    return progress
