"""The /_local/* endpoints of the local gateway (none of them exists in the deployed stack):
dev tokens, the clock tick, the outbox, the events published, the stack's status, and a stand-in
for portal links."""

from __future__ import annotations

import dataclasses
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.local.durations import parse_duration
from devtools.local.eventbus import EventBus, event_from_entry
from devtools.local.events import PublishedEvents
from devtools.local.outbox import Outbox, contact_key
from devtools.local.poller import SqsPoller
from devtools.local.schedule import Schedule
from devtools.local.sesaccount import LocalSesAccount
from devtools.local.sesevents import KINDS, put_events_entry, ses_detail
from devtools.local.sesidentities import LocalSendingDomains
from devtools.local.streams import StreamPoller
from devtools.local.tokens import DevTokens
from devtools.local.web import VIEWPORT, Reply, Request, error_reply, html_reply, json_reply
from portal_reminders import clock
from portal_reminders.ids import is_external_id

PREFIX = "/_local"
REGION = "us-east-1"
ACCOUNT = "123456789012"  # moto's default account
SETTLE_ROUNDS = 8  # send -> stream -> event -> automations -> stream ... chains a tick waits for
TICK_USAGE = 'send {"in": "3d"} (from the stack\'s clock) or {"at": "2026-12-01T09:00:00Z"} (ISO 8601 with a zone)'


