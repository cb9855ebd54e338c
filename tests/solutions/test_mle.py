"""The maximum-likelihood estimates against scipy fits, numpy and a numerical maximization."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.optimize import minimize, minimize_scalar

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import mle

family = get_family("mle")


def sampled(model, count=200):
    return [family.sample(generator(seed), model=model)["data"] for seed in range(count)]


def test_closed_forms_on_hand_examples():
    assert mle.bernoulli_mle([1, 0, 1, 1, 0, 1, 1, 0, 1, 1]) == {"p_hat": 0.7}
    assert mle.gaussian_mle([2, 4, 4, 4, 5, 5, 7, 9]) == {"mu_hat": 5.0, "var_hat": 4.0}
    assert mle.gaussian_mle([1, 2]) == {"mu_hat": 1.5, "var_hat": 0.25}


def bernoulli_log_likelihood(data, p):
    return sum(math.log(p) if x else math.log(1 - p) for x in data)


def test_bernoulli_estimate_maximizes_the_log_likelihood():
    for data in sampled("bernoulli"):
        p_hat = mle.bernoulli_mle(data)["p_hat"]
        assert p_hat == pytest.approx(np.mean(data), rel=1e-12)
        found = minimize_scalar(lambda p: -bernoulli_log_likelihood(data, p), bounds=(1e-9, 1 - 1e-9),
                                method="bounded", options={"xatol": 1e-10})
        assert p_hat == pytest.approx(found.x, abs=1e-5)


def test_gaussian_estimates_match_scipy_norm_fit_and_numpy():
    for data in sampled("gaussian"):
        answers = mle.gaussian_mle(data)
        loc, scale = stats.norm.fit(data)
        assert answers["mu_hat"] == pytest.approx(loc, rel=1e-9, abs=1e-9)
        assert answers["var_hat"] == pytest.approx(scale**2, rel=1e-9)
        assert answers["var_hat"] == pytest.approx(np.var(data, ddof=0), rel=1e-12)


def test_gaussian_estimates_maximize_the_log_likelihood_numerically():
    for data in sampled("gaussian", 40):
        x = np.array(data, dtype=float)

        def negative_log_likelihood(theta):
            mu, log_var = theta
            return -float(np.sum(stats.norm.logpdf(x, mu, math.exp(log_var / 2))))
        found = minimize(negative_log_likelihood, [0.0, 0.0], method="Nelder-Mead",
                         options={"xatol": 1e-9, "fatol": 1e-12, "maxiter": 5000})
        answers = mle.gaussian_mle(data)
        assert answers["mu_hat"] == pytest.approx(found.x[0], abs=1e-4)
        assert answers["var_hat"] == pytest.approx(math.exp(found.x[1]), rel=1e-4)
