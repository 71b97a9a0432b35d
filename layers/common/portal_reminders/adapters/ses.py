"""Mailer and mail account on Amazon SES v2."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from portal_reminders.adapters.ses_refusals import blame
from portal_reminders.observability import logger
from portal_reminders.ports import (
    MailAccount,
    Mailer,
    MailMisconfigured,
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
