"""The optimizers against independent implementations (a block-matrix recurrence for
momentum, PyTorch's reformulation of Nesterov, explicit weighted sums over the gradient
history for AdaGrad, RMSProp and Adam, the Adam paper's loop and its "efficient" form) and
hand-computed worked examples."""

from __future__ import annotations

import numpy as np
import pytest

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import optimizers as op

family = get_family("optimizers")
SEEDS = range(200)


def sampled(name):
    return [family.sample(generator(seed), optimizer=name, form="any") for seed in SEEDS]


def arrays(params):
    return (np.asarray(params["A"], dtype=float), np.asarray(params["b"], dtype=float),
            np.asarray(params["x0"], dtype=float))


def momentum_by_block_matrix(params, lr):
    """Sum-form momentum as one linear map of (θ, v): v' = βv + Aθ − b, θ' = θ − αv'."""
    a, b, theta = arrays(params)
    n, beta = len(theta), params["beta"]
    eye = np.eye(n)
    block = np.block([[eye - lr * a, -lr * beta * eye], [a, beta * eye]])
    offset = np.concatenate([lr * b, -b])
    z = np.concatenate([theta, np.zeros(n)])
    points = []
    for _ in range(params["steps"]):
        z = block @ z + offset
        points.append(z[:n].copy())
    return np.array(points), z[n:]


def nesterov_pytorch_style(params):
    """torch.optim.SGD(nesterov=True) on the look-ahead point φ = θ − αβv:
    buf ← β buf + ∇f(φ), φ ← φ − α(∇f(φ) + β buf); then θ = φ + αβ buf."""
    a, b, phi = arrays(params)
    lr, beta = params["lr"], params["beta"]
    buf = np.zeros_like(phi)
    points = []
    for _ in range(params["steps"]):
        g = a @ phi - b
        buf = beta * buf + g
        phi = phi - lr * (g + beta * buf)
        points.append(phi + lr * beta * buf)
    return np.array(points), buf


def adaptive_by_history(params):
    """AdaGrad, RMSProp and Adam with every accumulator recomputed as an explicit weighted
    sum over the whole gradient history, never updated in place."""
    a, b, theta = arrays(params)
    name, lr, eps = params["optimizer"], params["lr"], 1e-8
    history, points = [], []
    for t in range(1, params["steps"] + 1):
        history.append(a @ theta - b)
        g = history[-1]
        if name == "adagrad":
            state = sum(h * h for h in history)
            theta = theta - lr * g / (np.sqrt(state) + eps)
        elif name == "rmsprop":
            beta = params["beta"]
            state = sum((1 - beta) * beta ** (t - k) * h * h for k, h in enumerate(history, 1))
            theta = theta - lr * g / (np.sqrt(state) + eps)
        else:
            m = sum(0.1 * 0.9 ** (t - k) * h for k, h in enumerate(history, 1))
            v = sum(0.001 * 0.999 ** (t - k) * h * h for k, h in enumerate(history, 1))
            theta = theta - lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + eps)
            state = np.concatenate([m, v])
        points.append(theta)
    return np.array(points), state


def adam_paper_efficient(params):
    """Kingma & Ba, Algorithm 1 with the efficient ordering of section 2:
    α_t = α √(1 − β2^t)/(1 − β1^t), θ ← θ − α_t m/(√v + ε̂), ε̂ = ε √(1 − β2^t)."""
    a, b, theta = arrays(params)
    m, v, points = np.zeros_like(theta), np.zeros_like(theta), []
    t = 0
    while t < params["steps"]:
        t += 1
        g = a @ theta - b
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g**2
        step = params["lr"] * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
        theta = theta - step * m / (np.sqrt(v) + 1e-8 * np.sqrt(1 - 0.999**t))
        points.append(theta)
    return np.array(points), np.concatenate([m, v])


def check(params, points, state, rtol=1e-9):
    answers = family.solve(params)
    np.testing.assert_allclose(answers["iterates"], points, rtol=rtol, atol=1e-12)
    np.testing.assert_allclose(answers["state"], state, rtol=rtol, atol=1e-12)


def test_momentum_matches_the_block_matrix_recurrence():
    forms = set()
    for params in sampled("momentum"):
        forms.add(params["form"])
        if params["form"] == "sum":
            points, state = momentum_by_block_matrix(params, params["lr"])
        else:  # v_avg = (1 − β) v_sum, so the average form is the sum form with α(1 − β)
            points, state = momentum_by_block_matrix(params, params["lr"] * (1 - params["beta"]))
            state = (1 - params["beta"]) * state
        check(params, points, state)
    assert forms == {"sum", "average"}


def test_nesterov_matches_the_pytorch_reformulation():
    for params in sampled("nesterov"):
        check(params, *nesterov_pytorch_style(params))


@pytest.mark.parametrize("name", ["adagrad", "rmsprop", "adam"])
def test_adaptive_methods_match_sums_over_the_gradient_history(name):
    for params in sampled(name):
        check(params, *adaptive_by_history(params))


def test_adam_matches_the_papers_efficient_form():
    for params in sampled("adam"):
        check(params, *adam_paper_efficient(params), rtol=1e-6)


HAND = {"A": [[1, 0], [0, 2]], "b": [1, 0], "x0": [0, 1]}


@pytest.mark.parametrize("name, settings, iterates, state", [
    ("momentum", {"lr": 0.1, "beta": 0.9, "form": "sum"}, [[0.1, 0.8], [0.28, 0.46]], [-1.8, 3.4]),
    ("momentum", {"lr": 0.1, "beta": 0.9, "form": "average"}, [[0.01, 0.98], [0.0289, 0.9424]],
     [-0.189, 0.376]),
    ("nesterov", {"lr": 0.1, "beta": 0.9}, [[0.1, 0.8], [0.271, 0.496]], [-1.71, 3.04]),
])
def test_worked_momentum_examples(name, settings, iterates, state):
    got = op.run(name, HAND["A"], HAND["b"], HAND["x0"], steps=2, **settings)
    np.testing.assert_allclose(got["iterates"], iterates, rtol=1e-12)
    np.testing.assert_allclose(got["state"], state, rtol=1e-12)


def test_worked_adaptive_examples():
    adam = op.run("adam", [[2, 0], [0, 4]], [0, 0], [1, 1], lr=0.1, steps=1)
    np.testing.assert_allclose(adam["iterates"], [[0.9, 0.9]], rtol=1e-9)
    np.testing.assert_allclose(adam["state"], [0.2, 0.4, 0.004, 0.016], rtol=1e-12)
    adagrad = op.run("adagrad", [[1, 0], [0, 1]], [0, 0], [3, 4], lr=0.5, steps=1)
    np.testing.assert_allclose(adagrad["iterates"], [[2.5, 3.5]], rtol=1e-9)
    assert adagrad["state"] == [9.0, 16.0]
    rmsprop = op.run("rmsprop", [[1, 0], [0, 1]], [0, 0], [1, -2], lr=0.01, steps=1, beta=0.9)
    np.testing.assert_allclose(rmsprop["iterates"], [[0.9683772, -1.9683772]], rtol=1e-7)
    np.testing.assert_allclose(rmsprop["state"], [0.1, 0.4], rtol=1e-12)


def test_adam_first_step_moves_each_coordinate_by_the_learning_rate():
    for params in sampled("adam")[:50]:
        first = family.solve(params)["iterates"][0]
        g = np.asarray(params["A"]) @ np.asarray(params["x0"]) - np.asarray(params["b"])
        np.testing.assert_allclose(first, np.asarray(params["x0"]) - params["lr"] * np.sign(g), rtol=1e-7)
