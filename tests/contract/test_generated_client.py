"""A newcomer's client: openapi-python-client (pinned in pyproject.toml, default configuration)
generates a Python client from the committed openapi.json, without a warning, and the README's
story runs through it (create an account, send an invoice on a due-date sequence, resend it, find
it on the firm's worklist, pay it, read the audit),
with typed bodies and details all the way. The client speaks HTTP to the local gateway's route
table, JWT check and api handler under moto (tests/support/wsgi_gateway.py), through httpx's
WSGI transport: in process, with sockets still disabled."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.local.openapi import COMMITTED
from devtools.local.tokens import DevTokens
from tests.support.world import World
from tests.support.wsgi_gateway import WsgiGateway

ISSUER = "https://dev-tokens.local-stack.invalid/"
PACKAGE = "client_reminders_api_client"  # from the document's title, "Client reminders API"
GENERATION_SECONDS = 60


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The client package's folder, and what the generator printed."""
    out = tmp_path_factory.mktemp("client") / "client"
    # The generator formats its output with ruff (its default post-hooks): found next to this Python
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    started = time.monotonic()
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(COMMITTED),
            "--output-path",
            str(out),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
        timeout=GENERATION_SECONDS,
        check=False,
    )
    printed = run.stdout + run.stderr
    assert run.returncode == 0, printed
    sys.stderr.write(f" [client generated in {time.monotonic() - started:.1f} s] ")
    return out, printed


