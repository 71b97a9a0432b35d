"""How long each function's handler takes to import, against `import boto3`, each import in a fresh
interpreter with the path Lambda gives the function: its own folder and the layer (this machine's
site-packages stand in for the layer's pinned libraries and the runtime's boto3), in a neutral
working directory, with only the environment given.

Each run times the import inside the interpreter, in wall time (perf_counter, what a cold start
waits) and in CPU time (process_time: what the import computes, far less disturbed by other work
on a shared machine). Targets are measured in turn, round after round, so that drift on the
machine hits them alike; one untimed round first warms the file cache and writes the bytecode.
Used by bench/importtime.py (the figures) and tests/unit/test_cold_start.py (the api's budget).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = "boto3"
_PROBE = """import time
wall, cpu = time.perf_counter(), time.process_time()
{statements}
print(round((time.perf_counter() - wall) * 1e6), round((time.process_time() - cpu) * 1e6))
"""


def functions(root: Path = ROOT) -> tuple[str, ...]:
    """Every function of the repository (a folder of functions/ with a handler.py)."""
    return tuple(sorted(path.parent.name for path in (root / "functions").glob("*/handler.py")))


@dataclass(frozen=True)
class Target:
    """What one run executes (timed), and the folders on its path."""

    statements: str
    path: tuple[Path, ...] = ()


def boto3_target() -> Target:
    return Target("import boto3")


def handler_target(function: str, root: Path = ROOT, then: str = "") -> Target:
    """`import handler` as Lambda does it for `function`; `then`: statements timed after it."""
    statements = "import handler" + (f"\n{then}" if then else "")
    return Target(statements, (root / "functions" / function, root / "layers" / "common"))


@dataclass(frozen=True)
class Sample:
    wall_us: int
    cpu_us: int


@dataclass
class Timing:
    samples: list[Sample] = field(default_factory=list)

    @property
    def wall_median_ms(self) -> float:
        return statistics.median(s.wall_us for s in self.samples) / 1000

    @property
    def cpu_median_ms(self) -> float:
        return statistics.median(s.cpu_us for s in self.samples) / 1000

    @property
    def wall_best_ms(self) -> float:
        return min(s.wall_us for s in self.samples) / 1000

    @property
    def cpu_best_ms(self) -> float:
        return min(s.cpu_us for s in self.samples) / 1000


def run_once(target: Target, environment: Mapping[str, str], python: str = sys.executable) -> Sample:
    env = {"PATH": os.environ.get("PATH", ""), **environment}
    if target.path:
        env["PYTHONPATH"] = os.pathsep.join(str(folder) for folder in target.path)
    else:
        env.pop("PYTHONPATH", None)
    with tempfile.TemporaryDirectory() as cwd:  # so that `-c`'s sys.path[0] adds nothing
        result = subprocess.run(
            [python, "-c", _PROBE.format(statements=target.statements)],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"{target.statements!r} failed ({target.path}):\n{result.stderr[-2000:]}")
    wall_us, cpu_us = (int(value) for value in result.stdout.split()[-2:])
    return Sample(wall_us=wall_us, cpu_us=cpu_us)


def measure(
    targets: Mapping[str, Target],
    environment: Mapping[str, str],
    runs: int,
    python: str = sys.executable,
    until: Callable[[dict[str, Timing]], bool] | None = None,
    max_runs: int = 0,
) -> dict[str, Timing]:
    """`runs` timed runs of every target, round after round, after one untimed round; then, while
    `until` is given and false, more rounds up to `max_runs` (each best run can only come closer to
    an undisturbed import)."""
    for target in targets.values():
        run_once(target, environment, python)
    timings = {name: Timing() for name in targets}
    rounds = 0
    while rounds < runs or (until is not None and rounds < max_runs and not until(timings)):
        for name, target in targets.items():
            timings[name].samples.append(run_once(target, environment, python))
        rounds += 1
    return timings


def heaviest_imports(
    function: str, environment: Mapping[str, str], top: int = 5, root: Path = ROOT
) -> list[tuple[str, float]]:
    """The handler's heaviest imports one and two levels below it (module, cumulative ms), from
    one run of `python -X importtime`."""
    target = handler_target(function, root)
    env = {"PATH": os.environ.get("PATH", ""), **environment}
    env["PYTHONPATH"] = os.pathsep.join(str(folder) for folder in target.path)
    with tempfile.TemporaryDirectory() as cwd:
        result = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import handler"],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=True,
        )
    modules: list[tuple[str, float]] = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].rstrip()[1:]
        if name.startswith("  ") and not name.startswith("      "):  # depth 1 and 2 below the handler
            modules.append((name.strip(), int(parts[1]) / 1000))
    return sorted(modules, key=lambda m: -m[1])[:top]


def ratio(timings: Mapping[str, Timing], name: str, kind: str = "cpu_best_ms") -> float:
    """`name`'s figure over boto3's (kind: one of Timing's *_ms properties)."""
    value: float = getattr(timings[name], kind) / getattr(timings[BASELINE], kind)
    return value
