"""Every word a client reads, per language and per kind.

Templates are `str.format` strings. Placeholders: {firm}, {title}, {name}, {count}, {amount},
{balance}, {due_date}, and in reminders {label}, {pending}, {first_sent}, {due_status}, {days},
{number}; money and dates have their own ({currency}, {number}, {day}, {month}, {year}).
The renderer escapes the values for HTML; the templates hold no markup, so the same wording
serves the text and the HTML part.
Portuguese is European Portuguese, like the product's help article.
"""

from dataclasses import dataclass

from portal_reminders.emails.model import Kind, Language


@dataclass(frozen=True, slots=True)
class KindWording:
    subject: str
    notification_intro: str
    # what is still waiting, as a clause a reminder's opening completes (ReminderWording)
    pending: str
    call_to_action: str
    button: str


@dataclass(frozen=True, slots=True)
class InvoiceWording:
    amount_label: str
    balance_label: str
    status_label: str
    paid_status: str
    partially_paid: str
    paid_subject: str
    paid_intro: str
    paid_no_action: str
    paid_button: str
    # a reminder's subject ({due_status} in place of the due date) and call to action once overdue
    reminder_subject: str
    overdue_call_to_action: str


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
class DueWording:
    """Where the item stands against its due date on the client's calendar ({days}, {due_date}):
    short for subjects, as a sentence for the body."""

    in_days: str
    tomorrow: str
    today: str
    overdue_one: str
    overdue_days: str
    in_days_sentence: str
    tomorrow_sentence: str
    today_sentence: str
    overdue_one_sentence: str
    overdue_days_sentence: str


@dataclass(frozen=True, slots=True)
class ReminderWording:
    """What makes a reminder unmistakably one (SPEC R12, R19): which it is ({label}), in its tone,
    when the item was first sent, and where it stands against its due date. Openings complete the
    kind's `pending` clause; {firm} and {first_sent} are values too."""

    ordinals: tuple[str, ...]  # the 1st, 2nd ... automatic reminder's label
    numbered: str  # past the ordinals: {number}
    final: str  # the label of the final one
    subject: str  # {label}, {subject}
    subject_due: str  # {subject}, {due_status}
    manual: str  # a firm user's resend
    gentle: str
    firm: str
    final_opening: str
    first_sent: str


@dataclass(frozen=True, slots=True)
class EscalationWording:
    """The firm-facing escalation email (SPEC R19, stage "escalation"): the client has not acted
    after the last automatic reminder. Values: {account}, {title}, {kind}, {days}, {due_date},
    {day}, {label}, {tone}, {firm}."""

    kind_names: dict[Kind, str]
    subject: str
    intro: str
    due: str
    sent_heading: str
    notification: str  # one line of what was sent: {day}
    automatic: str  # {day}, {label}, {tone}
    manual: str  # {day}
    tones: dict[str, str]
    next_step: str
    button: str
    greeting: str
    sign_off: str
    footer: str


