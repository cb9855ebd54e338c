"""The second-order Taylor polynomial of f(x, y) at (a, b) and its value at a nearby point.

With d = (x − a, y − b), g = ∇f(a, b) and H the Hessian at (a, b):

    T(x, y) = f(a, b) + g·d + ½ dᵀ H d
            = f + f_x (x − a) + f_y (y − b)
              + ½ [f_xx (x − a)² + 2 f_xy (x − a)(y − b) + f_yy (y − b)²].

``half`` and ``cross`` are the factor before the bracket and the factor of the mixed term
inside it (½ and 2 when right), so that the mistakes are the same formula with another
factor; ``second=False`` gives the first-order (tangent plane) part alone.

>>> from calcgrade.core.parse import parse_expression
>>> at = derivatives(parse_expression("x^2*y + y^3", ["x", "y"]), [1, 2])
>>> at
{'value': 10.0, 'gradient': [4.0, 13.0], 'hessian': [[4.0, 2.0], [2.0, 12.0]]}
>>> polynomial_text(at, [1, 2])
'10 + 4*(x - 1) + 13*(y - 2) + 2*(x - 1)**2 + 2*(x - 1)*(y - 2) + 6*(y - 2)**2'
>>> round(polynomial_value(at, [1, 2], [1.1, 1.9]), 10)  # f(1.1, 1.9) = 9.158
9.16
"""

from __future__ import annotations

import math

from calcgrade.core.expr import Expr
from calcgrade.solutions import calculus
from calcgrade.solutions import partial_derivatives as pd

VARIABLES = ("x", "y")


def derivatives(f: Expr, point) -> dict:
    """``value``, ``gradient`` and ``hessian`` of f at ``point`` (floats, nan where undefined)."""
    first = calculus.gradient(f, list(VARIABLES))
    second = [[calculus.diff(first[0], "x"), calculus.diff(first[0], "y")], [None, calculus.diff(first[1], "y")]]
    fxx, fxy, fyy = (pd.value_at(t, VARIABLES, point) + 0.0 for t in (second[0][0], second[0][1], second[1][1]))
    return {"value": pd.value_at(f, VARIABLES, point) + 0.0,
            "gradient": [pd.value_at(t, VARIABLES, point) + 0.0 for t in first],
            "hessian": [[fxx, fxy], [fxy, fyy]]}


def coefficients(at: dict, *, half: float = 0.5, cross: float = 2.0, second: bool = True) -> list[float]:
    """[1, (x − a), (y − b), (x − a)², (x − a)(y − b), (y − b)²] coefficients of T."""
    (hxx, hxy), (_, hyy) = at["hessian"]
    quadratic = [half * hxx, half * cross * hxy, half * hyy] if second else [0.0, 0.0, 0.0]
    return [at["value"], *at["gradient"], *(c + 0.0 for c in quadratic)]


def polynomial_value(at: dict, point, near, **factors) -> float:
    """T at ``near``."""
    dx, dy = near[0] - point[0], near[1] - point[1]
    c = coefficients(at, **factors)
    return math.fsum([c[0], c[1] * dx, c[2] * dy, c[3] * dx * dx, c[4] * dx * dy, c[5] * dy * dy]) + 0.0


def _number(value: float) -> str:
    value = round(value, 12) + 0.0
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _shift(name: str, at: float) -> str:
    if at == 0:
        return name
    return f"({name} - {_number(at)})" if at > 0 else f"({name} + {_number(-at)})"


def polynomial_text(at: dict, point, **factors) -> str:
    """T as text in Python syntax, powers of (x − a) and (y − b), zero terms left out."""
    dx, dy = _shift("x", point[0]), _shift("y", point[1])
    monomials = ["", dx, dy, f"{dx}**2", f"{dx}*{dy}", f"{dy}**2"]
    out = ""
    for c, mono in zip(coefficients(at, **factors), monomials):
        if c == 0:
            continue
        size = _number(abs(c))
        body = size if not mono else mono if size == "1" else f"{size}*{mono}"
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out or "0"
