"""The derivative solver against sympy.diff and central finite differences (independent oracles)."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.derivative import RULES
from calcgrade.problems.variant import generator
from calcgrade.solutions import calculus
from calcgrade.solutions import derivative as sol
from calcgrade.core.parse import parse_expression

from ..sweep import sweep

family = get_family("derivative")
SEEDS = range(200)


def sympy_of(text: str, var: str):
    """sympy's own reading of a Python-syntax expression (sampled text only, never student input)."""
    symbol = sympy.Symbol(var, real=True)
    return sympy.parse_expr(text, local_dict={var: symbol, "E": sympy.E}), symbol


def real_function(expression, symbol):
    """``point -> value`` in 30-digit arithmetic (mpmath); None where not finite and real."""
    numeric = sympy.lambdify(symbol, expression, "mpmath")

    def value_at(point: float) -> float | None:
        with mpmath.workdps(30):
            try:
                value = complex(numeric(mpmath.mpf(point)))
            except (ZeroDivisionError, ValueError):
                return None
        if abs(value.imag) > 1e-12 or not math.isfinite(value.real):
            return None
        return value.real
    return value_at


def central_difference(f, a: float, order: int) -> float:
    if order == 1:
        h = 1e-5
        return (f(a + h) - f(a - h)) / (2 * h)
    h = 1e-3  # five-point stencil: error O(h^4), rounding ~ eps |f| / h^2
    return (-f(a + 2 * h) + 16 * f(a + h) - 30 * f(a) + 16 * f(a - h) - f(a - 2 * h)) / (12 * h * h)


def check_against_oracles(params) -> int:
    """Compare one variant's answers with sympy.diff (the derivative at several points, the
    concavity) and finite differences of f (the value); return how many points compared."""
    var, order, at = params["var"], params.get("order", 1), params["at"]
    answers = family.solve(params)
    f, symbol = sympy_of(params["f"], var)
    theirs = sympy.diff(f, symbol, order)
    ours, _ = sympy_of(answers["derivative"], var)
    theirs_at, ours_at = real_function(theirs, symbol), real_function(ours, symbol)
    compared = 0
    for point in (at, at + 0.125, at - 0.125, at + 0.3):
        expected, mine = theirs_at(point), ours_at(point)
        if expected is None or abs(expected) > 1e6:
            continue
        assert mine == pytest.approx(expected, rel=1e-9, abs=1e-9), (params, point)
        compared += 1
    if order == 2:  # the concavity is the sign of sympy's f''(at)
        assert answers["concavity"] == ("concave up" if theirs_at(at) > 0 else "concave down")
    f_numeric = sympy.lambdify(symbol, f, "mpmath")
    with mpmath.workdps(40):
        estimate = float(central_difference(lambda t: f_numeric(mpmath.mpf(t)), at, order))
    assert answers["value"] == pytest.approx(estimate, rel=1e-5, abs=1e-6), params
    return compared


@pytest.mark.parametrize("count", sweep(len(SEEDS)))
@pytest.mark.parametrize("order", [1, 2])
def test_derivative_and_value_match_sympy_and_finite_differences_over_seeds(order, count):
    compared = 0
    for seed in SEEDS[:count]:
        params = family.sample(generator(seed), order=order)
        compared += check_against_oracles(params)
    assert compared >= 2 * count


@pytest.mark.parametrize("count", sweep(25, few=5))
@pytest.mark.parametrize("rule", RULES)
def test_every_rule_template_is_solved_correctly(rule, count):
    for seed in range(count):
        check_against_oracles(family.sample(generator(seed), rules=[rule], order=1 + seed % 2))


def test_worked_example_product_rule():
    answers = sol.solve(parse_expression("x^2 e^x", ["x"]), "x")
    x = sympy.Symbol("x", real=True)
    ours, _ = sympy_of(answers["derivative"], "x")
    assert sympy.simplify(ours - (2 * x * sympy.exp(x) + x**2 * sympy.exp(x))) == 0


def test_worked_example_log_at_two():
    answers = sol.solve(parse_expression("ln(x)", ["x"]), "x", at=2)
    assert answers == {"derivative": "1/x", "value": 0.5}


def test_worked_example_cubic_second_derivative():
    answers = sol.solve(parse_expression("x^3", ["x"]), "x", at=-1, order=2)
    assert answers == {"derivative": "6*x", "value": -6.0, "concavity": "concave down"}


def test_flat_second_derivative_is_neither():
    assert sol.solve(parse_expression("x^3", ["x"]), "x", at=0, order=2)["concavity"] == "neither"
    assert sol.concavity(1e-12) == "neither" and sol.concavity(0.01) == "concave up"


@pytest.mark.parametrize("text, at, hint", [
    ("ln(x) + x", -1, "log of a negative number?"),
    ("ln(x - 2)", 2, "log of zero?"),
    ("1/(x - 1)", 1, "division by zero?"),
    ("sqrt(1 - x)", 3, "square root of a negative number?"),
    ("asin(x/2)", 3, "asin of a number outside [-1, 1]?"),
])
def test_domain_issue_names_the_cause(text, at, hint):
    assert sol.domain_issue(parse_expression(text, ["x"]), "x", at) == hint


def test_memoized_derivatives_equal_plain_rules():
    """The per-subtree memo is an optimisation: it must give the very same trees."""
    for seed in SEEDS:
        params = family.sample(generator(seed), order=1 + seed % 2)
        f = parse_expression(params["f"], [params["var"]])
        plain = calculus.diff(f, params["var"], params["order"], calculus.Rules())
        assert sol.derivative(f, params["var"], params["order"]) == plain
