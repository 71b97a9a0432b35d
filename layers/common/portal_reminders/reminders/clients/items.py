"""Use cases on action items: send (R1), resend (R5), complete (R9, §3), change reminders (R4)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from portal_reminders import ids
from portal_reminders.budget import OutOfTime
from portal_reminders.clock import now as clock_now
from portal_reminders.models.commands import SendItem
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    Claim,
    ClientTime,
    EmailRound,
    Firm,
    ItemRef,
    Kind,
    RoundMode,
)
from portal_reminders.models.errors import (
    ConcurrentModification,
    DailyCapReached,
    DeliveryInProgress,
    InvalidInput,
    NotFound,
    RateLimited,
    RoundNotRecorded,
    StateConflict,
    StorageUnavailable,
)
from portal_reminders.models.messages import ManualEmailMessage, ScheduledEmailMessage, to_body
from portal_reminders.observability import logger
from portal_reminders.ports import MailUnavailable, SendQueue
from portal_reminders.reminders.clients.lookup import existing, load
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.reminders.clients.templates import TemplateService, due_from_template, invoice_from_terms
from portal_reminders.reminders.delivery import limits
from portal_reminders.reminders.delivery.daily_cap import Allowance, DailyCap
from portal_reminders.reminders.delivery.deliverer import Deliverer, DeliveryOutcome, RoundStatus
from portal_reminders.reminders.scheduling import client_clock, policy, sequences
from portal_reminders.reminders.state import rounds, transitions
from portal_reminders.repository.ports import ClientSnapshot, ClientTimeRepository, ItemRepository
from portal_reminders.settings import Settings

# The mail service being busy, or the database failing after mail went out, is not the caller's
# problem: the round is queued for the send function, which finishes it without emailing anyone
# twice (it retries with backoff, and gives up only after the retry horizon).
HANDED_TO_QUEUE = (
    DailyCapReached,
    MailUnavailable,
    DeliveryInProgress,
    ConcurrentModification,
    OutOfTime,
    RoundNotRecorded,
    StorageUnavailable,
)


@dataclass(frozen=True, slots=True)
class ResendResult:
    item: ActionItem
    recipients: int
    queued: bool


class ItemService:
    def __init__(
        self,
        items: ItemRepository,
        clients: ClientTimeRepository,
        templates: TemplateService,
        deliverer: Deliverer,
        cap: DailyCap,
        queue: SendQueue,
        settings: Settings,
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._items = items
        self._clients = clients
        self._templates = templates
        self._deliverer = deliverer
        self._cap = cap
        self._queue = queue
        self._settings = settings
        self._now = now

    def get(self, firm_id: str, item_id: str) -> ActionItem:
        return existing("action item", ids.ITEM, item_id, lambda i: self._items.get_item(firm_id, i))

    def client_time(self, firm_id: str, account_id: str) -> ClientTime:
        """The account's time zone and sending window as they are now (what `reminders.next_at` and
        the steps' times are shown in)."""
        return client_clock.client_time(*self._client(firm_id, account_id))

    def _client(self, firm_id: str, account_id: str) -> tuple[Firm | None, Account]:
        """The firm and the account, read together; NotFound when the account is not the firm's."""
        snapshot = load(ids.ACCOUNT, account_id, lambda i: self._clients.load_clients(firm_id, [i], []))
        account = _account_in(snapshot, account_id)
        if snapshot is None or account is None:
            raise NotFound("account", account_id)
        return snapshot.firm, account

    def send(self, command: SendItem) -> ActionItem:
        """Create the item and notify the account's notify contacts now (SPEC R1).

        Content and settings come from the request, else the automation (R8), else the template
        (R7), else the defaults. An item an automation creates has an id derived from the stage
        entry and the automation, so running the same entry again creates nothing twice.
        """
        firm_id, kind, origin = command.firm_id, command.kind, command.origin
        firm, account = self._client(firm_id, command.account_id)
        template = self._templates.for_item(firm_id, command.template_id, kind) if command.template_id else None
        now = self._now()
        client = client_clock.client_time(firm, account)
        # a template without a title lends its name (SPEC R18)
        title = command.title or (template.title or template.name if template else None)
        if not title:
            raise InvalidInput("a title is needed when no template_id is given", field="title")
        invoice = command.invoice
        if invoice is None and template is not None and template.invoice is not None:
            invoice = invoice_from_terms(template.invoice)
        if kind is Kind.INVOICE and invoice is None and template is None:
            raise InvalidInput("an invoice needs its amount, currency and due date", field="invoice")
        if kind is Kind.INVOICE and invoice is None:
            # a stored template without invoice terms: the request is fine in itself (409)
            raise StateConflict(
                f"template {command.template_id} has no invoice terms: the request needs its own invoice",
                field="invoice",
            )
        # the request's due date, else so many days after today on the client's calendar (the
        # day its emails show), as the template says (SPEC R19)
        due_date = command.due_date or due_from_template(template, client_clock.client_today(now, client.zone))
        if kind is Kind.INVOICE and due_date is None:
            raise InvalidInput("an invoice needs its due date", field="invoice.due_date")
        automation = command.automation
        sequences.check_layer(command.reminders, "reminders.")
        reminders = transitions.merge_settings(
            command.reminders, automation.reminders if automation else None, template.reminders if template else None
        )
        sequences.check_settings(
            reminders, has_due_date=due_date is not None, named=command.reminders, prefix="reminders."
        )
        item = transitions.new_item(
            firm_id=firm_id,
            account_id=command.account_id,
            kind=kind,
            title=title,
            message=command.message or (template.body if template else None),
            reminders=reminders,
            invoice=invoice,
            actor=command.actor,
            at=now,
            claim=Claim(number=0, until=now + self._settings.handoff_lease),
            template_id=template.id if template else None,
            origin=origin,
            client=client,
            due_date=due_date,
        )
        # A firm user's request past the daily email cap is refused (429) before anything is made;
        # an automation's item is made, and its notification waits for the next day (SPEC R18).
        allowance = None if origin else self._cap.manual(firm_id, _emails_to(account))
        try:
            try:
                item = self._items.save_item(item)
            except ConcurrentModification:
                if origin is None:
                    raise
                # this automation already created it on an earlier run of the same stage entry
                created_before = self._items.get_item(firm_id, item.id)
                if created_before is None:
                    raise
                return created_before
            outcome = self._deliver_or_queue(
                item.ref, EmailRound.scheduled(0, command.actor), self._scheduled_message(item, 0), allowance
            )
            return outcome.item if outcome and outcome.item else item
        finally:
            # what was counted but not sent (handed to the send queue, which counts it there) goes back
            if allowance is not None:
                allowance.settle()

    def cancel(self, firm_id: str, item_id: str, actor: str) -> ActionItem:
        def attempt() -> ActionItem:
            item = self.get(firm_id, item_id)
            updated, events = transitions.cancel(item, self._now(), actor)
            return self._items.save_item(updated, events) if events else item

        return with_retries(attempt)

    def record_payment(self, firm_id: str, item_id: str, actor: str, amount: Decimal) -> ActionItem:
        def attempt() -> ActionItem:
            item = self.get(firm_id, item_id)
            updated, events = transitions.record_payment(item, amount, self._now(), actor)
            return self._items.save_item(updated, events)

        return with_retries(attempt)

    def resend(self, firm_id: str, item_id: str, actor: str, message: str | None) -> ResendResult:
        """A manual reminder (SPEC R5): emails every notify contact again, now."""
        item = self._acceptable_resend(self.get(firm_id, item_id))
        _, account = self._client(firm_id, item.account_id)
        allowance = self._cap.manual(firm_id, _emails_to(account))
        try:
            item = with_retries(lambda: self._accept_resend(firm_id, item_id))
            email_round = EmailRound.manual(ids.new_id(ids.RESEND), actor, message)
            queued_message = ManualEmailMessage(
                firm_id=firm_id,
                item_id=item.id,
                account_id=item.account_id,
                resend_id=email_round.resend_id or "",
                actor=actor,
                message=message,
            )
            outcome = self._deliver_or_queue(item.ref, email_round, to_body(queued_message), allowance)
        finally:
            # what was counted but not sent (a recheck refused it, the send queue counts it) goes back
            allowance.settle()
        if outcome is None:
            return ResendResult(item=item, recipients=0, queued=True)
        if outcome.status is RoundStatus.SKIPPED:
            # the item changed between the check above and the delivery (completed, cancelled)
            raise StateConflict(outcome.reason or "the item can no longer be resent")
        return ResendResult(item=outcome.item or item, recipients=len(outcome.recipients), queued=False)

    def _acceptable_resend(self, item: ActionItem) -> ActionItem:
        """The item if a manual resend of it may go; refused in SPEC R18's order: its state
        (StateConflict), then the cooldown (RateLimited). (An unknown item was a NotFound before.)"""
        refusal = policy.resend_refusal(item)
        if refusal is not None:
            raise StateConflict(refusal)
        wait = limits.resend_wait(item.last_manual_resend_at, self._now(), self._settings.resend_cooldown)
        if wait is not None:
            minutes = self._settings.resend_cooldown_minutes
            raise RateLimited(f"this item was resent by hand less than {minutes} minutes ago; try again later", wait)
        return item

    def _accept_resend(self, firm_id: str, item_id: str) -> ActionItem:
        """The item, once a manual resend of it is accepted (checked again on a fresh read)."""
        item = self._acceptable_resend(self.get(firm_id, item_id))
        # Written before anything is sent, conditionally on the version read: of two resends at
        # once, one is accepted and the other re-reads the item and meets the cooldown.
        return self._items.save_item(replace(item, last_manual_resend_at=self._now()))

    def complete(self, firm_id: str, item_id: str, actor: str, via: str | None) -> ActionItem:
        def attempt() -> ActionItem:
            item = self.get(firm_id, item_id)
            if via is not None and item.kind is not Kind.CHAT:
                raise StateConflict(f"'via' applies to chat items only; this is {item.kind.value} item", field="via")
            updated, events = transitions.complete(item, self._now(), actor, via)
            return self._items.save_item(updated, events) if events else item

        return with_retries(attempt)

    def change_reminders(
        self, firm_id: str, item_id: str, actor: str, changes: Mapping[str, Any], reason: str | None = None
    ) -> ActionItem:
        sequences.check_layer(changes)

        def attempt() -> ActionItem:
            item = self.get(firm_id, item_id)
            updated, events = transitions.change_settings(item, changes, self._now(), actor, reason)
            return self._items.save_item(updated, events) if events else item

        return with_retries(attempt)

    def change_due_date(self, firm_id: str, item_id: str, actor: str, due_date: date | None) -> ActionItem:
        def attempt() -> ActionItem:
            item = self.get(firm_id, item_id)
            updated, events = transitions.change_due_date(item, due_date, self._now(), actor)
            return self._items.save_item(updated, events) if events else item

        return with_retries(attempt)

    def _deliver_or_queue(
        self, ref: ItemRef, email_round: EmailRound, queued_body: str, allowance: Allowance | None = None
    ) -> DeliveryOutcome | None:
        try:
            return self._deliverer.deliver(ref, email_round, allowance=allowance)
        except HANDED_TO_QUEUE as error:
            logger.warning(
                "email handed to the send queue",
                extra={"item_id": ref.item_id, "round": email_round.key, "error": type(error).__name__},
            )
        if self._queue.enqueue([queued_body]):
            # Not lost: a scheduled email stays claimed (briefly) and the scan takes it over.
            logger.error("email could not be queued", extra={"item_id": ref.item_id, "round": email_round.key})
        elif email_round.mode is RoundMode.SCHEDULED:
            self._extend_claim(ref, email_round.number)
        return None

    def _extend_claim(self, ref: ItemRef, number: int) -> None:
        """The round's message is on its way: its claim must outlive it, or the scan would claim the
        round again while it waits in the queue (SPEC R14). If this fails, the short claim expires and
        the scan queues a second message, which the send function ignores."""

        def attempt() -> None:
            item = self._items.get_item(ref.firm_id, ref.item_id)
            if item is None or item.claim is None or item.claim.number != number:
                return
            until = self._now() + self._settings.claim_lease
            if item.claim.until < until:
                self._items.save_item(replace(item, claim=replace(item.claim, until=until)))

        try:
            with_retries(attempt)
        except (ConcurrentModification, StorageUnavailable) as error:
            logger.warning("claim not extended", extra={"item_id": ref.item_id, "error": type(error).__name__})

    @staticmethod
    def _scheduled_message(item: ActionItem, number: int) -> str:
        return to_body(
            ScheduledEmailMessage(firm_id=item.firm_id, item_id=item.id, account_id=item.account_id, number=number)
        )


def _account_in(snapshot: ClientSnapshot | None, account_id: str) -> Account | None:
    return None if snapshot is None else snapshot.accounts.get(account_id)


def _emails_to(account: Account) -> int:
    """How many emails a new round for the account sends: its notify contacts not suppressed."""
    return len(rounds.to_email(account.notify_contacts, None))
