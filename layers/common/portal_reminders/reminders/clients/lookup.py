"""Reading an entity by a caller-given id: ids not of our shape never reach storage."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from portal_reminders import ids
from portal_reminders.models.errors import NotFound

T = TypeVar("T")


def load(prefix: str, identifier: str, read: Callable[[str], T | None]) -> T | None:
    return read(identifier) if ids.is_id(identifier, prefix) else None


def existing(what: str, prefix: str, identifier: str, read: Callable[[str], T | None]) -> T:
    """The entity, or NotFound (404): another firm's id finds nothing, like an unknown one."""
    found = load(prefix, identifier, read)
    if found is None:
        raise NotFound(what, identifier)
    return found