@pytest.fixture
def client_package(generated: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.syspath_prepend(str(generated[0]))
    return importlib.import_module(PACKAGE)


def test_the_generator_says_nothing_but_what_it_generated(generated: tuple[Path, str]) -> None:
    out, printed = generated
    assert "warning" not in printed.lower(), printed
    assert "error" not in printed.lower(), printed
    # one module per tag, named after the operation ids
    modules = {path.relative_to(out / PACKAGE / "api").as_posix() for path in (out / PACKAGE / "api").rglob("*.py")}
    assert {"action_items/send_item.py", "action_items/resend_item.py", "action_items/list_account_items.py"} <= modules


def test_the_readme_story_runs_through_the_generated_client(world: World, client_package: Any) -> None:
    # Given a firm user's client of the API, as generated
    api = importlib.import_module(f"{PACKAGE}.api.accounts.create_account")
    send_item = importlib.import_module(f"{PACKAGE}.api.action_items.send_item")
    resend_item = importlib.import_module(f"{PACKAGE}.api.action_items.resend_item")
    record_payment = importlib.import_module(f"{PACKAGE}.api.action_items.record_payment")
    list_firm_items = importlib.import_module(f"{PACKAGE}.api.action_items.list_firm_items")
    list_item_audit = importlib.import_module(f"{PACKAGE}.api.audit.list_item_audit")
    models = importlib.import_module(f"{PACKAGE}.models")
    tokens = DevTokens(ISSUER, ["local-dev"])
    client = client_package.AuthenticatedClient(
        base_url="http://localhost",
        token=tokens.issue("story-firm", "ana"),
        httpx_args={"transport": httpx.WSGITransport(app=WsgiGateway(tokens))},
        raise_on_unexpected_status=True,
    )

    # When the firm creates an account with a contact to notify
    account = api.sync(
        client=client,
        body=models.AccountIn(
            name="Harper Family",
            language=models.Language.EN,
            contacts=[models.ContactIn(name="Olivia Harper", email="olivia@example.com", notify=True)],
        ),
    )
    # and sends it an invoice with reminders around its due date, escalating to the firm after a week
    steps = [models.StepIn(days=-3), models.StepIn(days=0), models.StepIn(days=7, tone=models.Tone.FINAL)]
    item = send_item.sync(
        account.id,
        client=client,
        body=models.ActionItemIn(
            kind=models.Kind.INVOICE,
            title="2026 tax preparation",
            invoice=models.InvoiceIn(amount="1250.00", currency="USD", due_date=date(2026, 12, 31)),
            reminders=models.RemindersIn(
                enabled=True, schedule=models.Schedule.DUE_DATE, steps=steps, escalate_after_days=7
            ),
        ),
    )
    # resends it by hand, finds it on the firm's worklist of pending items, and records its payment in full
    resent = resend_item.sync(item.id, client=client, body=models.ResendIn(message="A friendly nudge"))
    worklist = list_firm_items.sync(client=client, status=models.Status.PENDING, overdue=False)
    paid = record_payment.sync(item.id, client=client, body=models.PaymentIn(amount="1250.00"))
    audit = list_item_audit.sync(item.id, client=client)

    # Then every answer came back as the typed model the document names
    assert isinstance(account, models.AccountOut)
    assert account.contacts[0].email == "olivia@example.com"
    assert isinstance(item, models.ActionItemOut)
    assert (item.status, item.reminders.enabled, item.invoice.balance_due) == (models.Status.PENDING, True, "1250.00")
    assert item.reminders.schedule == models.Schedule.DUE_DATE
    assert [(step.days, step.tone, step.status) for step in item.reminders.steps] == [
        (-3, models.Tone.GENTLE, models.StepStatus.SCHEDULED),
        (0, models.Tone.GENTLE, models.StepStatus.SCHEDULED),
        (7, models.Tone.FINAL, models.StepStatus.SCHEDULED),
    ]
    assert (item.reminders.max_reminders, item.reminders.escalate_after_days, item.escalated_at) == (3, 7, None)
    assert isinstance(resent, models.ResendAccepted)
    assert resent.recipients == 1
    assert isinstance(worklist, models.WorkPage)
    assert [(entry.id, entry.due_date, entry.overdue) for entry in worklist.items] == [
        (item.id, date(2026, 12, 31), False)
    ]
    assert worklist.next_token is None
    assert isinstance(paid, models.ActionItemOut)
    assert (paid.status, paid.invoice.paid) == (models.Status.COMPLETED, True)
    # and the audit trail reads as typed events with typed details
    assert isinstance(audit, models.AuditPage)
    types = [event.type_ for event in audit.items]  # `type` is a builtin: the generator says type_
    assert types == [
        models.AuditType.ITEM_SENT,
        models.AuditType.REMINDER_SENT,
        models.AuditType.PAYMENT_RECORDED,
        models.AuditType.COMPLETED,
    ]
    sent, reminder, payment, completed = (event.details for event in audit.items)
    assert isinstance(sent, models.AuditDetails)
    assert list(sent.message_ids.additional_properties) == ["olivia@example.com"]
    assert (reminder.mode, reminder.number, reminder.message) == (models.AuditDetailsMode.MANUAL, 1, "A friendly nudge")
    assert (payment.amount, payment.balance_due) == ("1250.00", "0.00")
    assert completed.via == "payment"
    assert [event.recipients for event in audit.items[:2]] == [["olivia@example.com"]] * 2


def test_a_template_is_one_typed_body_whatever_its_kind(world: World, client_package: Any) -> None:
    # Given the generated client
    create_template = importlib.import_module(f"{PACKAGE}.api.templates.create_template")
    get_item = importlib.import_module(f"{PACKAGE}.api.action_items.get_item")
    models = importlib.import_module(f"{PACKAGE}.models")
    tokens = DevTokens(ISSUER, ["local-dev"])
    client = client_package.AuthenticatedClient(
        base_url="http://localhost",
        token=tokens.issue("template-firm", "ana"),
        httpx_args={"transport": httpx.WSGITransport(app=WsgiGateway(tokens))},
    )
    reminders = models.RemindersIn(enabled=True, days_between=5, max_reminders=3)

    # When an invoice template and a proposal template are created, each with all its content
    invoice = create_template.sync(
        client=client,
        body=models.InvoiceTemplateIn(
            kind="invoice",
            name="Annual fee",
            title="Annual accounting fee",
            body="Thank you for another year.",
            invoice=models.InvoiceTermsIn(amount="900.00", currency="EUR", due_in_days=30),
            reminders=reminders,
        ),
    )
    proposal = create_template.sync(
        client=client,
        body=models.OtherTemplateIn(
            kind=models.OtherTemplateInKind.PROPOSAL,
            name="Engagement letter",
            title="Your 2027 engagement letter",
            body="Please sign.",
            reminders=reminders,
        ),
    )
    # and an item that does not exist is asked for
    missing = get_item.sync_detailed("itm_00000000000000000000000000000000", client=client)

    # Then both kept their name, title, body and reminders, and the invoice its terms
    for template in (invoice, proposal):
        assert isinstance(template, models.TemplateOut)
        assert (template.reminders.enabled, template.reminders.days_between) == (True, 5)
    assert (invoice.name, invoice.title, invoice.invoice.due_in_days) == ("Annual fee", "Annual accounting fee", 30)
    assert (proposal.name, proposal.body, proposal.invoice) == ("Engagement letter", "Please sign.", None)
    # and the error is the one Error schema, typed
    assert missing.status_code == 404
    assert isinstance(missing.parsed, models.Error)
    assert missing.parsed.error.code == models.ErrorBodyCode.NOT_FOUND
