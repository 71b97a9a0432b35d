"""Turn an email's facts into a subject, a plain-text part and an HTML part.

Both parts are rendered from one list of blocks, so they always say the same thing: the text
part with values as they are, the HTML part with every value escaped. The firm's brand (SPEC R21)
is an input like the rest: its logo heads the HTML part, its accent colours the button and the
header rule (colors.py keeps the button readable), its signature follows the sign-off in both.
The HTML part opens with a hidden preheader, the line inbox lists show after the subject: the
email's call to action (the paragraph marked `preheader`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from html import escape
from typing import assert_never

from portal_reminders.emails import colors
from portal_reminders.emails.catalogue import WORDING
from portal_reminders.emails.model import (
    NO_BRAND,
    Brand,
    DigestEmail,
    EmailContent,
    EscalationEmail,
    InvoiceSummary,
    ItemEmail,
    Language,
    PendingApprovalsEmail,
    SentEmail,
)
from portal_reminders.emails.texts import EscalationWording, KindWording, LanguageWording, ReminderWording
from portal_reminders.emails.wording import Wording
from portal_reminders.emails.wording import render as render_wording

SUBJECT_TITLE_LIMIT = 120
SUBJECT_FIRM_LIMIT = 80
ELLIPSIS = "…"
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class _Paragraph:
    template: str
    values: Mapping[str, str]
    # what the email asks, in one line: the HTML part's preheader
    preheader: bool = False


@dataclass(frozen=True, slots=True)
class _Details:
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class _Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Note:
    heading: _Paragraph
    message: str


@dataclass(frozen=True, slots=True)
class _Button:
    label: str
    url: str
    fallback: str


@dataclass(frozen=True, slots=True)
class _Heading:
    """An item's heading in a digest."""

    paragraph: _Paragraph


@dataclass(frozen=True, slots=True)
class _Written:
    """A paragraph of the firm's own wording, already rendered as text and as escaped HTML."""

    text: str
    html: str
    preheader: bool = False


_Block = _Paragraph | _Details | _Bullets | _Note | _Button | _Written | _Heading


def render_item_email(email: ItemEmail, wording: Wording | None = None) -> EmailContent:
    """The email; `wording`, the firm's own words for its kind, stage and language (SPEC R21),
    replaces the built-in subject and body, within the same greeting, brand, button and footer.
    A paid invoice's copy keeps the built-in words: it asks nothing of the client."""
    words = WORDING[email.language]
    paid = email.invoice is not None and email.invoice.paid
    if wording is not None and not paid:
        subject, blocks = _firm_wording_email(email, words, wording)
    else:
        subject, blocks = _built_in_email(email, words)
    return _assemble(
        language=email.language,
        words=words,
        firm_name=email.firm_name,
        recipient_name=email.recipient_name,
        subject=subject,
        content=blocks,
        brand=email.brand,
    )


def render_pending_approvals_email(email: PendingApprovalsEmail) -> EmailContent:
    if not email.documents:
        raise ValueError("a pending approvals email needs at least one document")
    words = WORDING[email.language]
    approvals = words.approvals
    count = len(email.documents)
    one = count == 1
    values = {"firm": email.firm_name, "count": str(count)}
    subject = (approvals.subject_one if one else approvals.subject_many).format(
        firm=_subject_part(email.firm_name, SUBJECT_FIRM_LIMIT), count=count
    )
    blocks: list[_Block] = [
        _Paragraph(approvals.intro_one if one else approvals.intro_many, values),
        _Bullets(tuple(_single_line(title) for title in email.documents)),
        _Paragraph(approvals.call_to_action_one if one else approvals.call_to_action_many, values, preheader=True),
        *_note(email.message, email.firm_name, words),
        _Button(approvals.button, email.portal_link, words.link_fallback),
    ]
    return _assemble(
        language=email.language,
        words=words,
        firm_name=email.firm_name,
        recipient_name=email.recipient_name,
        subject=subject,
        content=blocks,
        brand=email.brand,
    )


