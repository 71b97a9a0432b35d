"""Domain errors. They carry no HTTP knowledge: the API maps them to status codes in one table."""

from __future__ import annotations


class DomainError(Exception):
    """Base for errors a caller can act on."""


class Unauthenticated(DomainError):
    """The request carries no usable identity."""


class NotFound(DomainError):
    def __init__(self, what: str, identifier: str) -> None:
        super().__init__(f"{what} {identifier} was not found")
        self.what = what
        self.identifier = identifier


class StateConflict(DomainError):
    """The request does not fit what is stored: the entity's state (SPEC §3 table), or a field
    naming or clashing with stored data (a template of another kind, an address already on the
    account). `field` names the request field when one is to blame."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class DomainTaken(StateConflict):
    """Another firm holds the sending domain (SPEC R21)."""

    def __init__(self, domain: str) -> None:
        super().__init__(f"{domain} is another firm's sending domain", field="domain")
        self.domain = domain


class RateLimited(DomainError):
    """The caller asked again too soon (SPEC R18); it may try again after `retry_after_seconds`."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class InvalidInput(DomainError):
    """Input that passed schema validation but breaks a domain rule; `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class MalformedRequest(DomainError):
    """A request that cannot be read (a malformed header, say); `field` names the culprit."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class InvalidPageToken(DomainError):
    def __init__(self) -> None:
        super().__init__("next_token is not a token this listing issued")


class ConcurrentModification(Exception):
    """An optimistic-lock condition failed: somebody else wrote first. Callers re-read and retry."""


class DeliveryInProgress(Exception):
    """Another worker holds the delivery lease for this email round; retry later."""


class StorageUnavailable(Exception):
    """The database did not do what was asked (an internal error or throttling after its own
    retries, a read left partly unprocessed): nothing can be concluded from it; retry later."""


class RoundNotRecorded(Exception):
    """Mail went out but its progress or record could not be written: the round must be finished
    later (by the send queue), never emailed again."""


class DailyCapReached(Exception):
    """The firm has used up its daily email cap (SPEC R18): an automatic round waits for the next
    day; a manual request is refused (429). Not a refusal by the mail service."""

    def __init__(self, firm_id: str, retry_after_seconds: int) -> None:
        super().__init__(f"firm {firm_id} has sent its daily email cap; emailing resumes in {retry_after_seconds} s")
        self.firm_id = firm_id
        self.retry_after_seconds = retry_after_seconds
