"""Domain models -> response schemas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from portal_reminders.api.schemas import (
    AccountOut,
    ActionItemOut,
    AuditEventOut,
    AutomationOut,
    BrandingOut,
    ContactOut,
    DkimRecordOut,
    EmailTemplateOut,
    FirmOut,
    InvoiceOut,
    InvoiceTermsOut,
    JobOut,
    PipelineOut,
    RemindersOut,
    SendingDomainOut,
    SendingHoursOut,
    StageOut,
    StepOut,
    SuppressionOut,
    TaskOut,
    TemplateKind,
    TemplateOut,
    TemplateRemindersOut,
    WorkItemOut,
)
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    AuditEvent,
    ClientTime,
    Contact,
    EmailWording,
    Firm,
    Job,
    Pipeline,
    SendingDomain,
    Template,
)
from portal_reminders.reminders.scheduling import client_clock, policy, sequences, tone

if TYPE_CHECKING:
    from portal_reminders.repository.ports import TaskEntry, WorkEntry


def firm_out(firm: Firm) -> FirmOut:
    hours = firm.sending_hours
    return FirmOut(
        id=firm.id,
        name=firm.name,
        reply_to=firm.reply_to,
        portal_url=firm.portal_url,
        time_zone=firm.time_zone,
        escalation_email=firm.escalation_email,
        sending_hours=None
        if hours is None
        else SendingHoursOut(days=hours.ordered_days, start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}"),
        reminders_paused_until=firm.reminders_paused_until,
        reminder_digest=firm.reminder_digest,
        branding=BrandingOut.model_validate(firm.branding, from_attributes=True),
    )


def sending_domain_out(domain: SendingDomain, sending_from: str) -> SendingDomainOut:
    """The domain with the CNAME records Easy DKIM asks for: <token>._domainkey.<domain> -> <token>.<zone>."""
    return SendingDomainOut(
        domain=domain.domain,
        status=domain.status,
        dkim_records=[
            DkimRecordOut(name=f"{token}._domainkey.{domain.domain}", type="CNAME", value=f"{token}.{domain.dkim_zone}")
            for token in domain.dkim_tokens
        ],
        sending_from=sending_from,
        checked_at=domain.checked_at,
    )


def contact_out(contact: Contact) -> ContactOut:
    suppression = contact.suppressed
    return ContactOut(
        id=contact.id,
        name=contact.name,
        first_name=contact.first_name,
        email=contact.email,
        notify=contact.notify,
        suppressed=None if suppression is None else SuppressionOut(reason=suppression.reason, at=suppression.at),
    )


def account_out(account: Account) -> AccountOut:
    return AccountOut(
        id=account.id,
        name=account.name,
        language=account.language,
        time_zone=account.time_zone,
        reminders_paused_until=account.reminders_paused_until,
        contacts=[contact_out(c) for c in account.contacts],
        created_at=account.created_at,
    )


def reminders_out(item: ActionItem, now: datetime, client: ClientTime) -> RemindersOut:
    """The settings (their one codec, as_dict), what was sent, and when each step and the next
    reminder are due in the client's time as it is now (SPEC R16, R19)."""
    item = replace(item, zone=client.zone, window=client.window)
    timed = sequences.times(item) if item.due_date else [(step, None) for step in item.reminders.steps]
    steps = [
        StepOut(
            days=step.days,
            tone=tone.of_step(item.reminders, step, item.due_date),
            at=None if at is None else client_clock.next_allowed(at, client.window),
            status=sequences.status(item, step),
        )
        for step, at in timed
    ]
    return RemindersOut.model_validate(
        {
            **item.reminders.as_dict(),
            "steps": steps,
            "sent": item.reminders_sent,
            "next_at": policy.next_at(item, now, client.window, client.paused_until),
        }
    )


