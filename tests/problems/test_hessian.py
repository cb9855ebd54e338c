"""The hessian family: sampling options, validation, statement and its mistakes."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest
import sympy

from calcgrade.grader.cli import main
from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import hessian as hs
from calcgrade.core.parse import parse_expression
from calcgrade.core.numeric import compile_numeric
from ..sympy_trees import to_sympy

family = get_family("hessian")
LABELS = ("minimum", "maximum", "saddle", "inconclusive")


def sympy_at_point(params):
    """Gradient and Hessian of f at the point, exactly, by sympy."""
    symbols = [sympy.Symbol(v, real=True) for v in params["vars"]]
    f = to_sympy(parse_expression(params["f"], params["vars"]))
    at = dict(zip(symbols, [sympy.Rational(repr(p)) for p in params["point"]]))
    return [sympy.diff(f, s).subs(at) for s in symbols], sympy.hessian(f, symbols).subs(at)


def eigen_signs(hessian: sympy.Matrix) -> Counter:
    """How many eigenvalues are positive, negative and zero, exactly (sympy, not numpy)."""
    signs = Counter()
    for value, multiplicity in hessian.eigenvals().items():
        numeric = complex(sympy.N(value, 30))
        sign = 0 if value == 0 else (1 if numeric.real > 0 else -1)
        signs[sign] += multiplicity
    return signs


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("label", LABELS)
def test_each_classification_is_sampled_at_a_critical_point_when_asked(label, dims):
    for seed in range(12):
        params = family.sample(generator(seed), classification=label, dims=dims)
        assert len(params["vars"]) == len(params["point"]) == dims
        gradient, hessian = sympy_at_point(params)
        assert all(g == 0 for g in gradient), params
        signs = eigen_signs(hessian)
        if label == "saddle":
            assert signs[1] and signs[-1]
        elif label == "inconclusive":
            assert signs[0] and not (signs[1] and signs[-1])
        else:
            assert signs[1 if label == "minimum" else -1] == dims
        assert family.solve(params)["classification"] == label


def test_sampled_numbers_are_nice():
    for seed in range(100):
        params = family.sample(generator(seed))
        assert all(isinstance(p, int) and -2 <= p <= 2 for p in params["point"])
        poly = hs.poly_from_expr(parse_expression(params["f"], params["vars"]), params["vars"])
        assert poly and all(isinstance(c, int) for c in poly.values())
        hessian = family.solve(params)["hessian"]
        assert all(float(h).is_integer() and abs(h) <= 16 for row in hessian for h in row)


def test_default_mix_has_both_sizes_and_every_classification():
    counts = Counter()
    for seed in range(200):
        params = family.sample(generator(seed))
        counts[len(params["vars"])] += 1
        counts[family.solve(params)["classification"]] += 1
    assert counts[2] >= 60 and counts[3] >= 60
    assert all(counts[label] >= 25 for label in LABELS), counts


def test_dims_option_fixes_the_variables():
    assert family.sample(generator(3), dims=2)["vars"] == ["x", "y"]
    assert family.sample(generator(3), dims=3)["vars"] == ["x", "y", "z"]


def test_saddles_with_a_zero_eigenvalue_are_sampled_in_3d():
    found = 0
    for seed in range(40):
        answers = family.solve(family.sample(generator(seed), classification="saddle", dims=3))
        found += hs.has_zero_eigenvalue(answers["eigenvalues"])
    assert 5 <= found < 40


def test_inconclusive_points_are_genuinely_undecided_by_the_second_derivatives():
    """Along the zero-eigenvalue direction f changes, but only at third or fourth order."""
    for seed in range(40):
        params = family.sample(generator(seed), classification="inconclusive")
        hessian = np.array(family.solve(params)["hessian"])
        values, vectors = np.linalg.eigh(hessian)
        direction = vectors[:, int(np.argmin(np.abs(values)))]
        f = compile_numeric(parse_expression(params["f"], params["vars"]))
        p = np.array(params["point"], dtype=float)

        def g(s):
            return float(f(dict(zip(params["vars"], p + s * direction)))) - float(f(dict(zip(params["vars"], p))))

        assert abs(g(0.5)) + abs(g(-0.5)) > 1e-3, params
        assert abs(g(1e-3)) < 1e-3**2 * 1e-2, params


@pytest.mark.parametrize("options", [{"classification": "minimal"}, {"dims": 4}, {"size": 2}])
def test_bad_options_are_named(options):
    with pytest.raises(OptionsError):
        family.sample(generator(0), **options)


@pytest.mark.parametrize("params, fragment", [
    ({"f": "x^2", "vars": ["x"], "point": [0]}, "'vars' must name 2 or 3 variables"),
    ({"f": "x^2", "vars": ["x", "x"], "point": [0, 0]}, "names a variable twice"),
    ({"f": "x^2 + q", "vars": ["x", "y"], "point": [0, 0]}, "param 'f': unknown name 'q'"),
    ({"f": 3, "vars": ["x", "y"], "point": [0, 0]}, "'f' must be an expression as text"),
    ({"f": "x*y", "vars": ["x", "y"], "point": [1]}, "'point' must have 2 entries"),
    ({"f": "x*y", "vars": ["x", "y"], "point": [1, "2"]}, "'point' must be a number"),
    ({"f": "x*y", "vars": ["x", "y"]}, "'point' is missing"),
    ({"f": "log(x) + y", "vars": ["x", "y"], "point": [0, 1]}, "not defined at point"),
    ({"f": "sqrt(x) + y^2", "vars": ["x", "y"], "point": [0, 1]}, "not defined at point"),
    ({"f": "x*y", "vars": ["x", "y"], "point": [0, 0], "x0": [1, 1]}, "unknown param 'x0'"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_explicit_params_are_normalised_once():
    params = family.validate({"f": "2x^2 + 3y^2 - x*y", "vars": ["x", "y"], "point": [0, 0]})
    assert params["f"] == "2*x**2 - x*y + 3*y**2"
    assert family.validate(params) == params
    other = family.validate({"f": "e^(x*y) + x^3", "vars": ["x", "y"], "point": [1, 0.5]})
    assert other["f"] == "exp(x*y) + x**3"
    assert family.validate(other) == other


def test_a_point_that_is_not_critical_is_not_classified():
    # f = x³ + y²: ∇f = (3x², 2y) = (3, 0) at (1, 0), so the test does not apply there
    # even though H = [[6, 0], [0, 2]] is positive definite.
    params = family.validate({"f": "x^3 + y^2", "vars": ["x", "y"], "point": [1, 0]})
    answers = family.solve(params)
    assert answers["gradient"] == [3.0, 0.0]
    assert answers["hessian"] == [[6.0, 0.0], [0.0, 2.0]]
    assert answers["eigenvalues"] == [2.0, 6.0]
    assert answers["classification"] == "not a critical point"
    critical = family.validate({"f": "x^3 + y^2", "vars": ["x", "y"], "point": [0, 0]})
    assert family.solve(critical)["classification"] == "inconclusive"


def test_a_transcendental_f_is_critical_up_to_rounding():
    # sin(x) + y²: ∇f = (cos x, 2y) vanishes at (π/2, 0); the float π/2 leaves cos x ≈ 6e-17.
    params = family.validate({"f": "sin(x) + y^2", "vars": ["x", "y"], "point": [1.5707963267948966, 0]})
    assert family.solve(params)["classification"] == "saddle"
    moved = family.validate({"f": "sin(x) + y^2", "vars": ["x", "y"], "point": [1.5, 0]})
    assert family.solve(moved)["classification"] == "not a critical point"


def test_the_non_critical_label_and_its_rule_appear_only_where_the_point_is_not_critical():
    params = family.validate({"f": "x^3 + y^2", "vars": ["x", "y"], "point": [1, 0]})
    text = family.statement(params)
    assert '`"not a critical point"`' in text and r"\nabla f \ne 0" in text
    spec = family.answer_specs(params)["classification"]
    for written in ("not a critical point", "Not critical", "non-critical", "not stationary"):
        assert answer_matches(spec, written, "not a critical point"), written
    assert not answer_matches(spec, "minimum", "not a critical point")
    for seed in range(60):
        sampled = family.sample(generator(seed))
        assert "not a critical point" not in family.statement(sampled)
        assert family.answer_specs(sampled)["classification"].labels == LABELS
        assert family.solve(sampled)["classification"] in LABELS


def test_classification_mistakes_do_not_arise_where_the_point_is_not_critical():
    # ∇f = (1, 0) at the origin; H = [[6, 1], [1, −2]] would make a saddle.
    params = family.validate({"f": "3x^2 - y^2 + x*y + x", "vars": ["x", "y"], "point": [0, 0]})
    diagnosis = family.diagnose(params)
    for name in ("classified_by_trace", "saddle_with_zero_called_inconclusive", "classified_by_determinant"):
        assert f"hessian.{name}" not in diagnosis
    assert diagnosis["hessian.missing_mixed_partials"] == {
        "hessian": [[6.0, 0.0], [0.0, -2.0]], "eigenvalues": [-2.0, 6.0],
        "classification": "not a critical point"}


def test_worked_examples_through_the_command_line(capsys):
    args = ["solve", "hessian", "--params",
            json.dumps({"f": "2x^2 + 3y^2 - x*y", "vars": ["x", "y"], "point": [0, 0]})]
    assert main(args) == 0
    answers = json.loads(capsys.readouterr().out)["answers"]
    assert answers["hessian"] == [[4.0, -1.0], [-1.0, 6.0]]
    assert answers["eigenvalues"] == pytest.approx([5 - 2**0.5, 5 + 2**0.5])
    assert answers["classification"] == "minimum"
    saddle = family.validate({"f": "2x^2 - 2y^2", "vars": ["x", "y"], "point": [0, 0]})
    assert family.solve(saddle)["classification"] == "saddle"


def test_bad_params_on_the_command_line_exit_2(capsys):
    args = ["solve", "hessian", "--params", json.dumps({"f": "x*y", "vars": ["x", "y"], "point": [1]})]
    assert main(args) == 2
    assert "'point' must have 2 entries" in capsys.readouterr().err


@pytest.mark.parametrize("text, label", [
    ("Minimum", "minimum"), ("local min", "minimum"), ("min", "minimum"), ("Local Maximum", "maximum"),
    ("max", "maximum"), ("saddle point", "saddle"), ("Saddle", "saddle"), ("none", "inconclusive"),
    ("undetermined", "inconclusive"), ("degenerate", "inconclusive"), ("inconclusive", "inconclusive"),
])
def test_label_synonyms_are_accepted(text, label):
    spec = family.answer_specs(family.sample(generator(0)))["classification"]
    assert answer_matches(spec, text, label)
    assert not answer_matches(spec, text, "saddle" if label != "saddle" else "minimum")


def test_statement_states_the_function_point_rule_and_answer_names():
    params = family.validate({"f": "2x^2 + 3y^2 - x*y", "vars": ["x", "y"], "point": [1, -2]})
    text = family.statement(params)
    assert "2 x^{2} - x y + 3 y^{2}" in text and "(x, y) = (1, -2)" in text
    for name in ("gradient", "hessian", "eigenvalues", "classification"):
        assert f"`{name}`" in text
    assert "ascending" in text and "even when another eigenvalue is zero" in text
    assert "some eigenvalue is zero, the test is **inconclusive**" in text
    other = family.validate({"f": "exp(x*y) + z", "vars": ["x", "y", "z"], "point": [0, 0, 0]})
    assert "e^{x y}" in family.statement(other)


def diagnosed(f, variables, point):
    return family.diagnose(family.validate({"f": f, "vars": variables, "point": point}))


def test_classified_by_trace():
    found = diagnosed("3x^2 - y^2", ["x", "y"], [0, 0])
    assert found["hessian.classified_by_trace"] == {"classification": "minimum"}
    assert "hessian.classified_by_trace" not in diagnosed("2x^2 + 3y^2 - x*y", ["x", "y"], [0, 0])


def test_saddle_with_zero_called_inconclusive():
    found = diagnosed("x^2 - y^2 + z^3", ["x", "y", "z"], [0, 0, 0])
    assert found["hessian.saddle_with_zero_called_inconclusive"] == {"classification": "inconclusive"}
    assert "hessian.saddle_with_zero_called_inconclusive" not in diagnosed("x^2 - y^2", ["x", "y"], [0, 0])


def test_classified_by_determinant():
    found = diagnosed("-x^2 - y^2 + x*y", ["x", "y"], [0, 0])
    assert found["hessian.classified_by_determinant"] == {"classification": "minimum"}
    assert "hessian.classified_by_determinant" not in diagnosed("x^2 + y^2", ["x", "y"], [0, 0])
    assert "hessian.classified_by_determinant" not in diagnosed("-x^2 - y^2 + z^2", ["x", "y", "z"], [0, 0, 0])


def test_missing_mixed_partials():
    found = diagnosed("x^2 + y^2 + 3x*y", ["x", "y"], [0, 0])
    assert found["hessian.missing_mixed_partials"] == {
        "hessian": [[2.0, 0.0], [0.0, 2.0]], "eigenvalues": [2.0, 2.0], "classification": "minimum"}
    assert "hessian.missing_mixed_partials" not in diagnosed("3x^2 - y^2", ["x", "y"], [0, 0])


def test_eigenvalues_in_another_order_are_no_mistake():
    # the eigenvalues are a multiset: another order earns full credit, so no mistake names it
    assert family.answers["eigenvalues"].unordered
    found = diagnosed("2x^2 + 3y^2 - x*y", ["x", "y"], [0, 0])
    assert not any(sorted(b.get("eigenvalues", [])) == pytest.approx([5 - 2**0.5, 5 + 2**0.5])
                   for b in found.values())


def test_diagnosed_answers_score_below_the_reference():
    params = family.validate({"f": "-x^2 - y^2 + x*y", "vars": ["x", "y"], "point": [0, 0]})
    reference, specs = family.solve(params), family.answer_specs(params)
    for mistake_id, buggy in family.diagnose(params).items():
        assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items()), mistake_id
