"""Ports for the world outside storage: sending mail, the mail account's limits and its sending
identities (the firms' domains), queueing work for the send function, and the event bus."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from portal_reminders.models.domain import DomainStatus
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
    """The mail service refused this message for good because of its recipient's address (one it
    cannot parse, one it will not send to): that contact is not emailed for this round."""


class MailUnavailable(Exception):
    """The mail service could not take the message now (throttled, quota used up, account paused,
    unreachable): the round waits and retries with backoff (SPEC R14)."""


class MailThrottled(MailUnavailable):
    """The mail service said we are sending too fast: everyone slows down."""


class MailMisconfigured(MailUnavailable):
    """The mail service refused the request because of the product's own request or configuration (a
    tag it refuses, an unknown configuration set, an unverified sender, a message too large): no
    contact's address is at fault, so nobody is marked rejected. The round waits and retries like
    any refusal (SPEC R14, R22) while an operator, alarmed, fixes the cause."""


class SendRateExceeded(MailUnavailable):
    """Our own pacing: the account's send rate is booked further ahead than a worker may wait.
    Not a refusal by the mail service, so it does not start the round's retry horizon."""


class Mailer(ABC):
    @abstractmethod
    def send(self, email: OutgoingEmail) -> str:
        """Send one email; returns the provider's message id."""


@dataclass(frozen=True, slots=True)
class SendQuota:
    """What the mail account may send (SES GetAccount): per second, per rolling day, and whether
    it may send at all (SES pauses an account whose bounce or complaint rate is too high)."""

    max_send_rate: float
    max_24_hour_send: float  # <= 0: unlimited
    sent_last_24_hours: float
    sending_enabled: bool = True


class MailAccount(ABC):
    @abstractmethod
    def quota(self) -> SendQuota | None:
        """The account's current limits, or None when the mail service will not say."""


@dataclass(frozen=True, slots=True)
class MailIdentity:
    """A domain as the mail service knows it: whether mail may go from it yet, and the DKIM
    tokens whose CNAME records (<token>._domainkey.<domain> -> <token>.<zone>) prove the domain's
    owner wants it."""

    status: DomainStatus
    dkim_tokens: tuple[str, ...]
    dkim_zone: str | None = None


class IdentityExists(Exception):
    """The mail service's account already has an identity for the domain."""


class IdentityNotFound(Exception):
    """The mail service's account has no identity for the domain."""


class MailIdentities(ABC):
    """The mail service's sending identities for the firms' own domains (SPEC R21). Calls the
    service refuses for now (throttled) raise MailUnavailable."""

    @abstractmethod
    def create_domain(self, domain: str) -> MailIdentity:
        """Start verifying the domain with DKIM keys the mail service keeps (IdentityExists if it
        is already an identity)."""

    @abstractmethod
    def get(self, domain: str) -> MailIdentity:
        """The domain's identity as it is now (IdentityNotFound if there is none)."""

    @abstractmethod
    def delete(self, domain: str) -> None:
        """Forget the domain's identity (none is fine): no mail may go from it any more."""


class SendQueue(ABC):
    @abstractmethod
    def enqueue(self, bodies: Sequence[str]) -> list[str]:
        """Queue message bodies for the send function, in batches; returns the ones not queued."""

    @abstractmethod
    def retry_later(self, delays: Sequence[tuple[str, int]]) -> None:
        """(receipt handle, seconds): received messages come back after their delay, not before."""

    @abstractmethod
    def dead_letter(self, bodies: Sequence[str]) -> list[str]:
        """Move messages no retry can fix straight to the dead-letter queue; returns those not moved."""


class EventBus(ABC):
    """The product's event bus (SPEC R17)."""

    @abstractmethod
    def put(self, events: Sequence[DomainEvent]) -> list[str | None]:
        """Put the events on the bus, in order, in as few requests as the bus allows.

        Returns one entry per event: None when the bus accepted it, else why not. Once a request
        has a failure, the events after that request are not sent (and say so), so that a retry
        sends as few events as possible again.
        """
