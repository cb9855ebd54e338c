"""GD stability answers against numpy's general eigenvalue routine, actual gradient-descent
runs, a grid search over the learning rate, sympy and worked examples."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import stability as st

family = get_family("gd_stability")


def sampled(count=200):
    return [family.sample(generator(seed))["A"] for seed in range(count)]


def gd_growth(matrix, lr, steps=400):
    """‖θ_steps‖ / ‖θ_0‖ for gradient descent from a generic start (actual iteration)."""
    a = np.asarray(matrix, dtype=float)
    theta = np.sqrt(np.arange(2.0, 2.0 + len(a)))  # no eigenvector of an integer matrix
    step = np.eye(len(a)) - lr * a
    return np.linalg.norm(np.linalg.matrix_power(step, steps) @ theta) / np.linalg.norm(theta)


def test_eigenvalues_match_numpy_general_routine_and_characteristic_roots():
    for matrix in sampled():
        got = family.solve({"A": matrix})["eigenvalues"]
        general = np.sort(np.linalg.eigvals(np.asarray(matrix, dtype=float)).real)
        roots = np.sort(np.roots(np.poly(np.asarray(matrix, dtype=float))).real)
        np.testing.assert_allclose(got, general, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(got, roots, rtol=1e-6, atol=1e-6)


def test_max_rate_separates_converging_from_diverging_runs():
    for matrix in sampled():
        bound = family.solve({"A": matrix})["max_rate"]
        assert gd_growth(matrix, 0.97 * bound) < 1e-3
        assert gd_growth(matrix, 1.03 * bound) > 1e3


def test_best_rate_minimizes_the_spectral_radius_on_a_grid():
    for matrix in sampled(100):
        answers = family.solve({"A": matrix})
        a = np.asarray(matrix, dtype=float)
        grid = np.linspace(0.0, answers["max_rate"], 4001)
        radius = [max(abs(np.linalg.eigvals(np.eye(len(a)) - lr * a))) for lr in grid[::40]]
        coarse = grid[::40][int(np.argmin(radius))]
        fine = grid[(grid > coarse - answers["max_rate"] / 100) & (grid < coarse + answers["max_rate"] / 100)]
        radius = [max(abs(np.linalg.eigvals(np.eye(len(a)) - lr * a))) for lr in fine]
        best = fine[int(np.argmin(radius))]
        assert abs(best - answers["best_rate"]) <= 2 * (grid[1] - grid[0])
        spacing = fine[1] - fine[0]
        assert answers["factor"] <= min(radius) + 1e-12
        assert min(radius) <= answers["factor"] + answers["eigenvalues"][-1] * spacing


def test_factor_is_the_error_ratio_of_an_actual_run_on_the_slowest_direction():
    for matrix in sampled():
        answers = family.solve({"A": matrix})
        a = np.asarray(matrix, dtype=float)
        values, vectors = np.linalg.eig(a)
        slowest = vectors[:, int(np.argmin(values.real))].real
        theta = slowest.copy()
        ratios = []
        for _ in range(3):
            after = theta - answers["best_rate"] * (a @ theta)
            ratios.append(np.linalg.norm(after) / np.linalg.norm(theta))
            theta = after
        assert ratios == pytest.approx([answers["factor"]] * 3, rel=1e-9)
        kappa = max(values.real) / min(values.real)
        assert answers["factor"] == pytest.approx((kappa - 1) / (kappa + 1), rel=1e-9)


@pytest.mark.parametrize("matrix, eigen, max_rate, best_rate, factor", [
    ([[2, 0], [0, 8]], [2, 8], sympy.Rational(1, 4), sympy.Rational(1, 5), sympy.Rational(3, 5)),
    ([[3, 1], [1, 3]], [2, 4], sympy.Rational(1, 2), sympy.Rational(1, 3), sympy.Rational(1, 3)),
    ([[5, 2], [2, 2]], [1, 6], sympy.Rational(1, 3), sympy.Rational(2, 7), sympy.Rational(5, 7)),
    ([[2, 0, 0], [0, 3, 1], [0, 1, 3]], [2, 2, 4], sympy.Rational(1, 2), sympy.Rational(1, 3),
     sympy.Rational(1, 3)),
])
def test_worked_examples_with_sympy(matrix, eigen, max_rate, best_rate, factor):
    exact = sorted(sympy.Matrix(matrix).eigenvals(multiple=True))
    assert exact == eigen
    answers = st.analyze(matrix)
    assert answers["eigenvalues"] == pytest.approx([float(v) for v in eigen], abs=1e-12)
    assert answers["max_rate"] == pytest.approx(float(max_rate), rel=1e-12)
    assert answers["best_rate"] == pytest.approx(float(best_rate), rel=1e-12)
    assert answers["factor"] == pytest.approx(float(factor), rel=1e-12)
