"""The optimize_closed_form family: kinds, validation and each mistake on a hand example."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("optimize_closed_form")


@pytest.mark.parametrize("kind, names", [
    ("mean", ["minimizer", "minimum"]),
    ("coin", ["p_hat", "log_likelihood"]),
    ("line", ["m", "b", "cost"]),
])
def test_option_kind_picks_the_params_and_answers(kind, names):
    for seed in range(10):
        params = family.sample(generator(seed), kind=kind)
        assert family.answer_names(params) == names
        assert sorted(family.solve(params)) == sorted(names)


def test_every_kind_occurs_by_default():
    kinds = {tuple(family.answer_names(family.sample(generator(s)))) for s in range(40)}
    assert len(kinds) == 3


def test_sampled_lines_have_three_to_five_points_and_a_positive_cost():
    for seed in range(30):
        params = family.sample(generator(seed), kind="line")
        assert 3 <= len(params["points"]) <= 5
        assert family.solve(params)["cost"] > 0


@pytest.mark.parametrize("params, fragment", [
    ({"values": [1, 2], "heads": 3, "tosses": 5}, "exactly one of"),
    ({}, "exactly one of"),
    ({"heads": 3}, "'tosses' is missing"),
    ({"heads": 0, "tosses": 5}, "'heads' must be between 1 and 4"),
    ({"heads": 5, "tosses": 5}, "'heads' must be between 1 and 4"),
    ({"heads": 2, "tosses": 2.5}, "'tosses' must be a whole number"),
    ({"values": []}, "'values' must be a list of numbers"),
    ({"values": [1, "2"]}, "'values' must be a number"),
    ({"points": [[1, 2], [1, 3]]}, "two different x values"),
    ({"points": [[1, 2, 3], [2, 3]]}, r"\[x, y\] pairs"),
    ({"points": [[1, 2]]}, "2 to 50"),
    ({"slope": 1}, "unknown param 'slope'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_median_and_unsquared_mistakes_on_a_hand_example():
    params = family.validate({"values": [1, 2, 6]})
    assert family.solve(params) == {"minimizer": 3.0, "minimum": 14.0}
    buggy = family.diagnose(params)
    assert buggy["optimize_closed_form.median_not_mean"] == {"minimizer": 2.0, "minimum": 17.0}
    assert buggy["optimize_closed_form.unsquared_sum"] == {"minimum": 6.0}
    assert "optimize_closed_form.tails_fraction" not in buggy


def test_median_mistake_does_not_arise_when_median_equals_mean():
    params = family.validate({"values": [1, 2, 3]})
    assert "optimize_closed_form.median_not_mean" not in family.diagnose(params)


def test_coin_mistakes_on_the_worked_example():
    params = family.validate({"heads": 7, "tosses": 10})
    buggy = family.diagnose(params)
    tails = buggy["optimize_closed_form.tails_fraction"]
    assert tails["p_hat"] == pytest.approx(0.3)
    assert tails["log_likelihood"] == pytest.approx(7 * math.log(0.3) + 3 * math.log(0.7))
    assert buggy["optimize_closed_form.likelihood_not_log"]["log_likelihood"] == pytest.approx(
        0.7**7 * 0.3**3)
    even = family.diagnose(family.validate({"heads": 5, "tosses": 10}))
    assert "optimize_closed_form.tails_fraction" not in even


def test_line_mistakes_on_the_worked_example():
    params = family.validate({"points": [[1, 2], [2, 5], [3, 3]]})
    answers = family.solve(params)
    buggy = family.diagnose(params)
    swapped = buggy["optimize_closed_form.swapped_slope_intercept"]
    assert swapped["m"] == pytest.approx(7 / 3) and swapped["b"] == pytest.approx(0.5)
    origin = buggy["optimize_closed_form.no_intercept"]
    assert origin["m"] == pytest.approx((2 + 10 + 9) / 14) and origin["b"] == 0.0
    assert origin["cost"] > answers["cost"]
    assert buggy["optimize_closed_form.unsquared_sum"]["cost"] == pytest.approx(5 / 6 + 5 / 3 + 5 / 6)


def test_statement_names_answers_and_shows_the_data_not_the_answers():
    params = family.validate({"points": [[1, 2], [2, 5], [3, 3]]})
    text = family.statement(params)
    for name in ("`m`", "`b`", "`cost`"):
        assert name in text
    assert "| 2 | 5 |" in text and "2.333" not in text
    coin = family.statement(family.validate({"heads": 7, "tosses": 10}))
    assert "`p_hat`" in coin and "`log_likelihood`" in coin and "natural" in coin and "0.7" not in coin
    mean = family.statement(family.validate({"values": [1, -2.5, 0]}))
    assert "(x - 1)^2 + (x + 2.5)^2 + x^2" in mean and "`minimizer`" in mean
