"""One student's notebook (nbformat v4): statements, answer cells and the self-check.

Cells, in order: a title with the instructions, a setup cell (``import math``, ``import
numpy as np``), then per problem a Markdown statement and a code cell pre-declaring each
answer as ``q<N>_<answer> = ...`` with a comment on its type and shape, and finally the
self-check. Cell ids are fixed (``intro``, ``p1-answers``, …) so that the same inputs
give the same bytes. ``metadata.calcgrade = {assignment, student, token, draws}``: the
token ties the notebook to its student; ``draws`` are the student's signed draw numbers
(:func:`calcgrade.grader.course.variants.signed_draws`), so grading needs no roster walk.

>>> from calcgrade.core.answers import AnswerSpec
>>> entry = answer_entry(2, "gradient", AnswerSpec("vector", "g"), [1.0, -2.0])
>>> entry["variable"], entry["comment"]
('q2_gradient', 'a list of 2 numbers')
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import nbformat

from calcgrade.core.answers import AnswerSpec, answer_info
from calcgrade.core.names import answer_variable
from calcgrade.grader.generation.selfcheck import ROLE_ANSWERS, ROLE_SELFCHECK, cell_source
from calcgrade.templates import environment

NBFORMAT_MINOR = 5
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "file_extension": ".py", "mimetype": "text/x-python"}



def points_text(points: float) -> str:
    """``1 point``, ``2 points``, ``1.5 points``.

    >>> points_text(1), points_text(2.0), points_text(1.5)
    ('1 point', '2 points', '1.5 points')
    """
    value = int(points) if float(points).is_integer() else points
    return f"{value} point" + ("" if value == 1 else "s")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


EXAMPLES_1D = ("3*{v}**2 + exp({v})", "{v}*exp({v}) - log({v})", "2*{v}**3 + sin({v})")
EXAMPLES_2D = ("2*{v}*{w} + exp({w})", "{v}**2*{w} - log({v})", "3*{v} + {w}**3")
_NAME = re.compile(r"[A-Za-z]\w*")


def expression_example(reference: str, variables) -> str:
    """A sample expression to show the syntax, never equivalent to the answer."""
    from calcgrade.core.answers import expressions_equivalent
    from calcgrade.problems.checks import VARIABLE_NAMES

    names = list(variables) or sorted(set(_NAME.findall(reference)) & set(VARIABLE_NAMES)) or ["x"]
    candidates = EXAMPLES_2D if len(names) > 1 else EXAMPLES_1D
    for candidate in candidates:
        text = candidate.format(v=names[0], w=names[-1])
        try:
            if expressions_equivalent(text, reference, names) is False:
                return text
        except Exception:  # an unusual reference: any other candidate will do
            continue
    return candidates[-1].format(v=names[0], w=names[-1]) + " + 1"


def answer_entry(number: int, name: str, spec, reference: Any, start=None) -> dict:
    """What the notebook says and the self-check knows about one answer (never its value):
    the reader's ``info`` (:func:`calcgrade.core.answers.answer_info`) and a comment."""
    from calcgrade.core.reading import expected_text

    entry = answer_info(spec, reference, answer_variable(number, name), start=start, notebook=True)
    kind = spec.kind
    if kind == "expression":
        variables = list(spec.variables) or sorted(
            set(_NAME.findall(str(reference))) & {"x", "y", "z", "t", "u", "v", "w"})
        where = f" in {', '.join(variables)}" if variables else ""
        example = expression_example(str(reference), spec.variables)
        comment = f'expression{where} as text, e.g. "{example}"'
    elif kind in ("label", "labels"):
        words = ", ".join(f'"{label}"' for label in spec.labels)
        comment = ("one of " + words if kind == "label"
                   else f"a list of {_plural(entry['shape'][0], 'label')}, each one of {words}")
    elif kind == "function":
        arguments = " and ".join(spec.variables) or "the arguments"
        comment = (f"return {spec.description}; {arguments} may be "
                   f"{'a number or a numpy array' if len(spec.variables) < 2 else 'numbers or numpy arrays'}")
    else:
        comment = expected_text(entry)
    out = {"variable": entry["name"], "comment": comment, "expected": entry}
    if kind not in ("label", "labels"):
        out["tolerance"] = {"rtol": spec.rtol, "atol": spec.atol}
    return out


DEFAULT_TOLERANCE = {f.name: f.default for f in dataclasses.fields(AnswerSpec)
                     if f.name in ("rtol", "atol")}


def tolerance_latex(value: float) -> str:
    """A tolerance as a short LaTeX number.

    >>> print(tolerance_latex(1e-3), tolerance_latex(1e-6), tolerance_latex(2.5e-7), tolerance_latex(0))
    0.001 10^{-6} 2.5 \\cdot 10^{-7} 0
    """
    text = f"{value:.3g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa} \\cdot {power}"


def stated_tolerance(assignment) -> dict:
    """The tolerance every numeric answer of ``assignment`` has unless a problem says otherwise."""
    return {**DEFAULT_TOLERANCE, **getattr(assignment, "tolerance", {})}


