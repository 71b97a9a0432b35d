"""What each handler loads on a cold start: only what its requests need (docs/cold-start.md). How
long the api takes against `import boto3` is a figure of the machine, so it is a benchmark:
`python -m bench.importtime` measures it and exits non-zero above its 1.5x target."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# jinja2: only where the firm's own wording of an email is checked or rendered (emails/wording.py)
NEVER = {"boto3", "s3transfer", "aws_lambda_powertools.utilities.parser", "jinja2", "markupsafe"}
# botocore and pynamodb load with a function's first AWS client (adapters/clients.py, wiring.py):
# with SnapStart, the api builds its clients before the snapshot (api/snapstart.py)
AWS_SDK = {"botocore.session", "botocore.client", "pynamodb"}
ALSO_NEVER = {
    # the use cases load with the first request that calls them: pipelines and items bring delivery
    # the request and response models load with the first routed request (api/deferred.py)
    "api": {
        "portal_reminders.emails",
        "portal_reminders.reminders.automations",
        "portal_reminders.api.schemas",
        "portal_reminders.api.present",
        *AWS_SDK,
    },
    "scan": {
        "portal_reminders.emails",
        "portal_reminders.api",
        "portal_reminders.reminders.delivery.deliverer",
        *AWS_SDK,
    },
    "send": {"portal_reminders.api", *AWS_SDK},
    "automations": {"portal_reminders.api", *AWS_SDK},
    # the publisher reads the stream and puts events: no email, API, delivery or item use case
    "publisher": {
        "portal_reminders.emails",
        "portal_reminders.api",
        "portal_reminders.reminders.delivery.deliverer",
        "portal_reminders.reminders.clients.items",
        "aws_lambda_powertools.utilities.batch",
    },
    # SES's bounces and complaints: reads an account and writes it, nothing that emails
    "suppression": {
        "portal_reminders.emails",
        "portal_reminders.api",
        "portal_reminders.reminders.delivery.deliverer",
        "portal_reminders.reminders.clients.items",
        "aws_lambda_powertools.utilities.batch",
        *AWS_SDK,
    },
}


def _loaded_after_import(function: str, trace_disabled: str) -> set[str]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": os.pathsep.join([str(ROOT / "functions" / function), str(ROOT / "layers" / "common")]),
        "POWERTOOLS_SERVICE_NAME": "client-reminders",
        "POWERTOOLS_METRICS_NAMESPACE": "ClientReminders",
        "POWERTOOLS_TRACE_DISABLED": trace_disabled,
    }
    code = "import sys, json, handler; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("function", ["api", "scan", "send", "automations", "publisher", "suppression"])
def test_a_handler_loads_no_module_its_requests_do_not_need(function: str) -> None:
    loaded = _loaded_after_import(function, trace_disabled="true")
    unwanted = {
        m for m in loaded for prefix in NEVER | ALSO_NEVER[function] if m == prefix or m.startswith(prefix + ".")
    }
    assert unwanted == set()
    assert "aws_xray_sdk.core" not in loaded  # the SDK recorder: over 100 ms


def test_detailed_tracing_loads_the_xray_sdk() -> None:
    assert "aws_xray_sdk.core" in _loaded_after_import("scan", trace_disabled="false")
