"""An account's language (SPEC R21): en, pt-PT, pt-BR or es, each with its own wording, through the
api, the scheduled scan and the send queue, read back from SES; "pt", the one Portuguese there
was before, is accepted and read as pt-PT, in requests and in records written then."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from portal_reminders.repository import keys
from tests.conftest import START
from tests.integration.test_reminder_flow import DAY
from tests.support.aws import REGION, TABLE_NAME, table_snapshot
from tests.support.world import World

ANA, LUCIA = "ana.souza@cliente.example.com.br", "lucia.fernandez@cliente.example.es"


def _account(world: World, language: str, name: str, address: str) -> Any:
    return world.create_account(language=language, contacts=[{"name": name, "email": address, "notify": True}])


def _firm_of(account: dict[str, Any]) -> str:
    """The firm id the account's record is kept under."""
    record = next(r for r in table_snapshot() if r.get("account_id", {}).get("S") == account["id"])
    return str(record["firm_id"]["S"])


def _invoice(world: World, account: dict[str, Any], title: str, currency: str) -> Any:
    invoice = {"amount": "1250.00", "currency": currency, "due_date": "2026-12-01"}
    return world.send_item(
        account["id"], kind="invoice", title=title, invoice=invoice, reminders={"enabled": True, "days_between": 3}
    )


def test_brazilian_and_spanish_clients_get_their_notification_and_reminder_in_their_language(world: World) -> None:
    # Given a Brazilian and a Spanish account, each sent an invoice with a reminder after 3 days
    assert world.api("PUT", "/firm", {"name": "Silva & Harper"}).status == 200
    brazilian = _account(world, "pt-BR", "Ana Souza", ANA)
    spanish = _account(world, "es", "Lucía Fernández", LUCIA)
    _invoice(world, brazilian, "NF 1042", "BRL")
    _invoice(world, spanish, "Factura 1042", "EUR")

    # When the reminders fall due and the send queue is drained
    world.scan(START + 3 * DAY)
    world.drain()

    # Then each client got the notification and the reminder in their language, from SES
    brazilian_mail, spanish_mail = world.sent_to(ANA), world.sent_to(LUCIA)
    assert [(m.language, m.subject) for m in brazilian_mail] == [
        ("pt-BR", "Silva & Harper: pague a fatura “NF 1042” (R$ 1.250,00, vencimento em 1 de dezembro de 2026)"),
        ("pt-BR", "Lembrete: Silva & Harper: pague a fatura “NF 1042” (R$ 1.250,00, vence amanhã)"),
    ]
    assert [(m.language, m.subject) for m in spanish_mail] == [
        ("es", "Silva & Harper: pague la factura «Factura 1042» (1.250,00 €, vence el 1 de diciembre de 2026)"),
        ("es", "Recordatorio: Silva & Harper: pague la factura «Factura 1042» (1.250,00 €, vence mañana)"),
    ]
    # And greet by first name, with the reminder's opening and due date in the same language
    brazilian_reminder, spanish_reminder = brazilian_mail[1].text or "", spanish_mail[1].text or ""
    assert brazilian_reminder.startswith("Olá, Ana,\n\nLembrete: só um aviso amigável de que a fatura “NF 1042”")
    assert "O prazo vence amanhã, 1 de dezembro de 2026." in brazilian_reminder
    assert spanish_reminder.startswith("Hola, Lucía:\n\nRecordatorio: solo un aviso amable de que la factura")
    assert "El plazo vence mañana, el 1 de diciembre de 2026." in spanish_reminder
    # (moto's SES took the same subjects)
    assert [m.subject for m in world.mail_to(ANA)] == [m.subject for m in brazilian_mail]
    assert [m.subject for m in world.mail_to(LUCIA)] == [m.subject for m in spanish_mail]


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_pt_is_accepted_and_stored_as_european_portuguese(world: World, method: str) -> None:
    # Given an account created or changed with the language "pt", the only Portuguese there was
    if method == "POST":
        account = world.create_account(language="pt")
    else:
        created = world.create_account(language="en")
        account = world.api("PATCH", f"/accounts/{created['id']}", {"language": "pt"}).body

    # When it is read back, and an item is sent to it
    read = world.api("GET", f"/accounts/{account['id']}").body
    world.send_item(account["id"])

    # Then it is European Portuguese, answered, stored and emailed as pt-PT
    assert account["language"] == read["language"] == "pt-PT"
    stored = next(r for r in table_snapshot() if r.get("account_id", {}).get("S") == account["id"])
    assert stored["language"] == {"S": "pt-PT"}
    assert {m.language for m in world.sent_to("ana@client.example.com")} == {"pt-PT"}


def test_an_account_stored_with_pt_before_reads_and_emails_as_european_portuguese(world: World) -> None:
    # Given an account record written when "pt" was the only Portuguese
    account = world.create_account(language="pt-PT")
    boto3.client("dynamodb", region_name=REGION).update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": keys.account_pk(_firm_of(account), account["id"])}, "sk": {"S": keys.ACCOUNT_SK}},
        UpdateExpression="SET #language = :pt",
        ExpressionAttributeNames={"#language": "language"},
        ExpressionAttributeValues={":pt": {"S": "pt"}},
    )

    # When it is read and sent an item
    read = world.api("GET", f"/accounts/{account['id']}").body
    world.send_item(account["id"])

    # Then it reads as pt-PT and its client gets European Portuguese, even for the firm's name while
    # the firm has not set one
    assert read["language"] == "pt-PT"
    [mail] = world.sent_to("ana@client.example.com")
    unnamed = "O seu gabinete de contabilidade"
    assert (mail.language, mail.subject) == ("pt-PT", f"{unnamed}: preencha o questionário «2026 Tax Organizer»")
    assert mail.sender.startswith(f"{unnamed} <")
