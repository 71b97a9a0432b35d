"""Ports for the world outside storage: sending mail and queueing work for the send function."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to: str
    sender: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


class MailRejected(Exception):
    """The mail service refused this message for good (bad address, rejected content)."""


class MailUnavailable(Exception):
    """The mail service could not take the message now (throttled, paused, unreachable): retry."""


class Mailer(ABC):
    @abstractmethod
    def send(self, email: OutgoingEmail) -> str:
        """Send one email; returns the provider's message id."""


class SendQueue(ABC):
    @abstractmethod
    def enqueue(self, bodies: Sequence[str]) -> int:
        """Queue message bodies for the send function, in batches; returns how many failed."""


class PublishFailed(Exception):
    """The event bus did not take the event."""


class EventPublisher(ABC):
    @abstractmethod
    def publish(self, detail_type: str, detail: dict[str, str]) -> None:
        """Put one event on the service's bus; raises PublishFailed if it was not accepted."""
