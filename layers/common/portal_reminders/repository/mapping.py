"""Records <-> domain models. Index attributes are derived here, from the domain state, on every
write: an item is on the due index exactly when the policy says an email is due."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from portal_reminders.models.domain import (
    DEFAULT_DKIM_ZONE,
    DEFAULT_TIME_ZONE,
    Account,
    ActionItem,
    AuditEvent,
    AuditType,
    Automation,
    AutomationAction,
    Branding,
    Claim,
    Contact,
    Delivery,
    DigestMember,
    DomainStatus,
    Firm,
    Invoice,
    InvoiceTerms,
    Job,
    JobStatus,
    Kind,
    Language,
    Origin,
    Pipeline,
    ReminderPlan,
    ReminderSettings,
    Schedule,
    SendingDomain,
    SendingHours,
    SendingWindow,
    Stage,
    Status,
    StepStatus,
    Suppression,
    SuppressionReason,
    Template,
    Tone,
    Weekday,
)
from portal_reminders.reminders.scheduling import client_clock, policy
from portal_reminders.repository import keys
from portal_reminders.repository.records import (
    AccountRecord,
    AuditRecord,
    ContactMap,
    FirmRecord,
    InvoiceMap,
    ItemRecord,
    JobRecord,
    PipelineRecord,
    TemplateRecord,
)


def epoch(at: datetime) -> int:
    return int(at.timestamp())


def from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def firm_to_record(firm: Firm, version: int) -> FirmRecord:
    return FirmRecord(
        pk=keys.firm_pk(firm.id),
        sk=keys.FIRM_SK,
        firm_id=firm.id,
        name=firm.name,
        reply_to=firm.reply_to,
        portal_url=firm.portal_url,
        time_zone=firm.time_zone,
        sending_hours=None if firm.sending_hours is None else hours_to_json(firm.sending_hours),
        reminders_paused_until=_day_to_json(firm.reminders_paused_until),
        reminder_digest=None if firm.reminder_digest else False,
        escalation_email=firm.escalation_email,
        branding=None if firm.branding.empty else _branding_to_json(firm.branding),
        sending_domain=None if firm.sending_domain is None else _sending_domain_to_json(firm.sending_domain),
        version=version,
        wordings=set(firm.wordings) or None,
    )


def firm_from_record(record: FirmRecord) -> Firm:
    return Firm(
        id=record.firm_id,
        name=record.name,
        reply_to=record.reply_to,
        portal_url=record.portal_url,
        time_zone=record.time_zone or DEFAULT_TIME_ZONE,
        sending_hours=None if record.sending_hours is None else hours_from_json(record.sending_hours),
        reminders_paused_until=_day_from_json(record.reminders_paused_until),
        reminder_digest=record.reminder_digest is not False,
        escalation_email=record.escalation_email,
        branding=Branding() if record.branding is None else Branding(**record.branding),
        sending_domain=None if record.sending_domain is None else _sending_domain_from_json(record.sending_domain),
        version=int(record.version or 0),
        wordings=frozenset(record.wordings or ()),
    )


def _branding_to_json(branding: Branding) -> dict[str, Any]:
    raw = {"logo_url": branding.logo_url, "accent_color": branding.accent_color, "signature": branding.signature}
    return {name: value for name, value in raw.items() if value is not None}


def _sending_domain_to_json(domain: SendingDomain) -> dict[str, Any]:
    return {
        "domain": domain.domain,
        "status": domain.status.value,
        "dkim_tokens": list(domain.dkim_tokens),
        "dkim_zone": domain.dkim_zone,
        "checked_at": None if domain.checked_at is None else domain.checked_at.timestamp(),
    }


def _sending_domain_from_json(raw: Mapping[str, Any]) -> SendingDomain:
    checked_at = raw.get("checked_at")
    return SendingDomain(
        domain=raw["domain"],
        status=DomainStatus(raw["status"]),
        dkim_tokens=tuple(raw.get("dkim_tokens") or ()),
        dkim_zone=raw.get("dkim_zone") or DEFAULT_DKIM_ZONE,
        checked_at=None if checked_at is None else from_epoch(checked_at),
    )


def _day_to_json(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _day_from_json(raw: str | None) -> date | None:
    return None if not raw else date.fromisoformat(raw)


def hours_to_json(hours: SendingHours) -> dict[str, Any]:
    return {
        "days": [day.value for day in hours.ordered_days],
        "start": hours.start.strftime("%H:%M"),
        "end": hours.end.strftime("%H:%M"),
    }


def hours_from_json(raw: Mapping[str, Any]) -> SendingHours:
    return SendingHours(
        days=frozenset(Weekday(day) for day in raw["days"]),
        start=time.fromisoformat(raw["start"]),
        end=time.fromisoformat(raw["end"]),
    )


def client_time_to_json(
    zone: str, window: SendingWindow | None, paused_until: date | None = None
) -> dict[str, Any] | None:
    """The client's time an item last saw: its zone, the sending hours in it (if any), and the
    pause (if any, SPEC R20). Kept in one attribute, which the pending index copies for rescheduling."""
    pause = {} if paused_until is None else {"paused_until": paused_until.isoformat()}
    if window is not None:
        return {"zone": window.zone, **hours_to_json(window.hours), **pause}
    return None if zone == DEFAULT_TIME_ZONE and not pause else {"zone": zone, **pause}


def paused_from_json(raw: Mapping[str, Any] | None) -> date | None:
    return None if raw is None or not raw.get("paused_until") else date.fromisoformat(raw["paused_until"])


def window_from_json(raw: Mapping[str, Any] | None) -> SendingWindow | None:
    return None if raw is None or "days" not in raw else SendingWindow(zone=raw["zone"], hours=hours_from_json(raw))


def zone_from_json(raw: Mapping[str, Any] | None) -> str:
    return str(raw["zone"]) if raw else DEFAULT_TIME_ZONE


def account_to_record(account: Account, version: int) -> AccountRecord:
    return AccountRecord(
        pk=keys.account_pk(account.firm_id, account.id),
        sk=keys.ACCOUNT_SK,
        firm_id=account.firm_id,
        account_id=account.id,
        name=account.name,
        language=account.language.value,
        contacts=[_contact_to_map(c) for c in account.contacts],
        created_at=account.created_at,
        deliveries=_deliveries_to_json(account.deliveries),
        done_keys=list(account.done_keys) or None,
        version=version,
        time_zone=account.time_zone,
        reminders_paused_until=_day_to_json(account.reminders_paused_until),
    )


def account_from_record(record: AccountRecord) -> Account:
    return Account(
        firm_id=record.firm_id,
        id=record.account_id,
        name=record.name,
        language=Language(record.language),
        contacts=tuple(_contact_from_map(c) for c in record.contacts),
        created_at=record.created_at,
        deliveries=_deliveries_from_json(record.deliveries),
        done_keys=tuple(record.done_keys or ()),
        version=int(record.version),
        time_zone=record.time_zone,
        reminders_paused_until=_day_from_json(record.reminders_paused_until),
    )


def _contact_to_map(contact: Contact) -> ContactMap:
    suppression = contact.suppression
    return ContactMap(
        id=contact.id,
        name=contact.name,
        email=contact.email,
        notify=contact.notify,
        first_name=contact.first_name,
        suppression=None
        if suppression is None
        else {
            "reason": suppression.reason.value,
            "at": suppression.at.timestamp(),
            "key": suppression.key,
            "lifted_at": None if suppression.lifted_at is None else suppression.lifted_at.timestamp(),
        },
    )


def _contact_from_map(raw: ContactMap) -> Contact:
    stored = raw.suppression
    suppression = None
    if stored:
        lifted_at = stored.get("lifted_at")
        suppression = Suppression(
            reason=SuppressionReason(stored["reason"]),
            at=from_epoch(stored["at"]),
            key=str(stored.get("key", "")),
            lifted_at=None if lifted_at is None else from_epoch(lifted_at),
        )
    return Contact(
        id=raw.id,
        name=raw.name,
        email=raw.email,
        notify=raw.notify,
        suppression=suppression,
        first_name=raw.first_name,
    )


def _deliveries_to_json(deliveries: Mapping[str, Delivery]) -> dict[str, Any] | None:
    if not deliveries:
        return None
    return {key: _delivery_to_json(d) for key, d in deliveries.items()}


def _delivery_to_json(d: Delivery) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "until": d.until.timestamp(),
        "started": d.started_at.timestamp(),
        "owner": d.owner,
        "delivered": dict(d.delivered),
    }
    if d.rejected:
        raw["rejected"] = dict(d.rejected)
    if d.unconfirmed:
        raw["unconfirmed"] = sorted(d.unconfirmed)
    if d.sending:
        raw["sending"] = d.sending
    if d.refusals:
        raw["refusals"] = d.refusals
    if d.give_up_by is not None:
        raw["give_up_by"] = d.give_up_by.timestamp()
    if d.counted:
        raw["counted"] = d.counted
    if d.suppressed:
        raw["suppressed"] = dict(d.suppressed)
    if d.plan is not None:
        raw["plan"] = _plan_to_json(d.plan)
    if d.members:
        raw["members"] = {item_id: {"number": m.number, **_plan_to_json(m.plan)} for item_id, m in d.members.items()}
    return raw


def _plan_to_json(plan: ReminderPlan) -> dict[str, Any]:
    raw: dict[str, Any] = {"step": plan.step, "tone": plan.tone.value}
    if plan.escalation:
        raw["escalation"] = True
    return raw


def _plan_from_json(raw: Mapping[str, Any]) -> ReminderPlan:
    return ReminderPlan(
        step=raw.get("step"), tone=Tone(raw.get("tone", "gentle")), escalation=bool(raw.get("escalation"))
    )


def _deliveries_from_json(raw: Mapping[str, Any] | None) -> dict[str, Delivery]:
    return {key: _delivery_from_json(value) for key, value in (raw or {}).items()}


def _delivery_from_json(value: Mapping[str, Any]) -> Delivery:
    delivered = value.get("delivered") or {}
    if isinstance(delivered, list):  # written before message ids were kept
        delivered = dict.fromkeys(delivered, "")
    until = from_epoch(value["until"])
    give_up_by = value.get("give_up_by")
    plan = value.get("plan")
    return Delivery(
        until=until,
        started_at=from_epoch(value.get("started", value["until"])),
        owner=value.get("owner", ""),
        delivered=dict(delivered),
        rejected=dict(value.get("rejected") or {}),
        unconfirmed=frozenset(value.get("unconfirmed") or ()),
        sending=value.get("sending"),
        refusals=int(value.get("refusals", 0)),
        give_up_by=None if give_up_by is None else from_epoch(give_up_by),
        counted=int(value.get("counted", 0)),
        suppressed=dict(value.get("suppressed") or {}),
        plan=None if plan is None else _plan_from_json(plan),
        members={
            item_id: DigestMember(number=int(m["number"]), plan=_plan_from_json(m))
            for item_id, m in (value.get("members") or {}).items()
        },
    )


# The reminder settings the item record keeps in `reminder_schedule` (the others have their own attributes).
_SCHEDULE_FIELDS = ("schedule", "steps", "escalate_after_days")


def _schedule_to_json(settings: ReminderSettings) -> dict[str, Any] | None:
    if settings.schedule is Schedule.INTERVAL and not settings.steps and settings.escalate_after_days is None:
        return None
    as_json = settings.as_dict()
    return {name: as_json[name] for name in _SCHEDULE_FIELDS}


def item_to_record(item: ActionItem, version: int) -> ItemRecord:
    record = ItemRecord(
        pk=keys.item_pk(item.firm_id, item.id),
        sk=keys.ITEM_SK,
        firm_id=item.firm_id,
        item_id=item.id,
        account_id=item.account_id,
        kind=item.kind.value,
        title=item.title,
        message=item.message,
        status=item.status.value,
        sent_at=item.sent_at,
        created_by=item.created_by,
        reminders_enabled=item.reminders.enabled,
        days_between=item.reminders.days_between,
        max_reminders=item.reminders.max_reminders,
        reminder_schedule=_schedule_to_json(item.reminders),
        step_marks={str(days): mark.value for days, mark in sorted(item.step_marks.items())} or None,
        notified=item.notified,
        reminders_sent=item.reminders_sent,
        reminders_skipped=item.reminders_skipped or None,
        skipped_at=item.skipped_at,
        manual_reminders_sent=item.manual_reminders_sent,
        last_manual_resend_at=item.last_manual_resend_at,
        last_emailed_at=item.last_emailed_at,
        completed_at=item.completed_at,
        completed_via=item.completed_via,
        cancelled_at=item.cancelled_at,
        failed_number=item.failed_number,
        deliveries=_deliveries_to_json(item.deliveries),
        done_keys=list(item.done_keys) or None,
        template_id=item.template_id,
        origin=item.origin.as_dict() if item.origin else None,
        version=version,
        send_window=client_time_to_json(item.zone, item.window, item.paused_until),
        not_before=None if item.not_before is None else item.not_before.timestamp(),
        due_date=None if item.due_date is None else item.due_date.isoformat(),
        last_reminder_at=item.last_reminder_at,
        escalated_at=item.escalated_at,
        gsi1pk=keys.account_pk(item.firm_id, item.account_id),
        gsi1sk=keys.item_in_account_sk(item.status.value, item.sent_at, item.id),
    )
    if item.invoice is not None:
        record.invoice = InvoiceMap(
            amount=str(item.invoice.amount),
            currency=item.invoice.currency,
            # an invoice always has its due date; records kept it here before every kind had one
            due_date=item.due_date.isoformat() if item.due_date else "",
            amount_paid=str(item.invoice.amount_paid),
        )
    if item.claim is not None:
        record.claim_number = item.claim.number
        record.claim_until = epoch(item.claim.until)
        record.claim_attempts = item.claim.attempts
    if policy.has_portal_task(item):
        record.task_pk = keys.account_pk(item.firm_id, item.account_id)
        record.task_sk = keys.task_sk(policy.portal_task_at(item), item.id)
        record.pending_pk = keys.pending_partition(item.firm_id)
        record.pending_sk = keys.pending_sk(item.account_id, item.id)
    index_time = policy.index_time(item)
    if index_time is not None:
        record.due_shard = keys.due_shard(item.id)
        record.next_reminder_at = epoch(index_time)
        give_up_by = policy.give_up_deadline(item, policy.next_number(item)) if item.claim else None
        if give_up_by is not None:
            record.give_up_by = epoch(give_up_by)
    record.work_pk = keys.worklist_partition(item.firm_id)
    record.work_sk = keys.worklist_sk(item.status.value, overdue_from(item), item.id)
    if item.escalated_at is not None:
        record.escalated_pk = record.work_pk
    if policy.pending_approval(item):
        record.approval_pk = keys.approvals_partition(item.firm_id)
        record.approval_sk = keys.approval_sk(item.account_id, item.id)
    return record


def overdue_from(item: ActionItem) -> int:
    """When the item becomes overdue: the start of the day after its due date in its client's zone."""
    if item.due_date is None:
        return keys.NEVER_OVERDUE
    return epoch(client_clock.wall_clock_instant(item.due_date + timedelta(days=1), time(0, 0), item.zone))


