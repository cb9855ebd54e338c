"""The softmax_cross_entropy family: options, validation and its mistakes on a hand example."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("softmax_cross_entropy")


def test_option_classes_sets_the_length_and_the_label_range():
    for n in (3, 4, 5):
        for seed in range(20):
            params = family.sample(generator(seed), classes=n)
            assert len(params["scores"]) == n and 0 <= params["label"] < n
    assert {len(family.sample(generator(s))["scores"]) for s in range(60)} == {3, 4, 5}
    with pytest.raises(OptionsError, match="classes"):
        family.sample(generator(0), classes=7)


def test_every_class_is_the_true_one_sometimes():
    assert {family.sample(generator(s), classes=3)["label"] for s in range(60)} == {0, 1, 2}


@pytest.mark.parametrize("params, fragment", [
    ({"scores": [1, 2, 3], "label": 3}, "'label' must be between 0 and 2"),
    ({"scores": [1, 2, 3], "label": 1.0}, "'label' must be a whole number"),
    ({"scores": [1], "label": 0}, "between 2 and 10 entries"),
    ({"scores": [1, "2"], "label": 0}, "'scores' must be a number"),
    ({"scores": [1, 900], "label": 0}, r"must lie in \[-500, 500\]"),
    ({"scores": [1, 2]}, "'label' is missing"),
    ({"scores": [1, 2], "label": 0, "y": 1}, "unknown param 'y'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_statement_names_the_label_and_every_answer_without_values():
    params = family.validate({"scores": [2, 1, 0.1], "label": 0})
    text = family.statement(params)
    for name in ("`probabilities`", "`loss`", "`gradient`", "`label`", "counted from 0", r"\ln"):
        assert name in text
    assert "0.659" not in text and "0.417" not in text


HAND = {"scores": [2, 1, 0.1], "label": 1}  # p ≈ (0.6590, 0.2424, 0.0986), L = −ln 0.2424


def diagnosed(mistake):
    return family.diagnose(family.validate(HAND)).get(f"softmax_cross_entropy.{mistake}")


def test_log_base_10():
    assert diagnosed("log_base_10")["loss"] == pytest.approx(-math.log10(0.24243), abs=1e-4)


def test_gradient_sign():
    assert diagnosed("gradient_sign")["gradient"] == pytest.approx([-0.6590, 1 - 0.2424, -0.0986], abs=1e-4)


def test_not_normalized():
    buggy = diagnosed("not_normalized")
    assert buggy["probabilities"] == pytest.approx([math.e**2, math.e, math.exp(0.1)])
    assert buggy["loss"] == pytest.approx(-1.0)
    assert buggy["gradient"][1] == pytest.approx(math.e - 1)


def test_largest_probability_only_when_the_label_is_not_the_top_class():
    assert diagnosed("largest_probability")["loss"] == pytest.approx(-math.log(0.65900), abs=1e-4)
    top = family.validate({"scores": [2, 1, 0.1], "label": 0})
    assert "softmax_cross_entropy.largest_probability" not in family.diagnose(top)


def test_every_part_a_mistake_changes_is_wrong_on_the_hand_example():
    from calcgrade.core.answers import answer_matches
    params = family.validate(HAND)
    reference = family.solve(params)
    for mistake_id, buggy in family.diagnose(params).items():
        for name, value in buggy.items():
            assert not answer_matches(family.answers[name], value, reference[name]), (mistake_id, name)
