"""The sigmoid_gradient family: modes, validation and its mistakes."""

from __future__ import annotations

import pytest

from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("sigmoid_gradient")


def test_option_mode_picks_the_answers():
    z_params = family.sample(generator(5), mode="z")
    example = family.sample(generator(5), mode="example", features=3)
    assert set(family.solve(z_params)) == {"sigmoid", "sigmoid_prime"}
    assert len(example["x"]) == 3 and example["y"] in (0, 1)


def test_both_modes_occur_by_default():
    modes = {"x" in family.sample(generator(s)) for s in range(40)}
    assert modes == {True, False}


@pytest.mark.parametrize("params, fragment", [
    ({"z": 1, "x": [1]}, "exactly one of: 'z'; 'x', 'w', 'b' and 'y'"),
    ({"x": [1, 2], "w": [1], "b": 0, "y": 1}, "must have 2 entries"),
    ({"x": [1], "w": [1], "b": 0, "y": 2}, "'y' must be one of 0, 1"),
    ({"x": [1], "w": [1], "b": 0}, "'y' is missing"),
    ({"z": "1"}, "'z' must be a number"),
    ({"q": 1}, "unknown param 'q'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_dropped_term_mistake_is_diagnosed_for_label_zero():
    params = family.validate({"x": [1.0, 2.0], "w": [0.5, 0.5], "b": 0.0, "y": 0})
    buggy = family.diagnose(params)
    assert buggy["sigmoid_gradient.dropped_one_minus_y"] == {"loss": 0.0}
