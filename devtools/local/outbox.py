"""Every email the functions sent through SES (as moto accepted it), newest first, as JSON and
as a page showing each HTML part the way the client's mail program would."""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from devtools.local.web import VIEWPORT
from portal_reminders import clock
from portal_reminders.reminders.delivery import mail_tags

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


# The contact a mail went to, from its tags: (firm id, account id, contact id).
ContactKey = tuple[str, str, str]


@dataclass(frozen=True)
class ContactState:
    """The contact as the account holds it now (read from the table when the page is shown)."""

    email: str | None  # None: no longer on the account
    suppressed: dict[str, str] | None = None  # {"reason", "at"}, as the API shows it


ContactStates = Callable[[list[ContactKey]], dict[ContactKey, ContactState]]


def contact_key(mail: Mail) -> ContactKey | None:
    try:
        origin = mail_tags.origin(mail.tags)
    except mail_tags.BadTag:
        return None
    return origin.firm_id, origin.account_id, origin.contact_id


class Outbox:
    def __init__(self) -> None:
        self._mails: list[Mail] = []
        self._lock = threading.Lock()
        # set by the stack: reads the contacts the mails went to (their suppression: docs/guarantees.md)
        self.contact_states: ContactStates | None = None

    def record_send_email(self, params: dict[str, Any], response: dict[str, Any]) -> None:
        mail = mail_from_send_email(params, response, clock.now())
        with self._lock:
            self._mails.append(mail)

    def mails(self) -> list[Mail]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._mails))

    def find(self, message_id: str) -> Mail | None:
        with self._lock:
            return next((m for m in self._mails if m.message_id == message_id), None)

    def contacts(self, mails: list[Mail]) -> dict[ContactKey, ContactState]:
        keys = list(dict.fromkeys(key for key in map(contact_key, mails) if key is not None))
        return self.contact_states(keys) if self.contact_states is not None and keys else {}

    def as_json(self) -> dict[str, Any]:
        mails = self.mails()
        states = self.contacts(mails)
        items = []
        for mail in mails:
            key = contact_key(mail)
            state = states.get(key) if key is not None else None
            items.append({**asdict(mail), "contact": None if state is None else asdict(state)})
        return {"count": len(mails), "items": items}

    def page(self) -> str:
        mails = self.mails()
        return render_page(mails, self.contacts(mails))


def _contact_row(mail: Mail, state: ContactState | None) -> str:
    if state is None:
        return "not one of the stack's contacts" if contact_key(mail) is None else "unknown"
    if state.email is None:
        return "no longer on the account"
    if state.suppressed:
        return f"suppressed after a {state.suppressed['reason']} at {state.suppressed['at']}: no mail goes to it"
    if state.email not in mail.to:
        return f"now {state.email}"
    return "mailable"


def _card(mail: Mail, state: ContactState | None = None) -> str:
    e = html.escape
    rows = [("To", ", ".join(mail.to)), ("From", mail.sender), ("Sent", mail.sent_at)]
    rows.append(("Language", mail.language or "?"))
    if mail.reply_to:
        rows.append(("Reply-To", ", ".join(mail.reply_to)))
    rows.append(("Contact", _contact_row(mail, state)))
    rows.append(("SES message id", mail.message_id))
    meta = "".join(f"<dt>{e(name)}</dt><dd>{e(value)}</dd>" for name, value in rows)
    suppressed = (state.suppressed or {}).get("reason", "") if state else ""
    buttons = (
        '<p class="ses-events">SES reports: '
        + "".join(
            f'<button type="button" class="ses-event" data-type="{kind}" data-message-id="{e(mail.message_id)}">'
            f"{label}</button> "
            for kind, label in (("bounce", "bounce"), ("complaint", "complaint"))
        )
        + '<span class="ses-result"></span></p>'
        if contact_key(mail) is not None
        else ""
    )
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
        f'data-language="{e(mail.language or "")}" data-message-id="{e(mail.message_id)}" '
        f'data-suppressed="{e(suppressed)}">'
        f'<h2 class="subject">{e(mail.subject)}</h2><dl>{meta}</dl>{buttons}{rendered}{text}</article>'
    )


