"""Deploy template.yaml into a CloudFormation endpoint offline: package each function and layer
folder as a zip in S3 (what `sam package` does), translate the SAM template (samtranslator, no
AWS account), and create the stack. Used against moto (in process for the tests, as a server for
the local stack), so the tables, queues, rules and function environments are exactly what the
template creates."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from devtools.sam_template import code_folders, load_template, translate

ARTIFACT_BUCKET = "client-reminders-artifacts"
SKIPPED = {"__pycache__", ".mypy_cache"}


def zip_folder(folder: Path, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not SKIPPED.intersection(path.parts):
                archive.write(path, prefix + str(path.relative_to(folder)))
    return buffer.getvalue()


def package(s3: Any, template: dict[str, Any], bucket: str = ARTIFACT_BUCKET) -> dict[str, str]:
    """Upload each code folder as a zip; returns logical id -> s3:// URI."""
    s3.create_bucket(Bucket=bucket)
    uris = {}
    for logical_id, folder in code_folders(template).items():
        is_layer = template["Resources"][logical_id]["Type"] == "AWS::Serverless::LayerVersion"
        # a built layer holds its packages under python/ (sam build's BuildMethod puts them there)
        body = zip_folder(folder, prefix="python/" if is_layer else "")
        key = f"{logical_id}.zip"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        uris[logical_id] = f"s3://{bucket}/{key}"
    return uris


@dataclass
class DeployedStack:
    name: str
    outputs: dict[str, str]
    resources: dict[str, str]  # logical id -> physical id
    environments: dict[str, dict[str, str]] = field(default_factory=dict)  # function logical id -> env

    def environment(self, function: str) -> dict[str, str]:
        return self.environments[function]


def provide_configuration_sets(cfn: dict[str, Any], sesv2: Any, stack_name: str) -> dict[str, str]:
    """moto's CloudFormation cannot create an SES configuration set (AWS::SES::ConfigurationSet), and
    a reference to one resolves to nothing there. Create each with SES v2 itself (named as
    CloudFormation would: stack, logical id), put its name where the template refers to it, and take
    it out of the template; returns logical id -> name. Its event destination stays in the template
    (moto skips it): moto's SES publishes no events, and the local stack emulates the EventBridge
    destination (POST /_local/ses-event)."""
    provided: dict[str, str] = {}
    for logical_id, resource in list(cfn["Resources"].items()):
        if resource["Type"] != "AWS::SES::ConfigurationSet":
            continue
        properties = resource.get("Properties", {})
        name = str(properties.get("Name") or f"{stack_name}-{logical_id}")
        options = {
            key: properties[key]
            for key in ("ReputationOptions", "SendingOptions", "SuppressionOptions")
            if key in properties
        }
        sesv2.create_configuration_set(ConfigurationSetName=name, **options)
        provided[logical_id] = name
        del cfn["Resources"][logical_id]
    _replace_in_place(cfn, provided, provided)
    return provided


@dataclass(frozen=True)
class AliasToMake:
    function: str  # logical id of the function
    name: str
    version: str  # logical id of the AWS::Lambda::Version it points at


def take_out_aliases(cfn: dict[str, Any]) -> dict[str, AliasToMake]:
    """moto's CloudFormation cannot create an alias (AWS::Lambda::Alias: what AutoPublishAlias adds
    to a function) and a reference to one resolves to nothing there. Take each out of the template;
    what referred to it (API Gateway's permissions to invoke it) refers to its function instead;
    `make_aliases` makes them with the Lambda API once the stack is up. Returns logical id -> alias."""
    aliases: dict[str, AliasToMake] = {}
    for logical_id, resource in list(cfn["Resources"].items()):
        if resource["Type"] != "AWS::Lambda::Alias":
            continue
        properties = resource["Properties"]
        function, version = properties["FunctionName"]["Ref"], properties["FunctionVersion"]["Fn::GetAtt"][0]
        aliases[logical_id] = AliasToMake(function=function, name=properties["Name"], version=version)
        del cfn["Resources"][logical_id]
    refs = {logical_id: {"Ref": alias.function} for logical_id, alias in aliases.items()}
    _replace_in_place(cfn, refs, {logical_id: f"${{{alias.function}.Arn}}" for logical_id, alias in aliases.items()})
    return aliases


