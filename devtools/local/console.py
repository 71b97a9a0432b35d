"""Progress lines of the local stack: one short line per step, with the wall-clock time."""

from __future__ import annotations

import sys
import time
from urllib.parse import urlsplit


def say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} local | {message}", file=sys.stderr, flush=True)


DEFAULT_PORT = 3000  # the Makefile's PORT


def make_hint(target: str, url: str, *arguments: str) -> str:
    """A `make` command for the stack at `url`: `make tick PORT=3100 AT=...` when it does not run
    on the default port, so a printed hint works as it is when pasted."""
    port = urlsplit(url).port
    on_port = [] if port in (None, DEFAULT_PORT) else [f"PORT={port}"]
    return " ".join(["make", target, *on_port, *arguments])