def item_from_record(record: ItemRecord) -> ActionItem:
    invoice = None
    due_date = record.due_date
    if record.invoice is not None:
        invoice = Invoice(
            amount=Decimal(record.invoice.amount),
            currency=record.invoice.currency,
            amount_paid=Decimal(record.invoice.amount_paid),
        )
        due_date = due_date or record.invoice.due_date
    claim = None
    if record.claim_number is not None and record.claim_until is not None:
        claim = Claim(
            number=int(record.claim_number),
            until=from_epoch(record.claim_until),
            attempts=int(record.claim_attempts or 1),
        )
    return ActionItem(
        firm_id=record.firm_id,
        id=record.item_id,
        account_id=record.account_id,
        kind=Kind(record.kind),
        title=record.title,
        message=record.message,
        status=Status(record.status),
        sent_at=record.sent_at,
        created_by=record.created_by,
        reminders=ReminderSettings.from_dict(
            {
                "enabled": record.reminders_enabled,
                "days_between": int(record.days_between),
                "max_reminders": int(record.max_reminders),
                **(record.reminder_schedule or {}),
            }
        ),
        step_marks={int(days): StepStatus(mark) for days, mark in (record.step_marks or {}).items()},
        notified=bool(record.notified),
        reminders_sent=int(record.reminders_sent),
        reminders_skipped=int(record.reminders_skipped or 0),
        skipped_at=record.skipped_at,
        manual_reminders_sent=int(record.manual_reminders_sent),
        last_manual_resend_at=record.last_manual_resend_at,
        last_emailed_at=record.last_emailed_at,
        completed_at=record.completed_at,
        completed_via=record.completed_via,
        cancelled_at=record.cancelled_at,
        invoice=invoice,
        claim=claim,
        failed_number=None if record.failed_number is None else int(record.failed_number),
        deliveries=_deliveries_from_json(record.deliveries),
        done_keys=tuple(record.done_keys or ()),
        template_id=record.template_id,
        origin=Origin(**record.origin) if record.origin else None,
        version=int(record.version),
        window=window_from_json(record.send_window),
        zone=zone_from_json(record.send_window),
        paused_until=paused_from_json(record.send_window),
        not_before=None if record.not_before is None else from_epoch(float(record.not_before)),
        due_date=date.fromisoformat(due_date) if due_date else None,
        last_reminder_at=record.last_reminder_at,
        escalated_at=record.escalated_at,
    )


