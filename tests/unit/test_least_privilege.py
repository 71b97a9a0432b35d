"""The guard that checks every DynamoDB request of a function against its role in template.yaml
(tests/support/iam.py, on in every World invocation): it reads a request the way IAM does, and a
write outside what the role allows fails the test that made it."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from portal_reminders.repository import keys
from portal_reminders.wiring import API_IDEMPOTENCY_PK
from tests.support.aws import REGION, TABLE_NAME, create_table_from_template
from tests.support.iam import NotAllowed, TableRequest, deployed_policies, guarded, table_requests

ITEM = keys.item_pk("firm-a", "item-1")


def _key(pk: str, sk: str = "STATE") -> dict[str, dict[str, str]]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def test_a_transaction_is_authorized_item_by_item_as_the_action_each_item_takes() -> None:
    # Given the scan giving a round up: the item updated and its audit event put, in one transaction
    _, schema = deployed_policies()
    params = {
        "TransactItems": [
            {"Update": {"TableName": TABLE_NAME, "Key": _key(ITEM, "ITEM"), "UpdateExpression": "SET a = :a"}},
            {"Put": {"TableName": TABLE_NAME, "Item": {**_key(ITEM, "AUDIT#1"), "type": {"S": "email_failed"}}}},
        ]
    }

    # Then IAM sees an UpdateItem and a PutItem, each for the item's partition
    assert table_requests("TransactWriteItems", params, schema) == [
        TableRequest("dynamodb:UpdateItem", "table", ITEM),
        TableRequest("dynamodb:PutItem", "table", ITEM),
    ]


def test_a_query_is_authorized_for_the_index_and_the_partition_it_names() -> None:
    _, schema = deployed_policies()
    params = {
        "IndexName": "due-index",
        "KeyConditionExpression": "#0 = :0 AND #1 <= :1",
        "ExpressionAttributeNames": {"#0": "due_shard", "#1": "next_reminder_at"},
        "ExpressionAttributeValues": {":0": {"S": "DUE#3"}, ":1": {"N": "1"}},
    }
    assert table_requests("Query", params, schema) == [TableRequest("dynamodb:Query", "index/due-index", "DUE#3")]


@pytest.mark.parametrize(
    ("function", "request_", "allowed"),
    [
        ("SendFunction", TableRequest("dynamodb:PutItem", "table", ITEM), True),
        # the scan's lock belongs to the scan
        ("SendFunction", TableRequest("dynamodb:UpdateItem", "table", keys.SCAN_STATE_PK), False),
        ("ScanFunction", TableRequest("dynamodb:UpdateItem", "table", keys.SCAN_STATE_PK), True),
        # the send timeline belongs to the functions that email
        ("ScanFunction", TableRequest("dynamodb:UpdateItem", "table", keys.SEND_TIMELINE_PK), False),
        # the api may clear its idempotency records, and nothing of a firm's
        ("ApiFunction", TableRequest("dynamodb:DeleteItem", "table", API_IDEMPOTENCY_PK), True),
        ("ApiFunction", TableRequest("dynamodb:DeleteItem", "table", ITEM), False),
        # the publisher only reads
        ("PublisherFunction", TableRequest("dynamodb:PutItem", "table", ITEM), False),
        ("PublisherFunction", TableRequest("dynamodb:BatchGetItem", "table", ITEM), True),
        # the scan queries the due index only
        ("ScanFunction", TableRequest("dynamodb:Query", "index/due-index", "DUE#0"), True),
        ("ScanFunction", TableRequest("dynamodb:Query", "index/account-index", ITEM), False),
    ],
)
def test_each_role_allows_what_its_function_does_and_refuses_the_rest(
    function: str, request_: TableRequest, allowed: bool
) -> None:
    policies, _ = deployed_policies()
    assert policies[function].allows(request_) is allowed


@pytest.fixture
def table() -> Iterator[object]:
    with mock_aws():
        create_table_from_template()
        yield boto3.client("dynamodb", region_name=REGION)


def test_a_function_writing_outside_its_role_fails_the_test_that_made_it_do_so(table: object) -> None:
    client = boto3.client("dynamodb", region_name=REGION)

    # When the suppression function writes a firm's record, all is well
    with guarded("SuppressionFunction") as guard:
        client.put_item(TableName=TABLE_NAME, Item=_key(ITEM, "ACCOUNT"))
    assert guard.seen == [TableRequest("dynamodb:PutItem", "table", ITEM)]

    # When it writes the scan's lock, the invocation fails the test, naming the role and the request
    refused = r"(?s)SuppressionFunctionRole .* dynamodb:PutItem on table \(STACK#SCAN\)"
    with pytest.raises(NotAllowed, match=refused), guarded("SuppressionFunction"):
        client.put_item(TableName=TABLE_NAME, Item=_key(keys.SCAN_STATE_PK))
