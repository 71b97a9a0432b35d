"""The API's request and response models (api/schemas.py) and the functions that fill them
(api/present.py) load with the first request that reaches a route, not with the handler
(docs/cold-start.md).

Defining schemas.py's pydantic models is about 40 ms of a cold start, a tenth of the api's import,
and only a routed request uses them (a request refused before routing, 401 or 400, never does).
Powertools needs none of them to register a route: the route modules name them in signatures as
strings (`from __future__ import annotations`), which Powertools resolves against the module's
globals when it first validates a request of that route (`Route.dependant`), and call the
presenters in their bodies. So a route module imports schemas and present under TYPE_CHECKING only,
and `load` puts their names into the route modules' globals (a name a module defines or imports
itself stays its own) before the resolver routes its first request, builds the OpenAPI document,
or SnapStart's snapshot is taken (api/app.py, api/snapstart.py). The error model every route
documents (routes/common.py) is filled in at the same time.

Without SnapStart this moves the models' time to the first routed request of a new copy: it is not
saved. With SnapStart the snapshot holds them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import ModuleType
from typing import Any

_lock = threading.Lock()
_loaded = False


def load(route_modules: Iterable[ModuleType]) -> None:
    """Define the models (once) and give the route modules their names."""
    global _loaded  # noqa: PLW0603 - once per process
    if _loaded:
        return
    with _lock:
        if _loaded:
            return
        # deferred: what this module exists for (see its docstring)
        from portal_reminders.api import present, schemas  # noqa: PLC0415
        from portal_reminders.api.routes import common  # noqa: PLC0415

        names = _defined_in(schemas) | _defined_in(present)
        for module in route_modules:
            for name, value in names.items():
                vars(module).setdefault(name, value)
        common.fill_error_model(schemas.Error)
        _loaded = True


def _defined_in(module: ModuleType) -> dict[str, Any]:
    """The module's own public classes and functions (not what it imports)."""
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module.__name__
    }