def audit_to_record(event: AuditEvent, position: int = 0) -> AuditRecord:
    sort_key = keys.audit_sk(event.at, event.sequence, position, event.id)
    return AuditRecord(
        pk=keys.item_pk(event.firm_id, event.item_id),
        sk=sort_key,
        event_id=event.id,
        firm_id=event.firm_id,
        item_id=event.item_id,
        account_id=event.account_id,
        type=event.type.value,
        at=event.at,
        actor=event.actor,
        recipients=list(event.recipients),
        details=dict(event.details),
        sequence=event.sequence,
        gsi1pk=keys.account_pk(event.firm_id, event.account_id),
        gsi1sk=sort_key,
    )


def audit_from_record(record: AuditRecord) -> AuditEvent:
    return AuditEvent(
        id=record.event_id,
        firm_id=record.firm_id,
        item_id=record.item_id,
        account_id=record.account_id,
        type=AuditType(record.type),
        at=record.at,
        actor=record.actor,
        recipients=tuple(record.recipients or ()),
        details=dict(record.details or {}),
        sequence=int(record.sequence),
    )


def template_to_record(template: Template, version: int) -> TemplateRecord:
    invoice = None
    if template.invoice is not None:
        # due_in_days also where templates written before kept it
        invoice = {
            "amount": str(template.invoice.amount),
            "currency": template.invoice.currency,
            "due_in_days": template.due_in_days,
        }
    return TemplateRecord(
        pk=keys.template_pk(template.firm_id, template.id),
        sk=keys.TEMPLATE_SK,
        firm_id=template.firm_id,
        template_id=template.id,
        kind=template.kind.value,
        name=template.name,
        title=template.title,
        body=template.body,
        invoice=invoice,
        reminders=dict(template.reminders),
        created_at=template.created_at,
        updated_at=template.updated_at,
        version=version,
        due_in_days=template.due_in_days,
        gsi1pk=keys.templates_partition(template.firm_id),
        gsi1sk=keys.template_in_firm_sk(template.created_at, template.id),
    )