def _suppressed_list(states: dict[ContactKey, ContactState]) -> str:
    e = html.escape
    rows = sorted(
        (state.email or "?", state.suppressed["reason"], state.suppressed["at"], key[1])
        for key, state in states.items()
        if state.suppressed
    )
    if not rows:
        return '<p id="suppressed">No contact of these mails is suppressed.</p>'
    items = "".join(
        f'<li class="suppressed-contact" data-email="{e(email)}">{e(email)}: {e(reason)} at {e(at)} '
        f"(account {e(account)})</li>"
        for email, reason, at, account in rows
    )
    return (
        f'<section id="suppressed"><h2>Suppressed contacts ({len(rows)})</h2><ul>{items}</ul>'
        "<p>No reminder goes to them until the firm changes the address or sends <code>PATCH "
        '/accounts/{id}/contacts/{id} {"suppressed": false}</code>.</p></section>'
    )


_STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 60rem; color: #222; }
header p { color: #555; }
h1, h2, p, dd, li { overflow-wrap: anywhere; }
article.mail { border: 1px solid #ccc; border-radius: 8px; padding: 1rem; margin: 1.5rem 0; }
h2.subject { margin: 0 0 .5rem; font-size: 1.15rem; }
dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: .15rem 1rem; margin: 0 0 1rem;
     font-size: .9rem; }
dt { color: #666; } dd { margin: 0; }
iframe.body { display: block; width: 100%; height: 420px; border: 1px solid #e3e3e3; border-radius: 4px;
              background: #fff; }
article.mail[data-suppressed="bounce"], article.mail[data-suppressed="complaint"] { border-color: #c62828; }
p.ses-events { font-size: .9rem; color: #555; } p.ses-events button { margin-right: .25rem; }
#suppressed { border: 1px solid #f0c0c0; background: #fff6f6; border-radius: 8px; padding: .5rem 1rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f6f6f6; padding: .75rem; border-radius: 4px; }
@media (max-width: 30rem) {
  body { padding: .5rem; }
  article.mail { padding: .75rem; }
  dl { grid-template-columns: minmax(0, 1fr); gap: 0; } dt { margin-top: .35rem; }
}
"""

# Each email's frame is as tall as its content: measured on load, at once (a srcdoc frame may have
# loaded before this script ran, and then no load event comes: the frames stayed 420 px and cut
# their email off), and again when the window's width changes (the email reflows). The parent may
# read the frame's document: srcdoc frames with allow-same-origin, and no scripts inside. The
# "bounce" and "complaint" buttons have SES report that about the mail (POST /_local/ses-event),
# then show the page again once the stack has handled it.
_SCRIPT = """
function fit(frame) {
  const root = frame.contentDocument && frame.contentDocument.documentElement;
  const borders = frame.offsetHeight - frame.clientHeight;
  if (root) frame.style.height = Math.ceil(root.getBoundingClientRect().height) + borders + "px";
}
const frames = Array.from(document.querySelectorAll("iframe.body"));
for (const frame of frames) {
  frame.addEventListener("load", () => fit(frame));
  fit(frame);
}
addEventListener("resize", () => frames.forEach(fit));
for (const button of document.querySelectorAll("button.ses-event")) {
  button.addEventListener("click", async () => {
    const result = button.parentElement.querySelector(".ses-result");
    result.textContent = "sending the SES event...";
    const response = await fetch("/_local/ses-event", {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({message_id: button.dataset.messageId, type: button.dataset.type}),
    });
    const answer = await response.json();
    if (!response.ok) { result.textContent = answer.error.message; return; }
    result.textContent = "delivered to " + (answer.delivered_to.join(", ") || "no rule");
    location.reload();
  });
}
"""


def render_page(mails: list[Mail], states: dict[ContactKey, ContactState] | None = None) -> str:
    states = states or {}
    cards = "".join(_card(mail, states.get(key) if (key := contact_key(mail)) else None) for mail in mails)
    cards = cards or '<p id="empty">No email sent yet.</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{VIEWPORT}<title>Outbox ({len(mails)}) - local stack</title>
<style>{_STYLE}</style></head>
<body><header><h1>Outbox</h1>
<p>{len(mails)} email(s) sent through SES by the local stack, newest first, each as the client sees it.
Reload to see new ones; JSON at <a href="/_local/outbox">/_local/outbox</a>;
the events published at <a href="/_local/events.html">/_local/events.html</a>.
"bounce" and "complaint" have SES report that about a mail, as its configuration set's EventBridge
destination would, to the suppression function.</p>{_suppressed_list(states)}</header>
<main>{cards}</main><script>{_SCRIPT}</script></body></html>"""
