"""layers/common/requirements.txt, generated from the `runtime` dependency group of pyproject.toml
(the single source of dependencies), so the layer `sam build` installs is what the tests ran with.

    python -m devtools.requirements           rewrite layers/common/requirements.txt
    python -m devtools.requirements --check   exit 1 if it differs from pyproject.toml
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
REQUIREMENTS = ROOT / "layers" / "common" / "requirements.txt"
GROUP = "runtime"
HEADER = "# generated from pyproject.toml [dependency-groups].runtime by `make requirements`; do not edit\n"


def group_requirements(groups: dict[str, list[Any]], name: str) -> list[str]:
    """A PEP 735 group's requirements, with `{include-group = ...}` entries expanded."""
    requirements: list[str] = []
    for entry in groups[name]:
        if isinstance(entry, dict):
            requirements.extend(group_requirements(groups, entry["include-group"]))
        else:
            requirements.append(entry)
    return requirements


def runtime_requirements(pyproject: Path = PYPROJECT) -> str:
    """The text layers/common/requirements.txt must hold."""
    groups = tomllib.loads(pyproject.read_text(encoding="utf-8"))["dependency-groups"]
    return HEADER + "".join(f"{requirement}\n" for requirement in group_requirements(groups, GROUP))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, exit 1 when out of date")
    args = parser.parse_args()
    expected = runtime_requirements()
    current = REQUIREMENTS.read_text(encoding="utf-8") if REQUIREMENTS.exists() else None
    relative = REQUIREMENTS.relative_to(ROOT)
    if args.check:
        if current != expected:
            print(f"{relative} is out of date with pyproject.toml: run `make requirements`", file=sys.stderr)
            sys.exit(1)
        print(f"{relative} is up to date")
    elif current == expected:
        print(f"{relative} is up to date")
    else:
        REQUIREMENTS.write_text(expected, encoding="utf-8")
        print(f"wrote {relative}")


if __name__ == "__main__":
    main()
