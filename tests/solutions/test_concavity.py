"""The concavity solver against sympy (f″ by sympy.diff, exact roots with multiplicities),
numpy.roots and sign checks of f″ on each side of every point, plus worked examples."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import concavity as sol
from calcgrade.core.parse import parse_expression

from ..sweep import sweep

family = get_family("concavity")
X = sympy.Symbol("x", real=True)


def sympy_of(text: str):
    """sympy's own reading of sampled Python-syntax text (never student input)."""
    return sympy.parse_expr(text, local_dict={"x": X, "E": sympy.E})


@pytest.fixture(scope="module")
def variants():
    return [family.sample(generator(seed)) for seed in range(200)]


@pytest.mark.parametrize("count", sweep(200))
def test_second_derivative_agrees_with_sympy(variants, count):
    points = np.linspace(-4, 4, 9) + 0.123
    for params in variants[:count]:
        theirs = sympy.lambdify(X, sympy.diff(sympy_of(params["f"]), X, 2), "numpy")
        ours = sympy.lambdify(X, sympy_of(family.solve(params)["second_derivative"]), "numpy")
        assert np.allclose(ours(points), theirs(points), rtol=1e-9, atol=1e-9), params


def test_polynomial_inflection_points_are_the_odd_multiplicity_roots_of_f2(variants):
    checked = 0
    for params in variants:
        f = sympy_of(params["f"])
        if not f.is_polynomial(X):
            continue
        checked += 1
        second = sympy.Poly(sympy.diff(f, X, 2), X)
        exact = sorted(float(r) for r, m in sympy.roots(second).items() if r.is_real and m % 2)
        assert family.solve(params)["inflection_points"] == pytest.approx(exact, abs=1e-9), params
        # numpy.roots sees the same real roots (a double root appears twice)
        real = sorted(r.real for r in np.roots([float(c) for c in second.all_coeffs()])
                      if abs(r.imag) < 1e-6)
        assert all(any(abs(p - r) < 1e-6 for r in real) for p in exact)
    assert checked > 120


@pytest.mark.parametrize("count", sweep(200))
def test_f2_changes_sign_at_each_point_and_the_labels_follow_its_sign(variants, count):
    for params in variants[:count]:
        second = sympy.lambdify(X, sympy.diff(sympy_of(params["f"]), X, 2), "math")
        answers = family.solve(params)
        points, labels = answers["inflection_points"], answers["concavity"]
        assert points == sorted(points) and len(labels) == len(points) + 1
        for p in points:
            assert abs(second(p)) < 1e-7 * (1 + abs(second(p + 0.5)))
            assert second(p - 1e-4) * second(p + 1e-4) < 0, params
        edges = [-9.5 if not points else points[0] - 0.75] + points + \
                [9.5 if not points else points[-1] + 0.75]
        for label, a, b in zip(labels, edges, edges[1:]):
            for t in (0.25, 0.5, 0.75):
                value = second(a + t * (b - a))
                if value != 0:
                    assert (value > 0) == (label == "concave up"), (params, label, a, b)


@pytest.mark.parametrize("text, points, labels", [
    ("x^3 - 3x^2 + 2", [1.0], ["concave down", "concave up"]),
    ("x^4 - 6x^2", [-1.0, 1.0], ["concave up", "concave down", "concave up"]),
    ("x^4", [], ["concave up"]),
    ("-x^4 + 4x^3", [0.0, 2.0], ["concave down", "concave up", "concave down"]),
    ("x^4 - 4x^3 + 6x^2", [], ["concave up"]),                      # f'' = 12(x - 1)^2
    ("x*exp(x)", [-2.0], ["concave down", "concave up"]),
    ("ln(x^2 + 1)", [-1.0, 1.0], ["concave down", "concave up", "concave down"]),
    ("exp(-x^2/2)", [-1.0, 1.0], ["concave up", "concave down", "concave up"]),
    ("x^5 - 5x^4", [3.0], ["concave down", "concave up"]),         # double root of f'' at 0
])
def test_course_examples(text, points, labels):
    answers = sol.solve(parse_expression(text, ["x"]))
    assert answers["inflection_points"] == pytest.approx(points, abs=1e-12)
    assert answers["concavity"] == labels


def test_linear_functions_have_no_concavity():
    with pytest.raises(ValueError, match="linear"):
        sol.solve(parse_expression("3x + 1", ["x"]))
