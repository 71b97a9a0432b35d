from dataclasses import replace
from datetime import date
from decimal import Decimal
from html import escape
from typing import Any, get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal_reminders.emails import (
    DigestEmail,
    EscalationEmail,
    InvoiceSummary,
    ItemEmail,
    Kind,
    Language,
    PendingApprovalsEmail,
    SentEmail,
    Wording,
    render_digest_email,
    render_escalation_email,
    render_item_email,
    render_pending_approvals_email,
)
from portal_reminders.emails.render import format_date, format_money

KINDS: tuple[Kind, ...] = get_args(Kind)
LANGUAGES: tuple[Language, ...] = get_args(Language)
FIRM = "Silva & Filhos"
TITLE = "2025 Tax Organizer"
LINK = "https://portal.example.com/items/it-1?tab=details&lang=en"

CALL_TO_ACTION: dict[tuple[Kind, Language], str] = {
    ("organizer", "en"): "complete",
    ("proposal", "en"): "sign",
    ("invoice", "en"): "pay",
    ("chat", "en"): "reply",
    ("signature", "en"): "sign",
    ("approval", "en"): "approve",
    ("organizer", "pt-PT"): "preencha",
    ("proposal", "pt-PT"): "assine",
    ("invoice", "pt-PT"): "pague",
    ("chat", "pt-PT"): "responda",
    ("signature", "pt-PT"): "assine",
    ("approval", "pt-PT"): "aprove",
    ("organizer", "pt-BR"): "preencha",
    ("proposal", "pt-BR"): "assine",
    ("invoice", "pt-BR"): "pague",
    ("chat", "pt-BR"): "responda",
    ("signature", "pt-BR"): "assine",
    ("approval", "pt-BR"): "aprove",
    ("organizer", "es"): "complete",
    ("proposal", "es"): "firme",
    ("invoice", "es"): "pague",
    ("chat", "es"): "responda",
    ("signature", "es"): "firme",
    ("approval", "es"): "apruebe",
}


def an_invoice(
    amount: str = "1234.5", balance_due: str | None = None, paid: bool = False, currency: str = "USD"
) -> InvoiceSummary:
    return InvoiceSummary(
        amount=Decimal(amount),
        currency=currency,
        paid=paid,
        balance_due=Decimal(amount if balance_due is None else balance_due),
    )


def an_item_email(kind: Kind = "organizer", language: Language = "en", **changes: Any) -> ItemEmail:
    email = ItemEmail(
        kind=kind,
        language=language,
        purpose="notification",
        firm_name=FIRM,
        recipient_name="Ana",
        item_title=TITLE,
        portal_link=LINK,
        invoice=an_invoice() if kind == "invoice" else None,
        due_date=date(2026, 12, 15) if kind == "invoice" else None,
    )
    return replace(email, **changes)


def an_approvals_email(language: Language = "en", **changes: Any) -> PendingApprovalsEmail:
    email = PendingApprovalsEmail(
        language=language,
        firm_name=FIRM,
        recipient_name="Ana",
        documents=("Balance sheet 2025", "Engagement letter"),
        portal_link=LINK,
    )
    return replace(email, **changes)


# --- every kind, every language -----------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_subject_names_firm_item_and_what_to_do(kind: Kind, language: Language) -> None:
    # Given a notification for an item of this kind
    email = an_item_email(kind, language)

    # When it is rendered
    content = render_item_email(email)

    # Then the subject names the firm, the item and the kind's call to action
    assert FIRM in content.subject
    assert TITLE in content.subject
    assert CALL_TO_ACTION[kind, language] in content.subject.lower()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_text_part_names_firm_item_action_and_link(kind: Kind, language: Language) -> None:
    # Given a notification for an item of this kind
    email = an_item_email(kind, language)

    # When it is rendered
    text = render_item_email(email).text

    # Then the plain text names firm and item, says what to do, and has the link on its own line
    assert FIRM in text
    assert TITLE in text
    assert CALL_TO_ACTION[kind, language] in text.lower()
    assert LINK in text.splitlines()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_html_part_names_firm_item_action_and_links_the_portal(kind: Kind, language: Language) -> None:
    # Given a notification for an item of this kind
    email = an_item_email(kind, language)

    # When it is rendered
    html = render_item_email(email).html

    # Then the HTML names firm and item (escaped), says what to do and links the portal
    assert escape(FIRM) in html
    assert TITLE in html
    assert CALL_TO_ACTION[kind, language] in html.lower()
    assert f'href="{escape(LINK)}"' in html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_reminder_subject_differs_from_notification_subject(kind: Kind, language: Language) -> None:
    # Given the same item as a notification and as a reminder
    notification = an_item_email(kind, language, purpose="notification")
    reminder = replace(notification, purpose="reminder")

    # When both are rendered
    notification_subject = render_item_email(notification).subject
    reminder_subject = render_item_email(reminder).subject

    # Then the reminder's subject is a different, visibly reminding one
    assert reminder_subject != notification_subject
    labels = {"en": "Reminder: ", "pt-PT": "Lembrete: ", "pt-BR": "Lembrete: ", "es": "Recordatorio: "}
    assert reminder_subject.startswith(labels[language])


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_reminder_body_says_it_is_a_reminder(kind: Kind, language: Language) -> None:
    # Given a reminder
    email = an_item_email(kind, language, purpose="reminder")

    # When it is rendered
    content = render_item_email(email)

    # Then both parts open saying it is a reminder
    word = {"en": "reminder: ", "pt-PT": "lembrete: ", "pt-BR": "lembrete: ", "es": "recordatorio: "}[language]
    assert word in content.text.lower()
    assert word in content.html.lower()


