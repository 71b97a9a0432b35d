"""The EventBridge adapter: PutEvents within the service's limits (10 entries, 256 KB a request),
each refused entry reported, and nothing sent after a request that failed. botocore's Stubber
answers for EventBridge."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.stub import ANY, Stubber

from portal_reminders.adapters.eventbridge import (
    MAX_ENTRIES,
    MAX_REQUEST_BYTES,
    NOT_SENT,
    EventBridgeBus,
    entry_size,
    requests,
)
from portal_reminders.models.domain_events import DomainEvent, EventType

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def event(number: int, title: str = "Invoice") -> DomainEvent:
    event_id = f"evt_{number:032x}"
    return DomainEvent(EventType.ITEM_CANCELLED, event_id, AT, {"event_id": event_id, "title": title})


@pytest.fixture
def client() -> Any:
    return botocore.session.get_session().create_client(
        "events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def accepted(count: int) -> dict[str, Any]:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": f"id-{n}"} for n in range(count)]}


def test_an_entry_is_the_event_on_the_bus_from_the_product_at_the_time_of_the_change(client: Any) -> None:
    entry = EventBridgeBus(client, "reminders").entry(event(1, title="Fatura “março”"))
    assert entry["EventBusName"] == "reminders"
    assert (entry["Source"], entry["DetailType"], entry["Time"]) == ("client-reminders", "ItemCancelled", AT)
    assert json.loads(entry["Detail"]) == {"event_id": f"evt_{1:032x}", "title": "Fatura “março”"}


def test_requests_hold_at_most_ten_entries_and_256_kb() -> None:
    small = [{"Source": "s", "DetailType": "d", "Detail": "{}"} for _ in range(25)]
    assert [len(batch) for batch in requests(small)] == [MAX_ENTRIES, MAX_ENTRIES, 5]
    big = [{"Source": "s", "DetailType": "d", "Detail": "x" * 100_000} for _ in range(5)]
    batches = requests(big)
    assert [len(batch) for batch in batches] == [2, 2, 1]
    assert all(sum(entry_size(big[i]) for i in batch) <= MAX_REQUEST_BYTES for batch in batches)
    assert [i for batch in batches for i in batch] == list(range(5))


def test_all_accepted_in_as_few_requests_as_allowed(client: Any) -> None:
    bus = EventBridgeBus(client, "reminders")
    with Stubber(client) as stub:
        stub.add_response("put_events", accepted(10), {"Entries": ANY})
        stub.add_response("put_events", accepted(2), {"Entries": ANY})
        assert bus.put([event(n) for n in range(12)]) == [None] * 12
        stub.assert_no_pending_responses()


def test_a_refused_entry_is_reported_and_later_requests_are_not_sent(client: Any) -> None:
    # Given a bus that throttles the second entry of the first request
    bus = EventBridgeBus(client, "reminders")
    answer = {
        "FailedEntryCount": 1,
        "Entries": [{"EventId": "a"}, {"ErrorCode": "ThrottlingException", "ErrorMessage": "Rate exceeded"}]
        + [{"EventId": f"b{n}"} for n in range(8)],
    }
    with Stubber(client) as stub:
        stub.add_response("put_events", answer, {"Entries": ANY})

        # When 12 events are put
        results = bus.put([event(n) for n in range(12)])

    # Then the refused one says why, the rest of its request was accepted, the next request was not sent
    assert results[:10] == [None, "ThrottlingException: Rate exceeded", *[None] * 8]
    assert results[10:] == [NOT_SENT, NOT_SENT]


def test_a_request_that_fails_as_a_whole_fails_its_entries_and_stops(client: Any) -> None:
    bus = EventBridgeBus(client, "reminders")
    with Stubber(client) as stub:
        stub.add_response("put_events", accepted(10), {"Entries": ANY})
        stub.add_client_error("put_events", "AccessDeniedException", "not allowed on this bus")
        results = bus.put([event(n) for n in range(25)])
    assert results[:10] == [None] * 10
    assert results[10:20] == ["AccessDeniedException: not allowed on this bus"] * 10
    assert results[20:] == [NOT_SENT] * 5
