"""Cached AWS clients. Plain botocore (which pynamodb already loads) rather than boto3: the
functions need nothing boto3 adds, and leaving it out shortens every cold start."""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.session
from botocore.config import Config

from portal_reminders.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def client(service: str) -> Any:
    return _session().create_client(service, region_name=get_settings().region, config=_CONFIG)


def reset() -> None:
    """Forget cached clients (tests, and the local runner when it repoints the endpoint)."""
    client.cache_clear()
    _session.cache_clear()
