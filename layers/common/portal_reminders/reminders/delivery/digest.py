"""One email per client (SPEC R20): the automatic reminders of one account due on one client
calendar day go to each notify contact as ONE email listing every item.

A digest is an account's email round, keyed `digest:<client day>` (the day's next ones
`digest:<client day>#2`, ...), like the bulk approval request (R6): the account holds its progress
(rounds.py: each contact marked before its mail service call), so each contact gets each digest at
most once under redelivery, concurrent workers, throttling halfway through the contacts, or a
failed write after the mail service accepted. Read as a line:

1. a claimed automatic reminder comes in (its own queue message, as before); the account's pending
   items are read with it, consistently (the pending index, then the records by key);
2. the digest's members are fixed when it begins and kept on the round: the claimed item, and every
   other one whose automatic reminder falls due by the end of the client's day (brought forward),
   except one emailed less than 24 hours before (R19's rule wins); with the claimed item alone,
   it is no digest: the item's own round sends its usual reminder;
3. each owed contact is emailed the digest (mailing.py);
4. each member records its own reminder (count, audit event with that mail's message id,
   ReminderSent with its tone), the claimed item last, so a retry that finds it unrecorded finishes
   the others first; then the digest's key is done. Reminders that fall due together after the
   day's digest went out (items emailed less than 24 hours before it) go as the day's next digest;
   one alone goes on its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from portal_reminders import budget
from portal_reminders.models.domain import (
    Account,
    ActionItem,
    ClientTime,
    Contact,
    Delivery,
    DigestMember,
    EmailRound,
    Firm,
    Status,
)
from portal_reminders.models.errors import ConcurrentModification, DeliveryInProgress
from portal_reminders.observability import logger
from portal_reminders.ports import OutgoingEmail
from portal_reminders.reminders.delivery import compose, mail_tags
from portal_reminders.reminders.delivery.backoff import before_rewrite
from portal_reminders.reminders.delivery.daily_cap import Allowance
from portal_reminders.reminders.delivery.mailing import RoundMailer
from portal_reminders.reminders.scheduling import client_clock, policy
from portal_reminders.reminders.state import rounds, transitions
from portal_reminders.repository.ports import AccountRepository, ClientTimeRepository, ItemRepository
from portal_reminders.settings import Settings

KEY_PREFIX = "digest:"
# The account's pending items read for a digest: pages of the pending index (an account with more
# pending items than these pages hold gets the others' reminders on their own).
PENDING_PAGE = 100
MAX_PENDING_PAGES = 10
# An item emailed less than this before is not brought forward (SPEC R19's 24 hours).
MIN_GAP = timedelta(hours=24)
WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class DigestSent:
    """A digest finished: the claimed item as recorded, the digest's mail, its members' ids, and
    why it was given up when the mail service refused it for the whole retry horizon."""

    item: ActionItem
    progress: Delivery
    members: tuple[str, ...]
    given_up: str | None = None


# Digests of one account in one client day, at most (then reminders go on their own): each needs
# two items due together, and the account's done keys (transitions.DONE_KEYS_KEPT) must hold them.
MAX_DIGESTS_A_DAY = 8


def key_of(day: date, number: int = 1) -> str:
    """The key of the day's `number`th digest."""
    return f"{KEY_PREFIX}{day.isoformat()}" + (f"#{number}" if number > 1 else "")


def day_of(key: str) -> date:
    return date.fromisoformat(key.removeprefix(KEY_PREFIX).split("#")[0])


def open_key(account: Account, day: date) -> str | None:
    """The key of the day's digest not yet done (in progress, or the next to begin), if any is left."""
    for number in range(1, MAX_DIGESTS_A_DAY + 1):
        if (key := key_of(day, number)) not in account.done_keys:
            return key
    return None


def owed_digest(account: Account | None, item_id: str, number: int) -> str | None:
    """The key of a digest in progress that lists this item's reminder `number`, if any: whatever
    became of the item since, the mail went out listing it and must be recorded."""
    if account is None:
        return None
    for key, progress in account.deliveries.items():
        member = progress.members.get(item_id)
        if key.startswith(KEY_PREFIX) and member is not None and member.number == number:
            return key
    return None


