"""Who is calling: the JWT authorizer's claims `sub` (firm user) and the firm claim (the tenant;
`custom:firm_id` unless the template's FirmClaim parameter names another). The tenant is only as
trustworthy as that claim: users must not be able to write it (see README, "Trusted tenancy")."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from portal_reminders.ids import is_external_id
from portal_reminders.settings import get_settings

USER_CLAIM = "sub"


@dataclass(frozen=True, slots=True)
class Caller:
    firm_id: str
    user_id: str


def _claims(event: Mapping[str, Any]) -> Mapping[str, Any]:
    node: Any = event
    for key in ("requestContext", "authorizer", "jwt", "claims"):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def caller_from_event(event: Mapping[str, Any]) -> Caller | None:
    claims = _claims(event)
    firm_id, user_id = claims.get(get_settings().firm_claim), claims.get(USER_CLAIM)
    if not isinstance(firm_id, str) or not isinstance(user_id, str):
        return None
    if not is_external_id(firm_id) or not is_external_id(user_id):
        return None
    return Caller(firm_id=firm_id, user_id=user_id)
