"""The critical_points_2d family: a hand-worked example, a sympy oracle over hundreds of seeds,
validation of explicit params, its mistakes and grading in any order."""

from __future__ import annotations

import pytest
import sympy as sp

from calcgrade.core.answers import answer_matches, score_value
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.grader.test_marking import problem_of
from tests.sweep import sweep

family = get_family("critical_points_2d")
X, Y = sp.symbols("x y")


def oracle(text: str) -> list[tuple[tuple, str]]:
    """(point, label) pairs from sympy: solve ∇f = 0, then the signs of the Hessian's eigenvalues."""
    f = sp.sympify(text, locals={"x": X, "y": Y})
    solutions = sp.solve([sp.diff(f, X), sp.diff(f, Y)], [X, Y], dict=True)
    pairs = []
    for s in solutions:
        px, py = s[X], s[Y]
        if not (px.is_real and py.is_real):
            continue
        h = sp.hessian(f, (X, Y)).subs({X: px, Y: py})
        signs = {sp.sign(v) for v in h.eigenvals()}
        label = ("saddle" if {1, -1} <= signs else "inconclusive" if 0 in signs
                 else "minimum" if 1 in signs else "maximum")
        pairs.append(((float(px), float(py)), label))
    return sorted(pairs)


def test_the_worked_example_x3_plus_y3_minus_3x_minus_3y():
    # f_x = 3x² − 3 = 0 and f_y = 3y² − 3 = 0 give x = ±1, y = ±1: four points.
    # H = [[6x, 0], [0, 6y]]: (1, 1) both positive → minimum; (−1, −1) both negative →
    # maximum; (1, −1) and (−1, 1) one of each sign → saddles.
    answers = family.solve(family.validate({"f": "x^3 + y^3 - 3x - 3y"}))
    pairs = dict(zip(map(tuple, answers["points"]), answers["labels"]))
    assert pairs == {(1.0, 1.0): "minimum", (-1.0, -1.0): "maximum",
                     (1.0, -1.0): "saddle", (-1.0, 1.0): "saddle"}


def test_the_classic_x3_minus_3xy_plus_y3():
    # ∇f = (3x² − 3y, 3y² − 3x) = 0: y = x², x⁴ = x → (0, 0) and (1, 1).
    # det H = 36xy − 9: −9 at (0, 0) → saddle; 27 with f_xx = 6 at (1, 1) → minimum.
    answers = family.solve(family.validate({"f": "x^3 - 3*x*y + y^3"}))
    assert answers == {"points": [[0.0, 0.0], [1.0, 1.0]], "labels": ["saddle", "minimum"]}


def test_a_double_root_gives_an_inconclusive_point():
    # f = x³ + y²: ∇f = (3x², 2y) vanishes only at (0, 0), where H = [[0, 0], [0, 2]].
    assert family.solve(family.validate({"f": "x^3 + y^2"})) == {
        "points": [[0.0, 0.0]], "labels": ["inconclusive"]}


def test_rational_points_that_are_not_whole():
    # f = x³ − 3xy + y²: ∇f = (3x² − 3y, 2y − 3x): y = x², 2x² = 3x → (0, 0), (3/2, 9/4).
    # H = [[6x, −3], [−3, 2]]: det −9 at (0, 0) → saddle; det 9, f_xx = 9 at (3/2, 9/4) → minimum.
    answers = family.solve(family.validate({"f": "x^3 - 3*x*y + y^2"}))
    assert answers == {"points": [[0.0, 0.0], [1.5, 2.25]], "labels": ["saddle", "minimum"]}


