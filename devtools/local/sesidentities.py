"""The firms' sending domains as the local stack's SES holds them (SPEC R21): each domain identity,
its status and the DKIM records the firm would publish in its DNS, as JSON and as a page, and a
way to play SES finding those records, which no local DNS can do: `POST
/_local/sending-domains/verify {"domain": "mail.example.com"}` (or `make verify-domain`) marks the
domain verified, as SES does once it sees the records; `"status": "FAILED"` plays SES giving up.
The API's GET /firm/sending-domain then reports the new status (it asks SES at most once a minute
about a pending domain: a verdict here makes the firm's next GET ask at once) and, once verified,
the firm's mail goes from reminders@<domain>."""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from devtools.moto_fidelity import ses_identities

REGION = "us-east-1"


@dataclass
class LocalSendingDomains:
    """`forget_check(domain)` makes the firm holding the domain ask SES again on its next GET."""

    forget_check: Callable[[str], None]
    region: str = REGION

    def as_json(self) -> dict[str, Any]:
        found = identities(self.region)
        return {"count": len(found), "items": found}

    def page(self) -> str:
        return render_page(identities(self.region))

    def verdict(self, body: Any) -> tuple[int, dict[str, Any]]:
        """{"domain", "status"?: SUCCESS (default) | FAILED | TEMPORARY_FAILURE | PENDING}: the
        status code and the identity (or what is wrong, as the API's error shape)."""
        if not isinstance(body, dict) or not isinstance(body.get("domain"), str):
            return 400, _error("bad_request", 'send {"domain": "mail.example.com"} (and optionally "status")')
        status = body.get("status", "SUCCESS")
        if status not in ses_identities.DKIM_STATUSES:
            return 422, _error("validation_error", f"'status' must be one of {', '.join(ses_identities.DKIM_STATUSES)}")
        identity = set_status(body["domain"], str(status), self.region)
        if identity is None:
            return 404, _error("not_found", f"no domain identity {body['domain']} (see /_local/sending-domains)")
        self.forget_check(body["domain"])
        return 200, identity


def _error(code: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": []}}


def identities(region: str = REGION) -> list[dict[str, Any]]:
    """Every domain identity of the emulated SES account, by name."""
    backend = ses_backends[DEFAULT_ACCOUNT_ID][region]
    found = [identity for identity in backend.email_identities.values() if identity.identity_type == "DOMAIN"]
    return [_describe(identity) for identity in sorted(found, key=lambda i: i.email_identity)]


def set_status(domain: str, status: str, region: str = REGION) -> dict[str, Any] | None:
    """Play SES's verdict on the domain's DNS; the identity as it is then (None: no such identity)."""
    if ses_identities.set_domain_status(domain, status, region) is None:
        return None
    return next(identity for identity in identities(region) if identity["domain"] == domain)


def _describe(identity: Any) -> dict[str, Any]:
    dkim = identity.dkim_attributes or {}
    zone = dkim.get("SigningHostedZone") or ses_identities.DKIM_ZONE
    domain = identity.email_identity
    return {
        "domain": domain,
        "verified_for_sending": bool(identity.verified_for_sending_status),
        "dkim_status": dkim.get("Status"),
        "dkim_records": [
            {"name": f"{token}._domainkey.{domain}", "type": "CNAME", "value": f"{token}.{zone}"}
            for token in dkim.get("Tokens") or []
        ],
    }


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
article.domain { border: 1px solid #ccc; border-radius: 8px; padding: .5rem 1.25rem 1rem; margin: 1.5rem 0; }
table { border-collapse: collapse; font-size: .85rem; width: 100%; table-layout: fixed; }
td, th { border-bottom: 1px solid #eee; padding: .3rem .5rem .3rem 0; text-align: left; overflow-wrap: anywhere; }
th:nth-child(2), td:nth-child(2) { width: 4.5rem; }
.status { font-weight: bold; } .status[data-verified="true"] { color: #2e7d32; }
"""

_SCRIPT = """
for (const button of document.querySelectorAll("button.verify")) {
  button.addEventListener("click", async () => {
    const response = await fetch("/_local/sending-domains/verify", {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({domain: button.dataset.domain, status: button.dataset.status}),
    });
    if (response.ok) { location.reload(); }
    else { button.parentElement.querySelector(".result").textContent = (await response.json()).error.message; }
  });
}
"""


def render_page(domains: list[dict[str, Any]]) -> str:
    e = html.escape
    cards = []
    for domain in domains:
        rows = "".join(
            f"<tr><td>{e(r['name'])}</td><td>{e(r['type'])}</td><td>{e(r['value'])}</td></tr>"
            for r in domain["dkim_records"]
        )
        verified = domain["verified_for_sending"]
        buttons = "".join(
            f'<button type="button" class="verify" data-domain="{e(domain["domain"])}" data-status="{status}">'
            f"{label}</button> "
            for status, label in (("SUCCESS", "mark verified"), ("FAILED", "mark failed"))
        )
        cards.append(
            f'<article class="domain" data-domain="{e(domain["domain"])}"><h2>{e(domain["domain"])}</h2>'
            f'<p>DKIM: <span class="status" data-verified="{str(verified).lower()}">{e(str(domain["dkim_status"]))}'
            f"</span>{' (mail may go from it)' if verified else ''}</p>"
            "<table><thead><tr><th>Name</th><th>Type</th><th>Value</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
            f'<p>SES finds the records: {buttons}<span class="result"></span></p></article>'
        )
    body = "".join(cards) or '<p id="empty">No firm has put a sending domain yet (PUT /firm/sending-domain).</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sending domains - local stack</title><style>{_STYLE}</style></head>
<body><header><h1>Sending domains</h1>
<p>Each domain a firm put with <code>PUT /firm/sending-domain</code>, as the local SES holds it, with the CNAME
records the firm publishes in its DNS. No DNS is looked up here: "mark verified" plays SES finding the
records (<code>make verify-domain DOMAIN=...</code> does the same); the firm's mail then goes from
reminders@&lt;domain&gt; once <code>GET /firm/sending-domain</code> has seen it.
JSON at <a href="/_local/sending-domains">/_local/sending-domains</a>.</p></header>
<main>{body}</main><script>{_SCRIPT}</script></body></html>"""
