"""The one place the Powertools logger, tracer and metrics are created. Service name, namespace,
log level and tracing switches come from the POWERTOOLS_* variables the template sets."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer

from portal_reminders.tracing import NoTracingProvider

# Powertools' own switch (the template sets it from the DetailedTracing parameter).
_SDK_TRACING = os.getenv("POWERTOOLS_TRACE_DISABLED", "false").lower() not in {"true", "1"}

logger = Logger()
tracer = Tracer() if _SDK_TRACING else Tracer(provider=NoTracingProvider(), auto_patch=False)
metrics = Metrics()
