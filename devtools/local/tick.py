"""make tick IN=3d (or AT=2026-12-01T09:00:00Z): move the running local stack's clock and scan at once.

python -m devtools.local.tick [--url http://127.0.0.1:3000] (--in 3d | AT)

`--in` counts from the stack's own clock (which earlier ticks moved), not from this machine's.
"""

from __future__ import annotations

import argparse
import json
import sys

from devtools.local.client import DEFAULT_URL, StackClient, StackUnreachable
from devtools.local.durations import EXAMPLES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.local.tick", description=__doc__.splitlines()[0])
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("at", nargs="?", help="ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z")
    when.add_argument("--in", dest="after", metavar="DURATION", help=f"forward from the stack's clock: {EXAMPLES}")
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    body = {"in": args.after} if args.after is not None else {"at": args.at}
    try:
        response = StackClient(args.url).call("POST", "/_local/tick", body)
    except StackUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(response.body, indent=2))
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
