"""What the domain needs from storage. The pynamodb implementation is in dynamo.py; tests may pass
fakes. Every method takes the firm id: there is no way to ask for another firm's records."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import field
from datetime import date, datetime
from typing import Generic, TypeVar

from portal_reminders.models.domain import (
    DEFAULT_TIME_ZONE,
    Account,
    ActionItem,
    AuditEvent,
    Claim,
    DomainClaim,
    EmailStage,
    EmailWording,
    Firm,
    ItemRef,
    Job,
    Kind,
    Pipeline,
    SendingWindow,
    Status,
    Template,
    WordingKey,
)
from portal_reminders.models.values import dataclass

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None = None


@dataclass(frozen=True, slots=True)
class DeliverySnapshot:
    """Everything one email round needs, read in one request; and the firm's own wordings for the
    item's kind in the account's language, by stage (read only when the firm has some: SPEC R21)."""

    item: ActionItem | None
    account: Account | None
    firm: Firm | None
    wordings: Mapping[EmailStage, EmailWording] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AccountRoundSnapshot:
    """An account-wide email round (the bulk approval request): the account, its firm, the items."""

    account: Account | None
    firm: Firm | None
    items: list[ActionItem]


@dataclass(frozen=True, slots=True)
class DueEntry:
    """A due item as the due index shows it (a projection: just enough to claim and enqueue it)."""

    ref: ItemRef
    next_reminder_at: int
    notified: bool
    reminders_sent: int
    claim: Claim | None
    give_up_by: int | None = None  # epoch seconds: the mail service refused the claimed round

    @property
    def number(self) -> int:
        return self.reminders_sent + 1 if self.notified else 0


class WordingRepository(ABC):
    """The firm's own wordings of its emails (SPEC R21), one per kind, stage and language."""

    @abstractmethod
    def get_wording(self, firm_id: str, key: WordingKey) -> EmailWording | None: ...

    @abstractmethod
    def list_wordings(self, firm_id: str) -> list[EmailWording]:
        """Every wording of the firm (at most one per kind, stage and language), in key order."""

    @abstractmethod
    def save_wording(self, firm: Firm, wording: EmailWording) -> Firm:
        """Write the wording and the firm (marking it: `firm.wordings`), in one transaction, if the
        firm is still at the version it was read at (else ConcurrentModification); returns the firm."""

    @abstractmethod
    def delete_wording(self, firm: Firm, key: WordingKey, at: datetime, by: str) -> Firm:
        """As save_wording, for a wording deleted (its mark off `firm.wordings`)."""


class FirmRepository(ABC):
    @abstractmethod
    def get_firm(self, firm_id: str) -> Firm | None: ...

    @abstractmethod
    def save_firm(self, firm: Firm) -> Firm:
        """Write the firm if nobody wrote it since it was read (its `version`), else raise
        ConcurrentModification; returns it with its new version."""

    @abstractmethod
    def get_domain_claim(self, domain: str) -> DomainClaim | None: ...

    @abstractmethod
    def save_firm_claiming(self, firm: Firm, claim: DomainClaim, released: DomainClaim | None) -> Firm:
        """In one transaction: the firm (as save_firm), its claim on `claim.domain` (the domain
        unclaimed or already the firm's, else DomainTaken), and `released`, the claim it gives up
        (if still its own)."""

    @abstractmethod
    def save_released_claim(self, claim: DomainClaim) -> None:
        """Rewrite a released claim (nobody's), if it is still nobody's; else change nothing."""


class AccountRepository(ABC):
    @abstractmethod
    def get_account(self, firm_id: str, account_id: str) -> Account | None: ...

    @abstractmethod
    def save_account(self, account: Account) -> Account:
        """Create (version 0) or replace the version read; ConcurrentModification if it moved on."""


class SuppressionRepository(ABC):
    """Writes a contact's suppression with its audit event (SPEC R15)."""

    @abstractmethod
    def save_suppression(self, account: Account, events: Sequence[AuditEvent]) -> Account:
        """Replace the account at the version read and add the audit events, in one transaction;
        ConcurrentModification if the account moved on or an event is already written."""


