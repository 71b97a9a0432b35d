"""Drives the functions through their real entry points, the way AWS would: API Gateway v2 events
into the api handler, scheduled events into scan, the messages scan actually queued into send as
SQS event batches (deleting what succeeded, like the event source mapping), the table's real
stream (moto's) into the publisher as DynamoDB stream batches (devtools.local.streams, the same
emulation as the local stack's), and what the publisher put on the bus into the automations
function when its rule matches. Every invocation's DynamoDB requests are checked against its
function's role in template.yaml (tests/support/iam.py): a request the role refuses fails the test."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
import time_machine

from devtools.local.cfn import Resolver, parameter_values
from devtools.local.eventbus import event_from_entry, matches
from devtools.local.outbox import Mail as SentMail
from devtools.local.outbox import mail_from_send_email
from devtools.local.sesevents import put_events_entry, ses_detail
from devtools.local.streams import StreamMapping, StreamPoller
from devtools.sam_template import load_template
from functions.api import handler as api_handler
from functions.automations import handler as automations_handler
from functions.publisher import handler as publisher_handler
from functions.scan import handler as scan_handler
from functions.send import handler as send_handler
from functions.suppression import handler as suppression_handler
from portal_reminders import clock, wiring
from portal_reminders.adapters import clients
from tests.support.aws import (
    REGION,
    Mail,
    Queues,
    queue_arn,
    sent_mail,
    stream_arn,
    streams_client,
    template_resource,
    template_value,
)
from tests.support.events import FakeLambdaContext, api_event, bus_event, scheduled_event, sqs_event
from tests.support.iam import guarded
from tests.support.schemas import problems

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
        stream_mapping: StreamMapping | None = None,
    ) -> None:
        self.queues = queues
        self.time = traveller
        self.sqs = boto3.client("sqs", region_name=REGION)
        self._environments = environments or {}
        self._monkeypatch = monkeypatch
        self._current: str | None = None
        self._stream_mapping = stream_mapping
        self._stream: StreamPoller | None = None
        # every PutEvents entry the bus accepted from the publisher, oldest first (Time, Source,
        # DetailType, Detail, EventBusName), and how many of them were offered to the rules
        self.published: list[dict[str, Any]] = []
        self._offered = 0
        # every SendEmail SES accepted, with its tags and configuration set (moto's SES keeps neither)
        self.sent: list[SentMail] = []

    def environment(self, function: str) -> dict[str, str]:
        return self._environments[function]

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
        self._watch_mail()
        with guarded("ApiFunction"):
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
        with guarded("ScanFunction"):
            result: dict[str, Any] = scan_handler.lambda_handler(
                scheduled_event(at or clock.now()), FakeLambdaContext()
            )
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
        self._watch_mail()
        with guarded("SendFunction"):
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

    def run_for(
        self,
        duration: timedelta,
        *,
        step: timedelta = timedelta(minutes=1),
        scan_every: timedelta | None = timedelta(minutes=5),
        send: bool = True,
    ) -> None:
        """Production time, compressed: the clock moves on `step` at a time; the schedule scans every
        `scan_every`, and the send queue's event source mapping takes whatever is visible."""
        end = clock.now() + duration
        next_scan = clock.now()
        while clock.now() < end:
            if scan_every is not None and clock.now() >= next_scan:
                self.scan()
                next_scan += scan_every
            if send:
                self.drain()
            self.time.shift(step)

    def take_queued(self) -> list[dict[str, Any]]:
        """Take every message waiting in the send queue off it (received and deleted), oldest first."""
        bodies = []
        while messages := self.receive():
            for message in messages:
                self.sqs.delete_message(QueueUrl=self.queues.send_url, ReceiptHandle=message["ReceiptHandle"])
                bodies.append(json.loads(message["Body"]))
        return bodies

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

    # the table's stream, the publisher and the bus ---------------------------------------------

    @property
    def stream(self) -> StreamPoller:
        """The publisher's DynamoDB stream mapping on the table's stream (made on first use)."""
        if self._stream is None:
            mapping = self._stream_mapping or publisher_mapping(
                stream_arn(), queue_arn(self.queues.publisher_dead_letter_url)
            )
            self._stream = StreamPoller(
                mapping,
                lambda _, event: self.invoke_publisher(event),
                streams_client(),
                self.sqs,
                region=REGION,
                function_arn="arn:aws:lambda:us-east-1:123456789012:function:publisher",
            )
        return self._stream

    def publish(self) -> int:
        """Run the publisher on everything new in the table's stream, batch by batch, as its event
        source mapping would (failed records come back, up to the mapping's retries); the records
        handed to it. Every event published is checked against its JSON Schema (schemas/)."""
        before = len(self.published)
        handed = self.stream.drain()
        wrong = {e["DetailType"]: problems(e) for e in self.published[before:] if problems(e)}
        assert not wrong, f"published events that do not match their schema: {wrong}"
        return handed

    def invoke_publisher(self, event: dict[str, Any]) -> dict[str, Any]:
        self._as("PublisherFunction")
        self._keep_published_events()
        with guarded("PublisherFunction"):
            result: dict[str, Any] = publisher_handler.lambda_handler(event, FakeLambdaContext())
        return result

    def _keep_published_events(self) -> None:
        """Keep what the bus accepted from the publisher (the calls still reach moto's EventBridge)."""
        events = clients.client("events")

        def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["world_entries"] = [dict(entry) for entry in params["Entries"]]

        def keep(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            answers = parsed.get("Entries", [])
            for entry, answer in zip(context.get("world_entries", []), answers, strict=False):
                if answer.get("EventId"):
                    self.published.append(entry)

        events.meta.events.register("before-parameter-build.events.PutEvents", remember, unique_id="world-params")
        events.meta.events.register("after-call.events.PutEvents", keep, unique_id="world-published")

    def events_of(self, detail_type: str) -> list[dict[str, Any]]:
        """The details of the published events of this type, oldest first."""
        return [json.loads(e["Detail"]) for e in self.published if e["DetailType"] == detail_type]

    def deliver_events(self) -> list[dict[str, Any]]:
        """Publish what the stream holds, then deliver each newly published event that the
        automations function's rule matches (JobEnteredStage on the stack's bus) to it, until
        nothing new is published; the automations function's results."""
        pattern = automations_pattern()
        results = []
        while True:
            self.publish()
            if self._offered == len(self.published):
                return results
            while self._offered < len(self.published):
                event = bus_event(self.published[self._offered])
                self._offered += 1
                if matches(pattern, event):
                    results.append(self.invoke_automations(event))

    def invoke_automations(self, event: dict[str, Any]) -> dict[str, Any]:
        self._as("AutomationsFunction")
        self._watch_mail()
        with guarded("AutomationsFunction"):
            result: dict[str, Any] = automations_handler.lambda_handler(event, FakeLambdaContext())
        return result

    # mail -------------------------------------------------------------------------------------

    def _watch_mail(self) -> None:
        """Keep each SendEmail call SES answered (the call still goes to moto's SES)."""
        ses = clients.client("sesv2")

        def remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["world_email"] = json.loads(json.dumps(params))

        def keep(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            if http_response.status_code < 300 and "world_email" in context:
                self.sent.append(mail_from_send_email(context["world_email"], parsed, clock.now()))

        ses.meta.events.register("before-parameter-build.sesv2.SendEmail", remember, unique_id="world-mail-params")
        ses.meta.events.register("after-call.sesv2.SendEmail", keep, unique_id="world-mail-sent")

    def sent_to(self, address: str) -> list[SentMail]:
        """The mails SES accepted for this address, oldest first."""
        return [m for m in self.sent if address in m.to]

    # the mail service's events (SPEC R15) -----------------------------------------------------

    def ses_event(self, mail: SentMail, kind: str, recipients: list[str] | None = None) -> dict[str, Any]:
        """SES's event of `kind` (bounce, transient_bounce, complaint, delivery) about a mail, as
        EventBridge delivers it from the configuration set's destination (devtools.local.sesevents)."""
        now = clock.now()
        detail = ses_detail(
            message_id=mail.message_id,
            sender=mail.sender,
            to=recipients or mail.to,
            sent_at=mail.sent_at_time,
            tags=mail.tags,
            configuration_set=mail.configuration_set,
            kind=kind,
            at=now,
        )
        entry = put_events_entry(detail, now, REGION, "123456789012")
        return event_from_entry(entry, str(uuid.uuid4()), now, REGION, "123456789012")

    @property
    def suppression_pattern(self) -> dict[str, Any]:
        """The suppression function's rule (on the default bus), with the stack's configuration set."""
        properties = template_resource("SuppressionFunction")["Properties"]["Events"]["MailFeedback"]["Properties"]
        name = (self._environments.get("SuppressionFunction") or os.environ)["SES_CONFIGURATION_SET"]
        pattern: dict[str, Any] = json.loads(
            json.dumps(properties["Pattern"]).replace(json.dumps({"Ref": "MailConfigurationSet"}), json.dumps(name))
        )
        return pattern

    def deliver_ses_event(self, event: dict[str, Any]) -> dict[str, Any] | None:
        """EventBridge's part: the event goes to the suppression function when its rule matches;
        the function's result, or None when the rule does not match (the event goes nowhere)."""
        if not matches(self.suppression_pattern, event):
            return None
        return self.invoke_suppression(event)

    def invoke_suppression(self, event: dict[str, Any]) -> dict[str, Any]:
        self._as("SuppressionFunction")
        with guarded("SuppressionFunction"):
            result: dict[str, Any] = suppression_handler.lambda_handler(event, FakeLambdaContext())
        return result

    def bounce(self, address: str, kind: str = "bounce") -> dict[str, Any] | None:
        """The latest mail to `address` bounces (or draws a complaint): delivered as EventBridge would."""
        return self.deliver_ses_event(self.ses_event(self.sent_to(address)[-1], kind))

    @property
    def mail(self) -> list[Mail]:
        return sent_mail()

    def mail_to(self, address: str) -> list[Mail]:
        return [m for m in self.mail if address in m.to]


def automations_pattern(parameters: dict[str, str] | None = None) -> dict[str, Any]:
    """The automations function's rule pattern as a stack deployed with these parameters has it."""
    template = load_template()
    properties = template["Resources"]["AutomationsFunction"]["Properties"]["Events"]["JobEnteredStage"]["Properties"]
    resolver = Resolver(parameter_values(template, parameters or {}), {}, template.get("Conditions", {}))
    pattern: dict[str, Any] = resolver.value(properties["Pattern"])
    return pattern


def publisher_mapping(stream: str, dead_letter_arn: str) -> StreamMapping:
    """The publisher's stream mapping as template.yaml declares it, on this stream."""
    properties = template_resource("PublisherFunction")["Properties"]["Events"]["Stream"]["Properties"]
    configuration = {name: template_value(value) for name, value in properties.items()}
    configuration["EventSourceArn"] = stream
    configuration["DestinationConfig"] = {"OnFailure": {"Type": "SQS", "Destination": dead_letter_arn}}
    return StreamMapping.from_configuration("PublisherFunction", configuration)
