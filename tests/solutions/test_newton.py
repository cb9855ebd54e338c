"""Newton's method against independent oracles: sympy derivatives with numpy's inverse,
scipy's Newton root finder, central finite differences, and worked examples."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy
from scipy import optimize

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import newton as nt
from calcgrade.core.parse import parse_expression
from calcgrade.core.numeric import compile_numeric
from ..sympy_trees import to_sympy

from ..sweep import sweep

family = get_family("newton")
WORKED = "x^4 + 0.8*y^4 + 4*x^2 + 2*y^2 - x*y - 0.2*x^2*y"


def sympy_newton(f_text, variables, x0, steps, goal):
    """Newton's method with sympy.diff / sympy.hessian evaluated by subs/evalf and numpy's inv."""
    f = to_sympy(parse_expression(f_text, variables))
    symbols = [sympy.Symbol(v, real=True) for v in variables]
    gradient = [sympy.diff(f, s) for s in symbols]
    hessian = sympy.hessian(f, symbols)

    def at(e, point):
        return float(e.subs(dict(zip(symbols, point))).evalf(30))

    point, out = [float(v) for v in x0], []
    for _ in range(steps):
        if goal == "root":
            point = [point[0] - at(f, point) / at(gradient[0], point)]
        else:
            g = np.array([at(e, point) for e in gradient])
            h = np.array([[at(hessian[i, j], point) for j in range(len(symbols))]
                          for i in range(len(symbols))])
            point = list(np.array(point) - np.linalg.inv(h) @ g)
        out.append(point)
    return out


@pytest.mark.parametrize("count", sweep(200))
def test_iterates_match_sympy_and_numpy_inverse_over_200_seeds(count):
    goals = {"root": 0, "minimize": 0}
    for seed in range(count):
        params = family.sample(generator(seed))
        goals[params["goal"]] += 1
        got = family.solve(params)["iterates"]
        expected = sympy_newton(params["f"], params["vars"], params["x0"], params["steps"], params["goal"])
        assert len(got) == params["steps"] and all(len(p) == len(params["vars"]) for p in got)
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-9, err_msg=str(params))
    assert min(goals.values()) > count // 4


@pytest.mark.parametrize("count", sweep(200))
def test_roots_match_scipy_newton_step_for_step(count):
    checked = 0
    for seed in range(count):
        params = family.sample(generator(seed), goal="root", steps=int(1 + seed % 5))
        tree = parse_expression(params["f"], ["x"])
        f = compile_numeric(tree)
        h = 1e-6

        def value(x):
            return float(f({"x": x}))

        def slope(x):  # central differences, independent of calculus.diff
            return (value(x + h) - value(x - h)) / (2 * h)

        got = family.solve(params)["iterates"]
        for k in range(params["steps"]):
            expected = optimize.newton(value, params["x0"][0], fprime=slope, maxiter=k + 1,
                                       tol=1e-300, rtol=0, disp=False)
            assert got[k][0] == pytest.approx(float(expected), rel=1e-6, abs=1e-9), (params, k)
        checked += 1
    assert checked == count


def finite_difference_newton(f_text, variables, x0, steps, h=1e-4):
    """Minimization with ∇f and H from central differences of f alone."""
    f = compile_numeric(parse_expression(f_text, variables))

    def value(p):
        return float(f(dict(zip(variables, p))))

    n, point, out = len(variables), np.array(x0, dtype=float), []
    for _ in range(steps):
        e = np.eye(n) * h
        g = np.array([(value(point + e[i]) - value(point - e[i])) / (2 * h) for i in range(n)])
        hess = np.array([[(value(point + e[i] + e[j]) - value(point + e[i] - e[j])
                           - value(point - e[i] + e[j]) + value(point - e[i] - e[j])) / (4 * h * h)
                          for j in range(n)] for i in range(n)])
        point = point - np.linalg.inv(hess) @ g
        out.append(point.tolist())
    return out


def test_minimization_matches_finite_differences_over_seeds():
    for seed in range(100):
        params = family.sample(generator(seed), goal="minimize")
        got = family.solve(params)["iterates"]
        expected = finite_difference_newton(params["f"], params["vars"], params["x0"], params["steps"])
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=str(params))


def test_worked_example_two_dimensional_minimization():
    f = parse_expression(WORKED, ["x", "y"])
    got = nt.iterates(f, ["x", "y"], [4, 4], 2, "minimize")
    np.testing.assert_allclose(got, [[2.5827, 2.6213], [1.5923, 1.6748]], atol=6e-5)


def test_worked_example_square_root_of_two():
    got = nt.iterates(parse_expression("x^2 - 2", ["x"]), ["x"], [1], 3, "root")
    np.testing.assert_allclose(got, [[1.5], [17 / 12], [577 / 408]], rtol=1e-12)
    assert round(got[-1][0], 6) == 1.414216


def test_one_dimensional_minimization_divides_f_prime_by_f_double_prime():
    # f' = 2x - 2/x, f'' = 2 + 2/x^2: from 2, x1 = 2 - 3/2.5 = 0.8
    got = nt.iterates(parse_expression("x^2 - 2*ln(x)", ["x"]), ["x"], [2], 1, "minimize")
    assert got == [[pytest.approx(0.8, rel=1e-12)]]


def test_newton_is_exact_on_a_quadratic():
    got = nt.iterates(parse_expression("x^2 + x*y + 2*y^2 - 3*x", ["x", "y"]), ["x", "y"], [1, 1], 1,
                      "minimize")
    np.testing.assert_allclose(got, [[12 / 7, -3 / 7]], rtol=1e-12)


@pytest.mark.parametrize("f, variables, x0, steps, goal, index, reason", [
    ("x^2*y^2", ["x", "y"], [0, 0], 1, "minimize", 0, "singular"),
    ("x^3", ["x"], [0], 2, "minimize", 0, "singular"),
    ("x^3 + 3*x", ["x"], [1], 2, "minimize", 1, "singular"),  # x1 = 0 where f'' = 0
    ("x^2 + 1", ["x"], [0], 1, "root", 0, "singular"),
    ("ln(x)", ["x"], [3], 1, "root", 1, "undefined"),  # x1 = 3 - 3 ln 3 < 0
    ("ln(x) + x", ["x"], [-1], 1, "root", 0, "undefined"),
])
def test_breakdowns_name_the_iterate(f, variables, x0, steps, goal, index, reason):
    with pytest.raises(nt.NewtonBreakdown) as caught:
        nt.iterates(parse_expression(f, variables), variables, x0, steps, goal)
    assert (caught.value.index, caught.value.reason) == (index, reason)


def test_numerically_singular_hessian_is_caught():
    with pytest.raises(nt.Singular):
        nt.solve_step(np.array([1.0, 1.0]), np.array([[1.0, 1.0], [1.0, 1.0 + 1e-15]]))
    with pytest.raises(nt.Singular):
        nt.solve_step(np.array([1.0]), np.array([[1e-14]]))
    with pytest.raises(nt.Undefined):
        nt.solve_step(np.array([math.nan]), np.array([[1.0]]))
    assert nt.solve_step(np.array([2.0, 4.0]), np.array([[2.0, 0.0], [0.0, 4.0]])).tolist() == [1.0, 1.0]
