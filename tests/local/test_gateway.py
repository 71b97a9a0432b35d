"""The local gateway over HTTP against a running local stack: API Gateway's answers for no route
and no token, routing with path parameters, the clock tick that sends reminders, the outbox, and
the domain events the publisher announces from the table's stream."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest

from devtools.local.routes import routes_from_template
from devtools.sam_template import translate
from tests.local.conftest import LOOPBACK, ROOT, RunningStack

pytestmark = pytest.mark.allow_hosts(LOOPBACK)

REMINDERS = {"enabled": True, "days_between": 3, "max_reminders": 2}
CONTACTS = [
    {"name": "Olivia Harper", "email": "olivia@example.com", "notify": True},
    {"name": "Noah Harper", "email": "noah@example.com", "notify": False},
]


def test_a_request_without_a_valid_token_gets_401_like_the_jwt_authorizer(local_stack: RunningStack) -> None:
    # Given a token whose signature was tampered with
    token = local_stack.new_firm().token or ""
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    # When the API is called with no token, a forged one, and a valid one
    anonymous = local_stack.client().call("GET", "/firm")
    tampered = local_stack.client(forged).call("GET", "/firm")
    valid = local_stack.client(token).call("GET", "/firm")

    # Then only the valid token reaches the function
    assert (anonymous.status, anonymous.body) == (401, {"message": "Unauthorized"})
    assert (tampered.status, tampered.body) == (401, {"message": "Unauthorized"})
    assert valid.status == 200


def test_an_unknown_route_gets_404_like_api_gateway(local_stack: RunningStack) -> None:
    client = local_stack.new_firm()

    assert client.call("GET", "/no-such-route").body == {"message": "Not Found"}
    assert client.call("DELETE", "/firm").status == 404  # a known path, but not that method
    assert local_stack.client().call("GET", "/no-such-route").status == 404  # no route: no authorizer either


@pytest.mark.parametrize("method", ["TRACE", "CONNECT", "OPTIONS", "DELETE", "PROPFIND", "BREW"])
def test_any_method_no_route_takes_gets_api_gateways_404(local_stack: RunningStack, method: str) -> None:
    # Given a firm user's client, and paths with and without routes
    client = local_stack.new_firm()

    # When a method no route declares is sent to a routed path and to an unknown one
    routed = client.call(method, "/firm")
    unknown = local_stack.client().call(method, "/no-such-route")

    # Then API Gateway's own 404 answers both (no CORS configured: no preflight answer either),
    # in JSON, naming the request as API Gateway does; never http.server's 501 HTML page
    for reply in (routed, unknown):
        assert (reply.status, reply.body) == (404, {"message": "Not Found"})
        assert reply.headers["Content-Type"] == "application/json"
        assert reply.headers["apigw-requestid"]


def test_path_parameters_are_routed_to_the_function(local_stack: RunningStack) -> None:
    # Given an account
    client = local_stack.new_firm()
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": CONTACTS})

    # When it is read by id, and an id that does not exist is read
    found = client.call("GET", f"/accounts/{account['id']}")
    missing = client.call("GET", "/accounts/acc_00000000000000000000000000000000")

    # Then the function got the path parameter each time (its own 404 shape, not the gateway's)
    assert (found.status, found.body["id"]) == (200, account["id"])
    assert missing.status == 404
    assert missing.body["error"]["code"] == "not_found"


def test_a_tick_three_days_later_moves_the_clock_and_sends_the_reminder(local_stack: RunningStack) -> None:
    # Given an organizer with reminders every 3 days, emailed to the account's notify contact
    client = local_stack.new_firm()
    client.expect(200, "PUT", "/firm", {"name": "Silva Contabilidade"})
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": CONTACTS})
    item = client.expect(
        201,
        "POST",
        f"/accounts/{account['id']}/action-items",
        {"kind": "organizer", "title": "2026 Tax Organizer", "reminders": REMINDERS},
    )

    # When the clock is ticked three days (and a minute) later
    tick = local_stack.tick(timedelta(days=3, minutes=1))

    # Then the scan claimed it, the send function emailed it, and the item records it at the new time
    assert tick["scans"][0]["result"]["claimed"] >= 1
    assert tick["emails_sent"] >= 1
    reminded = client.expect(200, "GET", f"/action-items/{item['id']}")
    assert reminded["reminders"]["sent"] == 1
    ticked_to = datetime.fromisoformat(tick["clock"]["to"])
    emailed = datetime.fromisoformat(reminded["last_emailed_at"])
    assert timedelta(0) <= emailed - ticked_to < timedelta(seconds=30)  # on the moved clock
    mails = [
        # this item's mails only: the stack is shared, and make demo's test sends organizers of the same title
        m
        for m in local_stack.client().expect(200, "GET", "/_local/outbox")["items"]
        if m["tags"].get("item") == item["id"]
    ]
    assert [m["subject"].startswith("Reminder: ") for m in mails] == [True, False]  # newest first
    assert mails[0]["to"] == ["olivia@example.com"]
    # the round is recorded at its start; each mail leaves at its turn on the send rate, just after
    sent_at = datetime.fromisoformat(mails[0]["sent_at"])
    assert timedelta(0) <= sent_at - emailed <= timedelta(seconds=2)
    assert mails[0]["language"] == "en"
    assert "Silva Contabilidade" in mails[0]["html"]


def test_the_outbox_json_lists_every_mail_newest_first(local_stack: RunningStack) -> None:
    client = local_stack.new_firm()
    account = client.expect(
        201, "POST", "/accounts", {"name": "Oliveira Ltda.", "language": "pt-BR", "contacts": CONTACTS}
    )
    client.expect(201, "POST", f"/accounts/{account['id']}/action-items", {"kind": "signature", "title": "Procuração"})

    outbox = local_stack.client().expect(200, "GET", "/_local/outbox")

    assert outbox["count"] == len(outbox["items"]) >= 1
    newest = outbox["items"][0]
    assert set(newest) >= {"message_id", "sent_at", "sender", "to", "subject", "language", "html", "text"}
    assert (newest["to"], newest["language"]) == (["olivia@example.com"], "pt-BR")
    times = [m["sent_at"] for m in outbox["items"]]
    assert times == sorted(times, reverse=True)


def test_the_events_json_and_page_show_what_the_publisher_announced_newest_first(local_stack: RunningStack) -> None:
    # Given an item sent and then cancelled
    client = local_stack.new_firm()
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": CONTACTS})
    item = client.expect(201, "POST", f"/accounts/{account['id']}/action-items", {"kind": "proposal", "title": "EL"})
    client.expect(200, "POST", f"/action-items/{item['id']}/cancel")

    # When the stack settles (a tick waits for the stream to be published, as for the queue)
    local_stack.tick(timedelta(seconds=1))

    # Then both events are listed as a rule's target gets them, newest first, with no email address
    events = local_stack.client().expect(200, "GET", "/_local/events")
    mine = [e for e in events["items"] if e["detail"].get("item_id") == item["id"]]
    assert [e["detail-type"] for e in mine] == ["ItemCancelled", "ItemSent"]
    assert {(e["source"], e["version"]) for e in mine} == {("client-reminders", "0")}
    assert mine[1]["detail"]["contact_ids"] == [account["contacts"][0]["id"]]
    assert "@" not in str(mine)
    assert events["count"] == len(events["items"])
    page = local_stack.client().call("GET", "/_local/events.html")
    assert page.status == 200
    assert f'data-event-id="{mine[0]["detail"]["event_id"]}"' in page.body
    status = local_stack.client().expect(200, "GET", "/_local/status")
    assert status["events_published"] >= 2
    assert status["streams"][0]["function"] == "PublisherFunction"


def test_a_job_entering_a_stage_runs_its_automations_through_the_stream_and_the_bus(local_stack: RunningStack) -> None:
    # Given a pipeline whose stage sends a proposal
    client = local_stack.new_firm()
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": CONTACTS})
    template = client.expect(201, "POST", "/templates", {"kind": "proposal", "name": "EL", "title": "Engagement"})
    automations = [{"action": "send_proposal", "template_id": template["id"]}]
    stages = [{"name": "S", "automations": automations}]
    pipeline = client.expect(201, "POST", "/pipelines", {"name": "P", "stages": stages})

    # When a job is put in the stage, and the stack settles
    entry = {"account_id": account["id"], "stage_id": pipeline["stages"][0]["id"]}
    job = client.expect(201, "POST", f"/pipelines/{pipeline['id']}/jobs", entry)
    local_stack.tick(timedelta(seconds=1))

    # Then the publisher announced the entry, the automations function ran it, and its item was sent
    created = client.expect(200, "GET", f"/jobs/{job['id']}")["item_ids"]
    assert len(created) == 1
    events = local_stack.client().expect(200, "GET", "/_local/events")["items"]
    entered = [e for e in events if e["detail-type"] == "JobEnteredStage" and e["detail"]["job_id"] == job["id"]]
    sent = [e for e in events if e["detail-type"] == "ItemSent" and e["detail"]["item_id"] == created[0]]
    assert len(entered) == len(sent) == 1


def test_the_clock_only_moves_forward(local_stack: RunningStack) -> None:
    earlier = (local_stack.clock() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    refused = local_stack.client().call("POST", "/_local/tick", {"at": earlier})
    malformed = local_stack.client().call("POST", "/_local/tick", {"at": "next tuesday"})

    assert (refused.status, refused.body["error"]["code"]) == (409, "conflict")
    assert malformed.status == 400


def test_the_clock_tells_the_stacks_time_and_a_tick_in_a_duration_counts_from_it(local_stack: RunningStack) -> None:
    # Given a stack whose clock was moved ten days ahead of this machine's
    control = local_stack.client()
    ahead = (datetime.fromisoformat(control.expect(200, "GET", "/_local/clock")["now"]) + timedelta(days=10)).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    control.expect(200, "POST", "/_local/tick", {"at": ahead})

    # When it is ticked two days and three hours on, and its clock read
    tick = control.expect(200, "POST", "/_local/tick", {"in": "2d3h"})
    now = datetime.fromisoformat(control.expect(200, "GET", "/_local/clock")["now"])

    # Then the tick counted from the stack's time, and the clock reads the moved time (and runs on)
    moved_from, moved_to = (datetime.fromisoformat(tick["clock"][end]) for end in ("from", "to"))
    assert moved_from >= datetime.fromisoformat(ahead)
    assert moved_to - moved_from == timedelta(days=2, hours=3)
    assert timedelta(0) <= now - moved_to < timedelta(minutes=1)


def test_a_tick_refuses_a_duration_it_cannot_read(local_stack: RunningStack) -> None:
    control = local_stack.client()

    for body in ({"in": "3 days"}, {"in": "0d"}, {"in": "9999999999d"}, {"in": "3d", "at": "2027-01-01T00:00:00Z"}):
        refused = control.call("POST", "/_local/tick", body)
        assert (refused.status, refused.body["error"]["code"]) == (400, "bad_request"), body


def _make(*arguments: str) -> subprocess.CompletedProcess[str]:
    """make as a person runs it, with this test run's interpreter (its venv is already made)."""
    command = ["make", "-s", "-o", ".venv/.installed", f"VENV_PY={sys.executable}", *arguments]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)


