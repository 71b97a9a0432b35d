"""A firm's sending domain on the local stack (SPEC R21): the DKIM records it would publish, shown
at /_local/sending-domains, and SES's verdict played with POST /_local/sending-domains/verify (what
`make verify-domain` calls), after which the firm's mail goes from reminders@<domain>."""

from __future__ import annotations

import uuid

import pytest

from tests.local.conftest import LOOPBACK, RunningStack

pytestmark = pytest.mark.allow_hosts(LOOPBACK)


def test_a_developer_sees_the_dkim_records_marks_the_domain_verified_and_mail_comes_from_it(
    local_stack: RunningStack,
) -> None:
    # Given a firm that put its own domain (the local sender is reminders@example.com, so not under it)
    client = local_stack.new_firm()
    client.expect(200, "PUT", "/firm", {"name": "Silva & Harper Accounting"})
    domain = f"mail.{uuid.uuid4().hex[:10]}.example.org"
    put = client.expect(200, "PUT", "/firm/sending-domain", {"domain": domain})
    assert put["status"] == "pending"

    # When the developer looks at the local SES's domains
    listed = client.expect(200, "GET", "/_local/sending-domains")["items"]
    page = client.call("GET", "/_local/sending-domains.html")

    # Then the domain is there with the records the API gave, on the page too
    [mine] = [d for d in listed if d["domain"] == domain]
    assert (mine["dkim_status"], mine["verified_for_sending"]) == ("PENDING", False)
    assert mine["dkim_records"] == put["dkim_records"]
    assert page.status == 200
    assert all(record["name"] in page.body for record in put["dkim_records"])

    # When SES "finds" the records
    verified = client.expect(200, "POST", "/_local/sending-domains/verify", {"domain": domain})

    # Then the firm sees it verified at once, and its mail goes from its domain
    assert verified["verified_for_sending"] is True
    shown = client.expect(200, "GET", "/firm/sending-domain")
    assert (shown["status"], shown["sending_from"]) == ("verified", f"reminders@{domain}")
    address = f"olivia.{uuid.uuid4().hex[:8]}@example.net"
    contacts = [{"name": "Olivia Harper", "email": address, "notify": True}]
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "contacts": contacts})
    client.expect(201, "POST", f"/accounts/{account['id']}/action-items", {"kind": "proposal", "title": "EL 2027"})
    [mail] = [m for m in client.expect(200, "GET", "/_local/outbox")["items"] if m["to"] == [address]]
    assert mail["sender"] == f"Silva & Harper Accounting <reminders@{domain}>"


def test_a_verdict_on_an_unknown_domain_or_with_a_bad_status_is_refused(local_stack: RunningStack) -> None:
    client = local_stack.client()

    unknown = client.call("POST", "/_local/sending-domains/verify", {"domain": "nobody.example.org"})
    bad = client.call("POST", "/_local/sending-domains/verify", {"domain": "x.example.org", "status": "OK"})
    empty = client.call("POST", "/_local/sending-domains/verify", {})

    assert (unknown.status, unknown.body["error"]["code"]) == (404, "not_found")
    assert (bad.status, bad.body["error"]["code"]) == (422, "validation_error")
    assert (empty.status, empty.body["error"]["code"]) == (400, "bad_request")
