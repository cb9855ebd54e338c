"""The logistic-regression solver against independent oracles: the log-loss written out
directly, central finite differences (gradient and Hessian), a loop gradient descent, the
IRLS weighted-least-squares form of Newton's step, and scipy's linprog for separability."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import linprog

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import logistic_regression as lg

family = get_family("logistic_regression")


def direct_loss(X, y, theta):
    total = 0.0
    for row, label in zip(X, y):
        y_hat = 1 / (1 + math.exp(-(sum(t * v for t, v in zip(theta, row)) + theta[-1])))
        total += label * math.log(y_hat) + (1 - label) * math.log(1 - y_hat)
    return -total / len(X)


def fd_gradient(f, theta, h=1e-6):
    out = []
    for i in range(len(theta)):
        up, down = list(theta), list(theta)
        up[i] += h
        down[i] -= h
        out.append((f(up) - f(down)) / (2 * h))
    return np.array(out)


def fd_hessian(f, theta, h=1e-4):
    return np.array([fd_gradient(lambda t: fd_gradient(f, t, h)[j], theta, h) for j in range(len(theta))])


def irls(X, y, theta):
    """Newton as weighted least squares: θ' = (AᵀSA)⁻¹AᵀS z, z = Aθ + S⁻¹(y − ŷ)."""
    A = np.column_stack([np.asarray(X, dtype=float), np.ones(len(X))])
    p = 1 / (1 + np.exp(-(A @ theta)))
    s = p * (1 - p)
    z = A @ theta + (np.asarray(y) - p) / s
    return np.linalg.lstsq(np.sqrt(s)[:, None] * A, np.sqrt(s) * z, rcond=None)[0]


def separable_by_linprog(X, y):
    """Feasibility of Mθ ≥ 0, Σ Mθ ≥ 1 with M = diag(2y − 1)[X | 1] (full column rank)."""
    M = (2 * np.asarray(y, dtype=float) - 1)[:, None] * np.column_stack(
        [np.asarray(X, dtype=float), np.ones(len(X))])
    A_ub = np.vstack([-M, -M.sum(axis=0)])
    b_ub = np.concatenate([np.zeros(len(M)), [-1.0]])
    result = linprog(np.zeros(M.shape[1]), A_ub=A_ub, b_ub=b_ub, bounds=[(None, None)] * M.shape[1])
    return result.status == 0


@pytest.fixture(scope="module")
def sampled():
    return [family.sample(generator(seed), steps=1 + seed % 3) for seed in range(200)]


def test_answers_against_independent_oracles_over_seeds(sampled):
    for p in sampled:
        X, y = p["X"], p["y"]
        theta = [*p["w"], p["b"]]
        answers = family.solve(p)
        def loss(t):
            return direct_loss(X, y, t)
        assert answers["loss"] == pytest.approx(loss(theta), rel=1e-10)
        np.testing.assert_allclose(answers["grad"], fd_gradient(loss, theta), rtol=1e-5, atol=1e-7)
        point, expected = list(theta), []
        for _ in range(p["steps"]):
            point = list(np.array(point) - p["lr"] * fd_gradient(loss, point))
            expected.append(point)
        np.testing.assert_allclose(answers["iterates"], expected, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(answers["newton_step"], irls(X, y, np.array(theta, dtype=float)),
                                   rtol=1e-8, atol=1e-8)


def test_newton_step_uses_the_hessian_of_the_loss(sampled):
    for p in sampled[:40]:
        theta = [*p["w"], p["b"]]
        def loss(t):
            return direct_loss(p["X"], p["y"], t)
        H = fd_hessian(loss, theta)
        expected = np.array(theta) - np.linalg.solve(H, fd_gradient(loss, theta))
        np.testing.assert_allclose(family.solve(p)["newton_step"], expected, rtol=1e-4, atol=1e-4)


def test_sampled_data_are_not_separable_by_linprog(sampled):
    assert not any(separable_by_linprog(p["X"], p["y"]) for p in sampled)


def test_separable_agrees_with_linprog_on_random_data():
    rng = np.random.default_rng(5)
    verdicts = set()
    for _ in range(300):
        n, m = int(rng.integers(1, 3)), int(rng.integers(3, 7))
        X = rng.integers(-3, 4, size=(m, n)).tolist()
        y = rng.integers(2, size=m).tolist()
        if np.linalg.matrix_rank(np.column_stack([X, np.ones(m)])) < n + 1:
            continue
        verdict = lg.separable(X, y)
        assert verdict == separable_by_linprog(X, y), (X, y)
        verdicts.add(verdict)
    assert verdicts == {True, False}


def test_worked_example():
    # w = b = 0: ŷ = ½ everywhere, J = ln 2, ∇J = 1/3 (0.5, 0.5), H = (1/12) [[5, 3], [3, 3]]
    X, y = [[0], [1], [2]], [0, 1, 0]
    answers = lg.solve(X, y, [0], 0, 1, 1)
    assert answers["loss"] == pytest.approx(math.log(2))
    assert answers["grad"] == pytest.approx([1 / 6, 1 / 6])
    assert answers["iterates"][0] == pytest.approx([-1 / 6, -1 / 6])
    assert answers["newton_step"] == pytest.approx([0, -2 / 3])
    assert lg.separable([[0], [1], [2]], [0, 0, 1]) and lg.separable([[0], [1], [1.5]], [0, 1, 1])
    assert lg.separable([[0, 0], [1, 0], [0, 1]], [1, 0, 0])  # three points in the plane always split
