"""State transitions of an action item. Each returns the new item and the audit events that
describe the change; the caller persists both together (one transaction)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

from portal_reminders import ids
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    AuditEvent,
    AuditType,
    Claim,
    ClientTime,
    Contact,
    Delivery,
    EmailRound,
    Invoice,
    ItemRef,
    Kind,
    Origin,
    ReminderSettings,
    RoundMode,
    Status,
    StepStatus,
)
from portal_reminders.models.errors import StateConflict
from portal_reminders.reminders.scheduling import policy, sequences
from portal_reminders.reminders.state import rounds

# Manual resend keys already recorded, kept so a redelivered queue message never re-sends one.
DONE_KEYS_KEPT = 20

Transition = tuple[ActionItem, list[AuditEvent]]
# items and accounts both carry email rounds in progress (an account: the bulk approval request)
Delivering = TypeVar("Delivering", ActionItem, Account)


def audit_event(
    item: ActionItem,
    type_: AuditType,
    at: datetime,
    actor: str,
    recipients: Sequence[str] = (),
    details: Mapping[str, Any] | None = None,
) -> AuditEvent:
    # item.version + 1 is the version the change is written at: it orders an item's events even
    # when two of them share a timestamp.
    return _event(item.ref, type_, at, actor, recipients, details, sequence=item.version + 1)


def _event(
    ref: ItemRef,
    type_: AuditType,
    at: datetime,
    actor: str,
    recipients: Sequence[str],
    details: Mapping[str, Any] | None,
    sequence: int,
) -> AuditEvent:
    return AuditEvent(
        id=ids.new_id(ids.EVENT),
        firm_id=ref.firm_id,
        item_id=ref.item_id,
        account_id=ref.account_id,
        type=type_,
        at=at,
        actor=actor,
        recipients=tuple(recipients),
        details=dict(details or {}),
        sequence=sequence,
    )


def _without_delivery(item: Delivering, key: str) -> dict[str, Delivery]:
    return {k: v for k, v in item.deliveries.items() if k != key}


def with_delivery(item: Delivering, key: str, delivery: Delivery) -> Delivering:
    """The round's progress (rounds.py) as it stands: written before each mail service call."""
    return replace(item, deliveries={**item.deliveries, key: delivery})


def finish_delivery(item: Delivering, key: str) -> Delivering:
    """The round is recorded: forget its progress, remember its key (a redelivery sends nothing)."""
    return replace(item, deliveries=_without_delivery(item, key), done_keys=(*item.done_keys, key)[-DONE_KEYS_KEPT:])


def round_details(progress: Delivery | None) -> dict[str, Any]:
    """What the audit keeps of a round's mail: each accepted address's message id, the addresses
    whose outcome is unknown (a worker died between marking them and hearing back), and the notify
    contacts it left out because they are suppressed (address -> bounce or complaint)."""
    details: dict[str, Any] = {}
    if progress is None:
        return details
    if progress.delivered:
        details["message_ids"] = dict(sorted(progress.delivered.items()))
    if progress.unconfirmed:
        details["unconfirmed"] = sorted(progress.unconfirmed)
    if progress.suppressed:
        details["suppressed"] = dict(sorted(progress.suppressed.items()))
    return details


# Why a round reached nobody although the account has notify contacts (the round is email_failed).
EVERY_RECIPIENT_REJECTED = "every recipient was rejected"
EVERY_CONTACT_SUPPRESSED = "every notify contact is suppressed"
NO_CONTACT_REACHABLE = "every notify contact is suppressed or was rejected"


def _unreachable(progress: Delivery | None) -> tuple[str, dict[str, str]] | None:
    """When the round reached no one (nobody accepted, nobody unconfirmed) but had notify contacts,
    each rejected for good or suppressed: why, and each address with its reason. Else None."""
    if progress is None or progress.delivered or progress.unconfirmed:
        return None
    if not (progress.rejected or progress.suppressed):
        return None
    failed = {**{a: f"suppressed after a {r}" for a, r in progress.suppressed.items()}, **progress.rejected}
    if not progress.suppressed:
        return EVERY_RECIPIENT_REJECTED, failed
    return (NO_CONTACT_REACHABLE if progress.rejected else EVERY_CONTACT_SUPPRESSED), failed


