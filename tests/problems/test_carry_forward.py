"""Error carried forward in the iterates families: credit is refused only at a point that is
truly stationary (its gradient vanishes) and that the student did not reach by a correct step.

Every expectation here comes from an independent oracle: sympy derivatives and numpy loops
written in the test. A step earns carried-forward credit when the student's point matches
``expected[k]`` and ``stationary[k]`` is False.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.problems import get_family
from calcgrade.problems.family import AnswerSpec, carry_steps, stationary_test

x, y = sp.symbols("x y")
RTOL, ATOL = 1e-3, 1e-6


def close(a, b) -> bool:
    return a is not None and len(a) == len(b) and all(
        abs(u - v) <= ATOL + RTOL * abs(v) for u, v in zip(a, b))


def credited(carried, points) -> list[bool]:
    """Per step: does the student's point earn carried-forward credit?"""
    return [close(e, p) and not s for e, p, s in zip(carried.expected, points, carried.stationary)]


def sympy_gradient(f, variables):
    return sp.lambdify(variables, [sp.diff(f, v) for v in variables], "numpy")


def descend(gradient, start, lr, steps):
    """Plain gradient descent by a numpy loop: the points after each step."""
    points, here = [], np.asarray(start, dtype=float)
    for _ in range(steps):
        here = here - lr * np.asarray(gradient(*here), dtype=float)
        points.append(here.tolist())
    return points


# gradient descent ---------------------------------------------------------------------------
GD = get_family("gradient_descent")
NEAR = {"f": "x**2 - 20*x", "vars": ["x"], "x0": 11, "lr": 0.05, "steps": 4}  # minimiser x = 10


def test_a_slip_near_convergence_keeps_every_later_step_and_gradient_in_1d():
    params = GD.validate(NEAR)
    grad = sympy_gradient(x**2 - 20 * x, [x])
    slipped = [10.08]  # the reference step is 10.9
    # the step from 10.08 is 0.008, within the tolerance of 10.07: small, but f′ = 0.16 is not zero
    student = [slipped] + descend(grad, slipped, 0.05, 3)
    carried = GD.carry_forward(params, "iterates", {"iterates": student}, GD.answers["iterates"])
    assert credited(carried, student) == [False, True, True, True]

    gradients = [grad(11.0)] + [grad(*p) for p in student[:-1]]
    for_gradients = GD.carry_forward(params, "gradients", {"iterates": student, "gradients": gradients},
                                     GD.answers["gradients"])
    assert credited(for_gradients, gradients) == [True, True, True, True]


def test_flat_one_dimensional_iterates_are_followed_too():
    params = GD.validate(NEAR)
    grad = sympy_gradient(x**2 - 20 * x, [x])
    student = [[10.08]] + descend(grad, [10.08], 0.05, 3)
    flat = [p[0] for p in student]
    carried = GD.carry_forward(params, "iterates", {"iterates": flat}, GD.answers["iterates"])
    assert credited(carried, student) == [False, True, True, True]


@pytest.mark.parametrize("typed", [10.0, 10.0001])
def test_typing_the_minimiser_keeps_no_carried_credit(typed):
    params = GD.validate(NEAR)
    student = [[typed]] * 4
    for name in ("iterates", "gradients"):
        answers = {"iterates": student, "gradients": [[2.0]] + [[2 * typed - 20]] * 3}
        carried = GD.carry_forward(params, name, answers, GD.answers[name])
        assert carried.stationary == [False, True, True, True], name
        assert not any(credited(carried, answers[name])[1:]), name


def test_a_two_dimensional_slip_keeps_credit_and_the_minimiser_does_not():
    f = x**2 + 2 * y**2 - x * y - 3 * x
    params = GD.validate({"f": "x**2 + 2*y**2 - x*y - 3*x", "vars": ["x", "y"], "x0": [2, 1],
                          "lr": 0.1, "steps": 5})
    grad = sympy_gradient(f, [x, y])
    student = [[1.9, 0.75]] + descend(grad, [1.9, 0.75], 0.1, 4)
    carried = GD.carry_forward(params, "iterates", {"iterates": student}, GD.answers["iterates"])
    assert credited(carried, student) == [False, True, True, True, True]
    minimiser = [float(v) for v in sp.solve([sp.diff(f, x), sp.diff(f, y)], [x, y], dict=True)[0].values()]
    typed = GD.carry_forward(params, "iterates", {"iterates": [minimiser] * 5}, GD.answers["iterates"])
    assert typed.stationary == [False, True, True, True, True]


