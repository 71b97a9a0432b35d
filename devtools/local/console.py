"""Progress lines of the local stack: one short line per step, with the wall-clock time."""

from __future__ import annotations

import sys
import time


def say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} local | {message}", file=sys.stderr, flush=True)
