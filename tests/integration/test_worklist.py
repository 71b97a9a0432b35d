"""The firm's worklist (SPEC R19): GET /action-items lists items across all the firm's accounts, by
status, then earliest due date first (escalated or not), filtered by status, overdue (on the client's
calendar) and escalated, paged; read by Query on the worklist index, never a Scan; another firm sees
nothing; bad parameters are a 422 naming them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from portal_reminders.repository.records import ItemRecord
from tests.support.aws import table_snapshot
from tests.support.world import World

# START is Friday 27 November 2026, 09:00 UTC
TODAY = "2026-11-27"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def listed(world: World, **query: str) -> list[str]:
    """Every title of the worklist with these parameters, page after page."""
    titles: list[str] = []
    token = None
    while True:
        page = world.api("GET", "/action-items", query={**query, **({"next_token": token} if token else {})})
        assert page.status == 200, page.body
        titles += [entry["title"] for entry in page.body["items"]]
        token = page.body["next_token"]
        if token is None:
            return titles


def an_account(world: World, name: str, zone: str = "UTC") -> str:
    reply = world.api(
        "POST", "/accounts", {"name": name, "time_zone": zone, "contacts": [{"name": "Ana", "email": "ana@x.example"}]}
    )
    assert reply.status == 201, reply.body
    return str(reply.body["id"])


def an_item(world: World, account_id: str, title: str, due: str | None = None, **more: Any) -> str:
    return str(world.send_item(account_id, title=title, due_date=due, **more)["id"])


@pytest.fixture
def firm_items(world: World) -> dict[str, str]:
    """Items of two accounts, pending, completed and cancelled, due on various days."""
    souza, lima = an_account(world, "Souza"), an_account(world, "Lima", zone="Pacific/Kiritimati")
    ids = {
        "late-1": an_item(world, souza, "late-1", "2026-11-20"),
        "late-2": an_item(world, lima, "late-2", "2026-11-25"),
        "today": an_item(world, souza, "today", TODAY),
        "soon": an_item(world, lima, "soon", "2026-12-05"),
        "undated": an_item(world, souza, "undated"),
        "done": an_item(world, souza, "done", "2026-11-01"),
        "dropped": an_item(world, lima, "dropped", "2026-11-02"),
    }
    assert world.api("POST", f"/action-items/{ids['done']}/complete").status == 200
    assert world.api("POST", f"/action-items/{ids['dropped']}/cancel").status == 200
    return ids


def test_the_worklist_lists_every_account_by_status_then_earliest_due_date(
    world: World, firm_items: dict[str, str]
) -> None:
    # When the firm asks for its worklist, and for its pending items
    everything = listed(world)
    pending = listed(world, status="pending")

    # Then every account's items are there: cancelled, completed, then pending earliest due first, undated last
    assert everything == ["dropped", "done", "late-1", "late-2", "today", "soon", "undated"]
    assert pending == ["late-1", "late-2", "today", "soon", "undated"]
    page = world.api("GET", "/action-items", query={"status": "pending", "limit": "1"}).body
    assert page["items"] == [
        {
            "id": firm_items["late-1"],
            "account_id": page["items"][0]["account_id"],
            "kind": "organizer",
            "title": "late-1",
            "status": "pending",
            "due_date": "2026-11-20",
            "overdue": True,
            "escalated_at": None,
        }
    ]


def test_overdue_is_the_due_date_before_today_on_the_clients_calendar(world: World, firm_items: dict[str, str]) -> None:
    # Given it is 27 November 09:00 UTC: already the 27th in Kiritimati (UTC+14) and in UTC
    # When the firm asks for its overdue pending items, and for the others
    overdue = listed(world, status="pending", overdue="true")
    not_overdue = listed(world, status="pending", overdue="false")

    # Then the items due before the 27th are overdue; due today, later or never are not
    assert overdue == ["late-1", "late-2"]
    assert not_overdue == ["today", "soon", "undated"]

    # And at 10:00 UTC on the 28th it is the 29th in Kiritimati: an item due on the 28th there is
    # overdue, the same date in UTC is not yet
    souza = world.api("GET", f"/action-items/{firm_items['today']}").body["account_id"]
    lima = world.api("GET", f"/action-items/{firm_items['soon']}").body["account_id"]
    an_item(world, souza, "utc-28th", "2026-11-28")
    an_item(world, lima, "kiritimati-28th", "2026-11-28")
    world.time.move_to(at("2026-11-28T10:00:00+00:00"))
    assert listed(world, status="pending", overdue="true") == ["late-1", "late-2", "today", "kiritimati-28th"]


def test_escalated_items_keep_their_due_date_order_and_filter(world: World) -> None:
    # Given two pending items with reminders after a day, one of which escalates a day later
    account = an_account(world, "Souza")
    quick = {"enabled": True, "days_between": 1, "max_reminders": 1}
    an_item(world, account, "calm", "2026-11-28", reminders=quick)
    loud = an_item(world, account, "loud", "2026-12-20", reminders={**quick, "escalate_after_days": 1})

    # When the reminders go, and a day later the escalation
    world.scan(at("2026-11-28T09:00:00+00:00"))
    world.drain()
    world.scan(at("2026-11-29T09:00:00+00:00"))
    world.drain()

    # Then the listing stays earliest due date first, and each filter finds its own
    assert listed(world, status="pending") == ["calm", "loud"]
    assert listed(world, escalated="true") == ["loud"]
    assert listed(world, escalated="false") == ["calm"]
    assert listed(world, status="pending", overdue="true", escalated="false") == ["calm"]
    [entry] = world.api("GET", "/action-items", query={"escalated": "true"}).body["items"]
    assert (entry["id"], entry["escalated_at"]) == (loud, "2026-11-29T09:00:00Z")


def test_the_worklist_pages_with_tokens_of_its_grammar(world: World, firm_items: dict[str, str]) -> None:
    # When the firm reads its worklist two at a time
    pages: list[list[str]] = []
    token = None
    while True:
        query = {"limit": "2", **({"next_token": token} if token else {})}
        body = world.api("GET", "/action-items", query=query).body
        pages.append([entry["title"] for entry in body["items"]])
        token = body["next_token"]
        if token is None:
            break

    # Then the pages follow each other without a gap or a repeat, across statuses
    assert pages == [["dropped", "done"], ["late-1", "late-2"], ["today", "soon"], ["undated"]]

    # And a token of another filter reads as the position it names (a cancelled item's: before pending)
    first = world.api("GET", "/action-items", query={"limit": "1"}).body
    after_dropped = world.api("GET", "/action-items", query={"status": "pending", "next_token": first["next_token"]})
    assert [entry["title"] for entry in after_dropped.body["items"]] == ["late-1", "late-2", "today", "soon", "undated"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "open"}, "status"),
        ({"overdue": "maybe"}, "overdue"),
        ({"escalated": "2"}, "escalated"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
    ],
)
def test_bad_parameters_are_refused_naming_them(world: World, query: dict[str, str], field: str) -> None:
    # Given a firm with an item
    an_item(world, an_account(world, "Souza"), "late-1", "2026-11-20")
    before = table_snapshot()

    # When the worklist is asked for with a bad parameter
    reply = world.api("GET", "/action-items", query=query)

    # Then it is a 422 naming it, and nothing changed
    assert reply.status == 422, reply.body
    assert [d["field"] for d in reply.body["error"]["details"]] == [field]
    assert table_snapshot() == before


def test_a_malformed_page_token_is_a_400(world: World) -> None:
    reply = world.api("GET", "/action-items", query={"next_token": "pending.0.123.itm_nope"})
    assert reply.status == 400, reply.body
    assert reply.body["error"]["details"][0]["field"] == "next_token"


def test_another_firm_sees_nothing_of_the_worklist(world: World, firm_items: dict[str, str]) -> None:
    # When another firm asks for its worklist, also with this firm's page token
    token = world.api("GET", "/action-items", query={"limit": "1"}).body["next_token"]
    theirs = world.api("GET", "/action-items", firm="firm-b")
    with_token = world.api("GET", "/action-items", query={"next_token": token}, firm="firm-b")

    # Then it sees nothing
    assert (theirs.status, theirs.body["items"]) == (200, [])
    assert (with_token.status, with_token.body["items"]) == (200, [])


@contextmanager
def dynamodb_requests() -> Iterator[list[dict[str, Any]]]:
    """Every request the functions make to DynamoDB: its operation, index and items read."""
    client = ItemRecord._get_connection().connection.client
    seen: list[dict[str, Any]] = []

    def keep(model: Any, parsed: dict[str, Any], **_: Any) -> None:
        seen.append({"operation": model.name, "parsed": parsed, "index": None})

    def note(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append({"operation": f"call:{model.name}", "index": params.get("IndexName"), "parsed": {}})

    client.meta.events.register("before-parameter-build.dynamodb", note, unique_id="worklist-params")
    client.meta.events.register("after-call.dynamodb", keep, unique_id="worklist-reads")
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-parameter-build.dynamodb", unique_id="worklist-params")
        client.meta.events.unregister("after-call.dynamodb", unique_id="worklist-reads")


def test_the_worklist_reads_by_query_on_its_index_and_no_more_than_one_entry_past_the_page(
    world: World, firm_items: dict[str, str]
) -> None:
    # When the firm reads its pending items, three at a time
    with dynamodb_requests() as requests:
        page = world.api("GET", "/action-items", query={"status": "pending", "limit": "3"})

    # Then every request was a Query on the worklist index (no Scan, nothing per account), reading
    # the three listed entries and one more to know a page follows
    assert len(page.body["items"]) == 3
    calls = [r for r in requests if r["operation"].startswith("call:")]
    assert {(r["operation"], r["index"]) for r in calls} == {("call:Query", "worklist-index")}
    read = sum(r["parsed"].get("Count", 0) for r in requests if r["operation"] == "Query")
    assert read == 4


def test_overdue_items_are_earliest_due_date_first_escalated_or_not_page_after_page(world: World) -> None:
    # Given overdue items, every other one escalated, due on different days
    account = an_account(world, "Souza")
    quick = {"enabled": True, "days_between": 1, "max_reminders": 1}
    dues = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]
    for number, due in enumerate(dues):
        escalating = {**quick, "escalate_after_days": 1} if number % 2 else quick
        an_item(world, account, due, due, reminders=escalating)
    for day in ("2026-11-28", "2026-11-29"):
        world.scan(at(f"{day}T09:00:00+00:00"))
        world.drain()
    assert listed(world, escalated="true") == dues[1::2]

    # When the firm lists them, whole and two at a time
    pages: list[list[str]] = []
    token = None
    with dynamodb_requests() as requests:
        while True:
            query = {"status": "pending", "overdue": "true", "limit": "2", **({"next_token": token} if token else {})}
            body = world.api("GET", "/action-items", query=query).body
            pages.append([entry["title"] for entry in body["items"]])
            token = body["next_token"]
            if token is None:
                break

    # Then it is earliest due date first whether escalated or not, without a gap or a repeat
    assert listed(world, status="pending", overdue="true") == dues
    assert pages == [dues[0:2], dues[2:4], dues[4:6]]
    # and each page read its own entries and the one past it (the last finds none), one Query each:
    # escalated or not is one range of the index, not two to merge
    read = sum(r["parsed"].get("ScannedCount", 0) for r in requests if r["operation"] == "Query")
    queries = [r for r in requests if r["operation"] == "call:Query"]
    assert (read, len(queries)) == (len(dues) + len(pages) - 1, len(pages))


def test_escalated_items_are_read_from_their_own_index_entry_by_entry(world: World) -> None:
    # Given twelve overdue items, one in four escalated
    account = an_account(world, "Lima")
    quick = {"enabled": True, "days_between": 1, "max_reminders": 1}
    dues = [f"2026-11-{day:02d}" for day in range(10, 22)]
    for number, due in enumerate(dues):
        escalating = {**quick, "escalate_after_days": 1} if number % 4 == 0 else quick
        an_item(world, account, due, due, reminders=escalating)
    for day in ("2026-11-28", "2026-11-29"):
        world.scan(at(f"{day}T09:00:00+00:00"))
        world.drain()

    # When the firm lists its escalated items
    with dynamodb_requests() as requests:
        escalated = listed(world, escalated="true")

    # Then it read those three and nothing else, from the escalated items' own index
    assert escalated == dues[::4]
    read = sum(r["parsed"].get("ScannedCount", 0) for r in requests if r["operation"] == "Query")
    calls = {(r["operation"], r["index"]) for r in requests if r["operation"].startswith("call:")}
    assert (read, calls) == (3, {("call:Query", "escalated-index")})
    # and a page at a time, each page starting where the last one's token stands in that index
    assert listed(world, escalated="true", limit="1") == escalated
    # and the others, page after page, are the worklist less those
    assert listed(world, escalated="false", limit="2") == [due for number, due in enumerate(dues) if number % 4]
