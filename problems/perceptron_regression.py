"""``perceptron_regression``: one gradient step of a linear unit on one example.

ŷ = w·x + b, L = ½(y − ŷ)² (DESIGN §8); the answers are ŷ, L, ∂L/∂w, ∂L/∂b and the
parameters after θ ← θ − α∇L.

>>> family = PerceptronRegressionFamily()
>>> params = family.validate({"x": [1, 2], "y": 3, "w": [0.5, -0.5], "b": 1, "lr": 0.1})
>>> answers = family.solve(params)
>>> answers["loss"], answers["grad_w"], round(answers["b_new"], 6)
(3.125, [-2.5, -5.0], 1.25)
"""

from __future__ import annotations

import numpy as np

from calcgrade.problems.checks import Number, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.solutions import perceptron as pc

LEARNING_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5)


def _reference(params) -> dict:
    return pc.regression_step(params["x"], params["y"], params["w"], params["b"], params["lr"])


def _updated(params, grad_w, grad_b, lr=None) -> dict:
    lr = params["lr"] if lr is None else lr
    return {"w_new": [w - lr * g for w, g in zip(params["w"], grad_w)], "b_new": params["b"] - lr * grad_b}


def _missing_half(params):
    ref = _reference(params)
    grad_w, grad_b = [2 * g for g in ref["grad_w"]], 2 * ref["grad_b"]
    return {"loss": 2 * ref["loss"], "grad_w": grad_w, "grad_b": grad_b, **_updated(params, grad_w, grad_b)}


def _sign_flipped(params):
    ref = _reference(params)
    grad_w, grad_b = [-g for g in ref["grad_w"]], -ref["grad_b"]
    return {"grad_w": grad_w, "grad_b": grad_b, **_updated(params, grad_w, grad_b)}


def _forgot_x(params):
    error = _reference(params)["grad_b"]
    grad_w = [error for _ in params["x"]]
    return {"grad_w": grad_w, **_updated(params, grad_w, error)}


def _forgot_learning_rate(params):
    ref = _reference(params)
    return _updated(params, ref["grad_w"], ref["grad_b"], lr=1.0)


class PerceptronRegressionFamily(Family):
    name = "perceptron_regression"
    topic = "the perceptron"
    skills = ("linear unit", "squared-error loss", "chain rule", "gradient step")
    summary = "ŷ, L = ½(y − ŷ)², its gradient and one gradient step of a linear unit on one example"
    params = (
        ParamSpec("x", Vector(), "the example's features"),
        ParamSpec("y", Number(), "the example's target"),
        ParamSpec("w", Vector(length="x"), "the weights, one per feature"),
        ParamSpec("b", Number(), "the bias"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
    )
    options = (
        OptionSpec("features", 2, "the number of features", kind=int, minimum=1, maximum=4),
    )
    answers = {
        "y_hat": AnswerSpec("scalar", "ŷ = w·x + b"),
        "loss": AnswerSpec("scalar", "L = ½(y − ŷ)²"),
        "grad_w": AnswerSpec("vector", "∂L/∂wᵢ = (ŷ − y)xᵢ, one entry per weight"),
        "grad_b": AnswerSpec("scalar", "∂L/∂b"),
        "w_new": AnswerSpec("vector", "the weights after one step"),
        "b_new": AnswerSpec("scalar", "the bias after one step"),
    }

    catalog = (
        Mistake("missing_half",
                "you lost the ½: with L = ½(y − ŷ)² the 2 of the square cancels, so "
                "L′ = (ŷ − y) and your values are twice too big", _missing_half),
        Mistake("sign_flipped",
                "your gradient has the wrong sign: ∂L/∂wᵢ = (ŷ − y)xᵢ (the inner derivative of "
                "y − ŷ is −1), and the step subtracts it", _sign_flipped),
        Mistake("forgot_x",
                "you forgot the input in the chain rule: ∂L/∂wᵢ = (ŷ − y)·xᵢ, not just ŷ − y",
                _forgot_x),
        Mistake("forgot_learning_rate",
                "your step is the whole gradient: multiply it by the learning rate, "
                "w ← w − α∂L/∂w", _forgot_learning_rate),
    )

    def draw(self, rng: np.random.Generator, *, features: int):
        params = {
            "x": nice_vector(rng, features, -3, 3, 0.5, nonzero=True),
            "y": nice(rng, -5, 5, 0.5),
            "w": nice_vector(rng, features, -2, 2, 0.5),
            "b": nice(rng, -2, 2, 0.5),
            "lr": pick(rng, LEARNING_RATES),
        }
        if abs(pc.dot(params["w"], params["x"]) + params["b"] - params["y"]) < 0.5:
            raise Reject("the prediction is (almost) right already")
        return params

    def solve(self, params):
        return _reference(params)

    def context(self, params):
        return {"n": len(params["x"])}
