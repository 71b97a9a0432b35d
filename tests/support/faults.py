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


@contextmanager
def put_events_refused(refuse: Callable[[int], bool]) -> Iterator[list[int]]:
    """For each PutEvents call, `refuse(call_number)` says whether EventBridge refuses every entry of
    it (FailedEntryCount, InternalFailure, as it answers under trouble); other calls reach (moto's)
    EventBridge. Yields the numbers of the refused calls."""
    client = clients.client("events")
    refused: list[int] = []
    calls = 0

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        nonlocal calls
        calls += 1
        if not refuse(calls):
            return None
        refused.append(calls)
        count = len(json.loads(params.get("body") or b"{}").get("Entries", []))
        failure = {"ErrorCode": "InternalFailure", "ErrorMessage": "simulated: EventBridge is unavailable"}
        parsed = {"FailedEntryCount": count, "Entries": [failure] * count, "ResponseMetadata": {"HTTPStatusCode": 200}}
        return AWSResponse("https://events.us-east-1.amazonaws.com", 200, {}, None), parsed

    client.meta.events.register_first("before-call.events.PutEvents", answer, unique_id="test-put-events-refused")
    try:
        yield refused
    finally:
        client.meta.events.unregister("before-call.events.PutEvents", unique_id="test-put-events-refused")


class InvocationCutOff(RuntimeError):
    """The function died here (a timeout, the runtime killed): what it did so far stays done."""


@contextmanager
def cut_off_after_put_events(calls: Callable[[int], bool]) -> Iterator[None]:
    """The invocation dies right after EventBridge accepted PutEvents call number n when
    `calls(n)`: the events are on the bus, but the function never answers."""
    client = clients.client("events")
    count = 0

    def die(**_: Any) -> None:
        nonlocal count
        count += 1
        if calls(count):
            raise InvocationCutOff("the invocation was cut off after PutEvents")

    client.meta.events.register_last("after-call.events.PutEvents", die, unique_id="test-cut-off")
    try:
        yield
    finally:
        client.meta.events.unregister("after-call.events.PutEvents", unique_id="test-cut-off")
