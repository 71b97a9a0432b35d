"""The whole local stack, started in order and stopped in reverse: gateway port, moto server,
template.yaml deployed into it, the functions' runtime, the AWS calls it observes (SES for the
outbox, EventBridge for delivery and the events page), the SQS pollers, the table's stream into
the publisher, the schedule, and the gateway."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from devtools.deploy import DeployedStack, deploy
from devtools.local import endpoint
from devtools.local.cfn import Resolver, parameter_values
from devtools.local.console import say
from devtools.local.control import Control
from devtools.local.eventbus import EventBus, rules_from_stack
from devtools.local.events import PublishedEvents
from devtools.local.gateway import ApiProxy, Gateway
from devtools.local.observe import CallObserver
from devtools.local.outbox import ContactKey, ContactState, Outbox
from devtools.local.poller import SqsPoller, queue_mappings
from devtools.local.routes import RouteTable, jwt_authorizer, routes_from_template
from devtools.local.rules import FunctionTarget, function_targets, take_over_targets
from devtools.local.runtime import FunctionSpec, LocalRuntime, add_layers_to_path, function_specs
from devtools.local.schedule import Schedule, scheduled_functions
from devtools.local.sesaccount import LocalSesAccount
from devtools.local.sesidentities import LocalSendingDomains
from devtools.local.streams import StreamPoller, stream_mappings
from devtools.local.tokens import DevTokens
from devtools.sam_template import load_template, translate
from portal_reminders import clock

STACK_NAME = "client-reminders"
# What stands in locally for the resources moto's CloudFormation does not make.
LOCALLY = {
    "AWS::Serverless::HttpApi": ": the local gateway serves it",
    "AWS::SES::ConfigurationSetEventDestination": ": POST /_local/ses-event plays it",
}
DEMO_FIRM = "demo-firm"
DEMO_USER = "demo-user"


@dataclass(frozen=True)
class StackOptions:
    host: str = "127.0.0.1"
    port: int = 3000
    moto_port: int = 0  # 0: any free port
    schedule_seconds: float = 10.0  # 0: no periodic scan (ticks only)
    log_level: str = "INFO"  # the template's LogLevel parameter
    sender: str = "reminders@example.com"
    issuer: str = "https://dev-tokens.local-stack.invalid/"  # a dummy: the gateway checks local tokens
    audience: str = "local-dev"
    quiet: bool = False  # no line per request


@dataclass
class LocalStack:
    options: StackOptions = field(default_factory=StackOptions)
    started_seconds: float = 0.0

    def __post_init__(self) -> None:
        self._stoppers: list[tuple[str, Callable[[], None]]] = []

    # lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        started = time.monotonic()
        sam_template = load_template()
        add_layers_to_path(sam_template)
        self.tokens = DevTokens(self.options.issuer, [self.options.audience])
        self.outbox = Outbox()
        self.published = PublishedEvents()
        # the gateway binds first: a taken port fails before anything else starts
        self.api = ApiProxy(RouteTable([]), self.tokens, self._invoke, self._run_as)
        self.gateway = Gateway(self.options.host, self.options.port, self.api, quiet=self.options.quiet)
        self._on_stop("gateway", self.gateway.stop)

        self._start_aws(sam_template)
        specs = self._start_functions(sam_template)
        self._route_api()
        targets = function_targets(
            endpoint.client("events"), {spec.name: logical_id for logical_id, spec in specs.items()}
        )
        take_over_targets(endpoint.client("events"), targets)
        self._start_event_bus(targets)
        self._start_pollers(specs)
        self._start_streams(specs)
        self._start_schedule(targets)

        self.gateway.control = Control(
            self.tokens,
            self.schedule,
            self.pollers,
            self.eventbus,
            self.outbox,
            self.status,
            streams=self.streams,
            published=self.published,
            ses_account=self.ses_account,
            put_events=lambda entries: endpoint.client("events").put_events(Entries=entries),
            sending_domains=LocalSendingDomains(self._forget_domain_check),
        )
        self.outbox.contact_states = self._contact_states
        self.gateway.start()
        self.started_seconds = time.monotonic() - started
        say(f"gateway on {self.gateway.url}; ready in {self.started_seconds:.1f} s")

    def stop(self) -> None:
        while self._stoppers:
            name, stop = self._stoppers.pop()
            try:
                stop()
            except Exception as error:  # keep stopping the rest
                say(f"stopping {name} failed: {error}")

    def _on_stop(self, name: str, stop: Callable[[], None]) -> None:
        self._stoppers.append((name, stop))

    # steps ------------------------------------------------------------------------------------

    def _start_aws(self, sam_template: dict[str, Any]) -> None:
        self.moto = endpoint.MotoEndpoint(self.options.host, self.options.moto_port)
        moto_url = self.moto.start()
        self._on_stop("moto server", self.moto.stop)
        self.base_environment = endpoint.point_process_at(moto_url)
        say(f"moto server (AWS endpoint) on {moto_url}")
        self.parameters = {
            "SenderAddress": self.options.sender,
            "PortalBaseUrl": f"{self.gateway.url}/_local/portal",
            "JwtIssuer": self.options.issuer,
            "JwtAudience": self.options.audience,
            "LogLevel": self.options.log_level,
        }
        self.deployed = self._deploy(sam_template)
        self.translated = translate(sam_template)

    def _start_functions(self, sam_template: dict[str, Any]) -> dict[str, FunctionSpec]:
        awslambda = endpoint.client("lambda")
        configurations = {
            logical_id: awslambda.get_function_configuration(FunctionName=self.deployed.resources[logical_id])
            for logical_id in self.deployed.environments
        }
        specs = function_specs(sam_template, configurations, self.deployed.environments)
        # dev tokens name the firm in the claim the api function reads (the FirmClaim parameter)
        api_claims = {env.get("FIRM_CLAIM") for env in self.deployed.environments.values()} - {None}
        if len(api_claims) == 1:
            self.tokens.firm_claim = str(api_claims.pop())
        self.runtime = LocalRuntime(specs, self.base_environment, say, debug_logs=self.options.log_level == "DEBUG")
        self._on_stop("functions", self.runtime.close)
        return specs

    def _route_api(self) -> None:
        routes = routes_from_template(self.translated)
        self.api.routes = RouteTable(routes)
        resolver = self._resolver()
        self._check_authorizer(resolver, routes[0].api if routes else "")
        functions = sorted({r.function for r in routes})
        say(f"gateway: {len(routes)} HttpApi routes from template.yaml -> {', '.join(functions)}")

    def _start_event_bus(self, targets: list[FunctionTarget]) -> None:
        rules = rules_from_stack(targets)
        self.eventbus = EventBus(rules, self._invoke, clock.now, dead_letters=endpoint.client("sqs"))
        self.eventbus.start()
        self._on_stop("event bus", self.eventbus.stop)
        self.ses_account = LocalSesAccount(self._mail_times, clock.now)
        self.ses_account.install()
        self._on_stop("ses account", self.ses_account.uninstall)
        self.observer = CallObserver()
        self.observer.subscribe("sesv2", "SendEmail", self.outbox.record_send_email)
        self.observer.subscribe("eventbridge", "PutEvents", self.eventbus.on_put_events)
        self.observer.subscribe("eventbridge", "PutEvents", self.published.record_put_events)
        self.observer.install()
        self._on_stop("observers", self.observer.uninstall)
        delivered = ", ".join(f"{r.bus}/{r.name} -> {r.function}" for r in rules) or "no rule targets a function"
        say(f"eventbridge: delivered in process: {delivered}")

    def _start_pollers(self, specs: dict[str, FunctionSpec]) -> None:
        functions = {logical_id: spec.name for logical_id, spec in specs.items()}
        mappings = queue_mappings(endpoint.client("lambda"), endpoint.client("sqs"), functions)
        self.pollers = [SqsPoller(m, self._invoke, endpoint.client("sqs")) for m in mappings]
        for poller in self.pollers:
            poller.start()
            self._on_stop(f"poller {poller.mapping.function}", poller.stop)
            mapping = poller.mapping
            failures = "on" if mapping.report_failures else "off"
            say(
                f"sqs: {mapping.queue_arn.rsplit(':', 1)[-1]} -> {mapping.function} (batch {mapping.batch_size}, "
                f"window {mapping.batching_window_seconds} s, partial batch failures {failures})"
            )

    def _start_streams(self, specs: dict[str, FunctionSpec]) -> None:
        """The table's stream into the publisher, like its DynamoDB event source mapping."""
        functions = {logical_id: spec.name for logical_id, spec in specs.items()}
        mappings = stream_mappings(endpoint.client("lambda"), functions)
        streams, sqs = endpoint.client("dynamodbstreams"), endpoint.client("sqs")
        self.streams = [
            StreamPoller(m, self._invoke, streams, sqs, function_arn=specs[m.function].arn) for m in mappings
        ]
        for poller in self.streams:
            poller.start()
            self._on_stop(f"stream {poller.mapping.function}", poller.stop)
            m = poller.mapping
            failures = "on" if m.report_failures else "off"
            dead_letters = m.on_failure_arn.rsplit(":", 1)[-1] if m.on_failure_arn else "none"
            say(
                f"dynamodb stream: {m.table} -> {m.function} (from {m.starting_position}, batch {m.batch_size}, "
                f"{len(m.filters)} filters, partial batch failures {failures}, {m.maximum_retry_attempts} retries, "
                f"then {dead_letters})"
            )

    def _start_schedule(self, targets: list[FunctionTarget]) -> None:
        seconds = self.options.schedule_seconds
        self.schedule = Schedule(scheduled_functions(targets), self._invoke, seconds)
        self.schedule.start()
        self._on_stop("schedule", self.schedule.stop)
        for target in self.schedule.targets:
            every = f"every {seconds:g} s" if seconds > 0 else "on tick only"
            say(f"schedule: {target.function} {every} (deployed as {target.expression})")

    def _deploy(self, sam_template: dict[str, Any]) -> DeployedStack:
        started = time.monotonic()
        deployed = deploy(
            endpoint.client("cloudformation"),
            endpoint.client("s3"),
            endpoint.client("lambda"),
            self.parameters,
            STACK_NAME,
            sesv2=endpoint.client("sesv2"),
        )
        endpoint.client("sesv2").create_email_identity(EmailIdentity=self.options.sender)
        # resources whose condition is false under the parameters are not in the stack at all
        resolver = Resolver(parameter_values(sam_template, self.parameters), {}, sam_template.get("Conditions", {}))
        types = {
            logical_id: r["Type"]
            for logical_id, r in sam_template["Resources"].items()
            if "Condition" not in r or resolver.condition(r["Condition"])
        }
        unlisted = {
            logical_id: kind
            for logical_id, kind in types.items()
            if logical_id not in deployed.resources and kind != "AWS::Serverless::LayerVersion"  # on sys.path
        }
        alarms = sorted(logical_id for logical_id, kind in unlisted.items() if kind == "AWS::CloudWatch::Alarm")
        missing = sorted(
            f"{logical_id} ({kind}{LOCALLY.get(kind, '')})"
            for logical_id, kind in unlisted.items()
            if kind != "AWS::CloudWatch::Alarm"
        )
        if alarms:
            missing.insert(0, f"{len(alarms)} alarms (AWS::CloudWatch::Alarm: not evaluated locally)")
        configuration_sets = [
            deployed.resources[logical_id]
            for logical_id, kind in types.items()
            if kind == "AWS::SES::ConfigurationSet" and logical_id in deployed.resources
        ]
        say(
            f"deployed template.yaml as stack {STACK_NAME} in {time.monotonic() - started:.1f} s: "
            f"{len(deployed.resources)} resources; sender {self.options.sender} verified in SES; "
            f"configuration set {', '.join(configuration_sets) or 'none'} made with SES v2"
        )
        if missing:
            say(f"  moto's stack lists no id for {', '.join(missing)}")
        return deployed

    def _resolver(self) -> Resolver:
        parameters = parameter_values(self.translated, {**self.parameters, "AWS::StackName": STACK_NAME})
        return Resolver(parameters, self.deployed.resources, self.translated.get("Conditions", {}))

    def _check_authorizer(self, resolver: Resolver, api_id: str) -> None:
        """The dev tokens carry the issuer and audience the template's authorizer is deployed with."""
        config = resolver.value(jwt_authorizer(self.translated, api_id)) if api_id else {}
        if config:
            self.tokens.issuer = str(config.get("issuer", self.tokens.issuer))
            audience = config.get("audience", self.tokens.audiences)
            audiences = audience if isinstance(audience, list) else str(audience).split(",")
            self.tokens.audiences = [str(a).strip() for a in audiences]

    def _mail_times(self) -> list[datetime]:
        return [datetime.strptime(m.sent_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC) for m in self.outbox.mails()]

    def _contact_states(self, keys: list[ContactKey]) -> dict[ContactKey, ContactState]:
        """The contacts the outbox's mails went to, as their accounts hold them now (read in the
        api function's environment, through the product's repository)."""

        def read() -> dict[ContactKey, ContactState]:
            from portal_reminders.api.present import contact_out  # noqa: PLC0415 - the function's code
            from portal_reminders.wiring import get_services  # noqa: PLC0415

            repository = get_services().repository
            states: dict[ContactKey, ContactState] = {}
            for firm_id, account_id in dict.fromkeys((firm, account) for firm, account, _ in keys):
                account = repository.get_account(firm_id, account_id)
                contacts = {c.id: contact_out(c) for c in account.contacts} if account else {}
                for key in (k for k in keys if k[:2] == (firm_id, account_id)):
                    found = contacts.get(key[2])
                    suppressed = found.suppressed.model_dump(mode="json") if found and found.suppressed else None
                    states[key] = ContactState(email=found.email if found else None, suppressed=suppressed)
            return states

        states: dict[ContactKey, ContactState] = self.api.run_as_function(read)
        return states

    def _forget_domain_check(self, domain: str) -> None:
        """The firm holding the domain asks SES about it on its next GET /firm/sending-domain (SES's
        verdict was just played: a developer should not wait out the minute the status is kept)."""

        def forget() -> None:
            from portal_reminders.wiring import get_services  # noqa: PLC0415 - the function's code

            repository = get_services().repository
            claim = repository.get_domain_claim(domain)
            firm = repository.get_firm(claim.firm_id) if claim and claim.firm_id else None
            if firm is not None and firm.sending_domain is not None and firm.sending_domain.domain == domain:
                repository.save_firm(replace(firm, sending_domain=replace(firm.sending_domain, checked_at=None)))

        self.api.run_as_function(forget)

    def _invoke(self, function: str, event: dict[str, Any]) -> Any:
        return self.runtime.invoke(function, event)

    def _run_as(self, function: str, work: Callable[[], Any]) -> Any:
        return self.runtime.run_as(function, work)

    # what the banner and /_local/status show --------------------------------------------------

    @property
    def url(self) -> str:
        return self.gateway.url

    @property
    def moto_url(self) -> str:
        return self.moto.url

    def demo_token(self) -> str:
        return self.tokens.issue(DEMO_FIRM, DEMO_USER)

    def outputs(self) -> dict[str, str]:
        """The stack's outputs, with what moto cannot resolve (it does not model the HTTP API:
        `https://${HttpApi}.execute-api...`) pointed at the local gateway that serves it."""
        return {
            name: self.url if "${HttpApi}" in value or name == "ApiUrl" else value
            for name, value in self.deployed.outputs.items()
        }

    def status(self) -> dict[str, Any]:
        return {
            "clock": f"{clock.now():%Y-%m-%dT%H:%M:%SZ}",
            "api_url": self.url,
            "aws_endpoint": self.moto_url,
            "stack": {"name": self.deployed.name, "outputs": self.outputs()},
            "invocations": dict(self.runtime.invocations),
            "schedule": {"interval_seconds": self.options.schedule_seconds, "runs": self.schedule.runs},
            "queues": [
                {
                    "function": p.mapping.function,
                    "queue": p.mapping.queue_url,
                    "succeeded": p.succeeded,
                    "failed": p.failed,
                }
                for p in self.pollers
            ],
            "streams": [
                {
                    "function": s.mapping.function,
                    "stream": s.mapping.stream_arn,
                    "invocations": s.invocations,
                    "records_done": s.succeeded,
                    "records_retried": s.retried,
                    "batches_dead_lettered": len(s.dead_lettered),
                }
                for s in self.streams
            ],
            "events_published": len(self.published.events()),
            "events_delivered": len(self.eventbus.delivered),
            "emails_sent": len(self.outbox.mails()),
            "ses_account": self.ses_account.describe(),
            "pages": {
                "outbox": f"{self.url}/_local/outbox.html",
                "events": f"{self.url}/_local/events.html",
            },
        }
