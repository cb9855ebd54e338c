"""Partial derivatives of f(x, y[, z]) as expressions and the gradient at a point.

Each partial ∂f/∂v is taken by :func:`calcgrade.solutions.calculus.diff` with the other
variables held constant; the gradient is the list of partials evaluated at the point.
A :class:`~calcgrade.solutions.calculus.Rules` subclass may be passed to model a mistake.

>>> from calcgrade.core.parse import parse_expression
>>> f = parse_expression("x^2*y + exp(x*y)", ["x", "y"])
>>> answers = solve(f, ["x", "y"], [1, 0])
>>> answers["f_x"], answers["f_y"], answers["gradient"]
('2*y*x + exp(x*y)*y', 'x**2 + exp(x*y)*x', [0.0, 2.0])
"""

from __future__ import annotations

import math

from calcgrade.solutions import calculus
from calcgrade.core import expr as ex
from calcgrade.solutions.calculus import Rules
from calcgrade.core.expr import Expr


def answer_name(var: str) -> str:
    """The answer that holds ∂f/∂var: ``f_x``, ``f_y`` or ``f_z``."""
    return f"f_{var}"


def partials(f: Expr, variables, rules_class: type[Rules] = Rules) -> list[Expr]:
    """∂f/∂v for each variable v, in order (a fresh ``rules_class()`` per partial)."""
    return [calculus.diff(f, v, 1, rules_class()) for v in variables]


def value_at(tree: Expr, variables, point) -> float:
    """The real value of ``tree`` at ``point``; nan outside the domain.

    >>> x, y = ex.Sym("x"), ex.Sym("y")
    >>> value_at(ex.log(x) + y, ["x", "y"], [1, 2]), value_at(ex.log(x), ["x"], [-1])
    (2.0, nan)
    """
    return scalar_value(tree, dict(zip(variables, (float(p) for p in point))))


_MATH = {"exp": math.exp, "log": math.log, "sin": math.sin, "cos": math.cos, "tan": math.tan,
         "asin": math.asin, "acos": math.acos, "atan": math.atan, "sinh": math.sinh,
         "cosh": math.cosh, "tanh": math.tanh, "Abs": abs}


def scalar_value(tree: Expr, env: dict) -> float:
    """:func:`expr.evaluate` for real scalars with the ``math`` module (much faster than numpy
    on one point): nan outside the real domain, odd roots of negative numbers real."""
    try:
        value = _scalar(tree, env)
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan
    return value if isinstance(value, float) and math.isfinite(value) else math.nan


def _scalar(tree: Expr, env: dict) -> float:
    if isinstance(tree, ex.Sym):
        return env[tree.name]
    if isinstance(tree, ex.Num):
        return float(tree.value)
    if isinstance(tree, ex.Add):
        return math.fsum(_scalar(t, env) for t in tree.terms)
    if isinstance(tree, ex.Mul):
        out = 1.0
        for factor in tree.factors:
            out *= _scalar(factor, env)
        return out
    if isinstance(tree, ex.Pow):
        base = _scalar(tree.base, env)
        if isinstance(tree.exp, ex.Num):
            e = tree.exp.value
            if e.denominator == 1:
                return float(base ** int(e))
            if e.denominator % 2 == 1:
                return math.copysign(abs(base) ** (1.0 / e.denominator), base) ** e.numerator
            exponent = float(e)
        else:
            exponent = _scalar(tree.exp, env)
        if base < 0 and not float(exponent).is_integer():
            raise ValueError("a real power of a negative number")
        return float(base ** exponent)
    if isinstance(tree, ex.Fn):
        return float(_MATH[tree.name](_scalar(tree.arg, env)))
    if isinstance(tree, ex.Const):
        return ex.Const.VALUES[tree.name]
    raise TypeError(f"cannot evaluate {type(tree).__name__}")


def answers_for(trees: list[Expr], variables, point) -> dict:
    """``f_<v>`` (text) per variable and ``gradient`` (the partials at ``point``)."""
    out: dict = {answer_name(v): str(t) for v, t in zip(variables, trees)}
    out["gradient"] = [value_at(t, variables, point) + 0.0 for t in trees]
    return out


def solve(f: Expr, variables, point) -> dict:
    """The reference answers; raises ``ValueError`` when a partial is undefined at ``point``."""
    answers = answers_for(partials(f, variables), variables, point)
    if not all(math.isfinite(g) for g in answers["gradient"]):
        raise ValueError("a partial derivative is not defined at the point")
    return answers
