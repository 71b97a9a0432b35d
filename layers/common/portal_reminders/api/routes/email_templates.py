"""The firm's own wording of its emails, and previews (SPEC R21): /email-templates, /email-previews."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import caller, responses
from portal_reminders.models.domain import EmailStage, Kind, Language, WordingKey
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import email_template_out
    from portal_reminders.api.schemas import (
        EmailPreviewIn,
        EmailPreviewOut,
        EmailTemplateIn,
        EmailTemplateList,
        EmailTemplateOut,
    )

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

ONE = "/email-templates/<kind>/<stage>/<language>"
PATH_RULES = (
    "a kind, stage or language in the path outside its list, or the escalation stage in another language than en "
    "(details name it)"
)
PLACEHOLDER_RULES = (
    "a placeholder outside the list, or a tag, filter or expression in double braces (details name the field, "
    "subject or body, and the placeholder)"
)


@router.put(
    ONE,
    operation_id="putEmailTemplate",
    tags=[Tag.EMAIL_TEMPLATES],
    summary="Word the emails of a kind, stage and language in the firm's own voice (replaces any earlier wording)",
    responses=responses(200, "the stored wording", invalid=f"{PLACEHOLDER_RULES}; {PATH_RULES}"),
)
def put_email_template(kind: Kind, stage: EmailStage, language: Language, body: EmailTemplateIn) -> EmailTemplateOut:
    who = caller(router)
    wording = get_services().wordings.put(
        who.firm_id, WordingKey(kind, stage, language), body.subject, body.body, who.user_id
    )
    return email_template_out(wording)


@router.get(
    "/email-templates",
    operation_id="listEmailTemplates",
    tags=[Tag.EMAIL_TEMPLATES],
    summary="The firm's own wordings, all in one page (at most one per kind, stage and language)",
    responses=responses(200, "every wording of the firm"),
)
def list_email_templates() -> EmailTemplateList:
    return EmailTemplateList(
        items=[email_template_out(w) for w in get_services().wordings.list(caller(router).firm_id)]
    )


@router.get(
    ONE,
    operation_id="getEmailTemplate",
    tags=[Tag.EMAIL_TEMPLATES],
    summary="The firm's wording of a kind, stage and language",
    responses=responses(200, "the wording", 404, invalid=PATH_RULES),
)
def get_email_template(kind: Kind, stage: EmailStage, language: Language) -> EmailTemplateOut:
    return email_template_out(get_services().wordings.get(caller(router).firm_id, WordingKey(kind, stage, language)))


@router.delete(
    ONE,
    operation_id="deleteEmailTemplate",
    tags=[Tag.EMAIL_TEMPLATES],
    summary="Go back to the built-in wording of a kind, stage and language",
    responses=responses(
        200, "the firm's wording as it was: the built-in wording applies again", 404, invalid=PATH_RULES
    ),
)
def delete_email_template(kind: Kind, stage: EmailStage, language: Language) -> EmailTemplateOut:
    who = caller(router)
    return email_template_out(
        get_services().wordings.delete(who.firm_id, WordingKey(kind, stage, language), who.user_id)
    )


@router.post(
    "/email-previews",
    operation_id="previewEmail",
    tags=[Tag.EMAIL_TEMPLATES],
    summary="What an email would say if sent now (to a client, or the firm's escalation): for an item or a sample",
    responses=responses(
        200,
        "the email's subject, text part and HTML part",
        404,
        conflict=(
            "kind is not the item's kind, or language not its account's (a client's email); "
            "the escalation of an item without escalate_after_days"
        ),
    ),
)
def preview_email(body: EmailPreviewIn) -> EmailPreviewOut:
    content = get_services().wordings.preview(
        caller(router).firm_id,
        EmailStage(body.stage.value),
        body.kind,
        body.language,
        body.item_id,
    )
    return EmailPreviewOut(subject=content.subject, text=content.text, html=content.html)
