"""The perceptron solvers against independent oracles: central finite differences of the
loss written out directly, and a separate loop implementation of the sign perceptron."""

from __future__ import annotations

import pytest

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import perceptron as pc


def squared_loss(x, y, w, b):
    y_hat = sum(wi * xi for wi, xi in zip(w, x)) + b
    return 0.5 * (y - y_hat) ** 2


def central(f, t, h=1e-6):
    return (f(t + h) - f(t - h)) / (2 * h)


def test_regression_step_against_finite_differences_over_seeds():
    family = get_family("perceptron_regression")
    for seed in range(200):
        p = family.sample(generator(seed), features=1 + seed % 3)
        x, y, w, b, lr = p["x"], p["y"], p["w"], p["b"], p["lr"]
        out = pc.regression_step(x, y, w, b, lr)
        assert out["loss"] == pytest.approx(squared_loss(x, y, w, b), rel=1e-12)
        grad_w = []
        for i in range(len(w)):
            def of_wi(t, i=i):
                return squared_loss(x, y, [t if j == i else v for j, v in enumerate(w)], b)
            grad_w.append(central(of_wi, w[i]))
        grad_b = central(lambda t: squared_loss(x, y, w, t), b)
        assert out["grad_w"] == pytest.approx(grad_w, rel=1e-6, abs=1e-6)
        assert out["grad_b"] == pytest.approx(grad_b, rel=1e-6, abs=1e-6)
        assert out["w_new"] == pytest.approx([v - lr * g for v, g in zip(w, grad_w)], rel=1e-6, abs=1e-6)
        assert out["b_new"] == pytest.approx(b - lr * grad_b, rel=1e-6, abs=1e-6)
        # a small enough step lowers the loss
        assert squared_loss(x, y, out["w_new"], out["b_new"]) < out["loss"] or lr * sum(
            v * v for v in [*x, 1]) >= 2


def test_regression_worked_example():
    # x = (1, 2), y = 3, w = (0.5, -0.5), b = 1: ŷ = 0.5, error -2.5
    out = pc.regression_step([1, 2], 3, [0.5, -0.5], 1, 0.1)
    assert out["y_hat"] == 0.5 and out["loss"] == 3.125
    assert out["grad_w"] == [-2.5, -5.0] and out["grad_b"] == -2.5
    assert out["w_new"] == pytest.approx([0.75, 0.0]) and out["b_new"] == pytest.approx(1.25)


# the sign perceptron ------------------------------------------------------------------------
from fractions import Fraction  # noqa: E402


def exact_epoch(X, y, w, b, lr):
    """An independent online epoch in exact rational arithmetic (no tie tolerance needed)."""
    lr = Fraction(lr)
    theta = [Fraction(v) for v in [*w, b]]
    count = 0
    for x, label in zip(X, y):
        a = [Fraction(v) for v in [*x, 1]]
        if label * sum(t * v for t, v in zip(theta, a)) <= 0:
            theta = [t + lr * label * v for t, v in zip(theta, a)]
            count += 1
    return [float(t) for t in theta], count


def perceptron_loss(X, y, theta):
    return sum(max(0.0, -label * (sum(t * v for t, v in zip(theta, x)) + theta[-1]))
               for x, label in zip(X, y))


@pytest.fixture(scope="module")
def classification_variants():
    family = get_family("perceptron_classification")
    return [family.sample(generator(seed), mode=("online", "batch")[seed % 2]) for seed in range(200)]


def test_online_epoch_against_exact_arithmetic_over_seeds(classification_variants):
    ties = 0
    for p in classification_variants:
        if p["mode"] != "online":
            continue
        out = pc.online_epoch(p["X"], p["y"], p["w"], p["b"], p["lr"])
        weights, count = exact_epoch(p["X"], p["y"], p["w"], p["b"], Fraction(str(p["lr"])))
        assert out["weights"] == pytest.approx(weights, abs=1e-9) and out["mistakes"] == count, p
        ties += p["w"] == [0] * len(p["w"]) and p["b"] == 0
    assert ties > 10  # zero starts, where the first example is a tie, are well represented


def test_batch_subgradient_against_finite_differences_over_seeds(classification_variants):
    checked = 0
    for p in classification_variants:
        if p["mode"] != "batch":
            continue
        theta = [*p["w"], p["b"]]
        out = pc.batch_step(p["X"], p["y"], p["w"], p["b"], p["lr"])
        margins = [label * (sum(t * v for t, v in zip(theta, x)) + theta[-1]) for x, label in zip(p["X"], p["y"])]
        assert out["mistakes"] == sum(m <= 0 for m in margins)
        assert out["weights"] == pytest.approx([t - p["lr"] * g for t, g in zip(theta, out["subgradient"])])
        if any(m == 0 for m in margins):
            continue  # J has a kink here: the convention picks the subgradient
        for i in range(len(theta)):
            def of(t, i=i):
                return perceptron_loss(p["X"], p["y"], [t if j == i else v for j, v in enumerate(theta)])
            assert out["subgradient"][i] == pytest.approx(central(of, theta[i], 1e-4), abs=1e-6)
        checked += 1
    assert checked > 30


def test_online_worked_example_with_a_tie_first():
    # w = 0: example 1 is a tie (misclassified), then (1,1,1); example 2 has margin -2; example 3 is fine
    out = pc.online_epoch([[1, 1], [-1, 2], [2, 1]], [1, -1, 1], [0, 0], 0, 1)
    assert out == {"weights": [2.0, -1.0, 0.0], "mistakes": 2}


def test_sign_convention_and_float_ties():
    assert pc.sign(0) == 1 and pc.sign(-1e-3) == -1
    # 0.1 + 0.2 - 0.3 is not exactly 0 in floating point, but it is a tie
    assert pc.misclassified([1, 1, -1], 1, [0.1, 0.2, 0.3], 0.0)
