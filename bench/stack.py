"""The AWS side of the benchmark: the moto resources and the functions' environment, both read from
template.yaml (its tables, queues and event buses, and the variables Globals sets on every
function), so the benchmark runs against what the template deploys and follows it as it changes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import boto3

from devtools.sam_template import load_template

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "client-reminders-bench"
SENDER = "reminders@portal.example.com"
PORTAL_URL = "https://portal.example.com"
# parameters without a default, as `sam deploy --guided` would be given them
PARAMETERS = {
    "SenderAddress": SENDER,
    "PortalBaseUrl": PORTAL_URL,
    "JwtIssuer": "https://issuer.example.com",
    "JwtAudience": "bench",
}
TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "LocalSecondaryIndexes", "BillingMode")
QUEUE_ATTRIBUTES = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "ReceiveMessageWaitTimeSeconds")

# Lambda's own variables plus fake credentials (moto needs some); tracing needs the X-Ray daemon.
LAMBDA_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
}
PSEUDO_PARAMETERS = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackName": STACK_NAME,
}
_NO_VALUE = object()  # Ref AWS::NoValue: the property is left out


@dataclass
class Stack:
    """What a deployment made: Ref values and Fn::GetAtt values by logical id."""

    refs: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)  # "Logical.Attribute"

    @property
    def table_name(self) -> str:
        return self.refs["RemindersTable"]

    @property
    def send_queue_url(self) -> str:
        return self.refs["SendQueue"]

    @property
    def send_queue_arn(self) -> str:
        return self.attributes["SendQueue.Arn"]


class Template:
    """template.yaml with the intrinsic functions resolved against a Stack: Ref, Fn::GetAtt,
    Fn::FindInMap, Fn::If over Conditions, Fn::Sub (string form)."""

    def __init__(self, stack: Stack | None = None) -> None:
        self.raw = load_template()
        self.stack = stack or Stack()

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {name: r for name, r in self.raw["Resources"].items() if r["Type"] == resource_type}

    def properties(self, logical_id: str) -> dict[str, Any]:
        properties: dict[str, Any] = self.resolve(self.raw["Resources"][logical_id].get("Properties", {}))
        return properties

    def function_environment(self) -> dict[str, str]:
        """The variables Globals sets on every function, as CloudFormation would resolve them."""
        variables = self.raw["Globals"]["Function"]["Environment"]["Variables"]
        resolved = {name: self.resolve(value) for name, value in variables.items()}
        return {name: str(value) for name, value in resolved.items() if value is not _NO_VALUE}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            if len(value) == 1:
                ((name, argument),) = value.items()
                if name == "Ref" or name.startswith("Fn::"):
                    return self._intrinsic(name, argument)
            resolved = {key: self.resolve(item) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not _NO_VALUE}
        if isinstance(value, list):
            return [item for item in (self.resolve(item) for item in value) if item is not _NO_VALUE]
        return value

    def _intrinsic(self, name: str, argument: Any) -> Any:
        if name == "Ref":
            return self._ref(argument)
        if name == "Fn::GetAtt":
            return self._attribute(argument if isinstance(argument, str) else ".".join(argument))
        if name == "Fn::FindInMap":
            mapping, top, second = (self.resolve(part) for part in argument)
            return self.raw["Mappings"][mapping][top][second]
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        if name == "Fn::Sub" and isinstance(argument, str):
            return re.sub(r"\$\{([^}!]+)\}", lambda m: str(self._sub(m[1])), argument)
        raise ValueError(f"the benchmark cannot resolve {name} {argument!r} in template.yaml")

    def _ref(self, name: str) -> Any:
        if name == "AWS::NoValue":
            return _NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.stack.refs:
            return self.stack.refs[name]
        parameter = self.raw.get("Parameters", {}).get(name)
        if parameter is not None:
            return PARAMETERS.get(name, parameter.get("Default"))
        # a resource the benchmark does not create (an API, a function): a stand-in name
        return f"{STACK_NAME}-{name}"

    def _attribute(self, key: str) -> Any:
        if key in self.stack.attributes:
            return self.stack.attributes[key]
        logical_id, attribute = key.split(".", 1)
        return f"{STACK_NAME}-{logical_id}-{attribute}"

    def _sub(self, name: str) -> Any:
        return self._attribute(name) if "." in name else self._ref(name)

    def condition(self, name: str) -> bool:
        return self._evaluate(self.raw.get("Conditions", {})[name])

    def _evaluate(self, expression: Any) -> bool:
        ((name, argument),) = expression.items()
        if name == "Fn::Equals":
            left, right = (str(self.resolve(part)) for part in argument)
            return left == right
        if name == "Fn::Not":
            return not self._evaluate(argument[0])
        if name == "Fn::And":
            return all(self._evaluate(part) for part in argument)
        if name == "Fn::Or":
            return any(self._evaluate(part) for part in argument)
        if name == "Condition":
            return self.condition(argument)
        raise ValueError(f"the benchmark cannot evaluate condition {expression!r} in template.yaml")


def create_stack() -> Stack:
    """Every table, queue (dead-letter queues first) and event bus of the template, in moto, and
    the verified SES sender identity."""
    template = Template()
    stack = template.stack

    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for logical_id in template.resources("AWS::DynamoDB::Table"):
        properties = template.properties(logical_id)
        name = properties.get("TableName", f"{STACK_NAME}-{logical_id}")
        dynamodb.create_table(TableName=name, **{key: properties[key] for key in TABLE_KEYS if key in properties})
        stack.refs[logical_id] = name

    sqs = boto3.client("sqs", region_name=REGION)
    queues = template.resources("AWS::SQS::Queue")
    for logical_id in sorted(queues, key=lambda q: "RedrivePolicy" in queues[q].get("Properties", {})):
        properties = template.properties(logical_id)
        attributes = {key: str(value) for key, value in properties.items() if key in QUEUE_ATTRIBUTES}
        if "RedrivePolicy" in properties:
            redrive = {key: str(value) for key, value in properties["RedrivePolicy"].items()}
            attributes["RedrivePolicy"] = json.dumps(redrive, separators=(",", ":"))
        name = properties.get("QueueName", f"{STACK_NAME}-{logical_id}")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        stack.refs[logical_id] = url
        stack.attributes.update(
            {f"{logical_id}.Arn": arn, f"{logical_id}.QueueName": name, f"{logical_id}.QueueUrl": url}
        )

    events = boto3.client("events", region_name=REGION)
    for logical_id in template.resources("AWS::Events::EventBus"):
        name = template.properties(logical_id)["Name"]
        arn = events.create_event_bus(Name=name)["EventBusArn"]
        stack.refs[logical_id] = name
        stack.attributes.update({f"{logical_id}.Name": name, f"{logical_id}.Arn": arn})

    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=SENDER)
    return stack


def function_environment(stack: Stack) -> dict[str, str]:
    """Everything Lambda would set on the scan and send functions of this stack."""
    return {**LAMBDA_ENVIRONMENT, **Template(stack).function_environment()}


def template_environment() -> dict[str, str]:
    """The variables template.yaml's Globals set on every function (default parameters, stand-in
    resource names): for the import-time runs, which create no resources."""
    return Template().function_environment()


def detailed_tracing_environment() -> dict[str, str]:
    """The same, deployed with DetailedTracing=true: the X-Ray SDK is loaded for subsegments."""
    return {**template_environment(), "POWERTOOLS_TRACE_DISABLED": "false"}
