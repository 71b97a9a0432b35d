"""GET/PUT /firm/sending-domain: the domain the firm's mail goes from once the mail service has
verified it (SPEC R21), with the DNS records that verify it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from portal_reminders.api.openapi import Tag
from portal_reminders.api.routes.common import caller, responses
from portal_reminders.models.domain import Firm
from portal_reminders.wiring import get_services

if TYPE_CHECKING:  # defined with the first routed request (api/deferred.py)
    from portal_reminders.api.present import sending_domain_out
    from portal_reminders.api.schemas import SendingDomainIn, SendingDomainOut

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]


@router.get(
    "/firm/sending-domain",
    operation_id="getSendingDomain",
    tags=[Tag.FIRM],
    summary="The firm's sending domain and its verification status (asked of the mail service at most once a minute)",
    responses=responses(200, "the sending domain", 404),
)
def get_sending_domain() -> SendingDomainOut:
    return _out(get_services().sending_domains.get(caller(router).firm_id))


@router.put(
    "/firm/sending-domain",
    operation_id="putSendingDomain",
    tags=[Tag.FIRM],
    summary="Send the firm's mail from reminders@<domain> once its DKIM records are published and verified",
    responses=responses(
        200,
        "the sending domain, with the DNS records to publish",
        conflict="the domain is another firm's sending domain, or already an identity of the mail service's "
        "account that this service did not make",
        invalid="the service's own sender domain, or a subdomain of it",
    ),
)
def put_sending_domain(body: SendingDomainIn) -> SendingDomainOut:
    return _out(get_services().sending_domains.put(caller(router).firm_id, body.domain))


def _out(firm: Firm) -> SendingDomainOut:
    assert firm.sending_domain is not None  # both use cases return a firm with its domain
    return sending_domain_out(firm.sending_domain, get_services().sending_domains.sending_from(firm))
