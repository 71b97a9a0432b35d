"""The EventBridge rules of the deployed stack that target one of its functions, read back from
EventBridge (moto), so names, buses, patterns and schedules are the resolved ones."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FunctionTarget:
    bus: str
    rule: Mapping[str, Any]  # as list_rules returns it (Name, Arn, State, EventPattern or ScheduleExpression)
    target: Mapping[str, Any]  # as list_targets_by_rule returns it (Id, Arn, DeadLetterConfig, ...)
    function: str  # logical id


def pages(call: Callable[..., dict[str, Any]], key: str, **arguments: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    while True:
        page = call(**arguments)
        items.extend(page.get(key, []))
        if not page.get("NextToken"):
            return items
        arguments["NextToken"] = page["NextToken"]


def function_targets(events_client: Any, functions: Mapping[str, str]) -> list[FunctionTarget]:
    """Every enabled rule's targets that are functions of the stack (`functions`: the stack's
    function names -> logical ids)."""
    found = []
    for bus in pages(events_client.list_event_buses, "EventBuses"):
        for rule in pages(events_client.list_rules, "Rules", EventBusName=bus["Name"]):
            if rule.get("State") != "ENABLED":
                continue
            for target in pages(
                events_client.list_targets_by_rule, "Targets", Rule=rule["Name"], EventBusName=bus["Name"]
            ):
                arn = str(target["Arn"])
                name = arn.split(":function:", 1)[-1].split(":", 1)[0]
                if ":lambda:" in arn and name in functions:
                    found.append(FunctionTarget(bus["Name"], rule, target, functions[name]))
    return found


def take_over_targets(events_client: Any, targets: list[FunctionTarget]) -> None:
    """Remove the function targets from the rules in moto, whose EventBridge cannot invoke
    functions (its PutEvents fails on a matching rule with one, and a schedule rule matches every
    event of its bus); the local schedule and event bus run those functions instead."""
    for found in targets:
        events_client.remove_targets(Rule=found.rule["Name"], EventBusName=found.bus, Ids=[found.target["Id"]])
