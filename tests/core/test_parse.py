"""The safe parser: the notation students write, and everything it must refuse."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pytest

from calcgrade.core.errors import ExpressionError
from calcgrade.core import expr as ex
from calcgrade.core.parse import MAX_DEPTH, parse_expression
from calcgrade.core.numeric import evaluate

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
    ("|x|", ex.fn("Abs", x)),
    ("|x| + |y|", ex.fn("Abs", x) + ex.fn("Abs", y)),
    ("||x| - 1|", ex.fn("Abs", ex.fn("Abs", x) - 1)),
    ("2|x - y|x", 2 * ex.fn("Abs", x - y) * x),
    ("|x|y|y|", ex.fn("Abs", x) * y * ex.fn("Abs", y)),
    ("|(x |y|)|", ex.fn("Abs", x * ex.fn("Abs", y))),
    ("ln|x| + 1", ex.log(ex.fn("Abs", x)) + 1),
    ("sin 2x", ex.fn("sin", 2 * x)),
    ("ln x", ex.log(x)),
    ("sin^2 x", ex.fn("sin", x) ** 2),
    ("sin^2(x)", ex.fn("sin", x) ** 2),
    ("sin x cos x", ex.fn("sin", x) * ex.fn("cos", x)),
    ("ln x + 1", ex.log(x) + 1),
    ("sin x/2", ex.fn("sin", x) / 2),
    ("sin x*y", ex.fn("sin", x) * y),
    ("sin x y", ex.fn("sin", x * y)),
    ("sin x^2", ex.fn("sin", x ** 2)),
    ("sin -x", ex.fn("sin", -x)),
    ("2 sin 3x y + 1", 2 * ex.fn("sin", 3 * x * y) + 1),
    ("x sin x", x * ex.fn("sin", x)),
    ("e^sin x", ex.exp(ex.fn("sin", x))),
    ("sqrt x + 1", ex.sqrt(x) + 1),
    ("sqrt sqrt x", ex.sqrt(ex.sqrt(x))),
    ("sin(x) y", ex.fn("sin", x) * y),
    ("sinx", ex.fn("sin", x)),
    ("sin2x", ex.fn("sin", 2 * x)),
    ("xsinx", x * ex.fn("sin", x)),
    ("sinhx", ex.fn("sinh", x)),
    ("cbrt(x)", ex.power(x, ex.Num(Fraction(1, 3)))),
    ("(x - y)^6000", ex.Pow(x - y, ex.Num(6000))),
    ("x^100000", ex.Pow(x, ex.Num(100000))),
    ("2^1023", ex.Num(2 ** 1023)),
    ("1e-400", ex.Num(Fraction(1, 10 ** 400))),
    ("0e999999999999", ex.ZERO),
    ("(-1)^(10^300)", ex.ONE),
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
    ("sin", "sin needs an argument, e.g. sin(x)"),
    ("x + sin * x", "sin needs an argument"),
    ("sin^-1 x", "sin^-1 is ambiguous"),
    ("sin^x x", "after sin^ write a whole number"),
    ("|x", "missing the closing '|'"),
    ("x|", "a lone '|'"),
    ("|x| + |", "a lone '|'"),
    ("|x + 1) + 2", "expected a closing '|' but found ')'"),
    ("x2", "unknown name 'x2'"),
    ("sinz", "unknown name 'sinz'"),
    ("x ; 1", "unexpected character ';'"),
    ("lambda: 1", "unexpected character ':'"),
    ("9^9^9", "too large to evaluate"),
    ("1e999999999", "too large to evaluate"),
    ("1e4000", "too large to evaluate"),
    ("1e400", "too large to evaluate"),
    ("1e-999999999", "too many digits to evaluate"),
    ("(((((9**64)**64)**64)**64)**64)", "too large to evaluate"),
    ("x^(2^1000 * 2^1000)", "too large to evaluate"),
    ("2^1024", "too large to evaluate"),
    ("(1/3)^-5000", "too large to evaluate"),
    ("9" * 400, "too large to evaluate"),
    ("1/0", "division by zero"),
    ("x/(3 - 1.5*2)", "division by zero"),
    ("0^-1", "division by zero"),
    ("x*(0^(-1/2))", "division by zero"),
    ("٣x", "unexpected character '٣'"),
    ("x" * 3000, "longer than 2000"),
    ("x & y", "unexpected character '&'"),
    ("log(x, 2)", "log(...) takes one argument"),
    ("x, y", "unexpected ','"),
    (r"x + \infty", r"the LaTeX command \infty is not understood"),
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


def test_error_points_at_the_column_as_typed():
    with pytest.raises(ExpressionError) as caught:
        parse_expression("f(x) = x² + foo", ["x"])
    assert caught.value.position == 12 and caught.value.text == "f(x) = x² + foo"
    with pytest.raises(ExpressionError) as caught:
        parse_expression(r"$\frac{x}{2} + \infty$", ["x"])
    assert caught.value.position == 15


def test_a_quotient_that_simplifies_to_zero_still_reads():
    """Only a divisor made of numbers alone is refused; x - x is read and is infinite."""
    tree = parse_expression("1/(x - x) + 1", ["x"])
    assert math.isinf(evaluate(tree, {"x": 0.5}))


@pytest.mark.parametrize("text, value", [
    ("2^1000 x 2^1000", math.inf),
    ("(2x)^6000", 1.0),
    ("-(2x)^6001", -1.0),
    ("x^(10^300)", 0.0),
])
def test_values_beyond_a_float_evaluate_to_inf_not_an_error(text, value):
    tree = parse_expression(text, ["x"])
    assert evaluate(tree, {"x": 0.5}) == value
