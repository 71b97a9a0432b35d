"""The functions' logs on the local console: one short line per invocation (what ran, what came
of it, how long it took, and the first warning or error it logged), unless the stack runs with
--log-level DEBUG, which shows the functions' own Powertools JSON as Lambda would log it.

The API's invocations print no line of their own: the gateway prints one per request already
(with the status), so an API line appears here only when the function logged a warning or error.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, redirect_stdout
from dataclasses import dataclass, field
from typing import Any

Say = Callable[[str], None]


@dataclass
class Captured:
    """What one invocation logged (Powertools writes one JSON object per line)."""

    text: io.StringIO = field(default_factory=io.StringIO)

    def records(self) -> list[dict[str, Any]]:
        found = []
        for line in self.text.getvalue().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                record = {"level": "INFO", "message": line}
            if isinstance(record, dict):
                found.append(record)
        return found

    def worst(self) -> tuple[int, str] | None:
        """How many warnings or errors were logged, and the first of the most severe."""
        levels = {"WARNING": 1, "ERROR": 2, "CRITICAL": 2}
        notable = [r for r in self.records() if str(r.get("level", "")).upper() in levels]
        if not notable:
            return None
        first = max(notable, key=lambda r: levels[str(r.get("level", "")).upper()])
        return len(notable), f"{str(first.get('level')).lower()}: {first.get('message')}"


def _is_api_event(event: Any) -> bool:
    return isinstance(event, Mapping) and "routeKey" in event and "requestContext" in event


def describe(event: Any, result: Any) -> str:
    """What an invocation did, in a few words, from its event and its result."""
    if _is_api_event(event):
        status = result.get("statusCode") if isinstance(result, Mapping) else "?"
        return f"{event['requestContext'].get('http', {}).get('method')} {event.get('rawPath')} -> {status}"
    if isinstance(event, Mapping) and isinstance(event.get("Records"), list):
        failed = len(result.get("batchItemFailures", [])) if isinstance(result, Mapping) else 0
        return f"{len(event['Records'])} messages, {failed} failed"
    if isinstance(result, Mapping):
        shown = [f"{k} {v}" for k, v in result.items() if isinstance(v, int | str | bool) and v not in (0, False, "")]
        return (event.get("detail-type", "") + ": " if isinstance(event, Mapping) else "") + (
            ", ".join(shown[:6]) or "nothing to do"
        )
    return "done"


class FunctionConsole:
    """Wraps each invocation: captures the function's log lines (unless DEBUG) and prints the
    invocation's line. `logger` is the layer's Powertools logger, shared by every function of
    the process, as the functions run one at a time on the runtime's worker."""

    def __init__(self, logger: Any, say: Say, debug: bool) -> None:
        self._logger = logger
        self._say = say
        self._debug = debug

    def _handlers(self) -> list[logging.StreamHandler[Any]]:
        handler = getattr(self._logger, "registered_handler", None)
        return [handler] if isinstance(handler, logging.StreamHandler) else []

    @contextmanager
    def _capture(self) -> Iterator[Captured]:
        captured = Captured()
        if self._debug:
            yield captured
            return
        handlers = self._handlers()
        previous = [h.setStream(captured.text) for h in handlers]
        try:
            # what a function prints itself (Powertools' cold-start metric blob) goes the same way
            with redirect_stdout(captured.text):
                yield captured
        finally:
            for handler, stream in zip(handlers, previous, strict=True):
                if stream is not None:
                    handler.setStream(stream)

    def invoke(self, function: str, event: Any, run: Callable[[], Any], clock: Callable[[], float]) -> Any:
        # a correlation id belongs to one invocation: none is carried over to the next (the API
        # sets its own from the request; a scan or a batch has none)
        self._logger.remove_keys(["correlation_id"])
        started = clock()
        result: Any = None
        error: BaseException | None = None
        with self._capture() as captured:
            try:
                result = run()
            except BaseException as raised:
                error = raised
        elapsed_ms = (clock() - started) * 1000
        worst = captured.worst()
        if error is not None:
            line = f"{function}: failed: {type(error).__name__}: {error}"
        else:
            line = f"{function}: {describe(event, result)}"
        if worst is not None:
            count, first = worst
            line += f"  [{count} logged, {first}]"
        if error is not None or worst is not None or not _is_api_event(event):
            self._say(f"{line} ({elapsed_ms:.0f} ms)")
        if error is not None:
            raise error
        return result
