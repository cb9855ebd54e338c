"""The concavity family: options, validation, statement and its mistakes."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from calcgrade.grader.cli import main
from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.concavity import KINDS
from calcgrade.problems.variant import generator

family = get_family("concavity")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_gives_nice_inflection_points(kind):
    for seed in range(15):
        params = family.sample(generator(seed), kind=kind)
        answers = family.solve(params)
        points = answers["inflection_points"]
        assert all(float(p).is_integer() and abs(p) <= 10 for p in points), params
        if kind == "cubic":
            assert len(points) == 1


def test_quartics_include_double_roots_and_no_roots():
    counts = Counter(len(family.solve(family.sample(generator(seed), kind="quartic"))["inflection_points"])
                     for seed in range(60))
    assert counts[0] >= 5 and counts[2] >= 20, counts
    diagnosed = [family.diagnose(family.sample(generator(seed), kind="quartic")) for seed in range(60)]
    assert sum("concavity.double_root_counted" in d for d in diagnosed) >= 5


def test_bad_option_is_named():
    with pytest.raises(OptionsError, match="kind"):
        family.sample(generator(0), kind="quintic")


@pytest.mark.parametrize("params, fragment", [
    ({"f": "3x + 1"}, "linear"),
    ({"f": "5"}, "must depend on x"),
    ({"f": "log(x)"}, "must be defined for every x"),
    ({"f": "x^3 + q"}, "param 'f': unknown name 'q'"),
    ({"f": 3}, "'f' must be an expression as text"),
    ({}, "'f' is missing"),
    ({"f": "x^3", "at": 1}, "unknown param 'at'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_worked_example_through_the_command_line(capsys):
    assert main(["solve", "concavity", "--params", json.dumps({"f": "x^4 - 6x^2 + 3"})]) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    assert answers["inflection_points"] == [-1.0, 1.0]
    assert answers["concavity"] == ["concave up", "concave down", "concave up"]
    spec = family.answers["second_derivative"]
    assert answer_matches(spec, "12x^2 - 12", answers["second_derivative"])


def test_labels_accept_synonyms_per_entry():
    spec = family.answers["concavity"]
    assert answer_matches(spec, ["Convex", "concave", "UP"], ["concave up", "concave down", "concave up"])
    assert not answer_matches(spec, ["concave up", "concave up"], ["concave up", "concave down"])
    assert not answer_matches(spec, ["concave up"], ["concave up", "concave down"])


def test_statement_states_the_convention_and_answer_names():
    text = family.statement(family.validate({"f": "x^4 - 6x^2 + 3"}))
    for name in ("second_derivative", "inflection_points", "concavity"):
        assert f"`{name}`" in text
    assert "changes sign" in text and "left to right" in text and '"concave up"' in text
    assert "order = 2" not in text  # the note on the derivative family is a template comment


def diagnosed(f):
    return family.diagnose(family.validate({"f": f}))


def test_critical_points_as_inflection():
    found = diagnosed("x^3 - 3x^2 + 2")["concavity.critical_points_as_inflection"]
    assert found == {"inflection_points": [0.0, 2.0]}
    assert "concavity.critical_points_as_inflection" not in diagnosed("x^3 + x")


def test_sign_flipped():
    found = diagnosed("x^4 - 6x^2")["concavity.sign_flipped"]
    assert found == {"concavity": ["concave down", "concave up", "concave down"]}


def test_double_root_counted():
    found = diagnosed("x^4 - 4x^3 + 6x^2 + x")["concavity.double_root_counted"]
    assert found == {"inflection_points": [1.0], "concavity": ["concave up", "concave up"]}
    assert "concavity.double_root_counted" not in diagnosed("x^4 - 6x^2")


def test_every_diagnosed_mistake_scores_below_the_reference():
    for f in ("x^3 - 3x^2 + 2", "x^4 - 4x^3 + 6x^2 + x", "x*exp(x)"):
        params = family.validate({"f": f})
        reference, specs = family.solve(params), family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items()), mistake_id


def test_the_format_example_is_never_the_answer():
    text = family.statement(family.validate({"f": "x^4 - 3x^2"}))  # f'' = 12x^2 - 6
    assert '"12*x**2 - 6"' not in text and '"6*x + 2"' in text
