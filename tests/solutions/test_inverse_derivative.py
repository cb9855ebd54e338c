"""The inverse-derivative solver against sympy (f(x) = y exactly, the formula with sympy.diff),
central differences of an independently computed inverse (mpmath.findroot), and closed forms."""

from __future__ import annotations

import math

import mpmath
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import inverse_derivative as sol
from calcgrade.core.parse import parse_expression

from ..sweep import sweep

family = get_family("inverse_derivative")
X = sympy.Symbol("x", real=True)


def sympy_of(text: str):
    """sympy's own reading of sampled Python-syntax text (never student input)."""
    return sympy.parse_expr(text, local_dict={"x": X, "E": sympy.E})


def real_root(expr):
    """Odd roots as real roots (sympy's x**(1/3) is the principal complex root)."""
    return expr.replace(lambda e: e.is_Pow and e.exp == sympy.Rational(1, 3),
                        lambda e: sympy.real_root(e.base, 3))


@pytest.fixture(scope="module")
def variants():
    return [family.sample(generator(seed)) for seed in range(200)]


def test_x_solves_f_of_x_equals_y_in_the_domain(variants):
    for params in variants:
        f = real_root(sympy_of(params["f"]))
        y = float(real_root(sympy_of(params["y"])).evalf(30)) if isinstance(params["y"], str) else params["y"]
        x = family.solve(params)["x"]
        assert float(f.subs(X, x).evalf(30)) == pytest.approx(y, rel=1e-10, abs=1e-10), params
        domain = params.get("domain", "real")
        assert domain == "real" or (x > 0 if domain == "positive" else x < 0)


@pytest.mark.parametrize("count", sweep(200))
def test_derivative_is_the_reciprocal_of_sympy_diff_and_the_slope_of_the_inverse(variants, count):
    for params in variants[:count]:
        f = real_root(sympy_of(params["f"]))
        answers = family.solve(params)
        slope = float(sympy.diff(f, X).subs(X, answers["x"]).evalf(30))
        assert answers["derivative"] == pytest.approx(1 / slope, rel=1e-10), params
        numeric = sympy.lambdify(X, f, "mpmath")
        y = float(real_root(sympy_of(params["y"])).evalf(30)) if isinstance(params["y"], str) else params["y"]
        h = 1e-6 * max(1.0, abs(y))
        with mpmath.workdps(30):
            up = mpmath.findroot(lambda t: numeric(t) - (y + h), answers["x"])
            down = mpmath.findroot(lambda t: numeric(t) - (y - h), answers["x"])
            difference = float((up - down) / (2 * h))
        assert answers["derivative"] == pytest.approx(difference, rel=1e-5), params


@pytest.mark.parametrize("text, y, domain, x, derivative", [
    ("exp(x)", math.exp(2), "real", 2.0, math.exp(-2)),
    ("x^3 + x", 2, "real", 1.0, 0.25),
    ("x^2", 9, "positive", 3.0, 1 / 6),
    ("x^2", 9, "negative", -3.0, -1 / 6),
    ("ln(x)", 1, "real", math.e, math.e),
    ("sqrt(x)", 3, "real", 9.0, 6.0),
    ("2*exp(3*x) + 1", 3, "real", 0.0, 1 / 6),
])
def test_course_examples(text, y, domain, x, derivative):
    answers = sol.solve(parse_expression(text, ["x"]), y, domain)
    assert answers["x"] == pytest.approx(x, rel=1e-12)
    assert answers["derivative"] == pytest.approx(derivative, rel=1e-12)


@pytest.mark.parametrize("text, y, domain, fragment", [
    ("x^2", 4, "real", "more than once"),
    ("exp(x)", -1, "real", "not a value of f"),
    ("x^3", 0, "real", "not differentiable"),
])
def test_errors(text, y, domain, fragment):
    with pytest.raises(ValueError, match=fragment):
        sol.solve(parse_expression(text, ["x"]), y, domain)