def test_exact_subjects_for_organizer_notification_and_reminder() -> None:
    # Given organizer emails in English and Portuguese
    en = an_item_email("organizer", "en", firm_name="Acme Accounting")
    pt = an_item_email("organizer", "pt-PT", firm_name="Acme Accounting")

    # When they are rendered as notification and reminder
    subjects = [
        render_item_email(replace(email, purpose=purpose)).subject
        for email in (en, pt)
        for purpose in ("notification", "reminder")
    ]

    # Then the subjects read naturally in each language
    assert subjects == [
        "Acme Accounting: please complete your questionnaire “2025 Tax Organizer”",
        "Reminder: Acme Accounting: please complete your questionnaire “2025 Tax Organizer”",
        "Acme Accounting: preencha o questionário «2025 Tax Organizer»",
        "Lembrete: Acme Accounting: preencha o questionário «2025 Tax Organizer»",
    ]


# --- invoices -----------------------------------------------------------------------------


def test_english_invoice_shows_amount_and_due_date() -> None:
    # Given an unpaid invoice of 1234.5 USD due 15 December 2026
    email = an_item_email("invoice", "en", item_title="INV-0042")

    # When it is rendered
    content = render_item_email(email)

    # Then the subject and both parts show the amount and the due date, formatted in English
    assert content.subject == "Silva & Filhos: please pay invoice “INV-0042” (USD 1,234.50, due 15 December 2026)"
    assert "Amount: USD 1,234.50" in content.text.splitlines()
    assert "Due date: 15 December 2026" in content.text.splitlines()
    assert "USD 1,234.50" in content.html
    assert "15 December 2026" in content.html


def test_portuguese_invoice_shows_amount_and_due_date() -> None:
    # Given an unpaid invoice of 1234.5 EUR due 15 December 2026, for a European Portuguese account
    email = an_item_email("invoice", "pt-PT", item_title="FT 2026/42", invoice=an_invoice(currency="EUR"))

    # When it is rendered
    content = render_item_email(email)

    # Then amount and due date are formatted the Portuguese way
    assert content.subject == (
        "Silva & Filhos: pague a fatura «FT 2026/42» (1.234,50 €, vence a 15 de dezembro de 2026)"
    )
    assert "Valor: 1.234,50 €" in content.text.splitlines()
    assert "Vencimento: 15 de dezembro de 2026" in content.text.splitlines()
    assert "1.234,50 €" in content.html
    assert "15 de dezembro de 2026" in content.html


@pytest.mark.parametrize(
    ("amount", "currency", "language", "expected"),
    [
        ("1234.5", "USD", "en", "USD 1,234.50"),
        ("1234.5", "EUR", "pt-PT", "1.234,50 €"),
        ("1234567.005", "usd", "en", "USD 1,234,567.01"),
        ("1234567.005", "BRL", "pt-PT", "1.234.567,01 BRL"),
        ("5", "USD", "en", "USD 5.00"),
        ("0.1", "EUR", "pt-PT", "0,10 €"),
        ("1250", "BRL", "pt-BR", "R$ 1.250,00"),
        ("1250", "usd", "pt-BR", "US$ 1.250,00"),
        ("1250", "EUR", "es", "1.250,00 €"),
        ("1250", "USD", "es", "1.250,00 USD"),
        ("1250", "EUR", "en", "EUR 1,250.00"),
    ],
)
def test_money_has_two_decimals_and_thousands_separators(
    amount: str, currency: str, language: Language, expected: str
) -> None:
    # Given an amount, a currency and a language
    # When the amount is formatted
    formatted = format_money(Decimal(amount), currency, language)

    # Then it has two decimals, the language's separators and the currency's local symbol, else its code
    assert formatted == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "1 March 2027"),
        ("pt-PT", "1 de março de 2027"),
        ("pt-BR", "1 de março de 2027"),
        ("es", "1 de marzo de 2027"),
    ],
)
def test_dates_are_written_out_in_the_language(language: Language, expected: str) -> None:
    # Given a date
    # When it is formatted
    formatted = format_date(date(2027, 3, 1), language)

    # Then the month is written out in the recipient's language
    assert formatted == expected


