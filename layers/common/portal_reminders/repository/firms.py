"""The firm's records: its profile (with its branding and sending domain) and the claims on sending
domains, which keep one domain to one firm (SPEC R21)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from portal_reminders.models.domain import DomainClaim, Firm
from portal_reminders.models.errors import ConcurrentModification, DomainTaken, StorageUnavailable
from portal_reminders.repository import keys
from portal_reminders.repository.mapping import firm_from_record, firm_to_record
from portal_reminders.repository.ports import FirmRepository
from portal_reminders.repository.records import DomainClaimRecord, FirmRecord

# Another writer got there first (a failed condition) or at the same moment (a transaction).
_RACES = frozenset({"ConditionalCheckFailedException", "TransactionConflictException"})
_TRANSACTION_RACES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class DynamoFirms(FirmRepository):
    def get_firm(self, firm_id: str) -> Firm | None:
        record = _read(FirmRecord, keys.firm_pk(firm_id), keys.FIRM_SK)
        return None if record is None else firm_from_record(record)

    def save_firm(self, firm: Firm) -> Firm:
        try:
            firm_to_record(firm, firm.version + 1).save(condition=unchanged(firm))
        except PutError as error:
            if error.cause_response_code in _RACES:
                raise ConcurrentModification(firm.id) from error
            raise StorageUnavailable(f"firm {firm.id} not written: {error.cause_response_code}") from error
        return replace(firm, version=firm.version + 1)

    def get_domain_claim(self, domain: str) -> DomainClaim | None:
        record = _read(DomainClaimRecord, keys.domain_claim_pk(domain), keys.DOMAIN_CLAIM_SK)
        if record is None:
            return None
        return DomainClaim(domain=domain, firm_id=record.firm_id, at=record.at, identity=bool(record.identity))

    def save_firm_claiming(self, firm: Firm, claim: DomainClaim, released: DomainClaim | None) -> Firm:
        holder = DomainClaimRecord.firm_id
        try:
            with TransactWrite(connection=FirmRecord._get_connection().connection) as transaction:
                # first: its failure alone means another firm holds the domain
                transaction.save(
                    _claim_record(claim),
                    condition=DomainClaimRecord.pk.does_not_exist() | holder.does_not_exist() | (holder == firm.id),
                )
                transaction.save(firm_to_record(firm, firm.version + 1), condition=unchanged(firm))
                if released is not None:
                    transaction.save(_claim_record(released), condition=holder == firm.id)
        except TransactWriteError as error:
            reasons = error.cancellation_reasons
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise DomainTaken(claim.domain) from error
            if error.cause_response_code == "TransactionConflictException" or any(
                reason is not None and reason.code in _TRANSACTION_RACES for reason in reasons
            ):
                raise ConcurrentModification(firm.id) from error
            raise StorageUnavailable(f"firm {firm.id} not written: {error.cause_response_code}") from error
        return replace(firm, version=firm.version + 1)

    def save_released_claim(self, claim: DomainClaim) -> None:
        try:
            _claim_record(claim).save(condition=DomainClaimRecord.firm_id.does_not_exist())
        except PutError as error:
            if error.cause_response_code not in _RACES:
                raise StorageUnavailable(f"claim on {claim.domain} not written: {error.cause_response_code}") from error


def unchanged(firm: Firm) -> Any:
    # records written before firms had a version have none: they read as version 0
    return FirmRecord.version.does_not_exist() if firm.version == 0 else FirmRecord.version == firm.version


def _claim_record(claim: DomainClaim) -> DomainClaimRecord:
    return DomainClaimRecord(
        pk=keys.domain_claim_pk(claim.domain),
        sk=keys.DOMAIN_CLAIM_SK,
        firm_id=claim.firm_id,
        at=claim.at,
        identity=claim.identity,
    )


def _read(model: Any, pk: str, sk: str) -> Any:
    try:
        return model.get(pk, sk, consistent_read=True)
    except model.DoesNotExist:
        return None
