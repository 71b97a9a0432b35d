"""template.yaml's promises: retry arithmetic, least privilege, the data layout the code relies on,
and the same routes as the API's resolver."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from devtools.local.eventbus import matches
from devtools.sam_template import load_template, translate
from portal_reminders.api.app import app
from portal_reminders.models.domain import SENDING_LOCAL_PART
from portal_reminders.ports import MailThrottled, MailUnavailable
from portal_reminders.reminders.delivery import backoff
from portal_reminders.repository import keys
from portal_reminders.repository.records import (
    DUE_INDEX,
    DUE_INDEX_PROJECTION,
    PENDING_INDEX,
    PENDING_INDEX_PROJECTION,
)
from portal_reminders.wiring import API_IDEMPOTENCY_PK

TEMPLATE = load_template()
LIMITS = TEMPLATE["Mappings"]["Limits"]
RESOURCES = TEMPLATE["Resources"]


@pytest.fixture(scope="module")
def translated() -> dict[str, Any]:
    return translate(TEMPLATE)


def test_retry_arithmetic_holds() -> None:
    send = LIMITS["Send"]
    # AWS guidance for SQS event sources: visibility timeout at least 6x the function timeout
    assert send["VisibilityTimeoutSeconds"] >= 6 * send["TimeoutSeconds"]
    # a claim outlives every message carrying it (SQS deletes a message after its retention period)
    assert send["ClaimLeaseSeconds"] > send["MessageRetentionSeconds"]
    assert RESOURCES["SendQueue"]["Properties"]["MessageRetentionPeriod"] == {
        "Fn::FindInMap": ["Limits", "Send", "MessageRetentionSeconds"]
    }
    # the api's own claim outlives one api invocation, so the scan never takes a live one over
    assert send["HandoffLeaseSeconds"] > send["TimeoutSeconds"]
    # a delivery lease outlives one send invocation, so a live worker never loses it
    assert send["DeliveryLeaseSeconds"] > send["TimeoutSeconds"]


def test_a_refused_round_is_given_up_between_24_and_48_hours_and_before_the_dead_letter_queue() -> None:
    send = LIMITS["Send"]
    hour = 3600
    # the sender gives up at its first try 24 h after the first one; its tries are at most the
    # backoff cap apart, so that lands before the scan's deadline, which an hourly scan meets by 48 h
    assert send["GiveUpAfterSeconds"] == 24 * hour
    assert send["GiveUpAfterSeconds"] + backoff.REFUSED.cap_seconds < send["GiveUpBySeconds"] <= 47 * hour
    # the most receives that takes (every delay drawn at its shortest) stays under maxReceiveCount,
    # leaving room for crashes and pacing on top
    for refusal in (MailUnavailable("paused"), MailThrottled("throttled")):
        waited, receives = 0, 0
        while waited < send["GiveUpAfterSeconds"]:
            receives += 1
            waited += backoff.retry_delay(refusal, receives, draw=lambda: 0.0)
        assert receives + 1 + 20 <= send["MaxReceiveCount"], (refusal, receives)
    # and the queue keeps a message longer than the whole retry horizon
    assert send["MessageRetentionSeconds"] > send["GiveUpBySeconds"] + hour


def test_a_scheduled_run_is_never_retried_later_with_a_stale_time() -> None:
    scan = RESOURCES["ScanFunction"]["Properties"]
    assert scan["EventInvokeConfig"]["MaximumRetryAttempts"] == 0
    assert scan["Events"]["Tick"]["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] == 0
    # and the scan lock lasts as long as a scan can run
    assert scan["Environment"]["Variables"]["SCAN_LEASE_SECONDS"] == {
        "Fn::FindInMap": ["Limits", "Scan", "TimeoutSeconds"]
    }


def test_the_table_is_on_demand_recoverable_and_encrypted() -> None:
    table = RESOURCES["RemindersTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert RESOURCES["RemindersTable"]["DeletionPolicy"] == "Retain"


def test_the_due_index_projects_what_the_scan_reads() -> None:
    indexes = {i["IndexName"]: i for i in RESOURCES["RemindersTable"]["Properties"]["GlobalSecondaryIndexes"]}
    due = indexes[DUE_INDEX]
    assert [k["AttributeName"] for k in due["KeySchema"]] == ["due_shard", "next_reminder_at"]
    assert due["Projection"]["NonKeyAttributes"] == DUE_INDEX_PROJECTION


def test_the_send_queue_dead_letters_and_send_reports_partial_failures() -> None:
    queue = RESOURCES["SendQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["SendDeadLetterQueue", "Arn"]}
    mapping = RESOURCES["SendFunction"]["Properties"]["Events"]["Queue"]["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_the_schedule_rate_is_a_parameter_defaulting_to_five_minutes() -> None:
    tick = RESOURCES["ScanFunction"]["Properties"]["Events"]["Tick"]
    assert tick["Type"] == "Schedule"
    assert tick["Properties"]["Schedule"] == {"Ref": "ScheduleRate"}
    assert TEMPLATE["Parameters"]["ScheduleRate"]["Default"] == "rate(5 minutes)"


@pytest.mark.parametrize(
    ("parameter", "value", "accepted"),
    [
        ("ScheduleRate", "rate(5 minutes)", True),
        ("ScheduleRate", "rate(1 minute)", True),
        ("ScheduleRate", "cron(0/10 * * * ? *)", True),
        ("ScheduleRate", "every 5 minutes", False),
        ("ScheduleRate", "rate(5 minute)", False),
        ("SenderAddress", "reminders@example.com", True),
        ("SenderAddress", "reminders@localhost", False),
        ("SenderAddress", "Firm <reminders@example.com>", False),
        ("PortalBaseUrl", "https://portal.example.com", True),
        ("PortalBaseUrl", "portal.example.com", False),
        ("JwtIssuer", "http://insecure.example.com", False),
        ("JwtIssuer", "", True),
        ("FirmClaim", "custom:firm_id", True),
        ("FirmClaim", "https://example.com/firm_id", True),
        ("FirmClaim", "firm id", False),
    ],
)
def test_parameters_refuse_bad_values_with_a_clear_constraint(parameter: str, value: str, accepted: bool) -> None:
    definition = TEMPLATE["Parameters"][parameter]
    assert bool(re.fullmatch(definition["AllowedPattern"], value)) is accepted
    assert definition["ConstraintDescription"]


def _statements(translated: dict[str, Any], role: str) -> list[dict[str, Any]]:
    policies = translated["Resources"][role]["Properties"].get("Policies", [])
    return [s for p in policies for s in p["PolicyDocument"]["Statement"]]


def test_each_function_has_its_own_least_privilege_role(translated: dict[str, Any]) -> None:
    functions = {k: v for k, v in translated["Resources"].items() if v["Type"] == "AWS::Lambda::Function"}
    roles = {f["Properties"]["Role"]["Fn::GetAtt"][0] for f in functions.values()}
    assert len(roles) == len(functions) == 6
    for role in roles:
        for statement in _statements(translated, role):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a.endswith(":*") or a == "*" for a in actions), (role, actions)
            assert "dynamodb:Scan" not in actions
            # SES GetAccount (the account's send rate and quota) has no resource to scope to
            assert statement["Resource"] != "*" or actions == ["ses:GetAccount"], (role, actions)


def test_only_the_functions_that_email_may_and_only_from_the_sender(translated: dict[str, Any]) -> None:
    emailers = set()
    roles = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"]
    for role in roles:
        for statement in _statements(translated, role):
            if "ses:SendEmail" in statement["Action"] and statement.get("Sid") != FIRM_DOMAINS:
                emailers.add(role)
                assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SenderAddress"}}}
                # SES authorizes the configuration set each send names too (and nothing else)
                assert statement["Resource"] == [
                    {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"},
                    {
                        "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
                        ":configuration-set/${MailConfigurationSet}"
                    },
                ]
    assert emailers == {"ApiFunctionRole", "SendFunctionRole", "AutomationsFunctionRole"}


FIRM_DOMAINS = "FirmSendingDomains"
SES_IDENTITIES = {"Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/*"}


def test_the_functions_that_email_may_send_from_a_firms_domain_only_as_reminders_at_it(
    translated: dict[str, Any],
) -> None:
    # Given every statement that lets a role send from the firms' own domains (SPEC R21)
    roles = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"]
    found = {
        role: statement
        for role in roles
        for statement in _statements(translated, role)
        if statement.get("Sid") == FIRM_DOMAINS
    }

    # Then exactly the emailing functions have it, for reminders@<any domain> and the configuration set
    assert set(found) == {"ApiFunctionRole", "SendFunctionRole", "AutomationsFunctionRole"}
    for statement in found.values():
        assert statement["Action"] == "ses:SendEmail"
        assert statement["Condition"] == {"StringLike": {"ses:FromAddress": f"{SENDING_LOCAL_PART}@*"}}
        assert statement["Resource"] == [
            SES_IDENTITIES,
            {
                "Fn::Sub": "arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}"
                ":configuration-set/${MailConfigurationSet}"
            },
        ]


def test_only_the_api_manages_the_firms_domain_identities(translated: dict[str, Any]) -> None:
    roles = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"]
    managing = {
        role: statement
        for role in roles
        for statement in _statements(translated, role)
        if any(str(a).endswith("EmailIdentity") for a in _actions(statement))
    }
    assert list(managing) == ["ApiFunctionRole"]
    statement = managing["ApiFunctionRole"]
    assert sorted(statement["Action"]) == [
        "ses:CreateEmailIdentity",
        "ses:DeleteEmailIdentity",
        "ses:GetEmailIdentity",
    ]
    assert statement["Resource"] == SES_IDENTITIES


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement["Action"]
    return actions if isinstance(actions, list) else [actions]


def test_the_scan_may_only_query_the_due_index(translated: dict[str, Any]) -> None:
    queries = [s for s in _statements(translated, "ScanFunctionRole") if "dynamodb:Query" in s["Action"]]
    assert [q["Resource"] for q in queries] == [{"Fn::Sub": "${RemindersTable.Arn}/index/due-index"}]


def test_the_send_function_queries_the_pending_approvals_and_the_pending_items_it_reschedules(
    translated: dict[str, Any],
) -> None:
    queries = [s for s in _statements(translated, "SendFunctionRole") if "dynamodb:Query" in s["Action"]]
    assert [q["Resource"] for q in queries] == [
        [
            {"Fn::Sub": "${RemindersTable.Arn}/index/approval-index"},
            {"Fn::Sub": "${RemindersTable.Arn}/index/pending-index"},
        ]
    ]


def test_the_pending_index_projects_what_rescheduling_reads() -> None:
    indexes = {i["IndexName"]: i for i in RESOURCES["RemindersTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes[PENDING_INDEX]["Projection"]["NonKeyAttributes"] == PENDING_INDEX_PROJECTION


def test_the_api_is_behind_a_jwt_authorizer_of_the_given_provider_or_the_stacks_user_pool() -> None:
    auth = RESOURCES["HttpApi"]["Properties"]["Auth"]
    assert auth["DefaultAuthorizer"] == "JwtAuthorizer"
    assert auth["Authorizers"]["JwtAuthorizer"]["JwtConfiguration"] == {
        "issuer": {
            "Fn::If": [
                "MakeUserPool",
                {"Fn::Sub": "https://cognito-idp.${AWS::Region}.${AWS::URLSuffix}/${UserPool}"},
                {"Ref": "JwtIssuer"},
            ]
        },
        "audience": {"Fn::If": ["MakeUserPool", [{"Ref": "UserPoolClient"}], {"Ref": "JwtAudience"}]},
    }


def test_the_http_api_is_throttled_by_parameters(translated: dict[str, Any]) -> None:
    expected = {"ThrottlingBurstLimit": {"Ref": "ApiThrottlingBurstLimit"}}
    expected["ThrottlingRateLimit"] = {"Ref": "ApiThrottlingRateLimit"}
    assert RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"] == expected
    # what API Gateway gets: the stage SAM makes for the API carries them
    stages = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    assert [stage["Properties"]["DefaultRouteSettings"] for stage in stages] == [expected]
    parameters = TEMPLATE["Parameters"]
    assert (parameters["ApiThrottlingBurstLimit"]["Default"], parameters["ApiThrottlingRateLimit"]["Default"]) == (
        100,
        50,
    )


def test_the_api_function_gets_the_cooldown_and_the_firm_claim_from_parameters() -> None:
    variables = RESOURCES["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["RESEND_COOLDOWN_MINUTES"] == {"Ref": "ResendCooldownMinutes"}
    assert variables["FIRM_CLAIM"] == {"Ref": "FirmClaim"}
    assert TEMPLATE["Parameters"]["ResendCooldownMinutes"]["Default"] == 60
    assert TEMPLATE["Parameters"]["FirmClaim"]["Default"] == "custom:firm_id"


def _updates(translated: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        s
        for s in _statements(translated, role)
        if {"dynamodb:UpdateItem", "dynamodb:DeleteItem"}
        & set(s["Action"] if isinstance(s["Action"], list) else [s["Action"]])
    ]


SEND_TIMELINE_UPDATES = {
    "Effect": "Allow",
    "Action": "dynamodb:UpdateItem",
    "Resource": {"Fn::GetAtt": ["RemindersTable", "Arn"]},
    "Condition": {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": [keys.SEND_TIMELINE_PK, f"{keys.DAILY_EMAILS_PREFIX}*"]}
    },
}


def test_the_api_may_update_and_delete_only_its_idempotency_records_and_the_send_timeline(
    translated: dict[str, Any],
) -> None:
    assert _updates(translated, "ApiFunctionRole") == [
        {
            "Effect": "Allow",
            "Action": ["dynamodb:UpdateItem", "dynamodb:DeleteItem"],
            "Resource": {"Fn::GetAtt": ["RemindersTable", "Arn"]},
            "Condition": {"ForAllValues:StringEquals": {"dynamodb:LeadingKeys": [API_IDEMPOTENCY_PK]}},
        },
        SEND_TIMELINE_UPDATES,
    ]


def test_the_send_function_may_update_only_the_send_timeline(translated: dict[str, Any]) -> None:
    assert _updates(translated, "SendFunctionRole") == [SEND_TIMELINE_UPDATES]


def _resolve(node: Any, parameters: dict[str, str]) -> Any:
    """The few intrinsic functions the user pool uses, with the parameters' values."""
    if isinstance(node, list):
        return [_resolve(n, parameters) for n in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in parameters:
        return parameters[node["Ref"]]
    if set(node) == {"Fn::Split"}:
        separator, text = _resolve(node["Fn::Split"], parameters)
        return text.split(separator)
    if set(node) == {"Fn::Select"}:
        index, items = _resolve(node["Fn::Select"], parameters)
        return items[int(index)]
    return {key: _resolve(value, parameters) for key, value in node.items()}


@pytest.mark.parametrize("firm_claim", [TEMPLATE["Parameters"]["FirmClaim"]["Default"], "custom:tenant"])
@pytest.mark.parametrize("source", ["template.yaml", "translated"])
def test_the_user_pools_app_client_can_read_the_firm_claim_but_never_write_it(
    translated: dict[str, Any], firm_claim: str, source: str
) -> None:
    # Given the user pool and app client of the template (as written, and as CloudFormation gets it)
    resources = RESOURCES if source == "template.yaml" else translated["Resources"]
    parameters = {"FirmClaim": firm_claim}
    pool = _resolve(resources["UserPool"], parameters)
    client = _resolve(resources["UserPoolClient"], parameters)

    # Then both exist only when CreateUserPool is "true" (off by default)
    assert TEMPLATE["Parameters"]["CreateUserPool"]["Default"] == "false"
    assert TEMPLATE["Conditions"]["MakeUserPool"] == {"Fn::Equals": [{"Ref": "CreateUserPool"}, "true"]}
    assert pool["Condition"] == client["Condition"] == "MakeUserPool"

    # And the pool's custom attribute is the firm claim the API reads
    [attribute] = [a for a in pool["Properties"]["Schema"] if f"custom:{a['Name']}" == firm_claim]
    assert attribute["AttributeDataType"] == "String"

    # And the app client users sign in with reads it but cannot write it
    assert client["Properties"]["UserPoolId"] == {"Ref": "UserPool"}
    assert firm_claim in client["Properties"]["ReadAttributes"]
    written = client["Properties"]["WriteAttributes"]
    assert written, "an empty WriteAttributes would let the client write every attribute"
    assert firm_claim not in written
    assert not any(a.startswith("custom:") for a in written)

    # And nobody signs themselves up into a firm
    assert pool["Properties"]["AdminCreateUserConfig"] == {"AllowAdminCreateUserOnly": True}


def test_the_template_routes_are_exactly_the_resolvers_routes() -> None:
    # Given the HttpApi events of the api function and the routes the Powertools resolver serves
    events = RESOURCES["ApiFunction"]["Properties"]["Events"].values()
    declared = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events if e["Type"] == "HttpApi"}
    served = {
        (method.upper(), path)
        for path, operations in app.get_openapi_schema().paths.items()
        for method in ("get", "put", "post", "patch", "delete")
        if getattr(operations, method) is not None
    }

    # Then they are the same set: no route without a handler, no handler without a route
    assert declared == served


