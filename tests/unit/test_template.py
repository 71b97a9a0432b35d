"""template.yaml's promises: retry arithmetic, least privilege, the data layout the code relies on,
and the same routes as the API's resolver."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from pynamodb.indexes import GlobalSecondaryIndex

from devtools.local.eventbus import matches
from devtools.sam_template import load_template, translate
from portal_reminders.api.app import app
from portal_reminders.models.domain import SENDING_LOCAL_PART
from portal_reminders.models.domain_events import SOURCE
from portal_reminders.ports import MailThrottled, MailUnavailable
from portal_reminders.reminders.delivery import backoff
from portal_reminders.reminders.workers import send_metrics
from portal_reminders.repository import keys
from portal_reminders.repository.records import (
    ACCOUNT_INDEX,
    DUE_INDEX,
    DUE_INDEX_PROJECTION,
    PENDING_INDEX,
    PENDING_INDEX_PROJECTION,
    RECORDS,
    TASK_INDEX,
    TASK_INDEX_PROJECTION,
)
from portal_reminders.wiring import API_IDEMPOTENCY_PK, AUTOMATIONS_IDEMPOTENCY_PK
from tests.support.iam import RolePolicy, TableRequest, role_policy
from tests.support.intrinsics import deployed

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


def test_the_table_is_on_demand_recoverable_encrypted_and_protected_from_deletion() -> None:
    table = RESOURCES["RemindersTable"]["Properties"]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert RESOURCES["RemindersTable"]["DeletionPolicy"] == "Retain"
    # DeleteTable is refused, from the console or an API call, until someone turns this off
    assert table["DeletionProtectionEnabled"] is True


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
        ("ScheduleRate", "rate(60 minutes)", True),
        ("ScheduleRate", "rate(1 hour)", True),
        ("ScheduleRate", "cron(0/10 * * * ? *)", True),
        ("ScheduleRate", "every 5 minutes", False),
        ("ScheduleRate", "rate(5 minute)", False),
        ("ScheduleRate", "rate(1 minutes)", False),
        # a claimed round is never retried after 48 h only if the scan runs at least hourly
        ("ScheduleRate", "rate(61 minutes)", False),
        ("ScheduleRate", "rate(2 hours)", False),
        ("ScheduleRate", "rate(1 day)", False),
        ("SenderIdentity", "", True),
        ("SenderIdentity", "example.com", True),
        ("SenderIdentity", "reminders@example.com", False),
        ("JwtAuthorizationScope", "", True),
        ("JwtAuthorizationScope", "reminders/api", True),
        ("JwtAuthorizationScope", "reminders/api admin", False),
        ("TrustedEventAccounts", "111122223333", True),
        ("TrustedEventAccounts", "1111-2222-3333", False),
        ("TrustedEventSources", "com.example.practice-manager", True),
        ("TrustedEventSources", "a source", False),
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


def _send_email_statements(translated: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    roles = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::IAM::Role"]
    found: dict[str, list[dict[str, Any]]] = {}
    for role in roles:
        for statement in _statements(translated, role):
            # the firms' own domains have a statement of their own (FIRM_DOMAINS, tested below)
            if "ses:SendEmail" in statement["Action"] and statement.get("Sid") != FIRM_DOMAINS:
                found.setdefault(role, []).append(statement)
    return found


def test_only_the_functions_that_email_may_and_only_from_the_sender(translated: dict[str, Any]) -> None:
    emailers = _send_email_statements(translated)
    assert set(emailers) == {"ApiFunctionRole", "SendFunctionRole", "AutomationsFunctionRole"}
    for role, statements in emailers.items():
        [statement] = statements
        assert statement["Condition"] == {"StringEquals": {"ses:FromAddress": {"Ref": "SenderAddress"}}}, role
        # no identity/* : SES authorizes a send against the identity verifying its From address
        assert not any("identity/*" in json.dumps(r) for r in statement["Resource"]), role


@pytest.mark.parametrize(
    ("sender", "identity", "identities"),
    [
        # SES verified the address itself, or its domain
        ("reminders@mail.example.com", "", ["reminders@mail.example.com", "mail.example.com"]),
        # SES verified a parent domain (it verifies its subdomains too): SenderIdentity names it
        ("reminders@mail.example.com", "example.com", ["reminders@mail.example.com", "example.com"]),
    ],
)
def test_sending_is_scoped_to_the_senders_identity_and_the_configuration_set(
    translated: dict[str, Any], sender: str, identity: str, identities: list[str]
) -> None:
    # Given a stack deployed with this sender (and SenderIdentity)
    stack = deployed(TEMPLATE, SenderAddress=sender, SenderIdentity=identity)

    # Then each emailer may send only through those identities, and the stack's configuration set
    for role, [statement] in _send_email_statements(translated).items():
        arn = "arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>"
        assert stack.resolve(statement["Resource"]) == [
            *(f"{arn}:identity/{name}" for name in identities),
            f"{arn}:configuration-set/<MailConfigurationSet>",
        ], role
        assert stack.resolve(statement["Condition"]) == {"StringEquals": {"ses:FromAddress": sender}}


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


def test_the_send_function_queries_the_pending_approvals_the_pending_items_and_firms_item_audits(
    translated: dict[str, Any],
) -> None:
    queries = [s for s in _statements(translated, "SendFunctionRole") if "dynamodb:Query" in s["Action"]]
    assert [q["Resource"] for q in queries] == [
        [
            {"Fn::Sub": "${RemindersTable.Arn}/index/approval-index"},
            {"Fn::Sub": "${RemindersTable.Arn}/index/pending-index"},
        ],
        {"Fn::GetAtt": ["RemindersTable", "Arn"]},
    ]
    # the table itself only under the firms' keys (an escalation reads its item's audit events)
    assert queries[1]["Condition"] == {"ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["FIRM#*"]}}


def test_the_pending_index_projects_what_rescheduling_reads() -> None:
    indexes = {i["IndexName"]: i for i in RESOURCES["RemindersTable"]["Properties"]["GlobalSecondaryIndexes"]}
    assert indexes[PENDING_INDEX]["Projection"]["NonKeyAttributes"] == PENDING_INDEX_PROJECTION


def test_every_index_copies_what_the_code_reading_it_declares_and_no_more() -> None:
    # Given the table's indexes and the pynamodb index models the repository queries them through
    indexes = {i["IndexName"]: i for i in RESOURCES["RemindersTable"]["Properties"]["GlobalSecondaryIndexes"]}
    declared: dict[str, set[tuple[str, tuple[str, ...]]]] = {}
    for record in RECORDS:
        for value in vars(record).values():
            if isinstance(value, GlobalSecondaryIndex):
                projection = value.Meta.projection
                attributes = tuple(getattr(projection, "non_key_attributes", None) or ())
                declared.setdefault(value.Meta.index_name, set()).add((projection.projection_type, attributes))

    # Then each index is declared once, the same way by every record kind in it, as the table has it
    for name, index in indexes.items():
        [(kind, attributes)] = declared[name]
        assert index["Projection"]["ProjectionType"] == kind, name
        assert tuple(index["Projection"].get("NonKeyAttributes", ())) == attributes, name
    # and only the small, rarely changing task list copy and the scan's own index carry attributes: the
    # account index (items written on every reminder) copies keys only
    assert indexes[ACCOUNT_INDEX]["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    assert indexes[TASK_INDEX]["Projection"]["NonKeyAttributes"] == TASK_INDEX_PROJECTION
    assert not any(i["Projection"]["ProjectionType"] == "ALL" for i in indexes.values())


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


def _stage(translated: dict[str, Any]) -> dict[str, Any]:
    [stage] = [r for r in translated["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Stage"]
    return stage


def test_the_http_api_logs_every_request_to_its_own_log_group_with_the_retention_parameter(
    translated: dict[str, Any],
) -> None:
    # Given the stage SAM makes for the HTTP API
    settings = _stage(translated)["Properties"]["AccessLogSettings"]

    # Then API Gateway writes a line per request (401s and 429s it answers itself included) to the
    # API's own log group, kept as long as the functions' logs
    assert settings["DestinationArn"] == {"Fn::GetAtt": ["HttpApiAccessLogs", "Arn"]}
    group = RESOURCES["HttpApiAccessLogs"]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    # And each line is JSON naming the request, the route, the status and why API Gateway refused it
    line = json.loads(re.sub(r"\$context\.[\w.]+", "x", settings["Format"]))
    assert {"request_id", "route", "status", "authorizer_error", "integration_error"} <= set(line)


@pytest.mark.parametrize(("scope", "required"), [("", []), ("reminders/api", ["reminders/api"])])
def test_every_route_asks_for_the_authorization_scope_when_one_is_given(
    translated: dict[str, Any], scope: str, required: list[str]
) -> None:
    # Given the API as a stack deployed with (or without) JwtAuthorizationScope has it
    stack = deployed(TEMPLATE, JwtAuthorizationScope=scope)
    paths = stack.resolve(translated["Resources"]["HttpApi"]["Properties"]["Body"]["paths"])

    # Then every route's JWT authorizer asks for that scope (none: any token of the issuer)
    securities = [operation["security"] for methods in paths.values() for operation in methods.values()]
    assert len(securities) == len(RESOURCES["ApiFunction"]["Properties"]["Events"])
    assert all(security == [{"JwtAuthorizer": required}] for security in securities)


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


# least privilege on the table: what each function may write, by key prefix ---------------------------

WRITES = ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
FIRMS = f"{keys.FIRM_PREFIX}*"
DAILY_COUNTERS = f"{keys.DAILY_EMAILS_PREFIX}*"
# (function, action) -> the key patterns its role may write; every write statement names them
WRITTEN = {
    ("ApiFunction", "dynamodb:PutItem"): {FIRMS, f"{keys.DOMAIN_CLAIM_PREFIX}*", API_IDEMPOTENCY_PK},
    ("ApiFunction", "dynamodb:UpdateItem"): {API_IDEMPOTENCY_PK, keys.SEND_TIMELINE_PK, DAILY_COUNTERS},
    ("ApiFunction", "dynamodb:DeleteItem"): {API_IDEMPOTENCY_PK},
    ("ScanFunction", "dynamodb:PutItem"): {FIRMS},
    ("ScanFunction", "dynamodb:UpdateItem"): {FIRMS, keys.SCAN_STATE_PK},
    ("SendFunction", "dynamodb:PutItem"): {FIRMS},
    ("SendFunction", "dynamodb:UpdateItem"): {keys.SEND_TIMELINE_PK, DAILY_COUNTERS},
    ("AutomationsFunction", "dynamodb:PutItem"): {FIRMS, AUTOMATIONS_IDEMPOTENCY_PK},
    ("AutomationsFunction", "dynamodb:UpdateItem"): {
        AUTOMATIONS_IDEMPOTENCY_PK,
        keys.SEND_TIMELINE_PK,
        DAILY_COUNTERS,
    },
    ("AutomationsFunction", "dynamodb:DeleteItem"): {AUTOMATIONS_IDEMPOTENCY_PK},
    ("SuppressionFunction", "dynamodb:PutItem"): {FIRMS},
}
FUNCTIONS = (
    "ApiFunction",
    "ScanFunction",
    "SendFunction",
    "AutomationsFunction",
    "PublisherFunction",
    "SuppressionFunction",
)


def test_every_table_write_is_limited_to_the_key_prefixes_its_function_writes(translated: dict[str, Any]) -> None:
    # Given every statement that lets a function write the table
    granted: dict[tuple[str, str], set[str]] = {}
    for function in FUNCTIONS:
        for statement in _statements(translated, f"{function}Role"):
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            for action in set(actions) & set(WRITES):
                # Then none writes without a dynamodb:LeadingKeys condition
                [(operator, tests)] = statement["Condition"].items()
                assert operator in {"ForAllValues:StringEquals", "ForAllValues:StringLike"}, (function, action)
                granted.setdefault((function, action), set()).update(tests["dynamodb:LeadingKeys"])

    # And each writes exactly the prefixes of what its code writes (tests/support/iam.py checks every
    # request the tests make against these statements)
    assert granted == WRITTEN


@pytest.mark.parametrize(
    ("record", "writers"),
    [
        # the account-wide send timeline and the firms' daily counters: the three functions that email
        (keys.SEND_TIMELINE_PK, {"ApiFunction", "SendFunction", "AutomationsFunction"}),
        (keys.daily_emails_pk("firm-a"), {"ApiFunction", "SendFunction", "AutomationsFunction"}),
        # the scan's lock: the scan
        (keys.SCAN_STATE_PK, {"ScanFunction"}),
        # each idempotency partition: its own function
        (API_IDEMPOTENCY_PK, {"ApiFunction"}),
        (AUTOMATIONS_IDEMPOTENCY_PK, {"AutomationsFunction"}),
        # a key of no known kind: nobody
        ("OTHER#x", set()),
    ],
)
def test_the_shared_records_are_updated_only_by_the_functions_that_own_them(
    translated: dict[str, Any], record: str, writers: set[str]
) -> None:
    policies = {function: role_policy(translated, function) for function in FUNCTIONS}
    request = TableRequest("dynamodb:UpdateItem", "table", record)
    assert {function for function, policy in policies.items() if policy.allows(request)} == writers


def test_a_firms_records_are_written_by_every_function_but_the_publisher(translated: dict[str, Any]) -> None:
    policies: dict[str, RolePolicy] = {function: role_policy(translated, function) for function in FUNCTIONS}
    item = TableRequest("dynamodb:PutItem", "table", keys.item_pk("firm-a", "item-1"))
    assert {f for f, policy in policies.items() if policy.allows(item)} == set(FUNCTIONS) - {"PublisherFunction"}
    # and every key the repository makes for a firm starts with the prefix IAM allows
    for made in (
        keys.firm_pk("f"),
        keys.account_pk("f", "a"),
        keys.item_pk("f", "i"),
        keys.template_pk("f", "t"),
        keys.pipeline_pk("f", "p"),
        keys.job_pk("f", "j"),
    ):
        assert made.startswith(keys.FIRM_PREFIX), made


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


@pytest.mark.parametrize("source", ["template.yaml", "translated"])
def test_the_user_pools_app_client_can_read_the_firm_claim_but_never_write_it(
    translated: dict[str, Any], source: str
) -> None:
    firm_claim = TEMPLATE["Parameters"]["FirmClaim"]["Default"]
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
    assert rule["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": ["AutomationsFunctionJobEnteredStageQueue", "Arn"]}
    }


# trust: who may start a stage's automations (JobEnteredStage) ---------------------------------------


IDENTITY_PROVIDER = {"JwtIssuer": "https://issuer.example.com", "JwtAudience": "app"}
TRUSTED = {"TrustedEventAccounts": "111122223333", "TrustedEventSources": "com.example.practice-manager"}


def _job_entered_stage(source: str) -> dict[str, Any]:
    return {"source": source, "detail-type": "JobEnteredStage", "detail": {"firm_id": "f", "entry_id": "e"}}


def test_the_automations_rule_runs_only_the_products_own_job_entered_stage_events_by_default() -> None:
    # Given a stack deployed with the default parameters
    stack = deployed(TEMPLATE)
    pattern = stack.resolve(RESOURCES["AutomationsFunction"]["Properties"]["Events"]["JobEnteredStage"]["Properties"])[
        "Pattern"
    ]

    # Then the rule takes JobEnteredStage under the product's own source (what its publisher puts)
    assert pattern == {"source": [SOURCE], "detail-type": ["JobEnteredStage"]}
    assert matches(pattern, _job_entered_stage(SOURCE))
    # and nothing another system puts on the bus under its own source
    assert not matches(pattern, _job_entered_stage("com.example.practice-manager"))

    # And no other account may put events on the bus
    policy = RESOURCES["TrustedAccountsMayPutJobEnteredStage"]
    assert policy["Condition"] == "HasTrustedEventAccounts"
    assert stack.condition("HasTrustedEventAccounts") is False


def test_a_trusted_system_is_let_in_by_account_and_source_for_job_entered_stage_only() -> None:
    # Given a stack that trusts a practice manager in another account
    stack = deployed(TEMPLATE, **TRUSTED)
    pattern = stack.resolve(RESOURCES["AutomationsFunction"]["Properties"]["Events"]["JobEnteredStage"]["Properties"])[
        "Pattern"
    ]

    # Then its JobEnteredStage events run the automations, and other sources' still do not
    assert matches(pattern, _job_entered_stage("com.example.practice-manager"))
    assert matches(pattern, _job_entered_stage(SOURCE))
    assert not matches(pattern, _job_entered_stage("com.example.other"))

    # And the bus lets that account put only JobEnteredStage, only under that source
    assert stack.condition("HasTrustedEventAccounts") is True
    statement = stack.resolve(RESOURCES["TrustedAccountsMayPutJobEnteredStage"]["Properties"])["Statement"]
    assert statement == {
        "Effect": "Allow",
        "Principal": {"AWS": ["111122223333"]},
        "Action": "events:PutEvents",
        "Resource": "<RemindersBus.Arn>",
        "Condition": {
            "StringEquals": {
                "events:source": ["com.example.practice-manager"],
                "events:detail-type": "JobEnteredStage",
            }
        },
    }
    assert deployed(TEMPLATE, **IDENTITY_PROVIDER, **TRUSTED).refused_by_rules() == []


@pytest.mark.parametrize(
    ("parameters", "refusal"),
    [
        # nobody else may put events under the product's own source
        ({"TrustedEventSources": SOURCE}, "must not name client-reminders"),
        # an account trusted with no source could put nothing the rule runs
        ({"TrustedEventAccounts": "111122223333"}, "name at least one"),
        # the stack's user pool carries the firm claim as its custom attribute
        ({"CreateUserPool": "true", "FirmClaim": "tenant"}, "FirmClaim must be custom:firm_id"),
        ({"CreateUserPool": "true", "FirmClaim": "custom:tenant"}, "FirmClaim must be custom:firm_id"),
        # the pool's ID tokens carry no scopes
        ({"CreateUserPool": "true", "JwtAuthorizationScope": "reminders/api"}, "JwtAuthorizationScope must be empty"),
        ({"CreateUserPool": "false", "JwtIssuer": ""}, "JwtIssuer is needed"),
    ],
)
def test_parameters_that_cannot_work_together_are_refused_with_a_clear_reason(
    parameters: dict[str, str], refusal: str
) -> None:
    given = {**IDENTITY_PROVIDER, **parameters}
    [refused] = deployed(TEMPLATE, **given).refused_by_rules()
    assert refusal in refused


def test_the_user_pool_is_accepted_with_its_default_firm_claim() -> None:
    assert deployed(TEMPLATE, CreateUserPool="true").refused_by_rules() == []


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
    assert rule["Properties"]["DeadLetterConfig"] == {
        "Arn": {"Fn::GetAtt": ["SuppressionFunctionMailFeedbackQueue", "Arn"]}
    }
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
    """(namespace, metric, the first dimension's value, properties) of every metric every alarm
    watches (each metric of a metric-math alarm)."""
    found = []
    for alarm in _resources_of(translated, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        metrics = [m["MetricStat"]["Metric"] for m in properties.get("Metrics", []) if "MetricStat" in m] or [
            properties
        ]
        for metric in metrics:
            dimensions = metric.get("Dimensions") or [{"Value": None}]
            found.append((metric["Namespace"], metric["MetricName"], dimensions[0]["Value"], properties))
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


def test_mail_ses_refuses_for_the_products_own_fault_is_alarmed_on(translated: dict[str, Any]) -> None:
    # The send function's EMF metrics land in the namespace and service dimension the stack sets
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    send_variables = RESOURCES["SendFunction"]["Properties"].get("Environment", {}).get("Variables", {})
    assert "POWERTOOLS_METRICS_NAMESPACE" not in send_variables
    assert "POWERTOOLS_SERVICE_NAME" not in send_variables
    [properties] = [
        properties
        for namespace, metric, _, properties in _watched(translated)
        if (namespace, metric) == (variables["POWERTOOLS_METRICS_NAMESPACE"], send_metrics.MAIL_MISCONFIGURED)
    ]
    assert properties["Dimensions"] == [{"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}]
    # any one record refused for the product's own fault in five minutes
    assert (properties["Statistic"], properties["Period"], properties["Threshold"]) == ("Sum", 300, 1)
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["TreatMissingData"] == "notBreaching"


def test_every_dead_letter_queue_keeps_its_messages_14_days_encrypted(translated: dict[str, Any]) -> None:
    for queue in _dead_letter_queues(translated):
        properties = translated["Resources"][queue]["Properties"]
        assert properties["MessageRetentionPeriod"] == 14 * 24 * 3600, queue
        assert properties["SqsManagedSseEnabled"] is True, queue


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
    by_metric: dict[tuple[str, str], list[tuple[Any, dict[str, Any]]]] = {}
    for ns, m, d, p in _watched(translated):
        by_metric.setdefault((ns, m), []).append((d, p))
    # a reminder waiting in the send queue for an hour
    [(dimension, oldest)] = by_metric[("AWS/SQS", "ApproximateAgeOfOldestMessage")]
    assert dimension == {"Fn::GetAtt": ["SendQueue", "QueueName"]}
    assert oldest["Threshold"] == {"Fn::FindInMap": ["Limits", "Alarms", "SendQueueOldestSeconds"]}
    assert LIMITS["Alarms"]["SendQueueOldestSeconds"] == 3600
    # the scan not running (its window: test_the_scan_alarm_fires_after_two_schedule_periods_of_no_run)
    [(dimension, scan)] = by_metric[("AWS/Lambda", "Invocations")]
    assert dimension == {"Ref": "ScanFunction"}
    assert (scan["Threshold"], scan["ComparisonOperator"], scan["TreatMissingData"]) == (
        1,
        "LessThanThreshold",
        "breaching",
    )
    # SES reviews an account from 5 % bounces or 0.1 % complaints; an early warning comes at 2 % and 0.05 %
    for metric, review, warning in (
        ("Reputation.BounceRate", ("SesBounceRate", 0.05), ("SesBounceRateWarning", 0.02)),
        ("Reputation.ComplaintRate", ("SesComplaintRate", 0.001), ("SesComplaintRateWarning", 0.0005)),
    ):
        thresholds = sorted(p["Threshold"]["Fn::FindInMap"][2] for _, p in by_metric[("AWS/SES", metric)])
        assert thresholds == sorted([review[0], warning[0]])
        assert (LIMITS["Alarms"][review[0]], LIMITS["Alarms"][warning[0]]) == (review[1], warning[1])
    # the API answering 5xx
    [(dimension, api)] = by_metric[("AWS/ApiGateway", "5xx")]
    assert (dimension, api["Threshold"]) == ({"Ref": "HttpApi"}, 1)


@pytest.mark.parametrize(
    ("schedule", "missed_seconds"),
    [
        ("rate(1 minute)", 2 * 60),
        ("rate(5 minutes)", 2 * 5 * 60),
        ("rate(60 minutes)", 2 * 60 * 60),
        ("rate(1 hour)", 2 * 60 * 60),
        # a cron schedule's period cannot be read: it runs at least hourly (ScheduleRate's pattern)
        ("cron(0/10 * * * ? *)", 2 * 60 * 60),
    ],
)
def test_the_scan_alarm_fires_after_two_schedule_periods_of_no_run(schedule: str, missed_seconds: int) -> None:
    # Given a stack deployed with this schedule (there is no separate parameter that could disagree)
    assert "ScanMissedMinutes" not in TEMPLATE["Parameters"]
    alarm = deployed(TEMPLATE, ScheduleRate=schedule).resolve(RESOURCES["ScanNotRunningAlarm"]["Properties"])

    # Then it fires when every one of its periods saw no scan, and those periods span two schedule periods
    periods = int(alarm["EvaluationPeriods"])
    assert int(alarm["DatapointsToAlarm"]) == periods
    assert alarm["Period"] * periods == missed_seconds
    # within what CloudWatch accepts: periods of whole minutes, a day at most in all
    assert alarm["Period"] % 60 == 0
    assert alarm["Period"] * periods <= 86400


def _metric_stats(alarm: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m["MetricStat"] for m in alarm["Properties"]["Metrics"] if "MetricStat" in m}


def test_rounds_given_up_and_mail_refusals_are_watched_in_the_products_own_metrics() -> None:
    variables = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    ours = {"Namespace": variables["POWERTOOLS_METRICS_NAMESPACE"]}
    service = {"Name": "service", "Value": variables["POWERTOOLS_SERVICE_NAME"]}

    # a reminder given up by the send function (24 h of refusals) or the scan (47 h unclaimed): one is enough
    given_up = RESOURCES["RoundsGivenUpAlarm"]
    stats = _metric_stats(given_up)
    assert {name: (s["Metric"]["MetricName"], s["Metric"]["Dimensions"]) for name, s in stats.items()} == {
        "sent": ("RoundsGivenUp", [service]),
        "scanned": ("RemindersGivenUp", [service]),
    }
    assert all(s["Metric"]["Namespace"] == ours["Namespace"] for s in stats.values())
    [expression] = [m for m in given_up["Properties"]["Metrics"] if "Expression" in m]
    assert expression["Expression"] == "FILL(sent, 0) + FILL(scanned, 0)"
    assert (given_up["Properties"]["Threshold"], given_up["Properties"]["EvaluationPeriods"]) == (1, 1)

    # the mail service refusing or throttling, sustained: refusals in 4 of the last 8 quarter-hours
    refused = RESOURCES["MailRefusedAlarm"]
    stats = _metric_stats(refused)
    assert {name: s["Metric"]["Dimensions"] for name, s in stats.items()} == {
        "refused": [service, {"Name": "reason", "Value": "refused"}],
        "throttled": [service, {"Name": "reason", "Value": "throttled"}],
    }
    assert {s["Metric"]["MetricName"] for s in stats.values()} == {"RoundsFailed"}
    alarms = LIMITS["Alarms"]
    assert (alarms["MailRefusalPeriodSeconds"], alarms["MailRefusalWindow"], alarms["MailRefusalPeriods"]) == (
        900,
        8,
        4,
    )
    # a single round refused over and over is tried every 30 minutes at most (the backoff's cap), so
    # it shows in every other quarter-hour at least: the alarm sees it within about an hour
    assert backoff.REFUSED.cap_seconds <= 2 * alarms["MailRefusalPeriodSeconds"]
    assert alarms["MailRefusalWindow"] // 2 >= alarms["MailRefusalPeriods"]


def _sending_status_event(status: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "7c9b3b6e-0000-0000-0000-000000000000",
        "source": "aws.ses",
        "detail-type": status,
        "account": "123456789012",
        "time": "2026-11-27T09:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {},
    }


def _transformed(transformer: dict[str, Any], event: dict[str, Any]) -> str:
    """What EventBridge's input transformer sends for this event (paths of one level, as used here)."""
    values = {name: event[path.removeprefix("$.")] for name, path in transformer["InputPathsMap"].items()}
    text = transformer["InputTemplate"]
    for name, value in values.items():
        text = text.replace(f"<{name}>", str(value))
    message: str = json.loads(text)
    return message


def test_ses_disabling_the_accounts_sending_tells_the_alarm_topic_what_happened() -> None:
    # Given the rule on the default bus (where SES publishes) and its target
    rule = RESOURCES["SesSendingStatusRule"]["Properties"]
    assert "EventBusName" not in rule
    [target] = rule["Targets"]
    assert target["Arn"] == {"Ref": "AlarmTopic"}

    # Then SES's sending status events reach it, and nothing else of SES's
    pattern = rule["EventPattern"]
    assert matches(pattern, _sending_status_event("Sending Status Disabled"))
    assert matches(pattern, _sending_status_event("Sending Status Enabled"))
    assert not matches(pattern, _sending_status_event("Email Bounced"))
    assert not matches(pattern, {**_sending_status_event("Sending Status Disabled"), "source": "my.app"})

    # And the topic gets a sentence saying what happened, where and when, and what it does to reminders
    message = _transformed(target["InputTransformer"], _sending_status_event("Sending Status Disabled"))
    assert message.startswith(
        "SES Sending Status Disabled for account 123456789012 in us-east-1 at 2026-11-27T09:00:00Z."
    )
    assert "email_failed" in message

    # And the topic accepts it from that rule only (and the account's alarms)
    statements = RESOURCES["AlarmTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    principals = {s["Principal"]["Service"]: s["Condition"] for s in statements}
    assert principals["events.amazonaws.com"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["SesSendingStatusRule", "Arn"]}}
    }
    assert principals["cloudwatch.amazonaws.com"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    assert RESOURCES["AlarmTopicPolicy"]["Properties"]["Topics"] == [{"Ref": "AlarmTopic"}]


def test_ses_suppresses_bounced_and_complained_addresses_too_as_a_backstop() -> None:
    options = RESOURCES["MailConfigurationSet"]["Properties"]["SuppressionOptions"]
    assert options == {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]}


def test_every_function_logs_to_its_own_log_group_with_the_retention_parameter(translated: dict[str, Any]) -> None:
    groups = _resources_of(translated, "AWS::Logs::LogGroup")
    functions = _resources_of(translated, "AWS::Lambda::Function")
    assert TEMPLATE["Parameters"]["LogRetentionDays"]["Default"] == 30
    for name, function in functions.items():
        group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        assert groups[group]["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}, name
    # one per function, and the HTTP API's access log
    assert set(groups) == {f"{name}Logs" for name in functions} | {"HttpApiAccessLogs"}
    assert all(g["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups.values())


def test_x_ray_tracing_is_a_parameter_active_by_default() -> None:
    # Lambda samples an actively traced function at its own fixed rate; PassThrough records nothing
    # unless the caller's trace was sampled (a cost lever, docs/aws-readiness.md)
    assert TEMPLATE["Globals"]["Function"]["Tracing"] == {"Ref": "TracingMode"}
    parameter = TEMPLATE["Parameters"]["TracingMode"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("Active", ["Active", "PassThrough"])


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
