"""Forward pass, δ recursion and gradients of a small fully connected network on one example.

Column vectors throughout: a⁰ = x, zˡ = Wˡ aˡ⁻¹ + bˡ with Wˡ of shape nₗ × nₗ₋₁, aˡ = f(zˡ)
for the hidden layers (sigmoid, tanh or ReLU with ReLU′(0) = 0) and a sigmoid or softmax
output layer L. Losses: ``mse`` L = ½‖aᴸ − y‖², ``cross_entropy`` with sigmoid outputs
L = −Σ[yᵢ ln aᵢ + (1 − yᵢ) ln(1 − aᵢ)], with softmax L = −Σ yᵢ ln aᵢ (natural log).
δˡ = ∂L/∂zˡ: δᴸ from the output and loss, δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ) below it, and
∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ, ∂L/∂bˡ = δˡ.

A pre-activation within rounding of 0 (|z| ≤ 1e-12 times the sum of the sizes of its
terms, as in 0.1 + 0.2 − 0.3) is exactly 0, so ReLU′(0) = 0 holds for the z a student
computes by hand.

>>> out = mlp_backprop([1.0, 2.0], [1.0], [[[1.0, 0.0], [0.0, -1.0]], [[2.0, 1.0]]],
...                    [[0.0, 0.0], [-2.0]], "relu", "sigmoid_mse")
>>> out["zs"], out["activations"][1], out["activations"][2]
([[1.0, -2.0], [0.0]], [1.0, 0.0], [0.5])
>>> out["deltas"], out["grad_W"][0]
([[-0.25, 0.0], [-0.125]], [[-0.25, -0.5], [0.0, 0.0]])
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

from calcgrade.solutions.sigmoid import log_loss_from_logit, sigmoid

ACTIVATIONS = ("sigmoid", "tanh", "relu")
OUTPUTS = ("sigmoid_mse", "sigmoid_cross_entropy", "softmax_cross_entropy")
ROUNDING = 1e-12

Vector = list[float]
Matrix = list[list[float]]


def mat_vec(W: Matrix, v: Sequence[float]) -> Vector:
    """W v."""
    return [math.fsum(w * x for w, x in zip(row, v)) for row in W]


def transposed_vec(W: Matrix, v: Sequence[float]) -> Vector:
    """Wᵀ v."""
    return [math.fsum(W[i][j] * v[i] for i in range(len(W))) for j in range(len(W[0]))]


def outer(u: Sequence[float], v: Sequence[float]) -> Matrix:
    """u vᵀ (a zero entry written as 0, never −0)."""
    return [[a * b + 0.0 for b in v] for a in u]


def pre_activation(W: Matrix, a: Sequence[float], b: Sequence[float]) -> Vector:
    """z = W a + b, with a sum within rounding of 0 written as exactly 0."""
    out = []
    for row, bias in zip(W, b):
        terms = [w * x for w, x in zip(row, a)] + [bias]
        z = math.fsum(terms)
        out.append(0.0 if abs(z) <= ROUNDING * math.fsum(abs(t) for t in terms) else z)
    return out


def activate(activation: str, z: Sequence[float]) -> Vector:
    """f(z) entry by entry for a hidden activation."""
    if activation == "sigmoid":
        return [sigmoid(v) for v in z]
    if activation == "tanh":
        return [math.tanh(v) for v in z]
    return [v if v > 0 else 0.0 for v in z]


def derivative(activation: str, z: Sequence[float], a: Sequence[float], at_zero: float = 0.0) -> Vector:
    """f′(z) entry by entry, from z and a = f(z); ``at_zero`` is ReLU′(0) (0 by convention)."""
    if activation == "sigmoid":
        return [s * (1.0 - s) for s in a]
    if activation == "tanh":
        return [1.0 - t * t for t in a]
    return [1.0 if v > 0 else (at_zero if v == 0 else 0.0) for v in z]


def softmax(z: Sequence[float]) -> Vector:
    """e^(zᵢ − max z) / Σⱼ e^(zⱼ − max z)."""
    top = max(z)
    exps = [math.exp(v - top) for v in z]
    total = math.fsum(exps)
    return [e / total for e in exps]


def output_activation(output: str, z: Sequence[float]) -> Vector:
    """aᴸ: sigmoid entry by entry, or softmax."""
    return softmax(z) if output.startswith("softmax") else [sigmoid(v) for v in z]


def loss_of(output: str, z: Sequence[float], a: Sequence[float], y: Sequence[float]) -> float:
    """The loss of output layer ``output`` from zᴸ (for a stable log) and aᴸ."""
    if output == "sigmoid_mse":
        return 0.5 * math.fsum((p - t) ** 2 for p, t in zip(a, y))
    if output == "sigmoid_cross_entropy":
        return math.fsum(log_loss_from_logit(v, t) for v, t in zip(z, y))
    top = max(z)
    log_total = top + math.log(math.fsum(math.exp(v - top) for v in z))
    return -math.fsum(t * (v - log_total) for v, t in zip(z, y))


def output_delta(output: str, a: Sequence[float], y: Sequence[float]) -> Vector:
    """δᴸ = ∂L/∂zᴸ: (a − y) ⊙ σ′(z) for MSE, a − y for cross-entropy (Σ y = 1 with softmax)."""
    if output == "sigmoid_mse":
        return [(p - t) * p * (1.0 - p) for p, t in zip(a, y)]
    return [p - t for p, t in zip(a, y)]


def forward_pass(x: Sequence[float], weights: Sequence[Matrix], biases: Sequence[Sequence[float]],
                 activation: str, output: str) -> tuple[list[Vector], list[Vector]]:
    """``zs`` = [z¹, …, zᴸ] and ``activations`` = [a⁰ = x, a¹, …, aᴸ]."""
    zs, activations = [], [[float(v) for v in x]]
    last = len(weights) - 1
    for l, (W, b) in enumerate(zip(weights, biases)):
        z = pre_activation(W, activations[-1], b)
        zs.append(z)
        activations.append(output_activation(output, z) if l == last else activate(activation, z))
    return zs, activations


HiddenRule = Callable[[Matrix, Vector, Vector], Vector]


def right_hidden_delta(W_next: Matrix, delta_next: Vector, f_prime: Vector) -> Vector:
    """δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ) (a zero entry written as 0, never −0)."""
    return [g * d + 0.0 for g, d in zip(transposed_vec(W_next, delta_next), f_prime)]


def backward(weights: Sequence[Matrix], zs: list[Vector], activations: list[Vector], activation: str,
             delta_out: Vector, hidden_rule: HiddenRule = right_hidden_delta,
             at_zero: float = 0.0) -> list[Vector]:
    """[δ¹, …, δᴸ] from δᴸ = ``delta_out`` down through ``hidden_rule``."""
    deltas = [delta_out]
    for l in range(len(weights) - 2, -1, -1):
        f_prime = derivative(activation, zs[l], activations[l + 1], at_zero)
        deltas.insert(0, hidden_rule(weights[l + 1], deltas[0], f_prime))
    return deltas


def gradients(deltas: list[Vector], activations: list[Vector]) -> tuple[list[Matrix], list[Vector]]:
    """∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ and ∂L/∂bˡ = δˡ for every layer."""
    return [outer(d, a) for d, a in zip(deltas, activations)], [list(d) for d in deltas]


def mlp_backprop(x: Sequence[float], y: Sequence[float], weights: Sequence[Matrix],
                 biases: Sequence[Sequence[float]], activation: str, output: str) -> dict:
    """``zs``, ``activations`` (a⁰ … aᴸ), ``loss``, ``deltas`` (δ¹ … δᴸ), ``grad_W`` and ``grad_b``."""
    zs, activations = forward_pass(x, weights, biases, activation, output)
    deltas = backward(weights, zs, activations, activation, output_delta(output, activations[-1], y))
    grad_W, grad_b = gradients(deltas, activations)
    return {"zs": zs, "activations": activations, "loss": loss_of(output, zs[-1], activations[-1], y),
            "deltas": deltas, "grad_W": grad_W, "grad_b": grad_b}
