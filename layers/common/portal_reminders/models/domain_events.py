"""Domain events (SPEC R17): what the product publishes on its bus once a change is committed, and
the committed changes they come from, as the table's stream shows them.

The detail of every event is plain JSON. `schemas/` (repository root) holds its JSON Schema per
type; tests validate the events the publisher really puts on the bus against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# The `source` of every event the product publishes (consumers' rules match on it).
SOURCE = "client-reminders"


class EventType(StrEnum):
    """The `detail-type` of each event."""

    ITEM_SENT = "ItemSent"
    REMINDER_SENT = "ReminderSent"
    ITEM_COMPLETED = "ItemCompleted"
    ITEM_CANCELLED = "ItemCancelled"
    EMAIL_FAILED = "EmailFailed"
    CONTACT_SUPPRESSED = "ContactSuppressed"
    JOB_ENTERED_STAGE = "JobEnteredStage"
    ITEM_ESCALATED = "ItemEscalated"


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """One event for the bus. `detail` is JSON-ready and carries `event_id` and `at` itself."""

    type: EventType
    event_id: str
    at: datetime
    detail: Mapping[str, Any]


# What the stream shows ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An audit event as it was written. `type` is kept as text: a later version may write types
    this one does not know, and the publisher must still read them."""

    id: str
    firm_id: str
    item_id: str
    account_id: str
    type: str
    at: datetime
    actor: str
    recipients: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StageEntry:
    """A job's new entry into a stage, as the job record carries it once written."""

    firm_id: str
    job_id: str
    pipeline_id: str
    account_id: str
    stage_id: str
    entry_id: str
    entered_at: datetime


@dataclass(frozen=True, slots=True)
class AuditAppended:
    """A new audit event; `position` is its stream record's sequence number."""

    position: str
    entry: AuditEntry


@dataclass(frozen=True, slots=True)
class StageEntered:
    position: str
    entry: StageEntry


@dataclass(frozen=True, slots=True)
class NotPublished:
    """A stream record no event comes from: another kind of change (`malformed` False), or a
    record that cannot be read (`malformed` True, logged as an error). Never retried."""

    position: str
    reason: str
    malformed: bool = False


Change = AuditAppended | StageEntered | NotPublished
