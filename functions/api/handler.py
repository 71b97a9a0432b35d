"""API function: API Gateway HTTP API (v2 events, JWT authorizer) -> the Powertools resolver."""

from typing import Any

from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from portal_reminders.api.app import app
from portal_reminders.api.snapstart import register_hooks
from portal_reminders.budget import within_budget
from portal_reminders.observability import logger, metrics, tracer

# SnapStart: build what requests use before the snapshot, reseed after each restore (api/snapstart.py)
register_hooks()


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
@metrics.log_metrics(capture_cold_start_metric=True)
@tracer.capture_lambda_handler
@within_budget
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