@settings(max_examples=60, deadline=None)
@given(a=st.sampled_from([0.5, 1, 2]), c=st.integers(-5, 5), offset=st.sampled_from([-3, -1.5, 1, 2.5]),
       rate=st.sampled_from([0.05, 0.1, 0.2]), slip=st.floats(0.02, 1.5), sign=st.sampled_from([-1, 1]))
def test_any_slip_that_does_not_land_on_the_minimiser_keeps_the_later_steps(a, c, offset, rate, slip, sign):
    text = f"{a}*(x - {c})**2"
    params = GD.validate({"f": text, "vars": ["x"], "x0": c + offset, "lr": rate / a, "steps": 4})
    grad = sympy_gradient(a * (x - c)**2, [x])
    first = c + sign * slip * abs(offset)  # at least 2% of the start's distance from the minimiser
    student = [[first]] + descend(grad, [first], rate / a, 3)
    carried = GD.carry_forward(params, "iterates", {"iterates": student}, GD.answers["iterates"])
    assert credited(carried, student)[1:] == [True, True, True]
    typed = GD.carry_forward(params, "iterates", {"iterates": [[float(c)]] * 4}, GD.answers["iterates"])
    assert typed.stationary[1:] == [True, True, True]


# the tolerance --------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e4])
def test_zero_gradient_is_judged_relative_to_the_gradient_at_the_start(scale):
    spec = AnswerSpec("iterates", "x")
    grad = sympy_gradient(scale * (x - 10)**2, [x])   # ∇f(11) = 2·scale
    stationary = stationary_test([11.0], lambda p: grad(*p), spec)
    # zero within 1e-3·|∇f(x0)|: |x − 10| ≤ about 1e-3 of the start's distance
    assert stationary([10.0]) and stationary([10.0009]) and stationary([9.9991])
    assert not stationary([10.0011]) and not stationary([10.08])


def test_a_gradient_that_cannot_be_computed_is_not_zero():
    spec = AnswerSpec("iterates", "x")
    stationary = stationary_test([1.0], lambda p: [1 / p[0] - 1], spec)
    assert not stationary([0.0]) and stationary([1.0])


def test_a_point_reached_by_a_correct_step_keeps_credit_even_when_stationary():
    spec = AnswerSpec("iterates", "x")
    to_minimum, gradient = (lambda p: [3.0]), (lambda p: [2 * (p[0] - 3)])  # f = (x − 3)², a Newton step
    assert carry_steps([0.0], [[3.0], [3.0], [3.0]], to_minimum, spec, gradient).stationary == [False] * 3
    slipped = carry_steps([0.0], [[3.5], [3.0], [3.0]], to_minimum, spec, gradient)
    assert slipped.stationary == [False] * 3
    half_step = lambda p: [p[0] + 0.5]  # noqa: E731 - the student's 3.0 is not a step from 2.0
    assert carry_steps([0.0], [[2.0], [3.0], [3.0]], half_step, spec, gradient).stationary == [False, False, True]


# Newton -------------------------------------------------------------------------------------
NEWTON = get_family("newton")


def newton_root_path(f, start, steps):
    value, slope = sp.lambdify(x, f), sp.lambdify(x, sp.diff(f, x))
    points, here = [], float(start)
    for _ in range(steps):
        here = here - value(here) / slope(here)
        points.append([here])
    return points


def test_newton_root_slip_that_converges_keeps_credit_and_the_typed_root_does_not():
    params = NEWTON.validate({"f": "x^2 - 2", "vars": ["x"], "x0": 1, "steps": 4, "goal": "root"})
    spec = NEWTON.answers["iterates"]
    student = [[1.45]] + newton_root_path(x**2 - 2, 1.45, 3)  # converges to √2 by step 3
    carried = NEWTON.carry_forward(params, "iterates", {"iterates": student}, spec)
    assert credited(carried, student) == [False, True, True, True]
    typed = NEWTON.carry_forward(params, "iterates", {"iterates": [[2**0.5]] * 4}, spec)
    assert typed.stationary == [False, True, True, True]


def test_newton_root_where_the_slope_vanishes_gives_nothing_to_carry():
    params = NEWTON.validate({"f": "x^2 - 2", "vars": ["x"], "x0": 1, "steps": 3, "goal": "root"})
    carried = NEWTON.carry_forward(params, "iterates", {"iterates": [[0.0], [5.0], [5.0]]},
                                   NEWTON.answers["iterates"])
    assert carried.expected[1] is None and carried.stationary[1]


