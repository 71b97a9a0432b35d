"""Emailing a round's contacts one by one: shared by item rounds and account-wide rounds."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from portal_reminders import budget
from portal_reminders.models.domain import Contact
from portal_reminders.ports import Mailer, MailRejected, MailUnavailable, OutgoingEmail


def email_each(
    contacts: Sequence[Contact],
    build: Callable[[Contact], OutgoingEmail],
    mailer: Mailer,
    pause: Callable[[list[str]], None],
    label: str,
) -> tuple[list[str], dict[str, str]]:
    """Email each contact; returns who got it and the addresses rejected for good (with why).

    When the mail service is unavailable, or the invocation is about to time out, `pause` saves who
    already has the email and the error is raised: the retry emails only the others.
    """
    sent: list[str] = []
    rejected: dict[str, str] = {}
    for contact in contacts:
        if budget.exhausted():
            pause(sent)
            raise budget.OutOfTime(f"{label}: {len(sent)} of {len(contacts)} emailed")
        try:
            mailer.send(build(contact))
        except MailRejected as error:
            rejected[contact.email] = str(error)
        except MailUnavailable:
            pause(sent)
            raise
        else:
            sent.append(contact.email)
    return sent, rejected
