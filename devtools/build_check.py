"""Proves the `sam build` output works in Lambda: each built handler imports with only what Lambda
puts on its path — the built function folder, each of its layers' `python/` folder and what the
runtime itself provides (boto3 & co.) — in the runtime's own Python, isolated from this machine's
site-packages and environment variables. Functions, handlers and layers come from template.yaml,
the built folders from the template `sam build` wrote, so nothing here names a function.

    python -m devtools.build_check                    check the build, print what was checked
    python -m devtools.build_check --install-runtime  put the runtime's boto3 in build/lambda-runtime
    python -m devtools.build_check --compile          compile the build's bytecode (`make build` does)
    python -m devtools.build_check --find-python      print the runtime's Python (empty if none)
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from devtools.requirements import GROUP, PYPROJECT, group_requirements
from devtools.sam_template import ROOT, load_template

BUILD_DIR = ROOT / ".aws-sam" / "build"
# What the Lambda Python runtime provides besides the standard library (boto3 pulls in botocore,
# s3transfer, jmespath, python-dateutil, urllib3 and six), pinned as in the runtime group.
RUNTIME_DEPS = ROOT / "build" / "lambda-runtime"
RUNTIME_PACKAGES = ("boto3",)
RUNTIME_STAMP = ".installed"
FUNCTION = "AWS::Serverless::Function"
LAYER = "AWS::Serverless::LayerVersion"
IMPORT_TIMEOUT_SECONDS = 120

# Runs inside the runtime's Python started with -I -S -B: no site-packages, no PYTHON* variables,
# no current folder on the path, no .pyc written into the artifact.
IMPORT_PROBE = r"""
import importlib, json, sys, time, traceback
spec = json.loads(sys.argv[1])
stdlib = tuple(sys.path)
sys.path[:0] = spec["front"]
sys.path.extend(spec["back"])
result = {"python": sys.version.split()[0], "ok": False}
started = time.perf_counter()
try:
    module = importlib.import_module(spec["module"])
    result["ok"] = callable(getattr(module, spec["function"], None))
    if not result["ok"]:
        result["error"] = "%s.%s is not a callable" % (spec["module"], spec["function"])
except BaseException:
    result["error"] = traceback.format_exc()
result["seconds"] = time.perf_counter() - started
origins = {}
for name, loaded in list(sys.modules.items()):
    top = name.partition(".")[0]
    where = getattr(loaded, "__file__", None)
    if top in sys.stdlib_module_names or top in origins or not where or where.startswith(stdlib):
        continue
    origins[top] = where
result["origins"] = origins
print(json.dumps(result))
"""


# Lambda's code folders are read-only, so a module whose compiled bytecode is not beside it is
# compiled again on every cold start, and `sam build` ships none: it copies the sources and unpacks
# the wheels, leaving every .pyc out (docs/cold-start.md measures what that costs). The build is
# compiled after `sam build`, hash-based and unchecked: `sam package` zips every file with the same
# 1980 timestamp, so a timestamp-based .pyc would never match its source in Lambda. Each tree is
# compiled as Lambda mounts it (file names in tracebacks, and bytes identical on every machine).
LAMBDA_FUNCTION_ROOT = "/var/task"
LAMBDA_LAYER_ROOT = "/opt/python"
BYTECODE_PROBE = r"""
import importlib.util, json, sys
from pathlib import Path
folder, missing, stale = Path(sys.argv[1]), [], []
for source in sorted(folder.rglob("*.py")):
    if "__pycache__" in source.parts:
        continue
    compiled, name = Path(importlib.util.cache_from_source(str(source))), str(source.relative_to(folder))
    if not compiled.is_file():
        missing.append(name)
        continue
    header = compiled.read_bytes()[:16]
    hash_based = int.from_bytes(header[4:8], "little") & 1
    current = header[8:16] == importlib.util.source_hash(source.read_bytes())
    if header[:4] != importlib.util.MAGIC_NUMBER or not hash_based or not current:
        stale.append(name)
