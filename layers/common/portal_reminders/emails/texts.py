"""Every word a client reads, per language and per kind.

Templates are `str.format` strings. Placeholders: {firm}, {title}, {name}, {count}, {amount},
{balance}, {due_date}; money and dates have their own ({currency}, {number}, {day}, {month},
{year}). The renderer escapes the values for HTML; the templates hold no markup, so the same
wording serves the text and the HTML part.
Portuguese is European Portuguese, like the product's help article.
"""

from dataclasses import dataclass

from portal_reminders.emails.model import Kind, Language


@dataclass(frozen=True, slots=True)
class KindWording:
    subject: str
    notification_intro: str
    reminder_intro: str
    call_to_action: str
    button: str


@dataclass(frozen=True, slots=True)
class InvoiceWording:
    amount_label: str
    due_date_label: str
    balance_label: str
    status_label: str
    paid_status: str
    partially_paid: str
    paid_subject: str
    paid_intro: str
    paid_no_action: str
    paid_button: str


@dataclass(frozen=True, slots=True)
class ApprovalsWording:
    subject_one: str
    subject_many: str
    intro_one: str
    intro_many: str
    call_to_action_one: str
    call_to_action_many: str
    button: str


@dataclass(frozen=True, slots=True)
class LanguageWording:
    kinds: dict[Kind, KindWording]
    invoice: InvoiceWording
    approvals: ApprovalsWording
    reminder_prefix: str
    greeting: str
    generic_greeting: str
    note_heading: str
    link_fallback: str
    sign_off: str
    footer: str
    money_format: str
    thousands_separator: str
    decimal_separator: str
    date_format: str
    months: tuple[str, ...]


