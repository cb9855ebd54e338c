"""The partial_derivatives family: options, validation, statement and its mistakes."""

from __future__ import annotations

import json

import pytest

from calcgrade.grader.cli import main
from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("partial_derivatives")


def test_dims_option_fixes_the_variables_and_answers():
    two = family.sample(generator(3), dims=2)
    three = family.sample(generator(3), dims=3)
    assert two["vars"] == ["x", "y"] and three["vars"] == ["x", "y", "z"]
    assert family.answer_names(two) == ["f_x", "f_y", "gradient"]
    assert family.answer_names(three) == ["f_x", "f_y", "f_z", "gradient"]
    assert set(family.solve(three)) == {"f_x", "f_y", "f_z", "gradient"}


@pytest.mark.parametrize("options", [{"dims": 4}, {"size": 2}])
def test_bad_options_are_named(options):
    with pytest.raises(OptionsError):
        family.sample(generator(0), **options)


@pytest.mark.parametrize("params, fragment", [
    ({"f": "x*y", "vars": ["x"], "point": [0]}, "'vars' must name 2 or 3 variables"),
    ({"f": "u*v", "vars": ["u", "v"], "point": [0, 0]}, "'vars' must be \\['x', 'y'\\]"),
    ({"f": "x*q", "vars": ["x", "y"], "point": [0, 0]}, "param 'f': unknown name 'q'"),
    ({"f": 3, "vars": ["x", "y"], "point": [0, 0]}, "'f' must be an expression as text"),
    ({"f": "x*y", "vars": ["x", "y"], "point": [1]}, "'point' must have 2 entries"),
    ({"f": "x*y", "vars": ["x", "y"]}, "'point' is missing"),
    ({"f": "log(x) + y", "vars": ["x", "y"], "point": [0, 1]}, "not defined at point"),
    ({"f": "sqrt(x) + y", "vars": ["x", "y"], "point": [0, 1]}, "not defined at point"),
    ({"f": "x*y", "vars": ["x", "y"], "point": [0, 0], "at": 1}, "unknown param 'at'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_worked_example_through_the_command_line(capsys):
    args = ["solve", "partial_derivatives", "--params",
            json.dumps({"f": "x^2*y + 3*x*y^2", "vars": ["x", "y"], "point": [1, 2]})]
    assert main(args) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    specs = family.answer_specs(family.validate({"f": "x*y", "vars": ["x", "y"], "point": [0, 0]}))
    assert answer_matches(specs["f_x"], "2*x*y + 3*y^2", answers["f_x"])
    assert answer_matches(specs["f_y"], "x^2 + 6*x*y", answers["f_y"])
    assert answers["gradient"] == [16.0, 13.0]


def test_statement_names_every_answer_and_the_convention():
    params = family.validate({"f": "x*y*z + exp(z)", "vars": ["x", "y", "z"], "point": [1, -2, 0]})
    text = family.statement(params)
    for name in ("f_x", "f_y", "f_z", "gradient"):
        assert f"`{name}`" in text
    assert "held constant" in text and "(x, y, z) = (1, -2, 0)" in text and "e^{z}" in text


def diagnosed(f, point, variables=("x", "y")):
    return family.diagnose(family.validate({"f": f, "vars": list(variables), "point": point}))


def test_other_variables_differentiated():
    found = diagnosed("x*y", [2, 3])["partial_derivatives.other_variables_differentiated"]
    spec = family.answer_specs(family.validate({"f": "x*y", "vars": ["x", "y"], "point": [2, 3]}))["f_x"]
    assert answer_matches(spec, found["f_x"], "y + x") and answer_matches(spec, found["f_y"], "x + y")
    assert found["gradient"] == [5.0, 5.0]


def test_missing_chain_factor():
    found = diagnosed("exp(x*y) + x^2", [1, 2])["partial_derivatives.missing_chain_factor"]
    spec = family.answer_specs(family.validate({"f": "x*y", "vars": ["x", "y"], "point": [0, 0]}))["f_x"]
    assert answer_matches(spec, found["f_x"], "exp(x*y) + 2*x")
    assert answer_matches(spec, found["f_y"], "exp(x*y)")
    assert found["gradient"] == pytest.approx([2.718281828459045**2 + 2, 2.718281828459045**2])
    assert "partial_derivatives.missing_chain_factor" not in diagnosed("x^2*y + y^3", [1, 2])


def test_gradient_swapped():
    found = diagnosed("x^2*y", [3, 2])
    assert found["partial_derivatives.gradient_swapped"] == {"gradient": [9.0, 12.0]}
    three = diagnosed("x + 2*y + 3*z", [0, 0, 0], ("x", "y", "z"))
    assert three["partial_derivatives.gradient_swapped"] == {"gradient": [3.0, 2.0, 1.0]}
    assert "partial_derivatives.gradient_swapped" not in diagnosed("x + y", [0, 0])


def test_sampler_avoids_variants_where_a_mistake_looks_right():
    for seed in range(60):
        params = family.sample(generator(seed))
        reference, specs = family.solve(params), family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items()), mistake_id


def test_the_format_example_is_never_an_answer():
    params = family.validate({"f": "x^2*y + exp(x)", "vars": ["x", "y"], "point": [0, 1]})
    text = family.statement(params)
    assert '"2*x*y + exp(x)"' not in text and '"3*y**2 - sin(x)"' in text
