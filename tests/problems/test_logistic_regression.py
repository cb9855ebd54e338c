"""The logistic_regression family: options, validation messages, mistakes, carry-forward."""

from __future__ import annotations

import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("logistic_regression")
HAND = {"X": [[0], [1], [2]], "y": [0, 1, 0], "w": [0], "b": 0, "lr": 1, "steps": 1}


def test_options_choose_features_steps_and_newton():
    sampled = [family.sample(generator(s), features=2, steps=3) for s in range(20)]
    assert {len(p["w"]) for p in sampled} == {2} and all(len(family.solve(p)["iterates"]) == 3 for p in sampled)
    no_newton = family.sample(generator(4), newton=False)
    assert no_newton["newton"] is False and set(family.solve(no_newton)) == {"loss", "grad", "iterates"}
    assert {len(family.sample(generator(s))["w"]) for s in range(30)} == {1, 2}


def test_newton_false_allows_separable_data():
    params = family.validate({**HAND, "y": [0, 0, 1], "newton": False})
    assert "newton_step" not in family.solve(params)


@pytest.mark.parametrize("change, fragment", [
    ({"y": [0, 0, 1]}, "linearly separable"),
    ({"y": [0, 2, 1]}, "'y' must be one of 0, 1"),
    ({"y": [0, 1]}, "'y' must be a list of 3 labels"),
    ({"newton": "yes"}, "'newton' must be true or false"),
    ({"X": [[1], [1], [1]]}, "linearly dependent"),
    ({"X": [[1, 2, 3]] * 3, "w": [0, 0, 0]}, "'X' must have 1 to 2 columns"),
    ({"steps": 0}, "'steps' must be between 1 and 20"),
    ({"lr": 1e9, "steps": 3}, "diverge"),
])
def test_bad_params_get_one_line_messages(change, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate({**HAND, **change})
    assert str(caught.value).startswith("logistic_regression: ") and "\n" not in str(caught.value)


def test_each_mistake_on_the_hand_example():
    m = family.diagnose(family.validate(HAND))
    mean = m["logistic_regression.missing_mean"]
    assert mean["grad"] == pytest.approx([0.5, 0.5]) and mean["iterates"][0] == pytest.approx([-0.5, -0.5])
    flipped = m["logistic_regression.sign_flipped"]
    assert flipped["grad"] == pytest.approx([-1 / 6, -1 / 6])
    assert flipped["newton_step"] == pytest.approx([0, 2 / 3])
    # H = (1/12)[[5, 3], [3, 3]], H·∇J = (1/9, 1/12)
    assert m["logistic_regression.hessian_not_inverse"]["newton_step"] == pytest.approx([-1 / 9, -1 / 12])
    extra = m["logistic_regression.extra_sigma_prime"]
    assert extra["grad"] == pytest.approx([1 / 24, 1 / 24]) and extra["iterates"][0] == pytest.approx([-1 / 24, -1 / 24])


def test_hessian_mistake_needs_a_newton_step():
    params = family.validate({**HAND, "newton": False})
    assert "logistic_regression.hessian_not_inverse" not in family.diagnose(params)


def test_carry_forward_steps_from_the_students_own_point():
    params = family.validate({**HAND, "steps": 2})
    carried = family.carry_forward(params, "iterates", {"iterates": [[0.0, 0.0], [5, 5]]},
                                   family.answers["iterates"])
    assert carried.expected[0] == pytest.approx([-1 / 6, -1 / 6])
    assert carried.expected[1] == pytest.approx([-1 / 6, -1 / 6])  # from the student's (0, 0)


def test_statement_states_the_convention_and_names_the_answers():
    text = family.statement(family.validate(HAND))
    assert r"[\partial J/\partial w, \partial J/\partial b]" in text
    assert r"-\frac{1}{m}\sum" in text and "natural logarithm" in text and r"H\,\Delta" in text
    for name in family.answers:
        assert f"`{name}`" in text
    assert "`newton_step`" not in family.statement(family.validate({**HAND, "newton": False}))
