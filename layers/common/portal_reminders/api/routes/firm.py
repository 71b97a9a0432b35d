"""GET/PUT /firm: the caller's firm profile (name shown in emails, reply-to, portal URL, the
client's time: the firm's time zone and its sending hours, SPEC R16; where escalations go, R19; and the
branding of its emails, SPEC R21)."""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import caller, responses
from portal_reminders.models.domain import Branding, Firm, SendingHours
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import firm_out
    from portal_reminders.api.schemas import FirmIn, FirmOut

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/firm",
    operation_id="getFirm",
    tags=[Tag.FIRM],
    summary="The caller's firm profile",
    responses=responses(200, "the firm profile"),
)
def get_firm() -> FirmOut:
    return firm_out(get_services().accounts.get_firm(caller(router).firm_id))


@router.put(
    "/firm",
    operation_id="putFirm",
    tags=[Tag.FIRM],
    summary="Set the firm profile; pending automatic reminders move into new sending hours or a pause",
    responses=responses(
        200,
        "the firm profile",
        400,
        invalid="sending hours that end before they start; a pause more than ten years ahead",
    ),
)
def put_firm(body: FirmIn) -> FirmOut:
    hours = body.sending_hours
    firm = Firm(
        id=caller(router).firm_id,
        name=body.name,
        reply_to=body.reply_to,
        portal_url=body.portal_url,
        time_zone=body.time_zone,
        escalation_email=body.escalation_email,
        sending_hours=None
        if hours is None
        else SendingHours(frozenset(hours.days), time.fromisoformat(hours.start), time.fromisoformat(hours.end)),
        reminders_paused_until=body.reminders_paused_until,
        reminder_digest=body.reminder_digest,
        branding=Branding() if body.branding is None else Branding(**body.branding.model_dump()),
    )
    return firm_out(get_services().accounts.put_firm(firm))