def render_digest_email(email: DigestEmail) -> EmailContent:
    """Every reminder of the day in one email (SPEC R20): each item under its own heading, saying
    what its own reminder would (which one, in its tone, its due status), with its own button."""
    if not email.items:
        raise ValueError("a digest needs at least one item")
    words = WORDING[email.language]
    count = str(len(email.items))
    values = {"firm": email.firm_name, "count": count}
    subject = words.digest.subject.format(firm=_subject_part(email.firm_name, SUBJECT_FIRM_LIMIT), count=count)
    blocks: list[_Block] = [_Paragraph(words.digest.intro, values, preheader=True)]
    for position, item in enumerate(email.items, start=1):
        heading = {"position": str(position), "count": count, "title": _single_line(item.item_title)}
        blocks.append(_Heading(_Paragraph(words.digest.item_heading, heading)))
        blocks.extend(_built_in_email(item, words)[1])  # each item as its own reminder says it
    return _assemble(
        language=email.language,
        words=words,
        firm_name=email.firm_name,
        recipient_name=email.recipient_name,
        subject=subject,
        content=blocks,
        brand=email.brand,
    )


def _built_in_email(email: ItemEmail, words: LanguageWording) -> tuple[str, list[_Block]]:
    """The item's subject and what its email says in the built-in words, without its greeting
    and sign-off."""
    if email.kind == "invoice":
        return _invoice_email(email, words)
    return _action_email(email, words, words.kinds[email.kind], {})


def render_escalation_email(email: EscalationEmail, wording: Wording | None = None) -> EmailContent:
    """The firm-facing escalation (stage "escalation"): who has not acted on what, since when, what
    the client was sent and when, and the item's link. `wording`, the firm's own words for it (SPEC
    R21), replaces the built-in subject and the paragraphs before the list of what was sent."""
    if wording is not None:
        return _firm_worded_escalation(email, wording)
    words = WORDING[email.language]
    escalation = words.escalation
    values = {
        "account": email.account_name,
        "title": email.item_title,
        "kind": escalation.kind_names[email.kind],
        "days": str(email.days),
        "firm": email.firm_name,
    }
    subject = escalation.subject.format(
        account=_subject_part(email.account_name, SUBJECT_FIRM_LIMIT),
        title=_subject_part(email.item_title, SUBJECT_TITLE_LIMIT),
    )
    intro = _Paragraph(escalation.intro, values)
    blocks: list[_Block] = [_Paragraph(escalation.greeting, {}), intro]
    if email.due_date is not None:
        blocks.append(_Paragraph(escalation.due, {"due_date": format_date(email.due_date, email.language)}))
    if email.sent:
        blocks.append(_Paragraph(escalation.sent_heading, {}))
        lines = (_sent_line(sent, email.language, escalation, words.reminders) for sent in email.sent)
        blocks.append(_Bullets(tuple(lines)))
    blocks += [
        _Paragraph(escalation.next_step, {}),
        _Button(escalation.button, email.portal_link, words.link_fallback),
        _Paragraph(escalation.sign_off, {"firm": email.firm_name}),
    ]
    return _escalation_document(email, subject, blocks, _paragraph_text(intro))


def _firm_worded_escalation(email: EscalationEmail, wording: Wording) -> EmailContent:
    """The escalation in the firm's words: its paragraphs after the greeting, then what was sent,
    the item's button, the sign-off and the footer, as in the built-in one."""
    words = WORDING[email.language]
    escalation = words.escalation
    values = escalation_wording_values(email)
    subject_values = {name: _subject_part(value, SUBJECT_TITLE_LIMIT) for name, value in values.items()}
    rendered = render_wording(wording, values, subject_values)
    written = [_Written(text, html) for text, html in rendered.paragraphs]
    blocks: list[_Block] = [_Paragraph(escalation.greeting, {}), *written]
    if email.sent:
        blocks.append(_Paragraph(escalation.sent_heading, {}))
        lines = (_sent_line(sent, email.language, escalation, words.reminders) for sent in email.sent)
        blocks.append(_Bullets(tuple(lines)))
    blocks += [
        _Button(escalation.button, email.portal_link, words.link_fallback),
        _Paragraph(escalation.sign_off, {"firm": email.firm_name}),
    ]
    preheader = _single_line(written[0].text) if written else rendered.subject
    return _escalation_document(email, rendered.subject, blocks, preheader)


def _escalation_document(email: EscalationEmail, subject: str, blocks: list[_Block], preheader: str) -> EmailContent:
    footer = _Paragraph(WORDING[email.language].escalation.footer, {})
    subject = _single_line(subject)
    return EmailContent(
        subject=subject,
        text=_text_document(blocks, footer),
        html=_html_document(_Page(email.language, subject, email.firm_name, preheader, NO_BRAND), blocks, footer),
    )


