"""Configuration, read from the environment once per process (the template sets every variable)."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True)

    table_name: str = Field(min_length=3, validation_alias="TABLE_NAME")
    send_queue_url: str = Field(min_length=1, validation_alias="SEND_QUEUE_URL")
    sender_address: str = Field(min_length=3, validation_alias="SENDER_ADDRESS")
    portal_base_url: str = Field(pattern=r"^https?://\S+$", validation_alias="PORTAL_BASE_URL")
    region: str = Field(min_length=1, validation_alias="AWS_REGION")
    # The bus the api publishes JobEnteredStage on (functions that publish nothing have none).
    event_bus_name: str = Field(default="", validation_alias="EVENT_BUS_NAME")
    # A claim outlives the queue's whole retry time (maxReceiveCount x visibility timeout) and is
    # shorter than a day: the template derives both from the same numbers.
    claim_lease_seconds: int = Field(default=3600, ge=60, lt=86400, validation_alias="CLAIM_LEASE_SECONDS")
    # After this many expired claims on the same reminder, it is recorded as email_failed.
    max_claim_attempts: int = Field(default=3, ge=1, le=20, validation_alias="MAX_CLAIM_ATTEMPTS")
    # How long one worker holds an email round before another may take it over (a crashed worker).
    delivery_lease_seconds: int = Field(default=120, ge=10, le=3600, validation_alias="DELIVERY_LEASE_SECONDS")
    # The send queue's maxReceiveCount: the receive that may record email_failed before the DLQ.
    send_max_receive_count: int = Field(default=5, ge=1, le=1000, validation_alias="SEND_MAX_RECEIVE_COUNT")

    # The JWT claim naming the caller's firm (the template's FirmClaim parameter).
    firm_claim: str = Field(default="custom:firm_id", pattern=r"^[!-~]{1,200}$", validation_alias="FIRM_CLAIM")
    # A manual resend of an item this soon after the previous one is refused (SPEC R18; 0: no limit).
    resend_cooldown_minutes: int = Field(default=60, ge=0, le=10080, validation_alias="RESEND_COOLDOWN_MINUTES")

    @property
    def resend_cooldown(self) -> timedelta:
        return timedelta(minutes=self.resend_cooldown_minutes)

    @property
    def claim_lease(self) -> timedelta:
        return timedelta(seconds=self.claim_lease_seconds)

    @property
    def delivery_lease(self) -> timedelta:
        return timedelta(seconds=self.delivery_lease_seconds)


class SettingsError(RuntimeError):
    """The function's environment is incomplete: a deployment error, reported by variable name."""


@cache
def get_settings() -> Settings:
    environ = dict(os.environ)
    environ.setdefault("AWS_REGION", environ.get("AWS_DEFAULT_REGION", ""))
    try:
        return Settings.model_validate(environ)
    except ValidationError as error:
        problems = "; ".join(
            f"{'/'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors(include_url=False)
        )
        raise SettingsError(f"invalid environment: {problems}") from error
