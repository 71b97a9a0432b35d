"""Cached AWS clients. Plain botocore (which pynamodb already loads) rather than boto3: the
functions need nothing boto3 adds, and leaving it out shortens every cold start.

botocore itself (about as long to import as boto3) is imported when the first client is made,
like every service wiring.py builds: importing a handler loads no AWS SDK. With SnapStart the
api function makes its clients before the snapshot (portal_reminders/api/snapstart.py)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from portal_reminders.settings import get_settings

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.session import Session


@cache
def _botocore() -> tuple[Session, Config]:
    """The session every client shares, and their configuration."""
    # deferred until the first client: see the module docstring
    from botocore.config import Config  # noqa: PLC0415
    from botocore.session import get_session  # noqa: PLC0415

    config = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=2, read_timeout=5)
    return get_session(), config


@cache
def client(service: str) -> Any:
    session, config = _botocore()
    return session.create_client(service, region_name=get_settings().region, config=config)


def reset() -> None:
    """Forget cached clients (tests, and the local runner when it repoints the endpoint)."""
    client.cache_clear()
    _botocore.cache_clear()
