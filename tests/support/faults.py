"""Make AWS calls fail on purpose, through botocore's own event hooks on the functions' clients, so
every other call still reaches moto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from botocore.awsrequest import AWSResponse

from portal_reminders import clock
from portal_reminders.adapters import clients
from portal_reminders.repository.records import ItemRecord

STATUS = {
    "TooManyRequestsException": 429,
    "LimitExceededException": 400,
    "MessageRejected": 400,
    "BadRequestException": 400,
    "NotFoundException": 404,
    "SendingPausedException": 400,
    "InternalServerError": 500,
    "ProvisionedThroughputExceededException": 400,
}
# What SES says with each code when a test does not say otherwise: SES's own wording for the refusal
# the tests mean (MessageRejected: an address SES will not send to).
MESSAGES = {
    "TooManyRequestsException": "Maximum sending rate exceeded.",
    "LimitExceededException": "Daily message quota exceeded.",
    "MessageRejected": "Address blacklisted.",
    "SendingPausedException": "Sending paused for this account.",
}
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")
# an SES error code, or (code, message)
SesError = str | tuple[str, str]


class Killed(BaseException):
    """The Lambda runtime killing the invocation (a timeout, an out-of-memory): nothing catches it."""


def _error(endpoint: str, code: str, message: str | None = None, **extra: Any) -> tuple[AWSResponse, dict[str, Any]]:
    status = STATUS.get(code, 400)
    text = message or MESSAGES.get(code, f"simulated {code}")
    parsed = {"Error": {"Code": code, "Message": text}, "ResponseMetadata": {"HTTPStatusCode": status}}
    parsed.update(extra)
    return AWSResponse(endpoint, status, {}, None), parsed


def _recipient(params: dict[str, Any]) -> str:
    body = params.get("body") or b"{}"
    return str(json.loads(body)["Destination"]["ToAddresses"][0])


def _dynamodb() -> Any:
    return ItemRecord._get_connection().connection.client


@contextmanager
def ses_errors(plan: Callable[[str, int], SesError | None]) -> Iterator[list[str]]:
    """For each SendEmail call, `plan(recipient, call_number)` returns an SES error code (or code and
    message) to answer with, or None to let the call through to (moto's) SES. Yields the recipients
    of failed calls."""
    client = clients.client("sesv2")
    failed: list[str] = []
    calls = 0

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        nonlocal calls
        calls += 1
        recipient = _recipient(params)
        answer = plan(recipient, calls)
        if answer is None:
            return None
        failed.append(recipient)
        code, message = (answer, None) if isinstance(answer, str) else answer
        return _error("https://email.us-east-1.amazonaws.com", code, message)

    client.meta.events.register_first("before-call.sesv2.SendEmail", answer, unique_id="test-ses-errors")
    try:
        yield failed
    finally:
        client.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="test-ses-errors")


@contextmanager
def ses_calls() -> Iterator[list[tuple[datetime, str]]]:
    """Every SendEmail call the functions make (answered or not): (clock time, recipient)."""
    client = clients.client("sesv2")
    calls: list[tuple[datetime, str]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        calls.append((clock.now(), str(params["Destination"]["ToAddresses"][0])))

    # asked before any before-call hook can answer in SES's place (ses_errors does)
    client.meta.events.register("provide-client-params.sesv2.SendEmail", keep, unique_id="test-ses-calls")
    try:
        yield calls
    finally:
        client.meta.events.unregister("provide-client-params.sesv2.SendEmail", unique_id="test-ses-calls")


@contextmanager
def ses_account(
    max_send_rate: float = 14.0,
    max_24_hour_send: float = 50_000.0,
    sent_last_24_hours: Callable[[], float] = lambda: 0.0,
    sending_enabled: Callable[[], bool] = lambda: True,
) -> Iterator[list[datetime]]:
    """SES GetAccount as a production account would answer it (moto does not implement it).
    Yields the times it was asked."""
    client = clients.client("sesv2")
    asked: list[datetime] = []

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]]:
        asked.append(clock.now())
        parsed = {
            "SendQuota": {
                "Max24HourSend": max_24_hour_send,
                "MaxSendRate": max_send_rate,
                "SentLast24Hours": sent_last_24_hours(),
            },
            "SendingEnabled": sending_enabled(),
            "ProductionAccessEnabled": True,
            "EnforcementStatus": "HEALTHY",
            "ResponseMetadata": {"HTTPStatusCode": 200},
        }
        return AWSResponse("https://email.us-east-1.amazonaws.com", 200, {}, None), parsed

    client.meta.events.register_first("before-call.sesv2.GetAccount", answer, unique_id="test-ses-account")
    try:
        yield asked
    finally:
        client.meta.events.unregister("before-call.sesv2.GetAccount", unique_id="test-ses-account")


@contextmanager
def dynamodb_errors(operation: str, code: str, times: int, reasons: list[str] | None = None) -> Iterator[list[str]]:
    """The next `times` calls of `operation` on the functions' DynamoDB client fail with `code`
    (and transaction cancellation `reasons`): what real DynamoDB answers when writes to one item
    overlap, or when it has an internal error, which moto never does."""
    client = _dynamodb()
    seen: list[str] = []

    def answer(**_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if len(seen) >= times:
            return None
        seen.append(code)
        extra = {"CancellationReasons": [{"Code": reason} for reason in reasons]} if reasons else {}
        return _error("https://dynamodb.us-east-1.amazonaws.com", code, **extra)

    client.meta.events.register_first(f"before-call.dynamodb.{operation}", answer, unique_id="test-dynamodb-errors")
    try:
        yield seen
    finally:
        client.meta.events.unregister(f"before-call.dynamodb.{operation}", unique_id="test-dynamodb-errors")


@contextmanager
def dynamodb_down_after_ses_accepts(code: str = "InternalServerError", writes: int = 1) -> Iterator[list[str]]:
    """Once SES has accepted a mail, the next `writes` DynamoDB writes (whatever they are) fail with
    `code`, as DynamoDB does after its own retries when a partition is unavailable. Yields the
    operations that failed."""
    ses = clients.client("sesv2")
    dynamodb = _dynamodb()
    failed: list[str] = []
    armed = False

    def accepted(http_response: Any, **_: Any) -> None:
        nonlocal armed
        if http_response.status_code == 200 and not failed:
            armed = True

    def answer(model: Any, **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        if not armed or len(failed) >= writes:
            return None
        failed.append(model.name)
        return _error("https://dynamodb.us-east-1.amazonaws.com", code)

    ses.meta.events.register("after-call.sesv2.SendEmail", accepted, unique_id="test-ses-accepted")
    for operation in DYNAMODB_WRITES:
        dynamodb.meta.events.register_first(
            f"before-call.dynamodb.{operation}", answer, unique_id=f"test-down-{operation}"
        )
    try:
        yield failed
    finally:
        ses.meta.events.unregister("after-call.sesv2.SendEmail", unique_id="test-ses-accepted")
        for operation in DYNAMODB_WRITES:
            dynamodb.meta.events.unregister(f"before-call.dynamodb.{operation}", unique_id=f"test-down-{operation}")


@contextmanager
def killed_after_ses_accepts(times: int = 1) -> Iterator[list[str]]:
    """The invocation is killed (timeout) right after SES accepted a mail, before anything else."""
    ses = clients.client("sesv2")
    killed: list[str] = []

    def kill(http_response: Any, **_: Any) -> None:
        if http_response.status_code == 200 and len(killed) < times:
            killed.append("SendEmail")
            raise Killed("the invocation timed out after SES accepted the mail")

    ses.meta.events.register("after-call.sesv2.SendEmail", kill, unique_id="test-killed")
    try:
        yield killed
    finally:
        ses.meta.events.unregister("after-call.sesv2.SendEmail", unique_id="test-killed")


@contextmanager
def killed_before(service: str, operation: str, times: int = 1) -> Iterator[list[str]]:
    """The invocation is killed just before it makes this call (e.g. the scan before it enqueues)."""
    client = clients.client(service) if service != "dynamodb" else _dynamodb()
    killed: list[str] = []

    def kill(**_: Any) -> None:
        if len(killed) < times:
            killed.append(operation)
            raise Killed(f"the invocation died before {operation}")

    client.meta.events.register_first(f"before-call.{service}.{operation}", kill, unique_id="test-killed-before")
    try:
        yield killed
    finally:
        client.meta.events.unregister(f"before-call.{service}.{operation}", unique_id="test-killed-before")


@contextmanager
def unprocessed_keys(sort_key: str, times: int) -> Iterator[list[int]]:
    """For the next `times` BatchGetItem calls, DynamoDB leaves the keys whose sort key is `sort_key`
    unprocessed (moto answers them; the answer is moved to UnprocessedKeys), as it does under load."""
    client = _dynamodb()
    partial: list[int] = []

    def withhold(parsed: dict[str, Any], **_: Any) -> None:
        if len(partial) >= times:
            return
        withheld = 0
        for table, records in parsed.get("Responses", {}).items():
            keep = [r for r in records if r["sk"]["S"] != sort_key]
            kept_back = [{"pk": r["pk"], "sk": r["sk"]} for r in records if r["sk"]["S"] == sort_key]
            if kept_back:
                parsed["Responses"][table] = keep
                parsed.setdefault("UnprocessedKeys", {}).setdefault(table, {"Keys": []})["Keys"].extend(kept_back)
                withheld += len(kept_back)
        if withheld:
            partial.append(withheld)

    client.meta.events.register("after-call.dynamodb.BatchGetItem", withhold, unique_id="test-unprocessed")
    try:
        yield partial
    finally:
        client.meta.events.unregister("after-call.dynamodb.BatchGetItem", unique_id="test-unprocessed")


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


@contextmanager
def ses_identity_calls(operation: str, code: str | None = None) -> Iterator[list[str]]:
    """Every call of an SES v2 identity operation (CreateEmailIdentity, GetEmailIdentity,
    DeleteEmailIdentity) the functions make: the identities named. With `code`, SES answers each
    with that error instead of reaching moto."""
    client = clients.client("sesv2")
    calls: list[str] = []

    def answer(params: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        body = json.loads(params.get("body") or b"{}")
        calls.append(str(body.get("EmailIdentity") or str(params.get("url_path", "")).rpartition("/")[2]))
        return None if code is None else _error("https://email.us-east-1.amazonaws.com", code)

    event = f"before-call.sesv2.{operation}"
    client.meta.events.register_first(event, answer, unique_id=f"test-ses-{operation}")
    try:
        yield calls
    finally:
        client.meta.events.unregister(event, unique_id=f"test-ses-{operation}")
