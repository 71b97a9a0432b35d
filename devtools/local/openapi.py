"""Writes openapi.json (the API's OpenAPI document, generated from the code) or checks it.

python -m devtools.local.openapi [--out openapi.json] [--check]   (make openapi)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devtools.local.runtime import add_layers_to_path
from devtools.sam_template import ROOT

COMMITTED = ROOT / "openapi.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=COMMITTED)
    parser.add_argument("--check", action="store_true", help="fail if the file differs from the code")
    args = parser.parse_args()
    add_layers_to_path()
    from devtools.local.swagger import openapi_text  # noqa: PLC0415 - needs the layer on the path

    text = openapi_text()
    if args.check:
        same = args.out.exists() and args.out.read_text() == text
        print(f"{args.out.name}: {'up to date' if same else 'OUT OF DATE, run make openapi'}")
        return 0 if same else 1
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(text.splitlines())} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
