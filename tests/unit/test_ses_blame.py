"""Whose fault an SES refusal is (SPEC R14, R22): SES v2 SendEmail's answers, as botocore raises
them (Stubber), read by the mailer into the port's exceptions. Only a refusal about the recipient's
address rejects the contact; the product's own request or configuration is MailMisconfigured."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from portal_reminders.adapters.ses import SesMailer
from portal_reminders.ports import MailMisconfigured, MailRejected, MailThrottled, MailUnavailable, OutgoingEmail

EMAIL = OutgoingEmail(
    to="ana@client.example.com",
    sender="reminders@firm.example.com",
    subject="Reminder",
    text="text",
    html="<p>html</p>",
    tags={"firm": "firm-a"},
)

ANSWERS = [
    # the recipient's address: SES cannot parse it, or will not send to it
    ("BadRequestException", "Illegal address", MailRejected),
    ("BadRequestException", "Missing final '@domain'", MailRejected),
    ("BadRequestException", "Domain contains illegal character", MailRejected),
    ("BadRequestException", "Local address contains control or whitespace", MailRejected),
    ("MessageRejected", "Address blacklisted.", MailRejected),
    # the product's own request or configuration
    (
        "BadRequestException",
        "Invalid tag value <acme.co>: only alphanumeric ASCII characters, '_', and '-' are allowed.",
        MailMisconfigured,
    ),
    ("BadRequestException", "Tag value cannot exceed 256 characters.", MailMisconfigured),
    ("MessageRejected", "Message length is more than 41943040 bytes long: '41943041'.", MailMisconfigured),
    (
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "reminders@firm.example.com",
        MailMisconfigured,
    ),
    # the sandbox names the recipient, but it is the account that is not out of the sandbox yet
    (
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region US-EAST-1: "
        "ana@client.example.com",
        MailMisconfigured,
    ),
    ("NotFoundException", "Configuration set <client-reminders-typo> does not exist.", MailMisconfigured),
    ("MailFromDomainNotVerifiedException", "Mail from domain firm.example.com is not verified.", MailMisconfigured),
    ("AccessDeniedException", "User is not authorized to perform ses:SendEmail", MailMisconfigured),
    ("ValidationException", "1 validation error detected", MailMisconfigured),
    ("MessageRejected", "Some reason SES has not documented", MailMisconfigured),
    # the service: too fast, or not now
    ("TooManyRequestsException", "Maximum sending rate exceeded.", MailThrottled),
    ("SendingPausedException", "Sending paused for this account.", MailUnavailable),
    ("LimitExceededException", "Daily message quota exceeded.", MailUnavailable),
    ("AccountSuspendedException", "Account suspended.", MailUnavailable),
]


@pytest.mark.parametrize(("code", "message", "blamed"), ANSWERS)
def test_each_ses_refusal_is_blamed_on_what_caused_it(code: str, message: str, blamed: type[Exception]) -> None:
    # Given SES answering SendEmail with this error
    client = boto3.client("sesv2", region_name="us-east-1")
    with Stubber(client) as stubber:
        stubber.add_client_error("send_email", service_error_code=code, service_message=message, http_status_code=400)

        # When the mailer sends
        with pytest.raises((MailUnavailable, MailRejected)) as raised:
            SesMailer(client, "client-reminders").send(EMAIL)

    # Then the refusal is read as exactly this kind, with SES's code and reason
    assert type(raised.value) is blamed
    assert str(raised.value) == f"{code}: {message}"
