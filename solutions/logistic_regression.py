"""Batch logistic regression: log-loss, its gradient, gradient descent and one Newton step.

Labels are 0/1, ŷ = σ(Xw + b), J = −1/m Σ[y ln ŷ + (1−y) ln(1−ŷ)] (natural log, DESIGN §8).
Parameters are θ = [w..., b] and A = [X | 1] (ones column last), so ∇J = 1/m Aᵀ(ŷ − y),
the Hessian is H = 1/m AᵀSA with S = diag(ŷ(1 − ŷ)), and Newton's step is θ − H⁻¹∇J,
computed by solving H·Δ = ∇J.

>>> X, y = [[0], [1], [2]], [0, 1, 0]
>>> round(loss(X, y, [0, 0]), 6), gradient(X, y, [0, 0])
(0.693147, [0.16666666666666666, 0.16666666666666666])
>>> [round(v, 6) for v in newton_step(X, y, [0, 0])]
[0.0, -0.666667]
>>> separable(X, y), separable([[0], [1], [2]], [0, 1, 1])
(False, True)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from calcgrade.solutions.sigmoid import log_loss_from_logit, sigmoid

TOLERANCE = 1e-9
Rows = list[list[float]]

# The data sets are tiny (m ≤ 10, θ of length ≤ 3): plain Python lists beat numpy here.


def design_rows(X) -> Rows:
    """The rows of A = [X | 1] (ones column last, matching θ = [w..., b])."""
    return [[*map(float, row), 1.0] for row in X]


def _dot(a, b) -> float:
    return sum(u * v for u, v in zip(a, b))


def probabilities(rows: Rows, theta) -> list[float]:
    """ŷ_i = σ(a_i·θ)."""
    return [sigmoid(_dot(r, theta)) for r in rows]


def loss(X, y, theta) -> float:
    """J(θ), via ln(1 + e^z) − y z per example (stable for any z)."""
    rows = design_rows(X)
    return math.fsum(log_loss_from_logit(_dot(r, theta), t) for r, t in zip(rows, y)) / len(rows)


def weighted_sum(rows: Rows, weights) -> list[float]:
    """1/m Σ weight_i · a_i."""
    m = len(rows)
    return [sum(c * r[j] for c, r in zip(weights, rows)) / m for j in range(len(rows[0]))]


def theta_gradient(rows: Rows, y, theta) -> list[float]:
    """∇J = 1/m Aᵀ(ŷ − y)."""
    return weighted_sum(rows, [p - t for p, t in zip(probabilities(rows, theta), y)])


def gradient(X, y, theta) -> list[float]:
    """∇J at θ as [∂J/∂w..., ∂J/∂b]."""
    return theta_gradient(design_rows(X), y, [float(v) for v in theta])


def descend(X, y, theta, lr: float, steps: int) -> list[list[float]]:
    """θ after each of ``steps`` updates θ ← θ − α∇J(θ)."""
    rows, theta = design_rows(X), [float(v) for v in theta]
    points = []
    for _ in range(steps):
        theta = [t - lr * g for t, g in zip(theta, theta_gradient(rows, y, theta))]
        points.append(theta)
    return points


def hessian(rows: Rows, theta) -> list[list[float]]:
    """H = 1/m AᵀSA, S = diag(ŷ(1 − ŷ))."""
    s = [p * (1 - p) for p in probabilities(rows, theta)]
    d = len(rows[0])
    return [[math.fsum(si * r[j] * r[k] for si, r in zip(s, rows)) / len(rows) for k in range(d)]
            for j in range(d)]


def newton_step(X, y, theta) -> list[float]:
    """θ − Δ where H·Δ = ∇J (one Newton / IRLS step)."""
    rows, theta = design_rows(X), [float(v) for v in theta]
    delta = np.linalg.solve(np.array(hessian(rows, theta)), np.array(theta_gradient(rows, y, theta)))
    return [t - float(d) for t, d in zip(theta, delta)]


@lru_cache(maxsize=256)
def _pairs(m: int) -> tuple[np.ndarray, np.ndarray]:
    """The index pairs i < j of m rows."""
    return np.triu_indices(m, 1)


def separable(X, y) -> bool:
    """Whether some θ ≠ 0 has (2y − 1)·(w·x + b) ≥ 0 for every example: the classes can be
    split, perhaps with points on the line, and the log-loss then has no minimizer.

    With M = diag(2y − 1)[X | 1] (1 or 2 features), the cone {θ : Mθ ≥ 0} is not {0}
    exactly when one of its candidate extreme rays — directions where d − 1 rows of M are
    tight, d = n + 1 — lies in it, or when no candidate is defined (M has rank < d − 1).
    """
    M = np.array([[(2 * label - 1) * float(v) for v in [*x, 1]] for x, label in zip(X, y)])
    d = M.shape[1]
    if d == 2:
        rays = np.stack([-M[:, 1], M[:, 0]])
    elif d == 3:
        i, j = _pairs(len(M))
        p, q = M[i], M[j]
        rays = np.stack([p[:, 1] * q[:, 2] - p[:, 2] * q[:, 1], p[:, 2] * q[:, 0] - p[:, 0] * q[:, 2],
                         p[:, 0] * q[:, 1] - p[:, 1] * q[:, 0]])
    else:
        raise ValueError("separable() handles 1 or 2 features")
    size = np.abs(rays).max(axis=0)
    defined = size > 0
    if not defined.any():
        return True
    values = (M @ rays[:, defined]) / size[defined]
    return bool(np.any(np.all(values >= -TOLERANCE, axis=0) | np.all(values <= TOLERANCE, axis=0)))


def solve(X, y, w, b, lr: float, steps: int, newton: bool = True) -> dict:
    """Every answer of the ``logistic_regression`` family."""
    theta = [*w, b]
    out = {"loss": loss(X, y, theta), "grad": gradient(X, y, theta),
           "iterates": descend(X, y, theta, lr, steps)}
    if newton:
        out["newton_step"] = newton_step(X, y, theta)
    return out
