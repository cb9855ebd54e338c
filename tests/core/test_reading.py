"""Property tests of the readers: a right value in any accepted form reads back to the
same canonical value, through the sandbox's conversion (the grader's path) and through
the notebook's (the self-check's path) alike; junk never reads as a number."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from calcgrade.core.reading import NoAnswer, Unreadable, plain_value, read_answer
from calcgrade.grader.sandbox.convert import prepare_sympy, to_plain

prepare_sympy()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def same(a, b, rel=1e-6, abs_=1e-3) -> bool:
    """Nested lists of numbers equal within tolerance; anything else exactly."""
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel, abs_) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)
    return a == b


def both_paths(info, value):
    """The reading through the grader's path and the notebook's; they must agree."""
    outcomes = []
    for convert in (to_plain, plain_value):
        try:
            outcomes.append(("read", read_answer(info, convert(value)).value))
        except Unreadable:
            outcomes.append(("unreadable", None))
        except NoAnswer:
            outcomes.append(("none", None))
    assert outcomes[0][0] == outcomes[1][0], (value, outcomes)
    if outcomes[0][0] == "read":
        assert same(outcomes[0][1], outcomes[1][1], 1e-12, 1e-300), value
    return outcomes[0]


def number_forms(value: float) -> list:
    forms = [value, repr(value), f"  {value!r} ", [value], [[value]], np.float64(value),
             np.array(value), np.array([value]), np.float32(value) if abs(value) < 1e30 else value,
             Decimal(repr(value)), sympy.Float(value)]
    if float(value).is_integer():
        forms += [int(value), np.int64(int(value)), sympy.Integer(int(value)), str(int(value))]
    fraction = Fraction(value).limit_denominator(1000)
    forms += [fraction, f"{fraction.numerator}/{fraction.denominator}",
              sympy.Rational(fraction.numerator, fraction.denominator)]
    return forms


@SETTINGS
@given(finite)
def test_a_number_in_any_accepted_form_reads_as_itself(value):
    for form in number_forms(value):
        kind, read = both_paths({"kind": "scalar"}, form)
        assert kind == "read", form
        assert read == pytest.approx(value, rel=1e-6, abs=1e-3), form


@SETTINGS
@given(st.lists(finite, min_size=1, max_size=6))
def test_a_vector_in_any_accepted_form_reads_as_itself(values):
    info = {"kind": "vector", "shape": [len(values)]}
    array = np.array(values)
    forms = [values, tuple(values), array, array.reshape(-1, 1), array.reshape(1, -1),
             [repr(v) for v in values], [[v] for v in values], sympy.Matrix(values),
             array.astype(np.float32) if np.all(np.abs(array) < 1e30) else array]
    for form in forms:
        kind, read = both_paths(info, form)
        assert kind == "read", form
        assert same(read, [float(v) for v in values])


@SETTINGS
@given(st.lists(finite, min_size=1, max_size=5), finite)
def test_one_variable_iterates_in_any_accepted_form_read_as_points(values, start):
    assume(all(abs(v - start) > 1e-3 * (1 + abs(start)) for v in values[:1]))
    info = {"kind": "iterates", "shape": [len(values), 1], "start": [start]}
    points = [[v] for v in values]
    forms = [values, points, np.array(values), np.array(points), [np.array([v]) for v in values],
             [start] + values, np.array([start] + values)]
    for form in forms:
        kind, read = both_paths(info, form)
        assert kind == "read", form
        assert same(read, [[float(v) for v in p] for p in points])


@SETTINGS
@given(st.integers(1, 4), st.integers(2, 3), st.data())
def test_iterates_of_points_read_from_arrays_and_lists_of_arrays(steps, size, data):
    points = [data.draw(st.lists(finite, min_size=size, max_size=size)) for _ in range(steps)]
    info = {"kind": "iterates", "shape": [steps, size]}
    for form in (points, np.array(points), [np.array(p) for p in points], [tuple(p) for p in points]):
        kind, read = both_paths(info, form)
        assert kind == "read" and same(read, [[float(v) for v in p] for p in points])


LABELS = ["minimum", "maximum", "saddle", "inconclusive"]
SYNONYMS = {"min": "minimum", "local minimum": "minimum", "saddle point": "saddle"}


@SETTINGS
@given(st.sampled_from(LABELS + list(SYNONYMS)), st.sampled_from(["", "a ", "an ", "the "]),
       st.sampled_from(["", " point"]), st.sampled_from(["", ".", "!", " ."]),
       st.sampled_from(["", "'", '"']), st.booleans())
def test_a_label_with_quotes_articles_and_punctuation_reads_as_itself(word, article, point, end,
                                                                      quote, upper):
    target = SYNONYMS.get(word, word)
    text = f"{quote}{article}{word}{point}{end}{quote}"
    text = text.upper() if upper else text.capitalize()
    info = {"kind": "label", "labels": LABELS, "synonyms": SYNONYMS}
    assert both_paths(info, text) == ("read", target)
    notebook_info = {**info, "synonyms": sorted(SYNONYMS)}  # the notebook knows only the words
    assert read_answer(notebook_info, text).value in LABELS + list(SYNONYMS)


JUNK = st.one_of(st.none(), st.booleans(), st.just(math.nan), st.just(math.inf),
                 st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                 st.text(alphabet=st.characters(blacklist_categories=("Nd",)), min_size=1).filter(
                     lambda t: any(c.isalpha() for c in t)),
                 st.complex_numbers(allow_nan=False, allow_infinity=False).filter(lambda z: z.imag != 0))


@SETTINGS
@given(JUNK)
def test_junk_never_reads_as_a_number(value):
    kind, _ = both_paths({"kind": "scalar"}, value)
    assert kind in ("unreadable", "none")


@SETTINGS
@given(st.text(max_size=30))
def test_numeric_text_reads_only_when_it_is_a_number(text):
    try:
        value = read_answer({"kind": "scalar"}, text).value
    except (Unreadable, NoAnswer):
        return
    ascii_text = text.replace("\u2212", "-").strip()
    if "/" in ascii_text:
        top, bottom = ascii_text.split("/")
        expected = float(top.replace(" ", "")) / float(bottom.replace(" ", ""))
    else:
        expected = float(ascii_text.replace(" ", ""))
    assert value == pytest.approx(expected)
    assert all(c.isascii() or c == "\u2212" or c.isspace() for c in text)  # ASCII digits only


def test_the_unanswered_and_missing_markers_are_no_answer():
    for value in ({"$marker": "unanswered"}, {"$marker": "missing"}, ...):
        for kind in ("scalar", "vector", "label", "expression"):
            with pytest.raises(NoAnswer):
                read_answer({"kind": kind, "shape": [2], "labels": LABELS}, plain_value(value)
                            if value is Ellipsis else value)


def test_a_start_point_listed_first_is_left_out_with_a_note():
    reading = read_answer({"kind": "iterates", "shape": [2, 2], "start": [1.0, 2.0]},
                          [[1, 2], [0.5, 1.5], [0.25, 1.0]])
    assert reading.value == [[0.5, 1.5], [0.25, 1.0]] and "start point" in reading.note
    with pytest.raises(Unreadable, match="a list of 2 points"):
        read_answer({"kind": "iterates", "shape": [2, 2], "start": [1.0, 2.0]},
                    [[9, 9], [0.5, 1.5], [0.25, 1.0]])


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_a_matrix_in_any_accepted_form_reads_as_itself(rows, cols, data):
    matrix = [data.draw(st.lists(finite, min_size=cols, max_size=cols)) for _ in range(rows)]
    info = {"kind": "matrix", "shape": [rows, cols]}
    forms = [matrix, tuple(tuple(row) for row in matrix), np.array(matrix), sympy.Matrix(matrix),
             [np.array(row) for row in matrix], [[repr(v) for v in row] for row in matrix]]
    for form in forms:
        kind, read = both_paths(info, form)
        assert kind == "read" and same(read, [[float(v) for v in row] for row in matrix]), form


@SETTINGS
@given(st.lists(st.sampled_from(LABELS), min_size=1, max_size=4), st.data())
def test_a_list_of_labels_in_any_accepted_form_reads_as_itself(labels, data):
    info = {"kind": "labels", "shape": [len(labels)], "labels": LABELS, "synonyms": SYNONYMS}
    dressed = [data.draw(st.sampled_from([label, label.upper(), f"a {label} point.", f"'{label}'"]))
               for label in labels]
    for form in (dressed, tuple(dressed), np.array(dressed)):
        assert both_paths(info, form) == ("read", labels)


def _polynomial_forms(a: int, b: int, c: int) -> list[str]:
    def signed(value: int, text: str, unicode_minus: bool = False) -> str:
        minus = "\u2212" if unicode_minus else "-"
        return f" {minus} {abs(value)}{text}" if value < 0 else f" + {value}{text}"

    cdot_x = " \\cdot x"
    return [
        f"{a}*x**2{signed(b, '*x')}{signed(c, '')}",
        f"{a}x^2{signed(b, 'x')}{signed(c, '')}",
        f"f'(x) = {a}*np.power(x, 2){signed(b, '*x')}{signed(c, '')}",
        f"{a}x\u00b2{signed(b, 'x', True)}{signed(c, '', True)}",
        f"$${a} x^{{2}}{signed(b, cdot_x)}{signed(c, '')}$$",
        f"\\frac{{{2 * a} x^{{2}}}}{{2}}{signed(b, ' x')}{signed(c, '')}",
    ]


@SETTINGS
@given(st.integers(-9, 9).filter(bool), st.integers(-9, 9).filter(bool), st.integers(-9, 9))
def test_an_expression_in_any_accepted_notation_reads_as_the_same_function(a, b, c):
    from calcgrade.core.answers import expression_tree
    from calcgrade.core.numeric import evaluate

    info = {"kind": "expression", "variables": ["x"]}
    for text in _polynomial_forms(a, b, c):
        if "np.power" in text:
            continue  # a function the grammar does not know: a format error, not a wrong value
        reading = read_answer(info, text)
        tree = expression_tree(reading.value, ["x"])
        for x in (-2.0, 0.5, 3.0):
            assert evaluate(tree, {"x": x}) == pytest.approx(a * x * x + b * x + c), text


def test_a_remark_in_parentheses_after_a_label_is_left_out():
    info = {"kind": "label", "labels": LABELS, "synonyms": SYNONYMS}
    assert read_answer(info, "min (local)").value == "minimum"
    assert read_answer(info, "A saddle point (indefinite Hessian).").value == "saddle"
    with pytest.raises(Unreadable):
        read_answer(info, "(saddle)")
