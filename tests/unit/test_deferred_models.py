"""The route modules import the request and response models under TYPE_CHECKING only; api/deferred.py
gives each of them, before the first routed request, every name it imports so (the same objects)."""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

from portal_reminders.api import app as app_module
from portal_reminders.api.app import ROUTE_MODULES, app
from portal_reminders.api.routes import common

DEFERRED = {"portal_reminders.api.schemas", "portal_reminders.api.present"}


def _type_checking_imports(module: object) -> dict[str, tuple[str, str]]:
    """name -> (module, name) of every `from X import name` under `if TYPE_CHECKING:`."""
    found = {}
    for node in ast.parse(inspect.getsource(module)).body:  # type: ignore[arg-type]
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for statement in node.body:
                if isinstance(statement, ast.ImportFrom) and statement.module:
                    for alias in statement.names:
                        found[alias.asname or alias.name] = (statement.module, alias.name)
    return found


@pytest.mark.parametrize("module", ROUTE_MODULES, ids=lambda module: module.__name__.rsplit(".", 1)[-1])
def test_a_route_module_gets_every_model_it_names(module: object) -> None:
    app.load_models()
    imports = {name: found for name, found in _type_checking_imports(module).items() if found[0] in DEFERRED}
    for name, (source, original) in imports.items():
        assert vars(module)[name] is getattr(importlib.import_module(source), original), name


def test_a_route_module_imports_the_models_under_type_checking_only() -> None:
    for module in (*ROUTE_MODULES, common, app_module):
        for node in ast.parse(inspect.getsource(module)).body:
            if isinstance(node, ast.ImportFrom):
                assert node.module not in DEFERRED, f"{module.__name__} imports {node.module} at import"


def test_every_error_response_names_the_error_model() -> None:
    app.load_models()
    from portal_reminders.api.schemas import Error  # noqa: PLC0415

    assert common._ERROR_CONTENTS
    assert all(content == {"model": Error} for content in common._ERROR_CONTENTS)
