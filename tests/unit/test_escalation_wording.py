"""Which of the firm's wordings a round about an item reads (SPEC R21): the client stages' in the
account's language always, the escalation's (in English) only for the item's escalation round."""

from __future__ import annotations

from dataclasses import replace

from portal_reminders.models.domain import Account, EmailStage, Kind, Language, ReminderPlan, WordingKey
from portal_reminders.reminders.delivery import escalation
from portal_reminders.repository.wordings import candidates
from tests.support.fakes import progress_of
from tests.unit.test_policy import ON, T0, reminded

ACCOUNT = Account(
    firm_id="firm-a", id="acc_1", name="Souza Family", language=Language.PT_PT, contacts=(), created_at=T0
)
CLIENT_KEYS = [
    WordingKey(Kind.ORGANIZER, stage, Language.PT_PT)
    for stage in (EmailStage.NOTIFICATION, EmailStage.REMINDER, EmailStage.FINAL)
]


def test_a_reminder_reads_the_client_stages_wordings_only() -> None:
    still_reminding = reminded(reminders_sent=2)
    assert not escalation.due_next(still_reminding)
    assert candidates(still_reminding, ACCOUNT) == CLIENT_KEYS


def test_the_escalation_round_reads_the_escalation_wording_in_english_too() -> None:
    escalating = reminded()
    assert escalation.due_next(escalating)
    assert candidates(escalating, ACCOUNT) == [
        *CLIENT_KEYS,
        WordingKey(Kind.ORGANIZER, EmailStage.ESCALATION, Language.EN),
    ]


def test_a_round_begun_as_the_escalation_keeps_reading_its_wording() -> None:
    # Given an escalation round begun (its plan kept on its progress), and then the item no longer escalating
    begun = replace(progress_of(), plan=ReminderPlan(escalation=True))
    item = reminded(reminders=ON, deliveries={"scheduled:4": begun})

    # Then its retry still reads the escalation wording, as it still sends the escalation
    assert escalation.due_next(item)
    assert escalation.wording_key(item) in candidates(item, ACCOUNT)
