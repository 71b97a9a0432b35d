"""The send function's figures as CloudWatch would read them: the embedded-metric-format records
Powertools prints at the end of each invocation."""

from __future__ import annotations

import json
from typing import Any


def emf_records(output: str) -> list[dict[str, Any]]:
    """The CloudWatch embedded-metric-format records printed by Powertools."""
    records = []
    for line in output.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            records.append(json.loads(line))
    return records


def figures(records: list[dict[str, Any]], **dimensions: str) -> dict[str, float]:
    """metric -> value, from the records with exactly these dimensions besides the service."""
    found: dict[str, float] = {}
    for record in records:
        [directive] = record["_aws"]["CloudWatchMetrics"]
        if set(directive["Dimensions"][0]) != {"service", *dimensions}:
            continue
        if any(record.get(name) != value for name, value in dimensions.items()):
            continue
        for metric in directive["Metrics"]:
            value = record[metric["Name"]]
            found[metric["Name"]] = found.get(metric["Name"], 0) + (sum(value) if isinstance(value, list) else value)
    return found
