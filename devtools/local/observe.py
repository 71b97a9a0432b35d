"""Watching what the functions ask of AWS: after each successful call of an operation (SES v2
SendEmail, EventBridge PutEvents) by any botocore client, a callback gets the call's request
parameters and parsed response.

The handlers are added to botocore's built-in handler list, which every botocore session
created afterwards registers, so the functions' clients (made after wiring.reset()) carry them
without the layer knowing. The call itself still goes to the moto server unchanged.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable
from typing import Any

import botocore.handlers

log = logging.getLogger(__name__)

Callback = Callable[[dict[str, Any], dict[str, Any]], None]
_PARAMS = "local_stack_params"


class CallObserver:
    def __init__(self) -> None:
        self._subscriptions: list[tuple[str, str, Callback]] = []
        self._installed: list[tuple[str, Callable[..., None]]] = []
        self._lock = threading.Lock()

    def subscribe(self, service_id: str, operation: str, callback: Callback) -> None:
        """`service_id` as botocore names it in events (eventbridge, sesv2); call before install()."""
        self._subscriptions.append((service_id, operation, callback))

    def install(self) -> None:
        with self._lock:
            for service_id, operation, callback in self._subscriptions:
                for event, handler in (
                    (f"before-parameter-build.{service_id}.{operation}", _remember_params),
                    (f"after-call.{service_id}.{operation}", _after_call(callback)),
                ):
                    botocore.handlers.BUILTIN_HANDLERS.append((event, handler))
                    self._installed.append((event, handler))

    def uninstall(self) -> None:
        with self._lock:
            for entry in self._installed:
                if entry in botocore.handlers.BUILTIN_HANDLERS:
                    botocore.handlers.BUILTIN_HANDLERS.remove(entry)
            self._installed.clear()


def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS] = copy.deepcopy(params)


def _after_call(callback: Callback) -> Callable[..., None]:
    def handler(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        if getattr(http_response, "status_code", 500) >= 300 or _PARAMS not in context:
            return
        try:
            callback(context[_PARAMS], parsed)
        except Exception:
            # an observer must never break the function's own call
            log.exception("local stack observer failed")

    return handler
