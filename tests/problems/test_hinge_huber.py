"""The hinge_huber family against numpy and finite differences, its messages and mistakes."""

from __future__ import annotations

import numpy as np
import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

from ..sweep import sweep

family = get_family("hinge_huber")
HINGE = {"loss": "hinge", "X": [[1, 2], [2, -1], [1, 0]], "y": [1, -1, 1], "w": [0.5, 0.5]}
HUBER = {"loss": "huber", "X": [[1, 0], [0, 2]], "y": [0.5, 4], "w": [1, 1], "delta": 1}


def _numpy_loss(params, w):
    """The mean loss at w, written with numpy apart from the solver."""
    X, y = np.array(params["X"], float), np.array(params["y"], float)
    if params["loss"] == "hinge":
        return np.mean(np.maximum(0.0, 1 - y * (X @ w)))
    r, d = X @ w - y, params["delta"]
    return np.mean(np.where(np.abs(r) <= d, 0.5 * r**2, d * (np.abs(r) - 0.5 * d)))


def _numpy_gradient(params):
    X, y, w = np.array(params["X"], float), np.array(params["y"], float), np.array(params["w"], float)
    if params["loss"] == "hinge":
        active = y * (X @ w) < 1 - 1e-12
        return -(y[active, None] * X[active]).sum(axis=0) / len(y)
    r, d = X @ w - y, params["delta"]
    return (np.clip(r, -d, d)[:, None] * X).mean(axis=0)


def _central(params, h=1e-6):
    w = np.array(params["w"], float)
    return np.array([(_numpy_loss(params, w + h * e) - _numpy_loss(params, w - h * e)) / (2 * h)
                     for e in np.eye(len(w))])


@pytest.mark.parametrize("count", sweep(400))
def test_answers_match_numpy_and_finite_differences(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        w = np.array(params["w"], float)
        assert answers["loss"] == pytest.approx(_numpy_loss(params, w), abs=1e-12)
        np.testing.assert_allclose(answers["gradient"], _numpy_gradient(params), atol=1e-12)
        X, y = np.array(params["X"], float), np.array(params["y"], float)
        kinked = params["loss"] == "hinge" and np.any(np.isclose(y * (X @ w), 1.0))
        if not kinked:  # differentiable there: the subgradient is the gradient
            np.testing.assert_allclose(answers["gradient"], _central(params), atol=1e-6)


def test_hand_examples():
    # hinge: margins 1.5, −0.5, 0.5 → examples 2 and 3 active; L = (0 + 1.5 + 0.5)/3
    # g = −(1/3)[(−1)(2, −1) + (1)(1, 0)] = −(1/3)(−1, 1)
    hinge = family.solve(family.validate(HINGE))
    assert hinge["loss"] == pytest.approx(2 / 3) and hinge["gradient"] == pytest.approx([1 / 3, -1 / 3])
    # huber, δ = 1: r = (0.5, −2); ℓ = 0.125 and 1·(2 − 0.5) = 1.5; ψ = 0.5 and −1
    huber = family.solve(family.validate(HUBER))
    assert huber["loss"] == pytest.approx((0.125 + 1.5) / 2)
    assert huber["gradient"] == pytest.approx([0.5 * 1 / 2, -1 * 2 / 2])


def test_the_kink_takes_the_subgradient_zero():
    # margin of example 1 is exactly 1: 1·(0.5·1 + 0.25·2) = 1
    params = family.validate({"loss": "hinge", "X": [[1, 2], [1, 1]], "y": [1, -1], "w": [0.5, 0.25]})
    answers = family.solve(params)
    assert answers["gradient"] == pytest.approx([0.5, 0.5])   # only example 2: −(−1)(1, 1)/2
    assert answers["loss"] == pytest.approx((0 + 1.75) / 2)


def test_mistakes_on_the_hand_examples():
    m = family.diagnose(family.validate(HINGE))
    assert m["hinge_huber.hinge_wrong_side"]["gradient"] == pytest.approx([-1 / 3, -2 / 3])
    assert m["hinge_huber.hinge_missing_label"]["gradient"] == pytest.approx([-1.0, 1 / 3])
    m = family.diagnose(family.validate(HUBER))
    assert m["hinge_huber.huber_no_half"]["loss"] == pytest.approx((0.25 + 1.5) / 2)
    assert m["hinge_huber.huber_no_half"]["gradient"] == pytest.approx([0.5, -1.0])
    assert "hinge_huber.huber_linear_without_delta" not in m  # with δ = 1 it is the right answer
    params = family.validate({**HUBER, "delta": 0.5})   # r = (0.5, −2): both in their branch at δ = 0.5
    buggy = family.diagnose(params)["hinge_huber.huber_linear_without_delta"]
    assert buggy["gradient"] == pytest.approx([0.25, -1.0]) and family.solve(params)["gradient"] == pytest.approx([0.25, -0.5])


def test_every_mistake_is_wrong_where_it_arises_on_the_hand_examples():
    for hand in (HINGE, {**HUBER, "delta": 0.5}):
        params = family.validate(hand)
        reference = family.solve(params)
        for mistake_id, buggy in family.diagnose(params).items():
            assert any(not answer_matches(family.answers[n], v, reference[n]) for n, v in buggy.items()), mistake_id


def test_options():
    assert {family.sample(generator(s))["loss"] for s in range(20)} == {"hinge", "huber"}
    assert {len(family.sample(generator(s), loss="huber", features=3)["w"]) for s in range(10)} == {3}
    assert all("delta" in family.sample(generator(s), loss="huber") for s in range(10))


@pytest.mark.parametrize("params, fragment", [
    ({**HINGE, "y": [1, 0, 1]}, "only the labels 1 and -1"),
    ({**HINGE, "delta": 1}, "'delta' belongs to the huber loss"),
    ({k: v for k, v in HUBER.items() if k != "delta"}, "'delta' is missing"),
    ({**HUBER, "delta": 0}, "'delta' must be positive"),
    ({**HUBER, "w": [1]}, "'w' must have 2 entries"),
    ({**HUBER, "loss": "l1"}, "'loss' must be one of hinge, huber"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_statements_state_the_conventions():
    hinge = family.statement(family.validate(HINGE))
    assert "use the subgradient $0$" in hinge and r"\frac{1}{m}" in hinge and "`gradient`" in hinge
    huber = family.statement(family.validate(HUBER))
    assert r"\delta = 1" in huber and r"\tfrac{1}{2}\,r^2" in huber and r"\delta\left(|r|" in huber