def record_delivery(
    item: ActionItem,
    email_round: EmailRound,
    at: datetime,
    progress: Delivery | None,
) -> Transition:
    """The round's mail went out: to `progress.delivered` (accepted), maybe to `progress.unconfirmed`;
    `progress.rejected` (address -> reason) were refused for good."""
    recipients = sorted(progress.delivered) if progress else []
    failed = dict(progress.rejected) if progress else {}
    unreachable = _unreachable(progress)
    if unreachable is not None:
        # Not a silent "sent": nobody got it, so it is not counted, and automatic reminders stop
        # (as when every address is rejected) until the firm resends or changes the settings.
        reason, failed = unreachable
        return record_failure(item, email_round, at, reason=reason, failed=failed)
    deliveries = _without_delivery(item, email_round.key)
    events: list[AuditEvent] = []
    mail = round_details(progress)
    nobody = not recipients and not mail.get("unconfirmed")
    if email_round.mode is RoundMode.MANUAL:
        # A resend reaches the client like the notification would, and clears an email_failed
        # stop: the next automatic reminder is due days_between after it (SPEC R5).
        item = replace(
            item,
            manual_reminders_sent=item.manual_reminders_sent + 1,
            last_emailed_at=at,
            notified=True,
            failed_number=None,
            claim=None if item.claim is not None and item.claim.number == 0 else item.claim,
            deliveries=deliveries,
            done_keys=(*item.done_keys, email_round.key)[-DONE_KEYS_KEPT:],
        )
        details: dict[str, Any] = {"mode": "manual", "number": item.manual_reminders_sent, "of": None}
        if email_round.message:
            details["message"] = email_round.message
        if nobody:
            details["nobody_emailed"] = True
        events.append(audit_event(item, AuditType.REMINDER_SENT, at, email_round.actor, recipients, details | mail))
    elif email_round.is_notification:
        item = replace(item, notified=True, last_emailed_at=at, claim=None, failed_number=None, deliveries=deliveries)
        details = {"nobody_emailed": True, "reason": NOBODY_HAS_NOTIFY} if nobody else {}
        if item.template_id:
            details["template_id"] = item.template_id
        if item.origin:
            details["automation"] = item.origin.as_dict()
        events.append(audit_event(item, AuditType.ITEM_SENT, at, item.created_by, recipients, details | mail))
    else:
        # the step and words the round began with (one begun before plans were kept: as of now)
        plan = progress.plan if progress is not None and progress.plan is not None else policy.plan_reminder(item, at)
        if plan.escalation:
            item, event = _escalated(item, email_round, at, recipients, mail)
            return item, [event, *_failures(item, email_round, at, failed)]
        item = replace(
            item,
            reminders_sent=email_round.number,
            last_emailed_at=at,
            last_reminder_at=at,
            claim=None,
            failed_number=None,
            deliveries=deliveries,
            step_marks=item.step_marks if plan.step is None else sequences.marked_sent(item, plan.step),
        )
        details = {
            "mode": "auto",
            "number": email_round.number,
            "of": item.reminders.max_reminders,
            "tone": plan.tone.value,
        }
        if plan.step is not None:
            details["days"] = plan.step
        if nobody:
            details["nobody_emailed"] = True
        events.append(audit_event(item, AuditType.REMINDER_SENT, at, email_round.actor, recipients, details | mail))
    return item, [*events, *_failures(item, email_round, at, failed)]


def _failures(item: ActionItem, email_round: EmailRound, at: datetime, failed: Mapping[str, str]) -> list[AuditEvent]:
    return [_email_failed_event(item, email_round, at, "rejected by the mail service", failed)] if failed else []


# Why an escalation emailed nobody: the firm profile names no address for it.
NO_ESCALATION_ADDRESS = "the firm profile has neither escalation_email nor reply_to"


def _escalated(
    item: ActionItem, email_round: EmailRound, at: datetime, recipients: Sequence[str], mail: Mapping[str, Any]
) -> tuple[ActionItem, AuditEvent]:
    """The firm was told (SPEC R19): once, so the item keeps when. It is not an email about the item
    to the client: the client's schedule (last_emailed_at, the portal task) does not move."""
    item = replace(
        item,
        escalated_at=at,
        claim=None,
        failed_number=None,
        deliveries=_without_delivery(item, email_round.key),
    )
    details: dict[str, Any] = {
        "after_days": item.reminders.escalate_after_days,
        "reminders": item.reminders_sent,
        **mail,
    }
    if not recipients and not mail.get("unconfirmed"):
        details |= {"nobody_emailed": True, "reason": NO_ESCALATION_ADDRESS}
    return item, audit_event(item, AuditType.ESCALATED, at, email_round.actor, recipients, details)


# Why an automatic reminder reached nobody before any mail was tried (SPEC R20: reminder_skipped).
NOBODY_HAS_NOTIFY = "no contact has notify on"


