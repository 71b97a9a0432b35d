"""The publisher function's use case (SPEC R17): a batch of committed changes from the table's
stream becomes domain events on the bus.

Delivery rests on the stream: a change is in it exactly when it was committed, and a record the
function does not report as done comes back (Lambda resumes at the lowest sequence number
reported failed). So a record counts as done only once every event it stands for was accepted
by the bus; a crash anywhere before that re-delivers the record, and its events are published
again with the same event_id (consumers drop duplicates by it). Records are published in stream
order, in as few PutEvents requests as possible; the bus's refusals (FailedEntryCount) are
retried, then reported as failures of exactly the records whose events were refused. Once a
request fails, the later ones of the batch are not sent: Lambda re-delivers everything from the
lowest failed record, so sending them would only publish them twice.

Records no event comes from are skipped, and so are records that cannot be read: those are
logged as errors, never retried (retrying cannot repair them, and would hold up the stream).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal_reminders.models.domain_events import (
    AuditAppended,
    Change,
    DomainEvent,
    EventType,
    NotPublished,
    StageEntered,
)
from portal_reminders.observability import logger
from portal_reminders.ports import EventBus
from portal_reminders.reminders.publishing import events
from portal_reminders.repository.ports import EventFacts, EventFactsRepository

# Attempts within one invocation at the events the bus refused (throttled, internal errors);
# after those the records are reported failed and the event source mapping retries them.
PUT_ATTEMPTS = 3


@dataclass(slots=True)
class PublishReport:
    records: int = 0
    published: int = 0  # events the bus accepted
    skipped: int = 0  # records no event comes from (malformed ones included)
    malformed: int = 0
    failed: list[str] = field(default_factory=list)  # sequence numbers of records not done

    def response(self) -> dict[str, Any]:
        """The partial batch response Lambda expects (ReportBatchItemFailures)."""
        return {"batchItemFailures": [{"itemIdentifier": position} for position in self.failed]}


def publish_changes(changes: list[Change], facts: EventFactsRepository, bus: EventBus) -> PublishReport:
    report = PublishReport(records=len(changes))
    audits = [c.entry for c in changes if isinstance(c, AuditAppended) and events.is_published(c.entry)]
    known = EventFacts(items={}, accounts={})
    if audits:
        items = {(a.firm_id, a.item_id) for a in audits}
        known = facts.event_facts(items=items, accounts={(a.firm_id, a.account_id) for a in audits})
    planned: list[tuple[str, list[DomainEvent]]] = []
    for change in changes:
        found = _events_of(change, known, report)
        if found is None:
            report.skipped += 1
        elif found:
            planned.append((change.position, found))
    _put(planned, bus, report)
    return report


def _events_of(change: Change, known: EventFacts, report: PublishReport) -> list[DomainEvent] | None:
    """The change's events ([] when it stands for none), or None when it is skipped."""
    if isinstance(change, NotPublished):
        if change.malformed:
            report.malformed += 1
            extra = {"position": change.position, "reason": change.reason}
            logger.error("stream record skipped: unreadable", extra=extra)
        return None
    if isinstance(change, StageEntered):
        return [events.event_for_stage_entry(change.entry)]
    entry = change.entry
    if not events.is_published(entry):
        return None
    item = known.items.get((entry.firm_id, entry.item_id))
    if item is None:
        report.malformed += 1
        logger.error(
            "stream record skipped: its item does not exist",
            extra={"position": change.position, "event_id": entry.id, "item_id": entry.item_id},
        )
        return None
    account = known.accounts.get((entry.firm_id, entry.account_id))
    try:
        found = events.events_for_audit(entry, item, account)
    except events.MalformedChange as error:
        report.malformed += 1
        logger.error("stream record skipped: unreadable", extra={"position": change.position, "reason": str(error)})
        return None
    unresolved = sum(int(event.detail.get("unresolved_recipients", 0)) for event in found)
    if events.AUDIT_EVENT_TYPES[entry.type] is EventType.CONTACT_SUPPRESSED:
        unresolved = len(entry.recipients) - len(found)
    if unresolved:
        logger.info(
            "recipients no longer on the account left out",
            extra={"event_id": entry.id, "type": entry.type, "unresolved": unresolved},
        )
    return found


def _put(planned: list[tuple[str, list[DomainEvent]]], bus: EventBus, report: PublishReport) -> None:
    """Publish the records' events in order, giving the ones the bus refused PUT_ATTEMPTS tries;
    report failed exactly the records with an event still not accepted."""
    flat = [(index, event) for index, (_, found) in enumerate(planned) for event in found]
    errors: dict[int, str | None] = dict.fromkeys(range(len(flat)), "not tried")
    for _ in range(PUT_ATTEMPTS):
        todo = [n for n, error in errors.items() if error is not None]
        if not todo:
            break
        for n, error in zip(todo, bus.put([flat[n][1] for n in todo]), strict=True):
            errors[n] = error
    refused = {flat[n][0] for n, error in errors.items() if error is not None}
    report.published += sum(1 for error in errors.values() if error is None)
    report.failed = [position for index, (position, _) in enumerate(planned) if index in refused]
    if report.failed:
        reasons = sorted({error for error in errors.values() if error is not None})
        logger.warning(
            "events not published; their records are retried",
            extra={"records": len(report.failed), "first_position": report.failed[0], "errors": reasons[:5]},
        )
