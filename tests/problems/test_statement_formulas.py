"""The formula a statement displays reads back, as LaTeX, as the function of the params.

A student sees the statement's LaTeX, not the params: what it shows must be the function
the answers are computed from. Each displayed ``$$f(...) = ...$$`` is read back with the
parser's LaTeX reading and compared, at points in its domain, with the params' function
as sympy reads it.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np
import pytest
import sympy

from calcgrade.core.errors import ExpressionError
from calcgrade.core.parse import parse_expression
from calcgrade.problems import get_family
from calcgrade.problems.derivative import RULES
from calcgrade.problems.variant import generator
from calcgrade.core.numeric import compile_numeric

DISPLAYED = re.compile(r"\$\$\s*f\(([^)]*)\)\s*=\s*(.*?)[,.]?\s*\$\$", re.S)
POINTS = (-9.1, -6.3, -4.6, -2.7, -1.3, -0.4, 0.35, 0.9, 1.7, 2.6, 4.2, 5.6, 7.9, 9.7)

# family -> (seeds in the quick run, options); heavier runs are marked slow below
FAMILIES = {
    "derivative": (150, {}),
    "gradient_descent": (120, {}),
    "newton": (120, {}),
    "hessian": (80, {}),
    "partial_derivatives": (100, {}),
    "tangent_plane": (100, {}),
    "critical_points_1d": (100, {}),
    "concavity": (100, {}),
    "inverse_derivative": (120, {}),
    "non_differentiable": (80, {"function": "piecewise"}),
}


@lru_cache(maxsize=4096)
def sympy_function(text: str, variables: tuple[str, ...]):
    """The params' expression as sympy reads it (the independent oracle), made numeric."""
    symbols = [sympy.Symbol(v) for v in variables]
    names = {v: s for v, s in zip(variables, symbols)}
    names.update(ln=sympy.log, Abs=sympy.Abs, abs=sympy.Abs, E=sympy.E, e=sympy.E, pi=sympy.pi)
    return sympy.lambdify(symbols, sympy.sympify(text, locals=names), "numpy")


def displayed_formulas(statement: str) -> tuple[list[str], list[str]]:
    """The variables of the first displayed ``f(...) = ...`` and its formula (or its cases)."""
    match = DISPLAYED.search(statement)
    assert match, f"no displayed formula f(...) = ... in:\n{statement}"
    variables = [v.strip() for v in match.group(1).split(",")]
    formula = re.sub(r"\\quad\s*\\text\{for\s*\}.*$", "", match.group(2), flags=re.S)  # a domain
    cases = re.fullmatch(r"\\begin\{cases\}(.*)\\end\{cases\}", formula.strip(), re.S)
    if cases:
        return variables, [row.split("&")[0] for row in cases.group(1).split(r"\\")]
    return variables, [formula]


def params_expressions(params: dict) -> list[str]:
    return list(params["pieces"]) if "pieces" in params else [params["f"]]


def mismatch(latex: str, text: str, variables: list[str]) -> str | None:
    """Why the LaTeX ``latex`` does not read back as ``text``, or None when it does."""
    try:
        read = parse_expression(f"${latex}$", variables)
    except ExpressionError as error:
        return f"unreadable: {error}"
    oracle = sympy_function(text, tuple(variables))
    compiled = compile_numeric(read)
    decided = 0
    for k in range(len(POINTS)):
        point = {v: POINTS[(k + 3 * j) % len(POINTS)] for j, v in enumerate(variables)}
        with np.errstate(all="ignore"):
            expected = float(oracle(*(np.float64(point[v]) for v in variables)))
            got = float(compiled(point))
        if not math.isfinite(expected):
            continue  # outside the real domain (numpy gives nan there)
        decided += 1
        if not math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-9):
            return f"at {point}: the statement shows {got!r}, the params give {expected!r}"
    return None if decided >= 2 else "fewer than 2 points in the domain"


def failures(name: str, seeds, options: dict) -> list[str]:
    family = get_family(name)
    found = []
    for seed in seeds:
        params = family.sample(generator(seed), **options)
        variables, shown = displayed_formulas(family.statement(params))
        texts = params_expressions(params)
        assert len(shown) == len(texts), (seed, shown, texts)
        for latex, text in zip(shown, texts):
            why = mismatch(latex, text, variables)
            if why:
                found.append(f"{name} seed {seed}: ${latex.strip()}$ vs {text}: {why}")
    return found


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_displayed_formula_reads_back_as_the_params_function(name):
    count, options = FAMILIES[name]
    count //= 3     # the first third here; the slow test reads the rest and 400 more
    found = failures(name, range(count), options)
    assert not found, f"{len(found)} of {count} statements misread:\n" + "\n".join(found[:20])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_displayed_formula_reads_back_over_many_seeds(name):
    count, options = FAMILIES[name]
    found = failures(name, range(count // 3, count + 400), options)
    assert not found, f"{len(found)} of 400 statements misread:\n" + "\n".join(found[:20])


@pytest.mark.slow
@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("order", [1, 2])
def test_derivative_statements_read_back_for_every_rule(rule, order):
    found = failures("derivative", range(200), {"rules": [rule], "order": order})
    assert not found, f"{len(found)} of 200 statements misread:\n" + "\n".join(found[:20])
