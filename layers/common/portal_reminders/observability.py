"""The one place the Powertools logger, tracer and metrics are created. Service name, namespace,
log level and tracing switches come from the POWERTOOLS_* variables the template sets."""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from portal_reminders.tracing import NoTracingProvider

# Powertools' own switch (the template sets it from the DetailedTracing parameter).
_SDK_TRACING = os.getenv("POWERTOOLS_TRACE_DISABLED", "false").lower() not in {"true", "1"}

logger = Logger()
tracer = Tracer() if _SDK_TRACING else Tracer(provider=NoTracingProvider(), auto_patch=False)
metrics = Metrics()


def count(name: str, value: float) -> None:
    """A count in the invocation's metrics (published at its end by log_metrics); zero is published
    too, so that a dashboard line and an alarm see 0 rather than no data."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_by(name: str, value: float, dimension: str, label: str) -> None:
    """A count split by one dimension of its own (rounds failed by reason): its own EMF record,
    since every metric of the invocation's record shares the record's dimensions."""
    if value <= 0 or is_metrics_disabled():
        return
    with single_metric(name=name, unit=MetricUnit.Count, value=value, namespace=metrics.namespace) as metric:
        if metrics.service:
            metric.add_dimension(name="service", value=str(metrics.service))
        metric.add_dimension(name=dimension, value=label)
