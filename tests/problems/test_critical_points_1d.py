"""The critical_points_1d family: options, validation, labels and each mistake on a hand example."""

from __future__ import annotations

import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import hessian as hs

family = get_family("critical_points_1d")


@pytest.mark.parametrize("degree", [3, 4, 5])
def test_option_degree(degree):
    for seed in range(15):
        params = family.sample(generator(seed), degree=degree)
        poly = hs.poly_from_text(params["f"], ["x"])
        assert max(e for (e,) in poly) == degree
        answers = family.solve(params)
        assert answers["points"] == sorted(answers["points"])
        assert all(2 * p == int(2 * p) for p in answers["points"])
        assert len(answers["labels"]) == len(answers["points"])


def test_instructor_input_is_canonicalized():
    params = family.validate({"f": "x^4/4 - x^3/3"})
    assert params == {"f": "0.25*x**4 - 1/3*x**3"}
    assert family.validate(params) == params


@pytest.mark.parametrize("params, fragment", [
    ({"f": "exp(x)"}, "must be a polynomial in x"),
    ({"f": "x**3/3 - 2*x"}, "not a rational number"),
    ({"f": "x**3/3 + x"}, "no stationary points"),
    ({"f": "3*x + 1"}, "degree 2 to 8"),
    ({"f": "x**9"}, "degree 2 to 8"),
    ({"f": "y**2"}, "'f'"),
    ({"f": 3}, "'f' must be an expression"),
    ({}, "'f' is missing"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_labels_accept_synonyms_and_need_the_order():
    params = family.validate({"f": "x^3 - 3*x"})
    spec = family.answer_specs(params)["labels"]
    reference = family.solve(params)["labels"]
    assert reference == ["local maximum", "local minimum"]
    assert answer_matches(spec, ["Max", "min"], reference)
    assert answer_matches(spec, ["maximum", "local_minimum"], reference)
    assert not answer_matches(spec, ["min", "max"], reference)
    assert not answer_matches(spec, ["max"], reference)
    assert answer_matches(spec, ["inflection"], ["neither"])


def test_no_higher_order_test_mistake():
    params = family.validate({"f": "x^5/5 - x^4/4"})  # f′ = x³(x − 1)
    assert family.solve(params) == {"points": [0.0, 1.0], "labels": ["local maximum", "local minimum"]}
    buggy = family.diagnose(params)
    assert buggy["critical_points_1d.no_higher_order_test"] == {"labels": ["neither", "local minimum"]}
    assert buggy["critical_points_1d.missing_repeated_root"] == {"points": [1.0], "labels": ["local minimum"]}
    assert buggy["critical_points_1d.min_max_swapped"] == {"labels": ["local minimum", "local maximum"]}


def test_double_root_mistakes():
    params = family.validate({"f": "x^4/4 - x^3/3"})  # f′ = x²(x − 1)
    buggy = family.diagnose(params)
    assert "critical_points_1d.no_higher_order_test" not in buggy  # x = 0 really is 'neither'
    assert buggy["critical_points_1d.missing_repeated_root"] == {"points": [1.0], "labels": ["local minimum"]}


def test_only_inflection_points_have_no_swap_mistake():
    buggy = family.diagnose(family.validate({"f": "x^3 + 2"}))
    assert buggy == {"critical_points_1d.missing_repeated_root": {"points": [], "labels": []}}


def test_statement_states_the_test_and_names_answers():
    text = family.statement(family.validate({"f": "x^3 - 3*x"}))
    assert "`points`" in text and "`labels`" in text and "higher-order test" in text
    assert "x^{3} - 3 x" in text
