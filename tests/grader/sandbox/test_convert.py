"""Conversion of student objects to plain JSON data, and markers."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import sympy

from calcgrade.grader.sandbox.convert import (COMPLEX, INF, MARKER, NAN, NEG_INF, TOO_LARGE,
                                              UNANSWERED, UNCONVERTIBLE, marker, marker_kind,
                                              restore, to_plain)


def kind(value):
    return marker_kind(to_plain(value))


@pytest.mark.parametrize("value, expected", [
    (None, None), (True, True), (False, False), (3, 3), (-2.5, -2.5), ("3x^2", "3x^2"),
    ([1, 2.5, "a"], [1, 2.5, "a"]), ((1, (2, 3)), [1, [2, 3]]),
    ({"a": [1.0], "b": None}, {"a": [1.0], "b": None}),
    (np.float64(0.25), 0.25), (np.float32(0.5), 0.5), (np.int64(-7), -7), (np.uint8(200), 200),
    (np.bool_(True), True), (np.str_("minimum"), "minimum"), (np.longdouble(1.5), 1.5),
    (np.array([[1.0, 2.0], [3.0, 4.0]]), [[1.0, 2.0], [3.0, 4.0]]),
    (np.array([1, 2, 3]), [1, 2, 3]), (np.array([True, False]), [True, False]),
    (np.array(2.5), 2.5), (np.array([[1, 2]]).view(np.matrix), [[1, 2]]), (np.array(["a", "b"]), ["a", "b"]),
    (np.float16(0.5), 0.5), (Fraction(1, 4), 0.25), (Decimal("0.5"), 0.5),
    (sympy.Integer(12), 12), (sympy.Rational(1, 2), 0.5), (sympy.Float(2.5), 2.5),
    (sympy.S.true, True), (sympy.Matrix([[1, 2], [3, 4]]), [[1, 2], [3, 4]]),
])
def test_plain_values_come_back_as_data(value, expected):
    converted = to_plain(value)
    assert converted == expected
    assert type(converted) is type(expected)
    json.dumps(converted, allow_nan=False)  # always valid JSON


def test_sympy_expressions_become_python_syntax_text():
    x, y = sympy.symbols("x y")
    assert to_plain(sympy.diff(x**3 * sympy.exp(x), x)) == "x**3*exp(x) + 3*x**2*exp(x)"
    assert to_plain(sympy.sqrt(2)) == pytest.approx(2 ** 0.5)  # exact constants: evaluated here
    assert to_plain([2 * sympy.E, sympy.Rational(7, 3)]) == pytest.approx([2 * np.e, 7 / 3])
    assert to_plain(sympy.Matrix([[1, sympy.sqrt(2) / 2]]))[0] == pytest.approx([1, 2 ** -0.5])
    assert to_plain(sympy.sqrt(-2)) == {MARKER: COMPLEX, "real": 0.0, "imag": pytest.approx(2 ** 0.5)}
    assert to_plain(sympy.log(x) + y) == "y + log(x)"
    assert to_plain([x**2, 2 * x]) == ["x**2", "2*x"]
    assert to_plain(np.array([x, 2 * x], dtype=object)) == ["x", "2*x"]
    f = sympy.Function("f")
    assert to_plain(f(x)) == "f(x)"


def test_functions_become_function_markers():
    assert to_plain(lambda z: z)[MARKER] == "function"
    assert to_plain(np.sin)[MARKER] == "function"

    def f(z):
        return z
    assert to_plain([f])[0] == {MARKER: "function", "type": "function"}


def test_non_finite_and_complex_values_become_markers():
    assert to_plain(float("nan")) == marker(NAN)
    assert to_plain(np.inf) == marker(INF)
    assert to_plain(-np.float32("inf")) == marker(NEG_INF)
    assert to_plain(np.array([1.0, np.nan, -np.inf])) == [1.0, marker(NAN), marker(NEG_INF)]
    assert to_plain(1 + 2j) == {MARKER: COMPLEX, "real": 1.0, "imag": 2.0}
    assert to_plain(np.array([1j]))[0] == {MARKER: COMPLEX, "real": 0.0, "imag": 1.0}
    assert to_plain(complex(math.nan, 1)) == {MARKER: COMPLEX, "real": marker(NAN), "imag": 1.0}
    assert kind(sympy.nan) == NAN and kind(sympy.oo) == INF and kind(-sympy.oo) == NEG_INF
    assert to_plain(...) == marker(UNANSWERED)
    assert to_plain([1, ...]) == [1, marker(UNANSWERED)]


class Liar:
    """Claims to be every number and iterates like a vector."""

    def __float__(self):
        return 1.0

    def __int__(self):
        return 1

    def __index__(self):
        return 1

    def __eq__(self, other):
        return True

    def __iter__(self):
        return iter([1.0, 2.0])

    def __len__(self):
        return 2

    def __str__(self):
        return "1.0"


class FloatChild(float):
    def __eq__(self, other):
        return True


class ListChild(list):
    pass


class DictChild(dict):
    pass


class SympyImpostor(sympy.Symbol):
    def __float__(self):
        return 0.5


class NumpyFloatChild(np.float64):
    pass


@pytest.mark.parametrize("value", [
    Liar(), FloatChild(2.0), ListChild([1.0]), DictChild(a=1), NumpyFloatChild(1.0),
    {1, 2}, frozenset(), b"bytes", np, object(), type, np.datetime64("2024-01-01"),
    np.array([np.datetime64("2024-01-01")]),
])
def test_objects_of_unknown_types_never_become_numbers(value):
    converted = to_plain(value)
    assert marker_kind(converted) == UNCONVERTIBLE
    assert isinstance(converted["type"], str)


def test_a_sympy_subclass_is_at_most_text_never_a_number():
    converted = to_plain(SympyImpostor("x"))
    assert converted == "x" or marker_kind(converted) == UNCONVERTIBLE


def test_an_object_faking_its_class_is_not_trusted():
    class Faker:
        __class__ = float  # isinstance(Faker(), float) is True

        def __float__(self):
            return 3.0

    assert isinstance(Faker(), float)
    assert marker_kind(to_plain(Faker())) == UNCONVERTIBLE
    assert marker_kind(to_plain([Faker()])[0]) == UNCONVERTIBLE


def test_rebinding_library_functions_does_not_change_conversion(monkeypatch):
    monkeypatch.setattr(np, "isfinite", lambda value: np.ones(np.shape(value), dtype=bool))
    monkeypatch.setattr(np, "asarray", lambda *a, **k: np.array([42.0]))
    monkeypatch.setattr(json, "dumps", lambda *a, **k: "42")
    assert to_plain(np.array([np.nan])) == [marker(NAN)]
    assert marker_kind(to_plain(Liar())) == UNCONVERTIBLE


def test_dict_keys_must_be_strings_and_not_the_marker_key():
    assert marker_kind(to_plain({1: 2.0})) == UNCONVERTIBLE
    assert marker_kind(to_plain({MARKER: "nan"})) == UNCONVERTIBLE
    assert to_plain({"ok": {"inner": 1}}) == {"ok": {"inner": 1}}


def test_size_and_depth_are_capped():
    assert to_plain(np.zeros(200_000)) == marker(TOO_LARGE, type="numpy.ndarray")
    assert to_plain(list(range(10)), max_items=5) == marker(TOO_LARGE, type="list")
    nested = []
    for _ in range(100):
        nested = [nested]
    assert marker_kind(to_plain(nested)) == TOO_LARGE
    loop = []
    loop.append(loop)
    assert marker_kind(to_plain(loop)) == TOO_LARGE
    assert marker_kind(to_plain("x" * 200_000)) == TOO_LARGE
    assert to_plain(2**100) == float(2**100)
    assert marker_kind(to_plain(10**400)) == TOO_LARGE


def test_strings_always_encode_as_utf8():
    converted = to_plain("bad \ud800 surrogate")
    converted.encode("utf-8")
    assert converted.startswith("bad ")


def test_restore_turns_markers_back_into_python_numbers():
    data = to_plain({"v": np.array([1.0, np.nan, np.inf]), "c": 2 - 1j, "e": ...})
    back = restore(data)
    assert back["v"][0] == 1.0 and math.isnan(back["v"][1]) and back["v"][2] == math.inf
    assert back["c"] == 2 - 1j
    assert marker_kind(back["e"]) == UNANSWERED
    assert marker_kind([1]) is None and marker_kind({"a": 1}) is None
