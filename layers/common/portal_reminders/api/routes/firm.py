"""GET/PUT /firm: the caller's firm profile (name shown in emails, reply-to, portal URL)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.present import firm_out
from portal_reminders.api.routes.common import caller, responses
from portal_reminders.api.schemas import FirmIn, FirmOut
from portal_reminders.models.domain import Firm
from portal_reminders.wiring import get_services

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get("/firm", summary="The caller's firm profile", responses=responses(200, "the firm profile"))
def get_firm() -> FirmOut:
    return firm_out(get_services().accounts.get_firm(caller(router).firm_id))


@router.put("/firm", summary="Set the firm profile", responses=responses(200, "the firm profile", 400))
def put_firm(body: FirmIn) -> FirmOut:
    firm = Firm(id=caller(router).firm_id, name=body.name, reply_to=body.reply_to, portal_url=body.portal_url)
    return firm_out(get_services().accounts.put_firm(firm))
