"""Function answers scored test by test (fast: functions called in this process).

The student functions here are written by the tests; the reference values come from
mpmath at high precision (an oracle independent of the solvers).
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from calcgrade.core import functions
from calcgrade.core.answers import AnswerSpec, Calls, score
from calcgrade.core.reading import Reading
from calcgrade.grader.course.assignment import parse_assignment
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.grader.sandbox.runner import call_functions
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.sweep import sweep

SIGMOID = get_family("sigmoid_gradient")
PROBLEM = parse_assignment('id = "a"\ntitle = "t"\n[[problems]]\nfamily = "sigmoid_gradient"\n'
                           'points = 2\nparams = { z = 1.25, answer = "code" }\n', "a.toml").problems[0]


def _stable(z):
    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))


def mark(namespace, seconds=None):
    """The marks of PROBLEM for functions defined in ``namespace``, called as the sandbox calls them."""
    reference, specs = SIGMOID.solve(PROBLEM.params), PROBLEM.answer_specs(PROBLEM.params)
    calls = call_functions(namespace, {n: functions.case_inputs(reference[n]) for n in specs}, seconds)
    answers = {n: {"$marker": "function"} for n in specs}
    return {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, answers, calls=calls)}


def test_a_right_vectorised_stable_implementation_scores_full():
    marks = mark({"sigmoid": _stable, "sigmoid_prime": lambda z: _stable(z) * (1 - _stable(z))})
    assert [(m.status, m.score) for m in marks.values()] == [("correct", 1.0)] * 2


def test_a_scalar_only_implementation_loses_the_vectorised_tests_and_is_told_so():
    marks = mark({"sigmoid": lambda z: 1 / (1 + math.exp(-z)),
                  "sigmoid_prime": lambda z: math.exp(-z) / (1 + math.exp(-z)) ** 2})
    for m in marks.values():
        assert m.status == "partial" and 0 < m.score < 1
        assert "not vectorised: fails on an array of shape (4,)" in m.feedback
        assert "not vectorised: fails on an array of shape (3, 2)" in m.feedback
        assert m.mistake is None


def test_a_naive_formula_that_overflows_loses_the_stability_tests_and_is_told_so():
    with np.errstate(all="ignore"):
        marks = mark({"sigmoid": lambda z: np.exp(z) / (1 + np.exp(z)),
                      "sigmoid_prime": lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2})
    assert "overflows for z = 800" in marks["sigmoid"].feedback
    assert "overflows for z = -800" in marks["sigmoid_prime"].feedback
    assert all(m.status == "partial" for m in marks.values())
    assert "not vectorised" not in marks["sigmoid"].feedback


def test_math_exp_overflow_error_is_named_as_an_overflow():
    marks = mark({"sigmoid": lambda z: 1 / (1 + math.exp(-z)), "sigmoid_prime": _stable})
    assert "overflows for z = -800 (large negative z)" in marks["sigmoid"].feedback


def test_a_catalogued_mistake_in_code_is_named():
    marks = mark({"sigmoid": _stable, "sigmoid_prime": _stable})  # σ′ returning σ
    assert marks["sigmoid_prime"].mistake == "sigmoid_gradient.sigma_as_derivative"
    assert "Likely mistake" in marks["sigmoid_prime"].feedback
    marks = mark({"sigmoid": lambda z: 1 / (1 + math.exp(min(z, 700))), "sigmoid_prime": _stable})
    assert marks["sigmoid"].mistake == "sigmoid_gradient.positive_exponent"  # scalars only, still named


def test_raising_returning_text_or_still_a_stub_are_clear_failures():
    def raises(z):
        raise ValueError("nope")

    def stub(z):
        raise NotImplementedError

    marks = mark({"sigmoid": raises, "sigmoid_prime": lambda z: "0.25"})
    assert marks["sigmoid"].status == "wrong" and "raised ValueError for z = 1.25" in marks["sigmoid"].feedback
    assert "returned the text '0.25' for z = 1.25 (scalar), expected a number" in marks["sigmoid_prime"].feedback
    marks = mark({"sigmoid": stub, "sigmoid_prime": _stable})
    assert marks["sigmoid"].status == "missing" and "NotImplementedError" in marks["sigmoid"].feedback


def test_a_function_that_loops_forever_times_out_per_test():
    def loops(z):
        if np.ndim(z) == 0 and abs(z) > 100:
            while True:
                pass
        return _stable(z)

    marks = mark({"sigmoid": loops, "sigmoid_prime": lambda z: _stable(z) * (1 - _stable(z))}, seconds=0.2)
    assert marks["sigmoid"].status == "partial"
    assert "ran out of time for z = 800" in marks["sigmoid"].feedback


def test_feedback_never_shows_an_expected_output():
    marks = mark({"sigmoid": lambda z: 0 * np.asarray(z), "sigmoid_prime": lambda z: 0 * np.asarray(z)})
    reference = SIGMOID.solve(PROBLEM.params)
    for name, m in marks.items():
        assert m.reference == '"a function, tested on 7 inputs: scalar, zero, array of shape (4,), ' \
            'array of shape (3, 2), large positive z, large negative z, array with large |z|"'
        for case in reference[name]:
            for value in functions._flat(case["expected"]):
                if value not in (0.0, 0.5, 1.0):  # values that also appear as inputs or counts
                    assert f"{value:.4g}" not in m.feedback


def test_a_two_dimensional_input_arrives_as_a_two_dimensional_array():
    seen = call_functions({"f": lambda z: [float(z.ndim), *map(float, z.shape)]},
                          {"f": [{"args": [[[1, 2], [3, 4], [5, 6]]]}]})
    assert seen == {"f": [[2.0, 3.0, 2.0]]}


def test_a_huge_result_is_bounded():
    out = call_functions({"f": lambda z: np.zeros(10 ** 6)}, {"f": [0.0]})
    assert out["f"][0]["$marker"] == "too_large"


def test_shapes_must_match_not_only_the_entries():
    case = functions.make_case("array of shape (3, 2)", [[[1, 2], [3, 4], [5, 6]]],
                               [[1, 2], [3, 4], [5, 6]], functions.VECTORISED)
    spec = AnswerSpec("function", "f", variables=("z",))
    verdict = score(spec, Reading(None, form="function"), [case], calls=Calls([], [[1, 2, 3, 4, 5, 6]]))
    assert verdict.fraction == 0.0 and "not vectorised" in verdict.detail


def test_each_input_class_weighs_the_same():
    cases = [functions.make_case("scalar", [1.0], 1.0), functions.make_case("scalar", [2.0], 2.0),
             functions.make_case("zero", [0.0], 0.0)]
    outcome = functions.score_cases(("z",), cases, [1.0, 5.0, 0.0], 1e-3, 1e-6)
    assert outcome.fraction == pytest.approx(0.75)  # scalars 1/2, zero 1
    assert outcome.first_wrong == 1 and outcome.detail.startswith("2 of 3 tests pass: wrong result for z = 2")


@given(st.floats(-50, 50), st.floats(-1e-3, 1e-3))
@settings(max_examples=60, deadline=None)
def test_outputs_within_the_tolerance_pass_and_others_do_not(reference, relative):
    case = functions.make_case("scalar", [0.0], reference)
    got = reference * (1 + relative)
    outcome = functions.score_cases(("z",), [case], [got], 1e-3, 1e-6)
    assert outcome.fraction == (1.0 if abs(got - reference) <= 1e-6 + 1e-3 * abs(reference) else 0.0)


@pytest.mark.parametrize("count", sweep(300))
def test_the_sigmoid_cases_agree_with_mpmath(count):
    mpmath.mp.dps = 50
    for seed in range(count):
        params = SIGMOID.sample(generator(seed), answer="code")
        answers = SIGMOID.solve(params)
        for name in ("sigmoid", "sigmoid_prime"):
            for case in answers[name]:
                z = np.asarray(case["args"][0], dtype=float)
                flat_z, flat_out = z.ravel(), np.asarray(case["expected"], dtype=float).ravel()
                assert np.shape(case["expected"]) == z.shape
                for zi, out in zip(flat_z, flat_out):
                    s = 1 / (1 + mpmath.exp(-mpmath.mpf(float(zi))))
                    truth = float(s if name == "sigmoid" else s * (1 - s))
                    assert abs(out - truth) <= 1e-12 + 1e-9 * abs(truth), (params, case["case"])


def test_code_answers_are_asked_only_with_z():
    with pytest.raises(Exception, match="answer='code' is not available"):
        SIGMOID.validate({"x": [1.0], "w": [1.0], "b": 0.0, "y": 1, "answer": "code"})
    assert SIGMOID.validate({"z": 1.0, "answer": "values"}) == {"z": 1.0}


# --- the notebook: stub, self-check, a student's code filled in ------------------------------

def _entries():
    from calcgrade.grader.generation.notebook import answer_entry

    reference, specs = SIGMOID.solve(PROBLEM.params), PROBLEM.answer_specs(PROBLEM.params)
    return [answer_entry(1, name, specs[name], reference[name]) for name in specs]


def test_the_answer_cell_holds_a_stub_per_function():
    from calcgrade.grader.generation.notebook import _render

    cell = _render("notebook/answers.py.j2", problem=PROBLEM, entries=_entries())
    assert "def q1_sigmoid(z):\n" in cell and "def q1_sigmoid_prime(z):\n" in cell
    assert cell.count("    raise NotImplementedError") == 2
    assert "z may be a number or a numpy array" in cell
    namespace = {}
    exec(compile(cell, "cell", "exec"), namespace)  # noqa: S102 - our own generated text
    with pytest.raises(NotImplementedError):
        namespace["q1_sigmoid"](0.5)


def test_simulated_code_replaces_the_stub():
    from calcgrade.grader.generation.notebook import _render
    from calcgrade.grader.simulate import StudentCode, fill_answers
    import json

    cell = _render("notebook/answers.py.j2", problem=PROBLEM, entries=_entries())
    text = json.dumps({"cells": [{"cell_type": "code", "source": cell}]})
    source = SIGMOID.student_source("sigmoid", PROBLEM.params, "q1_sigmoid")
    filled = json.loads(fill_answers(text, {"q1_sigmoid": StudentCode(source)}))["cells"][0]["source"]
    assert source in filled and filled.count("    raise NotImplementedError") == 1
    namespace = {"np": np}
    exec(compile(filled, "cell", "exec"), namespace)  # noqa: S102 - our own generated text
    assert namespace["q1_sigmoid"](np.zeros((3, 2))).shape == (3, 2)


def test_the_self_check_calls_a_function_once_and_reports_stubs_and_errors():
    from calcgrade.core.selfcheck import EMPTY, READY, UNREADABLE, check_answer

    info = _entries()[0]["expected"]
    assert info["kind"] == "function" and info["signature"] == ["z"] and info["try"] == [1.25]

    def stub(z):
        raise NotImplementedError

    def broken(z):
        return undefined_name  # noqa: F821

    assert check_answer({"q1_sigmoid": stub}, info) == (EMPTY, "")
    assert check_answer({"q1_sigmoid": _stable}, info) == (READY, "")
    status, message = check_answer({"q1_sigmoid": broken}, info)
    assert status == UNREADABLE and "raised NameError" in message
    status, message = check_answer({"q1_sigmoid": lambda z: None}, info)
    assert status == UNREADABLE and "returned None" in message
    assert check_answer({"q1_sigmoid": ...}, info)[0] == EMPTY