ENGLISH = LanguageWording(
    kinds={
        "organizer": KindWording(
            subject="{firm}: please complete your questionnaire “{title}”",
            notification_intro="{firm} has sent you the questionnaire “{title}”.",
            reminder_intro="This is a reminder: the questionnaire “{title}” from {firm} "
            "is still waiting for your answers.",
            call_to_action="Please complete and submit the questionnaire in your client portal.",
            button="Complete the questionnaire",
        ),
        "proposal": KindWording(
            subject="{firm}: please review and sign the proposal “{title}”",
            notification_intro="{firm} has sent you the proposal “{title}”.",
            reminder_intro="This is a reminder: the proposal “{title}” from {firm} "
            "is still waiting for your signature.",
            call_to_action="Please review and sign the proposal (engagement letter) in your client portal.",
            button="Review and sign the proposal",
        ),
        "invoice": KindWording(
            subject="{firm}: please pay invoice “{title}” ({amount}, due {due_date})",
            notification_intro="{firm} has sent you the invoice “{title}”.",
            reminder_intro="This is a reminder: the invoice “{title}” from {firm} is still unpaid.",
            call_to_action="Please pay the invoice in your client portal by {due_date}.",
            button="Pay the invoice",
        ),
        "chat": KindWording(
            subject="{firm}: please read and reply to the message “{title}”",
            notification_intro="{firm} has sent you the message “{title}”, which needs your attention.",
            reminder_intro="This is a reminder: the message “{title}” from {firm} is still waiting for your reply.",
            call_to_action="Please read the message and reply in your client portal.",
            button="Read and reply",
        ),
        "signature": KindWording(
            subject="{firm}: please sign the document “{title}”",
            notification_intro="{firm} has sent you the document “{title}” to sign.",
            reminder_intro="This is a reminder: the document “{title}” from {firm} "
            "is still waiting for your signature.",
            call_to_action="Please sign the document in your client portal.",
            button="Sign the document",
        ),
        "approval": KindWording(
            subject="{firm}: please review and approve the document “{title}”",
            notification_intro="{firm} has sent you the document “{title}” for your approval.",
            reminder_intro="This is a reminder: the document “{title}” from {firm} is still waiting for your approval.",
            call_to_action="Please review and approve the document in your client portal.",
            button="Review and approve",
        ),
    },
    invoice=InvoiceWording(
        amount_label="Amount",
        due_date_label="Due date",
        balance_label="Balance due",
        status_label="Status",
        paid_status="Paid",
        partially_paid="Part of this invoice has already been paid; the balance due is {balance}.",
        paid_subject="{firm}: invoice “{title}” (paid)",
        paid_intro="{firm} has sent you a copy of the invoice “{title}” for your records.",
        paid_no_action="This invoice is paid. No action is needed.",
        paid_button="View the invoice",
    ),
    approvals=ApprovalsWording(
        subject_one="{firm}: 1 document waiting for your approval",
        subject_many="{firm}: {count} documents waiting for your approval",
        intro_one="{firm} has a document waiting for your approval:",
        intro_many="{firm} has {count} documents waiting for your approval:",
        call_to_action_one="Please review and approve it in your client portal.",
        call_to_action_many="Please review and approve them in your client portal.",
        button="Review and approve",
    ),
    reminder_prefix="Reminder: ",
    greeting="Hi {name},",
    generic_greeting="Hello,",
    note_heading="A note from {firm}:",
    link_fallback="If the button does not work, copy this link into your browser:",
    sign_off="Kind regards,\n{firm}",
    footer="You are receiving this email because {firm} uses a client portal to share requests and documents with you.",
    money_format="{currency} {number}",
    thousands_separator=",",
    decimal_separator=".",
    date_format="{day} {month} {year}",
    months=(
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
)

PORTUGUESE = LanguageWording(
    kinds={
        "organizer": KindWording(
            subject="{firm}: preencha o questionário «{title}»",
            notification_intro="{firm} enviou-lhe o questionário «{title}».",
            reminder_intro="Este é um lembrete: o questionário «{title}», enviado por {firm}, "
            "ainda aguarda as suas respostas.",
            call_to_action="Preencha e submeta o questionário no portal do cliente.",
            button="Preencher o questionário",
        ),
        "proposal": KindWording(
            subject="{firm}: reveja e assine a proposta «{title}»",
            notification_intro="{firm} enviou-lhe a proposta «{title}».",
            reminder_intro="Este é um lembrete: a proposta «{title}», enviada por {firm}, "
            "ainda aguarda a sua assinatura.",
            call_to_action="Reveja e assine a proposta (carta de compromisso) no portal do cliente.",
            button="Rever e assinar a proposta",
        ),
        "invoice": KindWording(
            subject="{firm}: pague a fatura «{title}» ({amount}, vence a {due_date})",
            notification_intro="{firm} enviou-lhe a fatura «{title}».",
            reminder_intro="Este é um lembrete: a fatura «{title}», enviada por {firm}, ainda não foi paga.",
            call_to_action="Pague a fatura no portal do cliente até {due_date}.",
            button="Pagar a fatura",
        ),
        "chat": KindWording(
            subject="{firm}: leia e responda à mensagem «{title}»",
            notification_intro="{firm} enviou-lhe a mensagem «{title}», que precisa da sua atenção.",
            reminder_intro="Este é um lembrete: a mensagem «{title}», enviada por {firm}, "
            "ainda aguarda a sua resposta.",
            call_to_action="Leia a mensagem e responda no portal do cliente.",
            button="Ler e responder",
        ),
        "signature": KindWording(
            subject="{firm}: assine o documento «{title}»",
            notification_intro="{firm} enviou-lhe o documento «{title}» para assinar.",
            reminder_intro="Este é um lembrete: o documento «{title}», enviado por {firm}, "
            "ainda aguarda a sua assinatura.",
            call_to_action="Assine o documento no portal do cliente.",
            button="Assinar o documento",
        ),
        "approval": KindWording(
            subject="{firm}: reveja e aprove o documento «{title}»",
            notification_intro="{firm} enviou-lhe o documento «{title}» para aprovação.",
            reminder_intro="Este é um lembrete: o documento «{title}», enviado por {firm}, "
            "ainda aguarda a sua aprovação.",
            call_to_action="Reveja e aprove o documento no portal do cliente.",
            button="Rever e aprovar",
        ),
    },
    invoice=InvoiceWording(
        amount_label="Valor",
        due_date_label="Data de vencimento",
        balance_label="Saldo em dívida",
        status_label="Estado",
        paid_status="Paga",
        partially_paid="Parte desta fatura já foi paga; o saldo em dívida é de {balance}.",
        paid_subject="{firm}: fatura «{title}» (paga)",
        paid_intro="{firm} enviou-lhe uma cópia da fatura «{title}» para os seus registos.",
        paid_no_action="Esta fatura está paga. Não precisa de fazer nada.",
        paid_button="Ver a fatura",
    ),
    approvals=ApprovalsWording(
        subject_one="{firm}: 1 documento a aguardar a sua aprovação",
        subject_many="{firm}: {count} documentos a aguardar a sua aprovação",
        intro_one="{firm} tem um documento a aguardar a sua aprovação:",
        intro_many="{firm} tem {count} documentos a aguardar a sua aprovação:",
        call_to_action_one="Reveja e aprove-o no portal do cliente.",
        call_to_action_many="Reveja e aprove-os no portal do cliente.",
        button="Rever e aprovar",
    ),
    reminder_prefix="Lembrete: ",
    greeting="Olá {name},",
    generic_greeting="Olá,",
    note_heading="Uma nota de {firm}:",
    link_fallback="Se o botão não funcionar, copie esta ligação para o seu navegador:",
    sign_off="Com os melhores cumprimentos,\n{firm}",
    footer="Recebe este e-mail porque {firm} utiliza um portal do cliente para partilhar pedidos e documentos consigo.",
    money_format="{number} {currency}",
    thousands_separator=".",
    decimal_separator=",",
    date_format="{day} de {month} de {year}",
    months=(
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ),
)

WORDING: dict[Language, LanguageWording] = {"en": ENGLISH, "pt": PORTUGUESE}
