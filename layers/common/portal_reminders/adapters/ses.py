"""Mailer, mail account and sending identities on Amazon SES v2."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal_reminders.adapters.ses_refusals import THROTTLED, blame
from portal_reminders.models.domain import DomainStatus
from portal_reminders.observability import logger
from portal_reminders.ports import (
    IdentityExists,
    IdentityNotFound,
    MailAccount,
    Mailer,
    MailIdentities,
    MailIdentity,
    MailMisconfigured,
    MailThrottled,
    MailUnavailable,
    OutgoingEmail,
    SendQuota,
)


class SesMailer(Mailer):
    """Sends with the stack's configuration set, whose event destination tells the product about
    bounces and complaints (SPEC R15); without one (`configuration_set` empty) SES sends plainly."""

    def __init__(self, client: Any, configuration_set: str = "") -> None:
        self._client = client
        self._configuration_set = configuration_set

    def send(self, email: OutgoingEmail) -> str:
        request: dict[str, Any] = {
            "FromEmailAddress": email.sender,
            "Destination": {"ToAddresses": [email.to]},
            "Content": {
                "Simple": {
                    "Subject": {"Data": email.subject, "Charset": "UTF-8"},
                    "Body": {
                        "Text": {"Data": email.text, "Charset": "UTF-8"},
                        "Html": {"Data": email.html, "Charset": "UTF-8"},
                    },
                }
            },
        }
        if email.reply_to:
            request["ReplyToAddresses"] = [email.reply_to]
        if email.tags:
            request["EmailTags"] = [{"Name": k, "Value": v} for k, v in email.tags.items()]
        if self._configuration_set:
            request["ConfigurationSetName"] = self._configuration_set
        try:
            response = self._client.send_email(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", "")
            refusal = blame(code, message)
            if refusal is MailMisconfigured:
                # the request or the stack's configuration is wrong: every mail fails alike until someone fixes it
                logger.error(
                    "ses refused the request: the product's request or configuration",
                    extra={"code": code, "reason": message, "configuration_set": self._configuration_set},
                )
            raise refusal(f"{code}: {message}") from error
        except BotoCoreError as error:
            raise MailUnavailable(str(error)) from error
        return str(response.get("MessageId", ""))


class SesAccount(MailAccount):
    def __init__(self, client: Any) -> None:
        self._client = client

    def quota(self) -> SendQuota | None:
        try:
            response = self._client.get_account()
        except Exception as error:
            logger.warning("ses account limits unknown", extra={"error": f"{type(error).__name__}: {error}"})
            return None
        quota = response.get("SendQuota") or {}
        return SendQuota(
            max_send_rate=float(quota.get("MaxSendRate") or 0.0),
            max_24_hour_send=float(quota.get("Max24HourSend") or 0.0),
            sent_last_24_hours=float(quota.get("SentLast24Hours") or 0.0),
            sending_enabled=bool(response.get("SendingEnabled", True)),
        )


class SesIdentities(MailIdentities):
    """Domain identities with Easy DKIM: SES makes the keys and gives three tokens; the domain is
    verified once SES finds their CNAME records in its DNS (VerifiedForSendingStatus)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def create_domain(self, domain: str) -> MailIdentity:
        # no DkimSigningAttributes: Easy DKIM (SES's own 2048-bit keys, rotated by SES)
        response = self._call("create_email_identity", EmailIdentity=domain)
        return _identity(response)

    def get(self, domain: str) -> MailIdentity:
        return _identity(self._call("get_email_identity", EmailIdentity=domain))

    def delete(self, domain: str) -> None:
        try:
            self._call("delete_email_identity", EmailIdentity=domain)
        except IdentityNotFound:
            return

    def _call(self, operation: str, **request: Any) -> Any:
        try:
            return getattr(self._client, operation)(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", "")
            if code == "AlreadyExistsException":
                raise IdentityExists(message) from error
            if code == "NotFoundException":
                raise IdentityNotFound(message) from error
            if code in THROTTLED:
                raise MailThrottled(f"{code}: {message}") from error
            raise MailUnavailable(f"{code}: {message}") from error
        except BotoCoreError as error:
            raise MailUnavailable(str(error)) from error


_DKIM_STATUSES = {"FAILED": DomainStatus.FAILED, "TEMPORARY_FAILURE": DomainStatus.TEMPORARY_FAILURE}


def _identity(response: Any) -> MailIdentity:
    dkim = response.get("DkimAttributes") or {}
    if response.get("VerifiedForSendingStatus"):
        status = DomainStatus.VERIFIED
    else:
        status = _DKIM_STATUSES.get(str(dkim.get("Status", "")), DomainStatus.PENDING)
    return MailIdentity(
        status=status, dkim_tokens=tuple(dkim.get("Tokens") or ()), dkim_zone=dkim.get("SigningHostedZone") or None
    )
