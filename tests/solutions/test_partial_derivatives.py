"""The partial-derivatives solver against sympy.diff, central finite differences and numpy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import partial_derivatives as sol
from calcgrade.core.parse import parse_expression

from ..sweep import sweep
from .random_trees import random_tree
from calcgrade.core.numeric import compile_numeric, evaluate

family = get_family("partial_derivatives")
SEEDS = range(200)


def sympy_of(text: str, variables):
    """sympy's own reading of sampled Python-syntax text (never student input)."""
    symbols = {v: sympy.Symbol(v, real=True) for v in variables}
    return sympy.parse_expr(text, local_dict={**symbols, "E": sympy.E}), [symbols[v] for v in variables]


def central_gradient(text: str, variables, point, h: float = 1e-5) -> list[float]:
    """Central differences of f itself (evaluated numerically, never differentiated)."""
    f = compile_numeric(parse_expression(text, variables))
    x = np.array(point, dtype=float)
    out = []
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h
        plus, minus = float(f(dict(zip(variables, x + e)))), float(f(dict(zip(variables, x - e))))
        out.append((plus - minus) / (2 * h))
    return out


@pytest.fixture(scope="module")
def variants():
    return [family.sample(generator(seed)) for seed in SEEDS]


@pytest.mark.parametrize("count", sweep(len(SEEDS)))
def test_partials_agree_with_sympy_at_random_points(variants, count):
    rng = np.random.default_rng(5)
    for params in variants[:count]:
        variables = params["vars"]
        answers = family.solve(params)
        f, symbols = sympy_of(params["f"], variables)
        for v, s in zip(variables, symbols):
            theirs = sympy.lambdify(symbols, sympy.diff(f, s), "math")
            ours = parse_expression(answers[f"f_{v}"], variables)
            for _ in range(3):
                point = [float(p) for p in rng.uniform(-2, 2, len(variables))]
                expected = theirs(*point)
                got = sol.value_at(ours, variables, point)
                assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), (params, v, point)


@pytest.mark.parametrize("count", sweep(len(SEEDS)))
def test_gradient_agrees_with_sympy_exactly_and_with_finite_differences(variants, count):
    for params in variants[:count]:
        variables, point = params["vars"], params["point"]
        gradient = family.solve(params)["gradient"]
        f, symbols = sympy_of(params["f"], variables)
        at = dict(zip(symbols, [sympy.Rational(repr(p)) for p in point]))
        exact = [float(sympy.diff(f, s).subs(at).evalf(30)) for s in symbols]
        assert gradient == pytest.approx(exact, rel=1e-12, abs=1e-12), params
        assert gradient == pytest.approx(central_gradient(params["f"], variables, point),
                                         rel=1e-6, abs=1e-6), params


def test_sampled_variants_mix_two_and_three_variables_and_nice_points(variants):
    sizes = {len(p["vars"]) for p in variants}
    assert sizes == {2, 3}
    for params in variants:
        assert all(isinstance(p, int) and -2 <= p <= 2 for p in params["point"])
        assert all(v in params["f"] for v in params["vars"])


@pytest.mark.parametrize("text, point, f_x, f_y, gradient", [
    ("x^2*y", [3, 2], "2*x*y", "x**2", [12, 9]),
    ("x^2 + 3*x*y + y^2", [1, -1], "2*x + 3*y", "3*x + 2*y", [-1, 1]),
    ("exp(x*y)", [0, 2], "y*exp(x*y)", "x*exp(x*y)", [2, 0]),
    ("sin(x + 2*y)", [0, 0], "cos(x + 2*y)", "2*cos(x + 2*y)", [1, 2]),
    ("ln(x^2 + y^2)", [1, 1], "2*x/(x**2 + y**2)", "2*y/(x**2 + y**2)", [1, 1]),
])
def test_course_examples(text, point, f_x, f_y, gradient):
    answers = sol.solve(parse_expression(text, ["x", "y"]), ["x", "y"], point)
    for name, expected in (("f_x", f_x), ("f_y", f_y)):
        difference = sympy.simplify(sympy_of(answers[name], "xy")[0] - sympy_of(expected, "xy")[0])
        assert difference == 0, (name, answers[name])
    assert answers["gradient"] == pytest.approx(gradient)


def test_three_variables():
    answers = sol.solve(parse_expression("x*y*z + z^2", ["x", "y", "z"]), ["x", "y", "z"], [1, 2, 3])
    assert answers["gradient"] == [6.0, 3.0, 8.0]
    assert sorted(answers) == ["f_x", "f_y", "f_z", "gradient"]


def test_undefined_partial_raises():
    with pytest.raises(ValueError):
        sol.solve(parse_expression("sqrt(x) + y", ["x", "y"]), ["x", "y"], [0, 1])


def test_scalar_value_agrees_with_numpy_evaluation_on_random_trees():
    rng = np.random.default_rng(11)
    compared = 0
    for _ in range(300):
        tree = random_tree(rng, ("x", "y"))
        point = {"x": float(rng.uniform(-3, 3)), "y": float(rng.uniform(-3, 3))}
        ours, theirs = sol.scalar_value(tree, point), evaluate(tree, point)
        if not math.isfinite(theirs):
            assert math.isnan(ours)
            continue
        compared += 1
        assert ours == pytest.approx(theirs, rel=1e-9, abs=1e-12), str(tree)
    assert compared > 150
