"""Stationary points against sympy's exact roots and the first-derivative (sign change) test."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import critical_points_1d as cp
from calcgrade.solutions import hessian as hs

from ..sweep import sweep

X = sympy.Symbol("x", real=True)
family = get_family("critical_points_1d")


def first_derivative_test(f: sympy.Expr, roots) -> list[str]:
    """Classify by the sign of f′ just left and right of each root (exact rationals)."""
    gaps = [b - a for a, b in zip(roots, roots[1:])]
    eps = min(gaps + [sympy.Integer(1)]) / 4
    first = sympy.diff(f, X)
    labels = []
    for r in roots:
        left, right = first.subs(X, r - eps), first.subs(X, r + eps)
        if left < 0 < right:
            labels.append("local minimum")
        elif left > 0 > right:
            labels.append("local maximum")
        else:
            labels.append("neither")
    return labels


def coefficients(text):
    poly = hs.poly_from_text(text, ["x"])
    return [poly.get((k,), 0) for k in range(max(e for (e,) in poly) + 1)]


@pytest.mark.parametrize("count", sweep(200))
def test_sampled_polynomials_against_sympy_over_200_seeds(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        f = sympy.sympify(params["f"].replace("^", "**"), locals={"x": X})
        roots = sorted(set(sympy.real_roots(sympy.Poly(sympy.diff(f, X), X))))
        answers = cp.analyze(coefficients(params["f"]))
        assert answers["points"] == pytest.approx([float(r) for r in roots], abs=1e-12), params
        assert answers["labels"] == first_derivative_test(f, roots), params


def test_values_near_each_point_agree_with_the_label():
    """An independent float check: f near a minimum is larger on both sides, and so on."""
    for seed in range(200, 260):
        params = family.sample(generator(seed))
        c = np.array([float(v) for v in coefficients(params["f"])])
        f = np.polynomial.Polynomial(c)
        answers = family.solve(params)
        for x, label in zip(answers["points"], answers["labels"]):
            h = 1e-2
            left, mid, right = f(x - h), f(x), f(x + h)
            if label == "local minimum":
                assert left > mid < right
            elif label == "local maximum":
                assert left < mid > right
            else:
                assert (left - mid) * (right - mid) < 0


@pytest.mark.parametrize("coeffs, points, labels", [
    ([0, 0, 0, 1], [0.0], ["neither"]),                                   # x³
    ([0, 0, 0, 0, 1], [0.0], ["local minimum"]),                          # x⁴: f″ = 0
    ([0, 0, 0, 0, -1], [0.0], ["local maximum"]),                         # −x⁴
    ([0, 0, 0, 0, 0, 1], [0.0], ["neither"]),                             # x⁵
    ([0, -3, 0, 1], [-1.0, 1.0], ["local maximum", "local minimum"]),     # x³ − 3x
    ([0, 0, 0, Fraction(-1, 3), Fraction(1, 4)], [0.0, 1.0], ["neither", "local minimum"]),
])
def test_textbook_examples(coeffs, points, labels):
    assert cp.analyze(coeffs) == {"points": points, "labels": labels}


def test_half_integer_and_irrational_roots():
    # f′ = (2x − 1)(x + 3) = 2x² + 5x − 3
    assert cp.analyze([0, -3, Fraction(5, 2), Fraction(2, 3)])["points"] == [-3.0, 0.5]
    with pytest.raises(ValueError, match="not a rational"):
        cp.analyze([0, -2, 0, Fraction(1, 3)])  # f′ = x² − 2
    with pytest.raises(ValueError, match="constant"):
        cp.analyze([1, 2])
    assert cp.stationary_points([0, 1, 0, Fraction(1, 3)]) == []  # f′ = x² + 1