def item_out(item: ActionItem, now: datetime, client: ClientTime) -> ActionItemOut:
    """`client`: the client's time zone and sending window as they are now, which the reminders'
    times are shown in."""
    invoice = None
    if item.invoice is not None:
        invoice = InvoiceOut(
            amount=item.invoice.amount,
            currency=item.invoice.currency,
            due_date=item.due_date,
            paid=item.invoice.paid,
            amount_paid=item.invoice.amount_paid,
            balance_due=item.invoice.balance_due,
        )
    return ActionItemOut(
        id=item.id,
        account_id=item.account_id,
        kind=item.kind,
        title=item.title,
        message=item.message,
        status=item.status,
        sent_at=item.sent_at,
        last_emailed_at=item.last_emailed_at,
        completed_at=item.completed_at,
        completed_via=item.completed_via,
        cancelled_at=item.cancelled_at,
        reminders=reminders_out(item, now, client),
        manual_reminders_sent=item.manual_reminders_sent,
        email_failed=item.failed_number is not None,
        due_date=item.due_date,
        escalated_at=item.escalated_at,
        invoice=invoice,
        template_id=item.template_id,
        job_id=item.origin.job_id if item.origin else None,
    )


def task_out(task: TaskEntry) -> TaskOut:
    return TaskOut(
        item_id=task.item_id,
        kind=task.kind,
        title=task.title,
        last_emailed_at=task.last_emailed_at,
        due_date=task.due_date,
    )


def audit_out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut(
        id=event.id,
        item_id=event.item_id,
        account_id=event.account_id,
        type=event.type,
        at=event.at,
        actor=event.actor,
        recipients=list(event.recipients),
        details=dict(event.details),
    )


def _reminder_fields(reminders: Mapping[str, Any]) -> TemplateRemindersOut:
    return TemplateRemindersOut(**{k: v for k, v in reminders.items() if k in TemplateRemindersOut.model_fields})


def template_out(template: Template) -> TemplateOut:
    invoice = None
    if template.invoice is not None:
        invoice = InvoiceTermsOut(
            amount=template.invoice.amount,
            currency=template.invoice.currency,
            due_in_days=template.due_in_days,
        )
    return TemplateOut(
        id=template.id,
        kind=TemplateKind(template.kind.value),
        name=template.name,
        title=template.title,
        body=template.body,
        invoice=invoice,
        reminders=_reminder_fields(template.reminders),
        due_in_days=template.due_in_days,
        created_at=template.created_at,
        updated_at=template.updated_at,
    )


def pipeline_out(pipeline: Pipeline) -> PipelineOut:
    return PipelineOut(
        id=pipeline.id,
        name=pipeline.name,
        created_at=pipeline.created_at,
        stages=[
            StageOut(
                id=stage.id,
                name=stage.name,
                automations=[
                    AutomationOut(action=a.action, template_id=a.template_id, reminders=_reminder_fields(a.reminders))
                    for a in stage.automations
                ],
            )
            for stage in pipeline.stages
        ],
    )


def job_out(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        pipeline_id=job.pipeline_id,
        account_id=job.account_id,
        stage_id=job.stage_id,
        status=job.status,
        created_at=job.created_at,
        entered_at=job.entered_at,
        archived_at=job.archived_at,
        item_ids=list(job.item_ids),
    )


def work_item_out(entry: WorkEntry, now: datetime) -> WorkItemOut:
    return WorkItemOut(
        id=entry.item_id,
        account_id=entry.account_id,
        kind=entry.kind,
        title=entry.title,
        status=entry.status,
        due_date=entry.due_date,
        overdue=entry.overdue_from is not None and entry.overdue_from <= now,
        escalated_at=entry.escalated_at,
    )


def email_template_out(wording: EmailWording) -> EmailTemplateOut:
    key = wording.key
    return EmailTemplateOut(
        kind=key.kind,
        stage=key.stage,
        language=key.language,
        subject=wording.subject,
        body=wording.body,
        updated_at=wording.updated_at,
        updated_by=wording.updated_by,
    )
