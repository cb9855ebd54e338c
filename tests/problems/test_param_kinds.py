"""Typed params read by the base class, forms of params, and mistake ids named within their family."""

from __future__ import annotations

import json

import pytest
import sympy as sp
from hypothesis import given, strategies as st

from calcgrade.core.errors import ParamsError
from calcgrade.grader.course.jsonio import dumps
from calcgrade.problems import AnswerSpec, Family, Form, Mistake, ParamSpec, all_families
from calcgrade.problems.checks import (Boolean, CanonicalExpression, Choice, Constant, Expression,
                                       Integer, ListOf, Matrix, Number, Polynomial, Row,
                                       SymmetricMatrix, Variable, Variables, Vector)
from calcgrade.problems.family import remembered, require_bounded
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


# the kinds of structured params ----------------------------------------------------------

class Shapes(Family):
    """A family with one param of each structured kind; 'heads' is read after 'tosses'."""

    name = "shapes"
    params = (
        ParamSpec("X", Matrix(rows=(1, 4), columns=(1, 2)), "data", required=False),
        ParamSpec("y", ListOf(Choice((0, 1)), length="X", unit="labels (one per row of X)"),
                  "labels", required=False),
        ParamSpec("terms", ListOf(Row((Choice(("abs", "relu")), Number(), Number()),
                                      shown="[type, coefficient, at]", unit="triples"),
                                  counts=(1, 3), unit="terms"), "terms", required=False),
        ParamSpec("A", SymmetricMatrix((2, 3)), "a matrix", required=False),
        ParamSpec("p", Polynomial(("x",), degree=(2, 4)), "a polynomial", required=False),
        ParamSpec("g", CanonicalExpression(("x", "y")), "a function", required=False),
        ParamSpec("flag", Boolean(), "a switch", required=False),
        ParamSpec("c", Constant(), "a value", required=False),
        ParamSpec("heads", Integer(1, lambda params: params["tosses"] - 1, after=("tosses",)),
                  "heads", required=False),
        ParamSpec("tosses", Integer(2, 100), "tosses", required=False),
    )


@pytest.mark.parametrize("params, message", [
    ({"X": [[1], [2]], "y": [0, 1, 1]},
     "shapes: param 'y' must be a list of 2 labels (one per row of X), not [0, 1, 1]"),
    ({"X": [[1], [2]], "y": [0, 2]}, "shapes: param 'y' must be one of 0, 1, not 2"),
    ({"X": [[1], [2]], "y": [0, True]}, "shapes: param 'y' must be one of 0, 1, not True"),
    ({"terms": []}, "shapes: param 'terms' must be a list of 1 to 3 terms, not []"),
    ({"terms": [["abs", 1]]}, "shapes: param 'terms' must hold [type, coefficient, at] triples, "
                              "not ['abs', 1]"),
    ({"terms": [["sqrt", 1, 0]]}, "shapes: param 'terms' must be one of abs, relu, not 'sqrt'"),
    ({"terms": [["abs", "1", 0]]}, "shapes: param 'terms' must be a number, not '1'"),
    ({"A": [[1]]}, "shapes: param 'A' must be a 2×2 or 3×3 matrix given as a list of rows, not [[1]]"),
    ({"A": [[1, 0], [0]]}, "shapes: param 'A' must be square: 2 rows of 2 numbers each"),
    ({"A": [[1, 2], [0, 1]]}, "shapes: param 'A' must be symmetric (A[i][j] = A[j][i])"),
    # eigenvalues of [[1, 2], [2, 1]]: 1 ± 2, so -1 is the smallest
    ({"A": [[1, 2], [2, 1]]}, "shapes: param 'A' must be positive definite (its smallest eigenvalue "
                              "is -1); f has no unique minimum otherwise"),
    ({"p": "exp(x)"}, "shapes: param 'p' must be a polynomial in x, not 'exp(x)'"),
    ({"p": "x^5 + 1"}, "shapes: param 'p' must have degree 2 to 4, not 5"),
    ({"p": "3*x"}, "shapes: param 'p' must have degree 2 to 4, not 1"),
    ({"p": 3}, "shapes: param 'p' must be an expression as text, not 3"),
    ({"flag": 1}, "shapes: param 'flag' must be true or false, not 1"),
    ({"c": True}, "shapes: param 'c' must be a number or a constant expression such as \"exp(2)\", "
                  "not True"),
    ({"heads": 5, "tosses": 5}, "shapes: param 'heads' must be between 1 and 4, not 5"),
    ({"heads": 2, "tosses": 2.5}, "shapes: param 'tosses' must be a whole number, not 2.5"),
])
def test_structured_kinds_name_the_param_the_value_and_what_is_allowed(params, message):
    with pytest.raises(ParamsError) as caught:
        Shapes().validate(params)
    assert str(caught.value) == message


