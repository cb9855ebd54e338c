"""Scoring per answer kind: credit, format errors, carried-forward iterates, review."""

from __future__ import annotations

import pytest

from calcgrade.core.answers import FORMAT_ERROR, MISSING, REVIEW, CarriedSteps, score_value
from calcgrade.problems.family import AnswerSpec

SCALAR = AnswerSpec("scalar", "v")
MATRIX = AnswerSpec("matrix", "H")
ITERATES = AnswerSpec("iterates", "path")
LABEL = AnswerSpec("label", "kind", labels=("minimum", "maximum"), synonyms={"min": "minimum"})
EXPRESSION = AnswerSpec("expression", "f'", variables=("x",))


@pytest.mark.parametrize("value, status", [
    ({"$marker": "unanswered"}, MISSING), ({"$marker": "missing"}, MISSING),
    (None, FORMAT_ERROR), ("two", FORMAT_ERROR), (True, FORMAT_ERROR), ("1e999", FORMAT_ERROR),
    ({"$marker": "unconvertible", "type": "Foo"}, FORMAT_ERROR), ({"$marker": "nan"}, FORMAT_ERROR),
])
def test_scalar_format_errors(value, status):
    verdict = score_value(SCALAR, value, 2.0)
    assert verdict.status == status and verdict.fraction == 0


def test_scalar_credit():
    assert score_value(SCALAR, 2.001, 2.0).fraction == 1
    assert score_value(SCALAR, 2.1, 2.0).status == "wrong"


def test_matrix_credit_per_entry_and_shape_message():
    reference = [[4.0, -1.0], [-1.0, 6.0]]
    assert score_value(MATRIX, [[4, -1], [1, 6]], reference).fraction == 0.75
    verdict = score_value(MATRIX, [4, -1, -1, 6], reference)
    assert verdict.status == FORMAT_ERROR
    assert "a list of 2 rows, each a list of 2 numbers" in verdict.detail


def test_iterates_carry_the_error_forward():
    reference = [[2.0], [3.0], [4.0]]
    student = [[2.5], [3.5], [4.5]]  # a slip in step 1, then correct steps from there
    carried = [[2.0], [3.5], [4.5]]  # the reference step applied to the student's own points
    without = score_value(ITERATES, student, reference)
    assert without.fraction == 0
    slip = score_value(ITERATES, student, reference, carried=CarriedSteps(carried, [False] * 3))
    assert slip.fraction == pytest.approx(2 / 3) and slip.first_wrong == 0
    assert "step 1" in slip.detail


def test_no_carried_credit_from_a_stationary_point():
    reference = [[2.0], [3.0], [4.0]]
    verdict = score_value(ITERATES, [[9.0], [9.0], [9.0]], reference,
                          carried=CarriedSteps([[2.0], [9.0], [9.0]], [False, True, True]))
    assert verdict.fraction == 0


def test_labels_and_expressions():
    assert score_value(LABEL, "Min", "minimum").fraction == 1
    assert score_value(LABEL, "bowl", "minimum").status == FORMAT_ERROR
    assert score_value(EXPRESSION, "x*e^x + e^x", "(x + 1)*exp(x)").fraction == 1
    assert score_value(EXPRESSION, "x^2 +", "x").status == FORMAT_ERROR
    assert score_value(EXPRESSION, 3, "3").fraction == 1  # a number is a constant expression
    assert score_value(EXPRESSION, [3], "x").status == FORMAT_ERROR
    assert score_value(EXPRESSION, "2*log(x - x)", "log(x - x)").status == REVIEW


LABELS = AnswerSpec("labels", "kinds", labels=("corner", "cusp"), synonyms={"kink": "corner"})


def test_label_lists_earn_credit_per_entry():
    assert score_value(LABELS, ["Corner", "kink"], ["corner", "corner"]).fraction == 1
    half = score_value(LABELS, ["corner", "cusp"], ["corner", "corner"])
    assert half.fraction == 0.5 and half.first_wrong == 1
    assert score_value(LABELS, ["corner"], ["corner", "cusp"]).status == FORMAT_ERROR
    assert score_value(LABELS, ["corner", "bump"], ["corner", "cusp"]).status == FORMAT_ERROR
    assert score_value(LABELS, "corner", ["corner"]).fraction == 1  # one label for a list of one


def test_an_answer_expected_empty_is_right_only_when_empty():
    vector = AnswerSpec("vector", "points")
    assert score_value(vector, [], []).fraction == 1
    assert score_value(vector, [1.0], []).status == FORMAT_ERROR
    assert score_value(LABELS, [], []).fraction == 1
