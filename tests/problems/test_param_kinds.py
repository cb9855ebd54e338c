"""Typed params read by the base class, and mistake ids named within their family."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from calcgrade.core.errors import ParamsError
from calcgrade.grader.jsonio import dumps
from calcgrade.problems import Family, Mistake, ParamSpec, all_families
from calcgrade.problems.checks import (Choice, Expression, Integer, Matrix, Number, Variables,
                                       Variable, Vector)
from calcgrade.problems.variant import generator


class Toy(Family):
    """A family declared with every kind, the dependent ones before what they refer to."""

    name = "toy"
    params = (
        ParamSpec("f", Expression("vars"), "a function of the variables"),
        ParamSpec("vars", Variables((1, 2)), "the variables"),
        ParamSpec("x0", Vector(length="vars", scalar_ok=True), "a point"),
        ParamSpec("lr", Number(positive=True), "a rate"),
        ParamSpec("steps", Integer(1, 5), "a count"),
        ParamSpec("mode", Choice(("a", "b")), "a choice", required=False),
        ParamSpec("X", Matrix(rows=(1, 3), columns=(1, 2)), "data", required=False),
        ParamSpec("w", Vector(length=lambda params: len(params["X"][0])), "weights", required=False),
        ParamSpec("var", Variable(), "a name", required=False),
    )
    catalog = (Mistake("slip", "a slip", lambda params: None),
               Mistake("toy.named_in_full", "already named in full", lambda params: None))


GOOD = {"f": "x*y", "vars": ["x", "y"], "x0": [1, 2.5], "lr": 0.5, "steps": 3}


def test_kinds_read_and_convert_in_the_declared_order():
    read = Toy().validate({"steps": 3, "lr": 0.5, "x0": [1, 2.5], "vars": ["x", "y"], "f": "x*y"})
    assert read == GOOD
    assert list(read) == ["f", "vars", "x0", "lr", "steps"]   # declared order, whatever was given
    assert Toy().validate({**GOOD, "vars": "x", "f": "x^2", "x0": 3})["x0"] == [3]


@pytest.mark.parametrize("change, message", [
    ({"lr": -1}, "toy: param 'lr' must be positive, not -1"),
    ({"lr": "0.1"}, "toy: param 'lr' must be a number, not '0.1'"),
    ({"steps": 6}, "toy: param 'steps' must be between 1 and 5, not 6"),
    ({"steps": 2.0}, "toy: param 'steps' must be a whole number, not 2.0"),
    ({"x0": [1]}, "toy: param 'x0' must have 2 entries (one per variable), not 1"),
    ({"mode": "c"}, "toy: param 'mode' must be one of a, b, not 'c'"),
    ({"vars": ["x", "x"]}, "toy: param 'vars' names a variable twice: ['x', 'x']"),
    ({"var": "q"}, "toy: param 'var' must be one of x, y, z, t, u, v, w, not 'q'"),
    ({"X": [[1, 2], [3]]}, "toy: every row of 'X' must have 2 entries, not 1"),
    ({"X": [[1, 2]], "w": [1]}, "toy: param 'w' must have 2 entries (one per variable), not 1"),
])
def test_kinds_give_the_messages_of_the_readers(change, message):
    with pytest.raises(ParamsError) as caught:
        Toy().validate({**GOOD, **change})
    assert str(caught.value) == message


def test_a_param_is_read_after_the_one_its_kind_refers_to():
    # f is declared first but parsed in the variables read from 'vars'
    with pytest.raises(ParamsError, match="param 'f'"):
        Toy().validate({**GOOD, "vars": ["x"], "x0": [1]})          # f = x*y has a y
    with pytest.raises(ParamsError, match="param 'vars'"):
        Toy().validate({**GOOD, "vars": ["x", 3]})                   # vars first, though f is fine


def test_an_expression_keeps_its_text():
    assert Toy().validate({**GOOD, "f": "x^2 + y"})["f"] == "x^2 + y"


@given(st.lists(st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False)),
                min_size=1, max_size=4))
def test_a_vector_of_finite_numbers_reads_as_itself(values):
    assert Vector().read("toy", {"v": values}, "v") == values


def test_mistakes_are_named_within_the_family():
    assert [m.id for m in Toy().mistakes()] == ["toy.slip", "toy.named_in_full"]


@pytest.mark.parametrize("family", all_families(), ids=lambda f: f.name)
def test_every_family_names_its_mistakes_once(family):
    for mistake in family.mistakes():
        assert mistake.id.startswith(family.name + ".")
        assert not mistake.id[len(family.name) + 1:].startswith(family.name + ".")
    assert len({m.id for m in family.mistakes()}) == len(family.mistakes())


@pytest.mark.parametrize("family", all_families(), ids=lambda f: f.name)
def test_validating_sampled_params_keeps_their_order(family):
    for seed in range(20):
        params = family.sample(generator(seed))
        assert list(family.validate(json.loads(dumps(params)))) == list(params)


@pytest.mark.parametrize("family", all_families(), ids=lambda f: f.name)
def test_every_param_type_is_shown_as_text(family):
    for spec in family.describe()["params"]:
        assert isinstance(spec["type"], str) and spec["type"]
