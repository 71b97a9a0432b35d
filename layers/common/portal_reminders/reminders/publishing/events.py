"""Which domain event each committed change stands for, and what its detail says (SPEC R17). Pure
functions: the publisher reads the changes from the table's stream and the facts they need (the
item, the account) from the table, and puts what these return on the bus.

An event never carries an email address. Recipients become the ids of the account's contacts
with that address; an address no longer on the account (changed or removed since) is left out
and counted in `unresolved_recipients`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from portal_reminders import ids
from portal_reminders.models.domain import Account, ActionItem, AuditType, Tone
from portal_reminders.models.domain_events import AuditEntry, DomainEvent, EventType, StageEntry

# Written by the suppression function (SPEC R15) when a permanent bounce or a complaint suppresses
# a contact: each names the suppressed address in `recipients`, and is announced as ContactSuppressed.
EMAIL_BOUNCED = AuditType.EMAIL_BOUNCED.value
EMAIL_COMPLAINED = AuditType.EMAIL_COMPLAINED.value

# The audit types that are published, and as what. The others (settings_changed,
# payment_recorded, approval_requested) stay in the audit trail only.
AUDIT_EVENT_TYPES: Mapping[str, EventType] = {
    AuditType.ITEM_SENT.value: EventType.ITEM_SENT,
    AuditType.REMINDER_SENT.value: EventType.REMINDER_SENT,
    AuditType.COMPLETED.value: EventType.ITEM_COMPLETED,
    AuditType.CANCELLED.value: EventType.ITEM_CANCELLED,
    AuditType.EMAIL_FAILED.value: EventType.EMAIL_FAILED,
    AuditType.ESCALATED.value: EventType.ITEM_ESCALATED,
    EMAIL_BOUNCED: EventType.CONTACT_SUPPRESSED,
    EMAIL_COMPLAINED: EventType.CONTACT_SUPPRESSED,
}
SUPPRESSION_REASONS: Mapping[str, str] = {EMAIL_BOUNCED: "bounce", EMAIL_COMPLAINED: "complaint"}
TONES = tuple(tone.value for tone in Tone)

# Anything shaped like an address, in free text that may quote the mail service's error message.
_ADDRESS = re.compile(r"[^\s@<>()\[\]\"',;:]+@[^\s@<>()\[\]\"',;:]+")
ADDRESS_PLACEHOLDER = "[address]"


class MalformedChange(ValueError):
    """A change that cannot be turned into its event (a field it must have is missing)."""


def is_published(entry: AuditEntry) -> bool:
    return entry.type in AUDIT_EVENT_TYPES


def timestamp(at: datetime) -> str:
    """ISO 8601 UTC with Z, to the second, as the API shows times."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def without_addresses(text: str) -> str:
    return _ADDRESS.sub(ADDRESS_PLACEHOLDER, text)


def resolve_contacts(account: Account | None, addresses: Sequence[str]) -> tuple[list[str], int]:
    """The ids of the account's contacts with these addresses (each once, in order), and how many
    addresses match no contact of the account any more."""
    by_address = {contact.email.casefold(): contact.id for contact in account.contacts} if account else {}
    found: list[str] = []
    unresolved = 0
    for address in addresses:
        contact_id = by_address.get(address.casefold())
        if contact_id is None:
            unresolved += 1
        elif contact_id not in found:
            found.append(contact_id)
    return found, unresolved


