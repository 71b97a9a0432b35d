"""EventBridge delivery to functions, which the local stack does itself: the pattern matcher,
and the whole path with a tiny fake template deployed into moto: its rule read back from the
stack, the function target taken over, a PutEvents by a botocore client observed and delivered
to the function (and dead-lettered when the function fails)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.session
import pytest
from moto import mock_aws

from devtools.local.cfn import UnsupportedTemplate
from devtools.local.eventbus import EventBus, check_pattern, matches, rules_from_stack
from devtools.local.observe import CallObserver
from devtools.local.rules import function_targets, take_over_targets
from devtools.local.schedule import scheduled_functions

REGION = "us-east-1"
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
JOB_EVENT = {"detail-type": "JobEnteredStage", "source": "client-reminders", "detail": {"stage_id": "stg_1"}}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail-type": ["JobEnteredStage"]}, True),
        ({"detail-type": ["JobLeftStage", "JobEnteredStage"]}, True),
        ({"detail-type": ["JobLeftStage"]}, False),
        ({"source": ["client-reminders"], "detail": {"stage_id": ["stg_1"]}}, True),
        ({"detail": {"stage_id": ["stg_2"]}}, False),
        ({"detail": {"job_id": [{"exists": False}]}}, True),
        ({"detail": {"job_id": [{"exists": True}]}}, False),
        ({"source": [{"prefix": "client-"}]}, True),
        ({"source": [{"anything-but": ["client-reminders"]}]}, False),
        ({"detail": {"stage_id": ["stg_1"]}, "detail-type": ["Other"]}, False),
    ],
)
def test_event_patterns_match_like_eventbridge(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, JOB_EVENT) is expected


def test_an_event_field_holding_an_array_matches_any_of_its_elements() -> None:
    assert matches({"resources": ["arn:b"]}, {"resources": ["arn:a", "arn:b"]})


def test_filters_the_matcher_does_not_know_are_refused_up_front() -> None:
    with pytest.raises(UnsupportedTemplate, match="numeric"):
        check_pattern({"detail": {"amount": [{"numeric": [">", 0]}]}})


# a tiny template: a bus, a function, and a rule on the bus targeting the function with a DLQ
FAKE_TEMPLATE = {
    "Resources": {
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "jobs"}},
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        },
        "StageFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": "stage-function",
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": "def handler(event, context):\n    return event\n"},
            },
        },
        "DeadLetters": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "stage-dlq"}},
        "StageRule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": "jobs",
                "EventPattern": {"detail-type": ["JobEnteredStage"]},
                "State": "ENABLED",
                "Targets": [
                    {
                        "Id": "StageTarget",
                        "Arn": {"Fn::GetAtt": ["StageFunction", "Arn"]},
                        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["DeadLetters", "Arn"]}},
                    }
                ],
            },
        },
        "Tick": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "ScheduleExpression": "rate(5 minutes)",
                "State": "ENABLED",
                "Targets": [{"Id": "TickTarget", "Arn": {"Fn::GetAtt": ["StageFunction", "Arn"]}}],
            },
        },
    }
}


@pytest.fixture
def fake_stack() -> Iterator[Any]:
    with mock_aws():
        boto3.client("cloudformation", region_name=REGION).create_stack(
            StackName="fake", TemplateBody=json.dumps(FAKE_TEMPLATE)
        )
        yield boto3.client("events", region_name=REGION)


def put_job_event(bus: str = "jobs", detail_type: str = "JobEnteredStage") -> None:
    """As a function would: its own botocore client, created after the observer was installed."""
    events = botocore.session.get_session().create_client("events", region_name=REGION)
    entry = {"EventBusName": bus, "Source": "client-reminders", "DetailType": detail_type, "Detail": '{"job_id": "j1"}'}
    assert events.put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_the_stack_rule_targets_become_event_rules_and_schedules(fake_stack: Any) -> None:
    targets = function_targets(fake_stack, {"stage-function": "StageFunction"})

    [rule] = rules_from_stack(targets)
    [schedule] = scheduled_functions(targets)

    assert (rule.bus, rule.function, rule.pattern) == ("jobs", "StageFunction", {"detail-type": ["JobEnteredStage"]})
    assert str(rule.dead_letter_arn).endswith(":stage-dlq")
    assert (schedule.function, schedule.expression) == ("StageFunction", "rate(5 minutes)")


def test_put_events_by_a_function_is_delivered_to_the_matching_rule_function(fake_stack: Any) -> None:
    # Given the rule taken over from moto and a bus that records invocations
    targets = function_targets(fake_stack, {"stage-function": "StageFunction"})
    take_over_targets(fake_stack, targets)
    rules = rules_from_stack(targets)
    invoked: list[tuple[str, dict[str, Any]]] = []
    bus = EventBus(rules, lambda function, event: invoked.append((function, event)), lambda: NOW)
    observer = CallObserver()
    observer.subscribe("eventbridge", "PutEvents", bus.on_put_events)
    observer.install()
    bus.start()
    try:
        # When a function puts a matching event, one of another type, and one on another bus
        put_job_event()
        put_job_event(detail_type="SomethingElse")
        put_job_event(bus="default")
        bus.drain()
    finally:
        bus.stop()
        observer.uninstall()

    # Then only the matching one reached the function, shaped as EventBridge delivers it
    [(function, event)] = invoked
    assert function == "StageFunction"
    assert event["detail-type"] == "JobEnteredStage"
    assert event["detail"] == {"job_id": "j1"}
    assert event["time"] == "2026-11-27T09:00:00Z"
    assert {"version", "id", "source", "account", "region", "resources"} <= set(event)
    # And moto no longer holds the function targets (it cannot invoke functions)
    for target in targets:
        assert fake_stack.list_targets_by_rule(Rule=target.rule["Name"], EventBusName=target.bus)["Targets"] == []


def test_an_event_the_function_fails_on_goes_to_the_targets_dead_letter_queue(fake_stack: Any) -> None:
    rules = rules_from_stack(function_targets(fake_stack, {"stage-function": "StageFunction"}))
    sqs = boto3.client("sqs", region_name=REGION)

    def failing(function: str, event: dict[str, Any]) -> None:
        raise RuntimeError("stage not found")

    bus = EventBus(rules, failing, lambda: NOW, dead_letters=sqs)
    bus.start()
    try:
        bus.on_put_events({"Entries": [{"EventBusName": "jobs", "DetailType": "JobEnteredStage"}]}, {"Entries": [{}]})
        bus.drain()
    finally:
        bus.stop()

    url = sqs.get_queue_url(QueueName="stage-dlq")["QueueUrl"]
    [message] = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert json.loads(message["Body"])["detail-type"] == "JobEnteredStage"
    assert message["MessageAttributes"]["ERROR_MESSAGE"]["StringValue"] == "stage not found"
