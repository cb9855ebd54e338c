"""Stability of gradient descent on a quadratic f(θ) = ½ θᵀAθ with A symmetric positive definite.

Gradient descent θ ← θ − α∇f(θ) = (I − αA)θ shrinks the eigen-component along λ_i by
|1 − αλ_i| per step, so it converges from every start exactly when 0 < α < 2/λmax.
The rate minimizing ρ(α) = max_i |1 − αλ_i| is α* = 2/(λmax + λmin), and ρ(α*) is the
convergence factor (κ − 1)/(κ + 1) with κ = λmax/λmin.

>>> result = analyze([[2, 0], [0, 8]])
>>> result["eigenvalues"], result["max_rate"], result["best_rate"], round(result["factor"], 12)
([2.0, 8.0], 0.25, 0.2, 0.6)
"""

from __future__ import annotations

import numpy as np


def eigenvalues(matrix) -> list[float]:
    """Eigenvalues of a symmetric matrix, ascending (``numpy.linalg.eigvalsh``)."""
    return [float(v) for v in np.linalg.eigvalsh(np.asarray(matrix, dtype=float))]


def from_eigenvalues(values) -> dict:
    """``max_rate``, ``best_rate``, ``factor`` and ``eigenvalues`` from ascending eigenvalues."""
    low, high = values[0], values[-1]
    return {
        "max_rate": 2.0 / high,
        "best_rate": 2.0 / (high + low),
        "factor": (high - low) / (high + low),  # = (κ − 1)/(κ + 1), κ = high/low
        "eigenvalues": list(values),
    }


def analyze(matrix) -> dict:
    """The stability answers for a symmetric positive-definite ``matrix``."""
    return from_eigenvalues(eigenvalues(matrix))
