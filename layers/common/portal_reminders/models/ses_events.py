"""The mail service's events about a mail we sent, as EventBridge delivers them from the stack's
SES configuration set (SPEC R15): source `aws.ses`, detail-type `Email Bounced` / `Email Complaint
Received` (and the others the configuration set publishes), detail `{eventType, mail: {messageId,
destination, tags: {name: [value]}, timestamp}, bounce: {bounceType, bouncedRecipients:
[{emailAddress}], timestamp}, complaint: {complainedRecipients: [{emailAddress}], timestamp}}`.

Only what suppression needs is read; every other field is ignored, so SES adding fields changes
nothing. An event that is not shaped like this is reported (MalformedFeedback) and dropped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

SOURCE = "aws.ses"


class MalformedFeedback(ValueError):
    """Not an SES event this product can read; nothing was changed."""


class FeedbackKind(StrEnum):
    BOUNCE = "Bounce"
    COMPLAINT = "Complaint"
    OTHER = "Other"  # delivery, reject, delivery delay, ...: nothing to do


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Recipient(_Lenient):
    email_address: str = Field(alias="emailAddress", min_length=1)


class _Mail(_Lenient):
    message_id: str = Field(alias="messageId", min_length=1)
    timestamp: AwareDatetime | None = None
    # SES publishes each tag as a list of values
    tags: dict[str, list[str]] = Field(default_factory=dict)


class _Bounce(_Lenient):
    bounce_type: str = Field(alias="bounceType")
    recipients: list[_Recipient] = Field(alias="bouncedRecipients", default_factory=list)
    timestamp: AwareDatetime | None = None


class _Complaint(_Lenient):
    recipients: list[_Recipient] = Field(alias="complainedRecipients", default_factory=list)
    timestamp: AwareDatetime | None = None


class _Detail(_Lenient):
    event_type: str = Field(alias="eventType")
    mail: _Mail
    bounce: _Bounce | None = None
    complaint: _Complaint | None = None


class _SesEvent(_Lenient):
    source: str
    time: AwareDatetime
    detail: _Detail


@dataclass(frozen=True, slots=True)
class MailFeedback:
    """What the mail service said about one mail."""

    kind: FeedbackKind
    message_id: str
    at: datetime  # when the bounce or complaint happened (else when EventBridge got the event)
    recipients: tuple[str, ...] = ()  # the addresses it is about
    permanent: bool = False  # a hard bounce, or a complaint: the address must not be mailed again
    bounce_type: str | None = None
    mail_sent_at: datetime | None = None
    tags: Mapping[str, str] = field(default_factory=dict)  # each tag's first value

    @property
    def key(self) -> str:
        """Names the event for idempotency: one mail bounces once and is complained about once, and
        SES delivering the same event again gives the same key."""
        return f"{self.kind.value.lower()}:{self.message_id}"


def parse_feedback(event: Any) -> MailFeedback:
    try:
        parsed = _SesEvent.model_validate(event)
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'event'}: {e['msg']}" for e in error.errors())
        raise MalformedFeedback(f"not an SES event as EventBridge delivers it: {problems}") from error
    if parsed.source != SOURCE:
        raise MalformedFeedback(f"source is {parsed.source!r}, not {SOURCE}")
    detail = parsed.detail
    tags = {name: values[0] for name, values in detail.mail.tags.items() if values}
    common: dict[str, Any] = {"message_id": detail.mail.message_id, "mail_sent_at": detail.mail.timestamp, "tags": tags}
    if detail.event_type == FeedbackKind.BOUNCE.value:
        if detail.bounce is None:
            raise MalformedFeedback("a Bounce event without its bounce object")
        return MailFeedback(
            kind=FeedbackKind.BOUNCE,
            at=detail.bounce.timestamp or parsed.time,
            recipients=tuple(r.email_address for r in detail.bounce.recipients),
            permanent=detail.bounce.bounce_type == "Permanent",
            bounce_type=detail.bounce.bounce_type,
            **common,
        )
    if detail.event_type == FeedbackKind.COMPLAINT.value:
        if detail.complaint is None:
            raise MalformedFeedback("a Complaint event without its complaint object")
        return MailFeedback(
            kind=FeedbackKind.COMPLAINT,
            at=detail.complaint.timestamp or parsed.time,
            recipients=tuple(r.email_address for r in detail.complaint.recipients),
            permanent=True,
            **common,
        )
    return MailFeedback(kind=FeedbackKind.OTHER, at=parsed.time, **common)
