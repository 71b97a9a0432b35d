"""`Idempotency-Key` on POST (SPEC R18) through the api handler: a retried request is answered
from the first response and does nothing again; another body or a request still running is 409."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from portal_reminders.adapters import clients
from tests.conftest import START
from tests.support.aws import table_snapshot
from tests.support.world import World

ACCOUNT = {"name": "Harper Family", "language": "en", "contacts": [{"name": "Olivia", "email": "olivia@example.com"}]}


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def idempotency_records() -> list[dict[str, Any]]:
    return [r for r in table_snapshot() if r["pk"]["S"] == "IDEMPOTENCY#api"]


def business_records() -> list[dict[str, Any]]:
    return [r for r in table_snapshot() if not r["pk"]["S"].startswith("IDEMPOTENCY#")]


def test_the_same_key_and_body_replays_the_first_response_and_creates_nothing_again(world: World) -> None:
    # Given an account created with an Idempotency-Key
    first = world.api("POST", "/accounts", ACCOUNT, headers=key("create-harper-1"))
    assert first.status == 201, first.body
    records = business_records()

    # When the client retries it (its answer was lost), the body spelled differently
    respelled = json.dumps(dict(reversed(ACCOUNT.items())), indent=4)
    retried = world.api("POST", "/accounts", respelled, headers=key("create-harper-1"))

    # Then it gets the first response (status, body, headers) again, says so, and nothing was created
    assert retried.status == 201
    assert retried.body == first.body
    assert retried.headers == {**first.headers, "Idempotent-Replayed": "true"}
    assert business_records() == records


def test_a_replayed_send_emails_nobody_again(world: World) -> None:
    account = world.create_account()
    path = f"/accounts/{account['id']}/action-items"
    body = {"kind": "organizer", "title": "2026 Tax Organizer"}

    first = world.api("POST", path, body, headers=key("send-organizer"))
    mail = len(world.mail)
    again = world.api("POST", path, {"title": "2026 Tax Organizer", "kind": "organizer"}, headers=key("send-organizer"))

    assert (first.status, again.status) == (201, 201)
    assert again.body["id"] == first.body["id"]
    assert len(world.mail) == mail == 2
    assert len(world.api("GET", f"{path}").body["items"]) == 1


def test_a_replayed_resend_is_not_rate_limited_but_a_new_key_is(world: World) -> None:
    # Given an item resent by hand with a key
    account = world.create_account()
    item = world.send_item(account["id"])
    path = f"/action-items/{item['id']}/resend"
    first = world.api("POST", path, {"message": "Reminder"}, headers=key("resend-1"))
    mail = len(world.mail)

    # When the same resend is retried, it replays the 202 and emails nobody
    again = world.api("POST", path, {"message": "Reminder"}, headers=key("resend-1"))
    assert (first.status, again.status) == (202, 202)
    assert again.body == first.body
    assert len(world.mail) == mail

    # And a new resend (a new key) meets the cooldown
    assert world.api("POST", path, {"message": "Reminder"}, headers=key("resend-2")).status == 429


def test_the_same_key_with_another_body_is_a_conflict_and_does_nothing(world: World) -> None:
    assert world.api("POST", "/accounts", ACCOUNT, headers=key("k-1")).status == 201
    records = business_records()

    reply = world.api("POST", "/accounts", {**ACCOUNT, "name": "Oliveira"}, headers=key("k-1"))

    assert reply.status == 409
    assert reply.error_code == "conflict"
    assert "another body" in reply.body["error"]["message"]
    assert business_records() == records


def test_the_same_key_while_the_first_request_runs_is_a_conflict_that_says_so(world: World) -> None:
    # Given a send that, while it emails the first contact, is retried by an impatient client
    account = world.create_account()
    path = f"/accounts/{account['id']}/action-items"
    body = {"kind": "organizer", "title": "2026 Tax Organizer"}
    retries = []

    def retry(**_: Any) -> None:
        if not retries:
            retries.append(world.api("POST", path, body, headers=key("slow-send")))

    ses = clients.client("sesv2")
    ses.meta.events.register("before-call.sesv2.SendEmail", retry, unique_id="retry")
    try:
        first = world.api("POST", path, body, headers=key("slow-send"))
    finally:
        ses.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="retry")

    # Then the retry got 409 saying the first is still in progress; the first went through once
    assert retries[0].status == 409
    assert retries[0].error_code == "conflict"
    assert "still in progress" in retries[0].body["error"]["message"]
    assert first.status == 201
    assert len(world.api("GET", path).body["items"]) == 1

    # And once it has answered, the same retry replays its answer
    assert world.api("POST", path, body, headers=key("slow-send")).body == first.body


class FunctionTimedOut(BaseException):
    """Lambda ending the invocation: nothing in the function gets to clean up."""


def test_a_request_cut_off_mid_way_holds_its_key_only_for_the_invocations_time_left(world: World) -> None:
    # Given a request whose invocation is killed while it emails (the handler's time ran out)
    account = world.create_account()
    path = f"/accounts/{account['id']}/action-items"
    body = {"kind": "organizer", "title": "2026 Tax Organizer"}

    def time_out(**_: Any) -> None:
        raise FunctionTimedOut

    ses = clients.client("sesv2")
    ses.meta.events.register("before-call.sesv2.SendEmail", time_out, unique_id="timeout")
    try:
        with pytest.raises(FunctionTimedOut):
            world.api("POST", path, body, headers=key("cut-off"))
    finally:
        ses.meta.events.unregister("before-call.sesv2.SendEmail", unique_id="timeout")

    # Then while that invocation could still be running, the key is in progress
    assert world.api("POST", path, body, headers=key("cut-off")).status == 409

    # And after the invocation's time left (5 minutes here), a retry is carried out
    world.time.shift(timedelta(minutes=5, seconds=1))
    retried = world.api("POST", path, body, headers=key("cut-off"))
    assert retried.status == 201, retried.body


def test_records_expire_after_24_hours_and_the_key_then_acts_again(world: World) -> None:
    first = world.api("POST", "/accounts", ACCOUNT, headers=key("daily"))
    [record] = idempotency_records()
    assert int(record["expiration"]["N"]) == int((START + timedelta(hours=24)).timestamp())

    world.time.shift(timedelta(hours=23, minutes=59))
    assert world.api("POST", "/accounts", ACCOUNT, headers=key("daily")).body["id"] == first.body["id"]

    world.time.shift(timedelta(minutes=2))
    later = world.api("POST", "/accounts", ACCOUNT, headers=key("daily"))
    assert later.status == 201
    assert later.body["id"] != first.body["id"]
    assert "Idempotent-Replayed" not in later.headers


def test_errors_are_not_remembered_so_a_corrected_request_may_reuse_the_key(world: World) -> None:
    # Given a first attempt refused (an invalid field)
    refused = world.api("POST", "/accounts", {**ACCOUNT, "language": "fr"}, headers=key("fix-me"))
    assert refused.status == 422

    # Then nothing was kept for it, and the corrected request with the same key is carried out
    assert idempotency_records() == []
    created = world.api("POST", "/accounts", ACCOUNT, headers=key("fix-me"))
    assert created.status == 201
    assert "Idempotent-Replayed" not in created.headers


def test_keys_belong_to_a_firm_and_a_route(world: World) -> None:
    # Given firm A's account created with a key
    mine = world.api("POST", "/accounts", ACCOUNT, headers=key("shared-key"))

    # Then firm B's request with the same key and body is its own
    theirs = world.api("POST", "/accounts", ACCOUNT, headers=key("shared-key"), firm="firm-b")
    assert theirs.status == 201
    assert theirs.body["id"] != mine.body["id"]
    assert world.api("GET", f"/accounts/{theirs.body['id']}", firm="firm-b").status == 200

    # And the same key on another route is another request
    template = world.api("POST", "/templates", {"kind": "chat", "name": "Docs"}, headers=key("shared-key"))
    assert template.status == 201
    assert template.body["kind"] == "chat"


@pytest.mark.parametrize("value", ["", " ", "x" * 256, "naïve", "tab\there", " padded"])
def test_a_malformed_key_is_a_bad_request_and_nothing_is_done(world: World, value: str) -> None:
    reply = world.api("POST", "/accounts", ACCOUNT, headers=key(value))

    assert reply.status == 400, reply.body
    assert reply.error_code == "bad_request"
    assert reply.body["error"]["details"][0]["field"] == "Idempotency-Key"
    assert table_snapshot() == []


def test_the_longest_key_is_accepted(world: World) -> None:
    assert world.api("POST", "/accounts", ACCOUNT, headers=key("k" * 255)).status == 201


def test_without_the_header_every_post_acts(world: World) -> None:
    first = world.api("POST", "/accounts", ACCOUNT)
    second = world.api("POST", "/accounts", ACCOUNT)
    assert (first.status, second.status) == (201, 201)
    assert first.body["id"] != second.body["id"]
    assert idempotency_records() == []


def test_the_header_is_ignored_on_other_methods(world: World) -> None:
    firm = {"name": "Silva"}
    assert world.api("PUT", "/firm", firm, headers=key("not-a-post")).status == 200
    assert world.api("PUT", "/firm", {"name": "Other"}, headers=key("not-a-post")).body["name"] == "Other"
    assert idempotency_records() == []
