"""The perceptron_classification family: modes, validation messages and each mistake."""

from __future__ import annotations

import numpy as np
import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from ..sweep import sweep

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
    assert r"y\,z \le 0" in online and "misclassified whatever its label" in online
    assert "`weights`" in online and "`mistakes`" in online and "`subgradient`" not in online
    batch = family.statement(family.validate({**HAND, "mode": "batch"}))
    assert r"\max\!\left(0" in batch and "`subgradient`" in batch
    assert r"[\partial J/\partial w_1, \partial J/\partial w_2, \partial J/\partial b]" in batch


def test_statement_says_the_boundary_rule_one_way_only():
    """No sign(0) convention beside the rule y·z ≤ 0: read either way, a point on the boundary
    with label +1 is misclassified, as the solver counts it."""
    tie = family.validate({"X": [[1, 2], [2, -1]], "y": [1, -1], "w": [0, 0], "b": 0, "lr": 1})
    for params in (tie, family.validate({**tie, "mode": "batch"})):
        text = family.statement(params)
        assert "sign}(0)" not in text and "hat y" not in text
        assert family.solve(params)["mistakes"] == 2  # the first example, z = 0 and y = +1, counts


def _numpy_batch_step(params):
    """The batch step written apart from the solver: masks and matrix products in numpy."""
    X = np.hstack([np.array(params["X"], float), np.ones((len(params["X"]), 1))])
    y = np.array(params["y"], float)
    theta = np.array([*params["w"], params["b"]], float)
    wrong = y * (X @ theta) <= 1e-9
    g = -(y[wrong, None] * X[wrong]).sum(axis=0)
    if params.get("reduction") == "mean":
        g = g / len(y)
    return g, theta - params["lr"] * g, int(wrong.sum())


@pytest.mark.parametrize("count", sweep(300))
def test_batch_steps_match_numpy_for_sum_and_mean(count):
    for seed in range(count):
        for reduction in ("sum", "mean"):
            params = family.sample(generator(seed), mode="batch", reduction=reduction)
            assert params.get("reduction", "sum") == reduction
            g, theta, wrong = _numpy_batch_step(params)
            answers = family.solve(params)
            assert answers["subgradient"] == pytest.approx(g.tolist(), abs=1e-12)
            assert answers["weights"] == pytest.approx(theta.tolist(), abs=1e-12)
            assert answers["mistakes"] == wrong


def test_mean_on_the_hand_example_and_its_mistakes():
    params = family.validate({**HAND, "w": [0, 1], "X": [[1, 1], [-1, 2], [2, 1], [0, -1]],
                              "y": [1, -1, 1, 1], "mode": "batch", "reduction": "mean"})
    # misclassified: example 2 (margin -2) and example 4 (margin -1); m = 4; summed
    # g = -[(-1)(-1, 2, 1) + (+1)(0, -1, 1)] = (-1, 3, 0)
    assert family.solve(params) == {"subgradient": [-0.25, 0.75, 0.0], "weights": [0.25, 0.25, 0.0],
                                    "mistakes": 2}
    m = family.diagnose(params)
    assert m["perceptron_classification.other_reduction"] == {"subgradient": [-1.0, 3.0, 0.0],
                                                             "weights": [1.0, -2.0, 0.0]}
    summed = family.diagnose({**params, "reduction": "sum"})  # and the other way round
    assert summed["perceptron_classification.other_reduction"] == {"subgradient": [-0.25, 0.75, 0.0],
                                                                  "weights": [0.25, 0.25, 0.0]}


def test_reduction_defaults_to_the_sum_and_draws_as_before():
    for seed in range(30):
        assert family.sample(generator(seed)) == family.sample(generator(seed), reduction="sum")
        assert "reduction" not in family.sample(generator(seed))
    assert "reduction" not in family.validate({**HAND, "mode": "batch", "reduction": "sum"})
    assert {family.sample(generator(s), mode="batch", reduction="any").get("reduction", "sum")
            for s in range(30)} == {"sum", "mean"}


@pytest.mark.parametrize("change, fragment", [
    ({"reduction": "mean"}, "'reduction' belongs to batch mode only"),
    ({"mode": "batch", "reduction": "average"}, "'reduction' must be one of sum, mean"),
])
def test_bad_reduction_is_named(change, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({**HAND, **change})