@pytest.mark.parametrize("purpose", ["notification", "reminder"])
def test_paid_invoice_in_english_says_paid_and_asks_nothing(purpose: str) -> None:
    # Given a paid invoice emailed again for the client's records
    email = an_item_email("invoice", "en", purpose=purpose, invoice=an_invoice(paid=True, balance_due="0"))

    # When it is rendered
    content = render_item_email(email)

    # Then it says it is paid, a copy for their records, and never asks to pay
    assert content.subject == "Silva & Filhos: invoice “2025 Tax Organizer” (paid)"
    assert "Status: Paid" in content.text.splitlines()
    assert "for your records" in content.text
    for part in (content.subject, content.text, content.html):
        assert "pay " not in part.lower()
        assert "pay the invoice" not in part.lower()
        assert "reminder" not in part.lower()


def test_paid_invoice_in_portuguese_says_paga_and_asks_nothing() -> None:
    # Given a paid invoice for a Portuguese account
    email = an_item_email("invoice", "pt-PT", invoice=an_invoice(paid=True, balance_due="0"))

    # When it is rendered
    content = render_item_email(email)

    # Then it says it is paid and never asks to pay
    assert content.subject.endswith("(paga)")
    assert "Estado: Paga" in content.text.splitlines()
    for part in (content.subject, content.text, content.html):
        assert "pague" not in part.lower()
        assert "pagar" not in part.lower()


def test_partially_paid_invoice_shows_the_balance_due() -> None:
    # Given an unpaid invoice of 1234.50 of which 1000 has been paid
    email = an_item_email("invoice", "en", invoice=an_invoice(balance_due="234.5"))

    # When it is rendered
    content = render_item_email(email)

    # Then the balance due is shown next to the full amount, and the subject asks for the balance
    assert "Amount: USD 1,234.50" in content.text.splitlines()
    assert "Balance due: USD 234.50" in content.text.splitlines()
    assert "Balance due" in content.html
    assert "USD 234.50" in content.html
    assert "(USD 234.50, due 15 December 2026)" in content.subject


def test_fully_unpaid_invoice_shows_no_separate_balance() -> None:
    # Given an invoice nothing has been paid on
    email = an_item_email("invoice", "en")

    # When it is rendered
    text = render_item_email(email).text

    # Then there is no balance line repeating the amount
    assert "Balance due" not in text


def test_invoice_email_without_its_summary_is_refused() -> None:
    # Given an invoice email missing the amount and due date
    email = an_item_email("invoice", "en", invoice=None)

    # When it is rendered
    # Then it is refused instead of sending an invoice email without an amount
    with pytest.raises(ValueError, match="invoice summary"):
        render_item_email(email)


# --- the firm's message -------------------------------------------------------------------


def test_message_is_escaped_in_html_with_line_breaks() -> None:
    # Given a message with markup characters and a newline
    message = 'Please check <script>alert("x")</script> & reply\nThanks'
    email = an_item_email(message=message)

    # When it is rendered
    html = render_item_email(email).html

    # Then the HTML carries it escaped, line breaks as <br>, introduced as a note from the firm
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; reply<br>" in html
    assert f"A note from {escape(FIRM)}:" in html


def test_message_is_raw_in_text() -> None:
    # Given a message with markup characters and a newline
    message = 'Please check <b>this</b> & "that"\nThanks'
    email = an_item_email("chat", "pt-PT", message=message)

    # When it is rendered
    text = render_item_email(email).text

    # Then the text part carries it unchanged, introduced as a note from the firm
    assert f"Uma nota de {FIRM}:\n{message}" in text


def test_no_message_means_no_note() -> None:
    # Given an email without a message from the firm
    email = an_item_email(message=None)

    # When it is rendered
    content = render_item_email(email)

    # Then no note heading appears
    assert "A note from" not in content.text
    assert "A note from" not in content.html


# --- subjects -----------------------------------------------------------------------------


@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n", "\u2028", "\x85"])
def test_line_breaks_in_title_never_reach_the_subject(line_break: str) -> None:
    # Given a title and firm name with line breaks that could inject mail headers
    email = an_item_email(
        item_title=f"Tax{line_break}Bcc: victim@example.com",
        firm_name=f"Acme{line_break}X-Header: 1",
        purpose="reminder",
    )

    # When it is rendered
    subject = render_item_email(email).subject

    # Then the subject is one line
    assert len(subject.splitlines()) == 1
    assert "Tax Bcc: victim@example.com" in subject


def test_long_title_is_truncated_in_the_subject_only() -> None:
    # Given a 300-character title
    title = "x" * 300
    email = an_item_email(item_title=title)

    # When it is rendered
    content = render_item_email(email)

    # Then the subject carries 120 characters of it, ending with an ellipsis; the body keeps it whole
    assert "x" * 119 + "…" in content.subject
    assert "x" * 120 not in content.subject
    assert title in content.text