def test_outputs_name_the_api_table_and_queues() -> None:
    assert {"ApiUrl", "TableName", "SendQueueUrl", "SendDeadLetterQueueUrl", "PublisherDeadLetterQueueUrl"} <= set(
        TEMPLATE["Outputs"]
    )


def test_only_the_publisher_puts_events_on_the_bus_and_the_automations_function_consumes_them(
    translated: dict[str, Any],
) -> None:
    # Given every statement of every function's role
    roles = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"]
    publishers = {
        role: statement["Resource"]
        for role in roles
        for statement in _statements(translated, role)
        if "events:PutEvents" in statement["Action"]
    }

    # Then only the publisher may put events, and only on the stack's bus: a change reaches the bus
    # from the table's stream, never from the function that made it
    assert publishers == {"PublisherFunctionRole": {"Fn::GetAtt": ["RemindersBus", "Arn"]}}
    rule = RESOURCES["AutomationsFunction"]["Properties"]["Events"]["JobEnteredStage"]
    assert rule["Type"] == "EventBridgeRule"
    assert rule["Properties"]["EventBusName"] == {"Fn::GetAtt": ["RemindersBus", "Name"]}
    assert rule["Properties"]["Pattern"] == {"detail-type": ["JobEnteredStage"]}
    assert rule["Properties"]["DeadLetterConfig"] == {"Type": "SQS"}