@dataclass(frozen=True, slots=True)
class LanguageWording:
    kinds: dict[Kind, KindWording]
    invoice: InvoiceWording
    approvals: ApprovalsWording
    reminders: ReminderWording
    due: DueWording
    escalation: EscalationWording
    due_date_label: str
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
            pending="the questionnaire “{title}” from {firm} is still waiting for your answers",
            call_to_action="Please complete and submit the questionnaire in your client portal.",
            button="Complete the questionnaire",
        ),
        "proposal": KindWording(
            subject="{firm}: please review and sign the proposal “{title}”",
            notification_intro="{firm} has sent you the proposal “{title}”.",
            pending="the proposal “{title}” from {firm} is still waiting for your signature",
            call_to_action="Please review and sign the proposal (engagement letter) in your client portal.",
            button="Review and sign the proposal",
        ),
        "invoice": KindWording(
            subject="{firm}: please pay invoice “{title}” ({amount}, due {due_date})",
            notification_intro="{firm} has sent you the invoice “{title}”.",
            pending="the invoice “{title}” from {firm} is still unpaid",
            call_to_action="Please pay the invoice in your client portal by {due_date}.",
            button="Pay the invoice",
        ),
        "chat": KindWording(
            subject="{firm}: please read and reply to the message “{title}”",
            notification_intro="{firm} has sent you the message “{title}”, which needs your attention.",
            pending="the message “{title}” from {firm} is still waiting for your reply",
            call_to_action="Please read the message and reply in your client portal.",
            button="Read and reply",
        ),
        "signature": KindWording(
            subject="{firm}: please sign the document “{title}”",
            notification_intro="{firm} has sent you the document “{title}” to sign.",
            pending="the document “{title}” from {firm} is still waiting for your signature",
            call_to_action="Please sign the document in your client portal.",
            button="Sign the document",
        ),
        "approval": KindWording(
            subject="{firm}: please review and approve the document “{title}”",
            notification_intro="{firm} has sent you the document “{title}” for your approval.",
            pending="the document “{title}” from {firm} is still waiting for your approval",
            call_to_action="Please review and approve the document in your client portal.",
            button="Review and approve",
        ),
    },
    invoice=InvoiceWording(
        amount_label="Amount",
        balance_label="Balance due",
        status_label="Status",
        paid_status="Paid",
        partially_paid="Part of this invoice has already been paid; the balance due is {balance}.",
        paid_subject="{firm}: invoice “{title}” (paid)",
        paid_intro="{firm} has sent you a copy of the invoice “{title}” for your records.",
        paid_no_action="This invoice is paid. No action is needed.",
        paid_button="View the invoice",
        reminder_subject="{firm}: please pay invoice “{title}” ({amount}, {due_status})",
        overdue_call_to_action="Please pay the invoice in your client portal as soon as possible.",
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
    reminders=ReminderWording(
        ordinals=(
            "Reminder",
            "Second reminder",
            "Third reminder",
            "Fourth reminder",
            "Fifth reminder",
            "Sixth reminder",
            "Seventh reminder",
            "Eighth reminder",
            "Ninth reminder",
            "Tenth reminder",
        ),
        numbered="Reminder no. {number}",
        final="Final reminder",
        subject="{label}: {subject}",
        subject_due="{subject} ({due_status})",
        manual="{label}: {pending}.",
        gentle="{label}: just a friendly note that {pending}.",
        firm="{label}: {pending}, and it needs your attention now.",
        final_opening="{label}: {pending}. This is the last reminder we will send: if it is still open, "
        "{firm} will follow up with you directly.",
        first_sent="{firm} first sent it on {first_sent}.",
    ),
    due=DueWording(
        in_days="due in {days} days",
        tomorrow="due tomorrow",
        today="due today",
        overdue_one="overdue by 1 day",
        overdue_days="overdue by {days} days",
        in_days_sentence="It is due in {days} days, on {due_date}.",
        tomorrow_sentence="It is due tomorrow, {due_date}.",
        today_sentence="It is due today, {due_date}.",
        overdue_one_sentence="It is overdue by 1 day: it was due on {due_date}.",
        overdue_days_sentence="It is overdue by {days} days: it was due on {due_date}.",
    ),
    escalation=EscalationWording(
        kind_names={
            "organizer": "questionnaire",
            "proposal": "proposal",
            "invoice": "invoice",
            "chat": "message",
            "signature": "document to sign",
            "approval": "document to approve",
        },
        subject="Escalation: {account} has not acted on “{title}”",
        intro="{account} has not acted on the {kind} “{title}” in the {days} days since its last automatic "
        "reminder. The reminders are over: the next step is yours.",
        due="It was due on {due_date}.",
        sent_heading="What the client was sent:",
        notification="{day}: the first email",
        automatic="{day}: {label} ({tone})",
        manual="{day}: a reminder sent by the firm",
        tones={"gentle": "gentle", "firm": "firm", "final": "final"},
        next_step="Call or write to the client, or open the item to resend it, change its reminders or close it.",
        button="Open the item",
        greeting="Hello,",
        sign_off="Client reminders for {firm}",
        footer="You receive this email because this item escalates to this address after its last reminder "
        "(escalate_after_days, and the firm profile's escalation_email).",
    ),
    due_date_label="Due date",
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
            pending="o questionário «{title}», enviado por {firm}, ainda aguarda as suas respostas",
            call_to_action="Preencha e submeta o questionário no portal do cliente.",
            button="Preencher o questionário",
        ),
        "proposal": KindWording(
            subject="{firm}: reveja e assine a proposta «{title}»",
            notification_intro="{firm} enviou-lhe a proposta «{title}».",
            pending="a proposta «{title}», enviada por {firm}, ainda aguarda a sua assinatura",
            call_to_action="Reveja e assine a proposta (carta de compromisso) no portal do cliente.",
            button="Rever e assinar a proposta",
        ),
        "invoice": KindWording(
            subject="{firm}: pague a fatura «{title}» ({amount}, vence a {due_date})",
            notification_intro="{firm} enviou-lhe a fatura «{title}».",
            pending="a fatura «{title}», enviada por {firm}, ainda não foi paga",
            call_to_action="Pague a fatura no portal do cliente até {due_date}.",
            button="Pagar a fatura",
        ),
        "chat": KindWording(
            subject="{firm}: leia e responda à mensagem «{title}»",
            notification_intro="{firm} enviou-lhe a mensagem «{title}», que precisa da sua atenção.",
            pending="a mensagem «{title}», enviada por {firm}, ainda aguarda a sua resposta",
            call_to_action="Leia a mensagem e responda no portal do cliente.",
            button="Ler e responder",
        ),
        "signature": KindWording(
            subject="{firm}: assine o documento «{title}»",
            notification_intro="{firm} enviou-lhe o documento «{title}» para assinar.",
            pending="o documento «{title}», enviado por {firm}, ainda aguarda a sua assinatura",
            call_to_action="Assine o documento no portal do cliente.",
            button="Assinar o documento",
        ),
        "approval": KindWording(
            subject="{firm}: reveja e aprove o documento «{title}»",
            notification_intro="{firm} enviou-lhe o documento «{title}» para aprovação.",
            pending="o documento «{title}», enviado por {firm}, ainda aguarda a sua aprovação",
            call_to_action="Reveja e aprove o documento no portal do cliente.",
            button="Rever e aprovar",
        ),
    },
    invoice=InvoiceWording(
        amount_label="Valor",
        balance_label="Saldo em dívida",
        status_label="Estado",
        paid_status="Paga",
        partially_paid="Parte desta fatura já foi paga; o saldo em dívida é de {balance}.",
        paid_subject="{firm}: fatura «{title}» (paga)",
        paid_intro="{firm} enviou-lhe uma cópia da fatura «{title}» para os seus registos.",
        paid_no_action="Esta fatura está paga. Não precisa de fazer nada.",
        paid_button="Ver a fatura",
        reminder_subject="{firm}: pague a fatura «{title}» ({amount}, {due_status})",
        overdue_call_to_action="Pague a fatura no portal do cliente o quanto antes.",
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
    reminders=ReminderWording(
        ordinals=(
            "Lembrete",
            "Segundo lembrete",
            "Terceiro lembrete",
            "Quarto lembrete",
            "Quinto lembrete",
            "Sexto lembrete",
            "Sétimo lembrete",
            "Oitavo lembrete",
            "Nono lembrete",
            "Décimo lembrete",
        ),
        numbered="Lembrete n.º {number}",
        final="Último lembrete",
        subject="{label}: {subject}",
        subject_due="{subject} ({due_status})",
        manual="{label}: {pending}.",
        gentle="{label}: só para lembrar que {pending}.",
        firm="{label}: {pending} e precisa da sua atenção agora.",
        final_opening="{label}: {pending}. Este é o último lembrete que enviamos: se continuar pendente, "
        "{firm} entrará em contacto consigo diretamente.",
        first_sent="O primeiro envio foi a {first_sent}.",
    ),
    due=DueWording(
        in_days="vence dentro de {days} dias",
        tomorrow="vence amanhã",
        today="vence hoje",
        overdue_one="em atraso há 1 dia",
        overdue_days="em atraso há {days} dias",
        in_days_sentence="Vence dentro de {days} dias, a {due_date}.",
        tomorrow_sentence="Vence amanhã, {due_date}.",
        today_sentence="Vence hoje, {due_date}.",
        overdue_one_sentence="Está em atraso há 1 dia: venceu a {due_date}.",
        overdue_days_sentence="Está em atraso há {days} dias: venceu a {due_date}.",
    ),
    escalation=EscalationWording(
        kind_names={
            "organizer": "questionário",
            "proposal": "proposta",
            "invoice": "fatura",
            "chat": "mensagem",
            "signature": "documento para assinar",
            "approval": "documento para aprovar",
        },
        subject="Escalamento: {account} não tratou de “{title}”",
        intro="{account} não tratou de “{title}” ({kind}) nos {days} dias desde o último lembrete automático. "
        "Os lembretes terminaram: o próximo passo é seu.",
        due="Vencia a {due_date}.",
        sent_heading="O que foi enviado ao cliente:",
        notification="{day}: o primeiro e-mail",
        automatic="{day}: {label} ({tone})",
        manual="{day}: um lembrete enviado pela empresa",
        tones={"gentle": "cordial", "firm": "firme", "final": "final"},
        next_step="Telefone ou escreva ao cliente, ou abra o item para o reenviar, alterar os lembretes ou fechá-lo.",
        button="Abrir o item",
        greeting="Olá,",
        sign_off="Lembretes aos clientes de {firm}",
        footer="Recebe este e-mail porque este item escala para este endereço depois do último lembrete "
        "(escalate_after_days e o escalation_email do perfil da empresa).",
    ),
    due_date_label="Data de vencimento",
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
