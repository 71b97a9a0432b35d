"""What each function's role lets it do to the table, read from the template as CloudFormation
gets it (samtranslator's output), and a guard that checks every DynamoDB request a function makes
against it: the tests that drive the functions (tests/support/world.py) prove that each role allows
what its code path writes, and nothing the code needs is missing from template.yaml.

Only what the template's DynamoDB statements use is evaluated, the way IAM does: an action
(exact, or with a `*`), a resource (the table, or one of its indexes), and a condition on
`dynamodb:LeadingKeys` (`ForAllValues:StringEquals` or `ForAllValues:StringLike`). A statement
with any other condition is taken not to apply, so the guard never allows more than IAM would."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from botocore.client import BaseClient

from devtools.sam_template import load_template, translate

TABLE = "RemindersTable"
LEADING_KEYS = "dynamodb:LeadingKeys"


@dataclass(frozen=True)
class TableRequest:
    """One thing IAM authorizes in a DynamoDB call: an action on the table or an index, for the
    partition key it addresses (None when the call addresses none, like DescribeTable)."""

    action: str
    resource: str  # "table" or "index/<name>"
    leading_key: str | None

    def __str__(self) -> str:
        return f"{self.action} on {self.resource} ({self.leading_key})"


@dataclass(frozen=True)
class KeySchema:
    """The partition key attribute of the table and of each index (a Query names its value)."""

    table: str
    indexes: dict[str, str]

    def partition_key(self, index: str | None) -> str:
        return self.table if index is None else self.indexes[index]


def _value(typed: dict[str, Any]) -> str:
    [(_, value)] = typed.items()
    return str(value)


def _query_key(params: dict[str, Any], attribute: str) -> str | None:
    """The partition key value a Query's key condition names (`#n = :v`)."""
    names = {placeholder: name for placeholder, name in params.get("ExpressionAttributeNames", {}).items()}
    for left, right in re.findall(r"(#?\w+)\s*=\s*(:\w+)", params.get("KeyConditionExpression", "")):
        if names.get(left, left) == attribute:
            return _value(params["ExpressionAttributeValues"][right])
    return None


def table_requests(operation: str, params: dict[str, Any], keys: KeySchema) -> list[TableRequest]:
    """What IAM authorizes for one DynamoDB API call (a transaction or batch: each item)."""

    def key_of(item: dict[str, Any]) -> str:
        return _value(item[keys.table])

    if operation in {"GetItem", "DeleteItem", "UpdateItem"}:
        return [TableRequest(f"dynamodb:{operation}", "table", key_of(params["Key"]))]
    if operation == "PutItem":
        return [TableRequest("dynamodb:PutItem", "table", key_of(params["Item"]))]
    if operation == "Query":
        index = params.get("IndexName")
        resource = "table" if index is None else f"index/{index}"
        return [TableRequest("dynamodb:Query", resource, _query_key(params, keys.partition_key(index)))]
    if operation == "BatchGetItem":
        return [
            TableRequest("dynamodb:BatchGetItem", "table", key_of(key))
            for request in params["RequestItems"].values()
            for key in request["Keys"]
        ]
    if operation == "BatchWriteItem":
        found = []
        for requests in params["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    found.append(TableRequest("dynamodb:PutItem", "table", key_of(request["PutRequest"]["Item"])))
                else:
                    found.append(TableRequest("dynamodb:DeleteItem", "table", key_of(request["DeleteRequest"]["Key"])))
        return found
    if operation == "TransactWriteItems":
        actions = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        found = []
        for item in params["TransactItems"]:
            [(kind, request)] = item.items()
            key = request["Item"] if kind == "Put" else request["Key"]
            found.append(TableRequest(f"dynamodb:{actions[kind]}", "table", key_of(key)))
        return found
    if operation == "TransactGetItems":
        return [TableRequest("dynamodb:GetItem", "table", key_of(i["Get"]["Key"])) for i in params["TransactItems"]]
    return [TableRequest(f"dynamodb:{operation}", "table", None)]


def _table_resource(resource: Any) -> str | None:
    """ "table" or "index/<name>" for a statement resource naming the table (as the template
    writes it), "*" for every resource, None for anything else."""
    if resource == "*":
        return "*"
    if resource == {"Fn::GetAtt": [TABLE, "Arn"]}:
        return "table"
    if isinstance(resource, dict) and "Fn::Sub" in resource:
        matched = re.fullmatch(r"\$\{" + TABLE + r"\.Arn\}/(index/[\w.-]+)", str(resource["Fn::Sub"]))
        if matched:
            return matched.group(1)
    return None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    condition: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, statement: dict[str, Any]) -> Statement | None:
        if statement.get("Effect") != "Allow":
            return None
        resources = tuple(r for r in map(_table_resource, _listed(statement["Resource"])) if r is not None)
        if not resources:
            return None
        return cls(tuple(_listed(statement["Action"])), resources, statement.get("Condition", {}))

    def allows(self, request: TableRequest) -> bool:
        if not any(fnmatchcase(request.action, action) for action in self.actions):
            return False
        if not any(resource in {"*", request.resource} for resource in self.resources):
            return False
        return all(self._holds(operator, tests, request) for operator, tests in self.condition.items())

    @staticmethod
    def _holds(operator: str, tests: dict[str, Any], request: TableRequest) -> bool:
        if set(tests) != {LEADING_KEYS}:
            return False  # a condition this guard cannot evaluate: never assume it holds
        patterns = [str(p) for p in _listed(tests[LEADING_KEYS])]
        # ForAllValues: every leading key of the request matches one pattern (IAM: true for none)
        keys = [] if request.leading_key is None else [request.leading_key]
        if operator == "ForAllValues:StringEquals":
            return all(key in patterns for key in keys)
        if operator == "ForAllValues:StringLike":
            return all(any(fnmatchcase(key, pattern) for pattern in patterns) for key in keys)
        return False


