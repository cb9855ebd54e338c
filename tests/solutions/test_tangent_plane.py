"""The tangent-plane solver against sympy.diff, central finite differences and Taylor's bound."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import tangent_plane as sol
from calcgrade.core.parse import parse_expression
from calcgrade.core.numeric import compile_numeric

from ..sweep import sweep

family = get_family("tangent_plane")
X, Y = sympy.symbols("x y", real=True)


def sympy_of(text: str):
    """sympy's own reading of sampled Python-syntax text (never student input)."""
    return sympy.parse_expr(text, local_dict={"x": X, "y": Y, "E": sympy.E})


@pytest.fixture(scope="module")
def variants():
    return [family.sample(generator(seed)) for seed in range(200)]


@pytest.mark.parametrize("count", sweep(200))
def test_coefficients_agree_with_sympy_and_the_plane_formula(variants, count):
    for params in variants[:count]:
        f = sympy_of(params["f"])
        (a, b), (x1, y1) = [[sympy.Rational(repr(v)) for v in p] for p in (params["point"], params["near"])]
        at = {X: a, Y: b}
        value, fx, fy = (float(e.subs(at).evalf(30)) for e in (f, sympy.diff(f, X), sympy.diff(f, Y)))
        plane = f.subs(at) + sympy.diff(f, X).subs(at) * (X - a) + sympy.diff(f, Y).subs(at) * (Y - b)
        answers = family.solve(params)
        assert [answers["value"], answers["slope_x"], answers["slope_y"]] == pytest.approx(
            [value, fx, fy], rel=1e-12, abs=1e-12), params
        assert answers["approximation"] == pytest.approx(float(plane.subs({X: x1, Y: y1}).evalf(30)),
                                                         rel=1e-12, abs=1e-12), params


@pytest.mark.parametrize("count", sweep(200))
def test_slopes_agree_with_central_differences_and_the_plane_approximates_f(variants, count):
    h = 1e-5
    for params in variants[:count]:
        f = compile_numeric(parse_expression(params["f"], ["x", "y"]))
        (a, b), (x1, y1) = params["point"], params["near"]
        answers = family.solve(params)
        fx = (float(f({"x": a + h, "y": b})) - float(f({"x": a - h, "y": b}))) / (2 * h)
        fy = (float(f({"x": a, "y": b + h})) - float(f({"x": a, "y": b - h}))) / (2 * h)
        assert [answers["slope_x"], answers["slope_y"]] == pytest.approx([fx, fy], rel=1e-6, abs=1e-6)
        # the error of a linear approximation is second order in the step (|step| <= 0.2 here)
        hess_scale = max(1.0, *(abs(float(f({"x": a + s, "y": b + t})) - 2 * float(f({"x": a, "y": b}))
                                    + float(f({"x": a - s, "y": b - t}))) / 0.04
                                for s, t in ((0.2, 0), (0, 0.2), (0.2, 0.2), (0.2, -0.2))))
        error = abs(answers["approximation"] - float(f({"x": x1, "y": y1})))
        assert error <= 4 * hess_scale * 0.08 + 1e-9, params


def test_worked_example():
    f = parse_expression("x^2 + y^2", ["x", "y"])
    answers = sol.solve(f, [1, 2], [1.1, 1.9])
    assert (answers["value"], answers["slope_x"], answers["slope_y"]) == (5.0, 2.0, 4.0)
    assert answers["approximation"] == pytest.approx(4.8)      # f(1.1, 1.9) = 4.82
    assert sol.plane_value(5.0, [2.0, 4.0], [1, 2], [3, 4]) == 5 + 2 * 2 + 4 * 2


def test_another_course_example():
    answers = sol.solve(parse_expression("x*exp(x*y)", ["x", "y"]), [1, 0], [1.1, -0.1])
    assert (answers["value"], answers["slope_x"], answers["slope_y"]) == (1.0, 1.0, 1.0)
    assert answers["approximation"] == pytest.approx(1.0)
    assert np.exp(-0.11) * 1.1 == pytest.approx(answers["approximation"], abs=0.05)


def test_undefined_point_raises():
    with pytest.raises(ValueError):
        sol.solve(parse_expression("sqrt(x) + y", ["x", "y"]), [0, 1], [0.1, 1])
