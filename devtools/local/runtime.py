"""Runs the template's functions in this process, the way one Lambda execution environment
would: the handler module imported once, each invocation with its function's environment as
the deployed stack resolved it, a Lambda context, and one invocation at a time.

All invocations run on one worker thread, so module state (Powertools' logger, the services
cached by portal_reminders.wiring) is never shared by two invocations at once. When the next
function's environment differs from the one applied, the process environment is switched and
the layer's cached services are dropped (wiring.reset()), so they are rebuilt from it.
"""

from __future__ import annotations

import copy
import importlib
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from devtools.local.function_logs import FunctionConsole
from devtools.sam_template import ROOT, code_folders, load_template

Handler = Callable[[Any, Any], Any]
T = TypeVar("T")


def add_layers_to_path(template: Mapping[str, Any] | None = None) -> list[Path]:
    """Put each layer folder of the SAM template on sys.path, as Lambda puts /opt/python."""
    source = template if template is not None else load_template()
    folders = [
        folder
        for logical_id, folder in code_folders(dict(source)).items()
        if source["Resources"][logical_id]["Type"] == "AWS::Serverless::LayerVersion"
    ]
    for folder in folders:
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return folders


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str  # physical name in the stack
    module: str  # e.g. functions.api.handler
    handler: str  # e.g. lambda_handler
    timeout_seconds: int
    memory_mb: int
    environment: Mapping[str, str]
    region: str = "us-east-1"
    account: str = "123456789012"

    @property
    def arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.name}"


def function_specs(
    sam_template: Mapping[str, Any],
    configurations: Mapping[str, Mapping[str, Any]],
    environments: Mapping[str, Mapping[str, str]],
) -> dict[str, FunctionSpec]:
    """One spec per deployed function (logical id -> its configuration in the stack: name,
    handler, timeout, memory), with its code folder from the SAM template."""
    folders = code_folders(dict(sam_template))
    specs = {}
    for logical_id, configuration in configurations.items():
        module_file, _, handler = str(configuration["Handler"]).rpartition(".")
        package = ".".join(folders[logical_id].relative_to(ROOT).parts)
        specs[logical_id] = FunctionSpec(
            logical_id=logical_id,
            name=str(configuration["FunctionName"]),
            module=f"{package}.{module_file}",
            handler=handler,
            timeout_seconds=int(configuration.get("Timeout", 3)),
            memory_mb=int(configuration.get("MemorySize", 128)),
            environment=dict(environments.get(logical_id, {})),
        )
    return specs


@dataclass
class LambdaContext:
    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = ""
    log_stream_name: str = "local/[$LATEST]local"
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class LocalRuntime:
    def __init__(
        self,
        functions: Mapping[str, FunctionSpec],
        base_environment: Mapping[str, str],
        say: Callable[[str], None] | None = None,
        debug_logs: bool = False,
    ) -> None:
        """`say` prints one line per invocation (devtools/local/function_logs.py); without it,
        the functions log as they would in Lambda."""
        self.functions = dict(functions)
        self._base = dict(base_environment)
        self._say = say
        self._debug_logs = debug_logs
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lambda")
        self._handlers: dict[str, Handler] = {}
        self._applied: dict[str, str] = {}
        self.invocations: dict[str, int] = dict.fromkeys(self.functions, 0)

    def invoke(self, logical_id: str, event: Any) -> Any:
        """Run the function with this event and return its result (or raise its error)."""
        spec = self.functions[logical_id]
        return self._worker.submit(self._run, spec, copy.deepcopy(event)).result()

    def run_as(self, logical_id: str, work: Callable[[], T]) -> T:
        """Run `work` (not a handler) inside the function's environment, on the worker: for code
        that imports the function's modules (the OpenAPI document imports the API's app)."""
        spec = self.functions[logical_id]

        def inside() -> T:
            self._apply_environment(spec)
            return work()

        return self._worker.submit(inside).result()

    def close(self) -> None:
        self._worker.shutdown(wait=True, cancel_futures=True)

    def _run(self, spec: FunctionSpec, event: Any) -> Any:
        self._apply_environment(spec)
        handler = self._handler(spec)
        self.invocations[spec.logical_id] += 1
        context = LambdaContext(spec.name, spec.arn, spec.memory_mb, spec.timeout_seconds)
        if self._say is None:
            return handler(event, context)
        logger = importlib.import_module("portal_reminders.observability").logger
        console = FunctionConsole(logger, self._say, self._debug_logs)
        return console.invoke(spec.logical_id, event, lambda: handler(event, context), time.monotonic)

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        # Lambda's own variables, then the function's variables from the stack
        runtime = {
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            # Powertools would print an EMF metrics blob per invocation that nothing reads locally
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
        return {**self._base, **runtime, **spec.environment}

    def _apply_environment(self, spec: FunctionSpec) -> None:
        wanted = self._environment(spec)
        changed = False
        for name in self._applied.keys() - wanted.keys():
            os.environ.pop(name, None)
            changed = True
        for name, value in wanted.items():
            if os.environ.get(name) != value:
                os.environ[name] = value
                changed = True
        self._applied = wanted
        if changed:
            importlib.import_module("portal_reminders.wiring").reset()

    def _handler(self, spec: FunctionSpec) -> Handler:
        if spec.logical_id not in self._handlers:
            # imported after its environment is set: Powertools reads POWERTOOLS_* at import
            module = importlib.import_module(spec.module)
            self._handlers[spec.logical_id] = getattr(module, spec.handler)
        return self._handlers[spec.logical_id]
