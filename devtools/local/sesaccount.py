"""SES GetAccount for the local stack, which moto does not implement: the account a production
SES account looks like (14 mails a second, 50,000 a day), with the mails the outbox holds counted
against the day; SendEmail is refused, as SES does, while the account is paused or out of quota.
`POST /_local/ses-account` changes it, e.g. `{"sending_enabled": false}` to see
reminders wait (and retry with backoff) while SES has paused the account, or a lower
`max_send_rate` to see the functions pace their sends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import botocore.handlers
from botocore.awsrequest import AWSResponse

EVENT = "before-call.sesv2.GetAccount"
SEND_EVENT = "before-call.sesv2.SendEmail"


@dataclass
class AccountSettings:
    max_send_rate: float = 14.0
    max_24_hour_send: float = 50_000.0
    sending_enabled: bool = True


class LocalSesAccount:
    def __init__(self, sent_at: Callable[[], list[datetime]], now: Callable[[], datetime]) -> None:
        self.settings = AccountSettings()
        self._sent_at = sent_at
        self._now = now
        self._lock = threading.Lock()

    def install(self) -> None:
        botocore.handlers.BUILTIN_HANDLERS.append((EVENT, self._answer))
        botocore.handlers.BUILTIN_HANDLERS.append((SEND_EVENT, self._refuse_when_paused))

    def uninstall(self) -> None:
        for entry in ((EVENT, self._answer), (SEND_EVENT, self._refuse_when_paused)):
            if entry in botocore.handlers.BUILTIN_HANDLERS:
                botocore.handlers.BUILTIN_HANDLERS.remove(entry)

    def _refuse_when_paused(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        """SES itself refuses mail from a paused account, or one over its daily quota."""
        account = self.describe()
        if not account["sending_enabled"]:
            return _error("SendingPausedException", "Email sending is disabled for this account.")
        if account["sent_last_24_hours"] >= account["max_24_hour_send"]:
            return _error("LimitExceededException", "Daily message quota exceeded.")
        return None

    def update(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply {max_send_rate, max_24_hour_send, sending_enabled}; ValueError names a bad field."""
        numbers = {"max_send_rate": (0.1, 100_000.0), "max_24_hour_send": (1.0, 100_000_000.0)}
        with self._lock:
            for field, value in changes.items():
                if field in numbers:
                    low, high = numbers[field]
                    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
                        raise ValueError(f"'{field}' must be a number from {low:g} to {high:g}")
                    setattr(self.settings, field, float(value))
                elif field == "sending_enabled":
                    if not isinstance(value, bool):
                        raise ValueError("'sending_enabled' must be true or false")
                    self.settings.sending_enabled = value
                else:
                    raise ValueError(
                        f"'{field}' is not a setting; use max_send_rate, max_24_hour_send, sending_enabled"
                    )
        return self.describe()

    def describe(self) -> dict[str, Any]:
        with self._lock:
            settings = asdict(self.settings)
        return {**settings, "sent_last_24_hours": self._sent_last_day()}

    def _sent_last_day(self) -> int:
        since = self._now() - timedelta(days=1)
        return sum(1 for at in self._sent_at() if at > since)

    def _answer(self, **_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        account = self.describe()
        parsed = {
            "SendQuota": {
                "Max24HourSend": account["max_24_hour_send"],
                "MaxSendRate": account["max_send_rate"],
                "SentLast24Hours": float(account["sent_last_24_hours"]),
            },
            "SendingEnabled": account["sending_enabled"],
            "ProductionAccessEnabled": True,
            "EnforcementStatus": "HEALTHY",
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        return AWSResponse("http://local-stack/ses", 200, {}, None), parsed


def _error(code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
    parsed = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}
    return AWSResponse("http://local-stack/ses", 400, {}, None), parsed