def test_structured_kinds_read_good_values():
    read = Shapes().validate({"X": [[1], [2]], "y": [1.0, 0], "terms": [["relu", 2, -1.5]],
                              "A": [[2, 1], [1, 2]], "flag": False, "c": "exp(2)",
                              "heads": 3, "tosses": 4})
    assert read["y"] == [1, 0] and isinstance(read["y"][0], int)   # the choice, not the float
    assert read["terms"] == [["relu", 2, -1.5]]
    assert read["A"] == [[2, 1], [1, 2]]
    assert (read["flag"], read["c"], read["heads"]) == (False, "exp(2)", 3)
    assert list(read) == ["X", "y", "terms", "A", "flag", "c", "heads", "tosses"]  # declared order


@pytest.mark.parametrize("text", ["(x - 1)^2*(x + 2)", "x^4/4 - x^3/3", "2 - x^2", "(2x+1)^3 - 8x^3"])
def test_a_polynomial_is_written_canonically_and_means_the_same(text):
    read = Shapes().validate({"p": text})["p"]
    x = sp.Symbol("x")
    given = sp.sympify(text.replace("^", "**").replace("2x", "2*x").replace("8x", "8*x"))
    assert sp.expand(sp.sympify(read) - given) == 0
    assert Shapes().validate({"p": read})["p"] == read          # canonical text is kept as given
    assert 2 <= sp.degree(sp.sympify(read), x) <= 4


def test_a_canonical_expression_is_a_polynomial_written_out_or_the_parsed_text():
    x, y = sp.symbols("x y")
    poly = Shapes().validate({"g": "(x + y)^2"})["g"]
    assert sp.expand(sp.sympify(poly) - (x + y) ** 2) == 0 and "(" not in poly
    other = Shapes().validate({"g": "exp(x)*y"})["g"]
    assert sp.simplify(sp.sympify(other) - sp.exp(x) * y) == 0


def test_a_dependent_bound_is_skipped_when_its_param_is_missing():
    # 'tosses' missing: whether that is allowed is the family's rule, not the kind's
    assert Shapes().validate({"heads": 7})["heads"] == 7


class Shaped(Family):
    """A family with two forms of params."""

    name = "shaped"
    params = (ParamSpec("z", Number(), "alone", required=False),
              ParamSpec("x", Number(), "with y", required=False),
              ParamSpec("y", Number(), "with x", required=False),
              ParamSpec("scale", Number(), "optional with x", required=False))
    forms = (Form("z", ("z",), answers=("s",)),
             Form("xy", ("x", "y", "scale"), optional=("scale",), answers=("t", "u")))
    answers = {"s": AnswerSpec("scalar", "s"), "t": AnswerSpec("scalar", "t"), "u": AnswerSpec("scalar", "u")}


@pytest.mark.parametrize("params, message", [
    ({}, "shaped: give exactly one of: 'z'; 'x' and 'y' with an optional 'scale'"),
    ({"z": 1, "x": 2, "y": 3}, "shaped: give exactly one of: 'z'; 'x' and 'y' with an optional 'scale'"),
    ({"z": 1, "scale": 2}, "shaped: param 'scale' goes with 'x', not with 'z'"),
    ({"x": 1}, "shaped: param 'y' is missing (with 'x')"),
])
def test_forms_are_checked_before_the_kinds(params, message):
    with pytest.raises(ParamsError) as caught:
        Shaped().validate(params)
    assert str(caught.value) == message


def test_a_form_chooses_the_answers():
    family = Shaped()
    assert family.answer_names(family.validate({"z": 1})) == ["s"]
    assert family.answer_names(family.validate({"x": 1, "y": 2})) == ["t", "u"]
    assert family.form_of({"x": 1, "y": 2, "scale": 3}).name == "xy"


def test_remembered_answers_are_computed_once_and_copied():
    calls = []

    class Solver:
        @remembered
        def solve(self, params):
            calls.append(params)
            return {"iterates": [[params["a"], 0.0]], "value": params["a"]}

    first = Solver().solve({"a": 1.5})
    first["iterates"][0][0] = 99.0
    assert Solver().solve({"a": 1.5}) == {"iterates": [[1.5, 0.0]], "value": 1.5}
    assert Solver().solve({"a": 2}) == {"iterates": [[2, 0.0]], "value": 2}
    assert len(calls) == 2


@pytest.mark.parametrize("points, bad", [([[1.0, -2.0]], False), ([[1.0], [1e7]], True),
                                         ([[float("nan")]], True), ([[float("inf")]], True)])
def test_require_bounded(points, bad):
    if bad:
        with pytest.raises(ParamsError, match="choose a smaller lr"):
            require_bounded("f", points, 0.1, 1e6)
    else:
        require_bounded("f", points, 0.1, 1e6)


def test_a_param_declares_a_kind_not_a_text():
    with pytest.raises(TypeError, match="must be a Kind"):
        ParamSpec("f", "expression", "a function")