# --- greeting, document, footer -----------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hi Ana,"), ("pt-PT", "Olá Ana,"), ("pt-BR", "Olá, Ana,"), ("es", "Hola, Ana:")]
)
def test_recipient_is_greeted_by_name(language: Language, greeting: str) -> None:
    # Given a recipient with a name
    email = an_item_email(language=language, recipient_name="Ana")

    # When it is rendered
    content = render_item_email(email)

    # Then both parts open with a greeting by name
    assert content.text.startswith(greeting + "\n")
    assert f">{greeting}</p>" in content.html


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello,"), ("pt-PT", "Olá,"), ("pt-BR", "Olá,"), ("es", "Hola:")]
)
def test_recipient_without_name_gets_a_generic_greeting(language: Language, greeting: str) -> None:
    # Given a recipient without a name
    email = an_item_email(language=language, recipient_name="  ")

    # When it is rendered
    text = render_item_email(email).text

    # Then the greeting is generic
    assert text.startswith(greeting + "\n")


@pytest.mark.parametrize("language", LANGUAGES)
def test_html_is_a_complete_document_in_the_recipients_language(language: Language) -> None:
    # Given an email in this language
    email = an_item_email(language=language)

    # When it is rendered
    html = render_item_email(email).html

    # Then it is a whole HTML document tagged with the language, ending properly
    assert html.startswith("<!DOCTYPE html>\n")
    assert f'<html lang="{language}">' in html
    assert html.rstrip().endswith("</html>")


@pytest.mark.parametrize(
    ("language", "footer"),
    [
        ("en", f"You are receiving this email because {FIRM} uses a client portal"),
        ("pt-PT", f"Recebe este e-mail porque {FIRM} utiliza um portal do cliente"),
        ("pt-BR", f"Você está recebendo este e-mail porque {FIRM} usa um portal do cliente"),
        ("es", f"Recibe este correo electrónico porque {FIRM} utiliza un portal de clientes"),
    ],
)
def test_footer_explains_why_the_client_gets_the_email(language: Language, footer: str) -> None:
    # Given an email in this language
    email = an_item_email(language=language)

    # When it is rendered
    content = render_item_email(email)

    # Then both parts end with the footer in the recipient's language
    assert footer in content.text
    assert escape(footer) in content.html


def test_portal_link_is_escaped_inside_the_href() -> None:
    # Given a portal link that tries to break out of the href attribute
    email = an_item_email(portal_link='https://portal.example.com/"><script>x</script>')

    # When it is rendered
    html = render_item_email(email).html

    # Then the attribute stays closed and no markup is injected
    assert "<script>" not in html
    assert 'href="https://portal.example.com/&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html


# --- pending approvals --------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_pending_approvals_email_lists_every_document(language: Language) -> None:
    # Given an account with two documents pending approval, one with markup in its title
    documents = ("Balance sheet 2025", "Letter <draft> & notes")
    email = an_approvals_email(language, documents=documents)

    # When the email is rendered
    content = render_pending_approvals_email(email)

    # Then the text lists them as "- title" lines and the HTML as escaped list items
    lines = content.text.splitlines()
    assert all(f"- {title}" in lines for title in documents)
    assert all(f">{escape(title)}</li>" in content.html for title in documents)
    assert "<ul" in content.html


@pytest.mark.parametrize(
    ("language", "documents", "subject"),
    [
        ("en", ("A",), "Silva & Filhos: 1 document waiting for your approval"),
        ("en", ("A", "B", "C"), "Silva & Filhos: 3 documents waiting for your approval"),
        ("pt-PT", ("A",), "Silva & Filhos: 1 documento a aguardar a sua aprovação"),
        ("pt-PT", ("A", "B"), "Silva & Filhos: 2 documentos a aguardar a sua aprovação"),
    ],
)
def test_pending_approvals_subject_counts_documents(
    language: Language, documents: tuple[str, ...], subject: str
) -> None:
    # Given an account with this many documents pending approval
    email = an_approvals_email(language, documents=documents)

    # When the email is rendered
    content = render_pending_approvals_email(email)

    # Then the subject counts them, singular for one
    assert content.subject == subject


@pytest.mark.parametrize("language", LANGUAGES)
def test_pending_approvals_email_carries_message_and_link(language: Language) -> None:
    # Given a bulk approval request with a message the firm user edited
    email = an_approvals_email(language, message="Please <approve> by Friday")

    # When the email is rendered
    content = render_pending_approvals_email(email)

    # Then the message is in both parts (escaped in HTML) and the link is there
    assert "Please <approve> by Friday" in content.text
    assert "Please &lt;approve&gt; by Friday" in content.html
    assert LINK in content.text.splitlines()
    assert f'href="{escape(LINK)}"' in content.html
    assert CALL_TO_ACTION["approval", language] in content.text.lower()


def test_pending_approvals_email_without_documents_is_refused() -> None:
    # Given a bulk approval request with nothing to approve
    email = an_approvals_email(documents=())

    # When it is rendered
    # Then it is refused
    with pytest.raises(ValueError, match="at least one document"):
        render_pending_approvals_email(email)


