"""Stationary points of a polynomial in one variable, classified by the higher-order test.

A polynomial is a list of exact coefficients, lowest degree first. Stationary points are
the roots of f′; they are found exactly by the rational root theorem (integer arithmetic),
and a real root that is not rational raises ``ValueError``. Each point is classified by
the first derivative of order n ≥ 2 that is non-zero there: n even → "local minimum"
when it is positive, "local maximum" when negative; n odd → "neither". (n = 2 is the
second-derivative test.)

>>> from fractions import Fraction
>>> analyze([0, 0, 0, 0, Fraction(1, 4), Fraction(-1, 5)])  # x⁴/4 − x⁵/5: f′ = x³(1 − x)
{'points': [0.0, 1.0], 'labels': ['local minimum', 'local maximum']}
>>> analyze([0, 0, 0, 1])["labels"]  # x³
['neither']
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

LABELS = ("local minimum", "local maximum", "neither")


def derivative(coeffs) -> list:
    """The coefficients of the derivative."""
    return [k * c for k, c in enumerate(coeffs)][1:]


def evaluate(coeffs, x):
    """The polynomial at ``x`` (Horner's scheme; exact for exact inputs)."""
    out = 0
    for c in reversed(coeffs):
        out = out * x + c
    return out


def trim(coeffs) -> list:
    """Without trailing zero coefficients."""
    coeffs = list(coeffs)
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
    return coeffs


def _integer(coeffs) -> list[int]:
    """A whole-number multiple of the coefficients (same roots)."""
    scale = math.lcm(*(Fraction(c).denominator for c in coeffs))
    return [int(Fraction(c) * scale) for c in coeffs]


def _divisors(n: int) -> list[int]:
    n = abs(n)
    small = [d for d in range(1, math.isqrt(n) + 1) if n % d == 0]
    return sorted(set(small + [n // d for d in small]))


def _is_root(ints: list[int], p: int, q: int) -> bool:
    """Whether p/q is a root of the integer polynomial: Σ a_k p^k q^(n−k) = 0."""
    n = len(ints) - 1
    return sum(a * p**k * q ** (n - k) for k, a in enumerate(ints)) == 0


def _deflate(coeffs, r) -> tuple[list, object]:
    """(quotient, remainder) of the division by (x − r) (synthetic division)."""
    out, carry = [], 0
    for c in reversed(coeffs):
        carry = carry * r + c
        out.append(carry)
    remainder = out.pop()
    return list(reversed(out)), remainder


def rational_roots(coeffs) -> tuple[list[tuple[Fraction, int]], list]:
    """The rational roots with their multiplicities, ascending, and the polynomial left over."""
    rest = trim(Fraction(c) for c in coeffs)
    roots = []
    zeros = 0
    while len(rest) > 1 and rest[0] == 0:
        rest, zeros = rest[1:], zeros + 1
    if zeros:
        roots.append((Fraction(0), zeros))
    if len(rest) > 1:
        ints = _integer(rest)
        candidates = [(sign * p, q) for q in _divisors(ints[-1]) for p in _divisors(ints[0])
                      if math.gcd(p, q) == 1 for sign in (1, -1)]
        for candidate, q in candidates:
            if len(rest) == 1:
                break  # every root found
            if _is_root(ints, candidate, q):
                r, count = Fraction(candidate, q), 0
                while len(rest) > 1:
                    quotient, remainder = _deflate(rest, r)
                    if remainder != 0:
                        break
                    rest, count = quotient, count + 1
                roots.append((r, count))
    return sorted(roots), rest


def has_real_root(coeffs) -> bool:
    """Whether a polynomial (no rational roots) has a real root: odd degree, or numerically."""
    degree = len(coeffs) - 1
    if degree <= 0:
        return False
    if degree % 2:
        return True
    if degree == 2:
        c, b, a = coeffs
        return b * b - 4 * a * c >= 0
    values = np.roots([float(c) for c in reversed(coeffs)])
    return bool(np.any(np.abs(values.imag) <= 1e-9 * max(1.0, float(np.max(np.abs(values))))))


def stationary_points(coeffs) -> list[tuple[Fraction, int]]:
    """The roots of f′ with their multiplicities, ascending; ValueError when one is irrational."""
    first = trim(derivative(coeffs))
    if len(first) < 2:
        raise ValueError("f′ is constant, so f has no isolated stationary points")
    roots, rest = rational_roots(first)
    if has_real_root(rest):
        raise ValueError("f′ has a real root that is not a rational number")
    return roots


def classify(coeffs, x) -> str:
    """The higher-order test at a stationary point ``x``."""
    current = derivative(derivative(coeffs))
    order = 2
    while current:
        value = evaluate(current, x)
        if value != 0:
            if order % 2:
                return "neither"
            return "local minimum" if value > 0 else "local maximum"
        current, order = derivative(current), order + 1
    raise ValueError("every derivative vanishes: f is constant")


def analyze(coeffs) -> dict:
    """``points`` (ascending) and ``labels`` (one per point) of the polynomial f."""
    coeffs = [Fraction(c) for c in coeffs]
    roots = stationary_points(coeffs)
    return {"points": [float(r) + 0.0 for r, _ in roots],
            "labels": [classify(coeffs, r) for r, _ in roots]}
