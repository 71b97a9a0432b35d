"""Client emails: what each action item's notification and reminders say, in text and HTML."""

from portal_reminders.emails.model import (
    Brand,
    EmailContent,
    InvoiceSummary,
    ItemEmail,
    Kind,
    Language,
    PendingApprovalsEmail,
    Purpose,
    Tone,
)
from portal_reminders.emails.render import render_item_email, render_pending_approvals_email
from portal_reminders.emails.wording import Wording

__all__ = [
    "Brand",
    "EmailContent",
    "InvoiceSummary",
    "ItemEmail",
    "Kind",
    "Language",
    "PendingApprovalsEmail",
    "Purpose",
    "Tone",
    "Wording",
    "render_item_email",
    "render_pending_approvals_email",
]
