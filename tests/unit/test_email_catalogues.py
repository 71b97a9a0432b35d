"""Every catalogue walked (SPEC R21, languages): each language's wording has exactly English's entries,
with the same placeholders, and every email it can make (each kind, each purpose, each tone and
due status, manual resends, paid and part-paid invoices, approval requests) renders whole: no
placeholder left, nothing empty, no English word in another language, and the same paragraphs as
the English email. A translator who drops an entry, a placeholder or a sentence fails here."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterator
from dataclasses import fields, is_dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import unescape
from typing import Any, get_args

import pytest

from portal_reminders.emails import (
    EmailContent,
    InvoiceSummary,
    ItemEmail,
    Kind,
    Language,
    PendingApprovalsEmail,
    Tone,
    render_item_email,
    render_pending_approvals_email,
)
from portal_reminders.emails.catalogue import WORDING
from portal_reminders.emails.model import Brand
from portal_reminders.models.domain import Language as AccountLanguage

LANGUAGES: tuple[Language, ...] = get_args(Language)
OTHER_LANGUAGES = tuple(language for language in LANGUAGES if language != "en")
KINDS: tuple[Kind, ...] = get_args(Kind)
TONES: tuple[Tone, ...] = get_args(Tone)
DUE = date(2026, 12, 1)
FIRST_SENT = date(2026, 11, 2)
# days from the day a reminder is sent to the due date: in 3 days, tomorrow, today, 1 and 7 days late
DUE_STATUSES = {"in-3-days": 3, "tomorrow": 1, "today": 0, "overdue-1-day": -1, "overdue-7-days": -7}
CURRENCY: dict[Language, str] = {"en": "USD", "pt-PT": "EUR", "pt-BR": "BRL", "es": "EUR"}
BRAND = Brand(logo_url="https://www.example.com/logo.png", accent_color="#0B7A75", signature="Maria Silva")
# Values in no language's words, so that a stop-listed word can only come from a catalogue.
FIRM, RECIPIENT, TITLE, LINK = "Silva & Lopes", "Olivia", "IRPF 2026", "https://portal.example.com/i/1"

# English words that must never reach a client in another language.
ENGLISH_WORDS = {
    "reminder", "due", "overdue", "invoice", "hi", "hello", "please", "regards", "the", "your", "you",
    "document", "questionnaire", "proposal", "message", "sign", "pay", "amount", "balance", "paid",
    "today", "tomorrow", "days", "portal link", "client portal", "button", "email",
}  # fmt: skip
# Forms of one variety that must not slip into the other, and the familiar "tú" in formal Spanish.
FOREIGN_FORMS: dict[Language, set[str]] = {
    "pt-BR": {"lhe", "consigo", "contacto", "registos", "ligação", "a aguardar", "«", "»", "n.º"},
    "pt-PT": {"você", "contato", "registros", "link", "aguardando", "“", "”"},
    "es": {"tú", "tu", "tus", "te", "ti", "puedes", "tienes"},
}
PLACEHOLDER = re.compile(r"\{[A-Za-z_]*\}")
# an empty value: empty brackets or quotes, a space before punctuation or a doubled one, a label
# with nothing after it, "None", a line opening with a colon, an empty bullet
NOT_FILLED = [
    re.compile(pattern)
    for pattern in (r"\(\s*\)", r"«\s*»", r"“\s*”", r" [,.;:]", r"  ", r":\s*$", r"\bNone\b", r"^\s*:", r"^-\s*$")
]


# --- the catalogues' entries -----------------------------------------------------------------


def _entries(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every template of a catalogue by its path ("kinds.invoice.subject", "months.3"); a
    currency's local symbol is each language's own and is left out."""
    if isinstance(node, str):
        yield path, node
    elif is_dataclass(node):
        for field in fields(node):
            if field.name != "symbols":
                yield from _entries(getattr(node, field.name), f"{path}.{field.name}".lstrip("."))
    elif isinstance(node, dict):
        for key in sorted(node):
            yield from _entries(node[key], f"{path}.{key}")
    elif isinstance(node, tuple):
        for index, item in enumerate(node):
            yield from _entries(item, f"{path}.{index}")
    else:
        raise AssertionError(f"{path}: a catalogue holds only text, got {node!r}")


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_every_language_of_an_account_has_a_catalogue() -> None:
    # Given the languages an account may have, and those the emails know
    # When each is looked up
    # Then there is exactly one catalogue for each, no more
    assert {language.value for language in AccountLanguage} == set(LANGUAGES) == set(WORDING)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_a_catalogue_has_exactly_the_entries_of_english_with_the_same_placeholders(language: Language) -> None:
    # Given English's catalogue and this language's
    english = dict(_entries(WORDING["en"]))
    translated = dict(_entries(WORDING[language]))

    # When their entries are compared
    # Then they have the same entries, none empty, each with English's placeholders
    assert translated.keys() == english.keys()
    assert [path for path, text in translated.items() if not text.strip()] == []
    differing = {
        path: (sorted(_placeholders(text)), sorted(_placeholders(english[path])))
        for path, text in translated.items()
        if _placeholders(text) != _placeholders(english[path])
    }
    assert differing == {}


# --- every email each catalogue makes --------------------------------------------------------


def _invoice(language: Language, paid: bool = False, balance: str = "1250") -> InvoiceSummary:
    return InvoiceSummary(Decimal("1250"), CURRENCY[language], paid, Decimal(balance))


def _item(language: Language, kind: Kind, **facts: Any) -> EmailContent:
    if kind == "invoice":
        facts = {"invoice": _invoice(language), "due_date": DUE, **facts}
    email = ItemEmail(
        kind=kind,
        language=language,
        purpose=facts.pop("purpose", "reminder"),
        firm_name=FIRM,
        recipient_name=RECIPIENT,
        item_title=TITLE,
        portal_link=LINK,
        brand=BRAND,
        **facts,
    )
    return render_item_email(email)


