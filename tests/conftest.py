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
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import time_machine
from moto import mock_aws

from devtools import botocore_models, moto_fidelity
from portal_reminders import clock, wiring
from tests.support.aws import (
    FUNCTION_ENVIRONMENT,
    create_bus,
    create_configuration_set,
    create_queues,
    create_table_from_template,
    verify_sender,
)
from tests.support.world import World

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

moto_fidelity.apply()
botocore_models.share()


ENVIRONMENT = FUNCTION_ENVIRONMENT


def _apply_environment(monkeypatch: pytest.MonkeyPatch, **overrides: str) -> None:
    """What the template sets on every function, plus fake credentials (moto needs some)."""
    for name, value in {**ENVIRONMENT, **overrides}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    wiring.reset()


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _apply_environment(monkeypatch)
    yield
    wiring.reset()


@pytest.fixture(autouse=True)
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """No test waits for wall-clock time: clock.sleep records the wait (and, with a traveller,
    moves the frozen clock on by it)."""
    waits: list[float] = []
    monkeypatch.setattr(clock, "sleep", waits.append)
    return waits


@pytest.fixture
def traveller(monkeypatch: pytest.MonkeyPatch, slept: list[float]) -> Iterator[time_machine.Coordinates]:
    """Time stands still at START until a test moves it; a sleep moves it on by its length."""
    with time_machine.travel(START, tick=False) as coordinates:

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            if seconds > 0:
                coordinates.shift(seconds)

        monkeypatch.setattr(clock, "sleep", sleep)
        yield coordinates


@contextmanager
def _moto_world(traveller: time_machine.Coordinates) -> Iterator[World]:
    """AWS under moto, with the table, queues and SES identity the template and a deploy create."""
    with mock_aws():
        create_table_from_template()
        queues = create_queues()
        verify_sender()
        create_configuration_set()
        create_bus()
        yield World(queues, traveller)


@pytest.fixture
def world(traveller: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with _moto_world(traveller) as created:
        _apply_environment(
            monkeypatch,
            SEND_QUEUE_URL=created.queues.send_url,
            SEND_DEAD_LETTER_QUEUE_URL=created.queues.dead_letter_url,
        )
        yield created


@pytest.fixture(scope="module")
def module_world() -> Iterator[World]:
    """One world for a whole module, for tests that only read or are refused (they change nothing)."""
    with (
        pytest.MonkeyPatch.context() as monkeypatch,
        time_machine.travel(START, tick=False) as coordinates,
        _moto_world(coordinates) as created,
    ):
        _apply_environment(monkeypatch, SEND_QUEUE_URL=created.queues.send_url)
        yield created


@pytest.fixture
def shared_world(module_world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    _apply_environment(monkeypatch, SEND_QUEUE_URL=module_world.queues.send_url)
    return module_world