@dataclass(frozen=True)
class RolePolicy:
    role: str
    statements: tuple[Statement, ...]

    def allows(self, request: TableRequest) -> bool:
        return any(statement.allows(request) for statement in self.statements)


def role_policy(translated: dict[str, Any], function: str) -> RolePolicy:
    """The table statements of a function's role (SAM names it <function>Role)."""
    role = translated["Resources"][f"{function}Role"]["Properties"]
    statements = [s for p in role.get("Policies", []) for s in p["PolicyDocument"]["Statement"]]
    return RolePolicy(f"{function}Role", tuple(s for s in map(Statement.of, statements) if s is not None))


def key_schema(template: dict[str, Any]) -> KeySchema:
    table = template["Resources"][TABLE]["Properties"]

    def partition(schema: list[dict[str, str]]) -> str:
        return next(k["AttributeName"] for k in schema if k["KeyType"] == "HASH")

    return KeySchema(
        table=partition(table["KeySchema"]),
        indexes={i["IndexName"]: partition(i["KeySchema"]) for i in table["GlobalSecondaryIndexes"]},
    )


@cache
def deployed_policies() -> tuple[dict[str, RolePolicy], KeySchema]:
    """Every function's table policy, and the table's keys, from template.yaml (once per process)."""
    template = load_template()
    translated = translate(template)
    functions = [k for k, v in translated["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]
    return {function: role_policy(translated, function) for function in functions}, key_schema(template)


class NotAllowed(AssertionError):
    """A function asked DynamoDB for something its role in template.yaml does not allow."""


@dataclass
class Guard:
    """Every DynamoDB request made while a function runs, checked against that function's role."""

    function: str
    policy: RolePolicy
    keys: KeySchema
    seen: list[TableRequest] = field(default_factory=list)
    refused: list[TableRequest] = field(default_factory=list)

    def check(self, operation: str, params: dict[str, Any]) -> None:
        for request in table_requests(operation, params, self.keys):
            self.seen.append(request)
            if not self.policy.allows(request):
                self.refused.append(request)

    def raise_if_refused(self) -> None:
        if self.refused:
            listed = "\n  ".join(sorted({str(r) for r in self.refused}))
            raise NotAllowed(f"{self.policy.role} (template.yaml) does not allow what {self.function} did:\n  {listed}")


@contextmanager
def guarded(
    function: str, policies: Callable[[], tuple[dict[str, RolePolicy], KeySchema]] = deployed_policies
) -> Iterator[Guard]:
    """Run a function's invocation with every DynamoDB call checked; raises NotAllowed at the end
    if its role refuses any (the call itself still reaches moto, so the test sees the whole story)."""
    roles, keys = policies()
    guard = Guard(function, roles[function], keys)
    original = BaseClient._make_api_call

    def checked(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "dynamodb":
            guard.check(operation, params)
        return original(client, operation, params)

    BaseClient._make_api_call = checked  # type: ignore[method-assign]
    try:
        yield guard
    finally:
        BaseClient._make_api_call = original  # type: ignore[method-assign]
    guard.raise_if_refused()