def nobody_to_email(contacts: Sequence[Contact]) -> str | None:
    """Why a round to these notify contacts would reach nobody, or None when someone can get it."""
    if not contacts:
        return NOBODY_HAS_NOTIFY
    if not rounds.to_email(contacts, None):
        return EVERY_CONTACT_SUPPRESSED
    return None


def record_skip(
    item: ActionItem, email_round: EmailRound, at: datetime, reason: str, contacts: Sequence[Contact]
) -> Transition:
    """An automatic reminder's turn came and nobody could get it (no notify contact, or each one
    suppressed): never a fake reminder (SPEC R20). It is not counted and the last email does not
    move, but the turn is used up so that the schedule goes on: the interval counts from now, a
    due-date schedule's step is marked skipped (with the open ones before it)."""
    plan = policy.plan_reminder(item, at)
    item = replace(
        item,
        reminders_skipped=item.reminders_skipped + 1,
        skipped_at=at,
        claim=None,
        failed_number=None,
        deliveries=_without_delivery(item, email_round.key),
        step_marks=item.step_marks if plan.step is None else sequences.marked_sent(item, plan.step, StepStatus.SKIPPED),
    )
    details: dict[str, Any] = {"mode": "auto", "number": email_round.number, "of": item.reminders.max_reminders}
    if plan.step is not None:
        details["days"] = plan.step
    details["reason"] = reason
    suppressed = {c.email: s.reason.value for c in contacts if (s := c.suppressed) is not None}
    if suppressed:
        details["suppressed"] = dict(sorted(suppressed.items()))
    return item, [audit_event(item, AuditType.REMINDER_SKIPPED, at, email_round.actor, (), details)]


def record_failure(
    item: ActionItem,
    email_round: EmailRound,
    at: datetime,
    reason: str,
    failed: Mapping[str, str] | None = None,
) -> Transition:
    """The round could not be delivered. A scheduled round stops automatic reminders (until the
    firm changes the settings or resends) instead of being retried forever."""
    deliveries = _without_delivery(item, email_round.key)
    if email_round.mode is RoundMode.MANUAL:
        item = replace(item, deliveries=deliveries, done_keys=(*item.done_keys, email_round.key)[-DONE_KEYS_KEPT:])
    else:
        item = replace(item, failed_number=email_round.number, claim=None, deliveries=deliveries)
    return item, [_email_failed_event(item, email_round, at, reason, failed or {})]


def give_up(
    item: ActionItem,
    email_round: EmailRound,
    at: datetime,
    reason: str,
    contacts: Sequence[str],
    progress: Delivery | None = None,
) -> Transition:
    """The round exhausted its chances (SPEC R14). Contacts it reached are recorded as emailed; the
    ones it never reached get an email_failed event, and nothing retries the round any more.
    `progress`: the round's mail when another record holds it (a client's digest), else the item's."""
    stored = progress if progress is not None else item.deliveries.get(email_round.key)
    progress = rounds.settle(stored) if stored is not None else None
    if progress is None or not (progress.delivered or progress.unconfirmed):
        return record_failure(item, email_round, at, reason)
    missing = {address: reason for address in contacts if address not in progress.done_with}
    return record_delivery(item, email_round, at, replace(progress, rejected={**progress.rejected, **missing}))


def _email_failed_event(
    item: ActionItem, email_round: EmailRound, at: datetime, reason: str, failed: Mapping[str, str]
) -> AuditEvent:
    return record_failure_event(item.ref, email_round, at, reason, failed, sequence=item.version + 1)


def record_failure_event(
    ref: ItemRef,
    email_round: EmailRound,
    at: datetime,
    reason: str,
    failed: Mapping[str, str] | None = None,
    sequence: int = 0,
) -> AuditEvent:
    """The `email_failed` audit event; `failed` maps rejected addresses to the service's reason."""
    mode = "notification" if email_round.is_notification else email_round.mode.value
    details: dict[str, Any] = {"mode": "auto" if mode == "scheduled" else mode}
    if email_round.mode is RoundMode.SCHEDULED:
        details["number"] = email_round.number
    details["reason"] = reason
    if failed:
        details["errors"] = dict(failed)
    return _event(ref, AuditType.EMAIL_FAILED, at, email_round.actor, tuple(failed or ()), details, sequence)


def partly_delivered(item: ActionItem, email_round: EmailRound) -> Delivery | None:
    """The round's progress when an earlier attempt reached someone before it stopped."""
    progress = item.deliveries.get(email_round.key)
    if progress is None or not (progress.delivered or progress.unconfirmed or progress.sending):
        return None
    return rounds.settle(progress)


