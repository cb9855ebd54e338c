"""The non_differentiable family: options, validation, kinds and each mistake on a hand example."""

from __future__ import annotations

import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("non_differentiable")


@pytest.mark.parametrize("function, kinds", [
    ("abs", {"abs"}), ("relu", {"relu"}), ("root", {"cbrt", "cbrt_sq"}), ("step", {"step"}),
])
def test_option_function_picks_the_first_term(function, kinds):
    for seed in range(15):
        params = family.sample(generator(seed), function=function)
        assert params["terms"][0][0] in kinds
        names = family.answer_names(params)
        assert names == (["points", "kinds", "subgradient"] if function == "relu" else ["points", "kinds"])


def test_piecewise_and_mixed_options():
    for seed in range(15):
        pieces = family.sample(generator(seed), function="piecewise")
        assert len(pieces["pieces"]) == len(pieces["breaks"]) + 1
        assert family.solve(pieces)["points"]
        mixed = family.sample(generator(seed), function="mixed")
        assert len(mixed["terms"]) in (2, 3)


@pytest.mark.parametrize("params, fragment", [
    ({"terms": [["abs", 1, 0]], "pieces": ["x", "1"]}, "exactly one of: 'terms' with an optional 'smooth'; 'pieces' and 'breaks'"),
    ({}, "exactly one of"),
    ({"terms": [["sqrt", 1, 0]]}, "'terms' must be one of abs, relu"),
    ({"terms": [["abs", 1]]}, r"\[type, coefficient, at\]"),
    ({"terms": [["abs", 0, 1]]}, "must not be 0"),
    ({"terms": [["abs", 1, 1], ["step", 2, 1]]}, "different points"),
    ({"terms": []}, "1 to 6"),
    ({"terms": [["abs", "1", 0]]}, "'terms' must be a number"),
    ({"terms": [["abs", 1, 0]], "smooth": "exp(x)"}, "'smooth' must be a polynomial"),
    ({"terms": [["abs", 1, 0]], "breaks": [1]}, "'breaks' goes with 'pieces', not with 'terms'"),
    ({"pieces": ["x", "1"]}, "'breaks' is missing"),
    ({"pieces": ["x", "1"], "breaks": [1, 2]}, "must have 1 entries"),
    ({"pieces": ["x", "1", "2"], "breaks": [2, 1]}, "strictly ascending"),
    ({"pieces": ["x"], "breaks": []}, "2 to 5"),
    ({"pieces": ["x**5", "1"], "breaks": [0]}, "degree at most 4"),
    ({"pieces": ["x", "1"], "breaks": [0], "smooth": "x"}, "'smooth' goes with 'terms'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_relu_worked_example_and_its_subgradient_mistake():
    plain = family.validate({"terms": [["relu", 1, 0]]})
    assert family.solve(plain) == {"points": [0.0], "kinds": ["corner"], "subgradient": [0.0, 1.0]}
    assert "non_differentiable.subgradient_by_heart" not in family.diagnose(plain)
    shifted = family.validate({"terms": [["relu", 2, 1]], "smooth": "3*x - 1"})
    assert family.solve(shifted)["subgradient"] == [3.0, 5.0]
    buggy = family.diagnose(shifted)
    assert buggy["non_differentiable.subgradient_by_heart"] == {"subgradient": [0.0, 2.0]}
    assert buggy["non_differentiable.corner_called_cusp"] == {"kinds": ["cusp"]}
    assert buggy["non_differentiable.missed_continuous_point"] == {"points": [], "kinds": []}
    assert "subgradient" not in family.solve(family.validate({"terms": [["relu", -1, 0]]}))


def test_cube_root_and_step_mistakes():
    params = family.validate({"terms": [["step", 2, 1], ["cbrt", 1, -1], ["abs", -1, 0]]})
    assert family.solve(params) == {"points": [-1.0, 0.0, 1.0],
                                    "kinds": ["vertical tangent", "corner", "jump"]}
    buggy = family.diagnose(params)
    assert buggy["non_differentiable.vertical_tangent_called_cusp"] == {
        "kinds": ["cusp", "corner", "jump"]}
    assert buggy["non_differentiable.corner_called_cusp"] == {
        "kinds": ["vertical tangent", "cusp", "jump"]}
    assert buggy["non_differentiable.missed_continuous_point"] == {"points": [1.0], "kinds": ["jump"]}


def test_piecewise_smooth_join_is_not_a_point():
    params = family.validate({"pieces": ["x^2", "2*x - 1", "x + 3"], "breaks": [1, 2]})
    assert params["pieces"] == ["x**2", "2*x - 1", "x + 3"]
    assert family.solve(params) == {"points": [2.0], "kinds": ["jump"]}
    assert family.diagnose(params) == {}


def test_kinds_accept_synonyms_in_order():
    params = family.validate({"terms": [["abs", 1, 0], ["step", 1, 2]]})
    spec = family.answer_specs(params)["kinds"]
    reference = family.solve(params)["kinds"]
    assert answer_matches(spec, ["Kink", "discontinuity"], reference)
    assert answer_matches(spec, ["corner", "jump"], reference)
    assert not answer_matches(spec, ["jump", "corner"], reference)


def test_statement_explains_the_kinds_and_names_answers():
    text = family.statement(family.validate({"terms": [["relu", 1, 0], ]}))
    assert "`points`" in text and "`kinds`" in text and "`subgradient`" in text
    assert r"\max(0,\ x)" in text and "Cube roots" not in text
    steps = family.statement(family.validate({"terms": [["step", 1, 0], ["cbrt", -2, 1]]}))
    assert "H(t) = 1" in steps and "Cube roots are real" in steps and "`subgradient`" not in steps
    pieces = family.statement(family.validate({"pieces": ["x", "1"], "breaks": [0]}))
    assert r"\begin{cases}" in pieces and r"x \ge 0" in pieces