def test_the_move_the_clock_hint_of_the_banner_works_when_copied(local_stack: RunningStack) -> None:
    # Given the "Move the clock" hint the stack printed when it started
    hint = re.search(r"Move the clock:\s+(make tick [^(]+?)\s{2,}", local_stack.log.read_text(errors="replace"))
    assert hint is not None, local_stack.log_tail()
    before = datetime.fromisoformat(local_stack.client().expect(200, "GET", "/_local/clock")["now"])

    # When it is run as printed (make tick PORT=... IN=3d)
    result = _make(*shlex.split(hint.group(1))[1:])

    # Then the stack's clock moved three days on from where it was
    assert result.returncode == 0, result.stderr
    moved = json.loads(result.stdout)["clock"]
    assert datetime.fromisoformat(moved["from"]) >= before.replace(microsecond=0)
    assert datetime.fromisoformat(moved["to"]) - datetime.fromisoformat(moved["from"]) == timedelta(days=3)


def test_make_tick_still_moves_the_clock_to_a_time(local_stack: RunningStack) -> None:
    later = (local_stack.clock() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    result = _make("tick", f"PORT={urlsplit(local_stack.url).port}", f"AT={later}")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["clock"]["to"] == later


def test_make_tick_says_how_when_it_is_given_no_time() -> None:
    result = _make("tick")

    assert result.returncode == 2
    assert "usage: make tick IN=3d|AT=2026-12-01T09:00:00Z" in result.stderr


def test_tokens_are_issued_only_for_sane_ids(local_stack: RunningStack) -> None:
    refused = local_stack.client().call("POST", "/_local/token", {"firm_id": "", "sub": "user-1"})

    assert (refused.status, refused.body["error"]["code"]) == (422, "validation_error")


def test_the_served_openapi_document_has_every_route_of_the_template(local_stack: RunningStack) -> None:
    document = local_stack.client().expect(200, "GET", "/swagger/openapi.json")

    documented = {(method.upper(), path) for path, operations in document["paths"].items() for method in operations}
    routes = {(route.method, route.path) for route in routes_from_template(translate())}
    assert routes <= documented


def test_a_paused_ses_account_delays_a_notification_until_sending_resumes(local_stack: RunningStack) -> None:
    # Given the emulated SES account is paused (as SES does when the bounce rate is too high)
    client = local_stack.new_firm()
    account = client.expect(201, "POST", "/accounts", {"name": "Paused Ltd", "language": "en", "contacts": CONTACTS})
    control = local_stack.client()
    paused = control.expect(200, "POST", "/_local/ses-account", {"sending_enabled": False})
    assert paused["sending_enabled"] is False
    try:
        # When the firm sends an item
        item = client.expect(
            201, "POST", f"/accounts/{account['id']}/action-items", {"kind": "proposal", "title": "Paused proposal"}
        )

        # Then it exists, but nobody was emailed yet: the notification waits in the send queue
        assert item["last_emailed_at"] is None
    finally:
        control.expect(200, "POST", "/_local/ses-account", {"sending_enabled": True})

    # When the account sends again and the clock moves past the retry's backoff
    local_stack.tick(timedelta(minutes=3))

    # Then the notification went out once
    mails = [m for m in control.expect(200, "GET", "/_local/outbox")["items"] if "Paused proposal" in m["subject"]]
    assert len(mails) == 1
    assert client.expect(200, "GET", f"/action-items/{item['id']}")["last_emailed_at"] is not None


def test_the_ses_account_refuses_bad_settings(local_stack: RunningStack) -> None:
    control = local_stack.client()

    assert control.call("POST", "/_local/ses-account", {"max_send_rate": -1}).status == 422
    assert control.call("POST", "/_local/ses-account", {"colour": "red"}).status == 422
    assert control.call("POST", "/_local/ses-account", ["x"]).status == 400
    assert control.expect(200, "GET", "/_local/ses-account")["max_send_rate"] == 14.0


def test_the_document_is_served_at_openapi_json_as_committed(local_stack: RunningStack) -> None:
    served = local_stack.client().expect(200, "GET", "/openapi.json")

    assert served == json.loads((ROOT / "openapi.json").read_text())


def test_the_status_shows_the_api_url_of_the_local_gateway(local_stack: RunningStack) -> None:
    outputs = local_stack.client().expect(200, "GET", "/_local/status")["stack"]["outputs"]

    # moto cannot resolve https://${HttpApi}.execute-api...: the local gateway serves that API
    assert outputs["ApiUrl"] == local_stack.url
    assert not any("${" in value for value in outputs.values())


def test_the_console_shows_one_short_line_per_function_invocation_and_hints_with_the_port(
    local_stack: RunningStack,
) -> None:
    # Given a stack that has served requests and run scheduled scans
    local_stack.new_firm().expect(201, "POST", "/accounts", {"name": "Harper Family", "contacts": CONTACTS})
    local_stack.tick(timedelta(minutes=1))
    log = local_stack.log.read_text(errors="replace")

    # Then each scan is one line, and no function's Powertools JSON reached the console
    assert "ScanFunction: " in log
    assert '"level":' not in log
    assert '"_aws"' not in log  # nor Powertools' cold-start metric blob
    assert "correlation_id" not in log
    # And the banner's hints name the port the stack runs on (it is not the default 3000 here)
    port = urlsplit(local_stack.url).port
    assert f"make tick PORT={port} IN=3d" in log
    assert f"curl {local_stack.url}/_local/clock" in log
    assert f"make demo PORT={port}" in log


def test_ses_reports_a_bounce_through_the_default_bus_and_the_contact_is_suppressed(local_stack: RunningStack) -> None:
    # Given an organizer emailed to Olivia, sent with the stack's configuration set and id tags
    client = local_stack.new_firm()
    account = client.expect(201, "POST", "/accounts", {"name": "Harper Family", "language": "en", "contacts": CONTACTS})
    item = client.expect(
        201,
        "POST",
        f"/accounts/{account['id']}/action-items",
        {"kind": "chat", "title": "W-2?", "reminders": REMINDERS},
    )
    outbox = local_stack.client().expect(200, "GET", "/_local/outbox")["items"]
    [mail] = [m for m in outbox if m["tags"].get("item") == item["id"]]
    assert mail["configuration_set"] == "client-reminders-MailConfigurationSet"
    assert mail["contact"] == {"email": "olivia@example.com", "suppressed": None}

    # When SES reports that it bounced for good (the configuration set's EventBridge destination, played locally)
    answer = local_stack.client().expect(
        200, "POST", "/_local/ses-event", {"message_id": mail["message_id"], "type": "bounce"}
    )

    # Then the event went on the default bus as SES puts it, the suppression function's rule took it,
    # and Olivia is suppressed for the API, the outbox, and the audit
    event = answer["event"]
    assert (event["source"], event["detail-type"], event["detail"]["eventType"]) == (
        "aws.ses",
        "Email Bounced",
        "Bounce",
    )
    assert event["detail"]["mail"]["tags"]["ses:configuration-set"] == ["client-reminders-MailConfigurationSet"]
    assert answer["delivered_to"] == ["SuppressionFunction"]
    assert answer["contact"]["suppressed"]["reason"] == "bounce"
    [olivia] = [c for c in client.expect(200, "GET", f"/accounts/{account['id']}")["contacts"] if c["notify"]]
    assert olivia["suppressed"]["reason"] == "bounce"
    audit = client.expect(200, "GET", f"/action-items/{item['id']}/audit")["items"]
    assert audit[-1]["type"] == "email_bounced"
    events = local_stack.client().expect(200, "GET", "/_local/events")["items"]
    assert any(e["detail-type"] == "ContactSuppressed" and e["detail"]["item_id"] == item["id"] for e in events)
    assert any(e["bus"] == "default" and e["source"] == "aws.ses" for e in events)


def test_the_ses_event_endpoint_refuses_what_it_cannot_send(local_stack: RunningStack) -> None:
    control = local_stack.client()
    assert control.call("POST", "/_local/ses-event", {"message_id": "nope", "type": "bounce"}).status == 404
    assert control.call("POST", "/_local/ses-event", {"message_id": "nope", "type": "bounced"}).status == 422
    assert control.call("POST", "/_local/ses-event", ["bounce"]).status == 400
