"""The notebook's self-check cell, and ``calcgrade check`` on a notebook file.

The check itself is :mod:`calcgrade.core.selfcheck`, standard-library code that reads
each answer with the grader's own readers (:mod:`calcgrade.core.reading`). The cell
carries the source text of those modules (and of the expression notation modules they
use) and runs it in a private module namespace, so it needs nothing but Python and
leaves the student's names alone. ``calcgrade check NOTEBOOK`` calls the same function
on the answers written as literals in the notebook, without running it
(:func:`read_answers`).

>>> "calcgrade_self_check(globals()" in cell_source([{"name": "q1_v", "kind": "scalar"}])
True
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import sys
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from calcgrade.core import reading, selfcheck
from calcgrade.core.errors import UsageError
from calcgrade.core.selfcheck import calcgrade_self_check

ROLE_ANSWERS = "answers"
ROLE_SELFCHECK = "selfcheck"


def selfcheck_modules() -> tuple:
    """The modules whose source the self-check cell carries, in the order they run."""
    from calcgrade.core import parse

    return (*parse.SELFCHECK_MODULES, reading, selfcheck)


_parsing = threading.Lock()  # Python 3.11's ast.parse fails when threads run it at once


@lru_cache(maxsize=1)
def embedded_sources() -> tuple[tuple[str, str], ...]:
    """``(name, code)`` of each module the cell carries, without docstrings (their
    examples hold numbers that could look like a student's answers)."""
    import inspect

    with _parsing:
        return tuple((module.__name__.rsplit(".", 1)[-1],
                      _without_docstrings(inspect.getsource(module)))
                     for module in selfcheck_modules())


def _without_docstrings(source: str) -> str:
    """``source`` re-printed from its syntax tree with every docstring left out."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return ast.unparse(tree).rstrip() + "\n"


def sources_literal() -> str:
    """The modules' code as Python source: a list of ``(name, code)``, the code as a
    parenthesised run of string literals, one per line."""
    parts = []
    for name, code in embedded_sources():
        rows = "\n".join(f"        {line!r}" for line in code.splitlines(keepends=True))
        parts.append(f"    ({name!r}, (\n{rows}\n    )),\n")
    return "[\n" + "".join(parts) + "]"


def expected_literal(expected: list[dict]) -> str:
    """``expected`` as Python source, one answer per line (JSON of str, int and list is Python)."""
    rows = [json.dumps(entry, ensure_ascii=False, sort_keys=True) for entry in expected]
    return "[\n" + "".join(f"    {row},\n" for row in rows) + "]"


def cell_source(expected: list[dict]) -> str:
    """The code of the notebook's self-check cell."""
    from calcgrade.templates import environment

    template = environment().get_template("notebook/selfcheck.py.j2")
    return template.render(sources=sources_literal(),
                           expected=expected_literal(expected)).rstrip() + "\n"


@lru_cache(maxsize=1)
def _cell_frame() -> tuple[str, str]:
    """The self-check cell's code before and after its list of expected answers."""
    marker = "\x00expected\x00"
    source = cell_source([]).rstrip("\n").replace(expected_literal([]), marker, 1)
    head, tail = source.split(marker, 1)
    return head, tail


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def frame_inputs() -> str:
    """A digest of everything the cell's frame is made from: the embedded modules' files,
    the cell's template, Python's version (``ast.unparse``) and jinja2's own module (its
    version). Reading and hashing them costs far less than rebuilding the frame."""
    from importlib.util import find_spec

    templates = find_spec("calcgrade.templates").submodule_search_locations[0]
    paths = [module.__file__ for module in selfcheck_modules()]
    paths += [os.path.join(templates, "notebook", "selfcheck.py.j2"), find_spec("jinja2").origin]
    digest = hashlib.sha256(sys.version.encode())
    for path in paths:
        with open(path, "rb") as handle:
            digest.update(b"\0" + handle.read())
    return digest.hexdigest()


def cache_dir() -> Path:
    """Where the frame's digests are kept between runs: ``$XDG_CACHE_HOME/calcgrade``,
    else ``~/.cache/calcgrade``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "calcgrade"


def frame_digests(folder: Path | None = None) -> tuple[int, str, int, str]:
    """``(head length, head sha256, tail length, tail sha256)`` of the cell's frame
    (:func:`_cell_frame`), kept in ``folder`` under a name made from :func:`frame_inputs`,
    so a changed reader or template never matches a stale entry. Built (and kept, when the
    folder can be written) on a miss."""
    folder = cache_dir() if folder is None else folder
    path = None
    try:
        path = folder / f"selfcheck-frame-{frame_inputs()[:32]}.json"
        kept = json.loads(path.read_text(encoding="ascii"))
        if isinstance(kept, list) and len(kept) == 4 and \
                [type(value) for value in kept] == [int, str, int, str]:
            return tuple(kept)
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    head, tail = _cell_frame()
    digests = (len(head), _digest(head), len(tail), _digest(tail))
    if path is not None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
            temporary.write_text(json.dumps(digests), encoding="ascii")
            os.replace(temporary, path)
        except OSError:
            pass
    return digests


@lru_cache(maxsize=1)
def _frame() -> tuple[int, str, int, str]:
    return frame_digests()


def is_unchanged_selfcheck(source: str) -> bool:
    """Whether a code cell is the generated self-check, unchanged: only our readers and a
    list of plain answer descriptions. It prints a report and assigns no answer, so the
    grader need not run it. The frame around the list is compared by its digests
    (:func:`frame_digests`), so a cold grader does not rebuild it.

    >>> is_unchanged_selfcheck(cell_source([{"name": "q1_v", "kind": "scalar"}]))
    True
    >>> is_unchanged_selfcheck(cell_source([]) + "q1_v = 2\\n")
    False
    """
    head_length, head_digest, tail_length, tail_digest = _frame()
    source = source.rstrip("\n")
    if len(source) < head_length + tail_length:
        return False
    head, tail = source[:head_length], source[len(source) - tail_length:]
    if _digest(head) != head_digest or _digest(tail) != tail_digest:
        return False
    lines = source[head_length:len(source) - tail_length].split("\n")
    if lines[0] != "[" or lines[-1] != "]":
        return False
    for line in lines[1:-1]:
        if not (line.startswith("    {") and line.endswith("},")):
            return False
        try:
            if not isinstance(json.loads(line[4:-1]), dict):
                return False
        except ValueError:
            return False
    return True


# --- reading answers from a notebook without running it -----------------------------------------

class _Computed(Exception):
    """The value is computed by code, not written as a literal."""


def _fold_constant(node: ast.AST) -> Any:
    """A literal, or simple arithmetic on number literals (no names, no calls)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_fold_constant(item) for item in node.elts]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _fold_constant(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)):
        left, right = _fold_constant(node.left), _fold_constant(node.right)
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (left, right)):
            if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
                raise _Computed
            try:
                return {ast.Add: lambda: left + right, ast.Sub: lambda: left - right,
                        ast.Mult: lambda: left * right, ast.Div: lambda: left / right,
                        ast.Pow: lambda: left ** right}[type(node.op)]()
            except (ArithmeticError, ValueError):
                return float("nan")
    raise _Computed


