"""The backprop_221 family: options, validation and its mistakes on a hand example."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.sweep import sweep

family = get_family("backprop_221")

HAND = {"x1": 1, "x2": 2, "y": 1, "w11": 0.1, "w21": 0.2, "w12": 0.3, "w22": 0.4,
        "b1": 0, "b2": 0, "w1": 0.5, "w2": -0.5, "b": 0, "lr": 0.5}


def s(z):
    return 1 / (1 + math.exp(-z))


# by hand: z1 = 0.1 + 0.4 = 0.5, z2 = 0.3 + 0.8 = 1.1, z = 0.5 a1 − 0.5 a2
A1, A2 = s(0.5), s(1.1)
Y_HAT = s(0.5 * A1 - 0.5 * A2)
DELTA = Y_HAT - 1


def diagnosed(mistake):
    return family.diagnose(family.validate(HAND)).get(f"backprop_221.{mistake}")


def test_hand_example_reference():
    answers = family.solve(family.validate(HAND))
    assert answers["forward"] == pytest.approx([0.5, A1, 1.1, A2, 0.5 * A1 - 0.5 * A2, Y_HAT])
    d1 = DELTA * 0.5 * A1 * (1 - A1)
    assert answers["gradients"][:2] == pytest.approx([d1, 2 * d1])


def test_option_label():
    assert {family.sample(generator(s), label=0)["y"] for s in range(20)} == {0}
    assert {family.sample(generator(s))["y"] for s in range(40)} == {0, 1}
    with pytest.raises(OptionsError, match="label"):
        family.sample(generator(0), label=2)


def test_sampled_hidden_units_are_not_saturated():
    for seed in range(50):
        forward = family.solve(family.sample(generator(seed)))["forward"]
        assert abs(forward[0]) <= 3 and abs(forward[2]) <= 3


@pytest.mark.parametrize("change, fragment", [
    ({"y": -1}, "'y' must be one of 0, 1"),
    ({"lr": 0}, "'lr' must be positive"),
    ({"w21": "0.2"}, "'w21' must be a number"),
    ({"b": None}, "'b' must be a number"),
    ({"w": 1}, "unknown param 'w'"),
    ({"x1": 1e308, "w11": 1e308}, "too large"),
])
def test_bad_params_are_named(change, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({**HAND, **change})


def test_missing_param_is_named():
    params = dict(HAND)
    del params["w12"]
    with pytest.raises(ParamsError, match="'w12' is missing"):
        family.validate(params)


def test_no_hidden_sigma_prime():
    buggy = diagnosed("no_hidden_sigma_prime")
    assert buggy["gradients"][0] == pytest.approx(DELTA * 0.5 * 1)
    assert buggy["gradients"][5] == pytest.approx(DELTA * -0.5)


def test_no_hidden_weights():
    buggy = diagnosed("no_hidden_weights")
    assert buggy["gradients"][1] == pytest.approx(DELTA * A1 * (1 - A1) * 2)
    assert buggy["updated"][4] == pytest.approx(0 - 0.5 * DELTA * A1 * (1 - A1))


def test_swapped_indexing():
    buggy = diagnosed("swapped_indexing")
    assert buggy["forward"][0] == pytest.approx(0.1 * 1 + 0.3 * 2)   # x1·w11 + x2·w12
    assert buggy["forward"][2] == pytest.approx(0.2 * 1 + 0.4 * 2)   # x1·w21 + x2·w22
    same = family.validate({**HAND, "w12": 0.2})
    assert "backprop_221.swapped_indexing" not in family.diagnose(same)


def test_sign_flipped_update():
    answers = family.solve(family.validate(HAND))
    buggy = diagnosed("sign_flipped_update")
    assert buggy["updated"][8] == pytest.approx(0 + 0.5 * DELTA)
    assert buggy["updated"][8] == pytest.approx(-answers["updated"][8])


def test_every_part_a_mistake_changes_is_wrong_on_the_hand_example():
    params = family.validate(HAND)
    reference = family.solve(params)
    found = family.diagnose(params)
    assert len(found) == 4
    for mistake_id, buggy in found.items():
        assert any(not answer_matches(family.answers[n], v, reference[n]) for n, v in buggy.items()), mistake_id


def test_statement_states_the_convention_and_names_the_answers():
    text = family.statement(family.validate(HAND))
    for fragment in ("`forward`", "`loss`", "`gradients`", "`updated`", "x_2 w_{21}", r"\ln", r"\alpha = 0.5"):
        assert fragment in text


@pytest.mark.parametrize("count", sweep(200))
def test_code_cases_agree_with_finite_differences_of_the_loss(count):
    """Each ``backward`` case against central differences of the log-loss of the 2-2-1
    network written out here (DESIGN §8)."""
    def loss(x, y, theta):
        w11, w21, w12, w22, b1, b2, w1, w2, b = theta
        sigma = lambda t: 1 / (1 + math.exp(-t))  # noqa: E731
        a1, a2 = sigma(x[0] * w11 + x[1] * w21 + b1), sigma(x[0] * w12 + x[1] * w22 + b2)
        y_hat = sigma(a1 * w1 + a2 * w2 + b)
        return -(y * math.log(y_hat) + (1 - y) * math.log(1 - y_hat))

    for seed in range(count):
        params = family.sample(generator(seed), answer="code")
        for case in family.solve(params)["backward"]:
            x, y, theta = case["args"]
            h = 1e-6
            numeric = []
            for i in range(len(theta)):
                up, down = list(theta), list(theta)
                up[i] += h
                down[i] -= h
                numeric.append((loss(x, y, up) - loss(x, y, down)) / (2 * h))
            assert case["expected"] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (params, case["case"])