def test_the_publisher_may_put_events_read_items_and_accounts_and_dead_letter_nothing_more(
    translated: dict[str, Any],
) -> None:
    role = translated["Resources"]["PublisherFunctionRole"]["Properties"]
    statements = [
        (s["Action"], s["Resource"]) for s in _statements(translated, "PublisherFunctionRole") if s["Effect"] == "Allow"
    ]
    assert sorted(statements, key=str) == sorted(
        [
            ("dynamodb:BatchGetItem", {"Fn::GetAtt": ["RemindersTable", "Arn"]}),
            ("events:PutEvents", {"Fn::GetAtt": ["RemindersBus", "Arn"]}),
            # SAM's own statement for the stream mapping's on-failure destination
            ("sqs:SendMessage", {"Fn::GetAtt": ["PublisherDeadLetterQueue", "Arn"]}),
        ],
        key=str,
    )
    # reading the stream is the managed policy SAM attaches to every DynamoDB event source
    # (as AWSLambdaSQSQueueExecutionRole for the send function's queue)
    assert role["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    ]


def test_the_table_streams_new_and_old_images_to_the_publisher() -> None:
    table = RESOURCES["RemindersTable"]["Properties"]
    # old images tell a job's new stage entry from any other write of the job
    assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    mapping = RESOURCES["PublisherFunction"]["Properties"]["Events"]["Stream"]
    assert mapping["Type"] == "DynamoDB"
    assert mapping["Properties"]["Stream"] == {"Fn::GetAtt": ["RemindersTable", "StreamArn"]}
    # from the oldest record the stream holds: nothing written before the mapping existed is lost
    assert mapping["Properties"]["StartingPosition"] == "TRIM_HORIZON"


def test_the_publishers_mapping_retries_bisects_and_dead_letters_with_an_alarm() -> None:
    # Given the publisher's stream mapping
    mapping = RESOURCES["PublisherFunction"]["Properties"]["Events"]["Stream"]["Properties"]

    # Then failed records are reported one by one, a failing invocation is halved, retries are
    # bounded, and what exhausted them is recorded in a dead-letter queue that has an alarm
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == {"Fn::FindInMap": ["Limits", "Publish", "MaximumRetryAttempts"]}
    assert mapping["MaximumRecordAgeInSeconds"] == {"Fn::FindInMap": ["Limits", "Publish", "MaximumRecordAgeSeconds"]}
    assert mapping["DestinationConfig"] == {
        "OnFailure": {"Type": "SQS", "Destination": {"Fn::GetAtt": ["PublisherDeadLetterQueue", "Arn"]}}
    }
    alarm = RESOURCES["PublisherDeadLetterAlarm"]["Properties"]
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["PublisherDeadLetterQueue", "QueueName"]}}
    ]
    assert (alarm["MetricName"], alarm["Threshold"], alarm["ComparisonOperator"]) == (
        "ApproximateNumberOfMessagesVisible",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert "PublisherDeadLetterQueueUrl" in TEMPLATE["Outputs"]


def test_the_publishers_retry_arithmetic_holds() -> None:
    publish = LIMITS["Publish"]
    # halving a failing batch down to one record fits in the retries
    assert 2 ** publish["MaximumRetryAttempts"] >= publish["BatchSize"]
    # a record gives up (to the dead-letter queue) at least half a day before the stream drops
    # it, so what the dead-letter queue points at can still be read and redriven
    assert publish["MaximumRecordAgeSeconds"] <= publish["StreamRetentionSeconds"] / 2
    assert publish["StreamRetentionSeconds"] == 86400  # DynamoDB Streams' fixed retention
    # every retry fits in the record's maximum age even if each attempt runs to its timeout: the
    # age limit cuts short only the pauses between retries, never an attempt that could succeed
    assert publish["TimeoutSeconds"] * (publish["MaximumRetryAttempts"] + 1) < publish["MaximumRecordAgeSeconds"]
    assert RESOURCES["PublisherFunction"]["Properties"]["Timeout"] == {
        "Fn::FindInMap": ["Limits", "Publish", "TimeoutSeconds"]
    }


def test_only_new_audit_events_and_job_writes_reach_the_publisher() -> None:
    # Given the mapping's filters, as the local stack and Lambda apply them
    filters = [
        json.loads(f["Pattern"])
        for f in RESOURCES["PublisherFunction"]["Properties"]["Events"]["Stream"]["Properties"]["FilterCriteria"][
            "Filters"
        ]
    ]

    def passes(event_name: str, sort_key: str) -> bool:
        record = {"eventName": event_name, "dynamodb": {"Keys": {"pk": {"S": "FIRM#f#X"}, "sk": {"S": sort_key}}}}
        return any(matches(pattern, record) for pattern in filters)

    # Then an audit INSERT and a job's INSERT or MODIFY pass, and nothing else
    assert passes("INSERT", "AUDIT#2026-11-27T09:00:00.000000Z#0000000001.00#evt_1")
    assert passes("INSERT", "JOB")
    assert passes("MODIFY", "JOB")
    assert not passes("MODIFY", "AUDIT#2026-11-27T09:00:00.000000Z#0000000001.00#evt_1")
    assert not passes("REMOVE", "JOB")
    assert not any(passes(name, "ITEM") for name in ("INSERT", "MODIFY", "REMOVE"))
    assert not passes("INSERT", "ACCOUNT")


# deliverability and operations (SPEC R15) -------------------------------------------------------------


def _resources_of(translated: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in translated["Resources"].items() if v["Type"] == kind}


def test_every_email_is_sent_with_the_configuration_set_whose_events_go_to_the_default_bus() -> None:
    # Given the configuration set and its event destination
    destination = RESOURCES["MailEventsToEventBridge"]["Properties"]
    assert RESOURCES["MailConfigurationSet"]["Type"] == "AWS::SES::ConfigurationSet"
    assert RESOURCES["MailConfigurationSet"]["Properties"]["ReputationOptions"] == {"ReputationMetricsEnabled": True}

    # Then every function is told its name (the SES adapter names it on every send)
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SES_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}

    # And it publishes at least bounces, complaints, deliveries and rejects to the default bus (the
    # only one SES publishes to), where the suppression function's rule takes them
    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    assert destination["EventDestination"]["Enabled"] is True
    assert {"bounce", "complaint", "delivery", "reject"} <= set(destination["EventDestination"]["MatchingEventTypes"])
    assert destination["EventDestination"]["EventBridgeDestination"] == {
        "EventBusArn": {"Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"}
    }


