"""Linear regression with squared error, batch gradient descent and the normal equations.

X is (m examples × n features), the bias b is separate, the error is ŷ − y (DESIGN §8).
The cost is J = c/m · Σ(ŷ − y)² with c = ½ for ``"half_mean"`` (J = 1/(2m)Σ) and c = 1
for ``"mean"`` (J = 1/m Σ), so ∇_w J = 2c/m · Xᵀ(ŷ − y) and ∂J/∂b = 2c/m · Σ(ŷ − y).
Parameters are packed as θ = [w..., b] (bias last).

>>> X, y = [[1.0], [2.0], [3.0]], [2.0, 4.0, 6.0]
>>> round(cost(X, y, [0.0], 0.0, "half_mean"), 6)
9.333333
>>> grad_w, grad_b = gradient(X, y, [0.0], 0.0, "half_mean")
>>> [round(v, 6) for v in grad_w], grad_b
([-9.333333], -4.0)
>>> [round(v, 9) for v in normal_equation(X, y)]
[2.0, 0.0]
"""

from __future__ import annotations

import numpy as np

SCALINGS = {"half_mean": 0.5, "mean": 1.0}  # J = c/m · Σ(ŷ − y)²


def design(X) -> np.ndarray:
    """The matrix [X | 1] (ones column last, matching θ = [w..., b])."""
    return np.array([[*row, 1.0] for row in X], dtype=float)


def predictions(X, w, b) -> list[float]:
    """ŷ = Xw + b, one entry per example."""
    return (np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + b).tolist()


def cost(X, y, w, b, scaling: str) -> float:
    """J = c/m · Σ(ŷ − y)² (see the module docstring for c)."""
    error = np.asarray(predictions(X, w, b)) - np.asarray(y, dtype=float)
    return float(SCALINGS[scaling] * (error @ error) / len(error))


def theta_gradient(A: np.ndarray, y: np.ndarray, theta: np.ndarray, scaling: str) -> np.ndarray:
    """∇J with respect to θ = [w..., b] for the design matrix A = [X | 1]."""
    return 2 * SCALINGS[scaling] / len(y) * (A.T @ (A @ theta - y))


def gradient(X, y, w, b, scaling: str) -> tuple[list[float], float]:
    """(∇_w J, ∂J/∂b) at (w, b)."""
    g = theta_gradient(design(X), np.asarray(y, dtype=float), np.array([*w, b], dtype=float), scaling)
    return g[:-1].tolist(), float(g[-1])


def descend(X, y, w, b, lr: float, steps: int, scaling: str) -> list[list[float]]:
    """θ after each of ``steps`` updates θ ← θ − α∇J(θ), each as [w..., b]."""
    A, target = design(X), np.asarray(y, dtype=float)
    theta = np.array([*w, b], dtype=float)
    points = []
    for _ in range(steps):
        theta = theta - lr * theta_gradient(A, target, theta, scaling)
        points.append(theta.tolist())
    return points


def normal_equation(X, y) -> list[float]:
    """The least-squares [w..., b]: the solution of AᵀA θ = Aᵀy with A = [X | 1]."""
    A = design(X)
    return np.linalg.solve(A.T @ A, A.T @ np.asarray(y, dtype=float)).tolist()


def solve(X, y, w, b, lr: float, steps: int, scaling: str) -> dict:
    """Every answer of the ``linear_regression_gd`` family."""
    grad_w, grad_b = gradient(X, y, w, b, scaling)
    return {
        "predictions": predictions(X, w, b),
        "cost": cost(X, y, w, b, scaling),
        "grad_w": grad_w,
        "grad_b": grad_b,
        "iterates": descend(X, y, w, b, lr, steps, scaling),
        "normal_equation": normal_equation(X, y),
    }


def theta_cost(X, y, theta, scaling: str) -> float:
    """J at θ = [w..., b] (the bias last) for numpy X (m × n) and y (m,).

    >>> theta_cost(np.array([[1.0], [2.0]]), np.array([1.0, 2.0]), np.array([1.0, 0.0]), "mean")
    0.0
    """
    error = design(X) @ np.asarray(theta, dtype=float) - np.asarray(y, dtype=float)
    return float(SCALINGS[scaling] * (error @ error) / len(error))


def theta_cost_gradient(X, y, theta, scaling: str) -> np.ndarray:
    """∇J at θ = [w..., b] for numpy X (m × n) and y (m,): shape (n + 1,)."""
    return theta_gradient(design(X), np.asarray(y, dtype=float), np.asarray(theta, dtype=float), scaling)
