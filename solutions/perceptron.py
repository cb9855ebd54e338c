"""The perceptron: a linear unit under squared error, and the sign perceptron for ±1 labels.

Regression (one example, DESIGN §8): ŷ = w·x + b, L = ½(y − ŷ)², ∂L/∂wᵢ = (ŷ − y)xᵢ,
∂L/∂b = ŷ − y, and one step θ ← θ − α∇L.

>>> out = regression_step([1.0, 2.0], 3.0, [0.5, -0.5], 1.0, 0.1)
>>> out["y_hat"], out["loss"], out["grad_w"], out["grad_b"]
(0.5, 3.125, [-2.5, -5.0], -2.5)
>>> [round(v, 6) for v in out["w_new"]], round(out["b_new"], 6)
([0.75, 0.0], 1.25)
"""

from __future__ import annotations

import math


def dot(w, x) -> float:
    """w·x, summed exactly (fsum)."""
    return math.fsum(wi * xi for wi, xi in zip(w, x))


def regression_step(x, y: float, w, b: float, lr: float) -> dict:
    """ŷ, L = ½(y − ŷ)², its gradient and the parameters after one step with rate ``lr``."""
    y_hat = dot(w, x) + b
    error = y_hat - y
    grad_w = [error * xi for xi in x]
    return {
        "y_hat": y_hat,
        "loss": 0.5 * error * error,
        "grad_w": grad_w,
        "grad_b": error,
        "w_new": [wi - lr * g for wi, g in zip(w, grad_w)],
        "b_new": b - lr * error,
    }


# the sign perceptron: labels ±1, sign(0) = +1, an example is a mistake when y(w·x + b) ≤ 0 --


def sign(z: float) -> int:
    """+1 for z ≥ 0, −1 otherwise (the course's sign(0) = +1).

    >>> sign(0.0), sign(-0.5)
    (1, -1)
    """
    return 1 if z >= 0 else -1


TIE = 1e-9  # |y(w·x + b)| at most this counts as 0 (a tie), whatever the rounding


def misclassified(x, y: int, w, b: float) -> bool:
    """y(w·x + b) ≤ 0, with rounding noise around 0 counted as a tie (so misclassified)."""
    return margin(x, y, w, b) <= TIE


def margin(x, y: int, w, b: float) -> float:
    """y·(w·x + b): positive when the example is classified correctly with room to spare."""
    return y * (dot(w, x) + b)


def online_epoch(X, y, w, b: float, lr: float) -> dict:
    """One pass through the examples in order, updating w ← w + α·y·x, b ← b + α·y on each
    example with y(w·x + b) ≤ 0. Returns the final [w..., b] and the number of updates.

    >>> online_epoch([[1, 1], [-1, 2]], [1, -1], [0, 0], 0, 1)
    {'weights': [2.0, -1.0, 0.0], 'mistakes': 2}
    """
    w, b, count = [float(v) for v in w], float(b), 0
    for x, label in zip(X, y):
        if misclassified(x, label, w, b):
            w = [wi + lr * label * xi for wi, xi in zip(w, x)]
            b += lr * label
            count += 1
    return {"weights": [*w, b], "mistakes": count}


def batch_subgradient(X, y, w, b: float, mean: bool = False) -> list[float]:
    """A subgradient of the perceptron loss J = Σ max(0, −y(w·x + b)) as [∂w..., ∂b]:
    −Σ y·[x, 1] over the examples with y(w·x + b) ≤ 0; with ``mean``, of J/m (the sum
    divided by the number m of all examples)."""
    g = [0.0] * (len(w) + 1)
    for x, label in zip(X, y):
        if misclassified(x, label, w, b):
            for i, v in enumerate([*x, 1]):
                g[i] -= label * v
    return [gi / len(X) for gi in g] if mean else g


def batch_step(X, y, w, b: float, lr: float, mean: bool = False) -> dict:
    """One batch step θ ← θ − α·g with the subgradient g of :func:`batch_subgradient` (of
    the summed loss, or with ``mean`` of the mean loss), and the number of examples
    misclassified at the start.

    >>> batch_step([[1, 1], [-1, 2]], [1, -1], [0, 0], 0, 1)
    {'subgradient': [-2.0, 1.0, 0.0], 'weights': [2.0, -1.0, 0.0], 'mistakes': 2}
    >>> batch_step([[1, 1], [-1, 2]], [1, -1], [0, 0], 0, 1, mean=True)["subgradient"]
    [-1.0, 0.5, 0.0]
    """
    g = batch_subgradient(X, y, w, b, mean)
    count = sum(1 for x, label in zip(X, y) if misclassified(x, label, w, b))
    return {"subgradient": g, "weights": [t - lr * gi for t, gi in zip([*w, b], g)], "mistakes": count}