def _sent_line(sent: SentEmail, language: Language, words: EscalationWording, reminders: ReminderWording) -> str:
    day = format_date(sent.day, language)
    if sent.manual:
        return words.manual.format(day=day)
    if sent.number == 0:
        return words.notification.format(day=day)
    if sent.tone == "final":
        label = reminders.final
    elif sent.number <= len(reminders.ordinals):
        label = reminders.ordinals[sent.number - 1]
    else:
        label = reminders.numbered.format(number=sent.number)
    tone = words.tones[sent.tone] if sent.tone is not None else ""
    return words.automatic.format(day=day, label=label, tone=tone).replace(" ()", "")


def format_money(amount: Decimal, currency: str, language: Language) -> str:
    money = WORDING[language].money
    english_style = f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"
    number = english_style.translate(str.maketrans(",.", money.thousands_separator + money.decimal_separator))
    code = currency.strip().upper()
    return money.format.format(currency=money.symbols.get(code, code), number=number)


def format_date(day: date, language: Language) -> str:
    words = WORDING[language]
    return words.date_format.format(day=day.day, month=words.months[day.month - 1], year=day.year)


def wording_values(email: ItemEmail) -> dict[str, str]:
    """Every placeholder's value for this email, as text ("" where it does not apply: no due date,
    not an invoice, not an automatic reminder)."""
    return _placeholder_values(
        email.language,
        client_name=email.client_name,
        contact_first_name=email.recipient_name,
        firm_name=email.firm_name,
        item_title=email.item_title,
        due=email.due_date,
        invoice=email.invoice,
        today=email.today,
        reminder_number=email.number,
        first_sent=email.first_sent,
        portal_link=email.portal_link,
    )


def escalation_wording_values(email: EscalationEmail) -> dict[str, str]:
    """The placeholders' values in the escalation to the firm: the same facts about the client and
    the item, its first notify contact's name, and as {{reminder_number}} how many automatic
    reminders went."""
    return _placeholder_values(
        email.language,
        client_name=email.account_name,
        contact_first_name=email.contact_first_name,
        firm_name=email.firm_name,
        item_title=email.item_title,
        due=email.due_date,
        invoice=email.invoice,
        today=email.today,
        reminder_number=email.reminders_sent,
        first_sent=email.first_sent,
        portal_link=email.portal_link,
    )


def _placeholder_values(
    language: Language,
    *,
    client_name: str,
    contact_first_name: str,
    firm_name: str,
    item_title: str,
    due: date | None,
    invoice: InvoiceSummary | None,
    today: date | None,
    reminder_number: int | None,
    first_sent: date | None,
    portal_link: str,
) -> dict[str, str]:
    days = None if due is None or today is None else (due - today).days
    return {
        "client_name": client_name,
        "contact_first_name": contact_first_name,
        "firm_name": firm_name,
        "item_title": item_title,
        "due_date": "" if due is None else format_date(due, language),
        "amount": "" if invoice is None else format_money(invoice.amount, invoice.currency, language),
        "balance_due": "" if invoice is None else format_money(invoice.balance_due, invoice.currency, language),
        "days_overdue": "" if days is None else str(max(0, -days)),
        "days_until_due": "" if days is None else str(max(0, days)),
        "reminder_number": "" if reminder_number is None else str(reminder_number),
        "first_sent_on": "" if first_sent is None else format_date(first_sent, language),
        "portal_link": portal_link,
    }


def _firm_wording_email(email: ItemEmail, words: LanguageWording, wording: Wording) -> tuple[str, list[_Block]]:
    values = wording_values(email)
    subject_values = {name: _subject_part(value, SUBJECT_TITLE_LIMIT) for name, value in values.items()}
    rendered = render_wording(wording, values, subject_values)
    paragraphs: list[_Block] = [
        _Written(text, html, preheader=position == 0) for position, (text, html) in enumerate(rendered.paragraphs)
    ]
    # the firm's words, then what is always there: the firm user's message and the portal button
    button = words.kinds[email.kind].button
    blocks: list[_Block] = [
        *paragraphs,
        *_note(email.message, email.firm_name, words),
        _Button(button, email.portal_link, words.link_fallback),
    ]
    return rendered.subject, blocks


