"""Templates (R7): invoice, proposal, organizer and chat content with reminder settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import (
    DEFAULT_LIMIT,
    SCHEDULE_RULES,
    Limit,
    caller,
    changes_of,
    page_token,
    responses,
)
from portal_reminders.models.domain import InvoiceTerms, Kind
from portal_reminders.repository import paging
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import template_out
    from portal_reminders.api.schemas import (
        InvoiceTemplateIn,
        InvoiceTermsIn,
        RemindersIn,
        TemplateIn,
        TemplateOut,
        TemplatePage,
        TemplatePatch,
    )

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

TemplatesToken = Annotated[str | None, page_token(paging.TEMPLATES)]


def _terms(invoice: InvoiceTermsIn | None) -> InvoiceTerms | None:
    if invoice is None:
        return None
    return InvoiceTerms(amount=invoice.amount, currency=invoice.currency)


def _settings(reminders: RemindersIn | None) -> dict[str, Any]:
    return reminders.model_dump(mode="json", exclude_none=True) if reminders else {}


@router.post(
    "/templates",
    operation_id="createTemplate",
    tags=[Tag.TEMPLATES],
    summary="Create a template",
    responses=responses(
        201, "the template", 400, invalid=f"due_in_days and invoice.due_in_days, given both, agree; {SCHEDULE_RULES}"
    ),
)
def create_template(body: TemplateIn) -> Response[TemplateOut]:
    template_in = body.root
    template = get_services().templates.create(
        caller(router).firm_id,
        kind=Kind(template_in.kind),
        name=template_in.name,
        title=template_in.title,
        body=template_in.body,
        invoice=_terms(template_in.invoice) if isinstance(template_in, InvoiceTemplateIn) else None,
        reminders=_settings(template_in.reminders),
        due_in_days=template_in.effective_due_in_days,
    )
    return Response(201, content_types.APPLICATION_JSON, template_out(template))


@router.get(
    "/templates",
    operation_id="listTemplates",
    tags=[Tag.TEMPLATES],
    summary="The firm's templates, oldest first",
    responses=responses(200, "a page of templates", 400),
)
def list_templates(limit: Limit = DEFAULT_LIMIT, next_token: TemplatesToken = None) -> TemplatePage:
    page = get_services().templates.list(caller(router).firm_id, limit, next_token)
    return TemplatePage(items=[template_out(t) for t in page.items], next_token=page.next_token)


@router.get(
    "/templates/<template_id>",
    operation_id="getTemplate",
    tags=[Tag.TEMPLATES],
    summary="One template",
    responses=responses(200, "the template", 404),
)
def get_template(template_id: str) -> TemplateOut:
    return template_out(get_services().templates.get(caller(router).firm_id, template_id))


@router.patch(
    "/templates/<template_id>",
    operation_id="updateTemplate",
    tags=[Tag.TEMPLATES],
    summary="Change a template (items already sent keep what they were sent with)",
    responses=responses(
        200,
        "the template",
        400,
        404,
        conflict="`invoice` for a template that is not an invoice's; due_in_days null for an invoice template",
        invalid=f"due_in_days and invoice.due_in_days, given both, agree; {SCHEDULE_RULES}",
    ),
)
def update_template(template_id: str, body: TemplatePatch) -> TemplateOut:
    changes = changes_of(body, nullable={"due_in_days"})
    if "invoice" in changes:
        changes["invoice"] = _terms(body.invoice)
        if body.invoice is not None:
            changes["due_in_days"] = body.invoice.due_in_days
    if "reminders" in changes:
        changes["reminders"] = _settings(body.reminders)
    return template_out(get_services().templates.update(caller(router).firm_id, template_id, changes))
