"""Fixtures shared by every test: a clean environment, a frozen clock, and AWS under moto."""

from __future__ import annotations

import os

# Powertools reads these when the handlers' logger, tracer and metrics are created, at import:
# set them before any test module imports a handler, as Lambda does before importing it.
os.environ.update(
    POWERTOOLS_SERVICE_NAME="client-reminders",
    POWERTOOLS_METRICS_NAMESPACE="ClientRemindersTest",
    POWERTOOLS_TRACE_DISABLED="true",
    POWERTOOLS_LOG_LEVEL="WARNING",
)

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine
from moto import mock_aws

from portal_reminders import wiring
from tests.support.aws import (
    PORTAL_URL,
    REGION,
    SENDER,
    TABLE_NAME,
    create_queues,
    create_table_from_template,
    verify_sender,
)
from tests.support.world import World

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the template sets on every function, plus fake credentials (moto needs some)."""
    for name, value in {
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "TABLE_NAME": TABLE_NAME,
        "SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/unset",
        "SENDER_ADDRESS": SENDER,
        "PORTAL_BASE_URL": PORTAL_URL,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    wiring.reset()
    yield
    wiring.reset()


@pytest.fixture
def traveller() -> Iterator[time_machine.Coordinates]:
    """Time stands still at START until a test moves it."""
    with time_machine.travel(START, tick=False) as coordinates:
        yield coordinates


@pytest.fixture
def world(traveller: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """AWS under moto, with the table, queues and SES identity the template and a deploy create."""
    with mock_aws():
        create_table_from_template()
        queues = create_queues()
        verify_sender()
        monkeypatch.setenv("SEND_QUEUE_URL", queues.send_url)
        wiring.reset()
        yield World(queues, traveller)
