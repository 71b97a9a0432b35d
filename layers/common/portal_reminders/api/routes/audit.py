"""The audit trail (R11): append-only, read per item and per account, oldest first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import DEFAULT_LIMIT, Limit, caller, page_token, responses
from portal_reminders.repository import paging
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import audit_out
    from portal_reminders.api.schemas import AuditPage

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]

ItemAuditToken = Annotated[str | None, page_token(paging.ITEM_AUDIT)]
AccountAuditToken = Annotated[str | None, page_token(paging.ACCOUNT_AUDIT)]


@router.get(
    "/action-items/<item_id>/audit",
    operation_id="listItemAudit",
    tags=[Tag.AUDIT],
    summary="Everything that happened to one item",
    responses=responses(200, "a page of audit events", 400, 404),
)
def item_audit(item_id: str, limit: Limit = DEFAULT_LIMIT, next_token: ItemAuditToken = None) -> AuditPage:
    services = get_services()
    firm_id = caller(router).firm_id
    services.items.get(firm_id, item_id)
    page = services.repository.item_audit(firm_id, item_id, limit, next_token)
    return AuditPage(items=[audit_out(e) for e in page.items], next_token=page.next_token)


@router.get(
    "/accounts/<account_id>/audit",
    operation_id="listAccountAudit",
    tags=[Tag.AUDIT],
    summary="Everything that happened to an account's items",
    responses=responses(200, "a page of audit events", 400, 404),
)
def account_audit(account_id: str, limit: Limit = DEFAULT_LIMIT, next_token: AccountAuditToken = None) -> AuditPage:
    services = get_services()
    firm_id = caller(router).firm_id
    services.accounts.get(firm_id, account_id)
    page = services.repository.account_audit(firm_id, account_id, limit, next_token)
    return AuditPage(items=[audit_out(e) for e in page.items], next_token=page.next_token)
