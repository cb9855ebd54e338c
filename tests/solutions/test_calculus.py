"""Differentiation against sympy (an independent implementation) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from calcgrade.core import expr as ex
from calcgrade.solutions import calculus
from calcgrade.core.parse import parse_expression

from .random_trees import random_tree
from calcgrade.core.numeric import compile_numeric
from ..sympy_trees import to_sympy

X = sympy.Symbol("x", real=True)


def _close_at_points(ours: ex.Expr, theirs, points) -> int:
    """Compare at points where both are finite and real; return how many were compared."""
    f = compile_numeric(ours)
    compared = 0
    for point in points:
        value = complex(theirs.subs(X, point).evalf())
        with np.errstate(all="ignore"):
            mine = float(f({"x": point}))
        if np.isfinite(mine) and abs(value.imag) < 1e-12 and abs(value.real) < 1e10:
            assert mine == pytest.approx(value.real, rel=1e-8, abs=1e-8)
            compared += 1
    return compared


def test_derivatives_of_random_trees_agree_with_sympy():
    rng = np.random.default_rng(11)
    compared = 0
    for _ in range(150):
        tree = random_tree(rng, ("x",), depth=3)
        compared += _close_at_points(calculus.diff(tree, "x"), sympy.diff(to_sympy(tree), X),
                                     [0.37, 1.3, 2.1])
    assert compared > 300


def test_second_derivatives_agree_with_central_differences():
    rng = np.random.default_rng(12)
    compared = 0
    h = 1e-4
    for _ in range(150):
        tree = random_tree(rng, ("x",), depth=2)
        f = compile_numeric(tree)
        second = compile_numeric(calculus.diff(tree, "x", order=2))
        for point in (0.6, 1.7):
            with np.errstate(all="ignore"):
                values = [float(f({"x": point + k * h})) for k in (-1, 0, 1)]
                expected = (values[0] - 2 * values[1] + values[2]) / h ** 2
                mine = float(second({"x": point}))
            if np.isfinite(mine) and np.isfinite(expected) and abs(mine) < 1e4:
                assert mine == pytest.approx(expected, rel=1e-3, abs=1e-3)
                compared += 1
    assert compared > 150


@pytest.mark.parametrize("text, derivative", [
    ("x^2*exp(x)", "2*x*exp(x) + x**2*exp(x)"),
    ("ln(x)", "1/x"),
    ("sin(3x)", "3*cos(3*x)"),
    ("1/x", "-1/x**2"),
    ("sqrt(x)", "0.5/sqrt(x)"),
    ("atan(2x)", "2/(4*x**2 + 1)"),
])
def test_textbook_derivatives(text, derivative):
    assert str(calculus.diff(parse_expression(text, ["x"]), "x")) == derivative


def test_rules_used_are_recorded():
    rules = calculus.Rules()
    rules.d(parse_expression("sin(x^2)/(x+1)", ["x"]), "x")
    assert {"quotient", "chain", "trig", "power"} <= rules.used
    assert "product" not in rules.used


def test_a_broken_rule_changes_only_what_uses_it():
    class ProductOfDerivatives(calculus.Rules):
        def product(self, factors, var):
            self.used.add("product")
            return ex.mul(*(self.d(f, var) for f in factors))

    f = parse_expression("x^2*sin(x)", ["x"])
    assert str(calculus.diff(f, "x", rules=ProductOfDerivatives())) == "2*x*cos(x)"
    assert calculus.diff(parse_expression("x^3", ["x"]), "x", rules=ProductOfDerivatives()) == \
        3 * ex.Sym("x") ** 2


def test_gradient_and_hessian_of_a_quadratic():
    f = parse_expression("2x^2 + 3y^2 - xy", ["x", "y"])
    grad = calculus.gradient(f, ["x", "y"])
    assert [str(g) for g in grad] == ["4*x - y", "6*y - x"]
    H = calculus.evaluate_matrix(calculus.hessian(f, ["x", "y"]), ["x", "y"], [0, 0])
    np.testing.assert_array_equal(H, [[4, -1], [-1, 6]])