# --- properties ---------------------------------------------------------------------------

# A "<probe" never occurs in the markup itself, so finding the raw value means it went unescaped.
markup_value = st.builds(lambda before, after: f"{before}<probe{after}", st.text(), st.text())


@given(
    kind=st.sampled_from(KINDS),
    language=st.sampled_from(LANGUAGES),
    purpose=st.sampled_from(["notification", "reminder"]),
    title=markup_value,
    firm_name=markup_value,
    message=markup_value,
)
def test_html_never_carries_an_interpolated_value_unescaped(
    *, kind: Kind, language: Language, purpose: str, title: str, firm_name: str, message: str
) -> None:
    # Given arbitrary title, firm name and message, each holding a "<"
    email = an_item_email(kind, language, purpose=purpose, item_title=title, firm_name=firm_name, message=message)

    # When it is rendered
    html = render_item_email(email).html

    # Then none of them appears raw in the HTML
    assert title not in html
    assert firm_name not in html
    assert message not in html


@given(
    kind=st.sampled_from(KINDS),
    language=st.sampled_from(LANGUAGES),
    purpose=st.sampled_from(["notification", "reminder"]),
    title=st.text(),
    firm_name=st.text(),
)
def test_subject_is_always_a_single_line(
    *, kind: Kind, language: Language, purpose: str, title: str, firm_name: str
) -> None:
    # Given arbitrary title and firm name
    email = an_item_email(kind, language, purpose=purpose, item_title=title, firm_name=firm_name)

    # When it is rendered
    subject = render_item_email(email).subject

    # Then the subject has no line break
    assert "\n" not in subject
    assert "\r" not in subject


@given(firm_name=markup_value, documents=st.lists(markup_value, min_size=1, max_size=5))
def test_pending_approvals_html_never_carries_a_value_unescaped(firm_name: str, documents: list[str]) -> None:
    # Given arbitrary firm name and document titles, each holding a "<"
    email = an_approvals_email(firm_name=firm_name, documents=tuple(documents))

    # When it is rendered
    content = render_pending_approvals_email(email)

    # Then none of them appears raw in the HTML, and the subject stays one line
    assert firm_name not in content.html
    assert all(title not in content.html for title in documents)
    assert "\n" not in content.subject
    assert "\r" not in content.subject


# --- which reminder, its tone, when first sent, the due status (SPEC R19) -----------------------

DUE = date(2026, 12, 10)
FIRST_SENT = date(2026, 11, 3)


def a_reminder(
    kind: Kind = "organizer",
    language: Language = "en",
    *,
    today: date = date(2026, 12, 7),
    number: int | None = 1,
    tone: str | None = "gentle",
    **changes: Any,
) -> ItemEmail:
    """An automatic reminder (a manual resend: number and tone None) sent on `today`, due on 10 December."""
    email = an_item_email(kind, language, purpose="reminder", due_date=DUE, first_sent=FIRST_SENT, today=today)
    return replace(email, number=number, tone=tone, **changes)


@pytest.mark.parametrize(
    ("number", "tone", "label"),
    [
        (1, "gentle", "Reminder"),
        (2, "gentle", "Second reminder"),
        (3, "firm", "Third reminder"),
        (10, "firm", "Tenth reminder"),
        (11, "firm", "Reminder no. 11"),
        (2, "final", "Final reminder"),
        (None, None, "Reminder"),
    ],
)
def test_a_reminders_subject_and_opening_say_which_one_it_is(number: int | None, tone: str | None, label: str) -> None:
    content = render_item_email(a_reminder(number=number, tone=tone))
    assert content.subject.startswith(f"{label}: {FIRM}: please complete your questionnaire")
    opening = content.text.splitlines()[2]
    assert opening.startswith(f"{label}: ")
    assert f"the questionnaire “{TITLE}” from {FIRM} is still waiting for your answers" in opening


@pytest.mark.parametrize(
    ("today", "status", "sentence"),
    [
        (date(2026, 12, 7), "due in 3 days", "It is due in 3 days, on 10 December 2026."),
        (date(2026, 12, 9), "due tomorrow", "It is due tomorrow, 10 December 2026."),
        (date(2026, 12, 10), "due today", "It is due today, 10 December 2026."),
        (date(2026, 12, 11), "overdue by 1 day", "It is overdue by 1 day: it was due on 10 December 2026."),
        (date(2026, 12, 17), "overdue by 7 days", "It is overdue by 7 days: it was due on 10 December 2026."),
    ],
)
def test_a_reminder_says_where_the_item_stands_against_its_due_date(today: date, status: str, sentence: str) -> None:
    content = render_item_email(a_reminder(today=today))
    assert content.subject.endswith(f"“{TITLE}” ({status})")
    assert sentence in content.text
    assert escape(sentence) in content.html


