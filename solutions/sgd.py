"""Stochastic and mini-batch gradient descent over a given order of the examples.

θ = [w..., b] (bias last), a_i = [x_i, 1]. The examples are visited in the given order
(0-based indices here), cut into consecutive batches of ``batch_size`` (the last one may
be smaller), epoch after epoch in the same order. The per-example loss is ½(ŷ_i − y_i)²
(``"mse"``) or −[y ln ŷ + (1 − y) ln(1 − ŷ)] with ŷ = σ(a_i·θ) (``"log_loss"``); both have
the gradient (ŷ_i − y_i)·a_i. A batch's gradient is the mean (``"mean"``) or the sum
(``"sum"``) of its examples' gradients, and each step is θ ← θ − α·g_batch(θ).

>>> batches([2, 0, 1], 2, epochs=1)
[[2, 0], [1]]
>>> path = run([[1], [2], [3]], [1, 2, 2], [0.0, 0.0], 0.1, [[2, 0], [1]])
>>> [[round(v, 9) for v in point] for point in path["iterates"]]
[[0.35, 0.15], [0.58, 0.265]]
"""

from __future__ import annotations

from calcgrade.solutions.sigmoid import sigmoid

LOSSES = ("mse", "log_loss")
REDUCTIONS = ("mean", "sum")


def batches(order: list[int], batch_size: int, epochs: int = 1) -> list[list[int]]:
    """Consecutive groups of ``batch_size`` indices of ``order`` (the last may be shorter),
    repeated for each epoch."""
    one = [list(order[k:k + batch_size]) for k in range(0, len(order), batch_size)]
    return [batch for _ in range(epochs) for batch in one]


def rows(X) -> list[list[float]]:
    """a_i = [x_i, 1] for each example."""
    return [[*map(float, row), 1.0] for row in X]


def prediction(row: list[float], theta: list[float], loss: str) -> float:
    """ŷ = a·θ, or σ(a·θ) under log-loss."""
    z = sum(a * t for a, t in zip(row, theta))
    return sigmoid(z) if loss == "log_loss" else z


def batch_gradient(A: list[list[float]], y, theta: list[float], batch: list[int], loss: str = "mse",
                   reduction: str = "mean") -> list[float]:
    """The mean (or sum) over the batch of (ŷ_i − y_i)·a_i."""
    total = [0.0] * len(theta)
    for i in batch:
        error = prediction(A[i], theta, loss) - y[i]
        total = [g + error * a for g, a in zip(total, A[i])]
    return [g / len(batch) for g in total] if reduction == "mean" else total


def run(X, y, theta0, lr: float, groups: list[list[int]], loss: str = "mse", reduction: str = "mean",
        frozen: bool = False) -> dict:
    """``gradients`` (each batch's gradient before its step) and ``iterates`` (θ after each
    step). With ``frozen`` every gradient is taken at θ0 (a wrong variant kept for diagnosis)."""
    A = rows(X)
    theta = [float(t) for t in theta0]
    start = list(theta)
    gradients, iterates = [], []
    for batch in groups:
        g = batch_gradient(A, y, start if frozen else theta, batch, loss, reduction)
        theta = [t - lr * v for t, v in zip(theta, g)]
        gradients.append(g)
        iterates.append(theta)
    return {"gradients": gradients, "iterates": iterates}


def solve(X, y, w, b, lr: float, order: list[int], batch_size: int, epochs: int = 1, loss: str = "mse",
          reduction: str = "mean") -> dict:
    """Every answer of the ``sgd`` family; ``order`` holds 0-based example indices."""
    return run(X, y, [*w, b], lr, batches(order, batch_size, epochs), loss, reduction)