class DigestRounds:
    def __init__(
        self,
        items: ItemRepository,
        accounts: AccountRepository,
        clients: ClientTimeRepository,
        mailer: RoundMailer,
        settings: Settings,
    ) -> None:
        self._items = items
        self._accounts = accounts
        self._clients = clients
        self._mailer = mailer
        self._settings = settings

    def deliver(
        self, item: ActionItem, account: Account, firm: Firm | None, now: datetime, allowance: Allowance
    ) -> DigestSent | None:
        """Send (or finish, or give up) the digest that lists this claimed automatic reminder. None:
        no digest (the firm turned them off, or the item is the only one due today): the caller
        sends the item's own reminder. Raises DeliveryInProgress while another worker has the digest."""
        number = policy.next_number(item)
        key, day = _digest_key(account, firm, item.id, number, now)
        if key is None:
            return None
        pending = self._pending(item.firm_id, item.account_id)
        if key not in account.deliveries and set(pending) <= {item.id}:
            return None  # nothing else pending: the item's own reminder
        snapshot = self._clients.load_clients(item.firm_id, [item.account_id], [*dict.fromkeys([item.id, *pending])])
        fresh_account = snapshot.accounts.get(item.account_id)
        if fresh_account is not None and key in fresh_account.done_keys:
            # that digest went meanwhile: one listing this reminder is finished; else the day's next
            key = None if day is None else open_key(fresh_account, day)
        if fresh_account is None or key is None:
            return None
        found = {i.id: i for i in snapshot.items}
        current = fresh_account.deliveries.get(key)
        if current is not None:
            if item.id not in current.members or rounds.held_by_another(current, now):
                raise DeliveryInProgress(f"{item.account_id} {key}")
            members = dict(current.members)
            # a member the client acted on since the digest began has left the pending index, but
            # whoever got the digest got its reminder: it is listed and recorded like the others
            for member_id in members.keys() - found.keys():
                if (member := self._items.get_item(item.firm_id, member_id)) is not None:
                    found[member_id] = member
        else:
            client = client_clock.client_time(snapshot.firm, fresh_account)
            claimed = found.get(item.id)
            if (
                claimed is None
                or policy.escalating(claimed)
                or policy.skip_reason_for_scheduled(
                    transitions.seen_client(claimed, client), number, now, client.window, client.paused_until
                )
            ):
                # it changed since the batch read it (or its round now tells the firm): its own
                # round decides, on a fresh read
                return None
            members = _members(claimed, found.values(), key, client, now)
            if len(members) < 2:
                return None
        progress = rounds.begin(current, now, self._settings.delivery_lease)
        progress = replace(progress, members=members)
        return self._send(item.id, found, fresh_account, snapshot.firm, key, progress, now, allowance)

    def _pending(self, firm_id: str, account_id: str) -> list[str]:
        """The account's pending items (their ids), from the pending index, page by page."""
        found: list[str] = []
        token: str | None = None
        for _ in range(MAX_PENDING_PAGES):
            page = self._clients.pending_entries(firm_id, account_id, PENDING_PAGE, token)
            found += [e.item_id for e in page.items]
            token = page.next_token
            if token is None:
                break
        return found

    def _send(
        self,
        trigger_id: str,
        found: Mapping[str, ActionItem],
        account: Account,
        firm: Firm | None,
        key: str,
        progress: Delivery,
        now: datetime,
        allowance: Allowance,
    ) -> DigestSent:
        contacts = list(account.notify_contacts)
        current = account.deliveries.get(key)
        if current is not None and rounds.past_retry_horizon(current, now, self._settings.give_up_after):
            return self._give_up(trigger_id, found, account, key, current, now)
        owed = rounds.to_email(contacts, current)
        progress = rounds.skipping(progress, contacts)
        listed = [(found[i], m) for i, m in progress.members.items() if i in found]
        if owed and listed:
            account, progress = self._email(account, firm, listed, key, now, owed, progress, allowance)
        # everyone emailed is remembered, with the answers, before the items are recorded: a retry
        # emails no one and records the same message ids
        progress = rounds.paused(rounds.settle(progress), now, refused=False)
        account = self._save_progress(account, key, progress)
        sent = self._record_members(trigger_id, found, account, key, progress, now)
        logger.info(
            "digest recorded",
            extra={
                "account_id": account.id,
                "round": key,
                "items": len(sent.members),
                "recipients": len(progress.delivered),
            },
        )
        return sent

    def _give_up(
        self,
        trigger_id: str,
        found: Mapping[str, ActionItem],
        account: Account,
        key: str,
        current: Delivery,
        now: datetime,
    ) -> DigestSent:
        """The mail service refused the digest for the whole retry horizon (SPEC R14): each member
        records the reminder for the contacts it reached, the others as failed (nobody reached: the
        member is email_failed), and nothing retries it any more."""
        reason = rounds.give_up_reason(current, self._settings.give_up_after)
        contacts = tuple(c.email for c in account.notify_contacts)
        sent = self._record_members(trigger_id, found, account, key, rounds.settle(current), now, (reason, contacts))
        logger.warning("digest given up", extra={"account_id": account.id, "round": key, "reason": reason})
        return replace(sent, given_up=reason)

    def _record_members(
        self,
        trigger_id: str,
        found: Mapping[str, ActionItem],
        account: Account,
        key: str,
        progress: Delivery,
        now: datetime,
        given_up: tuple[str, Sequence[str]] | None = None,
    ) -> DigestSent:
        """Each member records its own reminder from the digest's mail, then the day's key is done."""
        # the claimed item last: while it is unrecorded, its message's retry comes back here
        order = sorted(progress.members, key=lambda i: i == trigger_id)
        recorded = {
            i: self._record(found.get(i), i, account.firm_id, progress.members[i], now, progress, given_up)
            for i in order
        }
        self._finish(account, key)
        return DigestSent(recorded.get(trigger_id) or found[trigger_id], progress, tuple(order))

    def _email(
        self,
        account: Account,
        firm: Firm | None,
        listed: Sequence[tuple[ActionItem, DigestMember]],
        key: str,
        now: datetime,
        owed: list[Contact],
        progress: Delivery,
        allowance: Allowance,
    ) -> tuple[Account, Delivery]:
        tags = mail_tags.for_account_round(account.firm_id, account.id, listed[0][0].id, "digest")
        latest = account

        def build(contact: Contact) -> OutgoingEmail:
            content = compose.render_digest(listed, account, firm, contact, self._settings.portal_base_url, now=now)
            return compose.outgoing(content, contact, account, firm, self._settings.sender_address, tags)

        def save(state: Delivery) -> None:
            nonlocal latest
            latest = self._save_progress(latest, key, state)

        progress = self._mailer.email(
            owed, build, progress, save, now, allowance, account.firm_id, f"{account.id} {key}"
        )
        return latest, progress

    def _save_progress(self, account: Account, key: str, progress: Delivery) -> Account:
        """Write the digest's progress. Another writer in between (the firm editing the account, a
        bounce suppressing a contact) is absorbed by re-reading, as long as this worker still holds
        the digest: it must not wait a lease to mail the contacts it still owes."""
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return self._accounts.save_account(transitions.with_delivery(account, key, progress))
            except ConcurrentModification:
                fresh = self._accounts.get_account(account.firm_id, account.id)
                stored = fresh.deliveries.get(key) if fresh is not None else None
                if fresh is None or key in fresh.done_keys or not _ours(stored, progress):
                    raise DeliveryInProgress(f"{account.id} {key}: the digest was taken over") from None
                account = fresh
                before_rewrite(attempt)
        raise ConcurrentModification(f"{account.id} {key}")

    def _record(
        self,
        item: ActionItem | None,
        item_id: str,
        firm_id: str,
        member: DigestMember,
        at: datetime,
        progress: Delivery,
        given_up: tuple[str, Sequence[str]] | None = None,
    ) -> ActionItem | None:
        """The member's own reminder, recorded from the digest's mail (its plan, the digest's message
        ids); `given_up`: why the digest was given up, and the contacts it was for."""
        email_round = EmailRound.scheduled(member.number)
        mail = replace(progress, plan=member.plan, members={})
        for _ in range(WRITE_ATTEMPTS):
            budget.check()
            if item is None or not _recordable(item, member.number):
                return item
            if given_up is None:
                updated, events = transitions.record_delivery(item, email_round, at, mail)
            else:
                updated, events = transitions.give_up(item, email_round, at, *given_up, progress=mail)
            try:
                return self._items.save_item(updated, events)
            except ConcurrentModification:
                item = self._items.get_item(firm_id, item_id)
        raise ConcurrentModification(item_id)

    def _finish(self, account: Account | None, key: str) -> None:
        """The day's digest is done: its key is kept (a redelivery sends nothing) and its progress
        goes. Written on the account as this worker last wrote it; read again only if it moved on."""
        firm_id, account_id = (account.firm_id, account.id) if account else ("", "")
        for _ in range(WRITE_ATTEMPTS):
            if account is None or key in account.done_keys:
                return
            try:
                self._accounts.save_account(transitions.finish_delivery(account, key))
                return
            except ConcurrentModification:
                account = self._accounts.get_account(firm_id, account_id)
        raise ConcurrentModification(f"{account_id} {key}")


