"""``logistic_regression``: batch log-loss, its gradient, gradient descent and a Newton step.

A few examples with labels 0/1, a start θ = [w..., b], a learning rate and a number of
steps. When a Newton step is asked the data must not be linearly separable (else the
log-loss has no minimizer); the sampler also keeps H well conditioned and picks α with
α·L ≤ 1, L = λmax(AᵀA)/(4m) bounding the Hessian.

>>> family = LogisticRegressionFamily()
>>> params = family.validate({"X": [[0], [1], [2]], "y": [0, 1, 0], "w": [0], "b": 0,
...                           "lr": 1, "steps": 1})
>>> answers = family.solve(params)
>>> round(answers["loss"], 6), [round(v, 6) for v in answers["newton_step"]]
(0.693147, [0.0, -0.666667])
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Boolean, Choice, Integer, ListOf, Matrix, Number, Vector
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject,
                                       remembered, require_bounded)
from calcgrade.problems.linear_regression_gd import full_rank
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.problems.statements import data_context, indexed
from calcgrade.solutions import logistic_regression as lg
from calcgrade.solutions.linear_regression import design

MAX_STEPS = 20
MAX_EXAMPLES, MAX_FEATURES = 10, 2
LEARNING_RATES = (0.1, 0.2, 0.25, 0.5, 1, 2)
MAX_CONDITION, MAX_NEWTON_MOVE = 200.0, 4.0


def _start(params):
    return lg.design_rows(params["X"]), params["y"], [float(v) for v in [*params["w"], params["b"]]]


def _run(params, gradient) -> list[list[float]]:
    """Gradient descent with a (possibly buggy) gradient function of (rows, y, θ)."""
    rows, y, theta = _start(params)
    points = []
    for _ in range(params["steps"]):
        theta = [t - params["lr"] * g for t, g in zip(theta, gradient(rows, y, theta))]
        points.append(theta)
    return points


def _scaled(factor: float):
    return lambda rows, y, theta: [factor * g for g in lg.theta_gradient(rows, y, theta)]


def _missing_mean(params):
    m = len(params["X"])
    reference = LogisticRegressionFamily().solve(params)
    return {"loss": m * reference["loss"], "grad": [m * g for g in reference["grad"]],
            "iterates": _run(params, _scaled(m))}


def _sign_flipped(params):
    reference = LogisticRegressionFamily().solve(params)
    out = {"grad": [-g for g in reference["grad"]], "iterates": _run(params, _scaled(-1.0))}
    if params["newton"]:
        theta = [*params["w"], params["b"]]
        out["newton_step"] = [2 * t - n for t, n in zip(theta, reference["newton_step"])]
    return out


def _hessian_not_inverse(params):
    if not params["newton"]:
        return None
    rows, y, theta = _start(params)
    h, g = lg.hessian(rows, theta), lg.theta_gradient(rows, y, theta)
    return {"newton_step": [t - sum(hj * gj for hj, gj in zip(row, g)) for t, row in zip(theta, h)]}


def _extra_sigma_prime_gradient(rows, y, theta):
    p = lg.probabilities(rows, theta)
    return lg.weighted_sum(rows, [(pi - t) * pi * (1 - pi) for pi, t in zip(p, y)])


def _extra_sigma_prime(params):
    rows, y, theta = _start(params)
    return {"grad": _extra_sigma_prime_gradient(rows, y, theta),
            "iterates": _run(params, _extra_sigma_prime_gradient)}


def _separable(X, y) -> bool:
    """:func:`lg.separable`, remembered: the sampler's draw and check both ask."""
    return _separable_cached(tuple(tuple(row) for row in X), tuple(y))


@lru_cache(maxsize=512)
def _separable_cached(X: tuple, y: tuple) -> bool:
    return lg.separable(X, y)


