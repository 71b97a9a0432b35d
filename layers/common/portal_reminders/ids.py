"""Identifiers: a short prefix naming the entity, then 32 hex digits. Anything else is not ours."""

from __future__ import annotations

import hashlib
import re
import uuid

ACCOUNT = "acc"
CONTACT = "ct"
ITEM = "itm"
EVENT = "evt"
RESEND = "rs"
TEMPLATE = "tpl"
PIPELINE = "pl"
STAGE = "stg"
JOB = "job"
ENTRY = "ent"
REQUEST = "req"

_SHAPE = re.compile(r"^(?P<prefix>[a-z]{2,4})_[0-9a-f]{32}$")


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def derived_id(prefix: str, *parts: str) -> str:
    """The same id for the same parts: makes re-running a step create nothing twice."""
    return f"{prefix}_{hashlib.sha256('|'.join(parts).encode()).hexdigest()[:32]}"


def pattern(prefix: str) -> str:
    """The shape of ids with this prefix, as a regular expression (for the OpenAPI document)."""
    return f"^{prefix}_[0-9a-f]{{32}}$"


def is_id(value: str, prefix: str) -> bool:
    match = _SHAPE.match(value)
    return match is not None and match["prefix"] == prefix


# Firm ids and user ids come from the identity provider's JWT claims: any sane token is accepted.
EXTERNAL_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@|+-]{0,127}$"
_EXTERNAL = re.compile(EXTERNAL_ID_PATTERN)


def is_external_id(value: str) -> bool:
    return _EXTERNAL.match(value) is not None