def release(item: ActionItem, email_round: EmailRound) -> ActionItem:
    """The sender decided not to send (item completed, reminders stopped or rescheduled).

    Callers first record any part of the round that already reached someone (see
    partly_delivered): everything that reaches a client is audited.
    """
    claim = item.claim
    if email_round.mode is RoundMode.SCHEDULED and claim is not None and claim.number == email_round.number:
        claim = None
    return replace(item, claim=claim, deliveries=_without_delivery(item, email_round.key))


def change_settings(
    item: ActionItem, changes: Mapping[str, Any], at: datetime, actor: str, reason: str | None = None
) -> Transition:
    """PATCH reminders (SPEC R4): only the named fields change; always accepted, whatever the status.

    A change also clears an `email_failed` stop: the firm has looked at the item and wants reminders.
    Turning reminders on, or changing the schedule or its steps, reschedules the steps not sent.
    """
    before = item.reminders
    after = ReminderSettings.from_dict({**before.as_dict(), **changes})
    sequences.check_settings(after, has_due_date=item.due_date is not None, named=changes)
    if after == before:
        return item, []
    item = replace(item, reminders=after, failed_number=None)
    if (after.enabled, after.schedule, after.steps) != (before.enabled, before.schedule, before.steps):
        # what has not been sent is scheduled again; what is already past is skipped (SPEC R19)
        item = replace(item, step_marks=sequences.rescheduled(item, at))
    details: dict[str, Any] = {"before": before.as_dict(), "after": after.as_dict()}
    if reason:
        details["reason"] = reason
    return item, [audit_event(item, AuditType.SETTINGS_CHANGED, at, actor, (), details)]


def change_due_date(item: ActionItem, due_date: date | None, at: datetime, actor: str) -> Transition:
    """PATCH the item's due date (SPEC R19): always accepted, whatever the status; for invoices it
    is the invoice's due date too, which an invoice cannot be without, nor an item whose reminders
    follow its due date."""
    if due_date is None and item.kind is Kind.INVOICE:
        raise StateConflict("an invoice always has a due date", field="due_date")
    if due_date is None and item.reminders.by_due_date:
        raise StateConflict("the item's reminders follow its due date (schedule due_date)", field="due_date")
    if due_date == item.due_date:
        return item, []
    before, item = item.due_date, replace(item, due_date=due_date)
    # the steps not sent are scheduled from the new date (SPEC R19)
    item = replace(item, step_marks=sequences.rescheduled(item, at))
    details = {"before": {"due_date": _day(before)}, "after": {"due_date": _day(due_date)}}
    return item, [audit_event(item, AuditType.SETTINGS_CHANGED, at, actor, (), details)]


