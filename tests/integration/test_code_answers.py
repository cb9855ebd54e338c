"""Function answers through the real sandbox: generated notebooks, students' code run in
worker processes, the functions called there on the grader's test inputs, and the
results marked in the grader."""

from __future__ import annotations

import csv
import json

import pytest

from calcgrade.grader.generation.generate import generate
from calcgrade.grader.grading.grade import grade
from calcgrade.grader.simulate import StudentCode, fill_answers, simulated_answers

from ..grader.classes import SECRET, roster_text, write

pytestmark = pytest.mark.slow

CODE_FAMILIES = {"sigmoid_gradient": 2, "softmax_cross_entropy": 3, "linear_regression_gd": 2,
                 "gradient_descent": 2, "backprop_221": 2}   # family -> points
CODE_ASSIGNMENT = 'id = "code"\ntitle = "Implement it"\n' + "".join(
    f'\n[[problems]]\nfamily = "{family}"\npoints = {points}\noptions = {{ answer = "code" }}\n'
    for family, points in CODE_FAMILIES.items())

SUBMISSIONS = {
    "s0001": ("def q1_sigmoid(z):\n    return 1 / (1 + math.exp(-z))\n",
              "def q1_sigmoid_prime(z):\n    s = 1 / (1 + math.exp(-z))\n    return s * (1 - s)\n"),
    "s0002": ("def q1_sigmoid(z):\n    return np.exp(z) / (1 + np.exp(z))\n",
              "def q1_sigmoid_prime(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n"),
    "s0003": ("def q1_sigmoid(z):\n    while True:\n        pass\n",
              "def q1_sigmoid_prime(z):\n    return 1 / (1 + np.exp(-z))\n"),
    "s0004": ("def q1_sigmoid(z):\n    raise ValueError('no')\n",
              "def q1_sigmoid_prime(z):\n    return 'sigma'\n"),
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("code")
    assignment = write(root / "code.toml", CODE_ASSIGNMENT)
    roster = write(root / "roster.csv", roster_text(5))
    generate(assignment, roster, root / "out", SECRET)
    key = {r["id"]: r for r in json.loads((root / "out" / "key.json").read_text())["students"]}
    subs = root / "subs"
    subs.mkdir()
    for student in key:
        text = (root / "out" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
        values = simulated_answers(key[student], "correct")
        if student in SUBMISSIONS:
            sigmoid, prime = SUBMISSIONS[student]
            values = {"q1_sigmoid": StudentCode(sigmoid), "q1_sigmoid_prime": StudentCode(prime)}
        (subs / f"{student}.ipynb").write_text(fill_answers(text, values), encoding="utf-8")
    grade([str(subs)], str(assignment), str(roster), str(root / "grades"), SECRET, timeout=60)
    with open(root / "grades" / "parts.csv", encoding="utf-8", newline="") as handle:
        parts = {(r["student"], r["answer"]): r for r in csv.DictReader(handle)}
    with open(root / "grades" / "grades.csv", encoding="utf-8", newline="") as handle:
        grades = {r["student"]: r for r in csv.DictReader(handle)}
    feedback = {}
    for student in key:
        text = next((root / "grades" / "feedback").glob(f"{student}*")).read_text(encoding="utf-8")
        feedback[student] = text.replace("\\", "")  # Markdown escapes
    return grades, parts, feedback


def test_the_key_filled_implementation_scores_full(graded):
    grades, _, _ = graded
    assert grades["s0000"]["status"] == "graded" and grades["s0000"]["total"] == grades["s0000"]["max"]


def test_a_stub_left_alone_is_not_answered(graded):
    _, parts, feedback = graded
    assert parts[("s0001", "softmax")]["status"] == "missing"
    assert "still raises NotImplementedError" in feedback["s0001"]


def test_scalar_only_code_loses_the_vectorised_tests_and_says_so(graded):
    grades, parts, feedback = graded
    assert parts[("s0001", "sigmoid")]["status"] == "partial"
    assert "not vectorised: fails on an array of shape (3, 2)" in feedback["s0001"]
    assert "overflows for z = -800" in feedback["s0001"]


def test_naive_numpy_code_overflows_and_says_so_without_crashing(graded):
    grades, parts, feedback = graded
    assert grades["s0002"]["status"] == "graded"
    assert parts[("s0002", "sigmoid")]["status"] == "partial"
    assert "overflows for z = 800" in feedback["s0002"]
    assert "overflows for z = -800" in feedback["s0002"]


def test_an_endless_loop_times_out_per_test_and_a_mistake_is_named(graded):
    grades, parts, feedback = graded
    assert grades["s0003"]["status"] == "graded"
    assert parts[("s0003", "sigmoid")]["status"] == "wrong"
    assert "ran out of time" in feedback["s0003"]
    assert parts[("s0003", "sigmoid_prime")]["mistake"] == "sigmoid_gradient.sigma_as_derivative"


def test_raising_and_returning_text_are_clear_per_test_failures(graded):
    grades, parts, feedback = graded
    assert grades["s0004"]["status"] == "graded"
    assert parts[("s0004", "sigmoid")]["status"] == "wrong"
    assert "raised ValueError for z = 0" in feedback["s0004"]
    assert "returned the text 'sigma'" in feedback["s0004"]
