"""make demo against the running local stack: the demo firm's invoice follows its due-date sequence
(a gentle, a firm and a final reminder) and then escalates to the firm, two days a tick (SPEC R19)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from devtools.local import demo
from tests.local.conftest import LOOPBACK, RunningStack

pytestmark = pytest.mark.allow_hosts(LOOPBACK)

INVOICE = "Invoice 1042: 2026 tax return"


def test_the_demo_invoice_shows_each_tone_and_then_the_escalation(
    local_stack: RunningStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the demo data, seeded as `make demo` does
    client = local_stack.client()
    before = len(client.expect(200, "GET", "/_local/outbox")["items"])
    demo.seed(client)
    assert "make tick" in capsys.readouterr().out

    # When the clock moves two days four times, as the demo's hints say
    for _ in range(4):
        local_stack.tick(timedelta(days=2))

    # Then the invoice got a gentle, a firm and a final reminder, one a tick, and the firm's
    # escalation address was told it is still unpaid
    mails = list(reversed(client.expect(200, "GET", "/_local/outbox")["items"][: -before or None]))
    about_invoice = [(m["to"], m["subject"].split(":")[0]) for m in mails if INVOICE in m["subject"]]
    assert about_invoice == [
        (["olivia.harper@example.com"], "Silva & Harper Accounting"),
        (["olivia.harper@example.com"], "Reminder"),
        (["olivia.harper@example.com"], "Second reminder"),
        (["olivia.harper@example.com"], "Final reminder"),
        ([demo.FIRM["escalation_email"]], "Escalation"),
    ]
