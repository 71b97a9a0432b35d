"""The send queue's message contract, between its producers (scan, api) and the send function."""

from __future__ import annotations

import json
from functools import cache
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from portal_reminders.ids import EXTERNAL_ID_PATTERN
from portal_reminders.models.domain import EmailRound, ItemRef

ITEM_ID = r"^itm_[0-9a-f]{32}$"
ACCOUNT_ID = r"^acc_[0-9a-f]{32}$"
RESEND_ID = r"^rs_[0-9a-f]{32}$"


def to_body(message: BaseModel) -> str:
    """A queue message body: JSON with every non-ASCII character escaped, since SQS refuses some
    code points (U+FFFE, U+FFFF...) that a firm's free-text message may contain."""
    return json.dumps(message.model_dump(mode="json"), separators=(",", ":"))


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    firm_id: str = Field(pattern=EXTERNAL_ID_PATTERN)
    item_id: str = Field(pattern=ITEM_ID)
    account_id: str = Field(pattern=ACCOUNT_ID)

    @property
    def ref(self) -> ItemRef:
        return ItemRef(firm_id=self.firm_id, item_id=self.item_id, account_id=self.account_id)


class ScheduledEmailMessage(_Message):
    """A claimed scheduled email: number 0 is the notification, 1..n automatic reminders."""

    type: Literal["scheduled"] = "scheduled"
    number: int = Field(ge=0, le=1000)

    def email_round(self) -> EmailRound:
        return EmailRound.scheduled(self.number)


class ManualEmailMessage(_Message):
    """A manual resend the api could not finish by itself (the mail service was unavailable)."""

    type: Literal["manual"] = "manual"
    resend_id: str = Field(pattern=RESEND_ID)
    actor: str = Field(pattern=EXTERNAL_ID_PATTERN)
    message: str | None = Field(default=None, max_length=5000)

    def email_round(self) -> EmailRound:
        return EmailRound.manual(self.resend_id, self.actor, self.message)


REQUEST_ID = r"^req_[0-9a-f]{32}$"
# Documents one account's approval message (and so one email) lists: ~20 KB of ids, and few
# enough to record within one invocation. An account with more gets one email per part.
APPROVALS_PER_MESSAGE = 500


class ApprovalsRequestMessage(BaseModel):
    """A firm's "request approval for pending" (R6), fanned out by the send function per account."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["approvals_request"] = "approvals_request"
    firm_id: str = Field(pattern=EXTERNAL_ID_PATTERN)
    request_id: str = Field(pattern=REQUEST_ID)
    actor: str = Field(pattern=EXTERNAL_ID_PATTERN)
    message: str | None = Field(default=None, max_length=5000)
    account_ids: list[Annotated[str, Field(pattern=ACCOUNT_ID)]] | None = Field(default=None, max_length=1000)


class AccountApprovalsMessage(BaseModel):
    """One account's share of an approval request: one email listing these documents."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["account_approvals"] = "account_approvals"
    firm_id: str = Field(pattern=EXTERNAL_ID_PATTERN)
    account_id: str = Field(pattern=ACCOUNT_ID)
    item_ids: list[Annotated[str, Field(pattern=ITEM_ID)]] = Field(min_length=1, max_length=APPROVALS_PER_MESSAGE)
    part: int = Field(default=0, ge=0, le=1000)
    request_id: str = Field(pattern=REQUEST_ID)
    actor: str = Field(pattern=EXTERNAL_ID_PATTERN)
    message: str | None = Field(default=None, max_length=5000)

    @property
    def round_key(self) -> str:
        return f"approvals:{self.request_id}" + (f":{self.part}" if self.part else "")


class RescheduleMessage(BaseModel):
    """The firm's sending hours or time zone, or an account's time zone, changed (SPEC R16): the
    send function brings its pending items' sending windows up to date (reminders/clients/rescheduling.py).
    `after` continues a pass that ran out of time, after that page of the pending index."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    type: Literal["reschedule"] = "reschedule"
    firm_id: str = Field(pattern=EXTERNAL_ID_PATTERN)
    account_id: str | None = Field(default=None, pattern=ACCOUNT_ID)
    after: str | None = Field(default=None, min_length=1, max_length=2048)


AnySendMessage = (
    ScheduledEmailMessage | ManualEmailMessage | ApprovalsRequestMessage | AccountApprovalsMessage | RescheduleMessage
)
SendQueueMessage = Annotated[AnySendMessage, Field(discriminator="type")]


@cache
def _send_queue_messages() -> TypeAdapter[AnySendMessage]:
    return TypeAdapter(SendQueueMessage)


def parse_send_message(body: str) -> AnySendMessage:
    """A send-queue message body, validated (pydantic ValidationError otherwise).

    Validators are built on first use, not at import: the scan and the api only ever write these.
    """
    return _send_queue_messages().validate_json(body)


class JobEnteredStage(BaseModel):
    """The detail of the JobEnteredStage event (SPEC §4): a job entered a stage; `entry_id` is
    unique per entry, and the stage's automations run once per entry. What the product publishes
    also carries `event_id` (= entry_id) and `at` (schemas/JobEnteredStage.schema.json); other
    systems may publish just these fields, and anything more is ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, defer_build=True)

    firm_id: str = Field(pattern=EXTERNAL_ID_PATTERN)
    pipeline_id: str = Field(pattern=r"^pl_[0-9a-f]{32}$")
    stage_id: str = Field(pattern=r"^stg_[0-9a-f]{32}$")
    job_id: str = Field(pattern=r"^job_[0-9a-f]{32}$")
    account_id: str = Field(pattern=ACCOUNT_ID)
    entry_id: str = Field(pattern=r"^ent_[0-9a-f]{32}$")


class JobEnteredStageEvent(BaseModel):
    """The EventBridge envelope. Any source may publish it; the rule matches the detail-type."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore", defer_build=True)

    detail_type: Literal["JobEnteredStage"] = Field(alias="detail-type")
    source: str = Field(min_length=1)
    detail: JobEnteredStage