def test_the_suppression_rule_takes_this_configuration_sets_bounces_and_complaints_and_dead_letters() -> None:
    rule = RESOURCES["SuppressionFunction"]["Properties"]["Events"]["MailFeedback"]
    assert rule["Type"] == "EventBridgeRule"
    assert "EventBusName" not in rule["Properties"]  # the default bus
    pattern = rule["Properties"]["Pattern"]
    assert pattern == {
        "source": ["aws.ses"],
        "detail": {
            "eventType": ["Bounce", "Complaint"],
            "mail": {"tags": {"ses:configuration-set": [{"Ref": "MailConfigurationSet"}]}},
        },
    }

    def event(event_type: str, configuration_set: str) -> dict[str, Any]:
        tags = {"ses:configuration-set": [configuration_set], "firm": ["f"]}
        return {"source": "aws.ses", "detail": {"eventType": event_type, "mail": {"tags": tags}}}

    mine = json.loads(json.dumps(pattern).replace('{"Ref": "MailConfigurationSet"}', '"mine"'))
    assert matches(mine, event("Bounce", "mine"))
    assert matches(mine, event("Complaint", "mine"))
    assert not matches(mine, event("Delivery", "mine"))
    assert not matches(mine, event("Bounce", "another-stack"))
    # EventBridge retries for a day, then keeps the event in the rule's dead-letter queue
    assert rule["Properties"]["DeadLetterConfig"] == {"Type": "SQS"}
    assert LIMITS["Suppress"]["RuleEventAgeSeconds"] == 86400


