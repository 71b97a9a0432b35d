"""SPEC R18 through the api handler: bodies that are not JSON objects, and the manual resend
cooldown (429 rate_limited with Retry-After, checked after 400/422, 404 and 409)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from portal_reminders import wiring
from portal_reminders.adapters import clients
from tests.support.aws import table_snapshot
from tests.support.world import World

MINUTE = timedelta(minutes=1)


@pytest.fixture
def item(world: World) -> dict[str, Any]:
    account = world.create_account()
    return dict(world.send_item(account["id"]))


# bodies that are not JSON objects ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/accounts", [{"name": "Souza Family", "language": "en", "contacts": []}]),
        ("POST", "/action-items/{item}/resend", [{}]),
        ("POST", "/approvals/request-pending", [None, None]),
        ("PATCH", "/action-items/{item}/reminders", [{"enabled": True}]),
        ("PUT", "/firm", [{"name": "Silva"}]),
        ("POST", "/action-items/{item}/resend", "null"),
        ("POST", "/action-items/{item}/complete", '"done"'),
        ("POST", "/templates", "42"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request_and_changes_nothing(
    world: World, item: dict[str, Any], method: str, path: str, body: Any
) -> None:
    # Given a firm with an item, and an approval document pending (so a bulk request would email)
    world.send_item(item["account_id"], kind="approval", title="Statements")
    before, mail = table_snapshot(), len(world.mail)

    # When a route that takes a body gets a JSON array (or another non-object)
    reply = world.api(method, path.format(item=item["id"]), body)

    # Then 400 bad_request, nothing written and nobody emailed
    assert reply.status == 400, reply.body
    assert reply.error_code == "bad_request"
    assert reply.body["error"]["message"] == "the request body must be a JSON object"
    assert table_snapshot() == before
    assert len(world.mail) == mail


# the manual resend cooldown --------------------------------------------------------------------


def test_a_second_resend_within_the_cooldown_is_rate_limited_with_retry_after(
    world: World, item: dict[str, Any]
) -> None:
    # Given an item resent by hand 59 minutes ago (the default cooldown is 60 minutes)
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202
    world.time.shift(59 * MINUTE)
    before, mail = table_snapshot(), len(world.mail)

    # When it is resent again
    reply = world.api("POST", f"/action-items/{item['id']}/resend", {"message": "again?"})

    # Then 429 rate_limited, with the seconds left in Retry-After, and nothing sent or written
    assert reply.status == 429, reply.body
    assert reply.error_code == "rate_limited"
    assert reply.headers["Retry-After"] == "60"
    assert "60 minutes" in reply.body["error"]["message"]
    assert table_snapshot() == before
    assert len(world.mail) == mail

    # And once the cooldown has passed, the resend is accepted and emails again
    world.time.shift(MINUTE)
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202
    assert len(world.mail) == mail + 2


def test_the_cooldown_counts_from_manual_resends_only_and_per_item(world: World, item: dict[str, Any]) -> None:
    # Given an item just sent (its notification is not a manual resend), and a second item
    other = world.send_item(item["account_id"], title="Engagement letter", kind="proposal")

    # Then the first resend of each is accepted at once
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202
    assert world.api("POST", f"/action-items/{other['id']}/resend").status == 202
    # and a second one of either is limited
    assert world.api("POST", f"/action-items/{other['id']}/resend").status == 429


def test_the_retry_after_rounds_up_to_whole_seconds(world: World, item: dict[str, Any]) -> None:
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202
    world.time.shift(timedelta(minutes=59, seconds=59, milliseconds=500))
    reply = world.api("POST", f"/action-items/{item['id']}/resend")
    assert reply.status == 429
    assert reply.headers["Retry-After"] == "1"


def test_checks_run_in_the_order_400_422_404_409_then_429(world: World, item: dict[str, Any]) -> None:
    # Given an invoice resent by hand a moment ago, then paid (completed: it can still be re-emailed)
    account_id = item["account_id"]
    invoice = world.send_item(
        account_id, kind="invoice", invoice={"amount": "10.00", "currency": "USD", "due_date": "2026-12-31"}
    )
    path = f"/action-items/{invoice['id']}/resend"
    assert world.api("POST", path).status == 202
    assert world.api("POST", f"/action-items/{invoice['id']}/payments", {"amount": "10.00"}).status == 200

    # Then a malformed body is 400 and an invalid field 422, whatever the item and the cooldown
    assert world.api("POST", path, [{}]).status == 400
    assert world.api("POST", path, {"message": ""}).status == 422
    assert world.api("POST", "/action-items/itm_" + "0" * 32 + "/resend", {"message": ""}).status == 422
    # an unknown item is 404
    assert world.api("POST", "/action-items/itm_" + "0" * 32 + "/resend").status == 404
    # a completed invoice may be re-emailed, so the cooldown answers
    assert world.api("POST", path).status == 429

    # And an item whose state refuses a resend answers 409, even within the cooldown
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202
    assert world.api("POST", f"/action-items/{item['id']}/cancel").status == 200
    reply = world.api("POST", f"/action-items/{item['id']}/resend")
    assert reply.status == 409
    assert reply.error_code == "conflict"


def test_the_cooldown_is_a_setting_and_zero_turns_it_off(
    world: World, item: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the function configured with RESEND_COOLDOWN_MINUTES=0 (the template parameter)
    monkeypatch.setenv("RESEND_COOLDOWN_MINUTES", "0")
    wiring.reset()

    # Then resends follow each other without a limit
    assert [world.api("POST", f"/action-items/{item['id']}/resend").status for _ in range(3)] == [202] * 3

    # And with 5 minutes, the sixth minute is free again
    monkeypatch.setenv("RESEND_COOLDOWN_MINUTES", "5")
    wiring.reset()
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 429
    world.time.shift(5 * MINUTE)
    assert world.api("POST", f"/action-items/{item['id']}/resend").status == 202


def test_two_resends_at_once_send_once(world: World, item: dict[str, Any]) -> None:
    # Given a resend that is, while it emails the first contact, raced by a second one
    replies = []

    def race(**_: Any) -> None:
        if not replies:
            replies.append(world.api("POST", f"/action-items/{item['id']}/resend"))

    clients.client("sesv2").meta.events.register("before-call.sesv2.SendEmail", race, unique_id="race")
    try:
        first = world.api("POST", f"/action-items/{item['id']}/resend")
    finally:
        clients.client("sesv2").meta.events.unregister("before-call.sesv2.SendEmail", unique_id="race")

    # Then the first is accepted and the racing one met the cooldown the first one had recorded
    assert first.status == 202, first.body
    assert replies[0].status == 429
    audit = world.api("GET", f"/action-items/{item['id']}/audit").body["items"]
    assert [e["details"]["mode"] for e in audit if e["type"] == "reminder_sent"] == ["manual"]