def test_a_reminder_says_when_the_item_was_first_sent() -> None:
    content = render_item_email(a_reminder())
    assert f"{FIRM} first sent it on 3 November 2026." in content.text
    in_other_languages = {
        "pt-PT": f"O primeiro envio de {FIRM} foi a 3 de novembro de 2026.",
        "pt-BR": f"O primeiro envio de {FIRM} foi em 3 de novembro de 2026.",
        "es": f"El primer envío de {FIRM} fue el 3 de noviembre de 2026.",
    }
    for language, sentence in in_other_languages.items():
        assert sentence in render_item_email(a_reminder(language=language)).text


def test_each_tone_has_its_own_words_and_a_final_one_says_it_is_the_last() -> None:
    # Given the same reminder in each tone
    texts = {tone: render_item_email(a_reminder(tone=tone, number=2)).text for tone in ("gentle", "firm", "final")}

    # Then each reads differently: friendly, direct, a last notice with the firm following up
    assert "just a friendly note that" in texts["gentle"]
    assert "it needs your attention now" in texts["firm"]
    assert "This is the last reminder we will send" in texts["final"]
    assert f"{FIRM} will follow up with you directly" in texts["final"]
    assert "last reminder" not in texts["gentle"] + texts["firm"]


def test_a_manual_resend_says_reminder_with_the_due_status_and_no_tone() -> None:
    content = render_item_email(a_reminder(number=None, tone=None, today=date(2026, 12, 12)))
    assert content.subject == f"Reminder: {FIRM}: please complete your questionnaire “{TITLE}” (overdue by 2 days)"
    assert "friendly" not in content.text
    assert "last reminder" not in content.text


def test_an_overdue_invoice_reminder_shows_the_status_in_place_of_the_date_and_asks_to_pay_now() -> None:
    # Given an invoice due on 10 December, reminded on the 17th with its final reminder
    content = render_item_email(a_reminder("invoice", today=date(2026, 12, 17), number=3, tone="final"))

    # Then the subject and body say it is overdue, and no longer ask to pay "by" a past date
    assert content.subject == f"Final reminder: {FIRM}: please pay invoice “{TITLE}” (USD 1,234.50, overdue by 7 days)"
    assert "Due date: 10 December 2026" in content.text.splitlines()
    assert "Please pay the invoice in your client portal as soon as possible." in content.text
    assert "by 10 December 2026" not in content.text


def test_a_reminder_of_an_invoice_not_yet_due_still_asks_to_pay_by_its_date() -> None:
    content = render_item_email(a_reminder("invoice"))
    assert content.subject == f"Reminder: {FIRM}: please pay invoice “{TITLE}” (USD 1,234.50, due in 3 days)"
    assert "Please pay the invoice in your client portal by 10 December 2026." in content.text


def test_portuguese_reminders_in_each_tone() -> None:
    subjects = [
        render_item_email(a_reminder(language="pt-PT", today=today, number=number, tone=tone)).subject
        for today, number, tone in (
            (date(2026, 12, 7), 1, "gentle"),
            (date(2026, 12, 17), 2, "firm"),
            (date(2026, 12, 24), 3, "final"),
        )
    ]
    assert subjects == [
        f"Lembrete: {FIRM}: preencha o questionário «{TITLE}» (vence dentro de 3 dias)",
        f"Segundo lembrete: {FIRM}: preencha o questionário «{TITLE}» (em atraso há 7 dias)",
        f"Último lembrete: {FIRM}: preencha o questionário «{TITLE}» (em atraso há 14 dias)",
    ]
    final = render_item_email(a_reminder(language="pt-PT", today=date(2026, 12, 24), number=3, tone="final")).text
    assert "Este é o último lembrete que enviamos" in final
    assert f"{FIRM} entrará em contacto consigo diretamente" in final
    assert "Está em atraso há 14 dias: venceu a 10 de dezembro de 2026." in final


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_and_language_has_a_reminder_in_every_tone(kind: Kind, language: Language) -> None:
    for tone in ("gentle", "firm", "final"):
        content = render_item_email(a_reminder(kind, language, tone=tone, number=2))
        assert content.subject.endswith(")")
        assert "{" not in content.text + content.subject


# --- the digest (SPEC R20) ------------------------------------------------------------------------


# how each language says an item is 7 days late, and that a reminder is the last
DIGEST_WORDS: dict[Language, tuple[str, str]] = {
    "en": ("overdue by 7 days", "last reminder"),
    "pt-PT": ("em atraso há 7 dias", "último lembrete"),
    "pt-BR": ("em atraso há 7 dias", "último lembrete"),
    "es": ("lleva 7 días de retraso", "último recordatorio"),
}


