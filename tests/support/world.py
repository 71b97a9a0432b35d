"""Drives the three functions through their real entry points, the way AWS would: API Gateway
v2 events into the api handler, scheduled events into scan, and the messages scan actually
queued into send as SQS event batches (deleting what succeeded, like the event source mapping)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine

from functions.api import handler as api_handler
from functions.automations import handler as automations_handler
from functions.scan import handler as scan_handler
from functions.send import handler as send_handler
from portal_reminders import clock, wiring
from portal_reminders.adapters import clients
from tests.support.aws import REGION, Mail, Queues, sent_mail
from tests.support.events import FakeLambdaContext, api_event, bus_event, scheduled_event, sqs_event

FIRM = "firm-a"
USER = "user-1"


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]

    @property
    def error_code(self) -> str | None:
        return self.body.get("error", {}).get("code") if isinstance(self.body, dict) else None


@dataclass
class SendRun:
    response: dict[str, Any]
    message_ids: list[str]

    @property
    def failed_ids(self) -> list[str]:
        return [f["itemIdentifier"] for f in self.response["batchItemFailures"]]


class World:
    """`environments` (function logical id -> env vars, e.g. from a deployed stack) makes each
    invocation run with its own function's environment, set through `monkeypatch`."""

    def __init__(
        self,
        queues: Queues,
        traveller: time_machine.Coordinates,
        environments: dict[str, dict[str, str]] | None = None,
        monkeypatch: pytest.MonkeyPatch | None = None,
    ) -> None:
        self.queues = queues
        self.time = traveller
        self.sqs = boto3.client("sqs", region_name=REGION)
        self._environments = environments or {}
        self._monkeypatch = monkeypatch
        self._current: str | None = None
        self.published: list[dict[str, Any]] = []

    def _as(self, function: str) -> None:
        if function not in self._environments or self._current == function or self._monkeypatch is None:
            return
        for name, value in self._environments[function].items():
            self._monkeypatch.setenv(name, value)
        wiring.reset()
        self._current = function

    # api --------------------------------------------------------------------------------------

    def api(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        query: dict[str, str] | None = None,
        firm: str = FIRM,
        user: str = USER,
        claims: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if claims is None:
            claims = {"sub": user, "custom:firm_id": firm}
        event = api_event(method, path, body, query=query, claims=claims, headers=headers)
        self._as("ApiFunction")
        self._record_published_events()
        response = api_handler.lambda_handler(event, FakeLambdaContext())
        raw = response.get("body") or ""
        return Reply(response["statusCode"], json.loads(raw) if raw else None, response.get("headers", {}))

    def create_account(self, *, language: str = "en", contacts: list[dict[str, Any]] | None = None, **kw: Any) -> Any:
        if contacts is None:
            contacts = [
                {"name": "Ana Souza", "email": "ana@client.example.com", "notify": True},
                {"name": "Bruno Lima", "email": "bruno@client.example.com", "notify": True},
                {"name": "Carla Dias", "email": "carla@client.example.com", "notify": False},
            ]
        reply = self.api(
            "POST", "/accounts", {"name": "Souza Family", "language": language, "contacts": contacts}, **kw
        )
        assert reply.status == 201, reply.body
        return reply.body

    def send_item(self, account_id: str, **fields: Any) -> Any:
        body = {"kind": "organizer", "title": "2026 Tax Organizer", **fields}
        body = {k: v for k, v in body.items() if v is not None}
        reply = self.api("POST", f"/accounts/{account_id}/action-items", body)
        assert reply.status == 201, reply.body
        return reply.body

    # scan and send ----------------------------------------------------------------------------

    def scan(self, at: datetime | None = None) -> dict[str, Any]:
        """One scheduled tick at `at` (default: now). The clock moves there first."""
        if at is not None:
            self.time.move_to(at)
        self._as("ScanFunction")
        result: dict[str, Any] = scan_handler.lambda_handler(scheduled_event(at or clock.now()), FakeLambdaContext())
        return result

    def receive(self, max_messages: int = 10) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = self.sqs.receive_message(
            QueueUrl=self.queues.send_url,
            MaxNumberOfMessages=max_messages,
            AttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        return messages

    def send(self, messages: list[dict[str, Any]]) -> SendRun:
        """Invoke send with these messages as one batch; delete the ones it did not report failed."""
        self._as("SendFunction")
        response = send_handler.lambda_handler(sqs_event(messages), FakeLambdaContext())
        run = SendRun(response=response, message_ids=[m["MessageId"] for m in messages])
        failed = set(run.failed_ids)
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queues.send_url, ReceiptHandle=message["ReceiptHandle"])
        return run

    def drain(self, max_batches: int = 50) -> list[SendRun]:
        """Deliver every visible message, batch by batch, until the queue shows none."""
        runs = []
        for _ in range(max_batches):
            messages = self.receive()
            if not messages:
                break
            runs.append(self.send(messages))
        return runs

    def queued_bodies(self) -> list[dict[str, Any]]:
        """What is waiting in the send queue (received, then made visible again: the clock moves
        one second, since SQS shows a message again only after its visibility time has passed)."""
        messages = self.receive()
        for message in messages:
            self.sqs.change_message_visibility(
                QueueUrl=self.queues.send_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        self.time.shift(timedelta(seconds=1))
        return [json.loads(m["Body"]) for m in messages]

    # the event bus ------------------------------------------------------------------------------

    def _record_published_events(self) -> None:
        """Keep what the functions put on the bus (the calls still reach moto's EventBridge)."""
        events = clients.client("events")

        def keep(params: dict[str, Any], **_: Any) -> None:
            self.published.extend(params["Entries"])

        events.meta.events.register("provide-client-params.events.PutEvents", keep, unique_id="world-published")

    def deliver_events(self) -> list[dict[str, Any]]:
        """Deliver every published JobEnteredStage to the automations function, as its rule would."""
        results = []
        while self.published:
            entry = self.published.pop(0)
            results.append(self.invoke_automations(bus_event(entry)))
        return results

    def invoke_automations(self, event: dict[str, Any]) -> dict[str, Any]:
        self._as("AutomationsFunction")
        result: dict[str, Any] = automations_handler.lambda_handler(event, FakeLambdaContext())
        return result

    # mail -------------------------------------------------------------------------------------

    @property
    def mail(self) -> list[Mail]:
        return sent_mail()

    def mail_to(self, address: str) -> list[Mail]:
        return [m for m in self.mail if address in m.to]