def _day(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def complete(item: ActionItem, at: datetime, actor: str, via: str | None = None) -> Transition:
    """The client did what was asked (for invoices: paid in full). Completing twice changes nothing."""
    if item.status is Status.COMPLETED:
        return item, []
    if item.status is Status.CANCELLED:
        raise StateConflict("the item was cancelled; it cannot be completed")
    invoice = item.invoice
    if item.kind is Kind.INVOICE and invoice is not None:
        invoice = replace(invoice, amount_paid=invoice.amount)
    item = replace(
        item,
        status=Status.COMPLETED,
        completed_at=at,
        completed_via=via,
        invoice=invoice,
        claim=None,
    )
    details = {"via": via} if via else {}
    return item, [audit_event(item, AuditType.COMPLETED, at, actor, (), details)]


def merge_settings(*layers: Mapping[str, Any] | None) -> ReminderSettings:
    """Per field, the first layer that names it wins (request, automation, template), else defaults.

    No layer naming `enabled` means reminders are off (SPEC R2).
    """
    merged: dict[str, Any] = {}
    for layer in layers:
        for name, value in (layer or {}).items():
            if value is not None:
                merged.setdefault(name, value)
    return ReminderSettings.from_dict(merged)


def new_item(
    *,
    firm_id: str,
    account_id: str,
    kind: Kind,
    title: str,
    message: str | None,
    reminders: ReminderSettings,
    invoice: Invoice | None,
    actor: str,
    at: datetime,
    claim: Claim,
    template_id: str | None = None,
    origin: Origin | None = None,
    client: ClientTime | None = None,
    due_date: date | None = None,
) -> ActionItem:
    """A freshly sent item, already claiming its notification (number 0) so that no scan sends it
    while the caller emails it; if that email fails, the claim's lease expiring makes it due again.
    `client` is the client's time: the zone its due date is a day in, and the sending window its
    automatic reminders will keep to."""
    client = client or ClientTime()
    item_id = ids.derived_id(ids.ITEM, origin.entry_id, str(origin.automation)) if origin else ids.new_id(ids.ITEM)
    item = ActionItem(
        firm_id=firm_id,
        id=item_id,
        account_id=account_id,
        kind=kind,
        title=title,
        message=message,
        sent_at=at,
        created_by=actor,
        reminders=reminders,
        invoice=invoice,
        claim=claim,
        template_id=template_id,
        origin=origin,
        window=client.window,
        zone=client.zone,
        due_date=due_date,
        paused_until=client.paused_until,
    )
    # a step already past when the item is sent is skipped (SPEC R19)
    return replace(item, step_marks=sequences.rescheduled(item, at))


def seen_client(item: ActionItem, client: ClientTime) -> ActionItem:
    """The client's time zone and sending window as they are now, kept on the item by a writer that
    read the firm and the account: the due index is derived from them (SPEC R16, R19;
    reminders/clients/rescheduling.py)."""
    if (item.zone, item.window, item.paused_until) == (client.zone, client.window, client.paused_until):
        return item
    return replace(item, zone=client.zone, window=client.window, paused_until=client.paused_until)


def defer(item: ActionItem, now: datetime) -> ActionItem:
    """The sender found the client's sending window closed at `now`: the next automatic email waits
    for its next start (the sender then releases its claim, which is not counted as an attempt)."""
    return replace(item, not_before=now)


def cancel(item: ActionItem, at: datetime, actor: str) -> Transition:
    """The firm withdraws the item (R13): reminders stop and its portal task disappears."""
    if item.status is Status.CANCELLED:
        return item, []
    if item.status is Status.COMPLETED:
        raise StateConflict("the item is already completed; it cannot be cancelled")
    item = replace(item, status=Status.CANCELLED, cancelled_at=at, claim=None)
    return item, [audit_event(item, AuditType.CANCELLED, at, actor)]


def record_payment(item: ActionItem, amount: Decimal, at: datetime, actor: str) -> Transition:
    """A payment on an invoice (R13): a partial one keeps its reminders; the full balance completes it."""
    if item.kind is not Kind.INVOICE or item.invoice is None:
        raise StateConflict(f"payments apply to invoices only; this is {item.kind.value} item", field="amount")
    if item.status is not Status.PENDING:
        raise StateConflict(f"the invoice is {item.status.value}; it takes no more payments")
    balance = item.invoice.balance_due
    if amount > balance:
        raise StateConflict(f"the payment of {amount:.2f} is more than the balance due of {balance:.2f}")
    invoice = replace(item.invoice, amount_paid=item.invoice.amount_paid + amount)
    item = replace(item, invoice=invoice)
    details = {
        "amount": f"{amount:.2f}",
        "amount_paid": f"{invoice.amount_paid:.2f}",
        "balance_due": f"{invoice.balance_due:.2f}",
    }
    events = [audit_event(item, AuditType.PAYMENT_RECORDED, at, actor, (), details)]
    if invoice.paid:
        item = replace(item, status=Status.COMPLETED, completed_at=at, completed_via="payment", claim=None)
        events.append(audit_event(item, AuditType.COMPLETED, at, actor, (), {"via": "payment"}))
    return item, events


def record_approval_request(
    item: ActionItem,
    request_key: str,
    at: datetime,
    actor: str,
    message: str | None,
    progress: Delivery | None,
) -> Transition:
    """The account's bulk "request approval for pending" email listed this document (R6). When it
    reached someone it counts as a manual reminder: the next automatic one is due days_between
    after it, and the task moves up. Addresses that failed get an email_failed event."""
    recipients = sorted(progress.delivered) if progress else []
    failed = dict(progress.rejected) if progress else {}
    mail = round_details(progress)
    done_keys = (*item.done_keys, request_key)[-DONE_KEYS_KEPT:]
    if recipients or mail.get("unconfirmed"):
        item = replace(
            item,
            manual_reminders_sent=item.manual_reminders_sent + 1,
            last_emailed_at=at,
            notified=True,
            failed_number=None,
            done_keys=done_keys,
        )
    else:
        item = replace(item, done_keys=done_keys)
    request_id = request_key.split(":")[1]
    details: dict[str, Any] = {"request_id": request_id}
    if message:
        details["message"] = message
    if not recipients and not mail.get("unconfirmed"):
        details["nobody_emailed"] = True
    events = [audit_event(item, AuditType.APPROVAL_REQUESTED, at, actor, recipients, details | mail)]
    if failed:
        failure = {"mode": "approvals", "request_id": request_id, "reason": "not delivered", "errors": failed}
        events.append(audit_event(item, AuditType.EMAIL_FAILED, at, actor, tuple(failed), failure))
    return item, events
