"""Every event the functions put on an EventBridge bus and the bus accepted (the domain events the
publisher announces: docs/events.md), newest first: as JSON, each as a rule's target receives it, and as
a page."""

from __future__ import annotations

import html
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from devtools.local.eventbus import bus_name, event_from_entry
from devtools.local.web import VIEWPORT
from portal_reminders import clock


@dataclass(frozen=True)
class PublishedEvent:
    bus: str
    event: dict[str, Any]  # as EventBridge delivers it: version, id, detail-type, source, time, detail...


class PublishedEvents:
    def __init__(self, region: str = "us-east-1", account: str = "123456789012") -> None:
        self._events: list[PublishedEvent] = []
        self._lock = threading.Lock()
        self._region = region
        self._account = account

    def record_put_events(self, params: dict[str, Any], response: dict[str, Any]) -> None:
        """The CallObserver callback for PutEvents: keep each entry the bus accepted."""
        answers = response.get("Entries", [])
        now: datetime = clock.now()
        accepted = []
        for index, entry in enumerate(params.get("Entries", [])):
            answer = answers[index] if index < len(answers) else {}
            if answer.get("EventId"):
                event = event_from_entry(entry, str(answer["EventId"]), now, self._region, self._account)
                accepted.append(PublishedEvent(bus_name(entry.get("EventBusName")), event))
        with self._lock:
            self._events.extend(accepted)

    def events(self) -> list[PublishedEvent]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._events))

    def as_json(self) -> dict[str, Any]:
        events = self.events()
        return {"count": len(events), "items": [{"bus": e.bus, **e.event} for e in events]}

    def page(self) -> str:
        return render_page(self.events())


_STYLE = """
*, *::before, *::after { box-sizing: border-box; }
body { font-family: system-ui, sans-serif; margin: 0 auto; padding: 1rem; max-width: 60rem; color: #222; }
header p { color: #555; }
h1, h2, p { overflow-wrap: anywhere; }
article.event { border: 1px solid #ccc; border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; }
h2 { margin: 0 0 .25rem; font-size: 1.1rem; } h2 small { color: #666; font-weight: normal; }
pre { background: #f6f6f6; padding: .75rem; border-radius: 4px; font-size: .85rem;
      white-space: pre-wrap; word-break: break-all; }
@media (max-width: 30rem) {
  body { padding: .5rem; } article.event { padding: .5rem .75rem; } pre { padding: .5rem; font-size: .7rem; }
}
"""


def _card(published: PublishedEvent) -> str:
    e = html.escape
    event = published.event
    detail = event.get("detail", {})
    about = detail.get("item_id") or detail.get("job_id") or ""
    return (
        f'<article class="event" data-detail-type="{e(str(event["detail-type"]))}" '
        f'data-event-id="{e(str(detail.get("event_id", "")))}">'
        f"<h2>{e(str(event['detail-type']))} <small>{e(str(event['time']))} · {e(about)} · bus {e(published.bus)}"
        f"</small></h2><pre>{e(json.dumps(event, indent=2, ensure_ascii=False))}</pre></article>"
    )


def render_page(events: list[PublishedEvent]) -> str:
    cards = "".join(_card(event) for event in events) or '<p id="empty">No event published yet.</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">{VIEWPORT}<title>Events ({len(events)}) - local stack</title>
<style>{_STYLE}</style></head>
<body><header><h1>Events</h1>
<p>{len(events)} event(s) on the bus, newest first, each as an EventBridge rule's target receives it.
The publisher announces each committed change from the table's stream (a moment after the write).
Reload to see new ones; JSON at <a href="/_local/events">/_local/events</a>;
emails at <a href="/_local/outbox.html">the outbox</a>; <a href="/_local/status">status</a>.</p></header>
<main>{cards}</main></body></html>"""
