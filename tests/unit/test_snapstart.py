"""The api function's SnapStart hooks (portal_reminders/api/snapstart.py): primed before the
snapshot without calling AWS, reseeded after each restore, registered where Lambda has the hooks."""

from __future__ import annotations

import random
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest
from botocore.endpoint import Endpoint
from botocore.session import Session

from portal_reminders.api import snapstart
from portal_reminders.repository.dynamo import DynamoRepository
from portal_reminders.settings import get_settings
from portal_reminders.wiring import get_services


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """(clients made, requests sent): every request is recorded instead of sent."""
    made: list[str] = []
    sent: list[str] = []
    create_client = Session.create_client

    def recording_create_client(self: Session, service_name: str, *args: Any, **kwargs: Any) -> Any:
        made.append(service_name)
        return create_client(self, service_name, *args, **kwargs)

    def recording_make_request(self: Endpoint, operation_model: Any, request_dict: Any) -> Any:
        sent.append(operation_model.name)
        raise AssertionError(f"{operation_model.name} sent")

    monkeypatch.setattr(Session, "create_client", recording_create_client)
    monkeypatch.setattr(Endpoint, "make_request", recording_make_request)
    return made, sent


def test_priming_builds_what_the_routes_use_without_calling_aws(aws_calls: tuple[list[str], list[str]]) -> None:
    made, sent = aws_calls

    # When the api function primes itself before the snapshot
    snapstart.prime()

    # Then the use cases the routes call are built, with the pipelines' (loaded by no import)...
    built = set(vars(get_services()))
    assert {"settings", "repository", "accounts", "items", "templates", "pipelines", "approvals"} <= built
    assert {"api_idempotency", "api_idempotency_config"} <= built
    assert "portal_reminders.reminders.automations.pipelines" in sys.modules
    # ...their clients are made: the mail service's, the queue's, the table's (pynamodb's and the
    # idempotency layer's)...
    assert sorted(made) == ["dynamodb", "dynamodb", "sesv2", "sqs"]
    # ...and nothing was asked of AWS: nothing from the account or a connection is in the snapshot
    assert sent == []


def test_connect_makes_the_tables_client_without_a_request(aws_calls: tuple[list[str], list[str]]) -> None:
    made, sent = aws_calls
    settings = get_settings()

    DynamoRepository(settings.table_name, settings.region).connect()

    assert (made, sent) == (["dynamodb"], [])


def _first_draws(after_restore: Callable[[], None], snapshot: object) -> list[float]:
    random.setstate(snapshot)  # type: ignore[arg-type]
    after_restore()
    return [random.random() for _ in range(3)]


def test_every_restored_copy_draws_its_own_random_numbers() -> None:
    # Given the random generator as the snapshot holds it: every restored copy starts from it
    snapshot = random.getstate()

    # Then copies that are not reseeded draw the same numbers (the same retry jitter)...
    assert _first_draws(lambda: None, snapshot) == _first_draws(lambda: None, snapshot)
    # ...and copies reseeded after their restore do not
    assert _first_draws(snapstart.reseed, snapshot) != _first_draws(snapstart.reseed, snapshot)


def test_the_hooks_are_registered_where_lambdas_runtime_provides_them(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given Lambda's runtime hooks library (the python3.12 runtime has it)
    registered: dict[str, Callable[[], None]] = {}
    runtime = types.ModuleType("snapshot_restore_py")
    runtime.register_before_snapshot = lambda hook: registered.setdefault("before_snapshot", hook)  # type: ignore[attr-defined]
    runtime.register_after_restore = lambda hook: registered.setdefault("after_restore", hook)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", runtime)

    # When the handler registers its hooks
    assert snapstart.register_hooks() is True

    # Then priming runs before the snapshot and reseeding after each restore
    assert registered == {"before_snapshot": snapstart.prime, "after_restore": snapstart.reseed}


def test_without_lambdas_runtime_nothing_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no hooks library (tests, the local stack, the build check): importing it fails
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)

    assert snapstart.register_hooks() is False