def a_digest(language: Language = "en") -> DigestEmail:
    items = (
        an_item_email("organizer", language, purpose="reminder", number=1, tone="gentle", item_title="<Organizer>"),
        an_item_email(
            "invoice",
            language,
            purpose="reminder",
            number=2,
            tone="final",
            item_title="INV-9",
            invoice=an_invoice(),
            due_date=date(2026, 12, 1),
            today=date(2026, 12, 8),
            portal_link="https://portal.example.com/items/it-2",
        ),
    )
    return DigestEmail(language=language, firm_name=FIRM, recipient_name="Ana Souza", items=items)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_digest_lists_every_item_with_its_own_words_and_button_in_both_parts(language: Language) -> None:
    # Given a digest of a gentle organizer reminder and a final, overdue invoice reminder
    content = render_digest_email(a_digest(language))

    # Then the subject counts the items, and each part heads each item and gives it its own button
    assert "2" in content.subject
    assert FIRM in content.subject
    of = "of" if language == "en" else "de"
    for part in (content.text, content.html):
        assert f"1 {of} 2" in part
        assert f"2 {of} 2" in part
    assert content.text.count(LINK) == 1
    assert content.text.count("https://portal.example.com/items/it-2") == 1
    assert content.html.count(f'href="{escape(LINK, quote=True)}"') == 2  # the button and the fallback link
    # And each item says what its own reminder would: the invoice is overdue and final
    overdue, last = DIGEST_WORDS[language]
    assert overdue in content.text.lower()
    assert last in content.text.lower()
    # And values are escaped in HTML, never markup
    assert "<Organizer>" not in content.html
    assert escape("<Organizer>") in content.html


def test_a_digest_needs_an_item() -> None:
    with pytest.raises(ValueError, match="at least one item"):
        render_digest_email(DigestEmail(language="en", firm_name=FIRM, recipient_name="Ana", items=()))


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "pt-BR",
            [
                f"Lembrete: {FIRM}: preencha o questionário “{TITLE}” (vence em 3 dias)",
                f"Segundo lembrete: {FIRM}: preencha o questionário “{TITLE}” (em atraso há 7 dias)",
                f"Último lembrete: {FIRM}: preencha o questionário “{TITLE}” (em atraso há 14 dias)",
            ],
        ),
        (
            "es",
            [
                f"Recordatorio: {FIRM}: complete el cuestionario «{TITLE}» (vence en 3 días)",
                f"Segundo recordatorio: {FIRM}: complete el cuestionario «{TITLE}» (con 7 días de retraso)",
                f"Último recordatorio: {FIRM}: complete el cuestionario «{TITLE}» (con 14 días de retraso)",
            ],
        ),
    ],
)
def test_brazilian_and_spanish_reminders_in_each_tone(language: Language, expected: list[str]) -> None:
    # Given the same organizer reminded gently before its due date, firmly and finally after it
    reminders = [
        render_item_email(a_reminder(language=language, today=today, number=number, tone=tone))
        for today, number, tone in (
            (date(2026, 12, 7), 1, "gentle"),
            (date(2026, 12, 17), 2, "firm"),
            (date(2026, 12, 24), 3, "final"),
        )
    ]

    # Then each subject says which reminder it is and where the item stands, in the language
    assert [reminder.subject for reminder in reminders] == expected


def test_a_final_reminder_in_brazilian_portuguese_and_spanish_says_the_firm_will_follow_up() -> None:
    # Given the final reminder of an organizer 14 days late, for a Brazilian and a Spanish client
    def final(language: Language) -> str:
        return render_item_email(a_reminder(language=language, today=date(2026, 12, 24), number=3, tone="final")).text

    brazilian, spanish = final("pt-BR"), final("es")

    # Then it says it is the last, that the firm will get in touch, and how late the item is
    assert "Este é o último lembrete que vamos enviar" in brazilian
    assert f"{FIRM} vai entrar em contato com você diretamente" in brazilian
    assert "Está em atraso há 14 dias: o prazo venceu em 10 de dezembro de 2026." in brazilian
    assert "Este es el último recordatorio que le enviaremos" in spanish
    assert f"{FIRM} se pondrá en contacto con usted directamente" in spanish
    assert "Lleva 14 días de retraso: el plazo venció el 10 de diciembre de 2026." in spanish


@pytest.mark.parametrize(
    ("language", "currency", "subject", "rows"),
    [
        (
            "pt-BR",
            "BRL",
            "Silva & Filhos: pague a fatura “NF 42” (R$ 1.234,50, vencimento em 15 de dezembro de 2026)",
            ["Valor: R$ 1.234,50", "Vencimento: 15 de dezembro de 2026"],
        ),
        (
            "es",
            "EUR",
            "Silva & Filhos: pague la factura «NF 42» (1.234,50 €, vence el 15 de diciembre de 2026)",
            ["Importe: 1.234,50 €", "Vencimiento: 15 de diciembre de 2026"],
        ),
    ],
)
def test_brazilian_and_spanish_invoices_show_money_and_dates_their_way(
    language: Language, currency: str, subject: str, rows: list[str]
) -> None:
    # Given an unpaid invoice of 1234.5 due 15 December 2026 in the client's currency
    email = an_item_email("invoice", language, item_title="NF 42", invoice=an_invoice(currency=currency))

    # When it is rendered
    content = render_item_email(email)

    # Then the amount and the due date read as they do in the client's country
    assert content.subject == subject
    assert all(row in content.text.splitlines() for row in rows)