def test_the_suppression_function_may_read_and_write_the_table_and_nothing_more(translated: dict[str, Any]) -> None:
    statements = [(s["Action"], s["Resource"]) for s in _statements(translated, "SuppressionFunctionRole")]
    assert sorted(statements, key=str) == sorted(
        [
            # the account and the item a mail was about (one read), the account and the audit
            # event (one transaction)
            ("dynamodb:BatchGetItem", {"Fn::GetAtt": ["RemindersTable", "Arn"]}),
            ("dynamodb:PutItem", {"Fn::GetAtt": ["RemindersTable", "Arn"]}),
            # SAM's own statement for the function's dead-letter queue
            ("sqs:SendMessage", {"Fn::GetAtt": ["SuppressionDeadLetterQueue", "Arn"]}),
        ],
        key=str,
    )
    assert translated["Resources"]["SuppressionFunctionRole"]["Properties"]["ManagedPolicyArns"] == [
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
    ]


def test_every_alarm_notifies_the_alarm_topic_which_may_email_someone(translated: dict[str, Any]) -> None:
    alarms = _resources_of(translated, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 20
    for name, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}], name
        assert alarm["Properties"]["AlarmDescription"], name
    subscription = RESOURCES["AlarmEmailSubscription"]
    assert subscription["Condition"] == "HasAlarmEmail"
    assert subscription["Properties"] == {
        "TopicArn": {"Ref": "AlarmTopic"},
        "Protocol": "email",
        "Endpoint": {"Ref": "AlarmEmail"},
    }
    assert TEMPLATE["Conditions"]["HasAlarmEmail"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}
    assert TEMPLATE["Parameters"]["AlarmEmail"]["Default"] == ""
    pattern = TEMPLATE["Parameters"]["AlarmEmail"]["AllowedPattern"]
    assert re.fullmatch(pattern, "")
    assert re.fullmatch(pattern, "oncall@example.com")
    assert not re.fullmatch(pattern, "oncall")
    assert "AlarmTopicArn" in TEMPLATE["Outputs"]


