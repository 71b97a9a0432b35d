"""Cold-start imports: each function's handler against `import boto3` (not a test).

    .venv/bin/python -m bench.importtime [--runs 9] [--before PATH] [--out bench/importtime.json]

Every run is a fresh interpreter with the function's folder and the layer on its path and the
environment template.yaml gives the functions (devtools/importtime.py says how it is timed). Each
figure is the median of `--runs` runs, and the best (least disturbed) run beside it; the ratios
divide by boto3's figure from the same rounds. With a `make build` output, the built api is also
measured as Lambda loads it (the runtime's Python, read-only folders), with and without the
bytecode `make build` compiles. "api, primed" also times what SnapStart's
before-snapshot hook builds (api/snapstart.py: the settings, the use cases, their AWS clients):
without SnapStart, the first requests of a new copy build that. `--before PATH` measures the
handlers of another checkout of the repository in the same rounds (e.g. `git archive main`).
The table is printed and written, with the machine's load, to bench/importtime.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import ROOT
from bench.stack import LAMBDA_ENVIRONMENT, template_environment
from devtools import build_check, importtime
from devtools.importtime import BASELINE, Target, Timing

RESULTS = Path(__file__).resolve().parent / "importtime.json"
FUNCTIONS = importtime.functions(ROOT)
TARGET_API_RATIO = 1.5
PRIMED = "api, primed"
BUILT = "api, built"
BUILT_BARE = "api, built, no bytecode"
PRIME = "from portal_reminders.api.snapstart import prime\nprime()"


def environment() -> dict[str, str]:
    """What Lambda and template.yaml's Globals set on every function (stand-in resource names)."""
    return {**LAMBDA_ENVIRONMENT, **template_environment()}


def targets(before: Path | None = None) -> dict[str, Target]:
    chosen = {BASELINE: importtime.boto3_target()}
    chosen |= {function: importtime.handler_target(function, ROOT) for function in FUNCTIONS}
    chosen[PRIMED] = importtime.handler_target("api", ROOT, then=PRIME)
    if before is not None:
        chosen |= {f"{f} (before)": importtime.handler_target(f, before) for f in importtime.functions(before)}
    return chosen


def measure(runs: int, before: Path | None = None) -> dict[str, Timing]:
    return importtime.measure(targets(before), environment(), runs)


def measure_built(runs: int) -> dict[str, Timing] | None:
    """The api as `make build` leaves it, in the runtime's Python, writing no bytecode (Lambda's
    folders are read-only): with the build's compiled bytecode, and a copy without it (what
    `sam build` alone ships). None without a compiled build or the runtime's Python."""
    python = build_check.find_runtime_python()
    (api,) = [function for function in build_check.built_functions() if function.logical_id == "ApiFunction"]
    if python is None or not build_check.runtime_deps_ready() or not (api.built / "__pycache__").is_dir():
        return None
    layer = api.layers[0].python_dir
    with tempfile.TemporaryDirectory() as copy:
        bare = Path(copy)
        shutil.copytree(api.built, bare / "function", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copytree(layer, bare / "layer", ignore=shutil.ignore_patterns("__pycache__"))
        chosen = {
            BASELINE: Target("import boto3", (build_check.RUNTIME_DEPS,)),
            BUILT: Target("import handler", (api.built, layer, build_check.RUNTIME_DEPS)),
            BUILT_BARE: Target("import handler", (bare / "function", bare / "layer", build_check.RUNTIME_DEPS)),
        }
        return importtime.measure(chosen, {**environment(), "PYTHONDONTWRITEBYTECODE": "1"}, runs, python)


def rows(timings: dict[str, Timing]) -> list[dict[str, Any]]:
    table = []
    for name, timing in timings.items():
        table.append(
            {
                "import": name,
                "wall_median_ms": round(timing.wall_median_ms, 1),
                "wall_ratio": round(importtime.ratio(timings, name, "wall_median_ms"), 2),
                "cpu_median_ms": round(timing.cpu_median_ms, 1),
                "cpu_ratio": round(importtime.ratio(timings, name, "cpu_median_ms"), 2),
                "cpu_best_ms": round(timing.cpu_best_ms, 1),
                "cpu_best_ratio": round(importtime.ratio(timings, name, "cpu_best_ms"), 2),
            }
        )
    return table


def print_table(table: list[dict[str, Any]]) -> None:
    columns = list(table[0])
    widths = [max(len(column), *(len(str(row[column])) for row in table)) for column in columns]
    print("  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True)))
    for row in table:
        cells = [str(row[column]) for column in columns]
        print("  ".join([cells[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.importtime", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed runs of each import (default 9)")
    parser.add_argument("--before", type=Path, help="another checkout whose handlers to measure alike")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the results JSON")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    print(f"{args.runs} runs of {len(targets(args.before))} imports, round after round (load {load_before[0]:.1f}) ...")
    timings = measure(args.runs, args.before)
    load_after = os.getloadavg()
    table = rows(timings)
    print_table(table)
    built = measure_built(args.runs)
    built_table = rows(built) if built else []
    if built_table:
        print("\nthe build (`make build`), in the runtime's Python, writing no bytecode:")
        print_table(built_table)
    else:
        print("\nno compiled build or no runtime Python: run `make build` to measure the built api")
    api = importtime.ratio(timings, "api", "wall_median_ms")
    met = api <= TARGET_API_RATIO
    print(f"api / boto3, median wall time: {api:.2f}x (target {TARGET_API_RATIO}x: {'met' if met else 'NOT met'})")
    print(f"load average (1 min) {load_before[0]:.1f} before, {load_after[0]:.1f} after, on {os.cpu_count()} CPUs")
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_1min": {"before": round(load_before[0], 2), "after": round(load_after[0], 2)},
        "runs": args.runs,
        "target_api_ratio": TARGET_API_RATIO,
        "imports": table,
        "built": built_table,
        "heaviest_imports_ms": {
            function: [[module, round(ms, 1)] for module, ms in importtime.heaviest_imports(function, environment())]
            for function in FUNCTIONS
        },
    }
    args.out.write_text(json.dumps(document, indent=2) + "\n")
    shown = args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out
    print(f"wrote {shown}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
