"""Counts what the functions ask of AWS, with botocore event hooks on the clients they create.

Every botocore client created while `Meter.watching_new_clients()` is active is metered (the
functions make theirs on first use: pynamodb's connections, the cached SES v2 and SQS clients).
Clients the benchmark made before that (seeding, and the receive/delete that emulate the event
source mapping) are not, so the mapping's own calls are never counted as the functions'.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import botocore.session

OUTSIDE = "outside"  # a call made by a metered client outside any invocation (there should be none)


class Meter:
    def __init__(self) -> None:
        self.phase = OUTSIDE
        self.calls: Counter[tuple[str, str, str]] = Counter()  # (phase, service, operation)
        self.errors: Counter[tuple[str, str, str, str]] = Counter()  # (phase, service, operation, code)
        self.transaction_items: Counter[str] = Counter()  # phase -> items written in transactions
        self.batch_get_keys: Counter[str] = Counter()  # phase -> keys asked for in BatchGetItem
        self.query_items: Counter[str] = Counter()  # phase -> len(Items) over Query responses
        self.scanned_items: Counter[str] = Counter()  # phase -> ScannedCount over Query/Scan responses
        self.response_bytes: Counter[tuple[str, str]] = Counter()  # (phase, service)
        self.retries: Counter[tuple[str, str]] = Counter()  # (phase, service)
        self._metered: dict[int, Any] = {}

    # hooks -------------------------------------------------------------------------------------

    def attach(self, client: Any) -> None:
        if id(client) in self._metered:
            return
        self._metered[id(client)] = client
        client.meta.events.register("before-parameter-build", self._parameters, unique_id="bench-meter-params")
        client.meta.events.register("before-call", self._before_call, unique_id="bench-meter-before")
        client.meta.events.register("after-call", self._after_call, unique_id="bench-meter-after")

    def is_metered(self, client: Any) -> bool:
        return id(client) in self._metered

    @property
    def metered_clients(self) -> list[str]:
        return sorted(c.meta.service_model.service_name for c in self._metered.values())

    def _parameters(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        # the caller's parameters (before-call only sees the serialized request)
        if model.name == "TransactWriteItems":
            self.transaction_items[self.phase] += len(params.get("TransactItems", []))
        elif model.name == "BatchGetItem":
            self.batch_get_keys[self.phase] += sum(
                len(t.get("Keys", [])) for t in params.get("RequestItems", {}).values()
            )

    def _before_call(self, model: Any, **_: Any) -> None:
        self.calls[(self.phase, model.service_model.service_name, model.name)] += 1

    def _after_call(self, model: Any, http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        service = model.service_model.service_name
        self.response_bytes[(self.phase, service)] += len(http_response.content or b"")
        self.retries[(self.phase, service)] += parsed.get("ResponseMetadata", {}).get("RetryAttempts", 0)
        if http_response.status_code >= 300:
            code = parsed.get("Error", {}).get("Code", str(http_response.status_code))
            self.errors[(self.phase, service, model.name, code)] += 1
            return
        if model.name in {"Query", "Scan"}:
            self.query_items[self.phase] += len(parsed.get("Items", []))
            self.scanned_items[self.phase] += int(parsed.get("ScannedCount", 0))

    # scope -------------------------------------------------------------------------------------

    @contextmanager
    def watching_new_clients(self) -> Iterator[None]:
        original = botocore.session.Session.create_client

        def create_client(session: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
            client = original(session, *args, **kwargs)
            self.attach(client)
            return client

        with mock.patch.object(botocore.session.Session, "create_client", create_client):
            yield

    @contextmanager
    def in_phase(self, phase: str) -> Iterator[None]:
        previous, self.phase = self.phase, phase
        try:
            yield
        finally:
            self.phase = previous

    # figures -----------------------------------------------------------------------------------

    def by_operation(self, service: str, phase: str | None = None) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for (call_phase, call_service, operation), count in self.calls.items():
            if call_service == service and (phase is None or call_phase == phase):
                counts[operation] += count
        return dict(counts.most_common())

    @property
    def services(self) -> list[str]:
        return sorted({service for _, service, _ in self.calls})

    def total(self, service: str, phase: str | None = None) -> int:
        return sum(self.by_operation(service, phase).values())

    def weighted_dynamodb(self, phase: str | None = None) -> int:
        """DynamoDB requests, a transaction counting one request per item it writes."""
        operations = self.by_operation("dynamodb", phase)
        transactions = operations.get("TransactWriteItems", 0)
        items = sum(n for p, n in self.transaction_items.items() if phase is None or p == phase)
        return sum(operations.values()) - transactions + items

    def error_list(self) -> list[dict[str, Any]]:
        return [
            {"phase": phase, "service": service, "operation": operation, "code": code, "count": count}
            for (phase, service, operation, code), count in sorted(self.errors.items())
        ]
