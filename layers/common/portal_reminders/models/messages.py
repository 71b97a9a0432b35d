"""The send queue's message contract, between its producers (scan, api) and the send function."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from portal_reminders.ids import EXTERNAL_ID_PATTERN
from portal_reminders.models.domain import EmailRound, ItemRef

ITEM_ID = r"^itm_[0-9a-f]{32}$"
ACCOUNT_ID = r"^acc_[0-9a-f]{32}$"
RESEND_ID = r"^rs_[0-9a-f]{32}$"


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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


SendQueueMessage = Annotated[ScheduledEmailMessage | ManualEmailMessage, Field(discriminator="type")]
SEND_QUEUE_MESSAGE: TypeAdapter[ScheduledEmailMessage | ManualEmailMessage] = TypeAdapter(SendQueueMessage)
