"""The tangent plane of z = f(x, y) at (a, b) and the linear approximation it gives.

The plane is z = f(a, b) + f_x(a, b)(x − a) + f_y(a, b)(y − b); its value at a nearby
point (x1, y1) approximates f(x1, y1).

>>> from calcgrade.core.parse import parse_expression
>>> f = parse_expression("x^2 + y^2", ["x", "y"])
>>> answers = solve(f, [1, 2], [1.1, 1.9])
>>> answers["value"], answers["slope_x"], answers["slope_y"], round(answers["approximation"], 12)
(5.0, 2.0, 4.0, 4.8)
"""

from __future__ import annotations

import math

from calcgrade.solutions import partial_derivatives as pd
from calcgrade.core.expr import Expr

VARIABLES = ("x", "y")


def plane_value(value: float, slopes, point, at) -> float:
    """The plane z = value + Σ slope_i (at_i − point_i) evaluated at ``at``."""
    return math.fsum([value] + [s * (q - p) for s, p, q in zip(slopes, point, at)]) + 0.0


def answers_from(f: Expr, partials: list[Expr], point, near) -> dict:
    """``value``, ``slope_x``, ``slope_y`` and ``approximation`` from f and its partials."""
    value = pd.value_at(f, VARIABLES, point) + 0.0
    slopes = [pd.value_at(p, VARIABLES, point) + 0.0 for p in partials]
    return {"value": value, "slope_x": slopes[0], "slope_y": slopes[1],
            "approximation": plane_value(value, slopes, point, near)}


def solve(f: Expr, point, near) -> dict:
    """The reference answers; raises ``ValueError`` when f or a partial is undefined at ``point``."""
    answers = answers_from(f, pd.partials(f, VARIABLES), point, near)
    if not all(math.isfinite(v) for v in answers.values()):
        raise ValueError("f or a partial derivative is not defined at the point")
    return answers
