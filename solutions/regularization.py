"""Regularised regression: the penalised cost, its gradient, one descent step and ridge.

θ = [w..., b] (bias last) and A = [X | 1], as in :mod:`calcgrade.solutions.linear_regression`.
With c = ½ (``"half_mean"``) or c = 1 (``"mean"``) the cost is

    MSE:       J(θ) = c/m · [ Σ(ŷ − y)² + λ·P(θ) ]
    log-loss:  J(θ) = −1/m · Σ[y ln ŷ + (1 − y) ln(1 − ŷ)] + c·λ/m · P(θ)

with the penalty P = ‖w‖² (``"l2"``), ‖w‖₁ (``"l1"``) or ρ‖w‖₁ + (1 − ρ)‖w‖²
(``"elastic_net"``, ρ the ``l1_ratio``); the bias joins w in P only when it is
penalised. The subgradient of |w_j| is sign(w_j) with sign(0) = 0. Ridge (MSE with L2)
has the closed form (AᵀA + λD)θ = Aᵀy, D = diag(1, …, 1, 0) (or I with the bias
penalised), whatever c.

>>> X, y = [[1], [2]], [1, 3]
>>> setting = Setting(lam=1.0)
>>> cost(X, y, [1.0, 0.0], setting), gradient(X, y, [1.0, 0.0], setting)
(0.5, [-0.5, -0.5])
>>> [round(v, 9) for v in ridge(X, y, 1.0, penalise_bias=False)]
[0.666666667, 1.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from calcgrade.solutions.sigmoid import log_loss_from_logit, sigmoid

PENALTIES = ("l2", "l1", "elastic_net")
LOSSES = ("mse", "log_loss")
SCALINGS = {"half_mean": 0.5, "mean": 1.0}


@dataclass(frozen=True)
class Setting:
    """The conventions of one cost: penalty kind and strength, loss, scaling, the bias."""

    lam: float
    penalty: str = "l2"
    l1_ratio: float = 0.5
    loss: str = "mse"
    scaling: str = "half_mean"
    penalise_bias: bool = False

    @property
    def c(self) -> float:
        return SCALINGS[self.scaling]

    def shares(self) -> tuple[float, float]:
        """(weight of ‖·‖₁, weight of ‖·‖²) in P."""
        if self.penalty == "l1":
            return 1.0, 0.0
        if self.penalty == "l2":
            return 0.0, 1.0
        return self.l1_ratio, 1.0 - self.l1_ratio


def sign(value: float) -> float:
    """sign(v) with sign(0) = 0."""
    return (value > 0) - (value < 0)


def _rows(X) -> list[list[float]]:
    return [[*map(float, row), 1.0] for row in X]


def _dot(a, b) -> float:
    return sum(u * v for u, v in zip(a, b))


def penalised(theta, penalise_bias: bool) -> list[float]:
    """The entries of θ that the penalty sees (the bias set to 0 when it is not penalised)."""
    return list(theta) if penalise_bias else [*theta[:-1], 0.0]


def penalty(theta, setting: Setting) -> float:
    """P(θ) = a·Σ|θ_j| + q·Σθ_j² over the penalised entries."""
    a, q = setting.shares()
    entries = penalised(theta, setting.penalise_bias)
    return a * math.fsum(abs(v) for v in entries) + q * math.fsum(v * v for v in entries)


def penalty_gradient(theta, setting: Setting) -> list[float]:
    """∇P(θ) = a·sign(θ) + 2q·θ on the penalised entries (0 on the bias when it is not)."""
    a, q = setting.shares()
    return [a * sign(v) + 2 * q * v for v in penalised(theta, setting.penalise_bias)]


def data_cost(X, y, theta, setting: Setting) -> float:
    """The unpenalised part of J."""
    rows = _rows(X)
    if setting.loss == "log_loss":
        return math.fsum(log_loss_from_logit(_dot(r, theta), t) for r, t in zip(rows, y)) / len(rows)
    return setting.c * math.fsum((_dot(r, theta) - t) ** 2 for r, t in zip(rows, y)) / len(rows)


def data_gradient(X, y, theta, setting: Setting) -> list[float]:
    """∇ of the unpenalised part: 2c/m Aᵀ(ŷ − y) for MSE, 1/m Aᵀ(ŷ − y) for log-loss."""
    rows = _rows(X)
    if setting.loss == "log_loss":
        errors, factor = [sigmoid(_dot(r, theta)) - t for r, t in zip(rows, y)], 1.0
    else:
        errors, factor = [_dot(r, theta) - t for r, t in zip(rows, y)], 2 * setting.c
    m = len(rows)
    return [factor * sum(e * r[j] for e, r in zip(errors, rows)) / m for j in range(len(rows[0]))]


def cost(X, y, theta, setting: Setting) -> float:
    """J(θ): the data term plus c·λ/m·P(θ)."""
    return data_cost(X, y, theta, setting) + setting.c * setting.lam / len(X) * penalty(theta, setting)


def gradient(X, y, theta, setting: Setting) -> list[float]:
    """∇J(θ) = data gradient + c·λ/m·∇P(θ)."""
    scale = setting.c * setting.lam / len(X)
    return [d + scale * p for d, p in zip(data_gradient(X, y, theta, setting), penalty_gradient(theta, setting))]


def step(X, y, theta, lr: float, setting: Setting) -> list[float]:
    """θ − α∇J(θ)."""
    return [t - lr * g for t, g in zip(theta, gradient(X, y, theta, setting))]


def ridge(X, y, lam: float, penalise_bias: bool) -> list[float]:
    """The minimiser of the L2-penalised squared error: (AᵀA + λD)θ = Aᵀy."""
    A = np.array(_rows(X))
    D = np.eye(A.shape[1])
    if not penalise_bias:
        D[-1, -1] = 0.0
    return np.linalg.solve(A.T @ A + lam * D, A.T @ np.asarray(y, dtype=float)).tolist()


def has_closed_form(setting: Setting) -> bool:
    """Whether the ridge closed form applies (squared error with a pure L2 penalty)."""
    return setting.loss == "mse" and setting.penalty == "l2"


def solve(X, y, w, b, lr: float, setting: Setting) -> dict:
    """Every answer of the ``regularization`` family (``ridge`` only where it applies)."""
    theta = [*map(float, w), float(b)]
    grad = gradient(X, y, theta, setting)
    out = {
        "cost": cost(X, y, theta, setting),
        "grad_w": grad[:-1],
        "grad_b": grad[-1],
        "updated": [t - lr * g for t, g in zip(theta, grad)],
    }
    if has_closed_form(setting):
        out["ridge"] = ridge(X, y, setting.lam, setting.penalise_bias)
    return out
