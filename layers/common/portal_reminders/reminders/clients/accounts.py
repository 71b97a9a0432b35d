"""Use cases on the firm profile, client accounts and their contacts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from portal_reminders import ids
from portal_reminders.clock import now as clock_now
from portal_reminders.models.domain import MAX_CONTACTS, Account, Contact, Firm, Language
from portal_reminders.models.errors import InvalidInput, NotFound, StateConflict
from portal_reminders.reminders.clients.lookup import existing
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.repository.ports import AccountRepository, FirmRepository

if TYPE_CHECKING:
    from portal_reminders.reminders.clients.rescheduling import RescheduleService

MAX_PAUSE = timedelta(days=3653)

MAX_PAUSE = timedelta(days=3653)


@dataclass(frozen=True, slots=True)
class NewContact:
    """A contact to add to an account (it gets its id when added)."""

    name: str
    email: str
    notify: bool = True
    first_name: str | None = None

    def with_id(self, contact_id: str) -> Contact:
        return Contact(id=contact_id, name=self.name, email=self.email, notify=self.notify, first_name=self.first_name)


def _check_unique_emails(contacts: Sequence[Contact], refusal: type[InvalidInput | StateConflict]) -> None:
    """Two contacts of one account never share an address: within one request that is an invalid
    field (422); against the contacts already stored, a conflict (409)."""
    seen: set[str] = set()
    for contact in contacts:
        address = contact.email.lower()
        if address in seen:
            raise refusal(f"{contact.email} is already a contact of this account", field="email")
        seen.add(address)


class AccountService:
    def __init__(
        self,
        firms: FirmRepository,
        accounts: AccountRepository,
        rescheduling: Callable[[], RescheduleService],
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._firms = firms
        self._accounts = accounts
        # made on first use: only a change of the client's time needs the send queue
        self._rescheduling = rescheduling
        self._now = now

    def get_firm(self, firm_id: str) -> Firm:
        return self._firms.get_firm(firm_id) or Firm(id=firm_id)

    def put_firm(self, profile: Firm) -> Firm:
        """Replace the firm profile (its sending domain and the marks of its own wordings, which PUT
        /firm does not name, stay), then have the pending items' sending windows brought up to date
        (SPEC R16) and their pause (SPEC R20): every time, so that repeating a request whose pass was
        not queued does it."""
        self._check_pause(profile.reminders_paused_until)

        def attempt() -> Firm:
            stored = self.get_firm(profile.id)
            kept = replace(profile, sending_domain=stored.sending_domain, wordings=stored.wordings)
            return self._firms.save_firm(replace(kept, version=stored.version))

        saved = with_retries(attempt)
        self._rescheduling().request(profile.id)
        return saved

    def get(self, firm_id: str, account_id: str) -> Account:
        return existing("account", ids.ACCOUNT, account_id, lambda i: self._accounts.get_account(firm_id, i))

    def create(
        self,
        firm_id: str,
        name: str,
        language: Language,
        contacts: Sequence[NewContact],
        time_zone: str | None = None,
    ) -> Account:
        people = tuple(contact.with_id(ids.new_id(ids.CONTACT)) for contact in contacts)
        _check_unique_emails(people, InvalidInput)
        account = Account(
            firm_id=firm_id,
            id=ids.new_id(ids.ACCOUNT),
            name=name,
            language=language,
            contacts=people,
            created_at=self._now(),
            time_zone=time_zone,
        )
        return self._accounts.save_account(account)

    def update(self, firm_id: str, account_id: str, changes: Mapping[str, Any]) -> Account:
        """Change the account's name, language, time zone (None: the firm's) or reminder pause
        (None: none). A time zone or a pause named has the account's pending items rescheduled
        (SPEC R16, R20), as for the firm: setting, moving or lifting a pause moves their due times."""
        self._check_pause(changes.get("reminders_paused_until"))

        def attempt() -> Account:
            account = self.get(firm_id, account_id)
            return self._accounts.save_account(replace(account, **changes))

        updated = with_retries(attempt)
        if "time_zone" in changes or "reminders_paused_until" in changes:
            self._rescheduling().request(firm_id, account_id)
        return updated

    def _check_pause(self, until: date | None) -> None:
        """A pause ends at most ten years ahead: a pause is for a season, not for ever (and day
        arithmetic near year 9999 would overflow)."""
        if until is not None and until > self._now().date() + MAX_PAUSE:
            raise InvalidInput("a pause ends at most ten years ahead", field="reminders_paused_until")

    def add_contact(self, firm_id: str, account_id: str, new: NewContact) -> Contact:
        contact = new.with_id(ids.new_id(ids.CONTACT))

        def attempt() -> Contact:
            account = self.get(firm_id, account_id)
            if len(account.contacts) >= MAX_CONTACTS:
                raise StateConflict(f"an account has at most {MAX_CONTACTS} contacts, and this one has them all")
            contacts = (*account.contacts, contact)
            _check_unique_emails(contacts, StateConflict)
            self._accounts.save_account(replace(account, contacts=contacts))
            return contact

        return with_retries(attempt)

    def update_contact(self, firm_id: str, account_id: str, contact_id: str, changes: Mapping[str, Any]) -> Contact:
        def attempt() -> Contact:
            account = self.get(firm_id, account_id)
            current = next((c for c in account.contacts if c.id == contact_id), None)
            if current is None:
                raise NotFound("contact", contact_id)
            updated = _changed_contact(current, changes, self._now())
            contacts = tuple(updated if c.id == contact_id else c for c in account.contacts)
            _check_unique_emails(contacts, StateConflict)
            self._accounts.save_account(replace(account, contacts=contacts))
            return updated

        return with_retries(attempt)


def _changed_contact(contact: Contact, changes: Mapping[str, Any], now: datetime) -> Contact:
    """PATCH of a contact. A new email address starts clean: a suppression was about the old one.
    `suppressed: false` lifts the suppression (SPEC R15); the lifted one is kept, so that the mail
    service delivering the same bounce again does not suppress the contact again."""
    fields = {name: value for name, value in changes.items() if name != "suppressed"}
    updated = replace(contact, **fields)
    if "email" in fields and fields["email"].casefold() != contact.email.casefold():
        return replace(updated, suppression=None)
    if changes.get("suppressed") is False and (suppression := updated.suppressed) is not None:
        return replace(updated, suppression=replace(suppression, lifted_at=now))
    return updated
