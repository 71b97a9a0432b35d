"""Delivering one email round (SPEC §4 send function, R3, R5): the Deliverer over in-memory fakes of
its ports. The fakes keep the one rule the real repository enforces: a write must be based on the
version it read (optimistic locking)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.utils import parseaddr
from typing import Any

import pytest

from portal_reminders import ids
from portal_reminders.models.domain import (
    SYSTEM_ACTOR,
    Account,
    ActionItem,
    AuditEvent,
    AuditType,
    Claim,
    Contact,
    Delivery,
    EmailRound,
    Firm,
    Invoice,
    ItemRef,
    Kind,
    Language,
    ReminderSettings,
    Status,
    Suppression,
    SuppressionReason,
)
from portal_reminders.models.errors import (
    ConcurrentModification,
    DailyCapReached,
    DeliveryInProgress,
    RoundNotRecorded,
    StorageUnavailable,
)
from portal_reminders.ports import Mailer, MailRejected, MailUnavailable, OutgoingEmail, SendQuota, SendRateExceeded
from portal_reminders.reminders.delivery.daily_cap import DailyCap
from portal_reminders.reminders.delivery.deliverer import Deliverer, DeliveryOutcome
from portal_reminders.reminders.delivery.pacing import SendPacer
from portal_reminders.reminders.scheduling import policy
from portal_reminders.reminders.state import transitions
from portal_reminders.repository.ports import DeliverySnapshot, ItemRepository, Page, TaskEntry
from portal_reminders.settings import Settings
from tests.support.fakes import FakeDailyEmails, FakeMailAccount, FakeSendTimeline

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
DUE_1 = T0 + 3 * DAY
NOW = DUE_1 + timedelta(minutes=5)
FIRM_ID = "firm-a"
USER = "user-1"
ANA = Contact(id=ids.new_id(ids.CONTACT), name="Ana", email="ana@client.example", notify=True)
RUI = Contact(id=ids.new_id(ids.CONTACT), name="Rui", email="rui@client.example", notify=True)
EVA = Contact(id=ids.new_id(ids.CONTACT), name="Eva", email="eva@client.example", notify=True)
QUIET = Contact(id=ids.new_id(ids.CONTACT), name="Quiet", email="quiet@client.example", notify=False)
NOTIFY = (ANA.email, EVA.email, RUI.email)  # sorted, as the audit event lists them

SETTINGS = Settings.model_validate(
    {
        "TABLE_NAME": "client-reminders-test",
        "SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/send",
        "SENDER_ADDRESS": "reminders@portal.example.com",
        "PORTAL_BASE_URL": "https://portal.example.com",
        "AWS_REGION": "us-east-1",
    }
)


# --- fakes ------------------------------------------------------------------------------------


class FakeItemRepository(ItemRepository):
    """Items in a dict, with the real repository's version check; audit events in a list."""

    def __init__(self, account: Account | None, firm: Firm | None) -> None:
        self.items: dict[str, ActionItem] = {}
        self.events: list[AuditEvent] = []
        self.account = account
        self.firm = firm
        self._before_event_write: Callable[[ActionItem], None] | None = None

    def add(self, item: ActionItem) -> ActionItem:
        saved = replace(item, version=1)
        self.items[item.id] = saved
        return saved

    def stored(self, item_id: str) -> ActionItem:
        return self.items[item_id]

    def events_of(self, type_: AuditType) -> list[AuditEvent]:
        return [e for e in self.events if e.type is type_]

    def interfere_once_before_recording(self, change: Callable[[ActionItem], ActionItem]) -> None:
        """Another writer changes the stored item just before the next write that carries audit events."""

        def interfere(item: ActionItem) -> None:
            self._before_event_write = None
            stored = self.items[item.id]
            self.items[item.id] = replace(change(stored), version=stored.version + 1)

        self._before_event_write = interfere

    def get_item(self, firm_id: str, item_id: str) -> ActionItem | None:
        item = self.items.get(item_id)
        return item if item is not None and item.firm_id == firm_id else None

    def get_items(self, firm_id: str, item_ids: Sequence[str]) -> list[ActionItem]:
        return [i for i in (self.get_item(firm_id, item_id) for item_id in item_ids) if i is not None]

    def load_for_delivery(self, ref: ItemRef) -> DeliverySnapshot:
        account = self.account if self.account is not None and self.account.id == ref.account_id else None
        return DeliverySnapshot(item=self.get_item(ref.firm_id, ref.item_id), account=account, firm=self.firm)

    def load_for_deliveries(self, refs: Sequence[ItemRef]) -> dict[ItemRef, DeliverySnapshot]:
        return {ref: self.load_for_delivery(ref) for ref in refs}

    def save_item(self, item: ActionItem, events: Sequence[AuditEvent] = ()) -> ActionItem:
        if events and self._before_event_write is not None:
            self._before_event_write(item)
        stored = self.items.get(item.id)
        if item.version != (stored.version if stored is not None else 0):
            raise ConcurrentModification(item.id)
        saved = replace(item, version=item.version + 1)
        self.items[item.id] = saved
        self.events.extend(events)
        return saved

    def list_items(
        self, firm_id: str, account_id: str, status: Status | None, limit: int, token: str | None
    ) -> Page[ActionItem]:
        raise NotImplementedError

    def list_tasks(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[TaskEntry]:
        raise NotImplementedError

    def item_audit(self, firm_id: str, item_id: str, limit: int, token: str | None) -> Page[AuditEvent]:
        raise NotImplementedError

    def account_audit(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[AuditEvent]:
        raise NotImplementedError


class FakeMailer(Mailer):
    """Records what it sends; can be unavailable on its Nth call, and rejects given addresses."""

    def __init__(self, unavailable_on_call: int | None = None, rejects: dict[str, str] | None = None) -> None:
        self.sent: list[OutgoingEmail] = []
        self.calls = 0
        self.unavailable_on_call = unavailable_on_call
        self.rejects = rejects or {}

    def send(self, email: OutgoingEmail) -> str:
        self.calls += 1
        if self.calls == self.unavailable_on_call:
            raise MailUnavailable("TooManyRequestsException: maximum sending rate exceeded")
        if email.to in self.rejects:
            raise MailRejected(self.rejects[email.to])
        self.sent.append(email)
        return f"message-{self.calls}"

    @property
    def recipients(self) -> list[str]:
        return [email.to for email in self.sent]

    @property
    def message_ids(self) -> dict[str, str]:
        """address -> the id this mailer answered with (calls are numbered from 1)."""
        ids_: dict[str, str] = {}
        call = 0
        for email in self.sent:
            call += 1
            while f"message-{call}" in ids_.values():
                call += 1
            ids_[email.to] = f"message-{call}"
        return dict(sorted(ids_.items()))


# --- builders ---------------------------------------------------------------------------------


ACCOUNT_ID = ids.new_id(ids.ACCOUNT)


def an_account(*contacts: Contact) -> Account:
    return Account(
        firm_id=FIRM_ID,
        id=ACCOUNT_ID,
        name="Silva Lda",
        language=Language.EN,
        contacts=contacts or (ANA, RUI, QUIET, EVA),
        created_at=T0 - 30 * DAY,
    )


ACCOUNT = an_account()
FIRM = Firm(id=FIRM_ID, name="Silva & Filhos", reply_to="office@silva.example", portal_url=None)


def item(**overrides: Any) -> ActionItem:
    """An organizer notified at T0, reminders every 3 days 3 times, reminder 1 claimed by the scan."""
    base = ActionItem(
        firm_id=FIRM_ID,
        id=ids.new_id(ids.ITEM),
        account_id=ACCOUNT_ID,
        kind=Kind.ORGANIZER,
        title="2025 Tax Organizer",
        sent_at=T0,
        created_by=USER,
        reminders=ReminderSettings(enabled=True, days_between=3, max_reminders=3),
        notified=True,
        last_emailed_at=T0,
        claim=Claim(number=1, until=NOW + timedelta(hours=1)),
    )
    return replace(base, **overrides)


def a_paid_invoice(**overrides: Any) -> ActionItem:
    invoice = Invoice(amount=Decimal("1234.50"), currency="USD")
    unpaid = item(
        kind=Kind.INVOICE,
        title="Invoice 2026-014",
        invoice=invoice,
        due_date=date(2026, 3, 31),
        claim=None,
        **overrides,
    )
    paid, _ = transitions.complete(unpaid, T0 + DAY, USER)
    return paid


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


class World:
    """A repository holding one item, a mailer, and a Deliverer wired to both at a fixed time."""

    def __init__(self, stored: ActionItem, mailer: FakeMailer | None = None, account: Account | None = ACCOUNT) -> None:
        self.repository = FakeItemRepository(account, FIRM)
        self.item = self.repository.add(stored)
        self.mailer = mailer or FakeMailer()
        self.clock = Clock(NOW)
        self.timeline = FakeSendTimeline()
        self.account = FakeMailAccount()
        self.pacer = SendPacer(self.timeline, self.account, rate_limit=0, max_wait_seconds=10, now=self.clock)
        self.daily = FakeDailyEmails()
        self.cap = DailyCap(self.daily, cap=SETTINGS.daily_email_cap, now=self.clock)
        self.deliverer = Deliverer(self.repository, self.mailer, self.pacer, self.cap, SETTINGS, now=self.clock)

    @property
    def stored(self) -> ActionItem:
        return self.repository.stored(self.item.id)

    def deliver(self, email_round: EmailRound) -> DeliveryOutcome:
        return self.deliverer.deliver(self.item.ref, email_round)


REMINDER_1 = EmailRound.scheduled(1)


def a_resend(message: str | None = None) -> EmailRound:
    return EmailRound.manual(ids.new_id(ids.RESEND), USER, message)


# --- scheduled reminders ----------------------------------------------------------------------


def test_a_claimed_due_reminder_emails_each_notify_contact_once_and_is_recorded() -> None:
    # Given reminder 1 claimed and due, on an account with three notify contacts and one without
    world = World(item())

    # When the sender delivers it
    outcome = world.deliver(REMINDER_1)

    # Then each notify contact got one email, and the reminder is recorded with all of them
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    assert outcome.status == "sent"
    assert outcome.recipients == NOTIFY
    assert world.stored.reminders_sent == 1
    assert world.stored.last_emailed_at == NOW
    assert world.stored.claim is None
    assert world.stored.deliveries == {}
    [event] = world.repository.events
    assert (event.type, event.actor, event.recipients) == (AuditType.REMINDER_SENT, SYSTEM_ACTOR, NOTIFY)
    assert event.details == {
        "mode": "auto",
        "number": 1,
        "of": 3,
        "tone": "gentle",
        "message_ids": world.mailer.message_ids,
    }


def test_the_email_comes_from_the_firm_and_replies_go_to_the_firm() -> None:
    # Given reminder 1 claimed and due
    world = World(item())

    # When the sender delivers it
    world.deliver(REMINDER_1)

    # Then each email is sent from the service's address in the firm's name, replies to the firm
    # and is tagged with the ids of its firm, account, item and contact (no address: SPEC R15),
    # the item's kind and the round
    email = world.mailer.sent[0]
    assert parseaddr(email.sender) == ("Silva & Filhos", "reminders@portal.example.com")
    assert email.reply_to == "office@silva.example"
    contact = next(c for c in ACCOUNT.contacts if c.email == email.to)
    assert email.tags == {
        "firm": FIRM_ID,
        "account": ACCOUNT_ID,
        "item": world.item.id,
        "contact": contact.id,
        "kind": "organizer",
        "round": "scheduled",
    }
    assert "@" not in "".join(email.tags.values())
    assert f"https://portal.example.com/action-items/{world.item.id}" in email.text


def test_delivering_the_same_round_again_sends_nothing() -> None:
    # Given reminder 1 was delivered and recorded
    world = World(item())
    world.deliver(REMINDER_1)
    recorded = world.stored

    # When the same queue message is delivered again (SQS redelivery)
    outcome = world.deliver(REMINDER_1)

    # Then no second email goes out and nothing is written
    assert outcome.status == "skipped"
    assert outcome.reason == policy.SKIP_ALREADY_SENT
    assert len(world.mailer.sent) == 3
    assert len(world.repository.events) == 1
    assert world.stored == recorded


@pytest.mark.parametrize("round_", [REMINDER_1, a_resend()], ids=["scheduled", "manual"])
def test_a_worker_that_read_the_item_before_another_recorded_the_round_sends_nothing(round_: EmailRound) -> None:
    # Given a worker that read the item (a batch's snapshot), and another worker that then
    # delivered and recorded the same round (a duplicate message)
    world = World(item())
    before = DeliverySnapshot(item=world.stored, account=ACCOUNT, firm=FIRM)
    world.deliver(round_)
    recorded = world.stored

    # When the first worker goes on with what it read
    with pytest.raises(DeliveryInProgress, match="recorded meanwhile"):
        world.deliverer.deliver(world.item.ref, round_, before)

    # Then it stops before its first mail: nobody gets a second one, nothing is written
    assert len(world.mailer.sent) == 3
    assert world.stored == recorded


def test_the_notification_of_a_new_item_is_delivered_and_recorded() -> None:
    # Given a new item claiming its notification
    fresh = item(notified=False, last_emailed_at=None, claim=Claim(number=0, until=T0 + timedelta(hours=1)))
    world = World(fresh)
    world.clock.at = T0

    # When the notification is delivered
    outcome = world.deliver(EmailRound.scheduled(0, USER))

    # Then the notify contacts get it and item_sent names the firm user
    assert outcome.status == "sent"
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    assert world.stored.notified
    assert [(e.type, e.actor, e.recipients) for e in world.repository.events] == [(AuditType.ITEM_SENT, USER, NOTIFY)]


def test_an_account_without_notify_contacts_still_records_the_notification() -> None:
    # Given a new item for an account whose only contact has notify off
    fresh = item(notified=False, last_emailed_at=None, claim=Claim(number=0, until=T0 + timedelta(hours=1)))
    world = World(fresh, account=an_account(QUIET))
    world.clock.at = T0

    # When the notification is delivered
    outcome = world.deliver(EmailRound.scheduled(0, USER))

    # Then nobody is emailed, the item is notified, and item_sent says nobody was emailed
    assert outcome.status == "sent"
    assert world.mailer.sent == []
    assert world.stored.notified
    [event] = world.repository.events
    assert event.recipients == ()
    assert event.details["nobody_emailed"] is True


# --- a mail service that fails halfway --------------------------------------------------------


def test_mail_unavailable_halfway_raises_and_remembers_who_already_has_the_email() -> None:
    # Given the mail service throttles the second of three emails
    world = World(item(), FakeMailer(unavailable_on_call=2))

    # When the sender delivers reminder 1
    with pytest.raises(MailUnavailable):
        world.deliver(REMINDER_1)

    # Then the first contact is remembered on the round, which is free to retry; nothing is recorded yet
    first = world.mailer.recipients
    assert len(first) == 1
    delivery = world.stored.deliveries[REMINDER_1.key]
    assert set(delivery.delivered) == set(first)
    assert delivery.sending is None
    assert delivery.refusals == 1
    assert delivery.until <= NOW
    assert world.stored.reminders_sent == 0
    assert world.stored.claim is not None
    assert world.repository.events == []


def test_the_retry_emails_only_the_remaining_contacts_and_records_all_of_them() -> None:
    # Given reminder 1 reached one contact before the mail service throttled
    world = World(item(), FakeMailer(unavailable_on_call=2))
    with pytest.raises(MailUnavailable):
        world.deliver(REMINDER_1)

    # When the queue retries the message a minute later
    world.clock.at = NOW + timedelta(minutes=1)
    outcome = world.deliver(REMINDER_1)

    # Then each contact has exactly one email, and the reminder_sent event lists all three
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    assert outcome.status == "sent"
    [event] = world.repository.events
    assert event.type is AuditType.REMINDER_SENT
    assert event.recipients == NOTIFY
    assert world.stored.reminders_sent == 1
    assert world.stored.deliveries == {}


def test_a_round_held_by_another_worker_is_not_emailed_twice() -> None:
    # Given another worker took reminder 1's delivery lease a moment ago
    held = item(deliveries={REMINDER_1.key: Delivery(until=NOW + timedelta(seconds=90), started_at=NOW)})
    world = World(held)

    # When a second worker delivers the same round
    with pytest.raises(DeliveryInProgress):
        world.deliver(REMINDER_1)

    # Then it sends nothing and changes nothing
    assert world.mailer.sent == []
    assert world.stored == world.item


def test_a_round_abandoned_by_a_crashed_worker_is_taken_over_without_re_emailing() -> None:
    # Given a worker emailed Ana and crashed; its delivery lease has expired
    abandoned = item(
        deliveries={
            REMINDER_1.key: Delivery(
                until=NOW - timedelta(seconds=1), started_at=NOW - timedelta(minutes=3), delivered={ANA.email: "m-1"}
            )
        }
    )
    world = World(abandoned)

    # When another worker delivers the round
    outcome = world.deliver(REMINDER_1)

    # Then only the others are emailed, and the reminder is recorded with all three
    assert sorted(world.mailer.recipients) == [EVA.email, RUI.email]
    assert outcome.recipients == NOTIFY


# --- the sender re-checks before sending (R3, R5) ---------------------------------------------


def test_a_completed_item_is_skipped_and_its_claim_released() -> None:
    # Given reminder 1 was queued, then the item was completed with the claim still on it
    done = item(status=Status.COMPLETED, completed_at=DUE_1)
    world = World(done)

    # When the sender takes the queued round
    outcome = world.deliver(REMINDER_1)

    # Then nothing is emailed or audited, and the claim is released
    assert outcome.status == "skipped"
    assert outcome.reason == policy.SKIP_NOT_PENDING
    assert world.mailer.sent == []
    assert world.repository.events == []
    assert world.stored.claim is None


def test_a_reminder_turned_off_while_queued_is_skipped_and_released() -> None:
    # Given reminder 1 was queued, then the firm turned reminders off
    world = World(item())
    off, events = transitions.change_settings(world.item, {"enabled": False}, NOW, USER)
    world.repository.save_item(off, events)

    # When the sender takes the queued round
    outcome = world.deliver(REMINDER_1)

    # Then nothing is emailed, and the item leaves the due index
    assert outcome.reason == policy.SKIP_STOPPED
    assert world.mailer.sent == []
    assert world.stored.claim is None
    assert policy.index_time(world.stored) is None


def test_a_manual_resend_of_a_completed_item_is_skipped() -> None:
    # Given a completed organizer
    world = World(item(status=Status.COMPLETED, completed_at=DUE_1, claim=None))

    # When a manual round for it is delivered
    outcome = world.deliver(a_resend())

    # Then it is refused and nothing is emailed or audited
    assert outcome.status == "skipped"
    assert outcome.reason == policy.resend_refusal(world.item)
    assert world.mailer.sent == []
    assert world.repository.events == []


def test_emailing_a_paid_invoice_sends_a_paid_copy() -> None:
    # Given a paid (completed) invoice
    world = World(a_paid_invoice())

    # When the firm user's "Email invoice" round is delivered
    outcome = world.deliver(a_resend("Your copy, for your records"))

    # Then every notify contact gets a paid copy, audited as a manual reminder by the user
    assert outcome.status == "sent"
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    assert all("(paid)" in email.subject for email in world.mailer.sent)
    [event] = world.repository.events
    assert (event.type, event.actor) == (AuditType.REMINDER_SENT, USER)
    assert event.details["mode"] == "manual"
    assert event.details["message"] == "Your copy, for your records"


def test_a_manual_resend_is_delivered_once_per_resend() -> None:
    # Given a manual resend was delivered
    world = World(item(claim=None))
    resend = a_resend()
    world.deliver(resend)

    # When its queue message is delivered again
    outcome = world.deliver(resend)

    # Then no second email goes out
    assert outcome.reason == policy.SKIP_ALREADY_DELIVERED
    assert len(world.mailer.sent) == 3
    assert world.stored.manual_reminders_sent == 1
    assert world.stored.reminders_sent == 0


# --- rejected addresses and giving up ---------------------------------------------------------


def test_a_rejected_address_does_not_stop_the_others() -> None:
    # Given the mail service rejects Rui's address for good
    world = World(item(), FakeMailer(rejects={RUI.email: "MessageRejected: address is on the suppression list"}))

    # When reminder 1 is delivered
    outcome = world.deliver(REMINDER_1)

    # Then Ana and Eva get it, the reminder counts, and an email_failed event names Rui's address
    assert sorted(world.mailer.recipients) == [ANA.email, EVA.email]
    assert outcome.status == "sent"
    assert outcome.rejected == {RUI.email: "MessageRejected: address is on the suppression list"}
    assert world.stored.reminders_sent == 1
    [sent] = world.repository.events_of(AuditType.REMINDER_SENT)
    assert sent.recipients == (ANA.email, EVA.email)
    [failed] = world.repository.events_of(AuditType.EMAIL_FAILED)
    assert failed.recipients == (RUI.email,)
    assert failed.details["errors"] == {RUI.email: "MessageRejected: address is on the suppression list"}


def test_every_address_rejected_records_email_failed_and_stops_reminders() -> None:
    # Given the mail service rejects every address
    world = World(item(), FakeMailer(rejects=dict.fromkeys(NOTIFY, "MessageRejected")))

    # When reminder 1 is delivered
    outcome = world.deliver(REMINDER_1)

    # Then it is recorded as failed, not sent, and no further reminder is scheduled
    assert outcome.status == "failed"
    assert [e.type for e in world.repository.events] == [AuditType.EMAIL_FAILED]
    assert world.stored.reminders_sent == 0
    assert policy.due_at(world.stored) is None


# --- suppressed contacts (SPEC R15) --------------------------------------------------------------


def _suppressed(contact: Contact, reason: SuppressionReason = SuppressionReason.BOUNCE) -> Contact:
    return replace(contact, suppression=Suppression(reason=reason, at=T0 + DAY, key=f"bounce:msg-{contact.id}"))


def test_a_suppressed_contact_gets_no_mail_and_the_audit_says_so() -> None:
    # Given Rui's address bounced for good, and reminder 1 due
    world = World(item(), account=an_account(ANA, _suppressed(RUI), QUIET, EVA))

    # When reminder 1 is delivered
    outcome = world.deliver(REMINDER_1)

    # Then Ana and Eva get it, Rui does not; it counts, and its audit names Rui as left out
    assert sorted(world.mailer.recipients) == [ANA.email, EVA.email]
    assert (outcome.status, outcome.suppressed) == ("sent", (RUI.email,))
    assert world.stored.reminders_sent == 1
    [sent] = world.repository.events_of(AuditType.REMINDER_SENT)
    assert sent.recipients == (ANA.email, EVA.email)
    assert sent.details["suppressed"] == {RUI.email: "bounce"}
    assert set(sent.details["message_ids"]) == {ANA.email, EVA.email}
    assert world.repository.events_of(AuditType.EMAIL_FAILED) == []


def test_a_lifted_suppression_mails_the_contact_again() -> None:
    # Given Rui's suppression was lifted by the firm
    lifted = _suppressed(RUI)
    assert lifted.suppression is not None
    lifted = replace(lifted, suppression=replace(lifted.suppression, lifted_at=T0 + 2 * DAY))
    world = World(item(), account=an_account(ANA, lifted))

    # When reminder 1 is delivered
    outcome = world.deliver(REMINDER_1)

    # Then Rui gets it again, and nothing is noted as suppressed
    assert sorted(world.mailer.recipients) == [ANA.email, RUI.email]
    assert outcome.suppressed == ()
    assert "suppressed" not in world.repository.events_of(AuditType.REMINDER_SENT)[0].details


@pytest.mark.parametrize("round_", [REMINDER_1, EmailRound.scheduled(0)], ids=["reminder", "notification"])
def test_a_round_whose_notify_contacts_are_all_suppressed_is_email_failed_not_sent(round_: EmailRound) -> None:
    # Given every notify contact of the account is suppressed (Quiet has notify off)
    stored = item() if round_.number else item(notified=False, last_emailed_at=None, claim=Claim(0, NOW))
    contacts = (_suppressed(ANA), _suppressed(RUI, SuppressionReason.COMPLAINT), QUIET)
    world = World(stored, account=an_account(*contacts))

    # When the round is delivered
    outcome = world.deliver(round_)

    # Then nobody is emailed, and it is not recorded as sent: email_failed names the suppressed
    # contacts and why, the round is not counted, and automatic reminders stop until the firm acts
    assert world.mailer.sent == []
    assert outcome.status == "failed"
    assert outcome.suppressed == (ANA.email, RUI.email)
    [failed] = world.repository.events
    assert failed.type is AuditType.EMAIL_FAILED
    assert failed.details["reason"] == "every notify contact is suppressed"
    assert failed.recipients == (ANA.email, RUI.email)
    assert failed.details["errors"] == {
        ANA.email: "suppressed after a bounce",
        RUI.email: "suppressed after a complaint",
    }
    assert (world.stored.reminders_sent, world.stored.failed_number) == (0, round_.number)
    assert policy.due_at(world.stored) is None


def test_suppressed_and_rejected_contacts_together_fail_the_round() -> None:
    # Given Ana is suppressed and the mail service rejects Rui (the only other notify contact)
    world = World(
        item(), FakeMailer(rejects={RUI.email: "MessageRejected"}), account=an_account(_suppressed(ANA), RUI, QUIET)
    )

    outcome = world.deliver(REMINDER_1)

    assert outcome.status == "failed"
    [failed] = world.repository.events
    assert failed.details["reason"] == "every notify contact is suppressed or was rejected"
    assert failed.details["errors"] == {ANA.email: "suppressed after a bounce", RUI.email: "MessageRejected"}


def test_an_account_with_no_notify_contact_is_not_a_suppressed_round() -> None:
    # Given only a contact with notify off, who is also suppressed
    world = World(item(), account=an_account(_suppressed(QUIET)))

    outcome = world.deliver(REMINDER_1)

    # Then it is the usual "nobody emailed" reminder (SPEC R1), not a failure
    assert outcome.status == "sent"
    [sent] = world.repository.events
    assert (sent.type, sent.details.get("nobody_emailed")) == (AuditType.REMINDER_SENT, True)


def _refused_since(started: datetime, delivered: dict[str, str] | None = None) -> Delivery:
    """A round the mail service has refused since `started` (its lease released)."""
    return Delivery(
        until=started,
        started_at=started,
        delivered=delivered or {},
        refusals=3,
        give_up_by=started + SETTINGS.give_up_by,
    )


def test_a_round_refused_for_the_whole_retry_horizon_is_given_up_for_good() -> None:
    # Given the mail service has refused reminder 1 since exactly 24 hours ago
    world = World(item(deliveries={REMINDER_1.key: _refused_since(NOW - SETTINGS.give_up_after)}))

    # When the queue retries it
    outcome = world.deliver(REMINDER_1)

    # Then nothing is emailed: email_failed is audited and the item leaves the due index
    assert outcome.status == "failed"
    assert world.mailer.sent == []
    [event] = world.repository.events
    assert event.type is AuditType.EMAIL_FAILED
    assert event.details["mode"] == "auto"
    assert event.details["number"] == 1
    assert "refused it for 24 hours" in event.details["reason"]
    assert world.stored.failed_number == 1
    assert world.stored.claim is None
    assert policy.index_time(world.stored) is None

    # and a later message for the same round sends nothing
    assert world.deliver(REMINDER_1).status == "skipped"
    assert world.mailer.sent == []


def test_a_round_refused_for_less_than_the_horizon_is_tried_again() -> None:
    # Given the mail service has refused reminder 1 for 23 hours
    world = World(item(deliveries={REMINDER_1.key: _refused_since(NOW - timedelta(hours=23))}))

    # When the queue retries it and the mail service takes it
    outcome = world.deliver(REMINDER_1)

    # Then it is sent and counted
    assert outcome.status == "sent"
    assert world.stored.reminders_sent == 1


# --- a concurrent change while emailing -------------------------------------------------------


def test_a_change_between_sending_and_recording_still_records_the_reminder_once() -> None:
    # Given the firm changes the item's settings while reminder 1's emails are going out
    world = World(item())
    world.repository.interfere_once_before_recording(
        lambda stored: replace(stored, reminders=replace(stored.reminders, days_between=7))
    )

    # When the sender delivers it
    outcome = world.deliver(REMINDER_1)

    # Then the emails went out once, and the reminder is recorded once on top of the firm's change
    assert outcome.status == "sent"
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    assert len(world.repository.events_of(AuditType.REMINDER_SENT)) == 1
    assert world.stored.reminders_sent == 1
    assert world.stored.reminders.days_between == 7
    assert world.stored.claim is None
    assert world.stored.deliveries == {}
    assert policy.due_at(world.stored) == NOW + 7 * DAY


# --- emails that reached a contact are audited (SPEC §1, R11) ---------------------------------


def _emailed_in_audit(repository: FakeItemRepository) -> set[str]:
    return {address for event in repository.events for address in event.recipients}


def test_a_reminder_that_reached_a_contact_before_completion_is_audited() -> None:
    # Given reminder 1 reached one contact before the mail service throttled
    world = World(item(), FakeMailer(unavailable_on_call=2))
    with pytest.raises(MailUnavailable):
        world.deliver(REMINDER_1)
    [reached] = world.mailer.recipients

    # When the client completes the item, and then the queue retries the round
    done, events = transitions.complete(world.stored, NOW, USER)
    world.repository.save_item(done, events)
    world.clock.at = NOW + timedelta(minutes=1)
    world.deliver(REMINDER_1)

    # Then no one else is emailed, but the audit trail names the contact who got the reminder
    assert world.mailer.recipients == [reached]
    assert reached in _emailed_in_audit(world.repository)


def test_giving_up_on_a_partly_delivered_round_audits_who_got_it() -> None:
    # Given reminder 1 reached Ana before the mail service started refusing it, 24 hours ago
    refused = _refused_since(NOW - SETTINGS.give_up_after, delivered={ANA.email: "m-1"})
    world = World(item(deliveries={REMINDER_1.key: refused}))

    # When the round is given up
    world.deliver(REMINDER_1)

    # Then the audit trail still names Ana as emailed, and the others as failed
    assert ANA.email in _emailed_in_audit(world.repository)
    [failed] = world.repository.events_of(AuditType.EMAIL_FAILED)
    assert set(failed.recipients) == {EVA.email, RUI.email}


# --- at most one mail per contact under any single failure (SPEC R14) ---------------------------


class Killed(BaseException):
    """The invocation dies (a timeout): nothing catches it."""


class DyingMailer(FakeMailer):
    """SES accepts the mail to `dies_after`, and the invocation dies before it hears back."""

    def __init__(self, dies_after: str) -> None:
        super().__init__()
        self.dies_after = dies_after

    def send(self, email: OutgoingEmail) -> str:
        message_id = super().send(email)
        if email.to == self.dies_after:
            self.dies_after = ""
            raise Killed
        return message_id


def test_a_worker_dying_after_ses_accepted_a_mail_never_causes_a_second_one() -> None:
    # Given the worker dies right after SES accepted the mail to the second contact
    world = World(item(), DyingMailer(dies_after=EVA.email))
    with pytest.raises(Killed):
        world.deliver(REMINDER_1)
    assert world.stored.deliveries[REMINDER_1.key].sending == EVA.email

    # When another worker takes the round over after the lease expired
    world.clock.at = NOW + SETTINGS.delivery_lease + timedelta(seconds=1)
    world.deliver(REMINDER_1)

    # Then each contact got one mail; Eva, whose outcome is unknown, is named as unconfirmed
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    [event] = world.repository.events
    assert event.recipients == (ANA.email, RUI.email)
    assert event.details["unconfirmed"] == [EVA.email]


def test_each_contact_is_marked_before_its_mail_service_call() -> None:
    # Given a repository that remembers every state of the round it was asked to write
    world = World(item())
    marks: list[str | None] = []
    save = world.repository.save_item

    def remember(stored: ActionItem, events: Sequence[AuditEvent] = ()) -> ActionItem:
        progress = stored.deliveries.get(REMINDER_1.key)
        if progress is not None:
            marks.append(progress.sending)
        return save(stored, events)

    world.repository.save_item = remember  # type: ignore[method-assign]

    # When reminder 1 is delivered
    world.deliver(REMINDER_1)

    # Then a durable mark preceded each of the three calls, in order
    assert marks == [world.mailer.sent[n].to for n in range(3)]


def test_storage_failing_after_ses_accepted_reports_the_round_unrecorded() -> None:
    # Given the database fails every write once the first mail went out
    world = World(item())
    save = world.repository.save_item

    def failing(stored: ActionItem, events: Sequence[AuditEvent] = ()) -> ActionItem:
        if world.mailer.sent:
            raise StorageUnavailable("InternalServerError")
        return save(stored, events)

    world.repository.save_item = failing  # type: ignore[method-assign]

    # When reminder 1 is delivered
    with pytest.raises(RoundNotRecorded):
        world.deliver(REMINDER_1)

    # Then one mail went out, and the stored round marks that contact so a retry never re-emails it
    [first] = world.mailer.recipients
    assert world.stored.deliveries[REMINDER_1.key].sending == first
    world.repository.save_item = save  # type: ignore[method-assign]
    world.clock.at = NOW + SETTINGS.delivery_lease + timedelta(seconds=1)
    world.deliver(REMINDER_1)
    assert sorted(world.mailer.recipients) == list(NOTIFY)
    assert world.stored.reminders_sent == 1


def test_a_paused_account_delays_the_round_and_starts_its_retry_horizon() -> None:
    # Given SES has paused the account
    world = World(item(claim=Claim(number=1, until=NOW + SETTINGS.claim_lease)))
    world.account.current = SendQuota(14.0, 50_000.0, 10.0, sending_enabled=False)

    # When reminder 1 is delivered
    with pytest.raises(MailUnavailable, match="paused"):
        world.deliver(REMINDER_1)

    # Then nothing is emailed, and the round records its first try and its give-up deadline
    assert world.mailer.sent == []
    progress = world.stored.deliveries[REMINDER_1.key]
    assert (progress.started_at, progress.refusals) == (NOW, 1)
    assert progress.give_up_by == NOW + SETTINGS.give_up_by
    assert policy.index_time(world.stored) == NOW + SETTINGS.give_up_by


def test_a_send_rate_booked_too_far_ahead_writes_nothing_and_starts_no_horizon() -> None:
    # Given the shared send rate is booked for the next minute by other workers
    world = World(item())
    world.timeline.next_free = NOW + timedelta(minutes=1)

    # When reminder 1 is delivered
    with pytest.raises(SendRateExceeded):
        world.deliver(REMINDER_1)

    # Then nothing was emailed or written: our own pacing is not a refusal by the mail service
    assert world.mailer.sent == []
    assert world.stored == world.item


# --- the firm's daily email cap (SPEC R18) -----------------------------------------------------


def test_a_round_counts_its_emails_against_the_daily_cap_once_even_when_retried() -> None:
    # Given the mail service throttles the second of three emails
    world = World(item(), FakeMailer(unavailable_on_call=2))
    with pytest.raises(MailUnavailable):
        world.deliver(REMINDER_1)

    # When the queue retries the round and it goes out
    world.clock.at = NOW + timedelta(minutes=1)
    world.deliver(REMINDER_1)

    # Then the firm's day counts the round's three emails, once
    assert world.daily.counts == {(FIRM_ID, NOW.date()): 3}


def test_a_round_over_the_daily_cap_waits_and_sends_or_writes_nothing() -> None:
    # Given a firm whose day has room for 2 more emails, and a round of 3
    world = World(item())
    world.daily.counts[(FIRM_ID, NOW.date())] = SETTINGS.daily_email_cap - 2

    # When it is delivered
    with pytest.raises(DailyCapReached) as reached:
        world.deliver(REMINDER_1)

    # Then nothing is sent, counted or written, and it may go when the next UTC day starts
    assert world.mailer.sent == []
    assert world.daily.counts[(FIRM_ID, NOW.date())] == SETTINGS.daily_email_cap - 2
    assert world.stored == world.item
    assert reached.value.retry_after_seconds == (datetime(2026, 3, 6, tzinfo=UTC) - NOW).total_seconds()