class LogisticRegressionFamily(Family):
    name = "logistic_regression"
    topic = "logistic regression"
    skills = ("log-loss", "gradient of the log-loss", "gradient descent", "Newton's method (IRLS)")
    summary = ("batch log-loss and its gradient for a few examples, a few gradient-descent steps "
               "and one Newton step")
    params = (
        ParamSpec("X", Matrix(rows=(2, MAX_EXAMPLES), columns=(1, MAX_FEATURES)), "the features, one row per example (m × n, n = 1 or 2)"),
        ParamSpec("y", ListOf(Choice((0, 1)), length="X", unit="labels (one per row of X)", shown="list of 0/1"),
                  "the labels, one per example"),
        ParamSpec("w", Vector(length=lambda params: len(params["X"][0])), "the starting weights, one per feature"),
        ParamSpec("b", Number(), "the starting bias"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("steps", Integer(1, MAX_STEPS, shown=f"whole number 1..{MAX_STEPS}"), "the number of gradient-descent steps"),
        ParamSpec("newton", Boolean(), "also ask for one Newton step (default true; the "
                  "data must then not be linearly separable)", required=False),
    )
    options = (
        OptionSpec("features", "any", "the number of features: 1, 2 or 'any'", choices=(1, 2, "any")),
        OptionSpec("steps", 2, "the number of gradient-descent steps", kind=int, minimum=1, maximum=5),
        OptionSpec("newton", True, "ask for one Newton step too", choices=(True, False)),
    )
    answers = {
        "loss": AnswerSpec("scalar", "J at the starting parameters"),
        "grad": AnswerSpec("vector", "∇J = [∂J/∂w..., ∂J/∂b] at the starting parameters"),
        "iterates": AnswerSpec("iterates", "[w..., b] after each gradient-descent step"),
        "newton_step": AnswerSpec("vector", "[w..., b] after one Newton step from the start"),
    }

    def answer_names(self, params):
        names = ["loss", "grad", "iterates"]
        return names + ["newton_step"] if params["newton"] else names

    catalog = (
        Mistake("missing_mean",
                "you forgot the 1/m: the loss and its gradient average over the m examples",
                _missing_mean),
        Mistake("sign_flipped",
                "your gradient has the wrong sign: ∇J = 1/m Xᵀ(ŷ − y), and both gradient "
                "descent and Newton subtract their step", _sign_flipped),
        Mistake("hessian_not_inverse",
                "you multiplied the gradient by the Hessian: Newton's step is θ − H⁻¹∇J "
                "(solve H·Δ = ∇J)", _hessian_not_inverse),
        Mistake("extra_sigma_prime",
                "your gradient has an extra factor ŷ(1 − ŷ) (the squared-error chain rule): "
                "with the log-loss it cancels, leaving 1/m Xᵀ(ŷ − y)", _extra_sigma_prime),
    )

    def check(self, params):
        X, y = params["X"], params["y"]
        checked = {**params, "newton": params.get("newton", True)}
        newton = checked["newton"]
        if not full_rank(X):
            raise ParamsError(f"{self.name}: the columns of [X | 1] are linearly dependent (a "
                              "repeated or constant feature); change X")
        if newton and _separable(X, y):
            raise ParamsError(f"{self.name}: the data are linearly separable, so the log-loss has "
                              "no minimizer and Newton's method diverges; change a label or set "
                              "newton to false")
        require_bounded(self.name, self.solve(checked)["iterates"][-1:], checked["lr"], 1e6)
        return checked

    def draw(self, rng: np.random.Generator, *, features, steps: int, newton: bool):
        n = pick(rng, (1, 2)) if features == "any" else features
        m = pick(rng, (3, 4, 5) if n == 1 or not newton else (4, 5))  # 3 points in a plane split
        if n == 1:
            X = [[v] for v in sorted(rng.choice(np.arange(-3, 4), size=m, replace=False).tolist())]
        else:
            X = rng.integers(-3, 4, size=(m, 2)).tolist()
        y = rng.integers(2, size=m).tolist()
        if len(set(y)) < 2:
            raise Reject("only one class")
        if newton and _separable(X, y):
            raise Reject("the data are linearly separable")
        A = design(X)
        eigen = np.linalg.eigvalsh(A.T @ A)
        if eigen[0] * MAX_CONDITION < eigen[-1]:
            raise Reject("the features are (nearly) collinear")
        w, b = nice_vector(rng, n, -1, 1, 0.5), nice(rng, -1, 1, 0.5)
        bound = float(eigen[-1]) / (4 * m)
        good = [a for a in LEARNING_RATES if 0.1 <= a * bound <= 1.0]
        if not good:
            raise Reject("no learning rate in the list gives a stable, visible step")
        params = {"X": X, "y": y, "w": w, "b": b, "lr": pick(rng, good), "steps": steps,
                  "newton": newton}
        if newton:
            move = [a - t for a, t in zip(self.solve(params)["newton_step"], [*w, b])]
            if max(abs(v) for v in move) > MAX_NEWTON_MOVE:
                raise Reject("the Newton step is too long")
        return params

    @remembered
    def solve(self, params):
        return lg.solve(params["X"], params["y"], params["w"], params["b"], params["lr"],
                        params["steps"], params["newton"])

    def step_rule(self, params):
        """θ ← θ − α∇J over [w..., b]; a point is stationary where ∇J vanishes."""
        rows, y, _ = _start(params)

        def gradient(point):
            return lg.theta_gradient(rows, y, point)
        return (lambda point: [t - params["lr"] * g for t, g in zip(point, gradient(point))]), gradient

    def context(self, params):
        names = indexed("w", len(params["X"][0])) + ["b"]
        return {**data_context(params["X"], params["y"]),
                "partials": ", ".join(f"\\partial J/\\partial {v}" for v in names)}
