"""The tangent_plane family: validation, statement and its mistakes on hand examples."""

from __future__ import annotations

import json

import pytest

from calcgrade.grader.cli import main
from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("tangent_plane")
EXAMPLE = {"f": "x^2 + y^2", "point": [1, 2], "near": [1.1, 1.9]}


def test_sampled_points_are_nice_and_near():
    for seed in range(100):
        params = family.sample(generator(seed))
        assert all(isinstance(p, int) and -2 <= p <= 2 for p in params["point"])
        steps = [round(abs(q - p), 10) for p, q in zip(params["point"], params["near"])]
        assert all(s in (0.1, 0.2) for s in steps), params


def test_options_are_rejected():
    with pytest.raises(OptionsError):
        family.sample(generator(0), dims=3)


@pytest.mark.parametrize("params, fragment", [
    ({"f": "x*q", "point": [0, 0], "near": [0.1, 0.1]}, "param 'f': unknown name 'q'"),
    ({"f": "x*y", "point": [1], "near": [0.1, 0.1]}, "'point' must have 2 entries"),
    ({"f": "x*y", "point": [1, 2]}, "'near' is missing"),
    ({"f": "x*y", "point": [1, 2], "near": [1, 2]}, "'near' must differ from 'point'"),
    ({"f": "log(x) + y", "point": [0, 1], "near": [0.1, 1]}, "not defined at point"),
    ({"f": "log(x) + y", "point": [0.1, 1], "near": [-0.1, 1]}, "not defined at near"),
    ({"f": "x*y", "point": [0, 0], "near": [0.1, 0.1], "vars": ["x", "y"]}, "unknown param 'vars'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_worked_example_through_the_command_line(capsys):
    assert main(["solve", "tangent_plane", "--params", json.dumps(EXAMPLE)]) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    assert (answers["value"], answers["slope_x"], answers["slope_y"]) == (5.0, 2.0, 4.0)
    assert answers["approximation"] == pytest.approx(4.8)


def test_statement_states_the_plane_and_names_the_answers():
    text = family.statement(family.validate(EXAMPLE))
    assert r"z = f(a, b) + f_x(a, b)\,(x - a) + f_y(a, b)\,(y - b)" in text
    assert "(a, b) = (1, 2)" in text and "(x_1, y_1) = (1.1, 1.9)" in text
    for name in ("value", "slope_x", "slope_y", "approximation"):
        assert f"`{name}`" in text
    assert "4.8" not in text


def diagnosed(params=EXAMPLE):
    return family.diagnose(family.validate(params))


def test_partials_at_wrong_point():
    found = diagnosed()["tangent_plane.partials_at_wrong_point"]
    assert found["slope_x"] == pytest.approx(2.2) and found["slope_y"] == pytest.approx(3.8)
    assert found["approximation"] == pytest.approx(5 + 2.2 * 0.1 - 3.8 * 0.1)


def test_missing_value():
    assert diagnosed()["tangent_plane.missing_value"]["approximation"] == pytest.approx(-0.2)


def test_plus_instead_of_minus():
    found = diagnosed()["tangent_plane.plus_instead_of_minus"]
    assert found == {"approximation": pytest.approx(5 + 2 * 2.1 + 4 * 3.9)}


def test_slopes_swapped():
    found = diagnosed()["tangent_plane.slopes_swapped"]
    assert (found["slope_x"], found["slope_y"]) == (4.0, 2.0)
    assert found["approximation"] == pytest.approx(5 + 4 * 0.1 - 2 * 0.1)


def test_every_diagnosed_mistake_scores_below_the_reference():
    params = family.validate(EXAMPLE)
    reference, specs = family.solve(params), family.answer_specs(params)
    found = family.diagnose(params)
    assert len(found) == 4
    for mistake_id, buggy in found.items():
        assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items()), mistake_id