def test_newton_minimisation_in_2d_slip_keeps_credit():
    f = sp.exp(x) + x**2 + y**2 - x * y
    params = NEWTON.validate({"f": "exp(x) + x^2 + y^2 - x*y", "vars": ["x", "y"], "x0": [1, 1],
                              "steps": 4, "goal": "minimize"})
    grad = sp.lambdify((x, y), [sp.diff(f, v) for v in (x, y)])
    hess = sp.lambdify((x, y), sp.hessian(f, (x, y)))
    student, here = [[0.2, 0.3]], np.array([0.2, 0.3])
    for _ in range(3):
        here = here - np.linalg.solve(np.asarray(hess(*here), float), np.asarray(grad(*here), float))
        student.append(here.tolist())
    carried = NEWTON.carry_forward(params, "iterates", {"iterates": student}, NEWTON.answers["iterates"])
    assert credited(carried, student) == [False, True, True, True]
    typed = NEWTON.carry_forward(params, "iterates", {"iterates": [student[-1]] * 4},
                                 NEWTON.answers["iterates"])
    assert typed.stationary == [False, True, True, True]


# regressions and optimizers -------------------------------------------------------------------
def test_linear_regression_slip_keeps_credit_and_the_least_squares_solution_does_not():
    family = get_family("linear_regression_gd")
    X, target = np.array([[1.0], [2.0], [3.0]]), np.array([2.0, 4.0, 7.0])
    params = family.validate({"X": X.tolist(), "y": target.tolist(), "w": [0], "b": 0, "lr": 0.1,
                              "steps": 4})
    A = np.hstack([X, np.ones((3, 1))])

    def grad(theta):  # J = 1/(2m) Σ(ŷ − y)², θ = [w, b]
        return A.T @ (A @ theta - target) / len(target)

    student, here = [[1.5, 0.5]], np.array([1.5, 0.5])
    for _ in range(3):
        here = here - 0.1 * grad(here)
        student.append(here.tolist())
    spec = family.answers["iterates"]
    carried = family.carry_forward(params, "iterates", {"iterates": student}, spec)
    assert credited(carried, student) == [False, True, True, True]
    best = np.linalg.lstsq(A, target, rcond=None)[0].tolist()
    typed = family.carry_forward(params, "iterates", {"iterates": [best] * 4}, spec)
    assert typed.stationary == [False, True, True, True]


def test_logistic_regression_slip_keeps_credit():
    family = get_family("logistic_regression")
    X, labels = np.array([[0.0], [1.0], [2.0]]), np.array([0.0, 1.0, 0.0])
    params = family.validate({"X": X.tolist(), "y": labels.tolist(), "w": [0], "b": 0, "lr": 1,
                              "steps": 4})
    A = np.hstack([X, np.ones((3, 1))])
    student, here = [[0.1, -0.2]], np.array([0.1, -0.2])
    for _ in range(3):
        here = here - A.T @ (1 / (1 + np.exp(-(A @ here))) - labels) / len(labels)
        student.append(here.tolist())
    carried = family.carry_forward(params, "iterates", {"iterates": student}, family.answers["iterates"])
    assert credited(carried, student) == [False, True, True, True]


def test_momentum_slip_keeps_credit_and_the_minimiser_does_not():
    family = get_family("optimizers")
    A, b = np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([2.0, -4.0])
    params = family.validate({"optimizer": "momentum", "A": A.tolist(), "b": b.tolist(),
                              "x0": [3, 2], "lr": 0.1, "beta": 0.5, "steps": 4})
    spec = family.answers["iterates"]
    student = [[2.0, 0.5]]
    velocity = A @ np.array([3.0, 2.0]) - b  # v1 = ∇f(θ0) (sum form, v0 = 0)
    here = np.array(student[0])
    for _ in range(3):
        velocity = 0.5 * velocity + (A @ here - b)
        here = here - 0.1 * velocity
        student.append(here.tolist())
    carried = family.carry_forward(params, "iterates", {"iterates": student}, spec)
    assert credited(carried, student) == [False, True, True, True]
    minimiser = np.linalg.solve(A, b).tolist()
    typed = family.carry_forward(params, "iterates", {"iterates": [minimiser] * 4}, spec)
    assert typed.stationary == [False, True, True, True]
