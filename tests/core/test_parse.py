"""The safe parser: the notation students write, and everything it must refuse."""

from __future__ import annotations

import re

import pytest

from calcgrade.core.errors import ExpressionError
from calcgrade.core import expr as ex
from calcgrade.core.parse import MAX_DEPTH, parse_expression

x, y = ex.Sym("x"), ex.Sym("y")


@pytest.mark.parametrize("text, expected", [
    ("3x^2", 3 * x ** 2),
    ("3*x**2", 3 * x ** 2),
    ("e^x", ex.exp(x)),
    ("E**x", ex.exp(x)),
    ("exp(x)", ex.exp(x)),
    ("ln(x)", ex.log(x)),
    ("log(x)", ex.log(x)),
    ("x*exp(x) + exp(x)", x * ex.exp(x) + ex.exp(x)),
    ("2(x+1)", 2 * (x + 1)),
    ("(x+1)(x-1)", (x + 1) * (x - 1)),
    ("xy", x * y),
    ("x y", x * y),
    ("2xy^2", 2 * x * y ** 2),
    ("-x^2", -(x ** 2)),
    ("2^-1", ex.Num(1) / 2),
    ("x^2^3", x ** 8),
    ("sqrt(x)", ex.sqrt(x)),
    ("1.5e-3x", ex.as_expr(0.0015) * x),
    (".5x", x / 2),
    ("sin(x)^2 + cos(x)^2", ex.fn("sin", x) ** 2 + ex.fn("cos", x) ** 2),
    ("arctan(x)", ex.fn("atan", x)),
    ("abs(x)", ex.fn("Abs", x)),
    ("pi*x", ex.PI * x),
])
def test_accepted_notation(text, expected):
    assert parse_expression(text, ["x", "y"]) == expected


@pytest.mark.parametrize("text, fragment", [
    ("__import__('os').system('x')", "unexpected character '_' at column 1"),
    ("x.real", "unexpected character '.' at column 2"),
    ("os", "unknown name 'os'"),
    ("z + 1", "unknown name 'z'"),
    ("x +", "ends too early"),
    ("(x + 1", "missing ')'"),
    ("x + 1)", "unexpected ')'"),
    ("", "empty"),
    ("   ", "empty"),
    ("sin x", "sin needs parentheses"),
    ("x ; 1", "unexpected character ';'"),
    ("lambda: 1", "unexpected character ':'"),
    ("9^9^9", "exponent is too large"),
    ("x^100000", "exponent is too large"),
    ("1/0", "division by zero"),
    ("x" * 3000, "longer than 2000"),
    ("[x]", "unexpected character '['"),
    ("f(x)", "unknown name 'f'"),
])
def test_refused_text_names_the_problem(text, fragment):
    with pytest.raises(ExpressionError, match=re.escape(fragment)):
        parse_expression(text, ["x", "y"])


@pytest.mark.parametrize("nested", [
    "(" * 900 + "x" + ")" * 900,
    "-" * 1500 + "x",
    "x" + "^x" * 900,
    "exp(" * 300 + "x" + ")" * 300,
])
def test_deep_nesting_is_refused_without_recursion_errors(nested):
    with pytest.raises(ExpressionError, match=f"nested more than {MAX_DEPTH}"):
        parse_expression(nested, ["x"])


def test_non_text_is_refused():
    with pytest.raises(ExpressionError, match="must be text"):
        parse_expression(42, ["x"])


def test_error_points_at_the_column():
    with pytest.raises(ExpressionError) as caught:
        parse_expression("x + foo", ["x"])
    assert caught.value.position == 4
