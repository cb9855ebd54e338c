"""Marking one problem: lenient reading, consistent diagnosis, feedback a student can read."""

from __future__ import annotations

import math
import re

from calcgrade.core.answers import function_inputs
from calcgrade.grader.course.assignment import parse_assignment
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.grader.sandbox.result import CellError


def problem_of(family: str, params: str, points: int = 2):
    text = (f'id = "a"\ntitle = "t"\n[[problems]]\nfamily = "{family}"\npoints = {points}\n'
            f"params = {params}\n")
    return parse_assignment(text, "a.toml").problems[0]


DERIVATIVE = problem_of("derivative", '{ f = "sin(3*x)", var = "x", at = 1.0 }')
RIGHT_VALUE = 3 * math.cos(3.0)


def marks_of(problem, answers, **extra):
    return {m.answer: m for m in mark_problem(problem, problem.params, answers, **extra)}


def test_a_mistake_is_blamed_where_the_student_made_it_everywhere():
    marks = marks_of(DERIVATIVE, {"derivative": "cos(3x)", "value": math.cos(3.0)})
    assert marks["derivative"].mistake == marks["value"].mistake == "derivative.missing_chain_factor"
    assert "Likely mistake" in marks["value"].feedback


def test_a_wrong_value_is_not_blamed_on_a_rule_the_derivative_applied_correctly():
    marks = marks_of(DERIVATIVE, {"derivative": "3*cos(3*x)", "value": math.cos(3.0)})
    assert marks["derivative"].status == "correct"
    assert marks["value"].status == "wrong" and marks["value"].mistake is None
    assert "Likely mistake" not in marks["value"].feedback


def test_lenient_forms_of_a_right_answer_earn_full_credit():
    for derivative in ("3cos(3x)", "np.cos(3*x)*3", "f'(x) = 3 \\cos(3x)", "3·cos(3x)"):
        for value in (RIGHT_VALUE, repr(RIGHT_VALUE), [RIGHT_VALUE], f"  {RIGHT_VALUE:.6f} "):
            marks = marks_of(DERIVATIVE, {"derivative": derivative, "value": value})
            assert [m.status for m in marks.values()] == ["correct", "correct"], (derivative, value)


def test_an_expression_written_as_a_function_is_judged_by_its_values():
    spec = DERIVATIVE.answer_specs(DERIVATIVE.params)["derivative"]
    inputs = function_inputs(spec, "3*cos(3*x)")
    right = [3 * math.cos(3 * case["args"][0]) for case in inputs]
    wrong = [math.cos(3 * case["args"][0]) for case in inputs]
    function = {"$marker": "function", "type": "function"}
    marks = marks_of(DERIVATIVE, {"derivative": function, "value": RIGHT_VALUE},
                     calls={"derivative": right})
    assert marks["derivative"].status == "correct"
    marks = marks_of(DERIVATIVE, {"derivative": function, "value": math.cos(3.0)},
                     calls={"derivative": wrong})
    assert marks["derivative"].status == "wrong"
    assert marks["derivative"].mistake == "derivative.missing_chain_factor"


def test_an_unquoted_expression_gets_a_hint_to_use_quotes():
    errors = [CellError(cell=3, name="NameError", message="name 'x' is not defined")]
    marks = marks_of(DERIVATIVE, {"derivative": {"$marker": "unanswered"}, "value": RIGHT_VALUE},
                     cell_errors=errors)
    assert marks["derivative"].status == "missing"
    assert "in quotes" in marks["derivative"].feedback


def test_feedback_never_shows_markers_json_or_mistake_ids():
    answers = [{"derivative": {"$marker": "unconvertible", "type": "Foo"}, "value": {"$marker": "nan"}},
               {"derivative": "cos(3x)", "value": math.cos(3.0)},
               {"derivative": [1, 2], "value": 0.1 + 0.2}]
    for given in answers:
        for mark in marks_of(DERIVATIVE, given).values():
            shown = mark.feedback + " " + mark.found
            assert "$marker" not in shown and "{" not in shown and "derivative." not in shown
            assert "0.30000000000000004" not in shown
            assert not re.search(r"\d\.\d{7,}", shown), shown  # numbers rounded for reading


def test_a_format_error_says_what_was_found_and_how_to_write_it():
    marks = marks_of(DERIVATIVE, {"derivative": "3*cos(3*x)", "value": [1.0, 2.0]})
    feedback = marks["value"].feedback
    assert marks["value"].status == "format_error"
    assert "expected a number, found a list of 2 numbers" in feedback.lower()
    assert "write it like q1_value = " in feedback


CRITICAL = problem_of("critical_points_1d", '{ f = "x^3 - 3*x" }')  # -1: maximum, 1: minimum


def test_points_and_their_labels_are_matched_as_pairs_in_any_order():
    marks = marks_of(CRITICAL, {"points": [1, -1], "labels": ["local minimum", "local maximum"]})
    assert [m.status for m in marks.values()] == ["correct", "correct"]
    assert "order" in marks["points"].feedback
    swapped = marks_of(CRITICAL, {"points": [1, -1], "labels": ["local maximum", "local minimum"]})
    assert swapped["points"].status == "correct" and swapped["labels"].status == "wrong"
    alone = marks_of(CRITICAL, {"points": "?", "labels": ["local minimum", "local maximum"]})
    assert alone["labels"].status == "wrong"  # without points, labels are read in the stated order


def test_eigenvalues_in_another_order_earn_full_credit():
    hessian = problem_of("hessian", '{ f = "x^2 + 3*y^2 + x*y", vars = ["x", "y"], point = [0, 0] }')
    specs = hessian.answer_specs(hessian.params)
    reference = hessian.family_object().solve(hessian.params)
    answers = {name: reference[name] for name in specs}
    answers["eigenvalues"] = list(reversed(reference["eigenvalues"]))
    marks = marks_of(hessian, answers)
    assert all(m.status == "correct" for m in marks.values())
