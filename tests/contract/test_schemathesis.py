"""openapi.json, fuzzed (SPEC R18): schemathesis generates requests from the document (schema-
valid and schema-invalid ones: examples, coverage, fuzzing, and stateful sequences along the
document's links) and checks every answer with every check it has (`--checks all`). The app runs
in process: the template's routes and JWT check as the local gateway emulates API Gateway, then
the api handler under moto. Zero 5xx and zero conformance failures. Every refusal that depends on
stored data is a documented 409, which schemathesis accepts for valid data; the deliberate
exceptions are all below (COMPARISONS, DELIBERATE_EXCEPTIONS), each with its reason. The same
run against `make run` is the CLI command in docs/api-clients.md, with tests/contract/hooks.py."""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
import werkzeug
from schemathesis.checks import CheckContext
from schemathesis.config import SchemathesisConfig
from schemathesis.core.transport import Response
from schemathesis.engine import events as engine_events
from schemathesis.engine import from_schema
from schemathesis.generation.case import Case
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.python import wsgi as schemathesis_wsgi
from schemathesis.specs.openapi.checks import positive_data_acceptance

from devtools.local.tokens import DevTokens
from tests.contract import hooks  # noqa: F401 - registers the time-zone format
from tests.support.world import World
from tests.support.wsgi_gateway import WsgiGateway

ISSUER = "https://dev-tokens.local-stack.invalid/"
SEED = 20261127  # the same requests on every run; change it (or drop it) to explore
MAX_EXAMPLES = 10  # per operation and phase: bounded for make test (about 1,700 requests)
MIN_REQUESTS = 1000

# The deliberate exceptions to "valid data is accepted": rules that compare two values of one
# request, which JSON Schema cannot state (each is in its operation's 422 description). A
# schema-valid request refused for them is accepted only with 422 and only when the error names
# that field; every other check runs on every request.
SCHEDULE_FIELDS = r"{prefix}(schedule|steps|max_reminders|steps\[\d+\]\.(days|tone))"
SCHEDULE_RULES = "a due_date schedule has steps in increasing order, final only last, as many as max_reminders"
# (a date against today's, which no schema can state either)
PAUSE_RULE = "a pause ends at most ten years after today"
COMPARISONS: dict[str, list[tuple[int, str, str]]] = {
    "PUT /firm": [
        (422, r"sending_hours\.end", "sending hours end after they start"),
        (422, r"reminders_paused_until", PAUSE_RULE),
    ],
    "PATCH /accounts/{account_id}": [(422, r"reminders_paused_until", PAUSE_RULE)],
    "POST /accounts": [(422, r"email", "two contacts of one new account cannot share an email address")],
    # (not two values of the request: the domain against the stack's own sender, a deployment setting)
    "PUT /firm/sending-domain": [(422, r"domain", "the service's own sender domain, or a subdomain of it")],
    # (two path parameters: no schema relates them; the body's twin, POST /email-previews, states it)
    "PUT /email-templates/{kind}/{stage}/{language}": [
        (422, r"language", "the escalation stage is worded in English only (the firm's own email)")
    ],
    "POST /accounts/{account_id}/action-items": [
        (422, r"due_date", "an invoice's due date is invoice.due_date: given twice, it is the same date"),
        (422, SCHEDULE_FIELDS.format(prefix=r"reminders\."), SCHEDULE_RULES + ", and the item a due date"),
    ],
    "PATCH /action-items/{item_id}/reminders": [
        (422, SCHEDULE_FIELDS.format(prefix=""), SCHEDULE_RULES + ", and the item a due date")
    ],
    "POST /templates": [
        (422, r"due_in_days", "an invoice template's due_in_days is invoice.due_in_days: given twice, the same"),
        (422, SCHEDULE_FIELDS.format(prefix=r"reminders\."), SCHEDULE_RULES),
    ],
    "PATCH /templates/{template_id}": [
        (422, r"due_in_days", "an invoice template's due_in_days is invoice.due_in_days: given twice, the same"),
        (422, SCHEDULE_FIELDS.format(prefix=r"reminders\."), SCHEDULE_RULES),
    ],
    "POST /pipelines": [
        (
            422,
            SCHEDULE_FIELDS.format(prefix=r"stages\[\d+\]\.automations\[\d+\]\.reminders\."),
            SCHEDULE_RULES,
        ),
    ],
}
DELIBERATE_EXCEPTIONS = {
    "positive_data_acceptance": (
        "replaced by positive_data_acceptance_but_comparisons: the same check, except COMPARISONS"
    ),
    "unsupported_method": (
        'API Gateway HTTP APIs answer a method no route declares with 404 {"message": "Not Found"} (the '
        "function never sees it), where this check wants 405"
    ),
}


