"""The house's layers (DESIGN §2): an import never runs back up. ``core`` imports nothing
else of calcgrade, ``solutions`` only ``core``, ``problems`` only ``core`` and
``solutions``; the engine (``grader``) stands on all of them."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

ALLOWED = {
    "core": {"core"},
    "solutions": {"core", "solutions"},
    "problems": {"core", "solutions", "problems", "templates"},
}


def modules(layer: str):
    package = importlib.import_module(f"calcgrade.{layer}")
    yield package.__name__
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        yield info.name


def calcgrade_imports(path: Path) -> set[str]:
    """The calcgrade packages a module imports, at any depth of its code."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "calcgrade" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer, name", [(layer, name) for layer in ALLOWED
                                         for name in sorted(set(modules(layer)))])
def test_no_import_runs_back_up(layer, name):
    path = Path(importlib.import_module(name).__file__)
    assert calcgrade_imports(path) <= ALLOWED[layer], (name, calcgrade_imports(path) - ALLOWED[layer])


def test_the_check_sees_a_nested_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from calcgrade.grader.errors import UsageError\n")
    assert calcgrade_imports(module) == {"grader"}