# --- the firm's escalation email (SPEC R19) ----------------------------------------------------------


def _escalation(language: Language, **changes: Any) -> EscalationEmail:
    email = EscalationEmail(
        language=language,
        firm_name=FIRM,
        account_name="Souza <Family>",
        kind="invoice",
        item_title=TITLE,
        days=14,
        portal_link=LINK,
        sent=(
            SentEmail(day=date(2026, 11, 27)),
            SentEmail(day=date(2026, 12, 7), number=1, tone="gentle"),
            SentEmail(day=date(2026, 12, 9), manual=True),
            SentEmail(day=date(2026, 12, 17), number=2, tone="final"),
        ),
        due_date=date(2026, 12, 10),
    )
    return replace(email, **changes)


def test_the_escalation_email_names_the_account_the_item_and_what_was_sent_when() -> None:
    # When the escalation email is rendered in English
    content = render_escalation_email(_escalation("en"))

    # Then its subject names the account and the item, and its text part lists each email by day and tone
    assert content.subject == f"Escalation: Souza <Family> has not acted on “{TITLE}”"
    assert content.text.splitlines()[:3] == [
        "Hello,",
        "",
        f"Souza <Family> has not acted on the invoice “{TITLE}” in the 14 days since its last automatic reminder. "
        "The reminders are over: the next step is yours.",
    ]
    for line in (
        "It was due on 10 December 2026.",
        "- 27 November 2026: the first email",
        "- 7 December 2026: Reminder (gentle)",
        "- 9 December 2026: a reminder sent by the firm",
        "- 17 December 2026: Final reminder (final)",
        f"Open the item:\n{LINK}",
    ):
        assert line in content.text
    # and the HTML part says the same, every value escaped, in the layout every email has
    assert "Souza &lt;Family&gt;" in content.html
    assert "Souza <Family>" not in content.html
    assert escape(LINK, quote=True) in content.html
    assert "max-width:600px" in content.html


def test_the_escalation_email_has_portuguese_words_too() -> None:
    content = render_escalation_email(_escalation("pt-PT"))
    assert content.subject == f"Escalamento: Souza <Family> não tratou de “{TITLE}”"
    assert "- 7 de dezembro de 2026: Lembrete (cordial)" in content.text
    assert "- 17 de dezembro de 2026: Último lembrete (final)" in content.text
    assert "Vencia a 10 de dezembro de 2026." in content.text


def test_an_escalation_without_a_due_date_or_history_says_neither() -> None:
    content = render_escalation_email(_escalation("en", due_date=None, sent=()))
    assert "due on" not in content.text
    assert "What the client was sent" not in content.text


def test_an_escalation_in_the_firms_own_words_keeps_what_was_sent_the_button_and_the_footer() -> None:
    # Given the firm's own wording of its escalations, with markup of its own
    wording = Wording(
        subject="{{client_name}}: {{item_title}} ({{days_overdue}} days late)",
        body="Call {{contact_first_name}} <b>today</b> about {{amount}}; {{reminder_number}} reminders went.\n\n"
        "Due {{due_date}}, first sent {{first_sent_on}}.",
    )
    email = _escalation(
        "en",
        contact_first_name="Ana",
        invoice=InvoiceSummary(amount=Decimal("1250.00"), currency="EUR", paid=False, balance_due=Decimal("1250.00")),
        today=date(2026, 12, 31),
        first_sent=date(2026, 11, 27),
        reminders_sent=2,
    )

    # When the escalation is rendered with it
    content = render_escalation_email(email, wording)

    # Then the firm's subject and paragraphs follow the greeting, with the values in, instead of the built-in words
    assert content.subject == f"Souza <Family>: {TITLE} (21 days late)"
    assert content.text.splitlines()[:5] == [
        "Hello,",
        "",
        "Call Ana <b>today</b> about EUR 1,250.00; 2 reminders went.",
        "",
        "Due 10 December 2026, first sent 27 November 2026.",
    ]
    assert "has not acted on" not in content.text
    # And what was sent, the item's button and the footer stay
    assert "What the client was sent:\n\n- 27 November 2026: the first email" in content.text
    assert f"Open the item:\n{LINK}" in content.text
    assert "\n-- \nYou receive this email because this item escalates" in content.text
    # And the HTML part has the firm's markup and the values as text, the first paragraph as preheader
    assert "<b>today" not in content.html
    assert "Call Ana &lt;b&gt;today&lt;/b&gt; about EUR 1,250.00" in content.html
    assert "Souza <Family>" not in content.html
    assert content.html.count("Call Ana &lt;b&gt;today&lt;/b&gt;") == 2  # the preheader and the paragraph
