"""The gradient descent solver against hand computation and independent oracles.

The oracles never use the solver's differentiation or numeric compiler: sympy derives
the gradient symbolically (evaluated by substitution), and central finite differences
of f check the gradients numerically; the iteration itself is an independent numpy loop.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import gradient_descent as gd
from calcgrade.core.parse import parse_expression
from ..sympy_trees import to_sympy

from ..sweep import sweep

family = get_family("gradient_descent")


def sympy_problem(params):
    """f and its gradient as sympy expressions, with the symbols in order."""
    tree = parse_expression(params["f"], params["vars"])
    f = to_sympy(tree)
    symbols = [sympy.Symbol(v, real=True) for v in params["vars"]]
    return f, [sympy.diff(f, s) for s in symbols], symbols


def at(expr, symbols, point) -> float:
    value = complex(expr.evalf(30, subs=dict(zip(symbols, point))))
    assert value.imag == 0, "left the real domain"
    return value.real


def oracle_descent(params):
    """An independent numpy iteration with sympy gradients: (gradients, iterates, f values)."""
    f, grad, symbols = sympy_problem(params)
    theta = np.array(params["x0"], dtype=float)
    gradients, iterates, values = [], [], [at(f, symbols, theta)]
    for _ in range(params["steps"]):
        g = np.array([at(d, symbols, theta) for d in grad])
        theta = theta - params["lr"] * g
        gradients.append(g)
        iterates.append(theta)
        values.append(at(f, symbols, theta))
    return np.array(gradients), np.array(iterates), values


def central_gradient(f, symbols, point, h=1e-5):
    out = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += h
        down[i] -= h
        out.append((at(f, symbols, up) - at(f, symbols, down)) / (2 * h))
    return np.array(out)


def test_worked_example_from_the_course():
    f = parse_expression("exp(x) - ln(x)", ["x"])
    answers = gd.run(f, ["x"], [0.05], 0.005, 2)
    x1 = 0.05 - 0.005 * (math.exp(0.05) - 1 / 0.05)
    x2 = x1 - 0.005 * (math.exp(x1) - 1 / x1)
    assert answers["iterates"][0][0] == pytest.approx(0.144744, abs=1e-6)
    assert answers["iterates"][1][0] == pytest.approx(0.173509, abs=1e-6)
    assert answers["iterates"] == [[pytest.approx(x1, rel=1e-12)], [pytest.approx(x2, rel=1e-12)]]
    assert answers["gradients"][0][0] == pytest.approx(math.exp(0.05) - 20, rel=1e-12)


def test_two_variable_hand_example():
    # f = x^2 + 3y^2 + xy: ∇f = (2x + y, 6y + x); from (1, 1) with α = 0.1
    f = parse_expression("x^2 + 3y^2 + x y", ["x", "y"])
    answers = gd.run(f, ["x", "y"], [1, 1], 0.1, 2)
    assert answers["gradients"][0] == pytest.approx([3.0, 7.0])
    assert answers["iterates"][0] == pytest.approx([0.7, 0.3])
    assert answers["gradients"][1] == pytest.approx([1.7, 2.5])
    assert answers["iterates"][1] == pytest.approx([0.53, 0.05])


@pytest.fixture(scope="module")
def sampled():
    """200 sampled variants over both dimensions and 1 to 5 steps."""
    return [family.sample(generator(seed), steps=1 + seed % 5) for seed in range(200)]


@pytest.mark.parametrize("count", sweep(200))
def test_solver_matches_sympy_gradients_and_a_numpy_iteration(sampled, count):
    for params in sampled[:count]:
        answers = family.solve(params)
        gradients, iterates, _ = oracle_descent(params)
        np.testing.assert_allclose(answers["gradients"], gradients, rtol=1e-6, atol=1e-9,
                                   err_msg=str(params))
        np.testing.assert_allclose(answers["iterates"], iterates, rtol=1e-6, atol=1e-9,
                                   err_msg=str(params))


def test_gradients_match_central_finite_differences(sampled):
    for params in sampled[::2]:
        f, _, symbols = sympy_problem(params)
        answers = family.solve(params)
        points = [params["x0"]] + answers["iterates"][:-1]
        for point, gradient in zip(points, answers["gradients"]):
            numeric = central_gradient(f, symbols, point)
            np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-7, err_msg=str(params))


@pytest.mark.parametrize("count", sweep(200))
def test_f_decreases_along_every_sampled_path(sampled, count):
    for params in sampled[:count]:
        _, _, values = oracle_descent(params)
        assert all(math.isfinite(v) for v in values), params
        assert all(b < a for a, b in zip(values, values[1:])), (params, values)


def test_answers_do_not_depend_on_the_batch_they_were_computed_in(sampled):
    # sampling computes the reference beside many other rules; a fresh run is bit-identical
    for params in sampled:
        tree = parse_expression(params["f"], params["vars"])
        alone = gd.run(tree, params["vars"], params["x0"], params["lr"], params["steps"])
        assert family.solve(params) == alone, params


def test_rows_of_a_batch_are_independent_runs():
    obj = gd.objective(parse_expression("x^2 + e^(x - y) + y^2", ["x", "y"]), ("x", "y"))
    rules = [gd.Rule(-0.1), gd.Rule(0.1), gd.Rule(0.0, -0.1), gd.Rule(0.0, 0.0, -0.1)]
    together = gd.descend(obj, [0.5, -0.5], 3, rules)
    for i, rule in enumerate(rules):
        assert together.result(i) == gd.descend(obj, [0.5, -0.5], 3, [rule]).result(0)


def test_stale_rule_reuses_the_first_gradient():
    obj = gd.objective(parse_expression("x^2", ["x"]), ("x",))
    path = gd.descend(obj, [1.0], 2, [gd.Rule(0.0, 0.0, -0.1)]).result(0)
    assert path.points == [[1.0], [0.8], [pytest.approx(0.6)]]


def test_leaving_the_domain_names_the_iterate():
    f = parse_expression("x^2 + ln(x)", ["x"])
    with pytest.raises(gd.OutsideDomain) as caught:
        gd.run(f, ["x"], [1.0], 0.5, 3)  # f'(1) = 3, so x1 = -0.5
    assert caught.value.index == 1 and caught.value.point == [-0.5]
    assert not caught.value.overflow


def test_an_undefined_start_is_iterate_zero():
    with pytest.raises(gd.OutsideDomain) as caught:
        gd.run(parse_expression("sqrt(x)", ["x"]), ["x"], [0.0], 0.1, 1)  # f'(0) is infinite
    assert caught.value.index == 0


def test_diverging_steps_are_reported_as_overflow():
    with pytest.raises(gd.OutsideDomain) as caught:
        gd.run(parse_expression("x^4", ["x"]), ["x"], [10.0], 0.5, 10)
    assert caught.value.overflow and caught.value.index >= 2


def test_a_constant_function_stays_put():
    answers = gd.run(parse_expression("7", ["x", "y"]), ["x", "y"], [1, 2], 0.5, 2)
    assert answers == {"gradients": [[0.0, 0.0], [0.0, 0.0]], "iterates": [[1.0, 2.0], [1.0, 2.0]]}