def _invoice_email(email: ItemEmail, words: LanguageWording) -> tuple[str, list[_Block]]:
    invoice = email.invoice
    if invoice is None or email.due_date is None:
        # R12: an invoice email always states the amount and the due date.
        raise ValueError("an invoice email needs its invoice summary and its due date")
    values = _invoice_values(invoice, email.due_date, email.language)
    if invoice.paid:
        return _paid_invoice_email(email, words, values)
    return _action_email(email, words, words.kinds["invoice"], values)


def _invoice_values(invoice: InvoiceSummary, due_date: date, language: Language) -> dict[str, str]:
    amount_to_pay = invoice.balance_due if _is_partially_paid(invoice) else invoice.amount
    return {
        "amount": format_money(amount_to_pay, invoice.currency, language),
        "total": format_money(invoice.amount, invoice.currency, language),
        "balance": format_money(invoice.balance_due, invoice.currency, language),
        "due_date": format_date(due_date, language),
    }


def _is_partially_paid(invoice: InvoiceSummary) -> bool:
    return not invoice.paid and invoice.balance_due < invoice.amount


def _action_email(
    email: ItemEmail, words: LanguageWording, kind_words: KindWording, extra_values: Mapping[str, str]
) -> tuple[str, list[_Block]]:
    values = {"firm": email.firm_name, "title": email.item_title, **extra_values}
    if email.purpose == "reminder":
        subject, opening, call_to_action = _reminder_parts(email, words, kind_words, values)
    else:
        subject = _format_subject(kind_words.subject, email, extra_values)
        opening, call_to_action = _Paragraph(kind_words.notification_intro, values), kind_words.call_to_action
    blocks: list[_Block] = [
        opening,
        *(_invoice_blocks(email.invoice, words, values) if email.invoice else _due_date_blocks(email, words)),
        _Paragraph(call_to_action, values, preheader=True),
        *_note(email.message, email.firm_name, words),
        _Button(kind_words.button, email.portal_link, words.link_fallback),
    ]
    return subject, blocks


def _reminder_parts(
    email: ItemEmail, words: LanguageWording, kind_words: KindWording, values: Mapping[str, str]
) -> tuple[str, _Paragraph, str]:
    """A reminder's subject, opening and call to action (SPEC R12, R19): which reminder it is, in its
    tone, when the item was first sent, and where it stands against its due date on the client's
    calendar. The wording's {subject} and {pending} are the kind's own templates, filled in first."""
    reminder = words.reminders
    due = _due_status(email, words)
    values = {**values, "label": _label(email, reminder), **(due.values if due else {})}
    if email.kind == "invoice" and due is not None:
        subject = words.invoice.reminder_subject
    elif due is not None:
        subject = reminder.subject_due.replace("{subject}", kind_words.subject)
    else:
        subject = kind_words.subject
    sentences = [_opening(email, reminder).replace("{pending}", kind_words.pending)]
    if email.first_sent is not None:
        sentences.append(reminder.first_sent)
        values["first_sent"] = format_date(email.first_sent, email.language)
    if due is not None:
        sentences.append(due.sentence)
    overdue = due is not None and due.overdue
    call_to_action = words.invoice.overdue_call_to_action if email.kind == "invoice" and overdue else None
    return (
        _format_subject(reminder.subject.replace("{subject}", subject), email, values),
        _Paragraph(" ".join(sentences), values),
        call_to_action or kind_words.call_to_action,
    )


def _label(email: ItemEmail, reminder: ReminderWording) -> str:
    """Which reminder it is: a resend by hand is a plain "Reminder", an automatic one its ordinal."""
    if email.number is None:
        return reminder.ordinals[0]
    if email.tone == "final":
        return reminder.final
    if email.number <= len(reminder.ordinals):
        return reminder.ordinals[email.number - 1]
    return reminder.numbered.format(number=email.number)


def _opening(email: ItemEmail, reminder: ReminderWording) -> str:
    match email.tone:
        case None:
            return reminder.manual
        case "gentle":
            return reminder.gentle
        case "firm":
            return reminder.firm
        case "final":
            return reminder.final_opening
        case _:
            assert_never(email.tone)


@dataclass(frozen=True, slots=True)
class _DueStatus:
    sentence: str  # a template of the DueWording
    values: Mapping[str, str]  # due_status (short, for the subject), days, due_date
    overdue: bool


