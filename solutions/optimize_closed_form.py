"""Minimizers in closed form: set the derivative to zero and solve.

Three textbook cases: f(x) = Σ(x − aᵢ)² is smallest at the mean; the coin likelihood
p^k (1 − p)^(n−k) is largest at p = k/n (through its natural log); the least-squares line
minimizes Σ(m xᵢ + b − yᵢ)² (no 1/m factor) and solves the normal equations. Sums are
exact (fractions) until the final floats.

>>> mean_minimum([1, 2, 6])
{'minimizer': 3.0, 'minimum': 14.0}
>>> coin_mle(7, 10)["p_hat"]
0.7
>>> line = least_squares_line([[1, 2], [2, 5], [3, 3]])
>>> line["m"], round(line["b"], 6), round(line["cost"], 6)
(0.5, 2.333333, 4.166667)
"""

from __future__ import annotations

import math
from fractions import Fraction


def _exact(value) -> Fraction:
    return Fraction(value)


def mean_minimum(values) -> dict:
    """``minimizer`` (the mean) and ``minimum`` (Σ(mean − aᵢ)²) of f(x) = Σ(x − aᵢ)²."""
    a = [_exact(v) for v in values]
    mean = sum(a) / len(a)
    return {"minimizer": float(mean), "minimum": float(sum((mean - v) ** 2 for v in a))}


def log_likelihood(heads: int, tosses: int, p: float) -> float:
    """k ln p + (n − k) ln(1 − p), natural log; needs 0 < p < 1."""
    return heads * math.log(p) + (tosses - heads) * math.log1p(-p)


def coin_mle(heads: int, tosses: int) -> dict:
    """``p_hat`` = k/n and ``log_likelihood`` at p_hat (needs 0 < k < n)."""
    p = heads / tosses
    return {"p_hat": p, "log_likelihood": log_likelihood(heads, tosses, p)}


def line_fit(points) -> tuple[Fraction, Fraction]:
    """(m, b) of the least-squares line: m = Sxy / Sxx, b = ȳ − m x̄ (needs two distinct x)."""
    xs = [_exact(p[0]) for p in points]
    ys = [_exact(p[1]) for p in points]
    n = len(xs)
    x_bar, y_bar = sum(xs) / n, sum(ys) / n
    sxx = sum((x - x_bar) ** 2 for x in xs)
    sxy = sum((x - x_bar) * (y - y_bar) for x, y in zip(xs, ys))
    m = sxy / sxx
    return m, y_bar - m * x_bar


def line_cost(points, m, b) -> Fraction:
    """Σ(m xᵢ + b − yᵢ)², exactly for exact inputs."""
    return sum((_exact(m) * _exact(x) + _exact(b) - _exact(y)) ** 2 for x, y in points)


def least_squares_line(points) -> dict:
    """``m``, ``b`` and ``cost`` = min Σ(m xᵢ + b − yᵢ)² over the points [x, y]."""
    m, b = line_fit(points)
    return {"m": float(m), "b": float(b), "cost": float(line_cost(points, m, b))}
