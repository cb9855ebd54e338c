"""The perceptron_regression family: options, validation messages and each mistake."""

from __future__ import annotations

import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("perceptron_regression")
HAND = {"x": [1, 2], "y": 3, "w": [0.5, -0.5], "b": 1, "lr": 0.1}


def test_features_option_sets_the_length():
    for features in (1, 3):
        params = family.sample(generator(features), features=features)
        assert len(params["x"]) == len(params["w"]) == features
        assert len(family.solve(params)["w_new"]) == features


def test_sampled_predictions_are_visibly_wrong():
    for seed in range(100):
        answers = family.solve(family.sample(generator(seed)))
        assert abs(answers["grad_b"]) >= 0.5


@pytest.mark.parametrize("change, fragment", [
    ({"w": [1]}, "'w' must have 2 entries"),
    ({"lr": -0.1}, "'lr' must be positive"),
    ({"y": "3"}, "'y' must be a number"),
    ({"x": []}, "'x' must be a list of numbers"),
])
def test_bad_params_get_one_line_messages(change, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate({**HAND, **change})
    assert str(caught.value).startswith("perceptron_regression: ") and "\n" not in str(caught.value)


def test_each_mistake_on_the_hand_example():
    # ŷ = 0.5, error -2.5, L = 3.125, grad_w = (-2.5, -5), grad_b = -2.5
    m = family.diagnose(family.validate(HAND))
    half = m["perceptron_regression.missing_half"]
    assert half["loss"] == 6.25 and half["grad_w"] == [-5.0, -10.0] and half["grad_b"] == -5.0
    assert half["w_new"] == pytest.approx([1.0, 0.5]) and half["b_new"] == pytest.approx(1.5)
    flipped = m["perceptron_regression.sign_flipped"]
    assert flipped["grad_w"] == [2.5, 5.0] and flipped["w_new"] == pytest.approx([0.25, -1.0])
    assert flipped["b_new"] == pytest.approx(0.75)
    forgot = m["perceptron_regression.forgot_x"]
    assert forgot["grad_w"] == [-2.5, -2.5] and forgot["w_new"] == pytest.approx([0.75, -0.25])
    no_rate = m["perceptron_regression.forgot_learning_rate"]
    assert no_rate["w_new"] == pytest.approx([3.0, 4.5]) and no_rate["b_new"] == pytest.approx(3.5)


def test_statement_states_the_loss_and_names_the_answers():
    text = family.statement(family.validate(HAND))
    assert r"L = \tfrac{1}{2}\,(y - \hat y)^2" in text and r"\hat y - y" in text
    for name in family.answers:
        assert f"`{name}`" in text
    assert "3.125" not in text
