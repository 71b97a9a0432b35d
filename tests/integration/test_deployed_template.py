"""template.yaml itself, deployed into moto's CloudFormation (translated offline by samtranslator),
then driven end to end with AWS-shaped events and each function's own environment as the stack
resolved it: the template and the code cannot drift apart."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import boto3
import pytest
import time_machine
from moto import mock_aws

from devtools.deploy import DeployedStack, deploy
from devtools.local.eventbus import matches
from devtools.local.rules import FunctionTarget, function_targets, take_over_targets
from devtools.local.streams import stream_mappings
from tests.conftest import START
from tests.support.aws import REGION, verify_sender
from tests.support.world import Queues, World

DAY = timedelta(days=1)
FUNCTIONS = (
    "ApiFunction",
    "ScanFunction",
    "SendFunction",
    "AutomationsFunction",
    "PublisherFunction",
    "SuppressionFunction",
)
PARAMETERS = {
    "SenderAddress": "no-reply@reminders.example.org",
    "PortalBaseUrl": "https://clients.example.org",
    "JwtIssuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
    "JwtAudience": "client-app-1",
}


@pytest.fixture
def deployment(traveller: time_machine.Coordinates) -> Iterator[tuple[DeployedStack, list[FunctionTarget]]]:
    with mock_aws():
        deployed = deploy(
            boto3.client("cloudformation", region_name=REGION),
            boto3.client("s3", region_name=REGION),
            boto3.client("lambda", region_name=REGION),
            PARAMETERS,
        )
        verify_sender(PARAMETERS["SenderAddress"])
        # moto's EventBridge cannot invoke functions (its PutEvents fails on a rule with one): the
        # test delivers the events to the functions itself, as the local stack does
        events = boto3.client("events", region_name=REGION)
        functions = {deployed.outputs[f"{name}Name"]: name for name in FUNCTIONS}
        targets = function_targets(events, functions)
        take_over_targets(events, targets)
        yield deployed, targets


@pytest.fixture
def stack(deployment: tuple[DeployedStack, list[FunctionTarget]]) -> DeployedStack:
    return deployment[0]


@pytest.fixture
def deployed_world(stack: DeployedStack, traveller: time_machine.Coordinates, monkeypatch: pytest.MonkeyPatch) -> World:
    queues = Queues(
        send_url=stack.outputs["SendQueueUrl"],
        dead_letter_url=stack.outputs["SendDeadLetterQueueUrl"],
        publisher_dead_letter_url=stack.outputs["PublisherDeadLetterQueueUrl"],
    )
    # the publisher reads the stream through the mapping the stack created
    [mapping] = stream_mappings(
        boto3.client("lambda", region_name=REGION), {"PublisherFunction": stack.outputs["PublisherFunctionName"]}
    )
    return World(queues, traveller, environments=stack.environments, monkeypatch=monkeypatch, stream_mapping=mapping)


def test_the_stack_wires_schedule_bus_queue_and_dead_letter_queues(
    deployment: tuple[DeployedStack, list[FunctionTarget]],
) -> None:
    # Given the deployed stack and the functions its rules target
    stack, targets = deployment
    by_function = {t.function: t for t in targets}
    awslambda = boto3.client("lambda", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)

    # Then the scan runs on the schedule, every 5 minutes by default
    assert by_function["ScanFunction"].rule["ScheduleExpression"] == "rate(5 minutes)"

    # And JobEnteredStage on the stack's bus, under the product's own source, reaches the automations function
    assert by_function["AutomationsFunction"].bus == stack.outputs["EventBusName"]
    assert json.loads(by_function["AutomationsFunction"].rule["EventPattern"]) == {
        "source": ["client-reminders"],
        "detail-type": ["JobEnteredStage"],
    }
    # and what EventBridge cannot deliver to a function is kept 14 days, as in every dead-letter queue
    for output in ("AutomationsRuleDeadLetterQueueUrl", "SuppressionRuleDeadLetterQueueUrl", "SendDeadLetterQueueUrl"):
        kept = sqs.get_queue_attributes(QueueUrl=stack.outputs[output], AttributeNames=["MessageRetentionPeriod"])
        assert kept["Attributes"]["MessageRetentionPeriod"] == str(14 * 24 * 3600), output

    # And send consumes the queue in batches, reporting partial failures
    [mapping] = awslambda.list_event_source_mappings(FunctionName=stack.outputs["SendFunctionName"])[
        "EventSourceMappings"
    ]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == 10
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}

    # And failures end in the dead-letter queue only after many receives (the send function sets
    # each failed message's own backoff), and a crashed invocation's message shows again after 6 x
    # the send timeout
    attributes = sqs.get_queue_attributes(QueueUrl=stack.outputs["SendQueueUrl"], AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert int(redrive["maxReceiveCount"]) == 100
    assert redrive["deadLetterTargetArn"].endswith(stack.resources["SendDeadLetterQueue"].rsplit("/", 1)[-1])
    send_timeout = awslambda.get_function_configuration(FunctionName=stack.outputs["SendFunctionName"])["Timeout"]
    assert int(attributes["VisibilityTimeout"]) >= 6 * send_timeout

    # And a claim outlives every message it queues (the queue keeps a message at most its retention)
    lease = int(stack.environment("ScanFunction")["CLAIM_LEASE_SECONDS"])
    assert int(attributes["MessageRetentionPeriod"]) < lease

    # And the publisher reads the table's stream (old and new images) from its oldest record, in
    # batches, reporting failed records, halving failing batches, and dead-lettering what gives up
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=stack.outputs["TableName"])["Table"]
    assert table["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    [stream] = awslambda.list_event_source_mappings(FunctionName=stack.outputs["PublisherFunctionName"])[
        "EventSourceMappings"
    ]
    assert stream["EventSourceArn"] == table["LatestStreamArn"]
    assert stream["StartingPosition"] == "TRIM_HORIZON"
    assert stream["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert stream["BisectBatchOnFunctionError"] is True
    assert (stream["BatchSize"], stream["MaximumRetryAttempts"], stream["MaximumRecordAgeInSeconds"]) == (100, 10, 3600)
    dead_letters = stream["DestinationConfig"]["OnFailure"]["Destination"]
    assert dead_letters.endswith(stack.outputs["PublisherDeadLetterQueueUrl"].rsplit("/", 1)[-1])
    assert len(stream["FilterCriteria"]["Filters"]) == 2

    # And the api function's "live" alias (what API Gateway invokes) is on the version the stack
    # published (moto's CloudFormation makes no alias: devtools.deploy makes it as AWS would)
    alias = awslambda.get_alias(FunctionName=stack.outputs["ApiFunctionName"], Name="live")
    assert alias["AliasArn"] == stack.resources["ApiFunctionAliaslive"]
    versions = awslambda.list_versions_by_function(FunctionName=stack.outputs["ApiFunctionName"])["Versions"]
    assert alias["FunctionVersion"] == max((v["Version"] for v in versions if v["Version"] != "$LATEST"), key=int)


def test_the_table_has_the_sparse_sharded_due_index_and_refuses_to_be_deleted(stack: DeployedStack) -> None:
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=stack.outputs["TableName"])["Table"]
    assert table["DeletionProtectionEnabled"] is True
    indexes = {i["IndexName"]: i for i in table["GlobalSecondaryIndexes"]}
    assert [k["AttributeName"] for k in indexes["due-index"]["KeySchema"]] == ["due_shard", "next_reminder_at"]
    assert indexes["due-index"]["Projection"]["ProjectionType"] == "INCLUDE"


def test_send_remind_and_complete_against_the_deployed_stack(deployed_world: World) -> None:
    world = deployed_world

    # Given a firm, an account and an organizer with two reminders, three days apart
    world.api("PUT", "/firm", {"name": "Silva Contabilidade"})
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 2})
    assert len(world.mail) == 2
    assert world.mail[0].source == "Silva Contabilidade <no-reply@reminders.example.org>"
    assert f"https://clients.example.org/action-items/{item['id']}" in world.mail[0].html

    # When the schedule ticks three days later and send drains the queue
    assert world.scan(START + 3 * DAY)["claimed"] == 1
    world.drain()

    # Then the first reminder went out
    assert [m.subject.startswith("Reminder: ") for m in world.mail] == [False, False, True, True]

    # When the client completes the item before the second reminder
    world.time.move_to(START + 4 * DAY)
    completed = world.api("POST", f"/action-items/{item['id']}/complete")

    # Then no further reminder is due, ever
    assert completed.body["status"] == "completed"
    assert world.scan(START + 6 * DAY)["due"] == 0
    assert world.scan(START + 30 * DAY)["due"] == 0
    assert len(world.mail) == 4
    audit = world.api("GET", f"/accounts/{account['id']}/audit").body["items"]
    assert [e["type"] for e in audit] == ["item_sent", "reminder_sent", "completed"]

    # And the publisher announced each change on the stack's bus, from the table's stream
    assert world.publish() > 0
    assert [e["DetailType"] for e in world.published] == ["ItemSent", "ReminderSent", "ItemCompleted"]
    assert {e["EventBusName"] for e in world.published} == {stack_bus(world)}
    assert [json.loads(e["Detail"])["event_id"] for e in world.published] == [e["id"] for e in audit]


def test_a_stage_automation_and_an_approval_request_against_the_deployed_stack(deployed_world: World) -> None:
    world = deployed_world
    account = world.create_account()

    # Given a pipeline whose first stage sends a proposal with reminders
    template = world.api("POST", "/templates", {"kind": "proposal", "name": "EL", "title": "Engagement letter"})
    pipeline = world.api(
        "POST",
        "/pipelines",
        {
            "name": "Onboarding",
            "stages": [
                {
                    "name": "Start",
                    "automations": [
                        {"action": "send_proposal", "template_id": template.body["id"], "reminders": {"enabled": True}}
                    ],
                }
            ],
        },
    ).body

    # When a job enters the stage, the publisher announces it from the stream, and the bus delivers
    # the event to the automations function
    job = world.api(
        "POST",
        f"/pipelines/{pipeline['id']}/jobs",
        {"account_id": account["id"], "stage_id": pipeline["stages"][0]["id"]},
    )
    [ran] = world.deliver_events()

    # Then the proposal was created and sent, and is reminded three days later
    assert job.status == 201
    assert ran["status"] == "ran"
    assert world.mail[-1].subject.endswith("“Engagement letter”") or "Engagement letter" in world.mail[-1].subject
    assert world.scan(START + 3 * DAY)["claimed"] == 1
    world.drain()
    assert world.mail[-1].subject.startswith("Reminder: ")

    # And a request for approvals is fanned out through the stack's queue
    world.send_item(account["id"], kind="approval", title="Statements 2025")
    reply = world.api("POST", "/approvals/request-pending")
    world.drain()
    world.drain()
    assert reply.body == {"accepted": True, "accounts": 1, "documents": 1}
    assert "Statements 2025" in world.mail[-1].html


def test_a_bounce_through_the_deployed_configuration_set_and_rule_suppresses_the_contact(
    deployment: tuple[DeployedStack, list[FunctionTarget]], deployed_world: World
) -> None:
    # Given the stack's configuration set (made with SES v2 by the deploy: moto's CloudFormation
    # has none) and the suppression function's rule on the default bus, as the stack resolved it
    stack, targets = deployment
    world = deployed_world
    name = stack.outputs["MailConfigurationSetName"]
    configuration_set = boto3.client("sesv2", region_name=REGION).get_configuration_set(ConfigurationSetName=name)
    # and SES's own suppression list as a backstop
    assert configuration_set["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}
    [rule] = [t for t in targets if t.function == "SuppressionFunction"]
    assert rule.bus == "default"
    assert rule.target["DeadLetterConfig"]["Arn"].endswith(
        stack.outputs["SuppressionRuleDeadLetterQueueUrl"].rsplit("/", 1)[-1]
    )
    assert {stack.environment(f)["SES_CONFIGURATION_SET"] for f in FUNCTIONS} == {name}

    # And an item sent with it to Ana and Bruno
    account = world.create_account()
    item = world.send_item(account["id"], reminders={"enabled": True, "days_between": 3, "max_reminders": 2})
    assert {m.configuration_set for m in world.sent} == {name}

    # When SES publishes a permanent bounce of Bruno's mail on the default bus and the deployed rule
    # takes it to the function
    event = world.ses_event(world.sent_to("bruno@client.example.com")[0], "bounce")
    assert matches(json.loads(rule.rule["EventPattern"]), event)
    assert world.invoke_suppression(event)["outcome"] == "suppressed"

    # Then Bruno is suppressed, and the next reminder goes to Ana only
    contacts = world.api("GET", f"/accounts/{account['id']}").body["contacts"]
    assert [c["suppressed"]["reason"] for c in contacts if c["suppressed"]] == ["bounce"]
    sent = len(world.mail)
    world.scan(START + 3 * DAY)
    world.drain()
    assert [m.to for m in world.mail[sent:]] == [["ana@client.example.com"]]
    assert world.api("GET", f"/action-items/{item['id']}/audit").body["items"][1]["type"] == "email_bounced"


def stack_bus(world: World) -> str:
    return world.environment("PublisherFunction")["EVENT_BUS_NAME"]
