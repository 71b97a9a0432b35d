"""The `sam build` output works in Lambda: each built handler imports with only Lambda's path
(its built folder, its layers' python/ folders and the runtime's boto3), in the runtime's Python,
with no configuration; each layer holds its packages directly under python/. See
devtools/build_check.py; `make test` builds first, so these run against the current code."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from devtools import build_check

pytestmark = pytest.mark.build

FUNCTIONS = build_check.built_functions()
LAYERS = build_check.built_layers()


@pytest.fixture(scope="module")
def runtime_python() -> str:
    runtime = build_check.runtime_name()
    python = build_check.find_runtime_python(runtime)
    if python is None:
        pytest.skip(f"no {runtime} (the Lambda runtime's Python) on PATH or under pyenv: built artifacts not checked")
    if not build_check.BUILD_DIR.is_dir():
        pytest.skip("no `sam build` output in .aws-sam/build: run `make build` to check the built artifacts")
    if not build_check.runtime_deps_ready():
        pytest.skip("no build/lambda-runtime (the runtime's boto3): run `make build` to check the built artifacts")
    return python


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.logical_id)
def test_built_handler_imports_with_only_the_lambda_path(
    function: build_check.BuiltFunction,
    runtime_python: str,
    capsys: pytest.CaptureFixture[str],
    record_property: Callable[[str, object], None],
) -> None:
    # Given the function's built folder and its layers, as Lambda mounts them
    assert not function.unresolved_layers, f"layers not built from template.yaml: {function.unresolved_layers}"

    # When the runtime's Python imports the handler with that path only, and no environment
    result = build_check.check_import(function, runtime_python)
    with capsys.disabled():  # which handlers were checked, and how, belongs in the test run's output
        print(f"\n    build check: {result.summary()}")  # noqa: T201
    record_property("build_check", result.summary())

    # Then the handler is there and callable
    assert result.ok, f"{function.logical_id}: {function.handler} does not import in Lambda:\n{result.error}"


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.logical_id)
def test_built_layer_holds_its_packages_directly_under_python(
    layer: build_check.BuiltLayer, runtime_python: str
) -> None:
    # Given a layer `sam build` built from its ContentUri
    # When looking at the folder Lambda puts on the path (/opt/python)
    problems = build_check.layer_problems(layer)

    # Then its packages sit right there, not in python/python/
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("code", [*FUNCTIONS, *LAYERS], ids=lambda code: code.logical_id)
def test_build_matches_the_current_source(
    code: build_check.BuiltFunction | build_check.BuiltLayer, runtime_python: str
) -> None:
    # Given the source folder and the pinned requirements
    # When comparing them with what `sam build` produced
    problems = build_check.staleness(code)

    # Then the build holds today's code and pins (else the checks above proved an old build)
    assert not problems, "stale build, run `make build`:\n" + "\n".join(problems)


@pytest.mark.parametrize("code", [*FUNCTIONS, *LAYERS], ids=lambda code: code.logical_id)
def test_the_build_carries_the_bytecode_of_every_module(
    code: build_check.BuiltFunction | build_check.BuiltLayer, runtime_python: str
) -> None:
    # Given the folders Lambda mounts read-only (where no .pyc can be written at a cold start)
    # When looking beside each module for the runtime's bytecode of it
    problems = build_check.bytecode_problems(code, runtime_python)

    # Then there is some, of today's source, that Lambda can load without checking a timestamp
    assert not problems, "not compiled, run `make build`:\n" + "\n".join(problems[:20])
