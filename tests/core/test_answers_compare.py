"""Comparison of answers per kind (DESIGN §5)."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.answers import answer_matches, expressions_equivalent
from calcgrade.core.reading import Unreadable, read_label
from calcgrade.problems.family import AnswerSpec

SCALAR = AnswerSpec("scalar", "a value")


@pytest.mark.parametrize("value, ok", [
    (1.0005, True), (1.002, False), (1, True), (True, False), ("1.0", True), ("one", False),
    (math.nan, False), (math.inf, False), (None, False), ([1.0], True), ([1.0, 1.0], False),
])
def test_scalar(value, ok):
    assert answer_matches(SCALAR, value, 1.0) is ok


def test_scalar_near_zero_uses_atol():
    assert answer_matches(SCALAR, 5e-7, 0.0)
    assert not answer_matches(SCALAR, 5e-6, 0.0)


def test_vectors_matrices_and_iterates_need_the_shape():
    vector = AnswerSpec("vector", "v")
    assert answer_matches(vector, [1, 2.0005], [1.0, 2.0])
    assert not answer_matches(vector, [1, 2, 3], [1.0, 2.0])
    assert answer_matches(vector, [[1, 2]], [1.0, 2.0])  # a row vector
    assert answer_matches(vector, [[1], [2]], [1.0, 2.0])  # a column vector
    assert not answer_matches(vector, [[1, 2], [3, 4]], [1.0, 2.0])
    iterates = AnswerSpec("iterates", "path")
    assert answer_matches(iterates, [[0.1447], [0.1735]], [[0.144744], [0.173509]])
    assert answer_matches(iterates, [0.1447, 0.1735], [[0.144744], [0.173509]])  # 1-D: flat is fine
    assert not answer_matches(iterates, [0.1447, 0.1745], [[0.144744], [0.173509]])


def test_labels_fold_case_spaces_and_synonyms():
    spec = AnswerSpec("label", "kind", labels=("minimum", "saddle"), synonyms={"min": "minimum"})
    assert read_label("  Minimum ", {"kind": "label", "labels": spec.labels}) == "minimum"
    assert answer_matches(spec, "MIN", "minimum")
    assert not answer_matches(spec, "maximum", "minimum")
    with pytest.raises(Unreadable):
        read_label(3, {"kind": "label", "labels": spec.labels})


@pytest.mark.parametrize("student, reference, expected", [
    ("x*e^x + e^x", "(x + 1)*exp(x)", True),
    ("2x", "x + x", True),
    ("ln(x^2)", "2*log(x)", True),            # equal where both are defined
    ("sqrt(x)^2", "x", True),                 # complex fallback for x < 0
    ("x^2", "x**3", False),
    ("1/x", "-1/x**2", False),
    ("x +", "x", False),
    ("os.system('x')", "x", False),
])
def test_expressions(student, reference, expected):
    assert expressions_equivalent(student, reference, ["x"]) is expected


def test_expression_nowhere_finite_is_undecided():
    assert expressions_equivalent("2*log(x - x)", "log(x - x)", ["x"]) is None
    assert not answer_matches(AnswerSpec("expression", "f", variables=("x",)), "2*log(x - x)", "log(x - x)")


def test_label_lists_match_entry_by_entry():
    spec = AnswerSpec("labels", "kinds", labels=("corner", "cusp"), synonyms={"kink": "corner"})
    assert answer_matches(spec, ["kink", "CUSP"], ["corner", "cusp"])
    assert not answer_matches(spec, ["cusp", "corner"], ["corner", "cusp"])
    assert not answer_matches(spec, ["corner"], ["corner", "cusp"])
