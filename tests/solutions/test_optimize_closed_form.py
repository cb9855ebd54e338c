"""The closed-form minimizers against numpy, scipy and finite differences over many seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize, minimize_scalar

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import optimize_closed_form as oc

family = get_family("optimize_closed_form")


def sampled(kind, count=200):
    return [family.sample(generator(seed), kind=kind) for seed in range(count)]


def test_worked_examples_of_the_course():
    assert oc.coin_mle(7, 10)["p_hat"] == pytest.approx(0.7)
    assert oc.coin_mle(7, 10)["log_likelihood"] == pytest.approx(7 * math.log(0.7) + 3 * math.log(0.3))
    line = oc.least_squares_line([[1, 2], [2, 5], [3, 3]])
    assert line["m"] == pytest.approx(1 / 2) and line["b"] == pytest.approx(7 / 3)
    assert line["cost"] == pytest.approx((5 / 6) ** 2 * 2 + (5 / 3) ** 2)
    assert oc.mean_minimum([1, 2, 6]) == {"minimizer": 3.0, "minimum": 14.0}


def test_mean_is_the_minimizer_of_the_sum_of_squares():
    for params in sampled("mean"):
        a = np.array(params["values"], dtype=float)
        answers = oc.mean_minimum(params["values"])

        def f(x):
            return float(np.sum((x - a) ** 2))
        found = minimize_scalar(f, bracket=(-20, 20), tol=1e-12)
        assert answers["minimizer"] == pytest.approx(found.x, abs=1e-6)
        assert answers["minimum"] == pytest.approx(f(found.x), rel=1e-9, abs=1e-9)
        x = answers["minimizer"]
        assert (f(x + 1e-5) - f(x - 1e-5)) / 2e-5 == pytest.approx(0.0, abs=1e-6)


def direct_log_likelihood(k, n, p):
    return math.log(p**k * (1 - p) ** (n - k))


def test_coin_estimate_maximizes_the_likelihood():
    for params in sampled("coin"):
        k, n = params["heads"], params["tosses"]
        answers = oc.coin_mle(k, n)
        found = minimize_scalar(lambda p: -direct_log_likelihood(k, n, p), bounds=(1e-9, 1 - 1e-9),
                                method="bounded", options={"xatol": 1e-10})
        assert answers["p_hat"] == pytest.approx(found.x, abs=1e-5)
        assert answers["log_likelihood"] == pytest.approx(direct_log_likelihood(k, n, answers["p_hat"]),
                                                          rel=1e-9)
        p, h = answers["p_hat"], 1e-7
        slope = (direct_log_likelihood(k, n, p + h) - direct_log_likelihood(k, n, p - h)) / (2 * h)
        assert slope == pytest.approx(0.0, abs=1e-4 * n)


def test_line_matches_numpy_least_squares():
    for params in sampled("line"):
        points = np.array(params["points"], dtype=float)
        design = np.column_stack([points[:, 0], np.ones(len(points))])
        (m, b), *_ = np.linalg.lstsq(design, points[:, 1], rcond=None)
        answers = oc.least_squares_line(params["points"])
        assert answers["m"] == pytest.approx(m, rel=1e-9, abs=1e-9)
        assert answers["b"] == pytest.approx(b, rel=1e-9, abs=1e-9)
        cost = float(np.sum((design @ [m, b] - points[:, 1]) ** 2))
        assert answers["cost"] == pytest.approx(cost, rel=1e-9, abs=1e-9)
        assert np.polyfit(points[:, 0], points[:, 1], 1) == pytest.approx([m, b], rel=1e-6, abs=1e-9)


def test_line_cost_has_zero_gradient_and_is_smallest_there():
    for params in sampled("line", 60):
        points = np.array(params["points"], dtype=float)

        def cost(theta):
            return float(np.sum((theta[0] * points[:, 0] + theta[1] - points[:, 1]) ** 2))
        answers = oc.least_squares_line(params["points"])
        theta, h = np.array([answers["m"], answers["b"]]), 1e-6
        for i in range(2):
            step = np.eye(2)[i] * h
            assert (cost(theta + step) - cost(theta - step)) / (2 * h) == pytest.approx(0.0, abs=1e-5)
        found = minimize(cost, [0.0, 0.0], method="Nelder-Mead",
                         options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
        assert answers["cost"] <= found.fun + 1e-9
