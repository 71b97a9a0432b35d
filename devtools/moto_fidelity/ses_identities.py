"""SES v2 domain identities (Easy DKIM, SPEC R21), as AWS has them and moto 5.2.5 does not.

AWS answers CreateEmailIdentity for a domain with three DKIM tokens and a PENDING status, refuses a
second one for the same name (AlreadyExistsException), and sends from the domain only once it is
verified (it finds the tokens' CNAME records in the domain's DNS); DeleteEmailIdentity of an
unknown identity is a NotFoundException. moto gives no tokens, treats every identity as verified at
once, and deletes only verified identities. `set_domain_status` plays AWS finding (or losing) the
records: the tests and the local stack's "mark verified" call it. Address identities (the stack's
sender) stay verified at once, as before.
"""

from __future__ import annotations

import secrets
from email.utils import parseaddr
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.exceptions import JsonRESTError
from moto.ses import models as ses_models
from moto.ses.exceptions import NotFoundException
from moto.sesv2 import models as sesv2_models


class _AlreadyExists(JsonRESTError):
    def __init__(self, identity: str) -> None:
        super().__init__("AlreadyExistsException", f"Email identity {identity} already exist.")


_moto_create_email_identity = sesv2_models.SESV2Backend.create_email_identity
DKIM_ZONE = "dkim.amazonses.com"
DKIM_STATUSES = ("PENDING", "SUCCESS", "FAILED", "TEMPORARY_FAILURE")


def _create_email_identity(
    self: Any, email_identity: str, tags: Any, dkim_signing_attributes: Any, configuration_set_name: Any
) -> Any:
    if email_identity in self.core_backend.email_identities:
        raise _AlreadyExists(email_identity)
    identity = _moto_create_email_identity(self, email_identity, tags, dkim_signing_attributes, configuration_set_name)
    if identity.identity_type == "DOMAIN" and not dkim_signing_attributes:
        identity.verification_status = "PENDING"
        identity.dkim_attributes = {
            "SigningEnabled": True,
            "Status": "PENDING",
            "Tokens": [secrets.token_hex(16) for _ in range(3)],
            "SigningAttributesOrigin": "AWS_SES",
            "NextSigningKeyLength": "RSA_2048_BIT",
            "CurrentSigningKeyLength": "RSA_2048_BIT",
            "SigningHostedZone": DKIM_ZONE,
        }
    return identity


def _delete_email_identity(self: Any, email_identity: str) -> None:
    if email_identity not in self.core_backend.email_identities:
        raise NotFoundException(f"Email identity {email_identity} does not exist.")
    del self.core_backend.email_identities[email_identity]


def _is_verified_address(self: Any, source: str) -> bool:
    """SES sends from an address if it, or its domain, is a verified identity."""
    _, address = parseaddr(source)
    for name in (address, address.rpartition("@")[2]):
        identity = self.email_identities.get(name)
        if identity is not None and identity.verification_status == "SUCCESS":
            return True
    return False


def set_domain_status(
    domain: str, status: str = "SUCCESS", region: str = "us-east-1", account_id: str = DEFAULT_ACCOUNT_ID
) -> dict[str, Any] | None:
    """What SES does when it finds the domain's DKIM records (SUCCESS), gives up looking (FAILED)
    or cannot tell (TEMPORARY_FAILURE); the identity as GetEmailIdentity shows it, None if there
    is no such identity."""
    if status not in DKIM_STATUSES:
        raise ValueError(f"status must be one of {', '.join(DKIM_STATUSES)}")
    identity = ses_models.ses_backends[account_id][region].email_identities.get(domain)
    if identity is None or identity.identity_type != "DOMAIN":
        return None
    identity.dkim_attributes["Status"] = status
    identity.verification_status = status
    identity.verified_for_sending_status = status == "SUCCESS"
    answer: dict[str, Any] = identity.get_response_object
    return answer


def apply() -> None:
    sesv2_models.SESV2Backend.create_email_identity = _create_email_identity  # type: ignore[method-assign]
    sesv2_models.SESV2Backend.delete_email_identity = _delete_email_identity  # type: ignore[method-assign]
    ses_models.SESBackend._is_verified_address = _is_verified_address  # type: ignore[method-assign]
