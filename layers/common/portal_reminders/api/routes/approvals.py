"""Request approval for pending (R6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import caller, responses
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.schemas import ApprovalRequestAccepted, ApprovalRequestIn

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.post(
    "/approvals/request-pending",
    operation_id="requestPendingApprovals",
    tags=[Tag.APPROVALS],
    summary="Email each account one list of its documents pending approval (queued; counts returned now)",
    responses=responses(202, "accepted, with the number of accounts and documents", 400),
)
def request_pending(body: ApprovalRequestIn | None = None) -> Response[ApprovalRequestAccepted]:
    who = caller(router)
    counts = get_services().approvals.request_pending(
        who.firm_id, who.user_id, body.message if body else None, body.account_ids if body else None
    )
    accepted = ApprovalRequestAccepted(accounts=counts.accounts, documents=counts.documents)
    return Response(202, content_types.APPLICATION_JSON, accepted)
