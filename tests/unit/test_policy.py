"""The scheduling policy and the item's state transitions (SPEC R2-R5 and the §3 state table).

Pure functions of frozen values: every test builds an item, applies one function, and checks the
result. Times are fixed; nothing reads the wall clock.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from portal_reminders import ids
from portal_reminders.models.domain import (
    SYSTEM_ACTOR,
    ActionItem,
    AuditType,
    Claim,
    EmailRound,
    Invoice,
    Kind,
    ReminderSettings,
    Status,
)
from portal_reminders.models.errors import StateConflict
from portal_reminders.reminders.scheduling import policy
from portal_reminders.reminders.state import transitions
from tests.support.fakes import progress_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
LEASE = timedelta(hours=1)
FIRM = "firm-a"
USER = "user-1"
CONTACTS = ("ana@client.example", "rui@client.example")
MESSAGE_IDS = {"message_ids": {address: f"msg-{address}" for address in CONTACTS}}
ON = ReminderSettings(enabled=True, days_between=3, max_reminders=3)


def item(**overrides: Any) -> ActionItem:
    """A pending organizer sent at T0 and not yet notified, reminders on: every 3 days, 3 times."""
    base = ActionItem(
        firm_id=FIRM,
        id=ids.new_id(ids.ITEM),
        account_id=ids.new_id(ids.ACCOUNT),
        kind=Kind.ORGANIZER,
        title="2025 Tax Organizer",
        sent_at=T0,
        created_by=USER,
        reminders=ON,
    )
    return replace(base, **overrides)


def notified(**overrides: Any) -> ActionItem:
    """The item after its notification went out at T0."""
    return item(**{"notified": True, "last_emailed_at": T0, **overrides})


def an_invoice(**overrides: Any) -> Invoice:
    return replace(Invoice(amount=Decimal("1234.50"), currency="USD"), **overrides)


def manual(message: str | None = None) -> EmailRound:
    return EmailRound.manual(ids.new_id(ids.RESEND), USER, message)


# --- due_at -----------------------------------------------------------------------------------


def test_the_notification_is_due_when_the_item_is_sent() -> None:
    # Given an item not notified yet, even with reminders off
    fresh = item(reminders=ReminderSettings())

    # When its due time is asked
    due = policy.due_at(fresh)

    # Then number 0 (the notification) is due at sent_at
    assert policy.next_number(fresh) == 0
    assert due == T0


def test_the_first_reminder_is_due_days_between_after_the_notification() -> None:
    # Given an item notified at T0, reminders every 3 days
    sent = notified()

    # When its due time is asked
    due = policy.due_at(sent)

    # Then reminder 1 is due 3 days after the notification
    assert policy.next_number(sent) == 1
    assert due == T0 + 3 * DAY


def test_the_next_reminder_is_due_days_between_after_the_latest_automatic_reminder() -> None:
    # Given reminder 1 went out on day 4 (a day late)
    reminded = notified(reminders_sent=1, last_emailed_at=T0 + 4 * DAY)

    # When its due time is asked
    due = policy.due_at(reminded)

    # Then reminder 2 is due 3 days after reminder 1, not after the notification
    assert policy.next_number(reminded) == 2
    assert due == T0 + 7 * DAY


def test_the_next_reminder_is_due_days_between_after_a_manual_resend() -> None:
    # Given reminder 1 went out on day 3 and the firm resent the item by hand on day 5
    resent = notified(reminders_sent=1, manual_reminders_sent=1, last_emailed_at=T0 + 5 * DAY)

    # When its due time is asked
    due = policy.due_at(resent)

    # Then reminder 2 is due 3 days after the resend
    assert due == T0 + 8 * DAY


def test_no_reminder_is_due_while_reminders_are_disabled() -> None:
    # Given a notified item whose reminders are off
    off = notified(reminders=replace(ON, enabled=False))

    # When / Then nothing is due
    assert policy.due_at(off) is None


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED])
def test_no_email_is_due_for_an_item_that_is_not_pending(status: Status) -> None:
    # Given an item completed or cancelled, notified or not
    for done in (item(status=status), notified(status=status)):
        # When / Then nothing is due, not even the notification
        assert policy.due_at(done) is None


def test_no_reminder_is_due_once_max_reminders_went_out() -> None:
    # Given all 3 reminders went out
    exhausted = notified(reminders_sent=3, last_emailed_at=T0 + 9 * DAY)

    # When / Then nothing is due
    assert policy.due_at(exhausted) is None


def test_no_email_is_due_when_the_next_number_failed() -> None:
    # Given reminder 1 was recorded as email_failed
    failed = notified(failed_number=1)

    # When / Then nothing is due (it is not retried forever)
    assert policy.due_at(failed) is None


def test_a_failure_of_an_earlier_number_does_not_stop_the_next_reminder() -> None:
    # Given a stale failure mark on reminder 1 while reminder 2 is next
    stale = notified(failed_number=1, reminders_sent=1, last_emailed_at=T0 + 3 * DAY)

    # When / Then reminder 2 is due as usual
    assert policy.due_at(stale) == T0 + 6 * DAY


# --- next_at ----------------------------------------------------------------------------------


def test_next_at_is_none_before_the_notification() -> None:
    # Given an item whose notification has not gone out
    fresh = item()

    # When / Then the API shows no scheduled reminder
    assert policy.next_at(fresh, T0) is None


def test_next_at_is_the_due_time_when_it_is_in_the_future() -> None:
    # Given reminder 1 due on day 3, asked on day 1
    sent = notified()

    # When / Then next_at is the due time
    assert policy.next_at(sent, T0 + DAY) == T0 + 3 * DAY


def test_next_at_is_now_when_the_due_time_has_passed() -> None:
    # Given reminder 1 due on day 3, asked on day 10 (the reminder was not sent yet)
    sent = notified()

    # When / Then next_at is now: max(now, due)
    assert policy.next_at(sent, T0 + 10 * DAY) == T0 + 10 * DAY


def test_next_at_is_none_when_no_reminder_will_go_out() -> None:
    # Given a notified item with reminders off
    off = notified(reminders=ReminderSettings())

    # When / Then
    assert policy.next_at(off, T0) is None


# --- index_time -------------------------------------------------------------------------------


def test_index_time_is_the_due_time_without_a_claim() -> None:
    # Given a notified item, reminder 1 due on day 3, not claimed
    sent = notified()

    # When / Then the due index holds the due time
    assert policy.index_time(sent) == T0 + 3 * DAY


def test_index_time_is_the_claim_lease_while_the_next_email_is_claimed() -> None:
    # Given reminder 1 claimed on day 3 for an hour
    until = T0 + 3 * DAY + LEASE
    claimed = notified(claim=Claim(number=1, until=until))

    # When / Then the due index holds the lease expiry, so the item is due again if never recorded
    assert policy.index_time(claimed) == until


def test_index_time_ignores_a_claim_on_an_earlier_number() -> None:
    # Given a leftover claim on reminder 1 while reminder 2 is next
    leftover = notified(
        reminders_sent=1, last_emailed_at=T0 + 3 * DAY, claim=Claim(number=1, until=T0 + 3 * DAY + LEASE)
    )

    # When / Then the due index holds reminder 2's due time
    assert policy.index_time(leftover) == T0 + 6 * DAY


def test_index_time_is_none_when_nothing_is_due_even_with_a_claim() -> None:
    # Given a claimed item whose reminders were then turned off
    off = notified(reminders=ReminderSettings(), claim=Claim(number=1, until=T0 + LEASE))

    # When / Then the item leaves the due index
    assert policy.index_time(off) is None


# --- next_claim -------------------------------------------------------------------------------


def test_a_first_claim_is_attempt_one_with_a_lease_from_now() -> None:
    # Given no previous claim
    now = T0 + 3 * DAY

    # When reminder 1 is claimed
    claim = policy.next_claim(None, 1, now, LEASE)

    # Then it is the first attempt, leased until now + lease
    assert claim == Claim(number=1, until=now + LEASE, attempts=1)


def test_claiming_the_same_number_again_counts_an_attempt() -> None:
    # Given reminder 1's second claim expired unrecorded
    previous = Claim(number=1, until=T0 + 3 * DAY, attempts=2)

    # When it is claimed again
    claim = policy.next_claim(previous, 1, T0 + 3 * DAY + LEASE, LEASE)

    # Then this is attempt 3
    assert claim.attempts == 3
    assert claim.until == T0 + 3 * DAY + 2 * LEASE


def test_claiming_another_number_restarts_the_attempts() -> None:
    # Given a leftover claim on reminder 1 after three attempts
    previous = Claim(number=1, until=T0 + 3 * DAY, attempts=3)

    # When reminder 2 is claimed
    claim = policy.next_claim(previous, 2, T0 + 6 * DAY, LEASE)

    # Then its count starts at 1
    assert claim.attempts == 1
    assert claim.number == 2


# --- skip_reason_for_scheduled ----------------------------------------------------------------

DUE_1 = T0 + 3 * DAY
CLAIM_1 = Claim(number=1, until=DUE_1 + LEASE)


@pytest.mark.parametrize(
    ("state", "number", "now", "reason"),
    [
        pytest.param({"status": Status.COMPLETED}, 1, DUE_1, policy.SKIP_NOT_PENDING, id="completed"),
        pytest.param({"status": Status.CANCELLED}, 1, DUE_1, policy.SKIP_NOT_PENDING, id="cancelled"),
        pytest.param(
            {"reminders_sent": 1, "last_emailed_at": DUE_1}, 1, DUE_1, policy.SKIP_ALREADY_SENT, id="already-sent"
        ),
        pytest.param({"claim": None}, 1, DUE_1, policy.SKIP_NOT_CLAIMED, id="no-claim"),
        pytest.param({"claim": Claim(number=2, until=DUE_1)}, 1, DUE_1, policy.SKIP_NOT_CLAIMED, id="other-claim"),
        pytest.param({"reminders": replace(ON, enabled=False)}, 1, DUE_1, policy.SKIP_STOPPED, id="disabled"),
        pytest.param(
            {"reminders_sent": 3, "claim": Claim(number=4, until=DUE_1)},
            4,
            DUE_1,
            policy.SKIP_STOPPED,
            id="max-reached",
        ),
        pytest.param({"failed_number": 1}, 1, DUE_1, policy.SKIP_STOPPED, id="failed"),
        pytest.param({}, 1, DUE_1 - timedelta(seconds=2), policy.SKIP_NOT_DUE, id="not-due"),
        pytest.param({"last_emailed_at": T0 + DAY}, 1, DUE_1, policy.SKIP_NOT_DUE, id="pushed-by-resend"),
    ],
)
def test_the_sender_skips_a_scheduled_email_for_each_stop_reason(
    state: dict[str, Any], number: int, now: datetime, reason: str
) -> None:
    # Given a notified item with reminder 1 claimed, then put in the state under test
    claimed = notified(**{"claim": CLAIM_1, **state})

    # When the sender re-checks scheduled email `number` at `now`
    skip = policy.skip_reason_for_scheduled(claimed, number, now)

    # Then it names the reason not to send
    assert skip == reason


def test_the_sender_sends_a_claimed_due_reminder() -> None:
    # Given reminder 1 claimed and due
    claimed = notified(claim=CLAIM_1)

    # When / Then there is no reason to skip it
    assert policy.skip_reason_for_scheduled(claimed, 1, DUE_1) is None


def test_the_sender_sends_a_claimed_notification_immediately() -> None:
    # Given a new item claiming its notification
    fresh = item(claim=Claim(number=0, until=T0 + LEASE))

    # When / Then the notification goes out at once, whatever the reminder settings
    assert policy.skip_reason_for_scheduled(fresh, 0, T0) is None


# --- resend_refusal ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_a_pending_item_of_any_kind_can_be_resent(kind: Kind) -> None:
    # Given a pending item of this kind
    pending = notified(kind=kind)

    # When / Then a manual resend is allowed
    assert policy.resend_refusal(pending) is None


@pytest.mark.parametrize("kind", [k for k in Kind if k is not Kind.INVOICE])
def test_a_completed_item_cannot_be_resent(kind: Kind) -> None:
    # Given a completed item that is not an invoice
    done = notified(kind=kind, status=Status.COMPLETED)

    # When / Then the resend is refused
    assert policy.resend_refusal(done) is not None


def test_a_completed_invoice_can_be_emailed_again() -> None:
    # Given a paid invoice
    paid = notified(kind=Kind.INVOICE, status=Status.COMPLETED, invoice=an_invoice(amount_paid=Decimal("1234.50")))

    # When / Then "Email invoice" is allowed (a paid copy)
    assert policy.resend_refusal(paid) is None


@pytest.mark.parametrize("kind", list(Kind))
def test_a_cancelled_item_cannot_be_resent(kind: Kind) -> None:
    # Given a cancelled item, invoices included
    withdrawn = notified(kind=kind, status=Status.CANCELLED)

    # When / Then the resend is refused
    assert policy.resend_refusal(withdrawn) is not None


# --- portal task --------------------------------------------------------------------------------


def test_only_a_pending_item_has_a_portal_task_ordered_by_its_latest_email() -> None:
    # Given an item never emailed, one emailed on day 5, and completed and cancelled ones
    never = item()
    emailed = notified(last_emailed_at=T0 + 5 * DAY)

    # When / Then pending items have tasks ordered by their latest email, else by sent_at
    assert policy.has_portal_task(never)
    assert policy.portal_task_at(never) == T0
    assert policy.portal_task_at(emailed) == T0 + 5 * DAY
    assert not policy.has_portal_task(notified(status=Status.COMPLETED))
    assert not policy.has_portal_task(notified(status=Status.CANCELLED))


# --- merge_settings ---------------------------------------------------------------------------


def test_enabled_alone_means_every_3_days_once() -> None:
    # Given a request naming only enabled
    request = {"enabled": True}

    # When settings are merged
    settings = transitions.merge_settings(request)

    # Then the defaults fill the rest
    assert settings == ReminderSettings(enabled=True, days_between=3, max_reminders=1)


@pytest.mark.parametrize("layers", [(), (None,), (None, None, None), ({},), ({}, {}, {})])
def test_no_settings_anywhere_means_reminders_off(layers: tuple[dict[str, Any] | None, ...]) -> None:
    # Given no layer names any setting
    # When settings are merged
    settings = transitions.merge_settings(*layers)

    # Then reminders are off
    assert settings == ReminderSettings(enabled=False, days_between=3, max_reminders=1)


def test_each_field_comes_from_the_first_layer_that_names_it() -> None:
    # Given a request naming days, an automation naming days and count, a template naming all three
    request = {"days_between": 7}
    automation = {"days_between": 5, "max_reminders": 4}
    template = {"enabled": True, "days_between": 2, "max_reminders": 2}

    # When settings are merged in precedence order
    settings = transitions.merge_settings(request, automation, template)

    # Then days from the request, count from the automation, enabled from the template
    assert settings == ReminderSettings(enabled=True, days_between=7, max_reminders=4)


def test_a_request_turning_reminders_off_beats_a_template_turning_them_on() -> None:
    # Given the request says enabled false and the template says true
    # When settings are merged
    settings = transitions.merge_settings({"enabled": False}, None, {"enabled": True, "max_reminders": 5})

    # Then the request wins for that field; the template still supplies the count
    assert settings == ReminderSettings(enabled=False, days_between=3, max_reminders=5)


def test_a_field_given_as_none_falls_through_to_the_next_layer() -> None:
    # Given a request that carries null fields
    request = {"enabled": None, "days_between": None, "max_reminders": 2}

    # When settings are merged with a template
    settings = transitions.merge_settings(request, {"enabled": True, "days_between": 10})

    # Then the nulls do not hide the template's values
    assert settings == ReminderSettings(enabled=True, days_between=10, max_reminders=2)


# --- change_settings --------------------------------------------------------------------------


def test_a_change_only_changes_the_fields_it_names() -> None:
    # Given an item with reminders on, every 3 days, 3 times
    sent = notified()

    # When only days_between is changed
    changed, _ = transitions.change_settings(sent, {"days_between": 10}, T0 + DAY, USER)

    # Then enabled and max_reminders are kept
    assert changed.reminders == ReminderSettings(enabled=True, days_between=10, max_reminders=3)


def test_a_change_emits_settings_changed_with_before_and_after() -> None:
    # Given an item with reminders on
    sent = notified()

    # When the firm user turns them off
    _, events = transitions.change_settings(sent, {"enabled": False}, T0 + DAY, USER)

    # Then one settings_changed event names the user and both versions of the settings
    assert len(events) == 1
    event = events[0]
    assert event.type is AuditType.SETTINGS_CHANGED
    assert event.actor == USER
    assert event.at == T0 + DAY
    assert event.item_id == sent.id
    assert event.recipients == ()
    interval = {"schedule": "interval", "steps": [], "escalate_after_days": None}
    assert event.details == {
        "before": {"enabled": True, "days_between": 3, "max_reminders": 3, **interval},
        "after": {"enabled": False, "days_between": 3, "max_reminders": 3, **interval},
    }


@pytest.mark.parametrize("changes", [{}, {"enabled": True}, {"days_between": 3, "max_reminders": 3}])
def test_a_change_to_the_same_values_emits_nothing(changes: dict[str, Any]) -> None:
    # Given an item with reminders on, every 3 days, 3 times
    sent = notified()

    # When the settings are "changed" to what they already are
    changed, events = transitions.change_settings(sent, changes, T0 + DAY, USER)

    # Then the item is unchanged and no audit event is written
    assert changed == sent
    assert events == []


def test_a_change_clears_an_email_failed_stop() -> None:
    # Given reminder 1 failed for good
    failed = notified(failed_number=1)

    # When the firm changes the settings
    changed, _ = transitions.change_settings(failed, {"days_between": 4}, T0 + DAY, USER)

    # Then reminders resume: reminder 1 is due 4 days after the last email
    assert changed.failed_number is None
    assert policy.due_at(changed) == T0 + 4 * DAY


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED])
def test_a_change_on_a_closed_item_is_stored_and_schedules_nothing(status: Status) -> None:
    # Given a completed or cancelled item with reminders off
    closed = notified(status=status, reminders=ReminderSettings())

    # When the firm turns reminders on
    changed, events = transitions.change_settings(closed, {"enabled": True, "max_reminders": 2}, T0 + DAY, USER)

    # Then the settings are stored and audited, but no reminder is due
    assert changed.reminders == ReminderSettings(enabled=True, days_between=3, max_reminders=2)
    assert [e.type for e in events] == [AuditType.SETTINGS_CHANGED]
    assert policy.due_at(changed) is None
    assert policy.index_time(changed) is None


def test_lowering_max_reminders_to_the_number_sent_stops_reminders() -> None:
    # Given 2 of 3 reminders sent
    twice = notified(reminders_sent=2, last_emailed_at=T0 + 6 * DAY)

    # When max_reminders is lowered to 2
    changed, _ = transitions.change_settings(twice, {"max_reminders": 2}, T0 + 7 * DAY, USER)

    # Then no reminder is due any more
    assert policy.due_at(changed) is None


def test_changing_days_between_moves_the_due_time() -> None:
    # Given reminder 1 due on day 3
    sent = notified()

    # When days_between becomes 10 on day 1
    changed, _ = transitions.change_settings(sent, {"days_between": 10}, T0 + DAY, USER)

    # Then reminder 1 is due on day 10
    assert policy.due_at(changed) == T0 + 10 * DAY


def test_re_enabling_long_after_the_last_email_schedules_the_reminder_now() -> None:
    # Given reminders turned off right after the notification
    off = notified(reminders=replace(ON, enabled=False))

    # When they are turned back on 30 days later
    now = T0 + 30 * DAY
    changed, _ = transitions.change_settings(off, {"enabled": True}, now, USER)

    # Then the next reminder is at max(now, last email + days_between) = now
    assert policy.next_at(changed, now) == now


# --- complete ---------------------------------------------------------------------------------


def test_completing_a_pending_item_completes_it_and_audits() -> None:
    # Given a pending chat item with reminder 1 claimed
    chat = notified(kind=Kind.CHAT, claim=CLAIM_1)

    # When the client replies
    done, events = transitions.complete(chat, T0 + DAY, USER, via="reply")

    # Then it is completed, its claim dropped, and one completed event records how
    assert done.status is Status.COMPLETED
    assert done.completed_at == T0 + DAY
    assert done.completed_via == "reply"
    assert done.claim is None
    assert policy.due_at(done) is None
    assert [(e.type, e.actor, e.at, dict(e.details)) for e in events] == [
        (AuditType.COMPLETED, USER, T0 + DAY, {"via": "reply"})
    ]


def test_completing_a_completed_item_changes_nothing() -> None:
    # Given an item completed on day 1
    done = notified(status=Status.COMPLETED, completed_at=T0 + DAY)

    # When it is completed again on day 2
    again, events = transitions.complete(done, T0 + 2 * DAY, USER)

    # Then nothing changes and nothing is audited
    assert again == done
    assert events == []


def test_completing_a_cancelled_item_is_a_state_conflict() -> None:
    # Given a cancelled item
    withdrawn = notified(status=Status.CANCELLED)

    # When / Then completing it is refused
    with pytest.raises(StateConflict):
        transitions.complete(withdrawn, T0 + DAY, USER)


def test_completing_an_invoice_pays_it_in_full() -> None:
    # Given an unpaid invoice
    unpaid = notified(kind=Kind.INVOICE, invoice=an_invoice())

    # When it is completed
    done, _ = transitions.complete(unpaid, T0 + DAY, USER)

    # Then the amount paid is the amount: paid, nothing due
    assert done.invoice is not None
    assert done.invoice.amount_paid == Decimal("1234.50")
    assert done.invoice.paid
    assert done.invoice.balance_due == Decimal("0")


# --- record_delivery --------------------------------------------------------------------------


def test_recording_the_notification_marks_the_item_notified() -> None:
    # Given a new item claiming its notification
    fresh = item(claim=Claim(number=0, until=T0 + LEASE))

    # When the notification is recorded as emailed to both contacts
    sent, events = transitions.record_delivery(fresh, EmailRound.scheduled(0, USER), T0, progress_of(CONTACTS))

    # Then the item is notified, its claim released, and item_sent names the creator and recipients
    assert sent.notified
    assert sent.last_emailed_at == T0
    assert sent.claim is None
    assert sent.reminders_sent == 0
    assert [(e.type, e.actor, e.recipients, dict(e.details)) for e in events] == [
        (AuditType.ITEM_SENT, USER, CONTACTS, MESSAGE_IDS)
    ]


def test_recording_a_notification_nobody_got_says_so() -> None:
    # Given a new item on an account without notify contacts
    fresh = item(claim=Claim(number=0, until=T0 + LEASE))

    # When the notification is recorded with no recipients
    sent, events = transitions.record_delivery(fresh, EmailRound.scheduled(0, USER), T0, progress_of(()))

    # Then the item is still notified (it has its task) and the event says nobody was emailed
    assert sent.notified
    assert events[0].type is AuditType.ITEM_SENT
    assert events[0].recipients == ()
    assert events[0].details["nobody_emailed"] is True


def test_recording_an_automatic_reminder_counts_it() -> None:
    # Given reminder 2 of 3 claimed and due
    at = T0 + 6 * DAY
    claimed = notified(reminders_sent=1, last_emailed_at=T0 + 3 * DAY, claim=Claim(number=2, until=at + LEASE))

    # When it is recorded
    reminded, events = transitions.record_delivery(claimed, EmailRound.scheduled(2), at, progress_of(CONTACTS))

    # Then it counts, the claim is cleared, and reminder_sent says "auto, 2 of 3" by the system
    assert reminded.reminders_sent == 2
    assert reminded.last_emailed_at == at
    assert reminded.claim is None
    assert [(e.type, e.actor, e.recipients, dict(e.details)) for e in events] == [
        (
            AuditType.REMINDER_SENT,
            SYSTEM_ACTOR,
            CONTACTS,
            {"mode": "auto", "number": 2, "of": 3, "tone": "gentle", **MESSAGE_IDS},
        )
    ]
    assert policy.due_at(reminded) == at + 3 * DAY


def test_recording_an_automatic_reminder_nobody_got_says_so() -> None:
    # Given reminder 1 claimed on an account whose contacts all turned notify off
    claimed = notified(claim=CLAIM_1)

    # When it is recorded with no recipients
    _, events = transitions.record_delivery(claimed, EmailRound.scheduled(1), DUE_1, progress_of(()))

    # Then the event says nobody was emailed
    assert events[0].recipients == ()
    assert events[0].details["nobody_emailed"] is True


def test_recording_a_manual_resend_does_not_use_up_max_reminders() -> None:
    # Given reminder 1 of 3 sent on day 3
    reminded = notified(reminders_sent=1, last_emailed_at=T0 + 3 * DAY)

    # When the firm user resends it by hand on day 4 with a message
    at = T0 + 4 * DAY
    email_round = manual("Please send it this week")
    resent, events = transitions.record_delivery(reminded, email_round, at, progress_of(CONTACTS))

    # Then reminders_sent is unchanged, the resend is counted apart and audited as manual by the user
    assert resent.reminders_sent == 1
    assert resent.manual_reminders_sent == 1
    assert resent.last_emailed_at == at
    assert email_round.key in resent.done_keys
    assert [(e.type, e.actor, e.recipients, dict(e.details)) for e in events] == [
        (
            AuditType.REMINDER_SENT,
            USER,
            CONTACTS,
            {"mode": "manual", "number": 1, "of": None, "message": "Please send it this week", **MESSAGE_IDS},
        )
    ]


def test_a_manual_resend_pushes_the_next_automatic_reminder() -> None:
    # Given reminder 1 due on day 3
    sent = notified()

    # When the firm resends on day 2
    resent, _ = transitions.record_delivery(sent, manual(), T0 + 2 * DAY, progress_of(CONTACTS))

    # Then reminder 1 is due 3 days after the resend
    assert policy.due_at(resent) == T0 + 5 * DAY


def test_a_manual_resend_keeps_an_outstanding_claim() -> None:
    # Given reminder 1 claimed by the scan
    claimed = notified(claim=CLAIM_1)

    # When the firm resends meanwhile
    resent, _ = transitions.record_delivery(claimed, manual(), DUE_1, progress_of(CONTACTS))

    # Then the claim is still the scan's (its sender will find the reminder not due and release it)
    assert resent.claim == CLAIM_1
    assert policy.skip_reason_for_scheduled(resent, 1, DUE_1) == policy.SKIP_NOT_DUE


def test_recording_with_some_addresses_rejected_adds_an_email_failed_event() -> None:
    # Given reminder 1 claimed
    claimed = notified(claim=CLAIM_1)

    # When it went to one contact and the mail service rejected the other
    reminded, events = transitions.record_delivery(
        claimed, EmailRound.scheduled(1), DUE_1, progress_of(CONTACTS[:1], {CONTACTS[1]: "MessageRejected"})
    )

    # Then the reminder counts and an email_failed event names the rejected address
    assert reminded.reminders_sent == 1
    assert [e.type for e in events] == [AuditType.REMINDER_SENT, AuditType.EMAIL_FAILED]
    assert events[0].recipients == CONTACTS[:1]
    assert events[1].recipients == CONTACTS[1:]
    assert events[1].details["errors"] == {CONTACTS[1]: "MessageRejected"}


def test_recording_a_round_a_worker_died_in_names_the_unconfirmed_contact_apart() -> None:
    # Given reminder 1 claimed, whose worker died after marking Rui and before hearing back from SES
    claimed = notified(claim=CLAIM_1)

    # When the next worker records the round (Ana got it; Rui may have)
    _, events = transitions.record_delivery(
        claimed, EmailRound.scheduled(1), DUE_1, progress_of(CONTACTS[:1], unconfirmed=CONTACTS[1:])
    )

    # Then the recipients are only the confirmed address, and the unconfirmed one is named apart
    assert events[0].recipients == CONTACTS[:1]
    assert events[0].details["unconfirmed"] == list(CONTACTS[1:])
    assert events[0].details["message_ids"] == {CONTACTS[0]: f"msg-{CONTACTS[0]}"}
    assert "nobody_emailed" not in events[0].details


def test_recording_with_every_address_rejected_is_a_failure() -> None:
    # Given reminder 1 claimed
    claimed = notified(claim=CLAIM_1)

    # When every address was rejected
    failed, events = transitions.record_delivery(
        claimed, EmailRound.scheduled(1), DUE_1, progress_of((), dict.fromkeys(CONTACTS, "MessageRejected"))
    )

    # Then it is recorded as email_failed, not as a reminder, and automatic reminders stop
    assert [e.type for e in events] == [AuditType.EMAIL_FAILED]
    assert events[0].details["mode"] == "auto"
    assert events[0].details["number"] == 1
    assert failed.reminders_sent == 0
    assert failed.failed_number == 1
    assert failed.claim is None
    assert policy.due_at(failed) is None


# --- record_failure / release -----------------------------------------------------------------


def test_a_failed_scheduled_reminder_stops_automatic_reminders() -> None:
    # Given reminder 1 claimed
    claimed = notified(claim=CLAIM_1)

    # When it fails for good
    failed, events = transitions.record_failure(claimed, EmailRound.scheduled(1), DUE_1, reason="throttled")

    # Then email_failed is audited and nothing more is due
    assert [(e.type, e.details["reason"]) for e in events] == [(AuditType.EMAIL_FAILED, "throttled")]
    assert failed.failed_number == 1
    assert failed.claim is None
    assert policy.due_at(failed) is None


def test_a_failed_manual_resend_does_not_stop_automatic_reminders() -> None:
    # Given reminder 1 due on day 3
    sent = notified()

    # When a manual resend on day 1 fails for good
    email_round = manual()
    failed, events = transitions.record_failure(sent, email_round, T0 + DAY, reason="throttled")

    # Then it is audited and marked done, but reminder 1 is still due on day 3
    assert [(e.type, e.details["mode"]) for e in events] == [(AuditType.EMAIL_FAILED, "manual")]
    assert failed.failed_number is None
    assert email_round.key in failed.done_keys
    assert policy.due_at(failed) == T0 + 3 * DAY


def test_a_manual_resend_after_an_email_failed_stop_schedules_the_next_reminder() -> None:
    # Given reminder 1 of 3 failed for good on day 3
    failed, _ = transitions.record_failure(
        notified(claim=CLAIM_1), EmailRound.scheduled(1), DUE_1, reason="mail service unavailable"
    )

    # When the firm resends the item by hand on day 4
    resent, _ = transitions.record_delivery(failed, manual(), T0 + 4 * DAY, progress_of(CONTACTS))

    # Then automatic reminders resume: reminder 1 is due 3 days after the resend
    assert policy.due_at(resent) == T0 + 7 * DAY


def test_releasing_a_scheduled_round_drops_its_claim() -> None:
    # Given reminder 1 claimed
    claimed = notified(claim=CLAIM_1)

    # When the sender decides not to send it
    released = transitions.release(claimed, EmailRound.scheduled(1))

    # Then the claim is gone and the item is indexed at its due time again
    assert released.claim is None
    assert policy.index_time(released) == DUE_1


def test_releasing_a_manual_round_keeps_the_scans_claim() -> None:
    # Given reminder 1 claimed by the scan
    claimed = notified(claim=CLAIM_1)

    # When a manual round is released
    released = transitions.release(claimed, manual())

    # Then the scan's claim stays
    assert released.claim == CLAIM_1


# --- escalation (SPEC R19) ---------------------------------------------------------------------------

ESCALATING = replace(ON, escalate_after_days=5)


def reminded(**overrides: Any) -> ActionItem:
    """Notified at T0 and reminded three times (the last at T0 + 9 days), escalating after 5 days."""
    last = T0 + 9 * DAY
    fields = {"reminders": ESCALATING, "reminders_sent": 3, "last_emailed_at": last, "last_reminder_at": last}
    return item(notified=True, **{**fields, **overrides})


def test_after_the_last_reminder_the_next_scheduled_email_is_the_escalation_days_after_it() -> None:
    escalating = reminded()
    assert policy.escalating(escalating)
    assert policy.due_at(escalating) == T0 + 14 * DAY
    # not held to the client's sending hours, not shown as a reminder, numbered as a further one
    assert policy.send_at(escalating) == T0 + 14 * DAY
    assert policy.next_at(escalating, T0 + 10 * DAY) is None
    assert policy.next_number(escalating) == 4
    assert policy.plan_reminder(escalating, T0 + 14 * DAY).escalation


def test_a_manual_resend_after_the_last_reminder_does_not_move_the_escalation() -> None:
    assert policy.due_at(reminded(last_emailed_at=T0 + 12 * DAY)) == T0 + 14 * DAY


@pytest.mark.parametrize(
    "overrides",
    [
        {"reminders_sent": 2},  # a reminder is still to come
        {"reminders": ON},  # no escalate_after_days
        {"reminders": replace(ESCALATING, enabled=False)},  # reminders turned off
        {"escalated_at": T0 + 14 * DAY},  # told once
        {"status": Status.COMPLETED},
        {"status": Status.CANCELLED},
        {"failed_number": 4},  # the round failed for good
    ],
)
def test_no_escalation_when(overrides: dict[str, Any]) -> None:
    assert not policy.escalating(reminded(**overrides))
    if "reminders_sent" not in overrides:  # nothing else is due either: the item leaves the due index
        assert policy.index_time(reminded(**overrides)) is None


def test_recording_the_escalation_audits_it_and_keeps_the_clients_schedule() -> None:
    escalating = reminded(claim=Claim(number=4, until=T0 + 15 * DAY))
    at = T0 + 14 * DAY
    progress = replace(progress_of(["partners@firm.example"]), plan=policy.plan_reminder(escalating, at))

    recorded, events = transitions.record_delivery(escalating, EmailRound.scheduled(4), at, progress)

    assert (recorded.escalated_at, recorded.claim, recorded.reminders_sent) == (at, None, 3)
    assert recorded.last_emailed_at == escalating.last_emailed_at
    assert [(e.type, e.recipients, e.details["after_days"], e.details["reminders"]) for e in events] == [
        (AuditType.ESCALATED, ("partners@firm.example",), 5, 3)
    ]
    assert policy.due_at(recorded) is None