def _code_without_magics(source: str) -> str:
    """Cell code with IPython magics and shell lines blanked out (they are not Python)."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def read_answers(notebook, names: set[str]) -> tuple[dict[str, Any], set[str]]:
    """The answers a notebook assigns at the top level of its code cells, without running it.

    Returns ``(values, computed)``: literal values by name, and the names whose last
    assignment is code that would have to run (checked by the notebook's own cell).
    """
    values: dict[str, Any] = {}
    computed: set[str] = set()
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        if cell.get("cell_type") != "code" or _role(cell) == ROLE_SELFCHECK:
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        try:
            tree = ast.parse(_code_without_magics(source))
        except SyntaxError as error:
            raise UsageError(f"code cell {index} has a syntax error on its line {error.lineno}: "
                             f"{error.msg}; fix it so the notebook runs") from None
        for node in tree.body:
            targets: list[tuple[str, ast.AST | None]] = []
            if isinstance(node, ast.Assign):
                targets = [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
                targets = [(node.target.id, node.value)]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                targets = [(node.name, None)]
            for name, value_node in targets:
                if name not in names:
                    continue
                if value_node is None:
                    values[name] = _defined_function
                    computed.discard(name)
                    continue
                try:
                    values[name] = _fold_constant(value_node)
                    computed.discard(name)
                except (_Computed, RecursionError):
                    values.pop(name, None)
                    computed.add(name)
    return values, computed


def _defined_function(*args):  # stands in for a ``def`` found in a notebook
    return None


def _role(cell) -> str:
    meta = cell.get("metadata", {}).get("calcgrade", {})
    return meta.get("role", "") if isinstance(meta, dict) else ""


def expected_from_notebook(notebook) -> list[dict]:
    """The answers a calcgrade notebook expects, from its cells' metadata."""
    for cell in notebook.get("cells", []):
        if _role(cell) == ROLE_SELFCHECK:
            expected = cell["metadata"]["calcgrade"].get("expected")
            if isinstance(expected, list):
                return expected
    expected = []
    for cell in notebook.get("cells", []):
        if _role(cell) == ROLE_ANSWERS:
            expected.extend(cell["metadata"]["calcgrade"].get("expected", []))
    return expected


def check_notebook(notebook) -> list[tuple[str, str]]:
    """Print the self-check report for a notebook read from disk; return the issues."""
    expected = expected_from_notebook(notebook)
    if not expected:
        raise UsageError("this notebook has no calcgrade answers in its metadata; "
                         "was it made by 'calcgrade generate'?")
    values, computed = read_answers(notebook, {entry["name"] for entry in expected})
    computed |= {entry["name"] for entry in expected  # a def runs only in the notebook
                 if entry.get("kind") == "function" and entry["name"] in values}
    results: list[tuple[str, str]] = []
    calcgrade_self_check(values, expected, skip=tuple(sorted(computed)), results=results)
    return [(status, name) for status, name in results if status != selfcheck.READY]
