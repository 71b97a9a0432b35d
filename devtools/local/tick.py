"""make tick AT=2026-12-01T09:00:00Z: move the running local stack's clock and scan at once.

python -m devtools.local.tick [--url http://127.0.0.1:3000] AT
"""

from __future__ import annotations

import argparse
import json
import sys

from devtools.local.client import DEFAULT_URL, StackClient, StackUnreachable


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("at", help="ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z")
    parser.add_argument("--url", default=DEFAULT_URL)
    args = parser.parse_args(argv)
    try:
        response = StackClient(args.url).call("POST", "/_local/tick", {"at": args.at})
    except StackUnreachable as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(json.dumps(response.body, indent=2))
    return 0 if response.status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
