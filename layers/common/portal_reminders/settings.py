"""Configuration, read from the environment once per process (the template sets every variable)."""

from __future__ import annotations

import os
from datetime import timedelta
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, ValidationError


class Settings(BaseModel):
    # validated once per process, on the first request (get_settings): building the validator at
    # import would lengthen every cold start, and with SnapStart it is built before the snapshot
    model_config = ConfigDict(frozen=True, defer_build=True)

    table_name: str = Field(min_length=3, validation_alias="TABLE_NAME")
    send_queue_url: str = Field(min_length=1, validation_alias="SEND_QUEUE_URL")
    sender_address: str = Field(min_length=3, validation_alias="SENDER_ADDRESS")
    portal_base_url: str = Field(pattern=r"^https?://\S+$", validation_alias="PORTAL_BASE_URL")
    region: str = Field(min_length=1, validation_alias="AWS_REGION")
    # The bus the publisher puts the domain events on (functions that publish nothing have none).
    event_bus_name: str = Field(default="", validation_alias="EVENT_BUS_NAME")
    # The SES configuration set every email is sent with: its events (bounces, complaints) reach
    # the suppression function through EventBridge (SPEC R15).
    ses_configuration_set: str = Field(default="", max_length=64, validation_alias="SES_CONFIGURATION_SET")
    # The send function's dead-letter queue: messages no retry can fix go straight there.
    send_dead_letter_url: str = Field(default="", validation_alias="SEND_DEAD_LETTER_QUEUE_URL")
    # A claim outlives every message carrying it: the send queue keeps a message at most its
    # retention period, so a claim longer than that expires only when its message is gone.
    claim_lease_seconds: int = Field(default=349_200, ge=60, le=14 * 86400, validation_alias="CLAIM_LEASE_SECONDS")
    # The api's own claim on a new item's notification while it emails it (extended to a full
    # claim if it hands the notification to the queue); if the api dies, the scan takes over.
    handoff_lease_seconds: int = Field(default=300, ge=60, le=3600, validation_alias="HANDOFF_LEASE_SECONDS")
    # After this many expired claims on the same reminder, it is recorded as email_failed.
    max_claim_attempts: int = Field(default=2, ge=1, le=20, validation_alias="MAX_CLAIM_ATTEMPTS")
    # How long one worker holds an email round before another may take it over (a crashed worker).
    delivery_lease_seconds: int = Field(default=120, ge=10, le=3600, validation_alias="DELIVERY_LEASE_SECONDS")
    # The retry horizon (SPEC R14): a round the mail service keeps refusing is given up at its first
    # try this long after its first one...
    give_up_after_seconds: int = Field(default=86_400, ge=60, validation_alias="GIVE_UP_AFTER_SECONDS")
    # ...and by the scan at this deadline if no worker got to it (a backlog), so never after 48 h.
    give_up_by_seconds: int = Field(default=169_200, ge=60, validation_alias="GIVE_UP_BY_SECONDS")
    # Sends per second across every function; 0 means the SES account's own maximum (GetAccount).
    send_rate_limit: float = Field(default=0.0, ge=0, le=100_000, validation_alias="SEND_RATE_LIMIT")
    # The longest a function waits for its turn on the shared send rate before backing off.
    send_max_wait_seconds: float = Field(default=10.0, gt=0, le=60, validation_alias="SEND_MAX_WAIT_SECONDS")
    # Emails a firm may send per UTC day (SPEC R18); 0: no cap.
    daily_email_cap: int = Field(default=10_000, ge=0, le=10_000_000, validation_alias="DAILY_EMAIL_CAP")
    # Claims and queue writes the scan has in flight at once.
    scan_concurrency: int = Field(default=16, ge=1, le=64, validation_alias="SCAN_CONCURRENCY")
    # The scan lock's lease: the scan function's timeout.
    scan_lease_seconds: int = Field(default=300, ge=10, le=900, validation_alias="SCAN_LEASE_SECONDS")
    # A scheduled tick older than this when it arrives is dropped (a late retry): the next one scans.
    max_tick_age_seconds: int = Field(default=300, ge=10, validation_alias="MAX_TICK_AGE_SECONDS")

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

    @property
    def handoff_lease(self) -> timedelta:
        return timedelta(seconds=self.handoff_lease_seconds)

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(seconds=self.give_up_after_seconds)

    @property
    def give_up_by(self) -> timedelta:
        return timedelta(seconds=self.give_up_by_seconds)

    @property
    def scan_lease(self) -> timedelta:
        return timedelta(seconds=self.scan_lease_seconds)

    @property
    def max_tick_age(self) -> timedelta:
        return timedelta(seconds=self.max_tick_age_seconds)


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
