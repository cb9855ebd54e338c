"""The map_estimation family against a numeric maximization of the log-posterior (scipy), hand
examples, its messages and its mistakes."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

from ..sweep import sweep

family = get_family("map_estimation")
BERNOULLI = {"model": "bernoulli", "data": [1, 1, 0, 1, 0, 1, 1, 0, 1, 1], "alpha": 2, "beta": 5}
GAUSSIAN = {"model": "gaussian", "data": [2, 4, 6], "sigma2": 4, "mu0": 0, "tau2": 1}


def _maximize(log_density, bounds):
    """The maximizer of a log-density found numerically (bounded Brent search)."""
    found = minimize_scalar(lambda t: -log_density(t), bounds=bounds, method="bounded",
                            options={"xatol": 1e-11})
    return found.x


def _oracle(params):
    x = np.array(params["data"], float)
    if params["model"] == "bernoulli":
        a, b = params["alpha"], params["beta"]
        loglik = lambda p: np.sum(x * np.log(p) + (1 - x) * np.log(1 - p))
        logprior = lambda p: (a - 1) * np.log(p) + (b - 1) * np.log(1 - p)
        bounds = (1e-9, 1 - 1e-9)
    else:
        s2, mu0, t2 = params["sigma2"], params["mu0"], params["tau2"]
        loglik = lambda mu: -np.sum((x - mu) ** 2) / (2 * s2)
        logprior = lambda mu: -(mu - mu0) ** 2 / (2 * t2)
        bounds = (-50.0, 50.0)
    return _maximize(loglik, bounds), _maximize(lambda t: loglik(t) + logprior(t), bounds)


@pytest.mark.parametrize("count", sweep(300))
def test_answers_match_a_numeric_maximization(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        mle, map_ = _oracle(params)
        names = family.answer_names(params)
        assert answers[names[0]] == pytest.approx(mle, abs=1e-6)
        assert answers[names[1]] == pytest.approx(map_, abs=1e-6)


def test_hand_examples():
    # 7 ones of 10, Beta(2, 5): mode of Beta(9, 8) = 8/15
    assert family.solve(family.validate(BERNOULLI)) == pytest.approx({"p_mle": 0.7, "p_map": 8 / 15})
    # Σx = 12, σ² = 4, τ² = 1, μ0 = 0: (0 + 12/4)/(1 + 3/4) = 12/7
    assert family.solve(family.validate(GAUSSIAN)) == pytest.approx({"mu_mle": 4.0, "mu_map": 12 / 7})


def test_mistakes_on_the_hand_examples():
    m = family.diagnose(family.validate(BERNOULLI))
    assert m["map_estimation.mle_instead_of_map"] == {"p_map": 0.7}
    assert m["map_estimation.beta_mean_not_mode"]["p_map"] == pytest.approx(9 / 17)
    assert set(m) == {"map_estimation.mle_instead_of_map", "map_estimation.beta_mean_not_mode"}
    m = family.diagnose(family.validate(GAUSSIAN))
    assert m["map_estimation.prior_weight_wrong"]["mu_map"] == pytest.approx((4 / 4) / (1 + 1 / 4))
    assert m["map_estimation.variances_swapped"]["mu_map"] == pytest.approx((12 / 1) / (1 / 4 + 3 / 1))
    for hand in (BERNOULLI, GAUSSIAN):
        params = family.validate(hand)
        reference = family.solve(params)
        for mistake_id, buggy in family.diagnose(params).items():
            assert any(not answer_matches(family.answers[n], v, reference[n]) for n, v in buggy.items())


def test_equal_variances_cannot_be_swapped():
    params = family.validate({**GAUSSIAN, "tau2": 4})
    assert "map_estimation.variances_swapped" not in family.diagnose(params)


def test_model_option_and_answer_names():
    assert {family.sample(generator(s))["model"] for s in range(20)} == {"bernoulli", "gaussian"}
    for model, names in (("bernoulli", {"p_mle", "p_map"}), ("gaussian", {"mu_mle", "mu_map"})):
        params = family.sample(generator(3), model=model)
        assert set(family.solve(params)) == names and params["model"] == model


@pytest.mark.parametrize("params, fragment", [
    ({**BERNOULLI, "alpha": 1}, "'alpha' must be greater than 1"),
    ({**BERNOULLI, "beta": 0.5}, "'beta' must be at least 1"),
    ({**BERNOULLI, "data": [1, 2]}, "only 0 and 1"),
    ({**BERNOULLI, "mu0": 0}, "'mu0' does not belong to the bernoulli model"),
    ({k: v for k, v in GAUSSIAN.items() if k != "tau2"}, "'tau2' is missing"),
    ({**GAUSSIAN, "sigma2": 0}, "'sigma2' must be positive"),
    ({**GAUSSIAN, "model": "poisson"}, "'model' must be one of bernoulli, gaussian"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_statements_state_the_prior_and_ask_for_both_estimates():
    text = family.statement(family.validate(BERNOULLI))
    assert r"\operatorname{Beta}(\alpha, \beta)" in text and r"\alpha = 2" in text and "`p_map`" in text
    assert "`p_mle`" in text and "0.7" not in text
    text = family.statement(family.validate(GAUSSIAN))
    assert r"\sigma^2 = 4" in text and r"\mu_0 = 0" in text and r"\tau^2 = 1" in text and "`mu_map`" in text
