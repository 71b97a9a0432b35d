"""Client emails: what each action item's notification and reminders say, in text and HTML."""

from portal_reminders.emails.model import (
    DigestEmail,
    EmailContent,
    InvoiceSummary,
    ItemEmail,
    Kind,
    Language,
    PendingApprovalsEmail,
    Purpose,
    Tone,
)
from portal_reminders.emails.render import render_digest_email, render_item_email, render_pending_approvals_email

__all__ = [
    "DigestEmail",
    "EmailContent",
    "InvoiceSummary",
    "ItemEmail",
    "Kind",
    "Language",
    "PendingApprovalsEmail",
    "Purpose",
    "Tone",
    "render_digest_email",
    "render_item_email",
    "render_pending_approvals_email",
]