@pytest.mark.parametrize("count", sweep(300, few=8))
def test_solver_agrees_with_sympy(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        truth = oracle(params["f"])
        assert [tuple(p) for p in answers["points"]] == [p for p, _ in truth], params
        assert answers["labels"] == [label for _, label in truth], params


def test_both_forms_and_every_label_are_sampled():
    forms = {form: [family.sample(generator(s), form=form) for s in range(40)] for form in ("separable", "coupled")}
    labels = {label for variants in forms.values() for p in variants for label in family.solve(p)["labels"]}
    assert labels == {"minimum", "maximum", "saddle", "inconclusive"}
    coupled = [p for p in forms["coupled"] if "x*y" in p["f"] or "x**2*y" in p["f"] or "x*y**2" in p["f"]]
    assert len(coupled) == 40
    with pytest.raises(OptionsError, match="form"):
        family.sample(generator(0), form="round")


@pytest.mark.parametrize("f, fragment", [
    ("(x - y)^2", "common factor"),
    ("x^3 - 2*x + y^2", "not a rational number"),
    ("x + y^2", "no critical point"),
    ("x^3 - 3*x", "must have degree|does not depend on y"),
    ("exp(x) + y^2", "must be a polynomial"),
    ("x^7 + y^2", "must have degree 2 to 6"),
])
def test_bad_params_are_named(f, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({"f": f})


def test_a_function_of_x_alone_has_a_line_of_critical_points():
    with pytest.raises(ParamsError, match="does not depend on y"):
        family.validate({"f": "x^2 - 2*x"})


HAND = {"f": "x^3 + y^3 - 3*x - 3*y"}  # (−1, −1) max, (−1, 1) saddle, (1, −1) saddle, (1, 1) min


def diagnosed(mistake: str, params=HAND):
    return family.diagnose(family.validate(params)).get(f"critical_points_2d.{mistake}")


def test_missing_negative_solutions_keeps_only_the_nonnegative_point():
    assert diagnosed("missing_negative_solutions") == {"points": [[1.0, 1.0]], "labels": ["minimum"]}


def test_classified_by_fxx_alone_turns_the_saddles_by_the_sign_of_6x():
    assert diagnosed("classified_by_fxx_alone") == {"labels": ["maximum", "maximum", "minimum", "minimum"]}


def test_min_max_swapped():
    assert diagnosed("min_max_swapped") == {"labels": ["minimum", "saddle", "saddle", "maximum"]}


def test_determinant_sign_misread():
    # det H = 36xy: +36 at (±1, ±1) read as saddle; −36 at the mixed points read by f_xx = 6x.
    assert diagnosed("determinant_sign_misread") == {"labels": ["saddle", "maximum", "minimum", "saddle"]}


def test_every_mistake_is_wrong_on_the_hand_example():
    params = family.validate(HAND)
    reference = family.solve(params)
    for mistake_id, buggy in family.diagnose(params).items():
        assert any(not answer_matches(family.answers[n], v, reference[n]) for n, v in buggy.items()), mistake_id


def test_points_are_matched_whole_not_coordinate_by_coordinate():
    spec = family.answers["points"]
    reference = [[-1.0, 2.0], [3.0, 0.0]]
    assert score_value(spec, [[3, 0], [-1, 2]], reference).fraction == 1.0
    assert score_value(spec, [[2, -1], [0, 3]], reference).fraction == 0.0


PROBLEM = problem_of("critical_points_2d", '{ f = "x^3 + y^3 - 3*x - 3*y" }')


def marks_of(answers):
    return {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, answers)}


def test_points_and_labels_are_graded_as_pairs_in_any_order():
    marks = marks_of({"points": [[1, 1], [-1, 1], [1, -1], [-1, -1]],
                      "labels": ["min", "saddle point", "saddle", "max"]})
    assert [m.status for m in marks.values()] == ["correct", "correct"]
    swapped = marks_of({"points": [[1, 1], [-1, 1], [1, -1], [-1, -1]],
                        "labels": ["maximum", "saddle", "saddle", "minimum"]})
    assert swapped["points"].status == "correct" and swapped["labels"].status == "partial"
    assert swapped["labels"].score == pytest.approx(0.5 * swapped["labels"].max)
    in_order = marks_of({"points": [[-1, -1], [-1, 1], [1, -1], [1, 1]],
                         "labels": ["minimum", "saddle", "saddle", "maximum"]})
    assert in_order["labels"].mistake == "critical_points_2d.min_max_swapped"


def test_a_missing_point_is_diagnosed():
    marks = marks_of({"points": [[1, 1]], "labels": ["minimum"]})
    assert marks["points"].score == 0
    assert marks["points"].mistake == "critical_points_2d.missing_negative_solutions"


def test_statement_states_the_test_and_the_answers_without_values():
    text = family.statement(family.validate(HAND))
    for fragment in ("`points`", "`labels`", r"\det H", "any order", "inconclusive", "saddle"):
        assert fragment in text
    assert "[1, 1]" not in text and "[1.0, 1.0]" not in text
