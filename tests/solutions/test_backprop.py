"""The 2-2-1 backprop solver against a matrix-form numpy network, finite differences and sympy."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions.backprop import PARAMETERS, backprop_221

NAMES = ("w11", "w21", "w12", "w22", "b1", "b2", "w1", "w2", "b")


def numpy_forward(x1, x2, theta):
    """Matrix form: hidden = σ(x W + b_h) with W[i][j] the weight from input i to hidden unit j."""
    t = theta
    W = np.array([[t["w11"], t["w12"]], [t["w21"], t["w22"]]])
    hidden_z = np.array([x1, x2]) @ W + np.array([t["b1"], t["b2"]])
    hidden = 1 / (1 + np.exp(-hidden_z))
    z = hidden @ np.array([t["w1"], t["w2"]]) + t["b"]
    y_hat = 1 / (1 + np.exp(-z))
    return [hidden_z[0], hidden[0], hidden_z[1], hidden[1], z, y_hat]


def numpy_loss(x1, x2, y, theta):
    y_hat = numpy_forward(x1, x2, theta)[-1]
    return -(y * math.log(y_hat) + (1 - y) * math.log(1 - y_hat))


def finite_difference_gradient(x1, x2, y, theta, h=1e-6):
    grads = []
    for name in NAMES:
        up, down = dict(theta), dict(theta)
        up[name] += h
        down[name] -= h
        grads.append((numpy_loss(x1, x2, y, up) - numpy_loss(x1, x2, y, down)) / (2 * h))
    return grads


def test_parameter_order_is_the_public_one():
    assert PARAMETERS == NAMES


def test_against_numpy_network_and_finite_differences_over_seeds():
    family = get_family("backprop_221")
    for seed in range(200):
        p = family.sample(generator(seed))
        theta = {n: p[n] for n in NAMES}
        out = backprop_221(p["x1"], p["x2"], p["y"], theta, p["lr"])
        assert out["forward"] == pytest.approx(numpy_forward(p["x1"], p["x2"], theta), rel=1e-12, abs=1e-14)
        assert out["loss"] == pytest.approx(numpy_loss(p["x1"], p["x2"], p["y"], theta), rel=1e-10)
        numeric = finite_difference_gradient(p["x1"], p["x2"], p["y"], theta)
        assert out["gradients"] == pytest.approx(numeric, rel=1e-5, abs=1e-8)
        assert out["updated"] == pytest.approx([theta[n] - p["lr"] * g for n, g in zip(NAMES, numeric)],
                                               rel=1e-6, abs=1e-8)


def test_against_sympy_derivatives_of_the_composed_loss():
    symbols = sympy.symbols(" ".join(NAMES))
    x1, x2, y = sympy.symbols("x1 x2 y")
    w11, w21, w12, w22, b1, b2, w1, w2, b = symbols
    s = lambda u: 1 / (1 + sympy.exp(-u))  # noqa: E731
    y_hat = s(s(x1 * w11 + x2 * w21 + b1) * w1 + s(x1 * w12 + x2 * w22 + b2) * w2 + b)
    loss = -(y * sympy.log(y_hat) + (1 - y) * sympy.log(1 - y_hat))
    partials = [sympy.lambdify((x1, x2, y, *symbols), sympy.diff(loss, v)) for v in symbols]
    family = get_family("backprop_221")
    for seed in range(20):
        p = family.sample(generator(seed))
        args = [p["x1"], p["x2"], p["y"], *(p[n] for n in NAMES)]
        out = backprop_221(p["x1"], p["x2"], p["y"], {n: p[n] for n in NAMES}, p["lr"])
        assert out["gradients"] == pytest.approx([float(f(*args)) for f in partials], rel=1e-9, abs=1e-12)


def test_closed_form_with_all_parameters_zero():
    out = backprop_221(1.5, -2.0, 0, dict.fromkeys(NAMES, 0.0), 1.0)
    assert out["forward"] == [0.0, 0.5, 0.0, 0.5, 0.0, 0.5]
    assert out["loss"] == pytest.approx(math.log(2))
    # with w1 = w2 = 0 no error reaches the hidden layer; the output layer sees δ = ŷ − y = 0.5
    assert out["gradients"] == pytest.approx([0, 0, 0, 0, 0, 0, 0.25, 0.25, 0.5])
    assert out["updated"] == pytest.approx([0, 0, 0, 0, 0, 0, -0.25, -0.25, -0.5])