def _digest_key(
    account: Account, firm: Firm | None, item_id: str, number: int, now: datetime
) -> tuple[str | None, date | None]:
    """The digest this reminder belongs to: one in progress that lists it, else the client day's
    open one (and that day); no key when the firm turned digests off or the day's are used up."""
    owed = owed_digest(account, item_id, number)
    if owed is not None:
        return owed, None
    if firm is not None and not firm.reminder_digest:
        return None, None
    day = client_clock.client_today(now, client_clock.client_zone(firm, account))
    return open_key(account, day), day


def _ours(stored: Delivery | None, progress: Delivery) -> bool:
    """Whether the digest as stored is still this worker's (not yet stored: its first mark)."""
    return stored is None or rounds.same_lease(stored, progress)


def _recordable(item: ActionItem, number: int) -> bool:
    return policy.next_number(item) == number and item.failed_number != number


def _members(
    claimed: ActionItem, items: Iterable[ActionItem], key: str, client: ClientTime, now: datetime
) -> dict[str, DigestMember]:
    """The claimed item, and every other pending item whose automatic reminder falls due by the end
    of the client's day, except one emailed less than 24 hours before."""
    day = day_of(key)
    members: dict[str, DigestMember] = {}
    for item in items:
        seen = transitions.seen_client(item, client)
        if item.id == claimed.id:
            members[item.id] = DigestMember(policy.next_number(seen), policy.plan_reminder(seen, now))
            continue
        due = _due_today(seen, day, client.zone, now)
        if due is not None:
            members[item.id] = DigestMember(policy.next_number(seen), policy.plan_reminder(seen, max(now, due)))
    # the claimed item first in the email
    return dict(sorted(members.items(), key=lambda kv: kv[0] != claimed.id))


def _due_today(item: ActionItem, day: date, zone: str, now: datetime) -> datetime | None:
    """When the item's next automatic reminder may go, if it is one for today's digest."""
    number = policy.next_number(item)
    if item.status is not Status.PENDING or number in (0, item.failed_number) or policy.escalating(item):
        return None  # an escalation tells the firm, not the client: never in a client's digest
    if EmailRound.scheduled(number).key in item.deliveries:
        return None  # its own round has begun: it finishes on its own
    if item.claim is not None and item.claim.number != number:
        return None
    if item.last_emailed_at is not None and now - item.last_emailed_at < MIN_GAP:
        return None
    due = policy.send_at(item)
    if due is None or client_clock.client_today(due, zone) > day:
        return None
    return due
