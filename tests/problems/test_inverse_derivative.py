"""The inverse_derivative family: options, validation, statement and its mistakes."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from calcgrade.grader.cli import main
from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.inverse_derivative import KINDS
from calcgrade.problems.variant import generator

family = get_family("inverse_derivative")


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_can_be_asked_for(kind):
    for seed in range(10):
        params = family.sample(generator(seed), kind=kind)
        answers = family.solve(params)
        assert math.isfinite(answers["derivative"])
        if kind == "square":
            assert params["domain"] in ("positive", "negative")
        if kind == "log":
            assert "log" in params["f"]
        # x is a nice number: a whole number or a half (or e^k for logs)
        if kind != "log":
            assert (2 * answers["x"]).is_integer() or (3 * answers["x"]).is_integer(), params


def test_default_mix_uses_every_kind():
    kinds = Counter()
    for seed in range(100):
        f = family.sample(generator(seed))["f"]
        kinds["exp" if "exp" in f else "log" if "log" in f else "root" if "sqrt" in f or "1/3" in f
              else "polynomial"] += 1
    assert all(kinds[k] >= 10 for k in ("exp", "log", "root", "polynomial")), kinds


def test_bad_option_is_named():
    with pytest.raises(OptionsError, match="kind"):
        family.sample(generator(0), kind="trig")


@pytest.mark.parametrize("params, fragment", [
    ({"f": "x^2", "y": 4}, "more than once"),
    ({"f": "x^2", "y": 4, "domain": "left"}, "'domain' must be one of"),
    ({"f": "exp(x)", "y": -1}, "not a value of f"),
    ({"f": "x^3", "y": 0}, "not differentiable"),
    ({"f": "exp(x)", "y": "exp(q)"}, "'y' must be a number or a constant expression"),
    ({"f": "exp(x)", "y": [2]}, "'y' must be a number or a constant expression"),
    ({"f": "exp(x)", "y": True}, "'y' must be a number or a constant expression"),
    ({"f": "exp(x)"}, "'y' is missing"),
    ({"f": "exp(y)", "y": 2}, "param 'f': unknown name 'y'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_worked_examples_through_the_command_line(capsys):
    assert main(["solve", "inverse_derivative", "--params", json.dumps({"f": "e^x", "y": "e^2"})]) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    assert answers["x"] == pytest.approx(2) and answers["derivative"] == pytest.approx(math.exp(-2))
    assert main(["solve", "inverse_derivative", "--params",
                 json.dumps({"f": "x^2", "y": 9, "domain": "positive"})]) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    assert answers == {"x": 3.0, "derivative": pytest.approx(1 / 6)}


def test_statement_states_the_rule_domain_and_answer_names():
    text = family.statement(family.validate({"f": "x^2", "y": 9, "domain": "positive"}))
    assert r"\left(f^{-1}\right)'(y) = \frac{1}{f'\left(f^{-1}(y)\right)}" in text
    assert r"\text{for } x > 0" in text and "`x`" in text and "`derivative`" in text
    other = family.statement(family.validate({"f": "exp(x)", "y": "exp(2)"}))
    assert "y = e^{2}" in other and "natural logarithm" in other


def diagnosed(params):
    return family.diagnose(family.validate(params))


def test_derivative_at_y():
    found = diagnosed({"f": "x^3 + x", "y": 2})
    assert found["inverse_derivative.derivative_at_y"] == {"derivative": 13.0}
    assert "inverse_derivative.derivative_at_y" not in diagnosed({"f": "2*sqrt(x) - 3", "y": -1})


def test_reciprocal_at_y():
    found = diagnosed({"f": "x^3 + x", "y": 2})
    assert found["inverse_derivative.reciprocal_at_y"] == {"derivative": pytest.approx(1 / 13)}


def test_no_reciprocal():
    found = diagnosed({"f": "x^3 + x", "y": 2})
    assert found["inverse_derivative.no_reciprocal"] == {"derivative": 4.0}
    exp_case = diagnosed({"f": "exp(x)", "y": "exp(2)"})
    assert exp_case["inverse_derivative.no_reciprocal"]["derivative"] == pytest.approx(math.exp(2))


def test_sampler_avoids_variants_where_a_mistake_looks_right():
    for seed in range(100):
        params = family.sample(generator(seed))
        reference, specs = family.solve(params), family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            assert not answer_matches(specs["derivative"], buggy["derivative"], reference["derivative"])