def make_aliases(lambda_client: Any, aliases: dict[str, AliasToMake], resources: dict[str, str]) -> dict[str, str]:
    """Each alias, on the version the stack published; returns logical id -> alias ARN."""
    made = {}
    for logical_id, alias in aliases.items():
        function = resources[alias.function]
        versions = lambda_client.list_versions_by_function(FunctionName=function)["Versions"]
        published = max(int(v["Version"]) for v in versions if v["Version"] != "$LATEST")
        created = lambda_client.create_alias(FunctionName=function, Name=alias.name, FunctionVersion=str(published))
        made[logical_id] = created["AliasArn"]
    return made


def _replace_in_place(cfn: dict[str, Any], refs: dict[str, Any], in_strings: dict[str, str]) -> None:
    replaced: dict[str, Any] = _replace_refs(cfn, refs, in_strings)
    cfn.clear()
    cfn.update(replaced)


def _replace_refs(node: Any, refs: dict[str, Any], in_strings: dict[str, str]) -> Any:
    """`{"Ref": X}` becomes refs[X], and `${X}` in `Fn::Sub` strings becomes in_strings[X]."""
    if isinstance(node, list):
        return [_replace_refs(value, refs, in_strings) for value in node]
    if isinstance(node, str):
        for logical_id, text in in_strings.items():
            node = node.replace(f"${{{logical_id}}}", text)
        return node
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in refs:
        return refs[node["Ref"]]
    return {key: _replace_refs(value, refs, in_strings) for key, value in node.items()}


def deploy(
    cloudformation: Any,
    s3: Any,
    lambda_client: Any,
    parameters: dict[str, str],
    stack_name: str = "client-reminders",
    sesv2: Any = None,
) -> DeployedStack:
    """`sesv2`: the SES v2 client of the same endpoint (default: one for cloudformation's region)."""
    template = load_template()
    cfn = translate(template, package(s3, template))
    if sesv2 is None:
        sesv2 = boto3.client("sesv2", region_name=cloudformation.meta.region_name)
    provided = provide_configuration_sets(cfn, sesv2, stack_name)
    aliases = take_out_aliases(cfn)
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=json.dumps(cfn),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
    )
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"stack {stack_name} is {stack['StackStatus']}: {stack.get('StackStatusReason')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    # resources moto's CloudFormation does not model (the HTTP API, the alarm) come back without ids
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]
        if "LogicalResourceId" in r and "PhysicalResourceId" in r
    } | provided
    resources |= make_aliases(lambda_client, aliases, resources)
    environments = {}
    for logical_id, resource in cfn["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            configuration = lambda_client.get_function_configuration(FunctionName=resources[logical_id])
            variables = configuration.get("Environment", {}).get("Variables", {})
            environments[logical_id] = {name: str(value) for name, value in variables.items()}
            _take_over_event_sources(lambda_client, resources[logical_id])
    return DeployedStack(name=stack_name, outputs=outputs, resources=resources, environments=environments)


def _take_over_event_sources(lambda_client: Any, function_name: str) -> None:
    """moto would run a mapped function in Docker when a message arrives (and lose the message
    without Docker); the caller polls the queue (devtools.local.poller) or reads the table's
    stream (devtools.local.streams) into the function in process instead."""
    mappings = lambda_client.list_event_source_mappings(FunctionName=function_name)["EventSourceMappings"]
    for mapping in mappings:
        lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)
        if "/stream/" in mapping["EventSourceArn"] and ":dynamodb:" in mapping["EventSourceArn"]:
            _detach_stream_mapping(mapping["EventSourceArn"])


def _detach_stream_mapping(stream_arn: str) -> None:
    """moto's DynamoDB invokes a table's stream mappings on every write whether they are enabled or
    not, in Docker, and empties the stream when it has tried (moto 5.2: StreamShard.add). Its
    server runs in this process (tests, the local stack), so detach them from the table there; the
    stream keeps every record for the emulated mapping to read through the Streams API."""
    from moto.dynamodb.models import dynamodb_backends  # noqa: PLC0415 - moto only where it is the endpoint

    _, _, _, region, account, resource = stream_arn.split(":", 5)
    table = dynamodb_backends[account][region].get_table(resource.split("/")[1])
    table.lambda_event_source_mappings.clear()