def events_for_audit(entry: AuditEntry, item: ActionItem, account: Account | None) -> list[DomainEvent]:
    """The events one audit event stands for: none for a type that is not published, one for the
    contact a suppression names, else exactly one whose event_id is the audit event's id."""
    event_type = AUDIT_EVENT_TYPES.get(entry.type)
    if event_type is None:
        return []
    if event_type is EventType.CONTACT_SUPPRESSED:
        return [_suppression(entry, item)]
    detail = _item_detail(entry.id, entry, item)
    if event_type in (EventType.ITEM_SENT, EventType.REMINDER_SENT, EventType.EMAIL_FAILED):
        if event_type is EventType.REMINDER_SENT:
            detail["mode"] = _text(entry, "mode", ("auto", "manual"))
            detail["number"] = _number(entry, "number")
            detail["of"] = _number(entry, "of") if detail["mode"] == "auto" else None
            # how it spoke, and the due-date step it carried out (SPEC R19); reminders recorded before
            # tones were kept, and manual ones, have neither
            detail["tone"] = _optional(entry, "tone", TONES)
            days = entry.details.get("days")
            detail["days"] = days if isinstance(days, int) and not isinstance(days, bool) else None
        if event_type is EventType.EMAIL_FAILED:
            detail["mode"] = _text(entry, "mode", ("notification", "auto", "manual", "approvals"))
            detail["number"] = _number(entry, "number") if "number" in entry.details else None
            detail["reason"] = without_addresses(_text(entry, "reason"))
        contact_ids, unresolved = resolve_contacts(account, entry.recipients)
        detail["contact_ids"] = contact_ids
        detail["unresolved_recipients"] = unresolved
    elif event_type is EventType.ITEM_ESCALATED:
        # SPEC R19: whether the firm's address got the email, never the address itself
        detail["after_days"] = _number(entry, "after_days")
        detail["reminders_sent"] = _number(entry, "reminders")
        detail["due_date"] = None if item.due_date is None else item.due_date.isoformat()
        detail["firm_emailed"] = bool(entry.recipients or entry.details.get("unconfirmed"))
    elif event_type is EventType.ITEM_COMPLETED:
        via = entry.details.get("via")
        detail["via"] = via if isinstance(via, str) else None
    return [DomainEvent(type=event_type, event_id=entry.id, at=entry.at, detail=detail)]


def event_for_stage_entry(entry: StageEntry) -> DomainEvent:
    """JobEnteredStage (SPEC §4), with the entry id as its event id."""
    detail = {
        "event_id": entry.entry_id,
        "firm_id": entry.firm_id,
        "account_id": entry.account_id,
        "at": timestamp(entry.entered_at),
        "pipeline_id": entry.pipeline_id,
        "stage_id": entry.stage_id,
        "job_id": entry.job_id,
        "entry_id": entry.entry_id,
    }
    return DomainEvent(type=EventType.JOB_ENTERED_STAGE, event_id=entry.entry_id, at=entry.entered_at, detail=detail)


def _item_detail(event_id: str, entry: AuditEntry, item: ActionItem) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "firm_id": entry.firm_id,
        "account_id": entry.account_id,
        "item_id": entry.item_id,
        "at": timestamp(entry.at),
        "kind": item.kind.value,
        "title": item.title,
        "actor": entry.actor,
    }


def _suppression(entry: AuditEntry, item: ActionItem) -> DomainEvent:
    # The contact comes from the audit event, not from its address matched against the account as it
    # is now: the firm may have changed that address (lifting the suppression) or given it to
    # another contact before the publisher ran.
    contact_id = _text(entry, "contact_id")
    # its id derives from the audit event's, so a redelivery repeats it
    event_id = ids.derived_id(ids.EVENT, entry.id, contact_id)
    detail = _item_detail(event_id, entry, item)
    detail["contact_id"] = contact_id
    detail["reason"] = SUPPRESSION_REASONS[entry.type]
    return DomainEvent(type=EventType.CONTACT_SUPPRESSED, event_id=event_id, at=entry.at, detail=detail)


def _text(entry: AuditEntry, name: str, allowed: tuple[str, ...] | None = None) -> str:
    value = entry.details.get(name)
    if not isinstance(value, str) or (allowed is not None and value not in allowed):
        raise MalformedChange(f"audit event {entry.id} ({entry.type}): details.{name} is {value!r}")
    return value


def _optional(entry: AuditEntry, name: str, allowed: tuple[str, ...]) -> str | None:
    value = entry.details.get(name)
    return value if isinstance(value, str) and value in allowed else None


def _number(entry: AuditEntry, name: str) -> int:
    value = entry.details.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < 0:
        raise MalformedChange(f"audit event {entry.id} ({entry.type}): details.{name} is {value!r}")
    return int(value)
