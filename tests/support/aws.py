"""The AWS side of a test: moto resources shaped exactly like template.yaml's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from devtools import moto_fidelity
from devtools.sam_template import load_template

REGION = "us-east-1"
TABLE_NAME = "client-reminders-test"
SENDER = "reminders@portal.example.com"
PORTAL_URL = "https://portal.example.com"
BUS_NAME = "client-reminders-test"
CONFIGURATION_SET = "client-reminders-test-MailConfigurationSet"

# What the template sets on every function, plus fake credentials (moto needs some): the tests'
# and the benchmarks' functions run with it.
FUNCTION_ENVIRONMENT = {
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "TABLE_NAME": TABLE_NAME,
    "SEND_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/unset",
    "EVENT_BUS_NAME": BUS_NAME,
    "SENDER_ADDRESS": SENDER,
    "SES_CONFIGURATION_SET": CONFIGURATION_SET,
    "PORTAL_BASE_URL": PORTAL_URL,
    # moto has no SES GetAccount: the pacer falls back to this rate (tests of the rate set their own)
    "SEND_RATE_LIMIT": "1000",
}

TABLE_KEYS = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode", "StreamSpecification")


def create_bus(name: str = BUS_NAME) -> None:
    boto3.client("events", region_name=REGION).create_event_bus(Name=name)


def template_resource(logical_id: str) -> dict[str, Any]:
    resource: dict[str, Any] = load_template()["Resources"][logical_id]
    return resource


def template_value(value: Any) -> Any:
    """A template value with its Fn::FindInMap resolved (the Limits the template's numbers come from)."""
    if isinstance(value, dict) and set(value) == {"Fn::FindInMap"}:
        mapping, key, name = value["Fn::FindInMap"]
        return load_template()["Mappings"][mapping][key][name]
    return value


def template_limit(section: str, name: str) -> int:
    return int(load_template()["Mappings"]["Limits"][section][name])


def create_table_from_template(name: str = TABLE_NAME) -> None:
    properties = template_resource("RemindersTable")["Properties"]
    arguments = {key: properties[key] for key in TABLE_KEYS}
    # CloudFormation's StreamSpecification implies StreamEnabled, which the CreateTable API wants said
    arguments["StreamSpecification"] = {"StreamEnabled": True, **arguments["StreamSpecification"]}
    boto3.client("dynamodb", region_name=REGION).create_table(TableName=name, **arguments)


def table_snapshot(name: str = TABLE_NAME) -> list[dict[str, Any]]:
    """Every record in the table (a test-only Scan: the code under test never scans)."""
    items: list[dict[str, Any]] = boto3.client("dynamodb", region_name=REGION).scan(TableName=name)["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


@dataclass
class Queues:
    send_url: str
    dead_letter_url: str
    publisher_dead_letter_url: str = ""


def create_queues() -> Queues:
    sqs = boto3.client("sqs", region_name=REGION)
    dead_letter_url = sqs.create_queue(QueueName="send-dlq")["QueueUrl"]
    dead_letter_arn = sqs.get_queue_attributes(QueueUrl=dead_letter_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = json.dumps(
        {"deadLetterTargetArn": dead_letter_arn, "maxReceiveCount": str(template_limit("Send", "MaxReceiveCount"))}
    )
    send_url = sqs.create_queue(
        QueueName="send",
        Attributes={
            "VisibilityTimeout": str(template_limit("Send", "VisibilityTimeoutSeconds")),
            "RedrivePolicy": redrive,
        },
    )["QueueUrl"]
    publisher_dlq = sqs.create_queue(QueueName="publisher-dlq")["QueueUrl"]
    return Queues(send_url=send_url, dead_letter_url=dead_letter_url, publisher_dead_letter_url=publisher_dlq)


def streams_client() -> Any:
    """DynamoDB Streams. botocore sends calls naming a stream ARN to an account-based endpoint
    (ACCOUNT.streams-ddb.REGION...), which moto 5.2 does not answer in process: use the regional one."""
    return boto3.client("dynamodbstreams", region_name=REGION, config=Config(account_id_endpoint_mode="disabled"))


def stream_arn(table_name: str = TABLE_NAME) -> str:
    table = boto3.client("dynamodb", region_name=REGION).describe_table(TableName=table_name)["Table"]
    return str(table["LatestStreamArn"])


def queue_arn(url: str) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    return str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])


def create_configuration_set(name: str = CONFIGURATION_SET) -> None:
    boto3.client("sesv2", region_name=REGION).create_configuration_set(ConfigurationSetName=name)


def verify_sender(address: str = SENDER) -> None:
    boto3.client("sesv2", region_name=REGION).create_email_identity(EmailIdentity=address)


def ses_finds_dkim_records(domain: str, status: str = "SUCCESS") -> None:
    """SES finds the domain's DKIM records in its DNS (SUCCESS: verified), or gives up (FAILED)."""
    assert moto_fidelity.set_domain_status(domain, status, REGION) is not None, f"no SES identity {domain}"


def ses_domain_identities() -> list[str]:
    return sorted(
        name
        for name, identity in ses_backends[DEFAULT_ACCOUNT_ID][REGION].email_identities.items()
        if identity.identity_type == "DOMAIN"
    )


@dataclass(frozen=True)
class Mail:
    source: str
    to: list[str]
    subject: str
    html: str


def sent_mail() -> list[Mail]:
    """Every email moto's SES accepted, oldest first."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
    return [
        Mail(source=m.source, to=list(m.destinations.get("ToAddresses", [])), subject=m.subject, html=m.body)
        for m in backend.sent_messages
    ]


@contextmanager
def wording_reads() -> Iterator[list[str]]:
    """The sort keys of the firm wordings every BatchGetItem of any function asks for, in order."""
    asked: list[str] = []
    original = BaseClient._make_api_call

    def noted(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if operation == "BatchGetItem":
            for request in params.get("RequestItems", {}).values():
                asked.extend(k["sk"]["S"] for k in request["Keys"] if k["sk"]["S"].startswith("WORDING#"))
        return original(client, operation, params)

    BaseClient._make_api_call = noted  # type: ignore[method-assign]
    try:
        yield asked
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
