"""The students' self-check: is every answer filled in, of the right type and shape?

:func:`calcgrade_self_check` is written in plain Python with nothing but the standard
library, and its source text is copied into the last cell of every notebook, so the cell
runs where calcgrade is not installed. ``calcgrade check NOTEBOOK`` calls the very same
function on answers read from the notebook without running it (:func:`read_answers`).

The check is told, per answer, only its variable name, kind and expected shape (and, for
labels, the accepted words, which the statement lists anyway): never a value, so it
cannot reveal an answer.

>>> expected = [{"name": "q1_value", "kind": "scalar"},
...             {"name": "q1_grad", "kind": "vector", "shape": [2]},
...             {"name": "q1_f", "kind": "expression"}]
>>> calcgrade_self_check({"q1_value": ..., "q1_grad": [1, 2, 3], "q1_f": "3x² + 1"}, expected)
Self-check: 0 of 3 answers ready (it checks the format only, not whether an answer is right).
<BLANKLINE>
Still empty (replace the ... with your answer):
  q1_value
<BLANKLINE>
Wrong type or shape:
  q1_grad: expected a list of 2 numbers; got a list of 3 entries
<BLANKLINE>
Characters an expression cannot have:
  q1_f: '²' at position 3 (write powers with ** or ^, e.g. x**2)
"""

from __future__ import annotations

import ast
import inspect
import json
import math
from functools import lru_cache
from typing import Any

from calcgrade.core.errors import UsageError

ROLE_ANSWERS = "answers"
ROLE_SELFCHECK = "selfcheck"


