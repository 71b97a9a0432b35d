"""IANA time zones (SPEC R16): the names the product accepts and the zones themselves.

The names are the pinned `tzdata` package's list, so the API accepts (and its document lists)
the same names on every machine, whatever /usr/share/zoneinfo holds or lacks (Lambda's image is
not promised to carry it; zoneinfo falls back to the package). Both are loaded on first use.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

UTC_NAME = "UTC"
# In the tzdata list, but not a place: "Factory" is what a badly set up machine says it is in.
_NOT_PLACES = frozenset({"Factory"})


@cache
def names() -> tuple[str, ...]:
    """Every accepted zone name (canonical zones and their links, e.g. US/Eastern), sorted."""
    listed = resources.files("tzdata").joinpath("zones").read_text(encoding="utf-8").split()
    return tuple(sorted(set(listed) - _NOT_PLACES))


@cache
def _known() -> frozenset[str]:
    return frozenset(names())


def is_known(name: str) -> bool:
    return name in _known()


@cache
def zone(name: str) -> ZoneInfo:
    """The zone of an accepted name. A stored name the database no longer knows (IANA keeps old
    names as links, so this should not happen) reads as UTC rather than stop reminders."""
    try:
        return ZoneInfo(name) if is_known(name) else ZoneInfo(UTC_NAME)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(UTC_NAME)