def _due_status(email: ItemEmail, words: LanguageWording) -> _DueStatus | None:
    """Where the item stands against its due date on the client's calendar the day it is sent."""
    if email.due_date is None or email.today is None:
        return None
    due, days = words.due, (email.due_date - email.today).days
    if days > 1:
        short, sentence = due.in_days, due.in_days_sentence
    elif days == 1:
        short, sentence = due.tomorrow, due.tomorrow_sentence
    elif days == 0:
        short, sentence = due.today, due.today_sentence
    elif days == -1:
        short, sentence = due.overdue_one, due.overdue_one_sentence
    else:
        short, sentence = due.overdue_days, due.overdue_days_sentence
    count = str(abs(days))
    values = {"days": count, "due_date": format_date(email.due_date, email.language)}
    return _DueStatus(sentence, {**values, "due_status": short.format(days=count)}, overdue=days < 0)


def _paid_invoice_email(
    email: ItemEmail, words: LanguageWording, invoice_values: Mapping[str, str]
) -> tuple[str, list[_Block]]:
    # A paid invoice is re-emailed as a copy for the client's records, whatever the purpose:
    # there is nothing left to remind them of, so no "Reminder:" and no call to pay.
    invoice_words = words.invoice
    values = {"firm": email.firm_name, "title": email.item_title, **invoice_values}
    blocks: list[_Block] = [
        _Paragraph(invoice_words.paid_intro, values),
        *_invoice_blocks(email.invoice, words, values),
        _Paragraph(invoice_words.paid_no_action, values, preheader=True),
        *_note(email.message, email.firm_name, words),
        _Button(invoice_words.paid_button, email.portal_link, words.link_fallback),
    ]
    return _format_subject(invoice_words.paid_subject, email, invoice_values), blocks


def _due_date_blocks(email: ItemEmail, words: LanguageWording) -> list[_Block]:
    if email.due_date is None:
        return []
    return [_Details(((words.due_date_label, format_date(email.due_date, email.language)),))]


def _invoice_blocks(invoice: InvoiceSummary | None, words: LanguageWording, values: Mapping[str, str]) -> list[_Block]:
    if invoice is None:
        return []
    invoice_words = words.invoice
    rows = [(invoice_words.amount_label, values["total"]), (words.due_date_label, values["due_date"])]
    if invoice.paid:
        return [_Details((*rows, (invoice_words.status_label, invoice_words.paid_status)))]
    if _is_partially_paid(invoice):
        return [
            _Details((*rows, (invoice_words.balance_label, values["balance"]))),
            _Paragraph(invoice_words.partially_paid, values),
        ]
    return [_Details(tuple(rows))]


def _note(message: str | None, firm_name: str, words: LanguageWording) -> list[_Block]:
    if message is None or not message.strip():
        return []
    return [_Note(_Paragraph(words.note_heading, {"firm": firm_name}), message.strip())]


def _format_subject(template: str, email: ItemEmail, extra_values: Mapping[str, str]) -> str:
    return template.format_map(
        {
            **extra_values,
            "firm": _subject_part(email.firm_name, SUBJECT_FIRM_LIMIT),
            "title": _subject_part(email.item_title, SUBJECT_TITLE_LIMIT),
        }
    )


