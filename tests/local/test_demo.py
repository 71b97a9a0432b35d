"""make demo against the running local stack: the demo firm's invoice follows its due-date sequence
(a gentle, a firm and a final reminder) and then escalates to the firm, two days a tick (SPEC R19);
reminders of one account due the same day go as one digest, and the paused account gets none
(SPEC R20)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from devtools.local import demo
from tests.local.conftest import LOOPBACK, RunningStack

pytestmark = pytest.mark.allow_hosts(LOOPBACK)

INVOICE = "Invoice 1042: 2026 tax return"
OLIVIA, BEATRIZ, RITA = "olivia.harper@example.com", "beatriz@oliveira.example.com", "rita.costa@example.com"


def what(mail: dict[str, Any]) -> tuple[str, str]:
    """Who got it, and which email it is: the subject's first words, or "digest of N" (and whether
    it lists the invoice)."""
    subject = mail["subject"]
    if " is waiting for you on " in subject or " está aguardando você em " in subject:
        count = subject.rsplit(" em " if " em " in subject else " on ", 1)[1].split()[0]
        label = f"digest of {count}"
        if INVOICE in mail["text"]:
            label += " with the invoice"
        return mail["to"][0], label
    return mail["to"][0], subject.split(":")[0] + (" (invoice)" if INVOICE in subject else "")


def test_the_demo_shows_each_tone_a_digest_the_escalation_and_a_paused_account(
    local_stack: RunningStack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the demo data, seeded as `make demo` does
    client = local_stack.client()
    seen = len(client.expect(200, "GET", "/_local/outbox")["items"])
    demo.seed(client)
    assert "make tick" in capsys.readouterr().out
    seen = len(client.expect(200, "GET", "/_local/outbox")["items"])

    # When the clock moves two days four times, as the demo's hints say
    ticks: list[list[tuple[str, str]]] = []
    mails: list[list[dict[str, Any]]] = []
    for _ in range(4):
        local_stack.tick(timedelta(days=2))
        outbox = client.expect(200, "GET", "/_local/outbox")["items"]
        new = outbox[: len(outbox) - seen]
        ticks.append(sorted(what(mail) for mail in new))
        mails.append(new)
        seen = len(outbox)

    # Then the invoice gets its gentle reminder on its own; two days on each of the first two
    # accounts gets ONE digest of its three reminders, the invoice's second among them; then the
    # invoice's final reminder; then the firm is told it is still unpaid, and the other items'
    # second reminders go as digests. The paused account gets nothing.
    assert ticks == [
        [(OLIVIA, "Reminder (invoice)")],
        [(BEATRIZ, "digest of 3"), (OLIVIA, "digest of 3 with the invoice")],
        [(OLIVIA, "Final reminder (invoice)")],
        [(BEATRIZ, "digest of 3"), (OLIVIA, "digest of 2"), (demo.FIRM["escalation_email"], "Escalation (invoice)")],
    ]
    [olivias_digest] = [mail for mail in mails[1] if mail["to"] == [OLIVIA]]
    assert "Second reminder" in olivias_digest["text"]
    assert RITA not in {to for mails in ticks for to, _ in mails}
