"""Where a function of one variable is not differentiable, and what happens there.

Two shapes of function. A sum ``smooth(x) + Σ cᵢ·gᵢ(x − aᵢ)`` of a polynomial and terms at
distinct points aᵢ, each term of one type: ``abs`` |t| (a corner), ``relu`` max(0, t) (a
corner), ``cbrt`` t^(1/3) (a vertical tangent), ``cbrt_sq`` (t²)^(1/3) (a cusp) or ``step``
H(t) = 1 for t ≥ 0, else 0 (a jump). Or a piecewise polynomial: piece i holds on
[breaks[i−1], breaks[i]); a break is a jump when the pieces disagree there, a corner when
only their slopes do, and no point at all when both agree. Arithmetic is exact.

>>> analyze_terms([["abs", 2, 1], ["cbrt", -1, -2]])
{'points': [-2.0, 1.0], 'kinds': ['vertical tangent', 'corner']}
>>> analyze_pieces([{(2,): 1}, {(1,): 2, (0,): -1}, {(0,): 5}], [1, 2])
{'points': [2.0], 'kinds': ['jump']}
>>> relu_subgradient(1, 0, {})
[0.0, 1.0]
"""

from __future__ import annotations

from fractions import Fraction

TERM_KINDS = {"abs": "corner", "relu": "corner", "cbrt": "vertical tangent", "cbrt_sq": "cusp",
              "step": "jump"}
KINDS = ("corner", "cusp", "jump", "vertical tangent")


def poly_value(poly: dict, x) -> Fraction:
    """A polynomial {(e,): c} at x, exactly."""
    x = Fraction(x)
    return sum((Fraction(c) * x**e for (e,), c in poly.items()), Fraction(0))


def poly_slope(poly: dict, x) -> Fraction:
    """The derivative of a polynomial {(e,): c} at x, exactly."""
    x = Fraction(x)
    return sum((Fraction(c) * e * x ** (e - 1) for (e,), c in poly.items() if e), Fraction(0))


def analyze_terms(terms) -> dict:
    """``points`` (the aᵢ, ascending) and ``kinds`` of a sum of terms [type, c, a] (c ≠ 0)."""
    ordered = sorted(terms, key=lambda term: Fraction(term[2]))
    return {"points": [float(a) + 0.0 for _, _, a in ordered],
            "kinds": [TERM_KINDS[kind] for kind, _, _ in ordered]}


def break_kind(left: dict, right: dict, at) -> str | None:
    """'jump', 'corner' or None (differentiable) where ``left`` meets ``right`` at ``at``."""
    if poly_value(left, at) != poly_value(right, at):
        return "jump"
    if poly_slope(left, at) != poly_slope(right, at):
        return "corner"
    return None


def analyze_pieces(pieces, breaks) -> dict:
    """``points`` and ``kinds`` of a piecewise polynomial (len(pieces) = len(breaks) + 1)."""
    points, kinds = [], []
    for k, at in enumerate(breaks):
        kind = break_kind(pieces[k], pieces[k + 1], at)
        if kind:
            points.append(float(at) + 0.0)
            kinds.append(kind)
    return {"points": points, "kinds": kinds}


def relu_subgradient(c, a, smooth: dict) -> list[float]:
    """[low, high]: the subdifferential of smooth(x) + c·max(0, x − a) at x = a, for c > 0.

    The one-sided derivatives there are s′(a) (left) and s′(a) + c (right).
    """
    slope = poly_slope(smooth, a)
    return [float(slope) + 0.0, float(slope + Fraction(c)) + 0.0]
