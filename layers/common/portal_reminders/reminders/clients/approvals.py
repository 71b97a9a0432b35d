"""Request approval for pending (R6): one email per account listing all its documents pending
approval, an audit event per document, and each counts as a manual reminder.

Large firms have thousands of pending documents, so the api only counts them and queues one
request; the send function fans it out into one message per account and emails each account.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from portal_reminders import budget, ids
from portal_reminders.clock import now as clock_now
from portal_reminders.models.domain import Account, ActionItem, Contact, Delivery, Firm
from portal_reminders.models.errors import (
    ConcurrentModification,
    DeliveryInProgress,
)
from portal_reminders.models.messages import (
    APPROVALS_PER_MESSAGE,
    AccountApprovalsMessage,
    ApprovalsRequestMessage,
    to_body,
)
from portal_reminders.observability import logger
from portal_reminders.ports import Mailer, OutgoingEmail, SendQueue
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.reminders.delivery import compose, mail_tags
from portal_reminders.reminders.delivery.daily_cap import Allowance, DailyCap
from portal_reminders.reminders.delivery.mailing import RoundMailer
from portal_reminders.reminders.delivery.pacing import SendPacer
from portal_reminders.reminders.scheduling import policy
from portal_reminders.reminders.state import rounds, transitions
from portal_reminders.repository.ports import AccountRepository, ApprovalRepository, ItemRepository
from portal_reminders.settings import Settings


@dataclass(frozen=True, slots=True)
class ApprovalCounts:
    accounts: int
    documents: int


class QueueingFailed(Exception):
    """Some per-account messages could not be queued; the whole fan-out is retried."""


class ApprovalService:
    def __init__(
        self,
        approvals: ApprovalRepository,
        accounts: AccountRepository,
        items: ItemRepository,
        mailer: Mailer,
        pacer: SendPacer,
        cap: DailyCap,
        queue: SendQueue,
        settings: Settings,
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._cap = cap
        self._approvals = approvals
        self._accounts = accounts
        self._items = items
        self._rounds = RoundMailer(mailer, pacer, settings.give_up_by)
        self._queue = queue
        self._settings = settings
        self._now = now

    def request_pending(
        self, firm_id: str, actor: str, message: str | None, account_ids: Sequence[str] | None
    ) -> ApprovalCounts:
        """Count what will be emailed and queue the request (the api answers 202 with the counts).
        Unknown or other firms' account ids simply match nothing."""
        wanted = None if account_ids is None else [a for a in dict.fromkeys(account_ids) if ids.is_id(a, ids.ACCOUNT)]
        groups = self._pending_by_account(firm_id, wanted)
        counts = ApprovalCounts(accounts=len(groups), documents=sum(len(v) for v in groups.values()))
        if counts.documents:
            # a firm past its daily email cap is refused now (429), not queued for later
            self._cap.check(firm_id)
            request = ApprovalsRequestMessage(
                firm_id=firm_id, request_id=ids.new_id(ids.REQUEST), actor=actor, message=message, account_ids=wanted
            )
            if self._queue.enqueue([to_body(request)]):
                raise QueueingFailed("the approval request could not be queued")
        return counts

    def fan_out(self, request: ApprovalsRequestMessage) -> int:
        """One message per account (and per APPROVALS_PER_MESSAGE documents). Running it twice
        queues duplicates, which the per-account round ignores (keyed on the request)."""
        groups = self._pending_by_account(request.firm_id, request.account_ids)
        bodies = [
            to_body(
                AccountApprovalsMessage(
                    firm_id=request.firm_id,
                    account_id=account_id,
                    item_ids=item_ids[start : start + APPROVALS_PER_MESSAGE],
                    part=start // APPROVALS_PER_MESSAGE,
                    request_id=request.request_id,
                    actor=request.actor,
                    message=request.message,
                )
            )
            for account_id, item_ids in groups.items()
            for start in range(0, len(item_ids), APPROVALS_PER_MESSAGE)
        ]
        if self._queue.enqueue(bodies):
            raise QueueingFailed(f"some of {len(bodies)} account messages could not be queued")
        logger.info("approval request fanned out", extra={"request_id": request.request_id, "messages": len(bodies)})
        return len(bodies)

    def deliver_account(self, request: AccountApprovalsMessage, allowance: Allowance | None = None) -> str:
        """Email the account once about its documents, then record each document."""
        key = request.round_key
        snapshot = self._approvals.load_account_round(request.firm_id, request.account_id, request.item_ids)
        account = snapshot.account
        documents = self._open_documents(snapshot.items, key)
        if account is None or key in account.done_keys or not documents:
            return "skipped"
        now = self._now()
        current = account.deliveries.get(key)
        if rounds.held_by_another(current, now):
            raise DeliveryInProgress(f"{account.id} {key}")
        if rounds.past_retry_horizon(current, now, self._settings.give_up_after):
            self._give_up(account, documents, request, key, now)
            return "failed"
        owed = rounds.to_email(account.notify_contacts, current)
        progress = rounds.skipping(rounds.begin(current, now, self._settings.delivery_lease), account.notify_contacts)
        if owed:
            # past the firm's daily cap the request waits for the next day (DailyCapReached)
            with self._cap.drawing_on(allowance) as drawn_on:
                account, progress = self._email(
                    account, snapshot.firm, documents, request, key, now, owed, progress, drawn_on
                )
        # everyone emailed is remembered before the documents are recorded (a retry emails no one)
        progress = rounds.paused(rounds.settle(progress), now, refused=False)
        self._accounts.save_account(transitions.with_delivery(account, key, progress))
        for document in documents:
            budget.check()
            self._record(document, key, now, request, progress)
        with_retries(lambda: self._finish(request, key))
        return "sent"

    def _give_up(
        self,
        account: Account,
        documents: list[ActionItem],
        request: AccountApprovalsMessage,
        key: str,
        now: datetime,
    ) -> None:
        """The mail service refused the round for the whole retry horizon: each document records who
        got the email (if anyone) and an email_failed event for the rest; nothing retries it."""
        current = rounds.settle(account.deliveries[key])
        reason = f"the mail service refused it since {current.started_at:%Y-%m-%dT%H:%M:%SZ}"
        missing = {c.email: reason for c in rounds.to_email(account.notify_contacts, current)}
        progress = replace(current, rejected={**current.rejected, **missing})
        for document in documents:
            self._record(document, key, now, request, progress)
        with_retries(lambda: self._finish(request, key))
        logger.warning("approval request given up", extra={"account_id": account.id, "round": key})

    @staticmethod
    def _open_documents(items: list[ActionItem], key: str) -> list[ActionItem]:
        return sorted(
            (d for d in items if policy.pending_approval(d) and key not in d.done_keys), key=lambda d: (d.sent_at, d.id)
        )

    def _email(
        self,
        account: Account,
        firm: Firm | None,
        documents: list[ActionItem],
        request: AccountApprovalsMessage,
        key: str,
        now: datetime,
        owed: list[Contact],
        progress: Delivery,
        allowance: Allowance,
    ) -> tuple[Account, Delivery]:
        titles = [d.title for d in documents]
        tags = mail_tags.for_account_round(account.firm_id, account.id, documents[0].id, "approvals")
        latest = account

        def build(contact: Contact) -> OutgoingEmail:
            content = compose.render_approvals(
                account, firm, contact, titles, request.message, self._settings.portal_base_url
            )
            return compose.outgoing(content, contact, account, firm, self._settings.sender_address, tags)

        def save(state: Delivery) -> None:
            nonlocal latest
            latest = self._accounts.save_account(transitions.with_delivery(latest, key, state))

        progress = self._rounds.email(
            owed, build, progress, save, now, allowance, account.firm_id, f"{account.id} {key}"
        )
        return latest, progress

    def _record(
        self,
        document: ActionItem,
        key: str,
        at: datetime,
        request: AccountApprovalsMessage,
        progress: Delivery,
    ) -> None:
        for _ in range(5):
            updated, events = transitions.record_approval_request(
                document, key, at, request.actor, request.message, progress
            )
            try:
                self._items.save_item(updated, events)
                return
            except ConcurrentModification:
                fresh = self._items.get_item(document.firm_id, document.id)
                if fresh is None or key in fresh.done_keys:
                    return
                document = fresh
        raise ConcurrentModification(document.id)

    def _finish(self, request: AccountApprovalsMessage, key: str) -> None:
        account = self._accounts.get_account(request.firm_id, request.account_id)
        if account is not None and key not in account.done_keys:
            self._accounts.save_account(transitions.finish_delivery(account, key))

    def _pending_by_account(self, firm_id: str, account_ids: Sequence[str] | None) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = defaultdict(list)
        for account_id in account_ids if account_ids is not None else [None]:
            for found_account, item_id in self._approvals.pending_approvals(firm_id, account_id):
                groups[found_account].append(item_id)
        return dict(groups)