print(json.dumps({"missing": missing, "stale": stale}))
"""


@dataclass(frozen=True)
class BuiltLayer:
    logical_id: str
    source: Path  # ContentUri
    built: Path  # the layer's root in the build; Lambda mounts it at /opt

    @property
    def python_dir(self) -> Path:
        return self.built / "python"


@dataclass(frozen=True)
class BuiltFunction:
    logical_id: str
    handler: str
    runtime: str
    source: Path  # CodeUri
    built: Path  # Lambda's /var/task
    layers: tuple[BuiltLayer, ...]
    unresolved_layers: tuple[str, ...] = ()  # layers not built from this template (ARNs)


@dataclass
class ImportResult:
    function: BuiltFunction
    ok: bool
    python: str = ""
    seconds: float = 0.0
    error: str = ""
    origins: dict[str, str] = field(default_factory=dict)

    def loaded_from(self) -> dict[str, list[str]]:
        """Top-level packages the import loaded, grouped by the path entry they came from."""
        roots = [(self.function.logical_id, self.function.built)]
        roots += [(layer.logical_id, layer.python_dir) for layer in self.function.layers]
        roots.append(("runtime", RUNTIME_DEPS))
        grouped: dict[str, list[str]] = {}
        for name, where in sorted(self.origins.items()):
            label = next((label for label, root in roots if Path(where).is_relative_to(root)), where)
            grouped.setdefault(label, []).append(name)
        return grouped

    def summary(self) -> str:
        status = f"ok in {self.seconds:.2f} s" if self.ok else "FAILED"
        loaded = "; ".join(f"{label}: {', '.join(names)}" for label, names in self.loaded_from().items())
        return f"{self.function.logical_id}: {self.function.handler} imports {status} (python {self.python}) [{loaded}]"


def _resource_property(template: dict[str, Any], resource: dict[str, Any], name: str) -> Any:
    properties = resource.get("Properties", {})
    if name in properties:
        return properties[name]
    return template.get("Globals", {}).get("Function", {}).get(name)


def _code_root(build_template: dict[str, Any] | None, logical_id: str, prop: str) -> Path:
    if build_template and logical_id in build_template["Resources"]:
        uri = build_template["Resources"][logical_id].get("Properties", {}).get(prop)
        if isinstance(uri, str):
            return (BUILD_DIR / uri).resolve()
    return BUILD_DIR / logical_id


def built_functions(build_dir: Path = BUILD_DIR) -> list[BuiltFunction]:
    """Every function of template.yaml with where `sam build` put it and its layers."""
    template = load_template()
    built_template_path = build_dir / "template.yaml"
    build_template = load_template(built_template_path) if built_template_path.exists() else None
    resources = template["Resources"]
    functions = []
    for logical_id, resource in resources.items():
        if resource["Type"] != FUNCTION:
            continue
        # SAM merges list Globals by putting the global entries first.
        layer_refs = list(template.get("Globals", {}).get("Function", {}).get("Layers", []))
        layer_refs += resource.get("Properties", {}).get("Layers", [])
        layers, unresolved = [], []
        for ref in layer_refs:
            layer_id = ref.get("Ref") if isinstance(ref, dict) else None
            if isinstance(layer_id, str) and resources.get(layer_id, {}).get("Type") == LAYER:
                source = ROOT / resources[layer_id]["Properties"]["ContentUri"]
                layers.append(BuiltLayer(layer_id, source, _code_root(build_template, layer_id, "ContentUri")))
            else:
                unresolved.append(json.dumps(ref))
        functions.append(
            BuiltFunction(
                logical_id=logical_id,
                handler=_resource_property(template, resource, "Handler"),
                runtime=_resource_property(template, resource, "Runtime"),
                source=ROOT / resource["Properties"]["CodeUri"],
                built=_code_root(build_template, logical_id, "CodeUri"),
                layers=tuple(layers),
                unresolved_layers=tuple(unresolved),
            )
        )
    return functions


def built_layers(build_dir: Path = BUILD_DIR) -> list[BuiltLayer]:
    unique = {layer.logical_id: layer for function in built_functions(build_dir) for layer in function.layers}
    return list(unique.values())


def runtime_name() -> str:
    """The one Python runtime the template's functions use, e.g. python3.12."""
    runtimes = {function.runtime for function in built_functions()}
    if len(runtimes) != 1 or not next(iter(runtimes)).startswith("python"):
        raise ValueError(f"expected one python runtime in template.yaml, found {sorted(runtimes)}")
    return runtimes.pop()