class ItemRepository(ABC):
    @abstractmethod
    def get_item(self, firm_id: str, item_id: str) -> ActionItem | None: ...

    @abstractmethod
    def load_for_delivery(self, ref: ItemRef) -> DeliverySnapshot: ...

    @abstractmethod
    def load_for_deliveries(self, refs: Sequence[ItemRef]) -> dict[ItemRef, DeliverySnapshot]:
        """The snapshots of a whole batch of rounds in as few reads as possible."""

    @abstractmethod
    def save_item(self, item: ActionItem, events: Sequence[AuditEvent] = ()) -> ActionItem:
        """Write the item (and its audit events, atomically) if nobody wrote it since it was read.

        Returns the item at its new version; raises ConcurrentModification otherwise.
        """

    @abstractmethod
    def get_items(self, firm_id: str, item_ids: Sequence[str]) -> list[ActionItem]:
        """The items that exist among `item_ids` (batched reads), in no particular order."""

    @abstractmethod
    def list_items(
        self, firm_id: str, account_id: str, status: Status | None, limit: int, token: str | None
    ) -> Page[ActionItem]: ...

    @abstractmethod
    def list_tasks(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[TaskEntry]: ...

    @abstractmethod
    def item_audit(self, firm_id: str, item_id: str, limit: int, token: str | None) -> Page[AuditEvent]: ...

    @abstractmethod
    def account_audit(self, firm_id: str, account_id: str, limit: int, token: str | None) -> Page[AuditEvent]: ...


class WorklistRepository(ABC):
    @abstractmethod
    def worklist(
        self, firm_id: str, wanted: WorklistFilter, now: datetime, limit: int, token: str | None
    ) -> Page[WorkEntry]:
        """The firm's items across its accounts, by status, then earliest due first (escalated or not);
        read by Query on the worklist index (never a Scan), about one entry past the page."""


class DueItemsRepository(ABC):
    """The scan's view: the sparse, sharded due index and conditional claims."""

    @abstractmethod
    def due_entries(self, shard: str, now: datetime) -> Iterator[DueEntry]: ...

    @abstractmethod
    def claim(self, entry: DueEntry, claim: Claim) -> bool:
        """Claim the entry's next email if nobody changed the item since the index showed it."""

    @abstractmethod
    def give_up(self, entry: DueEntry, event: AuditEvent) -> bool:
        """Record that the entry's email failed for good and take it off the due index."""

    @abstractmethod
    def release(self, entry: DueEntry, claim: Claim) -> bool:
        """Undo `claim` (its message could not be queued): the item is as due as the index showed it."""


@dataclass(frozen=True, slots=True)
class ScanLease:
    """This scan holds the lock; `cursor` is the shard it starts at; `in_flight` the message bodies
    a scan that died was queueing (queued again now: the send function ignores duplicates)."""

    owner: str
    cursor: int
    in_flight: list[str]


class ScanStateRepository(ABC):
    @abstractmethod
    def lock(self, owner: str, now: datetime, until: datetime) -> ScanLease | None:
        """Take the scan lock until `until`, or None while another scan holds it."""

    @abstractmethod
    def note_in_flight(self, owner: str, bodies: Sequence[str]) -> None:
        """Remember the messages about to be claimed and queued, until the next note or release."""

    @abstractmethod
    def unlock(self, owner: str, cursor: int, keep_in_flight: bool = False) -> None:
        """Free the lock; the next scan starts at shard `cursor`."""


@dataclass(frozen=True, slots=True)
class TaskEntry:
    """An item on the client's portal task list, as the task index shows it."""

    item_id: str
    kind: Kind
    title: str
    last_emailed_at: datetime | None
    due_date: date | None = None


@dataclass(frozen=True, slots=True)
class WorkEntry:
    """An item on the firm's worklist (SPEC R19), as the worklist index shows it."""

    item_id: str
    account_id: str
    kind: Kind
    title: str
    status: Status
    due_date: date | None
    overdue_from: datetime | None  # when the item is overdue (None: no due date)
    escalated_at: datetime | None


@dataclass(frozen=True, slots=True)
class WorklistFilter:
    """Which of the firm's items the worklist shows: None is either way."""

    status: Status | None = None
    overdue: bool | None = None
    escalated: bool | None = None


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """A pending item as the pending index shows it: whose it is, and the client's time it saw."""

    account_id: str
    item_id: str
    window: SendingWindow | None
    zone: str = DEFAULT_TIME_ZONE
    paused_until: date | None = None


@dataclass(frozen=True, slots=True)
class ClientSnapshot:
    """A firm, some of its accounts and items, read together (consistently, in one request): a
    window worked out from these firm and account records is at least as new as these items."""

    firm: Firm | None
    accounts: Mapping[str, Account]
    items: list[ActionItem]


class ClientTimeRepository(ABC):
    """What the client's time needs (SPEC R16): the firm and an account at once, and the firm's
    pending items with the sending window each last saw."""

    @abstractmethod
    def load_clients(self, firm_id: str, account_ids: Collection[str], item_ids: Collection[str]) -> ClientSnapshot:
        """The firm, these accounts and these items, in as few consistent reads as possible."""

    @abstractmethod
    def pending_entries(
        self, firm_id: str, account_id: str | None, limit: int, token: str | None
    ) -> Page[PendingEntry]:
        """A page of the firm's pending items (only the account's, when given), by account."""


class TemplateRepository(ABC):
    @abstractmethod
    def get_template(self, firm_id: str, template_id: str) -> Template | None: ...

    @abstractmethod
    def save_template(self, template: Template) -> Template:
        """Create (version 0) or replace the version read; ConcurrentModification if it moved on."""

    @abstractmethod
    def list_templates(self, firm_id: str, limit: int, token: str | None) -> Page[Template]: ...


class PipelineRepository(ABC):
    @abstractmethod
    def get_pipeline(self, firm_id: str, pipeline_id: str) -> Pipeline | None: ...

    @abstractmethod
    def create_pipeline(self, pipeline: Pipeline) -> Pipeline: ...

    @abstractmethod
    def get_job(self, firm_id: str, job_id: str) -> Job | None: ...

    @abstractmethod
    def save_job(self, job: Job) -> Job:
        """Create (version 0) or replace the version read; ConcurrentModification if it moved on."""


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the publisher reads besides the stream: items (kind, title) and accounts (contact ids),
    keyed by (firm id, item id) and (firm id, account id). Missing keys did not exist."""

    items: Mapping[tuple[str, str], ActionItem]
    accounts: Mapping[tuple[str, str], Account]


class EventFactsRepository(ABC):
    @abstractmethod
    def event_facts(self, items: Collection[tuple[str, str]], accounts: Collection[tuple[str, str]]) -> EventFacts:
        """Consistent reads of these items and accounts, batched."""


class ApprovalRepository(ABC):
    """The sparse index of documents pending approval, and account-wide email rounds."""

    @abstractmethod
    def pending_approvals(self, firm_id: str, account_id: str | None = None) -> Iterator[tuple[str, str]]:
        """(account id, item id) of every document pending approval, by account."""

    @abstractmethod
    def load_account_round(self, firm_id: str, account_id: str, item_ids: Sequence[str]) -> AccountRoundSnapshot: ...


class SendTimeline(ABC):
    """The mail account's send rate as one timeline that every worker books its sends on, so that
    all concurrent functions together stay within the rate (SPEC R14)."""

    @abstractmethod
    def reserve(self, now: datetime, seconds: float, max_wait: float) -> datetime | None:
        """Book `seconds` of the timeline starting as soon as it is free; returns when the booking
        starts, or None (nothing booked) when that would be more than `max_wait` seconds away."""

    @abstractmethod
    def push_back(self, now: datetime, seconds: float) -> None:
        """The mail service throttled us anyway: nobody sends for `seconds` more."""


class DailyEmailCounter(ABC):
    """Emails each firm sent per day, counted before they are sent (SPEC R18's daily cap)."""

    @abstractmethod
    def add_emails(self, firm_id: str, day: date, emails: int, cap: int) -> bool:
        """Count `emails` more for the firm's day if that keeps it within `cap`; False (nothing
        counted) otherwise."""

    @abstractmethod
    def emails_sent(self, firm_id: str, day: date) -> int:
        """How many the firm's day has counted so far."""
