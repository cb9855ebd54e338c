"""Momentum, Nesterov, AdaGrad, RMSProp and Adam on f(θ) = ½ θᵀAθ − bᵀθ, so ∇f(θ) = Aθ − b.

Every vector operation is per coordinate; the state starts at zero and t counts from 1.

- ``momentum`` (form ``sum``): v ← βv + ∇f(θ), θ ← θ − αv;
  (form ``average``): v ← βv + (1 − β)∇f(θ), θ ← θ − αv
- ``nesterov``: v ← βv + ∇f(θ − αβv), θ ← θ − αv
- ``adagrad``: G ← G + ∇f(θ)², θ ← θ − α ∇f(θ) / (√G + ε)
- ``rmsprop``: s ← βs + (1 − β)∇f(θ)², θ ← θ − α ∇f(θ) / (√s + ε)
- ``adam`` (β1 = 0.9, β2 = 0.999): m ← β1 m + (1 − β1)g, v ← β2 v + (1 − β2)g²,
  m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t), θ ← θ − α m̂ / (√v̂ + ε)

ε = 1e-8, outside the square root. The ``state`` after the last step is v (momentum,
Nesterov), G (AdaGrad), s (RMSProp) or [m…, v…] (Adam, the moments before bias correction).

>>> result = run("adam", [[2, 0], [0, 4]], [0, 0], [1, 1], lr=0.1, steps=1)
>>> [[round(v, 6) for v in p] for p in result["iterates"]], [round(s, 6) for s in result["state"]]
([[0.9, 0.9]], [0.2, 0.4, 0.004, 0.016])
>>> path = run("momentum", [[1, 0], [0, 2]], [1, 0], [0, 1], lr=0.1, steps=2, beta=0.9)["iterates"]
>>> [[round(v, 6) for v in p] for p in path]
[[0.1, 0.8], [0.28, 0.46]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

OPTIMIZERS = ("momentum", "nesterov", "adagrad", "rmsprop", "adam")
FORMS = ("sum", "average")
BETA1, BETA2, EPS = 0.9, 0.999, 1e-8


@dataclass(frozen=True)
class Settings:
    """The hyper-parameters of a run, plus switches that model common mistakes."""

    name: str
    lr: float
    beta: float | None = None
    form: str = "sum"
    eps: float = EPS
    bias_correction: bool = True   # Adam
    square_root: bool = True       # AdaGrad, RMSProp, Adam
    lookahead: bool = True         # Nesterov

    def but(self, **changes) -> "Settings":
        """A copy with some fields changed."""
        return replace(self, **changes)


def gradient(matrix, b, theta) -> list[float]:
    """∇f(θ) = Aθ − b."""
    return [math.fsum(a * t for a, t in zip(row, theta)) - bi for row, bi in zip(matrix, b)]


def initial_state(settings: Settings, n: int) -> list[float]:
    """Zeros: n entries, or 2n for Adam's m and v."""
    return [0.0] * (2 * n if settings.name == "adam" else n)


def step(settings: Settings, matrix, b, theta, state, t: int) -> tuple[list[float], list[float]]:
    """One update from ``theta`` with ``state`` at step ``t`` (from 1): (new θ, new state)."""
    name, lr, beta, eps = settings.name, settings.lr, settings.beta, settings.eps
    root = math.sqrt if settings.square_root else (lambda value: value)
    if name in ("momentum", "nesterov"):
        at = theta
        if name == "nesterov" and settings.lookahead:
            at = [p - lr * beta * v for p, v in zip(theta, state)]
        g = gradient(matrix, b, at)
        scale = 1.0 - beta if name == "momentum" and settings.form == "average" else 1.0
        velocity = [beta * v + scale * gi for v, gi in zip(state, g)]
        return [p - lr * v for p, v in zip(theta, velocity)], velocity
    g = gradient(matrix, b, theta)
    if name == "adagrad":
        squares = [s + gi * gi for s, gi in zip(state, g)]
        return [p - lr * gi / (root(s) + eps) for p, gi, s in zip(theta, g, squares)], squares
    if name == "rmsprop":
        squares = [beta * s + (1.0 - beta) * gi * gi for s, gi in zip(state, g)]
        return [p - lr * gi / (root(s) + eps) for p, gi, s in zip(theta, g, squares)], squares
    if name == "adam":
        n = len(theta)
        m = [BETA1 * mi + (1.0 - BETA1) * gi for mi, gi in zip(state[:n], g)]
        v = [BETA2 * vi + (1.0 - BETA2) * gi * gi for vi, gi in zip(state[n:], g)]
        c1, c2 = (1.0 - BETA1**t, 1.0 - BETA2**t) if settings.bias_correction else (1.0, 1.0)
        new = [p - lr * (mi / c1) / (root(vi / c2) + eps) for p, mi, vi in zip(theta, m, v)]
        return new, m + v
    raise ValueError(f"unknown optimizer {name!r}")


def iterate(settings: Settings, matrix, b, x0, steps: int) -> dict:
    """``iterates`` (θ after each step) and ``state`` (after the last step)."""
    theta = [float(v) for v in x0]
    state = initial_state(settings, len(theta))
    points = []
    for t in range(1, steps + 1):
        theta, state = step(settings, matrix, b, theta, state, t)
        points.append(theta)
    return {"iterates": points, "state": state}


def run(name: str, matrix, b, x0, lr: float, steps: int, beta: float | None = None,
        form: str = "sum") -> dict:
    """:func:`iterate` with the textbook settings of optimizer ``name``."""
    return iterate(Settings(name, lr, beta, form), matrix, b, x0, steps)
