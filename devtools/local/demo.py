"""make demo: seed a running local stack with a demo firm, two accounts (en, pt-BR) whose contacts
have notify on and off, and one action item of each kind with reminders on, three per account: the
invoice on a due-date sequence (a gentle, a firm and a final reminder) that escalates to the firm's
escalation_email a day after the last (SPEC R19), the others every three days, so that reminders
of one account due the same day go as one digest (SPEC R20); and a third account whose reminders
are paused. Then print what to look at next. Everything goes through the HTTP API, as a firm user
would do it.

    python -m devtools.local.demo [--url http://127.0.0.1:3000]
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any

from devtools.local.client import DEFAULT_URL, StackClient, StackUnreachable
from devtools.local.console import make_hint

DEMO_FIRM = "demo-firm"
DEMO_USER = "demo-user"
REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 2}

FIRM = {
    "name": "Silva & Harper Accounting",
    "reply_to": "office@example.com",
    "escalation_email": "partners@example.com",
}
# The invoice is due in 2 days, with steps the day before, the day after and 3 days after, and the
# firm is told a day after the last. `make tick IN=2d` four times shows a gentle reminder (the first
# step, on the due day), a firm one (overdue), the final one and the escalation: a tick that finds
# several steps past sends only the latest (no bursts), so the ticks go two days at a time.
DUE_IN_DAYS = 2
SEQUENCE = {
    "enabled": True,
    "schedule": "due_date",
    "steps": [{"days": -1}, {"days": 1}, {"days": 3}],
    "escalate_after_days": 1,
}
ACCOUNTS: list[dict[str, Any]] = [
    {
        "name": "Harper Family",
        "language": "en",
        "contacts": [
            {"name": "Olivia Harper", "email": "olivia.harper@example.com", "notify": True},
            {"name": "Noah Harper", "email": "noah.harper@example.com", "notify": False},
        ],
    },
    {
        "name": "Oliveira Comércio Ltda.",
        "language": "pt-BR",
        "contacts": [
            {"name": "Beatriz Oliveira", "email": "beatriz@oliveira.example.com", "notify": True},
            {"name": "Carlos Oliveira", "email": "carlos@oliveira.example.com", "notify": False},
        ],
    },
    {
        "name": "Costa Family",
        "language": "en",
        "contacts": [{"name": "Rita Costa", "email": "rita.costa@example.com", "notify": True}],
    },
]
# The Costa family's reminders are paused for this many days (SPEC R20): longer than the demo's ticks.
PAUSED_DAYS = 10


def items(today: datetime) -> list[tuple[int, dict[str, Any]]]:
    """(account index, item) pairs: one item of each kind, three per account, and the paused account's organizer."""
    due = (today + timedelta(days=DUE_IN_DAYS)).date().isoformat()
    return [
        (0, {"kind": "organizer", "title": "2026 Tax Organizer", "message": "Please fill in your 2026 organizer."}),
        (0, {"kind": "proposal", "title": "2027 Engagement Letter"}),
        (
            0,
            {
                "kind": "invoice",
                "title": "Invoice 1042: 2026 tax return",
                "invoice": {"amount": "1250.00", "currency": "USD", "due_date": due},
                "reminders": SEQUENCE,
            },
        ),
        (
            1,
            {
                "kind": "chat",
                "title": "Dúvida sobre as notas fiscais de outubro",
                "message": "Pode nos enviar as notas?",
            },
        ),
        (1, {"kind": "signature", "title": "Procuração eletrônica para a Receita Federal"}),
        (1, {"kind": "approval", "title": "Balanço patrimonial 2026"}),
        (2, {"kind": "organizer", "title": "2026 Tax Organizer"}),
    ]


def seed(client: StackClient) -> None:
    status = client.expect(200, "GET", "/_local/status")
    now = datetime.fromisoformat(status["clock"])
    emails_before = len(client.expect(200, "GET", "/_local/outbox")["items"])
    token = client.login(DEMO_FIRM, DEMO_USER)
    client.expect(200, "PUT", "/firm", FIRM)
    print(f"firm {DEMO_FIRM}: {FIRM['name']}")
    accounts = [client.expect(201, "POST", "/accounts", account) for account in ACCOUNTS]
    for account in accounts:
        notify = ", ".join(f"{c['email']} (notify {'on' if c['notify'] else 'off'})" for c in account["contacts"])
        print(f"account {account['id']}  {account['name']} [{account['language']}]: {notify}")
    paused = accounts[2]
    paused_until = (now + timedelta(days=PAUSED_DAYS)).date().isoformat()
    client.expect(200, "PATCH", f"/accounts/{paused['id']}", {"reminders_paused_until": paused_until})
    print(f"  reminders of {paused['name']} paused until {paused_until}")
    for index, item in items(now):
        account = accounts[index]
        created = client.expect(
            201, "POST", f"/accounts/{account['id']}/action-items", {"reminders": REMINDERS, **item}
        )
        print(
            f"  {created['kind']:<9} {created['id']}  {created['title']}  "
            f"(next reminder {created['reminders']['next_at']})"
        )
    emails = len(client.expect(200, "GET", "/_local/outbox")["items"]) - emails_before
    url = client.url
    print(
        f"""
{emails} emails sent (one per item to each contact with notify on). Next:

  Outbox (what the clients got)   {url}/_local/outbox.html
  Two days later, the reminders go out:
    {make_hint("tick", url, "IN=2d")}
    curl -s -X POST {url}/_local/tick -H 'content-type: application/json' -d '{{"in": "2d"}}'
  then reload the outbox: the invoice got its first, gentle reminder.
  Tick IN=2d again: each of the first two accounts gets ONE "Reminder: ..." email listing its three
  items (a digest), the invoice's firm reminder among them. Two more ticks: the invoice's final
  reminder, then {FIRM["escalation_email"]} is told it is still unpaid. {paused["name"]} gets none:
  its reminders are paused until {paused_until}.
  The firm's overdue items, earliest first:  GET {url}/action-items?status=pending&overdue=true
  Swagger UI                      {url}/swagger   (Authorize with the token below)
  The API as the demo firm user:
    export TOKEN={token}
    curl -s -H "Authorization: Bearer $TOKEN" {url}/accounts/{accounts[0]["id"]}/action-items
"""
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    try:
        seed(StackClient(args.url))
    except (StackUnreachable, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
