"""The hessian solver against sympy, central finite differences and numpy.linalg.eigvals."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import hessian as hs
from calcgrade.core.parse import parse_expression
from calcgrade.core.numeric import compile_numeric
from ..sympy_trees import to_sympy

from ..sweep import sweep

family = get_family("hessian")


def sympy_derivatives(f_text, variables, point):
    """Gradient and Hessian by sympy.diff / sympy.hessian, exact at the point."""
    f = to_sympy(parse_expression(f_text, variables))
    symbols = [sympy.Symbol(v, real=True) for v in variables]
    at = {s: sympy.Rational(repr(p)) for s, p in zip(symbols, point)}
    gradient = [sympy.diff(f, s).subs(at) for s in symbols]
    hessian = sympy.hessian(f, symbols).subs(at)
    return gradient, hessian


def finite_differences(f_text, variables, point, h=1e-3):
    """Central differences of f itself (evaluated numerically, never differentiated)."""
    evaluate = compile_numeric(parse_expression(f_text, variables))
    x = np.array(point, dtype=float)
    n = len(x)

    def f(v):
        return float(evaluate(dict(zip(variables, v))))

    e = np.eye(n) * h
    grad = [(f(x + e[i]) - f(x - e[i])) / (2 * h) for i in range(n)]
    hess = [[(f(x + e[i] + e[j]) - f(x + e[i] - e[j]) - f(x - e[i] + e[j]) + f(x - e[i] - e[j]))
             / (4 * h * h) for j in range(n)] for i in range(n)]
    return grad, hess


def exact_label(hessian: sympy.Matrix) -> str:
    """Signs of the eigenvalues by Descartes' rule on the characteristic polynomial.

    The rule counts roots exactly when every root is real, as for a symmetric matrix.
    """
    lam = sympy.Symbol("lam")
    coeffs = list(hessian.charpoly(lam).all_coeffs())
    zeros = 0
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
        zeros += 1

    def changes(cs):
        signs = [c > 0 for c in cs if c != 0]
        return sum(a != b for a, b in zip(signs, signs[1:]))

    degree = len(coeffs) - 1
    positive = changes(coeffs)
    negative = changes([c * (-1) ** (degree - k) for k, c in enumerate(coeffs)])
    if positive and negative:
        return "saddle"
    if zeros:
        return "inconclusive"
    return "minimum" if positive else "maximum"


def assert_matches_oracles(f_text, variables, point, answers):
    gradient, hessian = sympy_derivatives(f_text, variables, point)
    n = len(variables)
    assert answers["gradient"] == pytest.approx([float(g) for g in gradient], rel=1e-12, abs=1e-12)
    assert answers["hessian"] == [pytest.approx([float(hessian[i, j]) for j in range(n)], rel=1e-12, abs=1e-12)
                                  for i in range(n)]
    fd_grad, fd_hess = finite_differences(f_text, variables, point)
    scale = 1 + max(abs(float(v)) for v in hessian)
    assert answers["gradient"] == pytest.approx(fd_grad, abs=1e-4 * scale)
    for row, fd_row in zip(answers["hessian"], fd_hess):
        assert row == pytest.approx(fd_row, abs=1e-3 * scale)
    matrix = np.array(hessian.tolist(), dtype=float)
    expected = np.sort(np.linalg.eigvals(matrix).real)
    assert answers["eigenvalues"] == pytest.approx(list(expected), abs=1e-8 * scale)
    return hessian


@pytest.mark.parametrize("count", sweep(200))
def test_sampled_variants_match_sympy_finite_differences_and_eigvals(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        hessian = assert_matches_oracles(params["f"], params["vars"], params["point"], answers)
        assert answers["classification"] == exact_label(hessian), params


@pytest.mark.parametrize("f_text, variables, point", [
    ("exp(x*y) + sin(x)*y", ["x", "y"], [0.5, -1]),
    ("log(1 + x^2 + y^2)", ["x", "y"], [1, 2]),
    ("x*exp(-x^2 - y^2)", ["x", "y"], [-0.7, 0.3]),
    ("sqrt(x^2 + y^2 + z^2)", ["x", "y", "z"], [1, 2, 2]),
    ("cos(x)*cos(y)*z^2 + x*z", ["x", "y", "z"], [0.25, -0.5, 1.5]),
    ("x^3 - 3x*y^2", ["x", "y"], [0, 0]),
    ("(x - 1)^4 + x*y/3 - 0.5*y^2", ["x", "y"], [0.5, -1.5]),
    ("x^2*y*z - y", ["x", "y", "z"], [1, -1, 2]),
])
def test_hand_functions_match_the_oracles(f_text, variables, point):
    answers = hs.analyze(parse_expression(f_text, variables), variables, point)
    assert_matches_oracles(f_text, variables, point, answers)


def test_worked_example_minimum():
    f = parse_expression("2x^2 + 3y^2 - x*y", ["x", "y"])
    answers = hs.analyze(f, ["x", "y"], [0, 0])
    assert answers["gradient"] == [0.0, 0.0]
    assert answers["hessian"] == [[4.0, -1.0], [-1.0, 6.0]]
    assert answers["eigenvalues"] == pytest.approx([5 - math.sqrt(2), 5 + math.sqrt(2)], rel=1e-12)
    assert answers["classification"] == "minimum"


def test_worked_example_saddle():
    answers = hs.analyze(parse_expression("2x^2 - 2y^2", ["x", "y"]), ["x", "y"], [0, 0])
    assert answers["hessian"] == [[4.0, 0.0], [0.0, -4.0]]
    assert answers["eigenvalues"] == [-4.0, 4.0]
    assert answers["classification"] == "saddle"


@pytest.mark.parametrize("values, label", [
    ([1.0, 2.0], "minimum"),
    ([-3.0, -0.5], "maximum"),
    ([-1.0, 2.0], "saddle"),
    ([-1.0, 0.0, 2.0], "saddle"),          # a saddle even with a zero eigenvalue
    ([0.0, 1.0, 2.0], "inconclusive"),
    ([-2.0, -1.0, 0.0], "inconclusive"),
    ([0.0, 0.0], "inconclusive"),
    ([1e-12, 5.0], "inconclusive"),        # zero within 1e-9 * max(1, |λmax|)
    ([-1e-6, 1e4], "inconclusive"),
    ([1e-7, 5.0], "minimum"),
    ([-1e-6, 1.0], "saddle"),
])
def test_classification_rule(values, label):
    assert hs.classify(values) == label


def test_eigenvalues_are_ascending_and_near_zeros_are_zero():
    values = hs.eigenvalues([[2, 2], [2, 2]])
    assert values == [0.0, 4.0]
    assert hs.eigenvalues([[0, 1, 0], [1, 0, 0], [0, 0, 3]]) == pytest.approx([-1.0, 1.0, 3.0])


def test_derivatives_undefined_at_the_point_raise():
    with pytest.raises(ValueError):
        hs.analyze(parse_expression("log(x) + y", ["x", "y"]), ["x", "y"], [0, 1])
    with pytest.raises(ValueError):
        hs.analyze(parse_expression("x^(1/3) + y^2", ["x", "y"]), ["x", "y"], [0, 1])


def test_polynomial_text_round_trips_through_the_parser():
    for seed in range(100):
        params = family.sample(generator(seed))
        variables = params["vars"]
        poly = hs.poly_from_text(params["f"], variables)
        assert poly is not None
        assert hs.poly_text(poly, variables) == params["f"]
        parsed = parse_expression(params["f"], variables)
        assert hs.poly_from_expr(parsed, variables) == poly
        symbols = [sympy.Symbol(v, real=True) for v in variables]
        from_dict = sum(sympy.Rational(c) * sympy.prod([s**e for s, e in zip(symbols, mono)])
                        for mono, c in poly.items())
        assert sympy.expand(to_sympy(parsed) - from_dict) == 0


def test_polynomial_printing_with_fractions():
    poly = {(2, 0): Fraction(1, 3), (1, 1): -1, (0, 0): Fraction(-1, 2)}
    text = hs.poly_text(poly, ["x", "y"])
    assert text == "1/3*x**2 - x*y - 0.5"
    assert hs.poly_from_text(text, ["x", "y"]) == poly
    assert hs.poly_from_expr(parse_expression(text, ["x", "y"]), ["x", "y"]) == poly
    assert hs.poly_latex(poly, ["x", "y"]) == r"\frac{1}{3} x^{2} - x y - 0.5"


@pytest.mark.parametrize("text", ["3*y**2 + 2*x**2", "x*x", "2*3", "x + x", "x**2 + q", "x - -2", ""])
def test_non_canonical_text_is_left_to_the_parser(text):
    assert hs.poly_from_text(text, ["x", "y"]) is None


def test_non_polynomials_are_not_converted():
    for text in ("exp(x)", "x^(1/2) + y", "1/x + y", "x^-2"):
        assert hs.poly_from_expr(parse_expression(text, ["x", "y"]), ["x", "y"]) is None