@dataclass
class Control:
    tokens: DevTokens
    schedule: Schedule
    pollers: list[SqsPoller]
    eventbus: EventBus
    outbox: Outbox
    status: Callable[[], dict[str, Any]]
    ses_account: LocalSesAccount
    streams: list[StreamPoller] = dataclasses.field(default_factory=list)
    published: PublishedEvents = dataclasses.field(default_factory=PublishedEvents)
    # PutEvents on the endpoint (for SES's events about a mail: they go on the default bus)
    put_events: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None
    # the firms' sending domains in the local SES, and SES's verdict on their DNS records
    sending_domains: LocalSendingDomains | None = None

    def handle(self, request: Request) -> Reply | None:
        """The reply for a /_local path, or None when there is no such endpoint."""
        name = request.path.removeprefix(PREFIX)
        routes: dict[tuple[str, str], Callable[[Request], Reply]] = {
            ("POST", "/token"): self._token,
            ("POST", "/tick"): self._tick,
            ("GET", "/clock"): self._clock,
            ("GET", "/outbox"): lambda _: json_reply(200, self.outbox.as_json()),
            ("GET", "/outbox.html"): lambda _: html_reply(200, self.outbox.page()),
            ("GET", "/events"): lambda _: json_reply(200, self.published.as_json()),
            ("GET", "/events.html"): lambda _: html_reply(200, self.published.page()),
            ("GET", "/status"): lambda _: json_reply(200, self.status()),
            ("GET", "/ses-account"): lambda _: json_reply(200, self.ses_account.describe()),
            ("POST", "/ses-account"): self._change_ses_account,
            ("POST", "/ses-event"): self._ses_event,
            ("GET", ""): self._index,
            ("GET", "/"): self._index,
        }
        if self.sending_domains is not None:
            domains = self.sending_domains
            routes[("GET", "/sending-domains")] = lambda _: json_reply(200, domains.as_json())
            routes[("GET", "/sending-domains.html")] = lambda _: html_reply(200, domains.page())
            routes[("POST", "/sending-domains/verify")] = self._domain_verdict
        endpoint = routes.get((request.method, name))
        if endpoint is not None:
            return endpoint(request)
        if request.method == "GET" and name.startswith("/portal/"):
            return self._portal(name.removeprefix("/portal"))
        return None

    def settle(self, queues: bool = True) -> int:
        """Deliver what is queued (SQS batches, the table's stream into the publisher, then
        EventBridge events, which may queue more) until nothing is left; the number of SQS
        messages handled. `queues=False` leaves the SQS queues to their pollers (for work that
        queues no message, which then need not wait for a poller's receive)."""
        handled = 0
        for _ in range(SETTLE_ROUNDS):
            delivered = len(self.eventbus.delivered) + len(self.eventbus.dead_lettered)
            count = sum(poller.drain() for poller in self.pollers) if queues else 0
            published = sum(stream.drain() for stream in self.streams)
            self.eventbus.drain()
            delivered = len(self.eventbus.delivered) + len(self.eventbus.dead_lettered) - delivered
            handled += count
            if count == 0 and published == 0 and delivered == 0:
                break
        return handled

    def _token(self, request: Request) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return error_reply(400, "bad_request", "the request body is not valid JSON")
        firm_id, sub = (body.get("firm_id"), body.get("sub")) if isinstance(body, dict) else (None, None)
        for field, value in (("firm_id", firm_id), ("sub", sub)):
            if not isinstance(value, str) or not is_external_id(value):
                return error_reply(
                    422, "validation_error", f"'{field}' must be an id like demo-firm (letters, digits, _.:@|+-)"
                )
        token = self.tokens.issue(str(firm_id), str(sub))
        claims = self.tokens.verify(token)
        return json_reply(201, {"token": token, "claims": claims, "note": "dev-only token for this local run"})

    def _tick(self, request: Request) -> Reply:
        """Move the clock to {"at": <ISO time>}, or forward by {"in": "3d"} from the stack's own
        now (so a printed hint stays right however long the stack has run), then scan at once."""
        before, emails_before = clock.now(), len(self.outbox.mails())
        try:
            at = _tick_target(request, before)
        except ValueError as error:
            return error_reply(400, "bad_request", str(error))
        if at.tzinfo is None:
            return error_reply(422, "validation_error", "'at' needs a time zone, e.g. 2026-12-01T09:00:00Z")
        if at < before.replace(microsecond=0):
            return error_reply(409, "conflict", f"the clock only moves forward; it reads {before:%Y-%m-%dT%H:%M:%SZ}")
        scans = self.schedule.tick(at)
        self.settle()
        return json_reply(
            200,
            {
                "clock": {"from": f"{before:%Y-%m-%dT%H:%M:%SZ}", "to": f"{at:%Y-%m-%dT%H:%M:%SZ}"},
                "scans": scans,
                "emails_sent": len(self.outbox.mails()) - emails_before,
            },
        )

    def _change_ses_account(self, request: Request) -> Reply:
        try:
            body = request.json()
        except ValueError:
            return error_reply(400, "bad_request", "the request body is not valid JSON")
        if not isinstance(body, dict):
            return error_reply(400, "bad_request", 'send a JSON object, e.g. {"sending_enabled": false}')
        try:
            return json_reply(200, self.ses_account.update(body))
        except ValueError as error:
            return error_reply(422, "validation_error", str(error))

    def _ses_event(self, request: Request) -> Reply:
        """SES reports a bounce or complaint (or a transient bounce, a delivery) about a mail of the
        outbox, as its configuration set's EventBridge destination would: the event goes on the
        default bus, where the stack's rules take it (the suppression function's), and the stack
        settles (the audit event it writes is published in turn)."""
        try:
            body = request.json()
        except ValueError:
            return error_reply(400, "bad_request", "the request body is not valid JSON")
        if not isinstance(body, dict):
            return error_reply(400, "bad_request", 'send a JSON object, e.g. {"message_id": "...", "type": "bounce"}')
        message_id, kind = body.get("message_id"), body.get("type")
        if kind not in KINDS:
            return error_reply(422, "validation_error", f"'type' must be one of {', '.join(KINDS)}")
        mail = self.outbox.find(message_id) if isinstance(message_id, str) else None
        if mail is None:
            return error_reply(404, "not_found", "no mail with that message_id in the outbox (see /_local/outbox)")
        if self.put_events is None:
            return error_reply(409, "conflict", "this stack puts no events")
        now = clock.now()
        detail = ses_detail(
            message_id=mail.message_id,
            sender=mail.sender,
            to=mail.to,
            sent_at=mail.sent_at_time,
            tags=mail.tags,
            configuration_set=mail.configuration_set,
            kind=str(kind),
            at=now,
        )
        entry = put_events_entry(detail, now, REGION, ACCOUNT)
        delivered_before = len(self.eventbus.delivered)
        answer = self.put_events([entry])
        event_id = str((answer.get("Entries") or [{}])[0].get("EventId", ""))
        self.settle(queues=False)  # suppressing a contact queues no email
        delivered = [
            function for function, event in self.eventbus.delivered[delivered_before:] if event["id"] == event_id
        ]
        key = contact_key(mail)
        state = self.outbox.contacts([mail]).get(key) if key is not None else None
        return json_reply(
            200,
            {
                "event": event_from_entry(entry, event_id, now, REGION, ACCOUNT),
                "delivered_to": delivered,
                "contact": None if state is None else dataclasses.asdict(state),
            },
        )

    def _domain_verdict(self, request: Request) -> Reply:
        assert self.sending_domains is not None  # routed only when there are
        try:
            body = request.json()
        except ValueError:
            return error_reply(400, "bad_request", "the request body is not valid JSON")
        status, answer = self.sending_domains.verdict(body)
        return json_reply(status, answer)

    def _index(self, _: Request) -> Reply:
        links = [
            ("/_local/outbox.html", "Outbox: every email sent, as the client sees it"),
            ("/_local/outbox", "Outbox as JSON"),
            ("/_local/events.html", "Events: every domain event published on the bus, newest first"),
            ("/_local/events", "Events as JSON"),
            ("/_local/status", "Stack status: clock, functions, queues"),
            ("/_local/clock", 'The stack\'s clock (POST /_local/tick {"in": "3d"} moves it on)'),
            ("/_local/ses-account", "The emulated SES account: send rate, daily quota, paused or not"),
            ("/_local/ses-event", 'POST {"message_id", "type": "bounce"|"complaint"}: SES reports that about a mail'),
            ("/_local/sending-domains.html", "Sending domains: the firms' domains in SES, their DKIM records"),
            ("/_local/sending-domains/verify", 'POST {"domain"}: SES finds its DKIM records (it is verified)'),
            ("/swagger", "Swagger UI of the API"),
        ]
        items = "".join(f'<li><a href="{href}">{href}</a> {html.escape(text)}</li>' for href, text in links)
        return html_reply(200, _small_page("Local stack", f"<h1>Local stack</h1><ul>{items}</ul>"))

    def _clock(self, _: Request) -> Reply:
        return json_reply(200, {"now": f"{clock.now():%Y-%m-%dT%H:%M:%SZ}"})

    def _portal(self, path: str) -> Reply:
        return html_reply(
            200,
            _small_page(
                "Client portal (stand-in)",
                f"<h1>Client portal</h1><p>In production this link opens <code>{html.escape(path)}</code> in the "
                "firm's client portal, which is not part of this service.</p>"
                "<p><a href='/_local/outbox.html'>Back to the outbox</a></p>",
            ),
        )


def _small_page(title: str, body: str) -> str:
    return f"<!DOCTYPE html><html lang='en'><meta charset='utf-8'>{VIEWPORT}<title>{html.escape(title)}</title>{body}"


def _tick_target(request: Request, now: datetime) -> datetime:
    """Where a tick moves the clock: `at`, or `in` after now, or now (an empty body: scan only)."""
    try:
        body = request.json()
    except ValueError as error:
        raise ValueError(TICK_USAGE) from error
    if not isinstance(body, dict) or ("at" in body and "in" in body):
        raise ValueError(TICK_USAGE)
    if "in" in body:
        try:
            return now + parse_duration(str(body["in"]))
        except OverflowError as error:
            raise ValueError(f"'in' is {body['in']!r}: further than the clock can go") from error
    if "at" in body:
        try:
            return datetime.fromisoformat(str(body["at"]))
        except ValueError as error:
            raise ValueError(TICK_USAGE) from error
    return now
