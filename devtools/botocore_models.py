"""botocore's service models, read once per process instead of once per session (tests and the
local stack only; a Lambda function makes one session per execution environment anyway).

botocore parses a service's JSON model (megabytes for some services) once per session: its loader
caches per instance. moto gives every test a fresh boto3 session, and the code under test makes its
own after `wiring.reset()`, as the local stack does whenever it switches functions, so the same
files were read again and again: most of an AWS world's cost in the tests (a world, an account and a
sent item: 1.22 s, 0.37 s with the models shared). `share` keys the loader's cached methods by their
arguments and search paths across instances. What they return is what the loader's own cache hands
every client of a session: botocore treats it as read-only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from botocore import loaders

# The loader's methods that read files (each already cached per instance by botocore).
SHARED = ("list_available_services", "load_service_model", "load_data_with_path")

_shared: dict[tuple[Any, ...], Any] = {}


def share() -> None:
    """Share the loader's file reads across every loader of the process (idempotent)."""
    for name in SHARED:
        method = getattr(loaders.Loader, name)
        if not getattr(method, "shared_across_loaders", False):
            setattr(loaders.Loader, name, _across_loaders(name, method))


def _across_loaders(name: str, method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def shared(self: loaders.Loader, *args: Any, **kwargs: Any) -> Any:
        key = (name, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
        if key not in _shared:
            _shared[key] = method(self, *args, **kwargs)
        return _shared[key]

    shared.shared_across_loaders = True  # type: ignore[attr-defined]
    return shared
