"""Ports for the world outside storage: sending mail, queueing work for the send function, and the
event bus."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from portal_reminders.models.domain_events import DomainEvent


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


class EventBus(ABC):
    """The product's event bus (SPEC R17)."""

    @abstractmethod
    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        """Put the events on the bus, in order, in as few requests as the bus allows.

        Returns one entry per event: None when the bus accepted it, else why not. Once a request
        has a failure, the events after that request are not sent (and say so), so that a retry
        sends as few events as possible again.
        """
