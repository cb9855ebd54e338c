"""The linear-regression solver against independent oracles: numpy.linalg.lstsq, central
finite differences of a loop-based cost, and a loop-based gradient descent."""

from __future__ import annotations

import numpy as np
import pytest

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import linear_regression as lr

family = get_family("linear_regression_gd")
FACTOR = {"half_mean": 0.5, "mean": 1.0}


def loop_cost(X, y, theta, scaling):
    """J written out with plain loops, θ = [w..., b]."""
    total = 0.0
    for row, target in zip(X, y):
        y_hat = sum(t * x for t, x in zip(theta, row)) + theta[-1]
        total += (y_hat - target) ** 2
    return FACTOR[scaling] * total / len(X)


def fd_gradient(X, y, theta, scaling, h=1e-6):
    out = []
    for i in range(len(theta)):
        up, down = list(theta), list(theta)
        up[i] += h
        down[i] -= h
        out.append((loop_cost(X, y, up, scaling) - loop_cost(X, y, down, scaling)) / (2 * h))
    return out


def loop_descent(X, y, theta, lr_, steps, scaling):
    points = []
    for _ in range(steps):
        theta = [t - lr_ * g for t, g in zip(theta, fd_gradient(X, y, theta, scaling))]
        points.append(theta)
    return points


@pytest.fixture(scope="module")
def sampled():
    out = []
    for seed in range(200):
        options = {"scaling": ("half_mean", "mean")[seed % 2], "steps": 1 + seed % 4}
        out.append(family.sample(generator(seed), **options))
    return out


def test_answers_against_independent_oracles_over_seeds(sampled):
    scalings = set()
    for p in sampled:
        X, y, w, b, scaling = p["X"], p["y"], p["w"], p["b"], p["scaling"]
        scalings.add(scaling)
        answers = family.solve(p)
        theta = [*w, b]
        assert answers["predictions"] == pytest.approx(
            [sum(wi * xi for wi, xi in zip(w, row)) + b for row in X], abs=1e-12)
        assert answers["cost"] == pytest.approx(loop_cost(X, y, theta, scaling), rel=1e-12)
        grad = fd_gradient(X, y, theta, scaling)
        assert answers["grad_w"] == pytest.approx(grad[:-1], rel=1e-6, abs=1e-6)
        assert answers["grad_b"] == pytest.approx(grad[-1], rel=1e-6, abs=1e-6)
        expected = loop_descent(X, y, theta, p["lr"], p["steps"], scaling)
        np.testing.assert_allclose(answers["iterates"], expected, rtol=1e-6, atol=1e-6)
        A = np.column_stack([np.asarray(X, dtype=float), np.ones(len(X))])
        solution = np.linalg.lstsq(A, np.asarray(y, dtype=float), rcond=None)[0]
        np.testing.assert_allclose(answers["normal_equation"], solution, rtol=1e-9, atol=1e-9)
    assert scalings == {"half_mean", "mean"}


def test_sampled_steps_decrease_the_cost(sampled):
    for p in sampled:
        costs = [loop_cost(p["X"], p["y"], theta, p["scaling"])
                 for theta in [[*p["w"], p["b"]]] + family.solve(p)["iterates"]]
        assert all(after < before for before, after in zip(costs, costs[1:])), p


def test_worked_example_a_line_through_the_origin():
    # y = 2x exactly: from w = b = 0 the error is (-2, -4, -6)
    X, y = [[1], [2], [3]], [2, 4, 6]
    answers = lr.solve(X, y, [0], 0, 0.1, 2, "half_mean")
    assert answers["cost"] == pytest.approx(56 / 6)
    assert answers["grad_w"] == pytest.approx([-28 / 3]) and answers["grad_b"] == pytest.approx(-4)
    assert answers["iterates"][0] == pytest.approx([2.8 / 3, 0.4])
    assert answers["normal_equation"] == pytest.approx([2, 0], abs=1e-12)


def test_one_feature_closed_form_slope_and_intercept():
    x, y = np.array([0.0, 1.0, 3.0, 4.0]), np.array([1.0, 2.0, 2.0, 5.0])
    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)
    intercept = y.mean() - slope * x.mean()
    assert lr.normal_equation([[v] for v in x], y) == pytest.approx([slope, intercept])


def test_mean_scaling_doubles_cost_and_gradient():
    X, y, w, b = [[1, 2], [0, 1], [3, -1]], [1, 0, 2], [0.5, -0.5], 1
    half, full = lr.solve(X, y, w, b, 0.1, 1, "half_mean"), lr.solve(X, y, w, b, 0.05, 1, "mean")
    assert full["cost"] == pytest.approx(2 * half["cost"])
    assert full["grad_w"] == pytest.approx([2 * g for g in half["grad_w"]])
    assert full["iterates"][0] == pytest.approx(half["iterates"][0])
