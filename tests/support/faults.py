"""Make AWS calls fail on purpose, through botocore's own event hooks on the functions' client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse

from portal_reminders.adapters import clients

STATUS = {"TooManyRequestsException": 429, "MessageRejected": 400, "SendingPausedException": 400}


def _recipient(params: dict[str, Any]) -> str:
    body = params.get("body") or b"{}"
    return str(json.loads(body)["Destination"]["ToAddresses"][0])


@contextmanager
def ses_errors(plan: Callable[[str, int], str | None]) -> Iterator[list[str]]:
    """For each SendEmail call, `plan(recipient, call_number)` returns an SES error code to answer
    with, or None to let the call through to (moto's) SES. Yields the recipients of failed calls."""
    client = clients.client("sesv2")
    failed: list[str] = []
    calls = 0

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        nonlocal calls
        calls += 1
        recipient = _recipient(params)
        code = plan(recipient, calls)
        if code is None:
            return None
        failed.append(recipient)
        status = STATUS.get(code, 400)
        parsed = {
            "Error": {"Code": code, "Message": f"simulated {code}"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }
        return AWSResponse("https://email.us-east-1.amazonaws.com", status, {}, None), parsed

    client.meta.events.register_first("before-call.sesv2.SendEmail", answer, unique_id="test-ses-errors")
    try:
        yield failed
    finally:
        client.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="test-ses-errors")
