"""The Python API (``import calcgrade``): plain values, the same results as the engine,
one-line errors. Reference values are worked by hand or with sympy and math."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import sympy

import calcgrade
from calcgrade.grader.simulate import fill_answers

SECRET = bytes(range(32))
QUIZ = """\
id = "quiz1"
title = "Quiz 1: the sigmoid"

[[problems]]
family = "sigmoid_gradient"
points = 2
params = { z = 0.5 }

[[problems]]
family = "derivative"
points = 3
options = { rules = ["product"] }
"""


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


@pytest.fixture
def quiz(tmp_path) -> dict:
    (tmp_path / "quiz.toml").write_text(QUIZ, encoding="utf-8")
    (tmp_path / "roster.csv").write_text("id,name\nann01,Ann\nbob02,Bob\n", encoding="utf-8")
    return {"root": tmp_path, "assignment": tmp_path / "quiz.toml", "roster": tmp_path / "roster.csv"}


def test_family_info_is_plain_data():
    info = calcgrade.get_family("hessian")
    assert info.name == "hessian"
    assert set(info.answers) == {"gradient", "hessian", "eigenvalues", "classification"}
    assert info.answers["hessian"] == "matrix"
    assert {"f", "vars", "point"} <= set(info.params)
    assert all(isinstance(m, str) for m in info.mistakes.values())
    assert calcgrade.family_names()[0] == "derivative"
    assert "hessian" in calcgrade.family_names()


def test_unknown_family_is_a_calcgrade_error_with_a_suggestion():
    with pytest.raises(calcgrade.CalcgradeError, match="did you mean 'newton'"):
        calcgrade.get_family("newtn")


def test_sample_is_deterministic_and_its_answers_are_the_exact_values():
    one = calcgrade.sample("sigmoid_gradient", seed=11, mode="z")
    assert one == calcgrade.sample("sigmoid_gradient", seed=11, mode="z")
    z = one.params["z"]
    assert one.answers["sigmoid"] == pytest.approx(sigmoid(z), rel=1e-12)
    assert one.answers["sigmoid_prime"] == pytest.approx(sigmoid(z) * (1 - sigmoid(z)), rel=1e-12)
    json.dumps([one.params, one.answers])  # plain data


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_sample_refuses_a_seed_that_is_not_a_whole_number(bad):
    with pytest.raises(calcgrade.CalcgradeError, match="seed"):
        calcgrade.sample("derivative", seed=bad)


def test_solve_agrees_with_sympy():
    x = sympy.Symbol("x")
    answers = calcgrade.solve("derivative", {"f": "x**2*exp(x)", "at": 1})
    expected = sympy.diff(x**2 * sympy.exp(x), x)
    assert sympy.simplify(sympy.sympify(answers["derivative"]) - expected) == 0
    assert answers["value"] == pytest.approx(float(expected.subs(x, 1)))


def test_solve_reports_every_bad_param_as_a_calcgrade_error():
    with pytest.raises(calcgrade.CalcgradeError):
        calcgrade.solve("derivative", {"f": "import os"})


def test_assignment_and_roster_load_as_frozen_dataclasses(quiz):
    assignment = calcgrade.load_assignment(quiz["assignment"])
    assert assignment.id == "quiz1" and assignment.total_points == 5
    assert [p.family for p in assignment.problems] == ["sigmoid_gradient", "derivative"]
    roster = calcgrade.load_roster(quiz["roster"])
    assert [(s.id, s.name) for s in roster] == [("ann01", "Ann"), ("bob02", "Bob")]
    with pytest.raises(AttributeError):
        roster[0].id = "x"


def test_student_variants_match_the_generated_key(quiz):
    summary = calcgrade.generate(quiz["assignment"], quiz["roster"], quiz["root"] / "class",
                                 secret=SECRET)
    assert (summary.students, summary.problems) == (2, 2)
    key = json.loads((quiz["root"] / "class" / "key.json").read_text(encoding="utf-8"))
    for record in key["students"]:
        for how in ({"roster": quiz["roster"]}, {"key": quiz["root"] / "class" / "key.json"}):
            variants = calcgrade.student_variants(quiz["assignment"], record["id"], secret=SECRET,
                                                  **how)
            assert [v.params for v in variants] == [p["params"] for p in record["problems"]]
            assert [v.answers for v in variants] == [p["answers"] for p in record["problems"]]
            assert [v.draw for v in variants] == [p["draw"] for p in record["problems"]]
    fixed = calcgrade.student_variants(quiz["assignment"], "ann01", secret=SECRET)[0]
    assert fixed.params == {"z": 0.5} and fixed.draw is None
    assert fixed.answers["sigmoid"] == pytest.approx(sigmoid(0.5))


def test_a_student_outside_the_roster_is_refused(quiz):
    with pytest.raises(calcgrade.CalcgradeError, match="not in the roster"):
        calcgrade.student_variants(quiz["assignment"], "eve99", roster=quiz["roster"], secret=SECRET)


def test_the_secret_must_be_key_bytes(quiz):
    with pytest.raises(calcgrade.CalcgradeError, match="key bytes"):
        calcgrade.student_variants(quiz["assignment"], "ann01", secret="00" * 32)


def test_grade_notebook_needs_to_know_whose_notebook(quiz):
    with pytest.raises(calcgrade.CalcgradeError, match="student= or roster="):
        calcgrade.grade_notebook(quiz["root"] / "x.ipynb", quiz["assignment"], secret=SECRET)


def _filled(quiz, student: str, values: dict) -> Path:
    text = (quiz["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
    path = quiz["root"] / "work" / f"{student}.ipynb"
    path.parent.mkdir(exist_ok=True)
    path.write_text(fill_answers(text, values), encoding="utf-8")
    return path


@pytest.mark.slow
def test_grade_notebook_returns_the_part_scores(quiz):
    calcgrade.generate(quiz["assignment"], quiz["roster"], quiz["root"] / "class", secret=SECRET)
    derivative = calcgrade.student_variants(quiz["assignment"], "ann01", roster=quiz["roster"],
                                            secret=SECRET)[1]
    # sigma(0.5) and sigma'(0.5) worked with math; the derivative part left unanswered
    notebook = _filled(quiz, "ann01", {"q1_sigmoid": sigmoid(0.5),
                                       "q1_sigmoid_prime": sigmoid(0.5) * (1 - sigmoid(0.5))})
    result = calcgrade.grade_notebook(notebook, quiz["assignment"], roster=quiz["roster"],
                                      secret=SECRET, timeout=30)
    assert (result.student, result.status) == ("ann01", "graded")
    by_name = {(p.problem, p.answer): p for p in result.parts}
    assert by_name[(1, "sigmoid")].score == pytest.approx(1.0)
    assert by_name[(1, "sigmoid_prime")].score == pytest.approx(1.0)
    assert {p.answer for p in result.parts if p.problem == 2} == set(derivative.answers)
    assert all(p.score == 0 for p in result.parts if p.problem == 2)
    assert result.total == pytest.approx(2.0) and result.max == 5
    # without a roster: the student's first draws, named explicitly
    alone = calcgrade.grade_notebook(notebook, quiz["assignment"], student="ann01", secret=SECRET,
                                     timeout=30)
    assert alone.total == pytest.approx(2.0)


@pytest.mark.slow
def test_grade_grades_a_class_and_reads_back_every_student(quiz):
    calcgrade.generate(quiz["assignment"], quiz["roster"], quiz["root"] / "class", secret=SECRET)
    _filled(quiz, "ann01", {"q1_sigmoid": sigmoid(0.5)})
    result = calcgrade.grade(quiz["root"] / "work", quiz["assignment"], quiz["roster"],
                             quiz["root"] / "grades", secret=SECRET, workers=1, timeout=30)
    assert (result.inputs, result.graded) == (1, 1)
    ann, bob = result.students
    assert (ann.student, ann.status, ann.problems) == ("ann01", "graded", (1.0, 0.0))
    assert ann.total == pytest.approx(1.0)
    assert (bob.student, bob.status, bob.total, bob.max) == ("bob02", "missing", 0.0, 5.0)
