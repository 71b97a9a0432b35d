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
    replaced: dict[str, Any] = _replace_refs(cfn, provided)
    cfn.clear()
    cfn.update(replaced)
    return provided


def _replace_refs(node: Any, names: dict[str, str]) -> Any:
    """`{"Ref": X}` and `${X}` in `Fn::Sub` strings, for each X in `names`, become its name."""
    if isinstance(node, list):
        return [_replace_refs(value, names) for value in node]
    if isinstance(node, str):
        for logical_id, name in names.items():
            node = node.replace(f"${{{logical_id}}}", name)
        return node
    if not isinstance(node, dict):
        return node
    if set(node) == {"Ref"} and node["Ref"] in names:
        return names[node["Ref"]]
    return {key: _replace_refs(value, names) for key, value in node.items()}


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
