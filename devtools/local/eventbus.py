"""EventBridge delivery to functions, which moto's server does not do (it raises on Lambda
targets): each event a function puts (PutEvents) is matched against the template's rules that
target functions, and delivered to those functions in this process, asynchronously like
EventBridge.

Rules are read back from the deployed stack (each rule with an event pattern and a function
target), and those targets removed in moto. Event patterns support what the template needs:
exact values (a list of allowed values), nested
objects (detail), and the `prefix`, `exists` and `anything-but` filters. Anything else is
refused when the stack starts, so a rule never silently matches nothing.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.local.cfn import UnsupportedTemplate
from devtools.local.rules import FunctionTarget

log = logging.getLogger(__name__)

DEFAULT_BUS = "default"
_FILTERS = frozenset({"prefix", "exists", "anything-but"})

Invoke = Callable[[str, dict[str, Any]], Any]


# patterns -----------------------------------------------------------------------------------


def check_pattern(pattern: Mapping[str, Any], where: str = "pattern") -> None:
    """Raise UnsupportedTemplate when the pattern uses a filter this matcher does not know."""
    for key, allowed in pattern.items():
        if isinstance(allowed, Mapping):
            check_pattern(allowed, f"{where}.{key}")
        elif isinstance(allowed, list):
            for value in allowed:
                if isinstance(value, Mapping) and not set(value) <= _FILTERS:
                    raise UnsupportedTemplate(f"{where}.{key}: filter {sorted(value)} is not supported locally")
        else:
            raise UnsupportedTemplate(f"{where}.{key}: pattern values must be lists or objects, got {allowed!r}")


def _value_matches(allowed: Any, value: Any, present: bool) -> bool:
    if isinstance(allowed, Mapping):
        if "exists" in allowed:
            return bool(allowed["exists"]) == present
        if not present:
            return False
        if "prefix" in allowed:
            return isinstance(value, str) and value.startswith(str(allowed["prefix"]))
        if "anything-but" in allowed:
            excluded = allowed["anything-but"]
            return value not in (excluded if isinstance(excluded, list) else [excluded])
        return False
    return present and value == allowed


def matches(pattern: Mapping[str, Any], event: Mapping[str, Any]) -> bool:
    """EventBridge semantics: every key of the pattern must match; a list allows any of its
    values; an event field that is an array matches when any of its elements does."""
    for key, allowed in pattern.items():
        present = key in event
        value = event.get(key)
        if isinstance(allowed, Mapping):
            if not isinstance(value, Mapping) or not matches(allowed, value):
                return False
            continue
        candidates = value if isinstance(value, list) else [value]
        if not any(_value_matches(option, candidate, present) for option in allowed for candidate in candidates):
            return False
    return True


# rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionRule:
    name: str  # the rule's name in the stack
    bus: str  # event bus name
    pattern: Mapping[str, Any]
    function: str  # logical id of the target function
    target_id: str
    dead_letter_arn: str | None = None  # the target's SQS dead-letter queue, if any


def bus_name(value: Any) -> str:
    name = str(value or DEFAULT_BUS)
    return name.rsplit("event-bus/", 1)[-1] if name.startswith("arn:") else name


def rules_from_stack(targets: list[FunctionTarget]) -> list[FunctionRule]:
    """The (rule with an event pattern, function target) pairs among the stack's rule targets."""
    rules = []
    for found in targets:
        if "EventPattern" not in found.rule:
            continue
        name = found.rule["Name"]
        pattern = json.loads(found.rule["EventPattern"])
        check_pattern(pattern, f"rule {name}")
        if {"Input", "InputPath", "InputTransformer"} & set(found.target):
            raise UnsupportedTemplate(f"rule {name}: target input transformation is not emulated locally")
        dead_letter = found.target.get("DeadLetterConfig", {}).get("Arn")
        rules.append(FunctionRule(name, found.bus, pattern, found.function, found.target["Id"], dead_letter))
    return rules


# delivery -----------------------------------------------------------------------------------


def event_from_entry(
    entry: Mapping[str, Any], event_id: str, now: datetime, region: str, account: str
) -> dict[str, Any]:
    """A PutEvents entry as EventBridge hands it to a target."""
    at = entry.get("Time")
    time = at if isinstance(at, datetime) else now
    detail = entry.get("Detail") or "{}"
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry.get("DetailType", ""),
        "source": entry.get("Source", ""),
        "account": account,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": list(entry.get("Resources", [])),
        "detail": json.loads(detail) if isinstance(detail, str) else detail,
    }


class EventBus:
    def __init__(
        self,
        rules: list[FunctionRule],
        invoke: Invoke,
        now: Callable[[], datetime],
        region: str = "us-east-1",
        account: str = "123456789012",
        dead_letters: Any = None,
    ) -> None:
        self.rules = rules
        self._sqs = dead_letters  # an SQS client, for targets with a dead-letter queue
        self._invoke = invoke
        self._now = now
        self._region = region
        self._account = account
        self._pending: queue.Queue[tuple[FunctionRule, dict[str, Any]] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self.delivered: list[tuple[str, dict[str, Any]]] = []  # (function, event), oldest first
        self.dead_lettered: list[tuple[str, dict[str, Any]]] = []

    def on_put_events(self, params: dict[str, Any], response: dict[str, Any]) -> None:
        """The CallObserver callback for PutEvents: queue a delivery per matching rule."""
        results = response.get("Entries", [])
        for index, entry in enumerate(params.get("Entries", [])):
            result = results[index] if index < len(results) else {}
            if "ErrorCode" in result:
                continue
            event = event_from_entry(
                entry, str(result.get("EventId") or uuid.uuid4()), self._now(), self._region, self._account
            )
            bus = bus_name(entry.get("EventBusName"))
            for rule in self.rules:
                if rule.bus == bus and matches(rule.pattern, event):
                    self._pending.put((rule, event))

    def start(self) -> None:
        self._worker = threading.Thread(target=self._deliver_all, name="eventbus", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        if self._worker is not None:
            self._pending.put(None)
            self._worker.join(timeout=30)
            self._worker = None

    def drain(self) -> None:
        """Wait until every queued event has been delivered."""
        self._pending.join()

    def _dead_letter(self, rule: FunctionRule, event: dict[str, Any], error: Exception) -> None:
        if rule.dead_letter_arn is None or self._sqs is None:
            return
        url = self._sqs.get_queue_url(QueueName=rule.dead_letter_arn.rsplit(":", 1)[-1])["QueueUrl"]
        self._sqs.send_message(
            QueueUrl=url,
            MessageBody=json.dumps(event),
            MessageAttributes={
                "RULE_ARN": {"DataType": "String", "StringValue": rule.name},
                "ERROR_MESSAGE": {"DataType": "String", "StringValue": str(error)[:1000] or type(error).__name__},
            },
        )
        self.dead_lettered.append((rule.function, event))

    def _deliver_all(self) -> None:
        while True:
            item = self._pending.get()
            try:
                if item is None:
                    return
                rule, event = item
                try:
                    self._invoke(rule.function, event)
                    self.delivered.append((rule.function, event))
                except Exception as error:
                    # EventBridge would retry by the target's RetryPolicy first; locally the
                    # first failure is final: shown here, and dead-lettered like the last retry.
                    log.exception("event delivery failed: rule %s -> %s", rule.name, rule.function)
                    self._dead_letter(rule, event, error)
            finally:
                self._pending.task_done()
