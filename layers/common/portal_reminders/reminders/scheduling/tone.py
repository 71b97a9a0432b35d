"""How an automatic reminder speaks (SPEC R19): `gentle`, `firm` or `final`. Pure rules.

A step may name its tone. Otherwise the last reminder of a schedule of more than one is `final`
(the last step of a due-date schedule; reminder number max_reminders of an interval schedule),
a reminder the client gets after the due date (on their calendar) is `firm`, and the others are
`gentle`. A step after the due date is always sent after it, so it is firm; one on or before the
due date is too when it goes late (held back by the sending hours or by 24 hours after an email).
"""

from __future__ import annotations

from datetime import date

from portal_reminders.models.domain import ReminderSettings, Step, Tone
from portal_reminders.reminders.scheduling import sequences


def of_reminder(settings: ReminderSettings, number: int, step: Step | None, due_date: date | None, today: date) -> Tone:
    """The tone of automatic reminder `number` (carrying out `step` under a due-date schedule),
    sent on the client's calendar day `today`."""
    if step is not None and step.tone is not None:
        return step.tone
    if _last(settings, number, step):
        return Tone.FINAL
    if due_date is not None and today > due_date:
        return Tone.FIRM
    return Tone.GENTLE


def of_step(settings: ReminderSettings, step: Step, due_date: date | None) -> Tone:
    """The tone a step has if it goes on its own day (what the item shows before it goes)."""
    day = date.min if due_date is None else sequences.step_day(due_date, step)
    return of_reminder(settings, 0, step, due_date, day)


def _last(settings: ReminderSettings, number: int, step: Step | None) -> bool:
    if step is not None:
        steps = settings.steps
        return len(steps) > 1 and step.days == steps[-1].days
    return settings.max_reminders > 1 and number >= settings.max_reminders
