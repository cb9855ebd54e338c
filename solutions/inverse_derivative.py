"""The derivative of an inverse function: (f⁻¹)′(y) = 1 / f′(f⁻¹(y)).

:func:`inverse_at` finds the one x in the domain with f(x) = y by bracketing on a fixed
grid and bisecting (f must be one-to-one there: more than one crossing is an error);
:func:`solve` then differentiates f with the textbook rules.

>>> from calcgrade.core.parse import parse_expression
>>> solve(parse_expression("x^3 + x", ["x"]), 2)
{'x': 1.0, 'derivative': 0.25}
>>> answers = solve(parse_expression("x^2", ["x"]), 9, "negative")
>>> answers["x"], round(answers["derivative"], 6)
(-3.0, -0.166667)
"""

from __future__ import annotations

import math

from calcgrade.solutions import calculus
from calcgrade.solutions.derivative import MemoRules
from calcgrade.core.expr import Expr
from calcgrade.solutions.partial_derivatives import scalar_value

DOMAINS = ("real", "positive", "negative")
_STEPS = [k / 8 for k in range(1, 33)] + [4 + k / 2 for k in range(1, 25)] + \
         [16 * 2 ** (k / 4) for k in range(1, 17)]          # 1/8 ... 256
_POSITIVE = [1e-12, 1e-6, 1e-3, 1 / 64, 1 / 32, 1 / 16] + _STEPS


def grid(domain: str) -> list[float]:
    """The points where f − y is checked for a change of sign, ascending."""
    if domain == "positive":
        return _POSITIVE
    if domain == "negative":
        return [-t for t in reversed(_POSITIVE)]
    return [-t for t in reversed(_STEPS)] + [0.0] + _STEPS


def _g(f: Expr, y: float, x: float) -> float:
    return scalar_value(f, {"x": x}) - y


def inverse_at(f: Expr, y: float, domain: str = "real") -> float:
    """The x in ``domain`` with f(x) = y; ``ValueError`` when there is none or more than one."""
    points = [(x, _g(f, y, x)) for x in grid(domain)]
    points = [(x, v) for x, v in points if math.isfinite(v)]
    brackets = []
    for (a, ga), (b, gb) in zip(points, points[1:]):
        if ga == 0:
            brackets.append((a, a))
        elif ga * gb < 0:
            brackets.append((a, b))
    if points and points[-1][1] == 0:
        brackets.append((points[-1][0],) * 2)
    if not brackets:
        raise ValueError("y is not a value of f on the domain")
    if len(brackets) > 1:
        raise ValueError("f takes the value y more than once on the domain (not one-to-one)")
    a, b = brackets[0]
    ga = _g(f, y, a)
    for _ in range(200):
        if a == b:
            break
        m = (a + b) / 2
        if m in (a, b):
            break
        gm = _g(f, y, m)
        if not math.isfinite(gm):
            raise ValueError("f is not continuous on the domain")
        if gm == 0:
            a = b = m
        elif (gm < 0) == (ga < 0):
            a, ga = m, gm
        else:
            b = m
    x = a if abs(_g(f, y, a)) <= abs(_g(f, y, b)) else b
    nice = round(x, 9)
    if abs(_g(f, y, nice)) <= abs(_g(f, y, x)):
        x = nice
    return x + 0.0


def derivative(f: Expr) -> Expr:
    """f′ by the textbook rules."""
    return calculus.diff(f, "x", 1, MemoRules())


def solve(f: Expr, y: float, domain: str = "real") -> dict:
    """``x`` = f⁻¹(y) and ``derivative`` = 1 / f′(x); ``ValueError`` when f′(x) = 0 or undefined."""
    x = inverse_at(f, y, domain)
    slope = scalar_value(derivative(f), {"x": x})
    if not math.isfinite(slope) or slope == 0:
        raise ValueError("f′ is zero or undefined at f⁻¹(y), so f⁻¹ is not differentiable there")
    return {"x": x, "derivative": 1.0 / slope}
