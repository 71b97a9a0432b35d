"""Every email the functions sent through SES (as moto accepted it), newest first, as JSON and
as a page showing each HTML part the way the client's mail program would."""

from __future__ import annotations

import html
import re
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from portal_reminders import clock

_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)", re.IGNORECASE)


def html_language(document: str) -> str | None:
    match = _LANG.search(document)
    return match.group(1) if match else None


@dataclass(frozen=True)
class Mail:
    message_id: str
    sent_at: str  # on the stack's clock, ISO 8601 UTC
    sender: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    reply_to: list[str]
    subject: str
    language: str | None
    html: str | None
    text: str | None
    tags: dict[str, str] = field(default_factory=dict)  # EmailTags: ids only (mail_tags)
    configuration_set: str | None = None

    @property
    def sent_at_time(self) -> datetime:
        return datetime.strptime(self.sent_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def mail_from_send_email(params: dict[str, Any], response: dict[str, Any], at: datetime) -> Mail:
    """An SES v2 SendEmail request (Simple content) as a Mail."""
    destination = params.get("Destination", {})
    simple = params.get("Content", {}).get("Simple", {})
    body = simple.get("Body", {})
    html_part = body.get("Html", {}).get("Data")
    return Mail(
        message_id=str(response.get("MessageId", "")),
        sent_at=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        sender=str(params.get("FromEmailAddress", "")),
        to=list(destination.get("ToAddresses", [])),
        cc=list(destination.get("CcAddresses", [])),
        bcc=list(destination.get("BccAddresses", [])),
        reply_to=list(params.get("ReplyToAddresses", [])),
        subject=str(simple.get("Subject", {}).get("Data", "(no subject: not a Simple message)")),
        language=html_language(html_part) if html_part else None,
        html=html_part,
        text=body.get("Text", {}).get("Data"),
        tags={str(tag["Name"]): str(tag["Value"]) for tag in params.get("EmailTags", [])},
        configuration_set=params.get("ConfigurationSetName"),
    )


class Outbox:
    def __init__(self) -> None:
        self._mails: list[Mail] = []
        self._lock = threading.Lock()

    def record_send_email(self, params: dict[str, Any], response: dict[str, Any]) -> None:
        mail = mail_from_send_email(params, response, clock.now())
        with self._lock:
            self._mails.append(mail)

    def mails(self) -> list[Mail]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._mails))

    def as_json(self) -> dict[str, Any]:
        mails = self.mails()
        return {"count": len(mails), "items": [asdict(mail) for mail in mails]}

    def page(self) -> str:
        return render_page(self.mails())


def _card(mail: Mail) -> str:
    e = html.escape
    rows = [("To", ", ".join(mail.to)), ("From", mail.sender), ("Sent", mail.sent_at)]
    rows.append(("Language", mail.language or "?"))
    if mail.reply_to:
        rows.append(("Reply-To", ", ".join(mail.reply_to)))
    meta = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in rows)
    # the email's own document in a sandboxed frame (no scripts), so its styles apply as in a mail program
    rendered = (
        f'<iframe class="body" title="{e(mail.subject)}" sandbox="allow-same-origin" '
        f'srcdoc="{e(mail.html, quote=True)}"></iframe>'
        if mail.html
        else "<p><em>no HTML part</em></p>"
    )
    text = f"<details><summary>Plain-text part</summary><pre>{e(mail.text)}</pre></details>" if mail.text else ""
    return (
        f'<article class="mail" data-subject="{e(mail.subject)}" data-to="{e(" ".join(mail.to))}" '
        f'data-language="{e(mail.language or "")}">'
        f'<h2 class="subject">{e(mail.subject)}</h2><dl>{meta}</dl>{rendered}{text}</article>'
    )


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
header p { color: #555; }
article.mail { border: 1px solid #ccc; border-radius: 8px; padding: 1rem 1.25rem; margin: 1.5rem 0; }
h2.subject { margin: 0 0 .5rem; font-size: 1.15rem; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0 0 1rem; font-size: .9rem; }
dt { color: #666; } dd { margin: 0; }
iframe.body { width: 100%; height: 420px; border: 1px solid #e3e3e3; border-radius: 4px; background: #fff; }
"""

# Grows each email's frame to its content (allowed: srcdoc frames with allow-same-origin).
_RESIZE = """
for (const frame of document.querySelectorAll("iframe.body")) {
  frame.addEventListener("load", () => {
    frame.style.height = (frame.contentDocument.documentElement.scrollHeight + 24) + "px";
  });
}
"""


def render_page(mails: list[Mail]) -> str:
    cards = "".join(_card(mail) for mail in mails) or '<p id="empty">No email sent yet.</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Outbox ({len(mails)}) - local stack</title>
<style>{_STYLE}</style></head>
<body><header><h1>Outbox</h1>
<p>{len(mails)} email(s) sent through SES by the local stack, newest first, each as the client sees it.
Reload to see new ones; JSON at <a href="/_local/outbox">/_local/outbox</a>;
the events published at <a href="/_local/events.html">/_local/events.html</a>.</p></header>
<main>{cards}</main><script>{_RESIZE}</script></body></html>"""
