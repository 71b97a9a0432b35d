"""Cold-start import cost: each handler module against `import boto3` alone, in fresh interpreters.

`python -X importtime -c "import handler"` with only the function's folder and the layer on
PYTHONPATH (the venv's site-packages stand in for the layer's pinned libraries and the runtime's
boto3), and the Powertools variables Lambda would set; the cumulative time of the top-level
module's line, median of `runs` interpreters. One untimed run of each warms the file cache first.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

FUNCTIONS = ("api", "scan", "send", "automations")


@dataclass(frozen=True)
class Timing:
    module: str
    runs_us: list[int]

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_us) / 1000


def cumulative_us(stderr: str, module: str) -> int:
    """The cumulative microseconds of `module`'s top-level (unindented) line of -X importtime."""
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        parts = line.split("|")
        if len(parts) == 3 and parts[2].rstrip() == f" {module}":
            return int(parts[1].strip())
    raise ValueError(f"no top-level import line for {module!r} in -X importtime output")


def _import_once(python: str, module: str, pythonpath: list[Path] | None, environment: dict[str, str]) -> int:
    env = dict(environment)
    if pythonpath:
        env["PYTHONPATH"] = os.pathsep.join(str(path) for path in pythonpath)
    # a neutral working directory, so `-c`'s sys.path[0] adds nothing
    with tempfile.TemporaryDirectory() as cwd:
        result = subprocess.run(
            [python, "-X", "importtime", "-c", f"import {module}"],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        raise RuntimeError(f"import {module} failed ({pythonpath}):\n{result.stderr[-2000:]}")
    return cumulative_us(result.stderr, module)


def measure(root: Path, environment: dict[str, str], runs: int = 5, python: str = sys.executable) -> dict[str, Timing]:
    """`boto3` and each function's `handler`, interleaved so drift on the machine hits all alike."""
    layer = root / "layers" / "common"
    targets: dict[str, tuple[str, list[Path] | None]] = {"boto3": ("boto3", None)}
    for function in FUNCTIONS:
        targets[function] = ("handler", [root / "functions" / function, layer])
    for module, path in targets.values():
        _import_once(python, module, path, environment)  # warm-up, not counted
    samples: dict[str, list[int]] = {name: [] for name in targets}
    for _ in range(runs):
        for name, (module, path) in targets.items():
            samples[name].append(_import_once(python, module, path, environment))
    return {name: Timing(module=targets[name][0], runs_us=values) for name, values in samples.items()}


def heaviest_imports(root: Path, function: str, environment: dict[str, str], top: int = 5) -> list[tuple[str, float]]:
    """The handler's heaviest imports below it (module, cumulative ms), from one run."""
    env = {
        **environment,
        "PYTHONPATH": os.pathsep.join([str(root / "functions" / function), str(root / "layers" / "common")]),
    }
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