def _subject_part(value: str, limit: int) -> str:
    """One line, bounded: a CR or LF in a subject would let a value inject mail headers."""
    line = _single_line(value)
    if len(line) <= limit:
        return line
    return line[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def _single_line(value: str) -> str:
    # str.split() already breaks on every Unicode line separator; the other control
    # characters (NUL, ESC, ...) have no business in a subject or a list item either.
    printable = "".join(" " if _is_control(character) else character for character in value)
    return " ".join(printable.split())


def _is_control(character: str) -> bool:
    return character < " " or "\x7f" <= character <= "\x9f"


def _assemble(
    *,
    language: Language,
    words: LanguageWording,
    firm_name: str,
    recipient_name: str,
    subject: str,
    content: list[_Block],
    brand: Brand,
) -> EmailContent:
    firm = {"firm": firm_name}
    blocks: list[_Block] = [
        _greeting(recipient_name, words),
        *content,
        _Paragraph(words.sign_off, firm),
        *_signature(brand.signature),
    ]
    footer = _Paragraph(words.footer, firm)
    subject = _single_line(subject)
    return EmailContent(
        subject=subject,
        text=_text_document(blocks, footer),
        html=_html_document(_Page(language, subject, firm_name, _preheader(content, subject), brand), blocks, footer),
    )


def _signature(signature: str | None) -> list[_Block]:
    # the firm's text, as text: {braces} in it are not placeholders, and HTML in it is escaped
    if signature is None or not signature.strip():
        return []
    return [_Paragraph("{signature}", {"signature": signature.strip()})]


def _preheader(content: list[_Block], subject: str) -> str:
    marked = next((b for b in content if isinstance(b, _Paragraph | _Written) and b.preheader), None)
    if marked is None:
        return subject
    return _single_line(marked.text if isinstance(marked, _Written) else _paragraph_text(marked))


def _greeting(recipient_name: str, words: LanguageWording) -> _Paragraph:
    name = _single_line(recipient_name)
    if not name:
        return _Paragraph(words.generic_greeting, {})
    return _Paragraph(words.greeting, {"name": name})


# --- plain text ---------------------------------------------------------------------------


def _text_document(blocks: list[_Block], footer: _Paragraph) -> str:
    body = "\n\n".join(_block_text(block) for block in blocks)
    return f"{body}\n\n-- \n{_paragraph_text(footer)}\n"


def _block_text(block: _Block) -> str:
    match block:
        case _Paragraph():
            return _paragraph_text(block)
        case _Details():
            return "\n".join(f"{label}: {value}" for label, value in block.rows)
        case _Bullets():
            return "\n".join(f"- {item}" for item in block.items)
        case _Note():
            return f"{_paragraph_text(block.heading)}\n{block.message}"
        case _Button():
            return f"{block.label}:\n{block.url}"
        case _Heading():
            heading = _paragraph_text(block.paragraph)
            return f"{heading}\n{'=' * min(len(heading), 60)}"
        case _Written():
            return block.text
        case _:
            assert_never(block)


def _paragraph_text(paragraph: _Paragraph) -> str:
    return paragraph.template.format_map(paragraph.values)


# --- HTML ---------------------------------------------------------------------------------

_FONT = "font-family:Arial,Helvetica,sans-serif;"
_TEXT = f"{_FONT}font-size:15px;line-height:22px;"
_TEXT_COLOR = "#1f2933"
_MUTED_COLOR = "#616e7c"
_BACKGROUND_COLOR = "#f4f5f7"
_RULE = "1px solid #e4e7eb"
_PARAGRAPH_STYLE = f"margin:0 0 16px 0;{_TEXT}color:{_TEXT_COLOR};"
# The logo's box: at most this tall, and never wider than the email (a phone's screen).
_LOGO_HEIGHT = 48
# After the preheader: invisible characters, so that inbox lists do not run on into the email's
# first words after it.
_PREHEADER_FILL = "&#847;&zwnj;&nbsp;" * 40


@dataclass(frozen=True, slots=True)
class _Page:
    language: Language
    subject: str
    firm_name: str
    preheader: str
    brand: Brand


def _html_document(page: _Page, blocks: list[_Block], footer: _Paragraph) -> str:
    brand = page.brand
    button_color = colors.button_color(brand.accent_color)
    header_rule = f"3px solid {brand.accent_color.lower()}" if brand.accent_color else _RULE
    body = "\n".join(_block_html(block, button_color) for block in blocks)
    return f"""<!DOCTYPE html>
<html lang="{page.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(page.subject)}</title>
</head>
<body style="margin:0;padding:0;background-color:{_BACKGROUND_COLOR};">
<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all;font-size:1px;\
line-height:1px;color:{_BACKGROUND_COLOR};">{escape(page.preheader)}{_PREHEADER_FILL}</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" \
style="background-color:{_BACKGROUND_COLOR};">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" \
style="width:100%;max-width:600px;background-color:#ffffff;border:1px solid #e4e7eb;">
<tr><td style="padding:20px 32px;border-bottom:{header_rule};{_FONT}font-size:20px;\
font-weight:bold;color:{_TEXT_COLOR};">{_header_html(page.firm_name, brand.logo_url)}</td></tr>
<tr><td style="padding:24px 32px 8px 32px;">
{body}
</td></tr>
<tr><td style="padding:16px 32px;border-top:1px solid #e4e7eb;{_FONT}font-size:12px;\
line-height:18px;color:{_MUTED_COLOR};">{_paragraph_html(footer)}</td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""


def _header_html(firm_name: str, logo_url: str | None) -> str:
    if logo_url is None:
        return _multiline_html(escape(firm_name))
    # max-* keep a wide or tall logo inside its box on any screen; the height attribute is for the
    # mail programs that ignore CSS sizes. The alt text (the firm's name) shows where images do not.
    return (
        f'<img src="{escape(logo_url, quote=True)}" alt="{escape(_single_line(firm_name), quote=True)}" '
        f'height="{_LOGO_HEIGHT}" style="display:block;border:0;outline:none;text-decoration:none;'
        f"width:auto;height:auto;max-width:100%;max-height:{_LOGO_HEIGHT}px;{_FONT}font-size:20px;"
        f'font-weight:bold;color:{_TEXT_COLOR};">'
    )


def _block_html(block: _Block, button_color: str) -> str:
    match block:
        case _Paragraph():
            return f'<p style="{_PARAGRAPH_STYLE}">{_paragraph_html(block)}</p>'
        case _Details():
            return _details_html(block)
        case _Bullets():
            return _bullets_html(block)
        case _Note():
            return _note_html(block)
        case _Button():
            return _button_html(block, button_color)
        case _Heading():
            return (
                f'<h2 style="margin:24px 0 12px 0;padding-top:16px;border-top:1px solid #e4e7eb;{_FONT}'
                f'font-size:17px;line-height:24px;color:{_TEXT_COLOR};">{_paragraph_html(block.paragraph)}</h2>'
            )
        case _Written():
            return f'<p style="{_PARAGRAPH_STYLE}">{_multiline_html(block.html)}</p>'
        case _:
            assert_never(block)


def _paragraph_html(paragraph: _Paragraph) -> str:
    escaped_values = {key: escape(value) for key, value in paragraph.values.items()}
    return _multiline_html(escape(paragraph.template).format_map(escaped_values))


def _multiline_html(escaped: str) -> str:
    return "<br>\n".join(escaped.splitlines())


def _details_html(details: _Details) -> str:
    label_style = f"padding:4px 16px 4px 0;{_TEXT}color:{_MUTED_COLOR};"
    value_style = f"padding:4px 0;{_TEXT}font-weight:bold;color:{_TEXT_COLOR};"
    rows = "\n".join(
        f'<tr><td style="{label_style}">{escape(label)}</td><td style="{value_style}">{escape(value)}</td></tr>'
        for label, value in details.rows
    )
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        f'style="margin:0 0 16px 0;">\n{rows}\n</table>'
    )


def _bullets_html(bullets: _Bullets) -> str:
    items = "\n".join(f'<li style="margin:0 0 4px 0;">{_multiline_html(escape(item))}</li>' for item in bullets.items)
    return f'<ul style="margin:0 0 16px 0;padding-left:24px;{_TEXT}color:{_TEXT_COLOR};">\n{items}\n</ul>'


def _note_html(note: _Note) -> str:
    return (
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="margin:0 0 16px 0;">\n'
        '<tr><td style="padding:12px 16px;background-color:#f5f7fa;border-left:4px solid #cbd2d9;">\n'
        f'<p style="margin:0 0 8px 0;{_TEXT}font-weight:bold;color:{_TEXT_COLOR};">'
        f"{_paragraph_html(note.heading)}</p>\n"
        f'<p style="margin:0;{_TEXT}color:{_TEXT_COLOR};">{_multiline_html(escape(note.message))}</p>\n'
        "</td></tr>\n</table>"
    )


def _button_html(button: _Button, color: str) -> str:
    href = escape(button.url, quote=True)
    return (
        '<table role="presentation" cellpadding="0" cellspacing="0" border="0" '
        'style="margin:8px 0 24px 0;">\n'
        f'<tr><td align="center" bgcolor="{color}" style="border-radius:4px;background-color:{color};">'
        f'<a href="{href}" target="_blank" style="display:inline-block;padding:12px 24px;{_FONT}'
        f"font-size:16px;font-weight:bold;color:{colors.BUTTON_TEXT_COLOR};text-decoration:none;"
        "border-radius:4px;"
        f'">{escape(button.label)}</a></td></tr>\n'
        "</table>\n"
        f'<p style="margin:0 0 16px 0;{_FONT}font-size:13px;line-height:20px;color:{_MUTED_COLOR};">'
        f"{escape(button.fallback)}<br>\n"
        f'<a href="{href}" style="color:{color};word-break:break-all;">{escape(button.url)}</a></p>'
    )