def _named_fields(response: Response) -> list[str]:
    try:
        details = json.loads(response.content or b"{}")["error"]["details"]
        return [str(detail.get("field")) for detail in details]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


@schemathesis.check
def positive_data_acceptance_but_comparisons(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        rules = COMPARISONS.get(case.operation.label, [])
        fields = _named_fields(response)
        for status, pattern, _ in rules:
            if response.status_code == status and fields and all(re.fullmatch(pattern, f) for f in fields):
                return None
        raise


class _InProcessClient(werkzeug.Client):
    """schemathesis 4.32.5's stateful phase hands socket options (max_redirects, verify, ...) to
    the in-process WSGI client, which has no sockets: they are dropped here."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        for socket_option in ("max_redirects", "verify", "cert", "proxies", "timeout"):
            kwargs.pop(socket_option, None)
        return super().open(*args, **kwargs)


def settings(token: str) -> SchemathesisConfig:
    config = SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES},
            "checks": {"enabled": True, **{name: {"enabled": False} for name in DELIBERATE_EXCEPTIONS}},
        }
    )
    return config


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)


def _describe(recorder: Any, case_id: str, check: Any) -> str:
    failure = check.failure_info.failure
    interaction = recorder.interactions.get(case_id)
    sent = answered = ""
    if interaction is not None:
        request = interaction.request
        sent = f"{request.method} {request.uri} {(request.body or b'')[:200]!r}"
        if interaction.response is not None:
            answered = f"{interaction.response.status_code} {(interaction.response.content or b'')[:300]!r}"
    return f"{recorder.label}: {check.name}: {failure.title}\n  {sent}\n  -> {answered}\n  {failure.message[:400]}"


def _events(app: WsgiGateway, config: SchemathesisConfig) -> Iterator[Any]:
    schema = schemathesis.openapi.from_dict(app.document, config=config)
    schema.app = app
    yield from from_schema(schema).execute()


def test_the_api_answers_as_its_openapi_document_says(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the app in process and a firm user's token
    monkeypatch.setattr(schemathesis_wsgi, "get_client", _InProcessClient)
    tokens = DevTokens(ISSUER, ["local-dev"])
    app = WsgiGateway(tokens)

    # When schemathesis runs every phase with every check
    run, started = Run(), time.monotonic()
    for event in _events(app, settings(tokens.issue("fuzz-firm", "fuzzer"))):
        if isinstance(event, engine_events.ScenarioFinished):
            for case_id, checks in event.recorder.checks.items():
                run.failures += [_describe(event.recorder, case_id, c) for c in checks if c.failure_info is not None]
        elif isinstance(event, engine_events.NonFatalError):
            run.failures.append(f"error: {event.info}")
        elif isinstance(event, engine_events.FatalError):
            raise event.exception
    run.requests, run.seconds = app.requests, time.monotonic() - started
    with capsys.disabled():  # the figures of the run, on the console of every make test
        sys.stderr.write(
            f" [schemathesis: {run.requests} requests in {run.seconds:.1f} s, {len(run.failures)} failures] "
        )

    # Then nothing failed, and it was a real run
    assert not run.failures, "\n".join(sorted(set(run.failures)))
    assert run.requests >= MIN_REQUESTS
