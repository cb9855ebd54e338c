"""The hinge and Huber losses of a linear model ŷ = w·x over a batch, and their (sub)gradients.

Both losses are the mean over the m examples.

- Hinge (labels ±1): L = (1/m) Σ max(0, 1 − yᵢ w·xᵢ); a subgradient is (1/m) Σ −yᵢ xᵢ over
  the examples with yᵢ w·xᵢ < 1. At the kink, yᵢ w·xᵢ = 1 exactly, the convention is the
  subgradient 0 for that example (the term counts as inactive).
- Huber with δ > 0, on the residual r = w·x − y: ℓ(r) = ½ r² when |r| ≤ δ, else
  δ(|r| − ½δ); ∂ℓ/∂w = ψ(r)·x with ψ(r) = r when |r| ≤ δ, else δ·sign(r).

>>> hinge([[1, 2], [2, -1]], [1, -1], [0.5, 0.5])
{'loss': 0.75, 'gradient': [1.0, -0.5]}
>>> huber([[1, 0], [0, 2]], [0.5, 4], [1, 1], delta=1)
{'loss': 0.8125, 'gradient': [0.25, -1.0]}
"""

from __future__ import annotations

import math

TIE = 1e-9  # a margin within this of 1 is at the kink


def dot(w, x) -> float:
    return math.fsum(wi * xi for wi, xi in zip(w, x))


def margins(X, y, w) -> list[float]:
    """yᵢ w·xᵢ for each example."""
    return [label * dot(w, x) for x, label in zip(X, y)]


def hinge_active(margin: float) -> bool:
    """Whether an example's term has the slope −y·x: margin < 1 (the kink counts as inactive)."""
    return margin < 1 - TIE


def hinge(X, y, w) -> dict:
    """``loss`` (1/m) Σ max(0, 1 − yᵢ w·xᵢ) and the subgradient ``gradient`` with respect to w."""
    m = len(X)
    loss = math.fsum(max(0.0, 1 - mi) for mi in margins(X, y, w)) / m
    gradient = [0.0] * len(w)
    for x, label, mi in zip(X, y, margins(X, y, w)):
        if hinge_active(mi):
            gradient = [g - label * xi for g, xi in zip(gradient, x)]
    return {"loss": loss, "gradient": [g / m for g in gradient]}


def residuals(X, y, w) -> list[float]:
    """rᵢ = w·xᵢ − yᵢ."""
    return [dot(w, x) - target for x, target in zip(X, y)]


def huber_value(r: float, delta: float) -> float:
    """½ r² for |r| ≤ δ, else δ(|r| − ½δ)."""
    return 0.5 * r * r if abs(r) <= delta else delta * (abs(r) - 0.5 * delta)


def huber_slope(r: float, delta: float) -> float:
    """ψ(r) = dℓ/dr: r for |r| ≤ δ, else δ·sign(r)."""
    return r if abs(r) <= delta else math.copysign(delta, r)


def huber(X, y, w, delta: float) -> dict:
    """``loss`` (1/m) Σ ℓ(rᵢ) and ``gradient`` (1/m) Σ ψ(rᵢ) xᵢ with respect to w."""
    m, rs = len(X), residuals(X, y, w)
    gradient = [math.fsum(huber_slope(r, delta) * x[j] for r, x in zip(rs, X)) / m for j in range(len(w))]
    return {"loss": math.fsum(huber_value(r, delta) for r in rs) / m, "gradient": gradient}
