"""The sigmoid solvers against closed forms and central finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import sigmoid as sg


def naive_sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


@pytest.mark.parametrize("z", [-30.0, -4.2, -1.0, 0.0, 0.3, 2.5, 30.0])
def test_sigmoid_matches_the_definition_and_its_derivative(z):
    assert sg.sigmoid(z) == pytest.approx(naive_sigmoid(z), rel=1e-12, abs=1e-300)
    assert sg.sigmoid_prime(z) == pytest.approx(central_difference(naive_sigmoid, z), rel=1e-6, abs=1e-12)


def test_sigmoid_is_stable_far_out():
    assert sg.sigmoid(-800.0) == 0.0 and sg.sigmoid(800.0) == 1.0
    assert sg.log_loss_from_logit(-800.0, 1) == pytest.approx(800.0)


def direct_loss(x, w, b, y):
    y_hat = naive_sigmoid(float(np.dot(w, x)) + b)
    return -(y * math.log(y_hat) + (1 - y) * math.log(1 - y_hat))


def test_logistic_unit_against_finite_differences_over_seeds():
    family = get_family("sigmoid_gradient")
    checked = 0
    for seed in range(200):
        params = family.sample(generator(seed), mode="example")
        x, w, b, y = params["x"], params["w"], params["b"], params["y"]
        unit = sg.logistic_unit(x, w, b, y)
        assert unit["loss"] == pytest.approx(direct_loss(x, w, b, y), rel=1e-9)
        for i in range(len(w)):
            def loss_of_wi(t, i=i):
                shifted = list(w)
                shifted[i] = t
                return direct_loss(x, shifted, b, y)
            assert unit["grad_w"][i] == pytest.approx(central_difference(loss_of_wi, w[i]), rel=1e-5, abs=1e-8)
        assert unit["grad_b"] == pytest.approx(
            central_difference(lambda t: direct_loss(x, w, t, y), b), rel=1e-5, abs=1e-8)
        checked += 1
    assert checked == 200


def test_closed_form_at_zero():
    unit = sg.logistic_unit([1.0, -2.0], [2.0, 1.0], 0.0, 1)
    assert unit["z"] == 0.0 and unit["y_hat"] == 0.5
    assert unit["loss"] == pytest.approx(math.log(2))
    assert unit["grad_w"] == [-0.5, 1.0] and unit["grad_b"] == -0.5
