"""Every sample event in events/ is a valid event for `sam local invoke`: the shape AWS sends
for its trigger, and a function in template.yaml that has that trigger."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from devtools.local.eventbus import matches
from devtools.local.routes import RouteTable, routes_from_template
from devtools.local.stack import STACK_NAME
from devtools.local.streams import stream_record
from devtools.sam_template import load_template, translate

EVENTS = Path(__file__).resolve().parents[2] / "events"
SAMPLES = sorted(EVENTS.glob("*.json"))
TEMPLATE = load_template()
CONFIGURATION_SET_REF = json.dumps({"Ref": "MailConfigurationSet"})
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def functions_with_trigger(kind: str) -> set[str]:
    return {
        logical_id
        for logical_id, resource in TEMPLATE["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        and any(event["Type"] == kind for event in resource["Properties"].get("Events", {}).values())
    }


def kind_of(event: dict[str, Any]) -> str:
    if event.get("version") == "2.0" and "routeKey" in event:
        return "HttpApi"
    if event.get("detail-type") == "Scheduled Event":
        return "Schedule"
    if (
        isinstance(event.get("Records"), list)
        and event["Records"]
        and event["Records"][0].get("eventSource") == "aws:sqs"
    ):
        return "SQS"
    if (
        isinstance(event.get("Records"), list)
        and event["Records"]
        and event["Records"][0].get("eventSource") == "aws:dynamodb"
    ):
        return "DynamoDB"
    if "detail-type" in event and "source" in event:
        return "EventBridgeRule"
    return "unknown"


def check_http_api(event: dict[str, Any]) -> None:
    http = event["requestContext"]["http"]
    assert {"method", "path", "protocol", "sourceIp", "userAgent"} <= set(http)
    assert event["routeKey"] == event["requestContext"]["routeKey"]
    assert event["rawPath"] == http["path"]
    assert isinstance(event["headers"], dict)
    assert all(name == name.lower() for name in event["headers"])
    assert isinstance(event["isBase64Encoded"], bool)
    assert isinstance(event.get("body", ""), str)
    claims = event["requestContext"]["authorizer"]["jwt"]["claims"]
    assert {"sub", "custom:firm_id"} <= set(claims)
    # the route exists in the template, and routing the raw path there gives the same parameters
    method, path = event["routeKey"].split(" ", 1)
    matched = RouteTable(routes_from_template(translate(TEMPLATE))).match(method, event["rawPath"])
    assert matched is not None, f"no route {event['routeKey']} in template.yaml"
    assert matched.route.path == path
    assert matched.path_parameters == event.get("pathParameters", {})


def check_schedule(event: dict[str, Any]) -> None:
    assert event["source"] == "aws.events"
    assert event["version"] == "0"
    assert ISO_UTC.match(event["time"]), "time must be ISO 8601 UTC, as EventBridge sends it"
    assert isinstance(event["detail"], dict)
    assert all(r.startswith("arn:aws:events:") for r in event["resources"])
    assert {"id", "account", "region"} <= set(event)


def check_sqs(event: dict[str, Any]) -> None:
    for record in event["Records"]:
        assert {"messageId", "receiptHandle", "body", "attributes", "messageAttributes", "md5OfBody"} <= set(record)
        assert isinstance(record["body"], str)
        assert record["eventSourceARN"].startswith("arn:aws:sqs:")
        assert {"ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
            record["attributes"]
        )
        assert record["md5OfBody"] == hashlib.md5(record["body"].encode()).hexdigest()
        assert record["awsRegion"]


def _as_deployed(node: Any) -> Any:
    """The template's intrinsic functions in a rule's pattern, with every parameter at its default
    (as `make run` deploys it): Fn::If and what its conditions use."""
    if isinstance(node, list):
        return [_as_deployed(n) for n in node]
    if not isinstance(node, dict):
        return node
    if len(node) == 1:
        [(function, value)] = node.items()
        if function == "Ref" and value in TEMPLATE["Parameters"]:
            default = TEMPLATE["Parameters"][value].get("Default", "")
            is_list = TEMPLATE["Parameters"][value]["Type"] == "CommaDelimitedList"
            return ([] if default == "" else default.split(",")) if is_list else default
        if function == "Fn::If":
            condition, when_true, when_false = value
            return _as_deployed(when_true if _as_deployed(TEMPLATE["Conditions"][condition]) else when_false)
        if function == "Fn::Equals":
            left, right = _as_deployed(value)
            return left == right
        if function == "Fn::Not":
            return not _as_deployed(value[0])
        if function == "Fn::Join":
            separator, parts = _as_deployed(value)
            return separator.join(parts)
        if function == "Fn::Split":
            separator, text = _as_deployed(value)
            return text.split(separator)
    return {key: _as_deployed(value) for key, value in node.items()}


def check_event_rule(event: dict[str, Any]) -> None:
    assert event["version"] == "0"
    assert ISO_UTC.match(event["time"])
    assert isinstance(event["detail"], dict)
    assert {"id", "account", "region", "resources"} <= set(event)
    # the configuration set as the local stack names it (devtools.deploy: stack, logical id)
    configuration_set = json.dumps(f"{STACK_NAME}-MailConfigurationSet")
    patterns = [
        _as_deployed(
            json.loads(
                json.dumps(event_source["Properties"]["Pattern"]).replace(CONFIGURATION_SET_REF, configuration_set)
            )
        )
        for logical_id in functions_with_trigger("EventBridgeRule")
        for event_source in TEMPLATE["Resources"][logical_id]["Properties"]["Events"].values()
        if event_source["Type"] == "EventBridgeRule"
    ]
    assert any(matches(pattern, event) for pattern in patterns), "no EventBridgeRule of the template matches it"


def check_dynamodb_stream(event: dict[str, Any]) -> None:
    (stream,) = [
        source["Properties"]
        for logical_id in functions_with_trigger("DynamoDB")
        for source in TEMPLATE["Resources"][logical_id]["Properties"]["Events"].values()
        if source["Type"] == "DynamoDB"
    ]
    view = TEMPLATE["Resources"]["RemindersTable"]["Properties"]["StreamSpecification"]["StreamViewType"]
    filters = [json.loads(f["Pattern"]) for f in stream["FilterCriteria"]["Filters"]]
    positions = []
    for record in event["Records"]:
        # exactly the record Lambda hands the function (the one builder the local stack and tests use)
        assert record == stream_record(record, record["eventSourceARN"], record["awsRegion"])
        assert re.match(r"^arn:aws:dynamodb:[a-z0-9-]+:\d{12}:table/[^/]+/stream/", record["eventSourceARN"])
        assert record["eventName"] in ("INSERT", "MODIFY", "REMOVE")
        dynamodb = record["dynamodb"]
        assert dynamodb["StreamViewType"] == view
        assert isinstance(dynamodb["ApproximateCreationDateTime"], float)
        assert set(dynamodb["Keys"]) == {"pk", "sk"}
        assert {"NewImage", "OldImage"} & set(dynamodb)
        assert dynamodb["SizeBytes"] > 0
        positions.append(int(dynamodb["SequenceNumber"]))
        # every sample record is one the mapping's filters let through
        assert any(matches(pattern, record) for pattern in filters)
    assert positions == sorted(positions), "a shard's records come in sequence order"


CHECKS = {
    "HttpApi": check_http_api,
    "Schedule": check_schedule,
    "SQS": check_sqs,
    "EventBridgeRule": check_event_rule,
    "DynamoDB": check_dynamodb_stream,
}


def test_there_are_sample_events() -> None:
    assert SAMPLES, "events/ holds the sample events for sam local invoke"


@pytest.mark.parametrize("path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_each_sample_event_is_valid_for_sam_local_invoke(path: Path) -> None:
    event = json.loads(path.read_text())

    kind = kind_of(event)

    assert kind != "unknown", f"{path.name} is not an event of any trigger the template uses"
    assert functions_with_trigger(kind), f"{path.name} is a {kind} event, but no function has a {kind} trigger"
    CHECKS.get(kind, lambda _: None)(event)
