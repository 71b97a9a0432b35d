"""Opaque page tokens. A token carries the key the next page starts after, and is only accepted
by the listing (same partition) that issued it: anything else is InvalidPageToken, never a 500."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from portal_reminders.models.errors import InvalidPageToken

MAX_TOKEN_LENGTH = 2048


def encode(key: dict[str, str]) -> str:
    raw = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(
    token: str, key_names: tuple[str, ...], partition: tuple[str, str], sort: tuple[str, str] | None = None
) -> dict[str, dict[str, Any]]:
    """The DynamoDB ExclusiveStartKey for `token`, checked to belong to `partition` (name, value)
    and, for a query with a begins_with condition, to start with `sort`'s prefix (name, prefix):
    a start key outside the query's range would make DynamoDB refuse the query."""
    if len(token) > MAX_TOKEN_LENGTH:
        raise InvalidPageToken()
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError) as error:
        raise InvalidPageToken() from error
    if (
        not isinstance(decoded, dict)
        or set(decoded) != set(key_names)
        or not all(isinstance(v, str) and 0 < len(v) <= 1024 for v in decoded.values())
        or decoded.get(partition[0]) != partition[1]
        or (sort is not None and not decoded.get(sort[0], "").startswith(sort[1]))
    ):
        raise InvalidPageToken()
    return {name: {"S": value} for name, value in decoded.items()}
