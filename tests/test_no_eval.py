"""Nothing in calcgrade's own package evaluates text or unpickles data (DESIGN §6): student
text is only parsed by our grammar, and student code runs only in a sandbox child, where
the sandbox runner compiles and executes the cells (directly, or through IPython). A walk
over every module's syntax tree, so that a later change cannot slip one in."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import calcgrade.core
import calcgrade.grader
import calcgrade.problems
import calcgrade.solutions

FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "sympify", "parse_expr", "lambdify",
                   "loads_pickle", "load", "loads"}
FORBIDDEN_MODULES = {"pickle", "dill", "marshal", "shelve", "cloudpickle"}
# The one exception: the code the sandbox child runs after isolating itself compiles and
# executes the student's cells, in these functions only.
CELL_RUNNER = {"calcgrade.grader.sandbox.runner": {"plain_code": {"compile"},
                                                   "_run_cell": {"exec"}}}


def modules():
    for package in (calcgrade.core, calcgrade.problems, calcgrade.solutions, calcgrade.grader):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            yield info.name


def _called_name(node: ast.Call) -> str:
    function = node.func
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        owner = function.value.id if isinstance(function.value, ast.Name) else ""
        return f"{owner}.{function.attr}"
    return ""


@pytest.mark.parametrize("name", sorted(set(modules())))
def test_no_module_evaluates_text_or_unpickles(name):
    path = Path(importlib.import_module(name).__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    allowed = {}  # call node -> names it may call
    for function, names in CELL_RUNNER.get(name, {}).items():
        found = [node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and node.name == function]
        assert len(found) == 1, (path, function)
        allowed.update({id(node): names for node in ast.walk(found[0])})
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called = _called_name(node)
            bare = called.rsplit(".", 1)[-1]
            if called in allowed.get(id(node), ()):
                continue
            if bare in ("load", "loads"):  # json.load(s) is fine; pickle and friends are not
                assert called.split(".")[0] not in FORBIDDEN_MODULES, (path, node.lineno, called)
                continue
            assert bare not in FORBIDDEN_CALLS - {"load", "loads"} or called.startswith("re."), \
                (path, node.lineno, called)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [alias.name for alias in node.names] + [getattr(node, "module", None) or ""]
            assert not {n.split(".")[0] for n in names} & FORBIDDEN_MODULES, (path, node.lineno)


def test_the_walk_finds_what_it_looks_for(tmp_path):
    """The check itself can fail: a module calling eval is caught."""
    tree = ast.parse("import json\nvalue = eval(text)\n")
    calls = [_called_name(n) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert "eval" in calls
