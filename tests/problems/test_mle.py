"""The mle family: models, validation and each mistake on a hand example."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("mle")


def test_option_model_picks_the_data_and_answers():
    for seed in range(10):
        bern = family.sample(generator(seed), model="bernoulli")
        assert set(bern["data"]) == {0, 1} and family.answer_names(bern) == ["p_hat"]
        gauss = family.sample(generator(seed), model="gaussian")
        assert len(set(gauss["data"])) > 1 and sorted(family.solve(gauss)) == ["mu_hat", "var_hat"]


def test_both_models_occur_by_default():
    assert {family.sample(generator(s))["model"] for s in range(30)} == {"bernoulli", "gaussian"}


@pytest.mark.parametrize("params, fragment", [
    ({"model": "poisson", "data": [1, 2]}, "'model' must be one of bernoulli, gaussian"),
    ({"model": "bernoulli", "data": [0, 1, 2]}, "only 0 and 1"),
    ({"model": "gaussian", "data": []}, "'data' must be a list of numbers"),
    ({"model": "gaussian", "data": [1, "x"]}, "'data' must be a number"),
    ({"model": "gaussian"}, "'data' is missing"),
    ({"data": [1, 2]}, "'model' is missing"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_gaussian_mistakes_on_a_hand_example():
    params = family.validate({"model": "gaussian", "data": [2, 4, 4, 4, 5, 5, 7, 9]})
    assert family.solve(params) == {"mu_hat": 5.0, "var_hat": 4.0}
    buggy = family.diagnose(params)
    assert buggy["mle.sample_variance"]["var_hat"] == pytest.approx(32 / 7)
    assert buggy["mle.std_not_variance"] == {"var_hat": 2.0}
    assert buggy["mle.uncentered_variance"]["var_hat"] == pytest.approx(29.0)
    assert "mle.fraction_of_zeros" not in buggy


def test_bernoulli_mistake_on_a_hand_example():
    params = family.validate({"model": "bernoulli", "data": [1, 0, 1, 1, 0, 1, 1, 0, 1, 1]})
    assert family.solve(params) == {"p_hat": 0.7}
    assert family.diagnose(params) == {"mle.fraction_of_zeros": {"p_hat": pytest.approx(0.3)}}
    even = family.validate({"model": "bernoulli", "data": [1, 0]})
    assert family.diagnose(even) == {}


def test_std_mistake_does_not_arise_when_the_variance_is_one():
    params = family.validate({"model": "gaussian", "data": [1, 3]})
    assert family.solve(params)["var_hat"] == 1.0
    assert "mle.std_not_variance" not in family.diagnose(params)
    assert math.isclose(family.diagnose(params)["mle.sample_variance"]["var_hat"], 2.0)


def test_statement_names_answers_and_states_the_convention():
    params = family.validate({"model": "gaussian", "data": [2, 4, 4, 4, 5, 5, 7, 9]})
    text = family.statement(params)
    assert "`mu_hat`" in text and "`var_hat`" in text and "natural log" in text
    assert "(2, 4, 4, 4, 5, 5, 7, 9)" in text and "all $m$ observations" in text
    bern = family.statement(family.validate({"model": "bernoulli", "data": [1, 0, 1]}))
    assert "`p_hat`" in bern and "$m = 3$" in bern
