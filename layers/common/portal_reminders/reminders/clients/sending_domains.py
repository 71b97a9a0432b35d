"""A firm's own sending domain (SPEC R21): claimed for one firm, verified by the mail service with
Easy DKIM, and the From of the firm's mail (reminders@<domain>) once the mail service says so.

* One domain, one firm: a claim record keyed by the domain is written in the same transaction as
  the firm's record; another firm's claim is a 409. Putting the firm's own domain again changes
  nothing (or, if the mail service gave up on it, starts its verification over).
* A domain that is already an identity of the mail service's account, but not one this product
  created, is refused (409): it belongs to whoever runs the stack (its own sender's domain, say),
  and a firm must never inherit its verification. SES lets a verified domain send as its
  subdomains, so a domain under such an identity, or under another firm's verified domain, is
  refused too (409).
* Changing to another domain releases the old claim and deletes the old identity: an identity
  left behind would keep the stack's account able to send as a domain no firm holds, and the next
  firm to claim that domain would inherit its verification; deleted, the next claim starts a
  verification of its own. If the delete fails, the released claim remembers it and the next
  claim deletes it first.
* GET asks the mail service again when the stored status is older than a minute (an hour once
  verified), so that a page polling for "verified" costs one SES call a minute per firm at most
  (SES answers its identity calls at one a second per account); the send path reads only the
  firm record, which carries the status.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from portal_reminders.clock import now as clock_now
from portal_reminders.models.domain import DomainClaim, DomainStatus, Firm, SendingDomain
from portal_reminders.models.errors import ConcurrentModification, DomainTaken, InvalidInput, NotFound, StateConflict
from portal_reminders.observability import logger
from portal_reminders.ports import IdentityExists, IdentityNotFound, MailIdentities, MailIdentity, MailUnavailable
from portal_reminders.reminders.clients.retry import with_retries
from portal_reminders.reminders.delivery import compose
from portal_reminders.repository.ports import FirmRepository

FRESH_WHILE_WAITING = timedelta(minutes=1)
FRESH_ONCE_SETTLED = timedelta(hours=1)


class SendingDomainService:
    def __init__(
        self,
        firms: FirmRepository,
        identities: MailIdentities,
        stack_sender: str,
        now: Callable[[], datetime] = clock_now,
    ) -> None:
        self._firms = firms
        self._identities = identities
        self._stack_sender = stack_sender
        self._now = now

    def sending_from(self, firm: Firm) -> str:
        return compose.sender_address(firm, self._stack_sender)

    def get(self, firm_id: str) -> Firm:
        """The firm with its sending domain, its status refreshed from the mail service if stale."""
        firm = self._firms.get_firm(firm_id)
        if firm is None or firm.sending_domain is None:
            raise NotFound("sending domain of firm", firm_id)
        return self._refreshed(firm, firm.sending_domain)

    def put(self, firm_id: str, domain: str) -> Firm:
        """Make `domain` the firm's sending domain and start its verification."""
        self._refuse_the_stacks_own(domain)
        firm = self._firms.get_firm(firm_id) or Firm(id=firm_id)
        current = firm.sending_domain
        if current is not None and _under_way(current, domain):
            return self._refreshed(firm, current)  # the same domain again: nothing to redo
        claim = self._firms.get_domain_claim(domain)
        if claim is not None and claim.firm_id not in (None, firm_id):
            raise DomainTaken(domain)
        if claim is None or not claim.identity:
            self._refuse_a_foreign_identity(domain)
        self._refuse_under_another(firm_id, domain)
        firm = with_retries(lambda: self._claim(firm_id, domain))
        if current is not None and current.domain != domain:
            self._delete_released(current.domain)
        # an identity may be left from a released claim, or be the firm's own that the mail service
        # gave up on (or that an earlier try made): start over with a fresh one
        identity = self._start(domain, restart=claim is not None and claim.identity)
        return with_retries(lambda: self._record(firm_id, domain, identity))

    # the steps of put -----------------------------------------------------------------------

    def _refuse_the_stacks_own(self, domain: str) -> None:
        # SES lets a verified domain send as its subdomains too: none of them is a firm's to claim
        stack_domain = self._stack_sender.rpartition("@")[2].lower()
        if domain == stack_domain or domain.endswith(f".{stack_domain}"):
            raise InvalidInput(f"{domain} is the service's own sender domain", field="domain")

    def _refuse_a_foreign_identity(self, domain: str) -> None:
        try:
            self._identities.get(domain)
        except IdentityNotFound:
            return
        logger.warning("sending domain is an identity not made by the service", extra={"domain": domain})
        raise StateConflict(
            f"{domain} is already an identity of the mail service's account, not one this service made", field="domain"
        )

    def _refuse_under_another(self, firm_id: str, domain: str) -> None:
        """A domain under one the mail service would let send as it: an identity this service did not
        make (or one a released claim left), or another firm's verified domain. (One under another
        firm's domain not verified yet is let through: whoever claims `co.uk` must not block every
        firm under it.)"""
        for parent in _parents(domain):
            claim = self._firms.get_domain_claim(parent)
            if claim is not None and claim.firm_id == firm_id:
                continue
            try:
                identity = self._identities.get(parent)
            except IdentityNotFound:
                continue
            if claim is None or claim.firm_id is None:
                raise StateConflict(
                    f"{domain} is under {parent}, an identity of the mail service's account that is no firm's",
                    field="domain",
                )
            if identity.status is DomainStatus.VERIFIED:
                raise StateConflict(f"{domain} is under {parent}, another firm's sending domain", field="domain")

    def _claim(self, firm_id: str, domain: str) -> Firm:
        """The firm's record says `domain` (not verified yet), its claim is written, and the claim on
        its previous domain released, in one transaction."""
        firm = self._firms.get_firm(firm_id) or Firm(id=firm_id)
        now = self._now()
        previous = firm.sending_domain
        released = None
        if previous is not None and previous.domain != domain:
            released = DomainClaim(domain=previous.domain, firm_id=None, at=now, identity=True)
        claimed = replace(firm, sending_domain=SendingDomain(domain=domain))
        saved = self._firms.save_firm_claiming(
            claimed, DomainClaim(domain=domain, firm_id=firm_id, at=now, identity=True), released
        )
        logger.info(
            "sending domain claimed",
            extra={"firm_id": firm_id, "domain": domain, "released": released.domain if released else None},
        )
        return saved

    def _delete_released(self, domain: str) -> None:
        try:
            self._identities.delete(domain)
        except MailUnavailable as error:
            # the released claim still says an identity may be left: the next claim deletes it
            logger.warning(
                "released sending domain identity not deleted", extra={"domain": domain, "error": str(error)}
            )
            return
        self._firms.save_released_claim(DomainClaim(domain=domain, firm_id=None, at=self._now(), identity=False))

    def _start(self, domain: str, restart: bool) -> MailIdentity:
        """Start the domain's verification (with a fresh identity if one may be left over)."""
        if restart:
            self._identities.delete(domain)
        try:
            return self._identities.create_domain(domain)
        except IdentityExists:
            # made for this claim by a request of the same firm running at the same time
            return self._identities.get(domain)

    def _record(self, firm_id: str, domain: str, identity: MailIdentity) -> Firm:
        firm = self._firms.get_firm(firm_id) or Firm(id=firm_id)
        if firm.sending_domain is None or firm.sending_domain.domain != domain:
            raise StateConflict(
                f"the firm's sending domain changed to another while {domain} was being set", field="domain"
            )
        return self._firms.save_firm(replace(firm, sending_domain=_updated(firm.sending_domain, identity, self._now())))

    # GET ------------------------------------------------------------------------------------------

    def _refreshed(self, firm: Firm, domain: SendingDomain) -> Firm:
        now = self._now()
        settled = domain.status in (DomainStatus.VERIFIED, DomainStatus.FAILED)
        fresh_for = FRESH_ONCE_SETTLED if settled else FRESH_WHILE_WAITING
        if domain.checked_at is not None and now - domain.checked_at < fresh_for:
            return firm
        try:
            identity = self._identities.get(domain.domain)
        except IdentityNotFound:
            # deleted outside the service: nothing goes from it any more; PUT it again to start over
            identity = MailIdentity(status=DomainStatus.FAILED, dkim_tokens=domain.dkim_tokens)
        except MailUnavailable as error:
            logger.warning("sending domain status not refreshed", extra={"domain": domain.domain, "error": str(error)})
            return firm
        updated = replace(firm, sending_domain=_updated(domain, identity, now))
        if identity.status is not domain.status:
            logger.info(
                "sending domain status changed",
                extra={"firm_id": firm.id, "domain": domain.domain, "status": identity.status.value},
            )
        try:
            return self._firms.save_firm(updated)
        except ConcurrentModification:
            return updated  # another request wrote the firm meanwhile: show what the mail service said


def _parents(domain: str) -> list[str]:
    """The domains `domain` is under, nearest first, short of its top-level domain."""
    labels = domain.split(".")
    return [".".join(labels[i:]) for i in range(1, len(labels) - 1)]


def _under_way(current: SendingDomain, domain: str) -> bool:
    """The firm's domain is this one, verified or on its way (a failed one starts over)."""
    return current.domain == domain and bool(current.dkim_tokens) and current.status is not DomainStatus.FAILED


def _updated(domain: SendingDomain, identity: MailIdentity, at: datetime) -> SendingDomain:
    return replace(
        domain,
        status=identity.status,
        dkim_tokens=identity.dkim_tokens or domain.dkim_tokens,
        dkim_zone=identity.dkim_zone or domain.dkim_zone,
        checked_at=at,
    )