def template_from_record(record: TemplateRecord) -> Template:
    invoice = None
    due_in_days = record.due_in_days
    if record.invoice:
        invoice = InvoiceTerms(amount=Decimal(record.invoice["amount"]), currency=record.invoice["currency"])
        if due_in_days is None:
            due_in_days = record.invoice.get("due_in_days")
    return Template(
        firm_id=record.firm_id,
        id=record.template_id,
        kind=Kind(record.kind),
        name=record.name,
        title=record.title,
        body=record.body,
        invoice=invoice,
        reminders=dict(record.reminders or {}),
        created_at=record.created_at,
        updated_at=record.updated_at,
        version=int(record.version),
        due_in_days=None if due_in_days is None else int(due_in_days),
    )


def pipeline_to_record(pipeline: Pipeline) -> PipelineRecord:
    stages = [
        {
            "id": stage.id,
            "name": stage.name,
            "automations": [
                {"action": a.action.value, "template_id": a.template_id, "reminders": dict(a.reminders)}
                for a in stage.automations
            ],
        }
        for stage in pipeline.stages
    ]
    return PipelineRecord(
        pk=keys.pipeline_pk(pipeline.firm_id, pipeline.id),
        sk=keys.PIPELINE_SK,
        firm_id=pipeline.firm_id,
        pipeline_id=pipeline.id,
        name=pipeline.name,
        stages=stages,
        created_at=pipeline.created_at,
    )


