"""The perceptron_classification family: modes, validation messages and each mistake."""

from __future__ import annotations

import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("perceptron_classification")
HAND = {"X": [[1, 1], [-1, 2], [2, 1]], "y": [1, -1, 1], "w": [0, 0], "b": 0, "lr": 1}


def test_mode_option_and_answer_names():
    online = family.sample(generator(1), mode="online")
    batch = family.sample(generator(1), mode="batch")
    assert online["mode"] == "online" and set(family.solve(online)) == {"weights", "mistakes"}
    assert batch["mode"] == "batch" and set(family.solve(batch)) == {"subgradient", "weights", "mistakes"}
    assert {family.sample(generator(s))["mode"] for s in range(30)} == {"online", "batch"}
    assert {len(family.sample(generator(s), features=1)["w"]) for s in range(10)} == {1}


def test_sampled_variants_have_both_labels_and_a_mistake():
    for seed in range(100):
        params = family.sample(generator(seed))
        assert set(params["y"]) == {-1, 1} and family.solve(params)["mistakes"] >= 1
        assert 3 <= len(params["X"]) <= 5


def test_mode_defaults_to_online():
    assert family.validate(HAND)["mode"] == "online"


@pytest.mark.parametrize("change, fragment", [
    ({"y": [1, 0, 1]}, "'y' must be one of 1, -1"),
    ({"y": [1, -1]}, "'y' must be a list of 3 labels"),
    ({"w": [0]}, "'w' must have 2 entries"),
    ({"mode": "stochastic"}, "'mode' must be one of online, batch"),
    ({"lr": 0}, "'lr' must be positive"),
    ({"X": [[1, 1], [2]]}, "every row of 'X' must have 2 entries"),
])
def test_bad_params_get_one_line_messages(change, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate({**HAND, **change})
    assert str(caught.value).startswith("perceptron_classification: ") and "\n" not in str(caught.value)


def test_online_mistakes_on_the_hand_example():
    params = family.validate(HAND)
    assert family.solve(params) == {"weights": [2.0, -1.0, 0.0], "mistakes": 2}
    m = family.diagnose(params)
    assert m["perceptron_classification.update_every_example"] == {"weights": [4.0, 0.0, 1.0]}
    assert m["perceptron_classification.update_when_correct"] == {"weights": [0.0, 0.0, 0.0]}
    assert m["perceptron_classification.strict_inequality"] == {"weights": [0.0, 0.0, 0.0], "mistakes": 0}
    assert m["perceptron_classification.sign_flipped"] == {"weights": [-3.0, -2.0, -2.0]}


def test_batch_mistakes_on_the_hand_example():
    params = family.validate({**HAND, "w": [0, 1], "mode": "batch"})
    assert family.solve(params) == {"subgradient": [-1.0, 2.0, 1.0], "weights": [1.0, -1.0, -1.0],
                                    "mistakes": 1}
    m = family.diagnose(params)
    assert m["perceptron_classification.update_every_example"]["weights"] == [4.0, 1.0, 1.0]
    assert m["perceptron_classification.update_when_correct"]["subgradient"] == [-3.0, -2.0, -2.0]
    assert m["perceptron_classification.sign_flipped"]["weights"] == [-1.0, 3.0, 1.0]
    assert "perceptron_classification.strict_inequality" not in m  # no example is a tie


def test_statement_states_the_convention_per_mode():
    online = family.statement(family.validate(HAND))
    assert r"\operatorname{sign}(0) = +1" in online and r"\le 0" in online
    assert "`weights`" in online and "`mistakes`" in online and "`subgradient`" not in online
    batch = family.statement(family.validate({**HAND, "mode": "batch"}))
    assert r"\max\!\left(0" in batch and "`subgradient`" in batch
    assert r"[\partial J/\partial w_1, \partial J/\partial w_2, \partial J/\partial b]" in batch
