"""Which event each committed change stands for and what its detail says (SPEC R17), and the
publisher's use case over in-memory fakes of its ports: stream order, retries of what the bus
refused, and exactly the refused records reported failed."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime

import pytest

from portal_reminders import ids
from portal_reminders.models.domain import Account, ActionItem, Contact, Kind, Language
from portal_reminders.models.domain_events import (
    AuditAppended,
    AuditEntry,
    Change,
    DomainEvent,
    EventType,
    NotPublished,
    StageEntered,
    StageEntry,
)
from portal_reminders.ports import EventBus
from portal_reminders.reminders.publishing import events
from portal_reminders.reminders.publishing.publishing import PUT_ATTEMPTS, publish_changes
from portal_reminders.repository.ports import EventFacts, EventFactsRepository

AT = datetime(2026, 11, 27, 9, 0, 0, 123456, tzinfo=UTC)
FIRM = "firm-a"
ANA = Contact(id=ids.new_id(ids.CONTACT), name="Ana", email="ana@client.example", notify=True)
RUI = Contact(id=ids.new_id(ids.CONTACT), name="Rui", email="Rui@Client.Example", notify=True)
ACCOUNT = Account(
    firm_id=FIRM, id=ids.new_id(ids.ACCOUNT), name="Souza", language=Language.EN, contacts=(ANA, RUI), created_at=AT
)
ITEM = ActionItem(
    firm_id=FIRM,
    id=ids.new_id(ids.ITEM),
    account_id=ACCOUNT.id,
    kind=Kind.INVOICE,
    title="Invoice 1042",
    sent_at=AT,
    created_by="user-1",
)


def audit(type_: str, recipients: Sequence[str] = (), actor: str = "user-1", **details: object) -> AuditEntry:
    return AuditEntry(
        id=ids.new_id(ids.EVENT),
        firm_id=FIRM,
        item_id=ITEM.id,
        account_id=ACCOUNT.id,
        type=type_,
        at=AT,
        actor=actor,
        recipients=tuple(recipients),
        details=details,
    )


# the mapping ---------------------------------------------------------------------------------


def test_an_item_sent_names_the_contacts_by_id_and_never_their_addresses() -> None:
    # Given an item_sent audit event naming both contacts and an address no longer on the account
    entry = audit("item_sent", ["ana@client.example", "rui@client.example", "gone@client.example"])

    # When it becomes an event
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)

    # Then it is ItemSent, with the audit event's id, the contact ids, and the unresolved one counted
    assert event.type is EventType.ITEM_SENT
    assert event.event_id == entry.id
    assert event.detail == {
        "event_id": entry.id,
        "firm_id": FIRM,
        "account_id": ACCOUNT.id,
        "item_id": ITEM.id,
        "at": "2026-11-27T09:00:00Z",
        "kind": "invoice",
        "title": "Invoice 1042",
        "actor": "user-1",
        "contact_ids": [ANA.id, RUI.id],
        "unresolved_recipients": 1,
    }
    assert "@" not in json.dumps(event.detail)


def test_an_item_sent_to_nobody_has_no_contacts() -> None:
    [event] = events.events_for_audit(audit("item_sent", nobody_emailed=True), ITEM, ACCOUNT)
    assert (event.detail["contact_ids"], event.detail["unresolved_recipients"]) == ([], 0)


def test_an_automatic_reminder_says_which_of_how_many() -> None:
    entry = audit("reminder_sent", ["ana@client.example"], actor="system", mode="auto", number=2, of=3)
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)
    assert event.type is EventType.REMINDER_SENT
    assert (event.detail["mode"], event.detail["number"], event.detail["of"]) == ("auto", 2, 3)
    assert event.detail["actor"] == "system"
    assert event.detail["contact_ids"] == [ANA.id]


def test_a_manual_reminder_has_no_of_and_carries_no_message() -> None:
    entry = audit("reminder_sent", ["ana@client.example"], mode="manual", number=1, of=None, message="Hi Ana")
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)
    assert (event.detail["mode"], event.detail["number"], event.detail["of"]) == ("manual", 1, None)
    assert (event.detail["tone"], event.detail["days"]) == (None, None)
    assert "message" not in event.detail


def test_an_automatic_reminder_carries_its_tone_and_its_step() -> None:
    entry = audit("reminder_sent", ["ana@client.example"], mode="auto", number=3, of=3, tone="final", days=7)
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)
    assert (event.detail["tone"], event.detail["days"]) == ("final", 7)


def test_a_reminder_recorded_before_tones_were_kept_has_none() -> None:
    entry = audit("reminder_sent", ["ana@client.example"], mode="auto", number=1, of=1)
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)
    assert (event.detail["tone"], event.detail["days"]) == (None, None)


@pytest.mark.parametrize(("via", "expected"), [("reply", "reply"), ("payment", "payment"), (None, None)])
def test_a_completion_says_how(via: str | None, expected: str | None) -> None:
    details = {"via": via} if via else {}
    [event] = events.events_for_audit(audit("completed", **details), ITEM, ACCOUNT)
    assert event.type is EventType.ITEM_COMPLETED
    assert event.detail["via"] == expected


def test_a_cancellation_names_who() -> None:
    [event] = events.events_for_audit(audit("cancelled", actor="user-9"), ITEM, ACCOUNT)
    assert event.type is EventType.ITEM_CANCELLED
    assert event.detail["actor"] == "user-9"
    assert set(event.detail) == {"event_id", "firm_id", "account_id", "item_id", "at", "kind", "title", "actor"}


def test_an_email_failure_gives_the_reason_without_any_address() -> None:
    # Given a failure whose reason quotes the mail service, address included
    reason = "mail service unavailable: MessageRejected: Email address is not verified: rui@client.example"
    entry = audit("email_failed", ["rui@client.example"], actor="system", mode="auto", number=1, reason=reason)

    # When it becomes an event
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)

    # Then the contact is named by id and the address is gone from the reason
    assert event.type is EventType.EMAIL_FAILED
    assert event.detail["reason"] == (
        "mail service unavailable: MessageRejected: Email address is not verified: [address]"
    )
    assert (event.detail["mode"], event.detail["number"], event.detail["contact_ids"]) == ("auto", 1, [RUI.id])
    assert "@" not in json.dumps(event.detail)


def test_a_failed_manual_resend_has_no_number() -> None:
    entry = audit("email_failed", mode="manual", reason="every recipient was rejected")
    [event] = events.events_for_audit(entry, ITEM, ACCOUNT)
    assert event.detail["number"] is None


@pytest.mark.parametrize(("type_", "reason"), [("email_bounced", "bounce"), ("email_complained", "complaint")])
def test_a_bounce_or_complaint_suppresses_the_contact_it_names_with_a_stable_id(type_: str, reason: str) -> None:
    # Given the audit event deliverability writes for a suppressed contact (SPEC R15): the address,
    # and the contact's id in its details; the account has since given that address to Ana
    entry = audit(type_, ["ana@client.example"], actor="system", contact_id=RUI.id, reason=reason)

    # When it becomes events, twice (a redelivery)
    first = events.events_for_audit(entry, ITEM, ACCOUNT)
    again = events.events_for_audit(entry, ITEM, ACCOUNT)

    # Then one ContactSuppressed for the contact the audit event names, never one matched by address
    [event] = first
    assert event.type is EventType.CONTACT_SUPPRESSED
    assert (event.detail["contact_id"], event.detail["reason"]) == (RUI.id, reason)
    assert event.event_id == again[0].event_id == event.detail["event_id"]
    assert event.event_id != entry.id
    assert ids.is_id(event.event_id, ids.EVENT)


def test_a_suppression_audit_event_without_its_contact_id_is_malformed() -> None:
    entry = audit("email_bounced", ["rui@client.example"], actor="system", reason="bounce")

    with pytest.raises(events.MalformedChange, match="contact_id"):
        events.events_for_audit(entry, ITEM, ACCOUNT)


@pytest.mark.parametrize("type_", ["settings_changed", "payment_recorded", "approval_requested", "some_new_type"])
def test_other_audit_events_are_not_published(type_: str) -> None:
    assert events.events_for_audit(audit(type_), ITEM, ACCOUNT) == []
    assert not events.is_published(audit(type_))


@pytest.mark.parametrize(
    ("type_", "details"),
    [
        ("reminder_sent", {"mode": "auto", "of": 2}),
        ("reminder_sent", {"mode": "later", "number": 1, "of": 2}),
        ("reminder_sent", {"mode": "auto", "number": "1", "of": 2}),
        ("email_failed", {"mode": "auto", "number": 1}),
    ],
)
def test_an_audit_event_missing_what_its_event_needs_is_malformed(type_: str, details: dict[str, object]) -> None:
    with pytest.raises(events.MalformedChange):
        events.events_for_audit(audit(type_, **details), ITEM, ACCOUNT)


def test_a_stage_entry_is_published_with_the_entry_id_as_its_event_id() -> None:
    entry = StageEntry(
        firm_id=FIRM,
        job_id=ids.new_id(ids.JOB),
        pipeline_id=ids.new_id(ids.PIPELINE),
        account_id=ACCOUNT.id,
        stage_id=ids.new_id(ids.STAGE),
        entry_id=ids.new_id(ids.ENTRY),
        entered_at=AT,
    )
    event = events.event_for_stage_entry(entry)
    assert event.type is EventType.JOB_ENTERED_STAGE
    assert event.event_id == event.detail["event_id"] == event.detail["entry_id"] == entry.entry_id
    assert event.detail["at"] == "2026-11-27T09:00:00Z"
    assert (event.detail["job_id"], event.detail["stage_id"]) == (entry.job_id, entry.stage_id)


def test_contacts_resolve_by_address_whatever_its_case_each_once() -> None:
    found = events.resolve_contacts(ACCOUNT, ["ANA@client.example", "ana@client.example", "x@y.example"])
    assert found == ([ANA.id], 1)
    assert events.resolve_contacts(None, ["ana@client.example"]) == ([], 1)


# the use case over fakes ----------------------------------------------------------------------


class FakeFacts(EventFactsRepository):
    def __init__(self, items: Sequence[ActionItem] = (ITEM,), accounts: Sequence[Account] = (ACCOUNT,)) -> None:
        self.items = {(i.firm_id, i.id): i for i in items}
        self.accounts = {(a.firm_id, a.id): a for a in accounts}
        self.asked: list[tuple[set[tuple[str, str]], set[tuple[str, str]]]] = []

    def event_facts(self, items: Collection[tuple[str, str]], accounts: Collection[tuple[str, str]]) -> EventFacts:
        self.asked.append((set(items), set(accounts)))
        return EventFacts(
            items={k: v for k, v in self.items.items() if k in items},
            accounts={k: v for k, v in self.accounts.items() if k in accounts},
        )


class FakeBus(EventBus):
    """Refuses the events whose id is in `refuse` (for `times` puts of each), accepts the rest."""

    def __init__(self, refuse: Collection[str] = (), times: int = 1) -> None:
        self.refuse = {event_id: times for event_id in refuse}
        self.accepted: list[DomainEvent] = []
        self.calls: list[list[str]] = []

    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        self.calls.append([e.event_id for e in events])
        results: list[str | None] = []
        for event in events:
            if self.refuse.get(event.event_id, 0) > 0:
                self.refuse[event.event_id] -= 1
                results.append("ThrottlingException: Rate exceeded")
            else:
                self.accepted.append(event)
                results.append(None)
        return results


def appended(position: str, entry: AuditEntry) -> AuditAppended:
    return AuditAppended(position=position, entry=entry)


def test_a_batch_is_published_in_stream_order_with_one_read_of_its_facts() -> None:
    # Given a send, a settings change (not published) and a completion of the same item
    sent, changed, done = audit("item_sent", ["ana@client.example"]), audit("settings_changed"), audit("completed")
    changes: list[Change] = [appended("101", sent), appended("102", changed), appended("103", done)]
    facts, bus = FakeFacts(), FakeBus()

    # When the publisher handles the batch
    report = publish_changes(changes, facts, bus)

    # Then both events went out in order, the facts were read once, and nothing is retried
    assert [e.event_id for e in bus.accepted] == [sent.id, done.id]
    assert facts.asked == [({(FIRM, ITEM.id)}, {(FIRM, ACCOUNT.id)})]
    assert (report.published, report.skipped, report.failed) == (2, 1, [])
    assert report.response() == {"batchItemFailures": []}


def test_an_event_the_bus_refuses_once_is_retried_in_the_same_invocation() -> None:
    first, second = audit("item_sent"), audit("cancelled")
    bus = FakeBus(refuse=[first.id], times=1)

    report = publish_changes([appended("1", first), appended("2", second)], FakeFacts(), bus)

    assert report.failed == []
    assert sorted(e.event_id for e in bus.accepted) == sorted([first.id, second.id])
    assert bus.calls == [[first.id, second.id], [first.id]]


def test_what_the_bus_keeps_refusing_is_reported_failed_exactly() -> None:
    # Given three records, the bus refusing the second one's event on every attempt
    one, two, three = audit("item_sent"), audit("completed"), audit("cancelled")
    bus = FakeBus(refuse=[two.id], times=PUT_ATTEMPTS)

    # When the publisher handles them
    report = publish_changes([appended("1", one), appended("2", two), appended("3", three)], FakeFacts(), bus)

    # Then exactly that record is reported failed (Lambda resumes the stream there), after its attempts
    assert report.response() == {"batchItemFailures": [{"itemIdentifier": "2"}]}
    assert len(bus.calls) == PUT_ATTEMPTS
    assert [e.event_id for e in bus.accepted] == [one.id, three.id]


def test_unreadable_records_and_audit_events_of_unknown_items_are_skipped_never_retried() -> None:
    # Given a malformed record, an audit event whose item does not exist, one missing its number,
    # and a good one
    orphan = AuditEntry(
        id=ids.new_id(ids.EVENT),
        firm_id=FIRM,
        item_id=ids.new_id(ids.ITEM),
        account_id=ACCOUNT.id,
        type="cancelled",
        at=AT,
        actor="user-1",
    )
    good = audit("completed")
    changes: list[Change] = [
        NotPublished("1", "an unreadable AUDIT image", malformed=True),
        appended("2", orphan),
        appended("3", audit("reminder_sent", mode="auto", of=1)),
        NotPublished("4", "a change no event is published for"),
        appended("5", good),
    ]
    bus = FakeBus()

    # When the publisher handles them
    report = publish_changes(changes, FakeFacts(), bus)

    # Then only the good one is published; the others are skipped, not reported failed
    assert [e.event_id for e in bus.accepted] == [good.id]
    assert (report.skipped, report.malformed, report.failed) == (4, 3, [])


def test_a_stage_entry_needs_no_reads() -> None:
    entry = StageEntry(
        firm_id=FIRM,
        job_id=ids.new_id(ids.JOB),
        pipeline_id=ids.new_id(ids.PIPELINE),
        account_id=ACCOUNT.id,
        stage_id=ids.new_id(ids.STAGE),
        entry_id=ids.new_id(ids.ENTRY),
        entered_at=AT,
    )
    facts, bus = FakeFacts(), FakeBus()
    report = publish_changes([StageEntered("9", entry)], facts, bus)
    assert [e.type for e in bus.accepted] == [EventType.JOB_ENTERED_STAGE]
    assert facts.asked == []
    assert report.published == 1
