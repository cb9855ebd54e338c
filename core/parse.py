"""Parse untrusted math text into an expression tree, never with ``eval``.

The notation is rewritten first (:mod:`calcgrade.core.notation`: LaTeX, Unicode, ``np.``
prefixes, a left-hand side such as ``f'(x) =``), then read by the standard-library
grammar in :mod:`calcgrade.core.grammar` (``+ - * / ^ **``, implicit multiplication,
``|x|``, ``e^x``, ``ln``/``log`` (natural), ``sqrt``, ``cbrt``, functions with or without
parentheses: ``sin 2x``, ``sin^2 x``), whose :class:`TreeBuilder` here makes the trees.
The notebook's self-check runs the same grammar with a builder that builds nothing
(:func:`expression_problem`), so both agree on what is readable: the tree builder never
refuses anything the grammar accepted. Only the given variables are allowed; anything
else is an :class:`ExpressionError` that points at the offending character of the text
as typed. Length, nesting depth and the size of exact numbers are limited.

>>> str(parse_expression("3x^2 + e^x", ["x"]))
'3*x**2 + exp(x)'
>>> str(parse_expression(r"f'(x) = \\frac{\\sin x}{2} + |x|", ["x"]))
'0.5*sin(x) + Abs(x)'
>>> parse_expression("__import__('os')", ["x"])
Traceback (most recent call last):
...
calcgrade.core.errors.ExpressionError: unexpected character '_' at column 1: __import__('os')
"""

from __future__ import annotations

from fractions import Fraction
from typing import Iterable

from calcgrade.core import expr as ex
from calcgrade.core import grammar, notation
from calcgrade.core.errors import ExpressionError
from calcgrade.core.grammar import (  # noqa: F401  (re-exported)
    CONSTANT_NAMES, FUNCTION_NAMES, MAX_DEPTH, MAX_LENGTH, MAX_NUMBER_BITS, expression_problem,
)

# the modules whose source, concatenated in this order, gives a notebook
# ``normalise_notation`` and ``expression_problem`` without calcgrade
SELFCHECK_MODULES = (notation, grammar)

_THIRD = ex.Num(Fraction(1, 3))


class TreeBuilder:
    """Builds :mod:`calcgrade.core.expr` trees for the grammar; never refuses.

    Simplification can meet a value it cannot fold (a division by an expression that
    simplifies to 0, a power of a number too large to compute exactly); the node is then
    kept as written, so it evaluates to inf or nan instead of stopping the parse.
    """

    def number(self, value):
        return ex.Num(value)

    def variable(self, name):
        return ex.Sym(name)

    def constant(self, name):
        return ex.E if name == "E" else ex.PI

    def function(self, name, arg):
        if name == "sqrt":
            return self.power(arg, ex.HALF)
        if name == "cbrt":
            return self.power(arg, _THIRD)
        return ex.fn(name, arg)

    def add(self, terms):
        return ex.add(*terms)

    def negate(self, a):
        return self.multiply(ex.MINUS_ONE, a)

    def multiply(self, a, b):
        try:
            return ex.mul(a, b)
        except (ZeroDivisionError, OverflowError):
            return ex.Mul((a, b))

    def divide(self, a, b):
        return self.multiply(a, self.power(b, ex.MINUS_ONE))

    def power(self, base, exponent):
        try:
            return ex.power(base, exponent)
        except (ZeroDivisionError, OverflowError):
            return ex.Pow(base, exponent)


def read_expression(text: str, variables: Iterable[str]) -> ex.Expr:
    """:func:`parse_expression` (the notation is normalised either way)."""
    return parse_expression(text, variables)


def parse_expression(text: str, variables: Iterable[str]) -> ex.Expr:
    """Parse ``text`` allowing only ``variables`` as free symbols."""
    try:
        return grammar.read_with(text, list(variables), TreeBuilder())
    except grammar.GrammarError as error:
        shown = text if isinstance(text, str) else ""
        raise ExpressionError(error.reason, shown, error.position) from None


def tokenize(text: str) -> list[grammar.Token]:
    """The grammar's tokens of ``text`` (already normalised)."""
    try:
        return grammar.tokenize(text)
    except grammar.GrammarError as error:
        raise ExpressionError(error.reason, text, error.position) from None