def calcgrade_self_check(namespace, expected, skip=(), results=None):
    """Check the format of every answer: filled in, right type and shape, usable characters.

    This looks only at the format and never at whether an answer is right. It needs
    nothing but Python. ``expected`` lists each answer's name, kind and shape.
    """
    import math
    import numbers
    import textwrap

    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-*/^(). \t\n")

    def plain(value):
        # numpy arrays and numpy numbers become lists and Python numbers
        if isinstance(value, (str, bytes)):
            return value
        tolist = getattr(value, "tolist", None)
        if callable(tolist):
            try:
                return tolist()
            except Exception:
                return value
        if isinstance(value, tuple):
            return list(value)
        return value

    def is_number(value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            return False
        try:
            return math.isfinite(float(value))
        except Exception:
            return False

    def what(value):
        if value is None:
            return "None"
        if isinstance(value, bool):
            return f"{value} (true/false is not a number)"
        if isinstance(value, str):
            return "text" if value.strip() else "empty text"
        if isinstance(value, numbers.Real):
            return "a number" if is_number(value) else "nan or infinity"
        if isinstance(value, list):
            return f"a list of {len(value)} entr{'y' if len(value) == 1 else 'ies'}"
        if callable(value):
            return "a function"
        return f"a value of type {type(value).__name__}"

    def plural(count, word):
        return f"{count} {word}" + ("" if count == 1 else "s")

    def describe(kind, shape):
        if kind == "scalar":
            return "a number"
        if kind == "vector":
            return f"a list of {plural(shape[0], 'number')}"
        if kind == "matrix":
            return f"a list of {plural(shape[0], 'row')}, each a list of {plural(shape[1], 'number')}"
        if kind == "iterates":
            return f"a list of {plural(shape[0], 'point')}, each a list of {plural(shape[1], 'number')}"
        if kind == "expression":
            return "an expression as text in quotes"
        if kind == "function":
            return "a Python function"
        if kind == "labels":
            return f"a list of {plural(shape[0], 'label')}"
        return "text"

    def numbers_problem(value, shape, kind):
        # None when ``value`` is a (nested) list of numbers of ``shape``
        if not shape:
            return None if is_number(value) else "got " + what(value)
        if not isinstance(value, list):
            if kind == "iterates" and is_number(value):
                return "got a single number"
            return "got " + what(value)
        if len(value) != shape[0]:
            return "got " + what(value)
        for index, item in enumerate(value, start=1):
            item = plain(item)
            inner = numbers_problem(item, shape[1:], kind)
            if inner:
                if kind == "iterates" and len(shape) == 2 and is_number(item):
                    return f"point {index} is a number: write each point as a list, also in 1-D, e.g. [3]"
                label = "point" if kind == "iterates" and len(shape) == 2 else ("row" if len(shape) == 2 else "entry")
                return f"{label} {index}: {inner}"
        return None

    def expression_problem(text):
        for position, char in enumerate(text):
            if char not in allowed:
                hint = ""
                if char in "²³":
                    hint = " (write powers with ** or ^, e.g. x**2)"
                elif char == "=":
                    hint = " (write only the expression, without 'f(x) =')"
                elif char in "·×":
                    hint = " (write products with *)"
                elif char == "_":
                    hint = " (use only the variables of the problem)"
                return f"{char!r} at position {position + 1}{hint}"
        depth = 0
        for char in text:
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth < 0:
                return "a ')' without its '('"
        if depth:
            return "an unclosed '('" if depth == 1 else f"{depth} unclosed '('"
        return None

    def fold(text):
        return " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())

    empty, undefined, wrong, characters, ready, not_here = [], [], [], [], [], []
    for answer in expected:
        name, kind, shape = answer["name"], answer["kind"], answer.get("shape", [])
        if name in skip:
            not_here.append(name)
            continue
        if name not in namespace:
            undefined.append(name)
            continue
        try:
            value = plain(namespace[name])
            if value is Ellipsis:
                empty.append(name)
                continue
            problem = None
            if kind in ("scalar", "vector", "matrix", "iterates"):
                problem = numbers_problem(value, shape, kind)
            elif kind == "expression":
                if not isinstance(value, str) and hasattr(value, "free_symbols"):
                    value = str(value)  # a sympy expression
                if isinstance(value, str) and not value.strip():
                    empty.append(name)
                    continue
                if isinstance(value, str):
                    bad = expression_problem(value)
                    if bad:
                        characters.append((name, bad))
                        continue
                elif is_number(value):
                    problem = "got a number: write the expression as text in quotes, e.g. \"2\""
                else:
                    problem = "got " + what(value)
            elif kind == "label":
                accepted = [fold(word) for word in answer.get("labels", []) + answer.get("synonyms", [])]
                if isinstance(value, str) and not value.strip():
                    empty.append(name)
                    continue
                if not isinstance(value, str):
                    problem = "got " + what(value)
                elif fold(value) not in accepted:
                    choices = ", ".join(repr(word) for word in answer.get("labels", []))
                    problem = f"{value.strip()[:40]!r} is not one of: {choices}"
            elif kind == "labels":
                accepted = [fold(word) for word in answer.get("labels", []) + answer.get("synonyms", [])]
                if not isinstance(value, list) or len(value) != shape[0]:
                    problem = "got " + what(value)
                else:
                    for index, item in enumerate(value, start=1):
                        if not isinstance(item, str) or fold(item) not in accepted:
                            choices = ", ".join(repr(word) for word in answer.get("labels", []))
                            problem = f"entry {index} is not one of: {choices}"
                            break
            elif kind == "function":
                if not callable(value):
                    problem = "got " + what(value)
            if problem:
                if kind == "label" and "is not one of" in problem:
                    wrong.append((name, problem))
                else:
                    wrong.append((name, f"expected {describe(kind, shape)}; {problem}"))
            else:
                ready.append(name)
        except Exception as error:  # a value whose methods fail: report, never crash
            wrong.append((name, f"cannot be checked ({type(error).__name__})"))

    lines = [f"Self-check: {len(ready)} of {plural(len(expected), 'answer')} ready "
             "(it checks the format only, not whether an answer is right)."]

    def names(title, items):
        if items:
            lines.extend(["", title])
            lines.extend(textwrap.wrap(", ".join(items), 88, initial_indent="  ", subsequent_indent="  "))

    def details(title, items):
        if items:
            lines.extend(["", title])
            lines.extend(f"  {name}: {message}" for name, message in items)

    names("Still empty (replace the ... with your answer):", empty)
    names("Not defined (run the problem cells above first, and keep the variable names):", undefined)
    details("Wrong type or shape:", wrong)
    details("Characters an expression cannot have:", characters)
    names("Computed by code, so not checked here (run the self-check cell in the notebook):", not_here)
    if len(ready) == len(expected):
        lines.extend(["", "Every answer is filled in with the expected type and shape."])
    print("\n".join(lines))
    if results is not None:
        results.extend([("empty", name) for name in empty] + [("undefined", name) for name in undefined]
                       + [("wrong", name) for name, _ in wrong]
                       + [("characters", name) for name, _ in characters]
                       + [("computed", name) for name in not_here])


@lru_cache(maxsize=1)
def function_source() -> str:
    """The source text of :func:`calcgrade_self_check`, as copied into notebooks."""
    return inspect.getsource(calcgrade_self_check)


def expected_literal(expected: list[dict]) -> str:
    """``expected`` as Python source, one answer per line (JSON of str, int and list is Python)."""
    rows = [json.dumps(entry, ensure_ascii=False, sort_keys=True) for entry in expected]
    return "[\n" + "".join(f"    {row},\n" for row in rows) + "]"


def cell_source(expected: list[dict]) -> str:
    """The code of the notebook's self-check cell."""
    from calcgrade.templates import environment

    template = environment().get_template("notebook/selfcheck.py.j2")
    return template.render(function=function_source().rstrip(),
                           expected=expected_literal(expected)).rstrip() + "\n"


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
    results: list[tuple[str, str]] = []
    calcgrade_self_check(values, expected, skip=tuple(sorted(computed)), results=results)
    return results