def _comparison(rtol: float, atol: float) -> str:
    return rf"$|s - r| \le {tolerance_latex(atol)} + {tolerance_latex(rtol)}\,|r|$"


def precision_text(assignment) -> str:
    """Markdown for every notebook and handout: keep full precision, and how answers are compared.

    >>> from types import SimpleNamespace
    >>> "rtol} = 0.01" in precision_text(SimpleNamespace(tolerance={"rtol": 0.01}))
    True
    """
    tolerance = stated_tolerance(assignment)
    rtol, atol = tolerance["rtol"], tolerance["atol"]
    return _render("notebook/precision.md.j2", rtol=tolerance_latex(rtol),
                   atol=tolerance_latex(atol), comparison=_comparison(rtol, atol))


def tolerance_note(assignment, entries: list[dict]) -> str:
    """Markdown naming the answers of one problem whose tolerance differs from the stated one
    ("" when none does)."""
    stated = stated_tolerance(assignment)
    groups: dict[tuple[float, float], list[str]] = {}
    for entry in entries:
        tolerance = entry.get("tolerance")
        if tolerance and (tolerance["rtol"], tolerance["atol"]) != (stated["rtol"], stated["atol"]):
            groups.setdefault((tolerance["rtol"], tolerance["atol"]), []).append(entry["variable"])
    sentences = []
    for (rtol, atol), names in groups.items():
        listed = ", ".join(f"`{name}`" for name in names)
        verb = "is" if len(names) == 1 else "are"
        sentences.append(
            f"{listed} {verb} compared with $\\mathrm{{rtol}} = {tolerance_latex(rtol)}$ and "
            f"$\\mathrm{{atol}} = {tolerance_latex(atol)}$: {_comparison(rtol, atol)}.")
    return ("**Tolerance in this problem:** " + " ".join(sentences) + "\n") if sentences else ""


def _render(name: str, **context) -> str:
    return environment().get_template(name).render(points=points_text, **context).strip() + "\n"


def _cell(cell_type: str, cell_id: str, source: str, role: str = "", **meta) -> dict:
    """A cell as plain data (what nbformat.v4.new_*_cell makes, minus per-cell validation)."""
    cell = {"cell_type": cell_type, "id": cell_id, "metadata": {}, "source": source.rstrip("\n")}
    if cell_type == "code":
        cell["execution_count"] = None
        cell["outputs"] = []
    if role:
        cell["metadata"]["calcgrade"] = {"role": role, **meta}
    return cell


def _markdown(cell_id: str, source: str, role: str = "", **meta) -> dict:
    return _cell("markdown", cell_id, source, role, **meta)


def _code(cell_id: str, source: str, role: str = "", **meta) -> dict:
    return _cell("code", cell_id, source, role, **meta)


def build_notebook(assignment, student, problems: list[dict], token: str,
                   draws: dict | None = None):
    """The notebook of one student (``draws``: their signed draw numbers, if any).

    ``problems`` holds, per problem: ``problem`` (the assignment's Problem), ``statement``
    (Markdown) and ``entries`` (from :func:`answer_entry`).
    """
    cells = [
        _markdown("intro", _render("notebook/intro.md.j2", assignment=assignment, student=student,
                                   precision=precision_text(assignment)), "intro"),
        _code("setup", _render("notebook/setup.py.j2"), "setup"),
    ]
    expected = []
    for item in problems:
        problem, entries = item["problem"], item["entries"]
        number = problem.number
        cells.append(_markdown(f"p{number}-statement",
                               _render("notebook/problem.md.j2", problem=problem,
                                       statement=item["statement"], entries=entries,
                                       tolerance=tolerance_note(assignment, entries)),
                               "statement", problem=number))
        problem_expected = [entry["expected"] for entry in entries]
        cells.append(_code(f"p{number}-answers",
                           _render("notebook/answers.py.j2", problem=problem, entries=entries),
                           ROLE_ANSWERS, problem=number, expected=problem_expected))
        expected.extend(problem_expected)
    cells.append(_markdown("selfcheck-intro", _render("notebook/selfcheck.md.j2")))
    check = _code("selfcheck", cell_source(expected), ROLE_SELFCHECK, expected=expected)
    check["metadata"]["jupyter"] = {"source_hidden": True}
    cells.append(check)
    metadata = {
        "kernelspec": dict(KERNELSPEC),
        "language_info": dict(LANGUAGE_INFO),
        "calcgrade": {"assignment": assignment.id, "student": student.id, "token": token},
    }
    if draws is not None:
        metadata["calcgrade"]["draws"] = draws
    return nbformat.from_dict({"cells": cells, "metadata": metadata, "nbformat": 4,
                               "nbformat_minor": NBFORMAT_MINOR})


def notebook_text(notebook) -> str:
    """The notebook as ``nbformat.write`` would write it (sources as lists of lines, sorted
    keys, indent 1, final newline), without validating it again."""
    cells = [{**cell, "source": cell["source"].splitlines(keepends=True)}
             for cell in notebook["cells"]]
    return json.dumps({**notebook, "cells": cells}, sort_keys=True, indent=1,
                      ensure_ascii=False) + "\n"
