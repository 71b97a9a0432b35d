"""Client emails, what each action item's notification and reminders say, in text and HTML; and the
firm's escalation email."""

from portal_reminders.emails.model import (
    Brand,
    DigestEmail,
    EmailContent,
    EscalationEmail,
    InvoiceSummary,
    ItemEmail,
    Kind,
    Language,
    PendingApprovalsEmail,
    Purpose,
    SentEmail,
    Tone,
)
from portal_reminders.emails.render import (
    render_digest_email,
    render_escalation_email,
    render_item_email,
    render_pending_approvals_email,
)
from portal_reminders.emails.wording import Wording

__all__ = [
    "Brand",
    "DigestEmail",
    "EmailContent",
    "EscalationEmail",
    "InvoiceSummary",
    "ItemEmail",
    "Kind",
    "Language",
    "PendingApprovalsEmail",
    "Purpose",
    "SentEmail",
    "Tone",
    "Wording",
    "render_digest_email",
    "render_escalation_email",
    "render_item_email",
    "render_pending_approvals_email",
]