def _watched(translated: dict[str, Any]) -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(namespace, metric, the first dimension's value, properties) of every alarm."""
    found = []
    for alarm in _resources_of(translated, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        dimensions = properties.get("Dimensions") or [{"Value": None}]
        found.append((properties["Namespace"], properties["MetricName"], dimensions[0]["Value"], properties))
    return found


def _dead_letter_queues(translated: dict[str, Any]) -> set[str]:
    """Every queue something dead-letters to: a redrive policy, a function's dead-letter queue, a
    rule target's dead-letter config, an event source mapping's on-failure destination."""
    queues = set()
    for resource in translated["Resources"].values():
        properties = resource.get("Properties", {})
        candidates = [
            properties.get("RedrivePolicy", {}).get("deadLetterTargetArn"),
            properties.get("DeadLetterConfig", {}).get("TargetArn"),
            properties.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            *[target.get("DeadLetterConfig", {}).get("Arn") for target in properties.get("Targets", [])],
        ]
        queues |= {c["Fn::GetAtt"][0] for c in candidates if isinstance(c, dict) and "Fn::GetAtt" in c}
    return queues


def test_every_dead_letter_queue_has_an_alarm(translated: dict[str, Any]) -> None:
    queues = _dead_letter_queues(translated)
    assert queues == {
        "SendDeadLetterQueue",
        "AutomationsDeadLetterQueue",
        "AutomationsFunctionJobEnteredStageQueue",
        "PublisherDeadLetterQueue",
        "SuppressionDeadLetterQueue",
        "SuppressionFunctionMailFeedbackQueue",
    }
    watched = {
        dimension["Fn::GetAtt"][0]
        for namespace, metric, dimension, properties in _watched(translated)
        if (namespace, metric) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
        and properties["Threshold"] == 1
        and properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    }
    assert watched == queues


def test_every_function_is_watched_for_errors_and_throttles(translated: dict[str, Any]) -> None:
    functions = set(_resources_of(translated, "AWS::Lambda::Function"))
    for metric in ("Errors", "Throttles"):
        watched = {d["Ref"] for ns, m, d, _ in _watched(translated) if (ns, m) == ("AWS/Lambda", metric)}
        assert watched == functions, metric


def test_the_send_queues_oldest_message_the_scan_ses_reputation_and_api_5xx_are_watched(
    translated: dict[str, Any],
) -> None:
    by_metric = {(ns, m): (d, p) for ns, m, d, p in _watched(translated)}
    # a reminder waiting in the send queue for an hour
    dimension, oldest = by_metric[("AWS/SQS", "ApproximateAgeOfOldestMessage")]
    assert dimension == {"Fn::GetAtt": ["SendQueue", "QueueName"]}
    assert oldest["Threshold"] == {"Fn::FindInMap": ["Limits", "Alarms", "SendQueueOldestSeconds"]}
    assert LIMITS["Alarms"]["SendQueueOldestSeconds"] == 3600
    # the scan not running for two schedule periods: no invocation in ScanMissedMinutes one-minute
    # periods, missing data counting as breaching
    dimension, scan = by_metric[("AWS/Lambda", "Invocations")]
    assert dimension == {"Ref": "ScanFunction"}
    assert (scan["Period"], scan["EvaluationPeriods"], scan["DatapointsToAlarm"]) == (
        60,
        {"Ref": "ScanMissedMinutes"},
        {"Ref": "ScanMissedMinutes"},
    )
    assert (scan["Threshold"], scan["ComparisonOperator"], scan["TreatMissingData"]) == (
        1,
        "LessThanThreshold",
        "breaching",
    )
    rate = re.fullmatch(r"rate\((\d+) minutes\)", TEMPLATE["Parameters"]["ScheduleRate"]["Default"])
    assert rate is not None
    assert TEMPLATE["Parameters"]["ScanMissedMinutes"]["Default"] == 2 * int(rate.group(1))
    # SES's own warning levels: 5 % bounces, 0.1 % complaints
    _, bounces = by_metric[("AWS/SES", "Reputation.BounceRate")]
    _, complaints = by_metric[("AWS/SES", "Reputation.ComplaintRate")]
    assert (LIMITS["Alarms"]["SesBounceRate"], LIMITS["Alarms"]["SesComplaintRate"]) == (0.05, 0.001)
    assert bounces["Threshold"] == {"Fn::FindInMap": ["Limits", "Alarms", "SesBounceRate"]}
    assert complaints["Threshold"] == {"Fn::FindInMap": ["Limits", "Alarms", "SesComplaintRate"]}
    # the API answering 5xx
    dimension, api = by_metric[("AWS/ApiGateway", "5xx")]
    assert (dimension, api["Threshold"]) == ({"Ref": "HttpApi"}, 1)


def test_every_function_logs_to_its_own_log_group_with_the_retention_parameter(translated: dict[str, Any]) -> None:
    groups = _resources_of(translated, "AWS::Logs::LogGroup")
    functions = _resources_of(translated, "AWS::Lambda::Function")
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30
    for name, function in functions.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    assert len(groups) == len(functions)


def test_the_dashboard_shows_the_figures_the_functions_publish() -> None:
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    widgets = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))["widgets"]
    shown = json.dumps(widgets)
    for metric in [
        "EmailsSent",
        "EmailsThrottled",
        "ContactsSkippedSuppressed",
        "RoundsGivenUp",
        "RoundsFailed",
        "ScanQueueFailures",
        "ScanStoppedEarly",
        "ContactsSuppressed",
        "ApproximateAgeOfOldestMessage",
        "Reputation.BounceRate",
        "Reputation.ComplaintRate",
        "5xx",
    ]:
        assert metric in shown, metric
    for queue in ("SendDeadLetterQueue", "SuppressionFunctionMailFeedbackQueue", "PublisherDeadLetterQueue"):
        assert f"${{{queue}.QueueName}}" in body
    assert TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]["POWERTOOLS_METRICS_NAMESPACE"] in shown