def _approvals(language: Language, documents: tuple[str, ...]) -> EmailContent:
    email = PendingApprovalsEmail(
        language=language,
        firm_name=FIRM,
        recipient_name=RECIPIENT,
        documents=documents,
        portal_link=LINK,
        brand=BRAND,
    )
    return render_pending_approvals_email(email)


Case = Callable[[Language], EmailContent]


def _cases() -> dict[str, Case]:
    cases: dict[str, Case] = {}
    for kind in KINDS:
        cases[f"{kind}-notification"] = lambda language, kind=kind: _item(language, kind, purpose="notification")
        cases[f"{kind}-notification-with-due-date"] = lambda language, kind=kind: _item(
            language, kind, purpose="notification", due_date=DUE
        )
        cases[f"{kind}-manual-resend"] = lambda language, kind=kind: _item(
            language, kind, first_sent=FIRST_SENT, message="IRPF 2026"
        )
        for tone in TONES:
            for status, days in DUE_STATUSES.items():
                cases[f"{kind}-{tone}-{status}"] = lambda language, kind=kind, tone=tone, days=days: _item(
                    language,
                    kind,
                    tone=tone,
                    number=3 if tone == "final" else 2,
                    due_date=DUE,
                    today=DUE - timedelta(days=days),
                    first_sent=FIRST_SENT,
                )
        cases[f"{kind}-reminder-without-due-date"] = lambda language, kind=kind: _item(
            language, kind, tone="gentle", number=1, first_sent=FIRST_SENT
        )
    for number in range(1, 13):  # every ordinal, and past them
        cases[f"reminder-number-{number}"] = lambda language, number=number: _item(
            language, "organizer", tone="gentle", number=number, due_date=DUE, today=DUE - timedelta(days=3)
        )
    cases["invoice-paid"] = lambda language: _item(
        language, "invoice", purpose="notification", invoice=_invoice(language, paid=True, balance="0")
    )
    cases["invoice-paid-resent"] = lambda language: _item(
        language, "invoice", invoice=_invoice(language, paid=True, balance="0"), first_sent=FIRST_SENT
    )
    cases["invoice-part-paid"] = lambda language: _item(
        language, "invoice", purpose="notification", invoice=_invoice(language, balance="250")
    )
    cases["invoice-part-paid-overdue"] = lambda language: _item(
        language, "invoice", invoice=_invoice(language, balance="250"), tone="firm", number=2, today=DUE + timedelta(7)
    )
    cases["approvals-one"] = lambda language: _approvals(language, ("IRPF 2026",))
    cases["approvals-many"] = lambda language: _approvals(language, ("IRPF 2026", "IRPF 2025"))
    cases["no-first-name"] = lambda language: render_item_email(
        ItemEmail(
            kind="chat",
            language=language,
            purpose="notification",
            firm_name=FIRM,
            recipient_name=" ",
            item_title=TITLE,
            portal_link=LINK,
        )
    )
    return cases


CASES = _cases()


def _visible_html(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", html))


def _preheader(html: str) -> str:
    found = re.search(r'<div style="display:none;[^"]*">(.*?)&#847;', html, re.S)
    assert found, "the HTML part has no preheader"
    return unescape(found.group(1))


def _words_in(text: str, words: set[str]) -> set[str]:
    return {word for word in words if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text, re.IGNORECASE)}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_of_a_catalogue_renders_whole(language: Language, case: str) -> None:
    # Given one email a catalogue can make
    # When it is rendered in this language
    content = CASES[case](language)

    # Then no placeholder is left, in any part
    parts = {"subject": content.subject, "text": content.text, "html": content.html}
    assert {name: PLACEHOLDER.findall(part) for name, part in parts.items()} == {name: [] for name in parts}
    # And nothing is empty: subject, preheader, every line of the text
    preheader = _preheader(content.html)
    assert content.subject.strip()
    assert preheader.strip()
    lines = [line for line in content.text.splitlines() if line not in ("", "-- ")]
    unfilled = [
        (pattern.pattern, line)
        for line in [content.subject, preheader, *lines]
        for pattern in NOT_FILLED
        if pattern.search(line) and not line.endswith(":")  # a label before its list, link or note
    ]
    assert unfilled == []
    assert f'<html lang="{language}">' in content.html
    if language != "en":
        # And no English word, nor a form of another variety, reaches the client
        shown = "\n".join([content.subject, content.text, _visible_html(content.html)]).replace(LINK, "")
        assert _words_in(shown, ENGLISH_WORDS) == set()
        assert _words_in(shown, FOREIGN_FORMS[language]) == set()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_every_email_says_as_much_as_the_english_one(language: Language, case: str) -> None:
    # Given the same email in English and in this language
    english, translated = CASES[case]("en"), CASES[case](language)

    # When their text parts are laid side by side
    def shape(content: EmailContent) -> list[int]:
        return [len(paragraph.splitlines()) for paragraph in content.text.split("\n\n")]

    # Then they have the same paragraphs, each of as many lines, and the same sentences per paragraph
    assert shape(translated) == shape(english)
    # (a full stop ends a sentence before a capital or at the end: "Reminder no. 12" is one sentence)
    sentences = re.compile(r"[.!?](?=\s+[A-ZÁÉÍÓÚÂÊÔÃÕ]|\s*$)")
    assert [len(sentences.findall(p)) for p in translated.text.split("\n\n")] == [
        len(sentences.findall(p)) for p in english.text.split("\n\n")
    ]
