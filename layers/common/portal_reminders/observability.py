"""The one place the Powertools logger, tracer and metrics are created. Service name, namespace,
log level and tracing switches come from the POWERTOOLS_* variables the template sets."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