def pipeline_from_record(record: PipelineRecord) -> Pipeline:
    stages = tuple(
        Stage(
            id=stage["id"],
            name=stage["name"],
            automations=tuple(
                Automation(action=AutomationAction(a["action"]), template_id=a["template_id"], reminders=a["reminders"])
                for a in stage["automations"]
            ),
        )
        for stage in record.stages
    )
    return Pipeline(
        firm_id=record.firm_id, id=record.pipeline_id, name=record.name, stages=stages, created_at=record.created_at
    )


def job_to_record(job: Job, version: int) -> JobRecord:
    return JobRecord(
        pk=keys.job_pk(job.firm_id, job.id),
        sk=keys.JOB_SK,
        firm_id=job.firm_id,
        job_id=job.id,
        pipeline_id=job.pipeline_id,
        account_id=job.account_id,
        stage_id=job.stage_id,
        entry_id=job.entry_id,
        status=job.status.value,
        created_at=job.created_at,
        entered_at=job.entered_at,
        archived_at=job.archived_at,
        item_ids=list(job.item_ids) or None,
        version=version,
    )


def job_from_record(record: JobRecord) -> Job:
    return Job(
        firm_id=record.firm_id,
        id=record.job_id,
        pipeline_id=record.pipeline_id,
        account_id=record.account_id,
        stage_id=record.stage_id,
        status=JobStatus(record.status),
        created_at=record.created_at,
        entered_at=record.entered_at,
        entry_id=record.entry_id,
        archived_at=record.archived_at,
        item_ids=tuple(record.item_ids or ()),
        version=int(record.version),
    )
