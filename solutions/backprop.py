"""Forward and backward pass of the course's 2-2-1 sigmoid network under log-loss (DESIGN §8).

z1 = x1·w11 + x2·w21 + b1, z2 = x1·w12 + x2·w22 + b2, a_i = σ(z_i),
z = a1·w1 + a2·w2 + b, ŷ = σ(z), L = −[y ln ŷ + (1 − y) ln(1 − ŷ)];
one gradient-descent step θ ← θ − α∇L over the nine parameters in the order of PARAMETERS.

>>> theta = dict.fromkeys(PARAMETERS, 0.0)
>>> out = backprop_221(1.0, 2.0, 1, theta, 0.5)
>>> out["forward"], round(out["loss"], 6)
([0.0, 0.5, 0.0, 0.5, 0.0, 0.5], 0.693147)
>>> any(out["gradients"][:6]), out["gradients"][6:]
(False, [-0.25, -0.25, -0.5])
"""

from __future__ import annotations

from typing import Mapping

from calcgrade.solutions.sigmoid import log_loss_from_logit, sigmoid

PARAMETERS = ("w11", "w21", "w12", "w22", "b1", "b2", "w1", "w2", "b")


def backprop_221(x1: float, x2: float, y: int, theta: Mapping[str, float], lr: float) -> dict:
    """``forward`` [z1, a1, z2, a2, z, ŷ], ``loss``, ``gradients`` and ``updated`` (PARAMETERS order)."""
    t = theta
    z1 = x1 * t["w11"] + x2 * t["w21"] + t["b1"]
    z2 = x1 * t["w12"] + x2 * t["w22"] + t["b2"]
    a1, a2 = sigmoid(z1), sigmoid(z2)
    z = a1 * t["w1"] + a2 * t["w2"] + t["b"]
    y_hat = sigmoid(z)
    delta = y_hat - y                          # ∂L/∂z for log-loss
    delta1 = delta * t["w1"] * a1 * (1 - a1)   # ∂L/∂z1
    delta2 = delta * t["w2"] * a2 * (1 - a2)   # ∂L/∂z2
    gradients = [delta1 * x1, delta1 * x2, delta2 * x1, delta2 * x2, delta1, delta2,
                 delta * a1, delta * a2, delta]
    return {
        "forward": [z1, a1, z2, a2, z, y_hat],
        "loss": log_loss_from_logit(z, y),
        "gradients": gradients,
        "updated": [t[name] - lr * g for name, g in zip(PARAMETERS, gradients)],
    }
