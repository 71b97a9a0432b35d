"""The alarms on the product's own metrics watch what the functions really publish: the metric
names, the namespace and the dimensions of the EMF records the send and scan functions print when
the mail service refuses, throttles and finally gives up a round, checked against template.yaml's
alarms. If the code renames a metric or a dimension, or the template does, this fails."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import pytest

from devtools.sam_template import load_template
from portal_reminders import wiring
from tests.conftest import START
from tests.support.faults import ses_errors
from tests.support.world import World

TEMPLATE = load_template()
DAY = timedelta(days=1)
GLOBALS = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
# the dimensions a metric may have: the service, a reason of a handful, the function (cold starts)
LOW_CARDINALITY = {"service", "reason", "function_name"}


def _emf(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{") and '"_aws"' in line]


def _published(records: list[dict[str, Any]]) -> dict[tuple[str, str, frozenset[tuple[str, str]]], float]:
    """(namespace, metric, its dimensions and their values) -> the sum of what was published."""
    found: dict[tuple[str, str, frozenset[tuple[str, str]]], float] = {}
    for record in records:
        for directive in record["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dimensions = frozenset((name, str(record[name])) for name in dimension_set)
                for metric in directive["Metrics"]:
                    value = record[metric["Name"]]
                    key = (directive["Namespace"], metric["Name"], dimensions)
                    found[key] = found.get(key, 0) + (sum(value) if isinstance(value, list) else value)
    return found


def _watched_by_alarms() -> dict[str, list[tuple[str, str, frozenset[tuple[str, str]]]]]:
    """alarm -> (namespace, metric, dimensions) of each of the product's own metrics it watches."""
    watched: dict[str, list[tuple[str, str, frozenset[tuple[str, str]]]]] = {}
    for name, resource in TEMPLATE["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        properties = resource["Properties"]
        metrics = [m["MetricStat"]["Metric"] for m in properties.get("Metrics", []) if "MetricStat" in m]
        for metric in metrics or [properties]:
            if metric["Namespace"] == GLOBALS["POWERTOOLS_METRICS_NAMESPACE"]:
                dimensions = frozenset((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
                watched.setdefault(name, []).append((metric["Namespace"], metric["MetricName"], dimensions))
    return watched


def test_the_alarms_watch_the_metrics_the_functions_publish_when_ses_refuses_then_gives_up(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a reminder due, and the send function giving a round up 5 minutes after its first try
    # (24 hours in production: the same code path, sooner)
    monkeypatch.setenv("GIVE_UP_AFTER_SECONDS", "300")
    wiring.reset()
    account = world.create_account()
    world.send_item(account["id"], reminders={"enabled": True})
    world.time.move_to(START + 3 * DAY)
    capsys.readouterr()

    # When SES first says the daily quota is used up, then throttles every send, for ten minutes
    def refuse(_: str, call: int) -> str:
        return "LimitExceededException" if call == 1 else "TooManyRequestsException"

    with ses_errors(refuse) as refused:
        world.run_for(timedelta(minutes=10), step=timedelta(seconds=30))
    published = _published(_emf(capsys.readouterr().out))

    # Then the round was refused, throttled and given up
    assert refused
    item = world.api("GET", f"/accounts/{account['id']}/action-items").body["items"][0]
    assert item["email_failed"] is True

    # And every metric an alarm watches in the product's namespace was published with the alarm's
    # dimensions, under the namespace the functions are given (the template gives them the alarms')
    watched = _watched_by_alarms()
    assert set(watched) == {"RoundsGivenUpAlarm", "MailRefusedAlarm", "SendMisconfiguredAlarm"}
    namespace = os.environ["POWERTOOLS_METRICS_NAMESPACE"]
    assert GLOBALS["POWERTOOLS_SERVICE_NAME"] == os.environ["POWERTOOLS_SERVICE_NAME"]
    for alarm, metrics in watched.items():
        for _, metric, dimensions in metrics:
            assert (namespace, metric, dimensions) in published, (alarm, metric, sorted(dimensions))

    # And no metric is split by anything with many values (a firm, an account, an item): each
    # dimension value is a metric CloudWatch bills monthly (docs/aws-readiness.md, "Cost")
    assert {name for _, _, dimensions in published for name, _ in dimensions} <= LOW_CARDINALITY

    # And with the values that make them fire: a round given up, refused and throttled rounds
    service = ("service", GLOBALS["POWERTOOLS_SERVICE_NAME"])
    assert published[(namespace, "RoundsGivenUp", frozenset({service}))] >= 1
    assert published[(namespace, "RoundsFailed", frozenset({service, ("reason", "refused")}))] >= 1
    assert published[(namespace, "RoundsFailed", frozenset({service, ("reason", "throttled")}))] >= 1
