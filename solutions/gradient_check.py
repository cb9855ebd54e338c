"""Gradient checking: central finite differences against an analytic gradient.

The numerical gradient of f at θ with step h has entries
(f(θ + h·eᵢ) − f(θ − h·eᵢ)) / (2h); the relative error between it and an analytic gradient
is ‖g_num − g_an‖ / (‖g_num‖ + ‖g_an‖) with Euclidean norms, and an implementation is
judged wrong when that error exceeds a threshold.

>>> g = central_differences(lambda t: t[0] ** 2 + 3 * t[1], [1.0, 2.0], 0.01)
>>> [round(v, 10) for v in g]
[2.0, 3.0]
>>> relative_error([2.0, 3.0], [2.0, 3.0]), relative_error([1.0, 0.0], [0.0, 1.0])
(0.0, 0.7071067811865476)
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

VERDICTS = ("correct", "wrong")


def _shifted(theta: Sequence[float], i: int, by: float) -> list[float]:
    return [float(t) + (by if j == i else 0.0) for j, t in enumerate(theta)]


def central_differences(f: Callable[[list[float]], float], theta: Sequence[float], h: float) -> list[float]:
    """(f(θ + h·eᵢ) − f(θ − h·eᵢ)) / (2h) for each coordinate i."""
    return [(f(_shifted(theta, i, h)) - f(_shifted(theta, i, -h))) / (2 * h) for i in range(len(theta))]


def forward_differences(f: Callable[[list[float]], float], theta: Sequence[float], h: float) -> list[float]:
    """(f(θ + h·eᵢ) − f(θ)) / h: the one-sided difference."""
    here = f([float(t) for t in theta])
    return [(f(_shifted(theta, i, h)) - here) / h for i in range(len(theta))]


def norm(vector: Sequence[float]) -> float:
    """The Euclidean norm."""
    return math.sqrt(math.fsum(v * v for v in vector))


def difference_norm(numerical: Sequence[float], analytic: Sequence[float]) -> float:
    """‖g_num − g_an‖."""
    return norm([a - b for a, b in zip(numerical, analytic)])


def relative_error(numerical: Sequence[float], analytic: Sequence[float]) -> float:
    """‖g_num − g_an‖ / (‖g_num‖ + ‖g_an‖) (0 when both are zero)."""
    total = norm(numerical) + norm(analytic)
    return difference_norm(numerical, analytic) / total if total else 0.0


def verdict(error: float, threshold: float) -> str:
    """'wrong' when the error exceeds the threshold, else 'correct'.

    >>> verdict(1e-9, 1e-5), verdict(0.3, 1e-5)
    ('correct', 'wrong')
    """
    return "wrong" if error > threshold else "correct"


def check_gradient(f: Callable[[list[float]], float], analytic: Sequence[float], theta: Sequence[float],
                   h: float, threshold: float) -> dict:
    """``numerical_gradient``, ``relative_error`` and ``verdict`` for an analytic gradient
    (its values at θ) of f."""
    numerical = central_differences(f, theta, h)
    error = relative_error(numerical, analytic)
    return {"numerical_gradient": numerical, "relative_error": error, "verdict": verdict(error, threshold)}
