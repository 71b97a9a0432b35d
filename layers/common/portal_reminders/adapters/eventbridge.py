"""Event publisher on an Amazon EventBridge bus."""

from __future__ import annotations

import json
from typing import Any

from portal_reminders.ports import EventPublisher, PublishFailed

SOURCE = "client-reminders"


class EventBridgePublisher(EventPublisher):
    def __init__(self, client: Any, bus_name: str) -> None:
        self._client = client
        self._bus_name = bus_name

    def publish(self, detail_type: str, detail: dict[str, str]) -> None:
        if not self._bus_name:
            raise PublishFailed("EVENT_BUS_NAME is not set")
        entry = {
            "EventBusName": self._bus_name,
            "Source": SOURCE,
            "DetailType": detail_type,
            "Detail": json.dumps(detail),
        }
        response = self._client.put_events(Entries=[entry])
        if response.get("FailedEntryCount"):
            failure = response["Entries"][0]
            raise PublishFailed(f"{failure.get('ErrorCode')}: {failure.get('ErrorMessage')}")
