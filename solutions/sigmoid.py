"""The sigmoid, its derivative and one logistic unit under log-loss (DESIGN §8).

>>> round(sigmoid(0.0), 6), round(sigmoid_prime(0.0), 6)
(0.5, 0.25)
>>> unit = logistic_unit([1.0, 2.0], [0.5, -0.25], 0.0, 1)
>>> unit["z"], round(unit["loss"], 6)
(0.0, 0.693147)
"""

from __future__ import annotations

import math


def sigmoid(z: float) -> float:
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for large |z|."""
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def sigmoid_prime(z: float) -> float:
    """σ′(z) = σ(z)(1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def log_loss_from_logit(z: float, y: int) -> float:
    """−[y ln σ(z) + (1−y) ln(1−σ(z))] = ln(1 + e^z) − y z, stable for any z."""
    softplus = max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    return softplus - y * z


def logistic_unit(x: list[float], w: list[float], b: float, y: int) -> dict:
    """Forward and backward pass of one example: z = w·x + b, ŷ = σ(z), log-loss L.

    ∂L/∂w = (ŷ − y) x and ∂L/∂b = ŷ − y.
    """
    z = math.fsum(wi * xi for wi, xi in zip(w, x)) + b
    y_hat = sigmoid(z)
    error = y_hat - y
    return {
        "z": z,
        "y_hat": y_hat,
        "loss": log_loss_from_logit(z, y),
        "sigmoid_prime": sigmoid_prime(z),
        "grad_w": [error * xi for xi in x],
        "grad_b": error,
    }


def sigmoid_array(z):
    """σ elementwise on a number or numpy array, never overflowing (e^(−|z|) ≤ 1).

    >>> import numpy as np
    >>> sigmoid_array(np.array([-800.0, 0.0, 800.0])).tolist()
    [0.0, 0.5, 1.0]
    """
    import numpy as np

    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_prime_array(z):
    """σ′ = σ(1 − σ) elementwise, stable for any z."""
    s = sigmoid_array(z)
    return s * (1.0 - s)
