"""Domain models -> response schemas."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from portal_reminders.api.schemas import (
    AccountOut,
    ActionItemOut,
    AuditEventOut,
    AutomationOut,
    BrandingOut,
    ContactOut,
    DkimRecordOut,
    FirmOut,
    InvoiceOut,
    InvoiceTermsOut,
    JobOut,
    PipelineOut,
    RemindersOut,
    SendingDomainOut,
    SendingHoursOut,
    StageOut,
    SuppressionOut,
    TaskOut,
    TemplateKind,
    TemplateOut,
    TemplateRemindersOut,
)
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    AuditEvent,
    Contact,
    Firm,
    Job,
    Pipeline,
    SendingDomain,
    SendingWindow,
    Template,
)
from portal_reminders.reminders.scheduling import policy


def firm_out(firm: Firm) -> FirmOut:
    hours = firm.sending_hours
    return FirmOut(
        id=firm.id,
        name=firm.name,
        reply_to=firm.reply_to,
        portal_url=firm.portal_url,
        time_zone=firm.time_zone,
        sending_hours=None
        if hours is None
        else SendingHoursOut(days=hours.ordered_days, start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}"),
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
        contacts=[contact_out(c) for c in account.contacts],
        created_at=account.created_at,
    )


def item_out(item: ActionItem, now: datetime, window: SendingWindow | None) -> ActionItemOut:
    """`window`: the client's sending window as it is now, which `reminders.next_at` keeps to."""
    settings = item.reminders
    invoice = None
    if item.invoice is not None:
        invoice = InvoiceOut(
            amount=item.invoice.amount,
            currency=item.invoice.currency,
            due_date=item.invoice.due_date,
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
        reminders=RemindersOut(
            enabled=settings.enabled,
            days_between=settings.days_between,
            max_reminders=settings.max_reminders,
            sent=item.reminders_sent,
            next_at=policy.next_at(item, now, window),
        ),
        manual_reminders_sent=item.manual_reminders_sent,
        email_failed=item.failed_number is not None,
        invoice=invoice,
        template_id=item.template_id,
        job_id=item.origin.job_id if item.origin else None,
    )


def task_out(item: ActionItem) -> TaskOut:
    return TaskOut(item_id=item.id, kind=item.kind, title=item.title, last_emailed_at=item.last_emailed_at)


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
            due_in_days=template.invoice.due_in_days,
        )
    return TemplateOut(
        id=template.id,
        kind=TemplateKind(template.kind.value),
        name=template.name,
        title=template.title,
        body=template.body,
        invoice=invoice,
        reminders=_reminder_fields(template.reminders),
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