def _python_version(python: str) -> str | None:
    try:
        completed = subprocess.run(
            [python, "-I", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", Path(path).parent.parent.name))


def find_runtime_python(runtime: str | None = None) -> str | None:
    """A working interpreter of the Lambda runtime's version: $LAMBDA_PYTHON, else pythonX.Y on
    PATH (a pyenv shim only works when PYENV_VERSION includes it), else pyenv's newest X.Y.*."""
    runtime = runtime or runtime_name()
    version = runtime.removeprefix("python")
    pyenv_root = os.environ.get("PYENV_ROOT") or str(Path.home() / ".pyenv")
    installed = sorted(glob.glob(f"{pyenv_root}/versions/{version}*/bin/{runtime}"), key=_version_key, reverse=True)
    candidates = [os.environ.get("LAMBDA_PYTHON"), shutil.which(runtime), *installed]
    for candidate in candidates:
        if candidate and _python_version(candidate) == version:
            return candidate
    return None


def install_runtime_deps(runtime: str | None = None) -> None:
    """What Lambda's runtime provides, into RUNTIME_DEPS, pinned as in pyproject.toml (once)."""
    runtime = runtime or runtime_name()
    groups = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["dependency-groups"]
    pins = sorted(
        requirement
        for requirement in group_requirements(groups, GROUP)
        if canonicalize_name(Requirement(requirement).name) in RUNTIME_PACKAGES
    )
    wanted = "\n".join([runtime, *pins]) + "\n"
    stamp = RUNTIME_DEPS / RUNTIME_STAMP
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    shutil.rmtree(RUNTIME_DEPS, ignore_errors=True)
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(RUNTIME_DEPS)]
    command += ["--python-version", runtime.removeprefix("python"), "--only-binary=:all:", *pins]
    subprocess.run(command, check=True)
    stamp.write_text(wanted, encoding="utf-8")
    print(f"installed {', '.join(pins)} into {RUNTIME_DEPS.relative_to(ROOT)} (what the {runtime} runtime provides)")


def runtime_deps_ready() -> bool:
    return (RUNTIME_DEPS / RUNTIME_STAMP).exists()


def check_import(function: BuiltFunction, python: str) -> ImportResult:
    """Import the built handler in `python` with exactly Lambda's path, and no configuration."""
    module, _, attribute = function.handler.rpartition(".")
    front = [str(function.built)]
    # Lambda extracts every layer into /opt, later layers over earlier ones.
    for layer in reversed(function.layers):
        site_packages = layer.python_dir / "lib" / function.runtime / "site-packages"
        front += [str(path) for path in (site_packages, layer.python_dir) if path.is_dir()]
    spec = {"front": front, "back": [str(RUNTIME_DEPS)], "module": module, "function": attribute}
    try:
        completed = subprocess.run(
            [python, "-I", "-S", "-B", "-c", IMPORT_PROBE, json.dumps(spec)],
            cwd=function.built,
            env={},  # handlers must import without any configuration
            capture_output=True,
            text=True,
            timeout=IMPORT_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return ImportResult(function, ok=False, error=f"import took more than {IMPORT_TIMEOUT_SECONDS} s")
    try:
        payload = json.loads(completed.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return ImportResult(function, ok=False, error=f"probe crashed:\n{completed.stdout}{completed.stderr}")
    if completed.stderr.strip() and payload["ok"]:
        payload["error"] = completed.stderr.strip()  # warnings printed at import, worth seeing
    return ImportResult(
        function,
        ok=payload["ok"],
        python=payload["python"],
        seconds=payload["seconds"],
        error=payload.get("error", ""),
        origins=payload["origins"],
    )


def layer_problems(layer: BuiltLayer) -> list[str]:
    """Where the built layer differs from what Lambda needs: its packages directly in python/."""
    if not layer.python_dir.is_dir():
        return [f"{layer.logical_id}: no python/ folder in {layer.built} (is its Metadata BuildMethod set?)"]
    problems = []
    if (layer.python_dir / "python").exists():
        problems.append(f"{layer.logical_id}: python/python/ exists; ContentUri must not have a python/ folder")
    packages = sorted(path.parent.name for path in layer.source.glob("*/__init__.py"))
    if not packages:
        problems.append(f"{layer.logical_id}: no package (folder with __init__.py) in {layer.source}")
    problems += [
        f"{layer.logical_id}: python/{package}/ missing from the build"
        for package in packages
        if not (layer.python_dir / package / "__init__.py").is_file()
    ]
    return problems


def _differing_sources(source: Path, built: Path) -> list[str]:
    stale = []
    for path in sorted(source.rglob("*.py")):
        relative = path.relative_to(source)
        if "__pycache__" in relative.parts:
            continue
        target = built / relative
        if not target.is_file() or target.read_bytes() != path.read_bytes():
            stale.append(str(relative))
    return stale


def _installed_versions(folder: Path) -> dict[str, Version]:
    versions: dict[str, Version] = {}
    for dist_info in folder.glob("*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").rpartition("-")
        versions[canonicalize_name(name)] = Version(version)
    return versions


def staleness(code: BuiltFunction | BuiltLayer) -> list[str]:
    """Why the build no longer matches the source: changed code, or pins not installed."""
    built = code.python_dir if isinstance(code, BuiltLayer) else code.built
    problems = [f"{code.logical_id}: {name} differs from the source" for name in _differing_sources(code.source, built)]
    requirements = code.source / "requirements.txt"
    if requirements.is_file():
        installed = _installed_versions(built)
        for line in requirements.read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            requirement = Requirement(line)
            version = installed.get(canonicalize_name(requirement.name))
            if version is None or not requirement.specifier.contains(version, prereleases=True):
                problems.append(f"{code.logical_id}: {requirement} not installed (found {version})")
    return problems


def _bytecode_trees() -> list[tuple[str, Path, str]]:
    """(logical id, built folder, where Lambda mounts it) of every built function and layer."""
    trees = [(layer.logical_id, layer.python_dir, LAMBDA_LAYER_ROOT) for layer in built_layers()]
    trees += [(function.logical_id, function.built, LAMBDA_FUNCTION_ROOT) for function in built_functions()]
    return trees


def compile_bytecode(python: str) -> None:
    """Compile every module of the build with the runtime's Python, as Lambda will load it."""
    for _, folder, mounted_at in _bytecode_trees():
        command = [python, "-I", "-m", "compileall", "-q", "-f", "-j", "0", "--invalidation-mode", "unchecked-hash"]
        subprocess.run([*command, "-d", mounted_at, str(folder)], check=True, stdout=subprocess.DEVNULL)
    print(f"compiled the bytecode of {len(_bytecode_trees())} built functions and layers with {python}")


def bytecode_problems(code: BuiltFunction | BuiltLayer, python: str) -> list[str]:
    """Modules of the build without current bytecode of the runtime's Python beside them."""
    folder = code.python_dir if isinstance(code, BuiltLayer) else code.built
    completed = subprocess.run(
        [python, "-I", "-c", BYTECODE_PROBE, str(folder)], capture_output=True, text=True, check=True
    )
    found = json.loads(completed.stdout)
    problems = [f"{code.logical_id}: {name} has no compiled bytecode" for name in found["missing"]]
    problems += [f"{code.logical_id}: {name} has bytecode of another source or Python" for name in found["stale"]]
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--install-runtime", action="store_true", help="install boto3 & co. into build/lambda-runtime")
    action.add_argument("--compile", action="store_true", help="compile the build's bytecode (runtime's Python)")
    action.add_argument("--find-python", action="store_true", help="print the runtime's Python, if any")
    args = parser.parse_args()
    if args.find_python:
        print(find_runtime_python() or "")
        return
    if args.install_runtime:
        install_runtime_deps()
        return
    python = find_runtime_python()
    if args.compile:
        if not BUILD_DIR.is_dir() or python is None:
            print("nothing to compile: needs .aws-sam/build and the runtime's Python (`make build`)")
            sys.exit(1)
        compile_bytecode(python)
        return
    if not BUILD_DIR.is_dir() or python is None or not runtime_deps_ready():
        print("nothing to check: needs .aws-sam/build, build/lambda-runtime and the runtime's Python (`make build`)")
        sys.exit(1)
    failed = False
    for layer in built_layers():
        for problem in layer_problems(layer) + staleness(layer) + bytecode_problems(layer, python):
            print(problem)
            failed = True
    for function in built_functions():
        result = check_import(function, python)
        print(result.summary())
        for problem in staleness(function) + bytecode_problems(function, python):
            print(problem)
            failed = True
        if result.error:
            print(result.error)
        failed = failed or not result.ok or bool(function.unresolved_layers)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
