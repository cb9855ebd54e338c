"""Second derivative, inflection points and concavity intervals of a one-variable function.

An inflection point is where f″ changes sign. For a polynomial of degree at most 4, f″ has
degree at most 2 and its sign changes are found exactly (a double root of f″ is no
inflection point). Otherwise f″ is scanned on a grid for sign changes, refined by
bisection: for a polynomial on an interval that holds all its real roots (Cauchy's
bound), else on [−20, 20]. ``concavity`` has one label per interval between consecutive
inflection points, left to right.

>>> from calcgrade.core.parse import parse_expression
>>> answers = solve(parse_expression("x^4 - 6x^2", ["x"]))
>>> answers["second_derivative"], answers["inflection_points"]
('12*x**2 - 12', [-1.0, 1.0])
>>> answers["concavity"]
['concave up', 'concave down', 'concave up']
>>> solve(parse_expression("x^4", ["x"]))["inflection_points"]
[]
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.solutions.derivative import MemoRules
from calcgrade.core.expr import Expr
from calcgrade.solutions.hessian import poly_from_expr
from calcgrade.solutions.partial_derivatives import scalar_value
from calcgrade.core.numeric import compile_numeric

LABELS = ("concave up", "concave down")
WINDOW = 20.0      # where non-polynomial f″ is scanned
GRID = 2048        # grid intervals of a scan


def second_derivative(f: Expr) -> Expr:
    """f″ by the textbook rules."""
    rules = MemoRules()
    return calculus.diff(f, "x", 2, rules)


def coefficients(f: Expr) -> list[Fraction] | None:
    """f's coefficients, constant first, when f is a polynomial in x (else None)."""
    poly = poly_from_expr(f, ["x"])
    if poly is None:
        return None
    degree = max((m[0] for m in poly), default=0)
    out = [Fraction(0)] * (degree + 1)
    for (k,), c in poly.items():
        out[k] = Fraction(c)
    return out


def derivative_coefficients(coeffs: list[Fraction]) -> list[Fraction]:
    """The coefficients of the derivative of a polynomial."""
    return [k * c for k, c in enumerate(coeffs)][1:] or [Fraction(0)]


def _trim(coeffs):
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs.pop()
    return coeffs


def _exact_sign_changes(p: list[Fraction]) -> list[float] | None:
    """Where a polynomial of degree <= 2 changes sign, ascending; None for a higher degree."""
    p = _trim(p)
    if len(p) == 2:
        return [float(-p[0] / p[1]) + 0.0]
    if len(p) == 3:
        c, b, a = p
        disc = b * b - 4 * a * c
        if disc <= 0:
            return []  # no real root, or a double root where the sign does not change
        root = math.sqrt(disc)
        return sorted(float((-b - s * root) / (2 * a)) + 0.0 for s in (1, -1))
    return [] if len(p) == 1 else None


def cauchy_bound(p: list[Fraction]) -> float:
    """Every real root of the polynomial lies in [−bound, bound]."""
    p = _trim(p)
    return 1.0 + float(max(abs(c / p[-1]) for c in p[:-1])) if len(p) > 1 else 1.0


def scan_sign_changes(tree: Expr, low: float, high: float, grid: int = GRID) -> list[float]:
    """Points in [low, high] where ``tree`` changes sign (refined by bisection), ascending."""
    xs = np.linspace(low, high, grid + 1)
    with np.errstate(all="ignore"):
        ys = np.broadcast_to(np.asarray(compile_numeric(tree)({"x": xs}), dtype=float), xs.shape)
    keep = np.isfinite(ys) & (ys != 0)
    signed = list(zip(xs[keep].tolist(), ys[keep].tolist()))
    out = []
    for (a, va), (b, vb) in zip(signed, signed[1:]):
        if (va < 0) != (vb < 0):
            out.append(_bisect(tree, a, b, va))
    return out


def _bisect(tree: Expr, a: float, b: float, va: float) -> float:
    for _ in range(200):
        m = (a + b) / 2
        if m in (a, b):
            break
        vm = scalar_value(tree, {"x": m})
        if vm == 0:
            return _tidy(m)
        if (vm < 0) == (va < 0):
            a, va = m, vm
        else:
            b = m
    return _tidy((a + b) / 2)


def _tidy(x: float) -> float:
    nice = round(x, 9)
    return nice + 0.0 if abs(nice - x) < 1e-9 else x + 0.0


def sign_changes(tree: Expr, coeffs: list[Fraction] | None) -> list[float]:
    """Where ``tree`` (with its coefficients when a polynomial) changes sign, ascending."""
    if coeffs is not None:
        exact = _exact_sign_changes(coeffs)
        if exact is not None:
            return exact
        bound = cauchy_bound(coeffs)
        return scan_sign_changes(tree, -bound, bound, GRID * 4)
    return scan_sign_changes(tree, -WINDOW, WINDOW)


def label_at(tree: Expr, low: float, high: float) -> str:
    """The concavity on (low, high): the sign of f″ at interior points (the first nonzero)."""
    for t in (0.5, 0.3, 0.7, 0.1, 0.9):
        value = scalar_value(tree, {"x": low + t * (high - low)})
        if math.isfinite(value) and value != 0:
            return LABELS[0] if value > 0 else LABELS[1]
    raise ValueError("f″ is zero or undefined on a whole interval")


def labels(tree: Expr, points: list[float]) -> list[str]:
    """One concavity label per interval between consecutive ``points`` (and beyond them)."""
    if not points:
        return [label_at(tree, -2.0, 2.0)]
    edges = [points[0] - 2.0] + list(points) + [points[-1] + 2.0]
    return [label_at(tree, a, b) for a, b in zip(edges, edges[1:])]


def solve(f: Expr) -> dict:
    """``second_derivative`` (text), ``inflection_points`` (ascending) and ``concavity``.

    Raises ``ValueError`` when f″ is identically zero or undefined on a whole interval.
    """
    second = second_derivative(f)
    coeffs = coefficients(f)
    second_coeffs = derivative_coefficients(derivative_coefficients(coeffs)) if coeffs else None
    if second_coeffs is not None and all(c == 0 for c in second_coeffs):
        raise ValueError("f″ is zero everywhere: f is linear, with no concavity")
    points = sign_changes(second, second_coeffs)
    return {"second_derivative": str(second), "inflection_points": points,
            "concavity": labels(second, points)}
