"""The softmax solver against scipy, a naive numpy softmax, finite differences and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp, softmax as scipy_softmax

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import softmax as sm


def naive_loss(scores, label):
    e = np.exp(np.asarray(scores, dtype=float))
    return -math.log(e[label] / e.sum())


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


def test_course_worked_example():
    out = sm.softmax_cross_entropy([2.0, 1.0, 0.1], 0)
    assert out["probabilities"] == pytest.approx([0.6590, 0.2424, 0.0986], abs=5e-5)
    assert out["loss"] == pytest.approx(0.4170, abs=5e-5)
    assert out["gradient"] == pytest.approx([0.6590 - 1, 0.2424, 0.0986], abs=5e-5)


def test_against_scipy_and_finite_differences_over_seeds():
    family = get_family("softmax_cross_entropy")
    for seed in range(200):
        params = family.sample(generator(seed))
        z, k = params["scores"], params["label"]
        out = sm.softmax_cross_entropy(z, k)
        assert out["probabilities"] == pytest.approx(scipy_softmax(z).tolist(), rel=1e-12, abs=1e-15)
        assert out["loss"] == pytest.approx(logsumexp(z) - z[k], rel=1e-12, abs=1e-14)
        assert out["loss"] == pytest.approx(naive_loss(z, k), rel=1e-9, abs=1e-12)
        for i in range(len(z)):
            def loss_of_zi(t, i=i):
                shifted = list(z)
                shifted[i] = t
                return naive_loss(shifted, k)
            assert out["gradient"][i] == pytest.approx(central_difference(loss_of_zi, z[i]), rel=1e-5, abs=1e-8)


def test_closed_forms_equal_scores_and_two_classes():
    out = sm.softmax_cross_entropy([0.7, 0.7, 0.7, 0.7], 2)
    assert out["probabilities"] == pytest.approx([0.25] * 4)
    assert out["loss"] == pytest.approx(math.log(4))
    # two classes: softmax is the sigmoid of the score difference
    out = sm.softmax_cross_entropy([1.5, -0.5], 0)
    assert out["probabilities"][0] == pytest.approx(1 / (1 + math.exp(-2.0)))
    assert out["loss"] == pytest.approx(math.log1p(math.exp(-2.0)))


def test_shift_invariance_and_no_overflow():
    base = sm.softmax_cross_entropy([1.0, -2.0, 0.5], 1)
    far = sm.softmax_cross_entropy([1001.0, 998.0, 1000.5], 1)
    assert far["probabilities"] == pytest.approx(base["probabilities"], rel=1e-12)
    assert far["loss"] == pytest.approx(base["loss"], rel=1e-9)
    assert sum(far["probabilities"]) == pytest.approx(1.0)
    assert sm.softmax_cross_entropy([-800.0, 0.0], 0)["loss"] == pytest.approx(800.0)
