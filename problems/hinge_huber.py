"""``hinge_huber``: the (sub)gradient of the hinge loss or of the Huber loss over a small batch.

A linear model ŷ = w·x without bias; the loss is the mean over the m examples. Hinge
(labels ±1): max(0, 1 − y·w·x), with the subgradient 0 for an example exactly at the
kink y·w·x = 1. Huber (real targets, δ given): on r = w·x − y, ½r² for |r| ≤ δ and
δ(|r| − ½δ) otherwise. Answers: ``loss`` and ``gradient`` (with respect to w).

>>> family = HingeHuberFamily()
>>> family.solve(family.validate({"loss": "hinge", "X": [[1, 2], [2, -1]], "y": [1, -1], "w": [0.5, 0.5]}))
{'loss': 0.75, 'gradient': [1.0, -0.5]}
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, Matrix, Number, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.problems.statements import data_context, number_text
from calcgrade.solutions import robust_losses as rl

LOSSES = ("hinge", "huber")
DELTAS = (0.5, 1.5, 2, 3)  # not 1: with δ = 1 the linear branch without δ is right
MAX_EXAMPLES, MAX_FEATURES = 8, 3


def _hinge_gradient(params, active, label_factor) -> list[float]:
    """(1/m) Σ −label_factor(y)·x over the examples whose margin is ``active``."""
    X, y, w = params["X"], params["y"], params["w"]
    total = [0.0] * len(w)
    for x, label, margin in zip(X, y, rl.margins(X, y, w)):
        if active(margin):
            total = [t - label_factor(label) * xi for t, xi in zip(total, x)]
    return [t / len(X) for t in total]


def _wrong_side(params):
    if params["loss"] != "hinge":
        return None
    return {"gradient": _hinge_gradient(params, lambda m: m > 1 + rl.TIE, lambda label: label)}


def _missing_label(params):
    if params["loss"] != "hinge":
        return None
    return {"gradient": _hinge_gradient(params, rl.hinge_active, lambda label: 1)}


def _huber_with(params, value, slope):
    X, w, delta = params["X"], params["w"], params["delta"]
    rs = rl.residuals(X, params["y"], w)
    m = len(X)
    return {"loss": math.fsum(value(r, delta) for r in rs) / m,
            "gradient": [math.fsum(slope(r, delta) * x[j] for r, x in zip(rs, X)) / m for j in range(len(w))]}


def _no_half(params):
    if params["loss"] != "huber":
        return None
    return _huber_with(params, lambda r, d: r * r if abs(r) <= d else rl.huber_value(r, d),
                       lambda r, d: 2 * r if abs(r) <= d else rl.huber_slope(r, d))


def _linear_without_delta(params):
    if params["loss"] != "huber" or params["delta"] == 1:
        return None
    return _huber_with(params, lambda r, d: rl.huber_value(r, d) if abs(r) <= d else abs(r) - 0.5 * d,
                       lambda r, d: r if abs(r) <= d else math.copysign(1.0, r))


class HingeHuberFamily(Family):
    name = "hinge_huber"
    topic = "hinge and Huber losses"
    skills = ("hinge loss subgradient", "Huber loss gradient", "piecewise derivatives", "batch mean")
    summary = "the mean hinge loss (labels ±1) or Huber loss (δ given) of a linear model over a batch, and its (sub)gradient"
    params = (
        ParamSpec("loss", Choice(LOSSES), "'hinge' (labels ±1) or 'huber' (real targets, with 'delta')"),
        ParamSpec("X", Matrix(rows=(1, MAX_EXAMPLES), columns=(1, MAX_FEATURES)),
                  "the features, one row per example"),
        ParamSpec("y", Vector(length=lambda params: len(params["X"])),
                  "the labels ±1 (hinge) or the targets (huber), one per example"),
        ParamSpec("w", Vector(length=lambda params: len(params["X"][0])), "the weights, one per feature"),
        ParamSpec("delta", Number(positive=True), "δ of the Huber loss (huber only)", required=False),
    )
    options = (
        OptionSpec("loss", "any", "'hinge', 'huber' or 'any'", choices=("any",) + LOSSES),
        OptionSpec("features", "any", "the number of features: 1, 2, 3 or 'any'", choices=(1, 2, 3, "any")),
    )
    answers = {
        "loss": AnswerSpec("scalar", "the mean loss over the examples"),
        "gradient": AnswerSpec("vector", "the (sub)gradient of the mean loss with respect to w"),
    }

    catalog = (
        Mistake("hinge_wrong_side",
                "your subgradient takes −y·x from the examples with y·w·x > 1: the hinge term is "
                "nonzero, with slope −y·x, where y·w·x < 1, and flat (0) beyond the kink", _wrong_side),
        Mistake("hinge_missing_label",
                "your subgradient uses −x: the derivative of 1 − y·w·x with respect to w is −y·x, "
                "so the label y stays in it", _missing_label),
        Mistake("huber_no_half",
                "your quadratic branch is r² (slope 2r): the Huber loss is ½r² for |r| ≤ δ, "
                "with slope r", _no_half),
        Mistake("huber_linear_without_delta",
                "your linear branch has slope ±1: the Huber loss is δ(|r| − ½δ) for |r| > δ, "
                "with slope δ·sign(r)", _linear_without_delta),
    )

    def check(self, params):
        loss = params["loss"]
        if loss == "hinge":
            if any(label not in (1, -1) for label in params["y"]):
                raise ParamsError(f"{self.name}: param 'y' must hold only the labels 1 and -1 for the hinge loss")
            if "delta" in params:
                raise ParamsError(f"{self.name}: param 'delta' belongs to the huber loss, not hinge")
            return {**params, "y": [int(label) for label in params["y"]]}
        if "delta" not in params:
            raise ParamsError(f"{self.name}: param 'delta' is missing (the huber loss needs δ > 0)")
        return params

    def draw(self, rng: np.random.Generator, *, loss, features):
        loss = pick(rng, LOSSES) if loss == "any" else loss
        n = pick(rng, (1, 2, 2, 3)) if features == "any" else features
        m = pick(rng, (2, 3, 4))
        X = [nice_vector(rng, n, -3, 3) for _ in range(m)]
        if any(not any(row) for row in X):
            raise Reject("an example is zero")
        w = nice_vector(rng, n, -1.5, 1.5, step=0.5)
        if not any(w):
            raise Reject("w is zero")
        if loss == "hinge":
            y = [pick(rng, (-1, 1)) for _ in range(m)]
            margins = rl.margins(X, y, w)
            if not any(mi < 1 - rl.TIE for mi in margins) or not any(mi > 1 + rl.TIE for mi in margins):
                raise Reject("every example is on the same side of the kink")
            if all(label == 1 for label, mi in zip(y, margins) if rl.hinge_active(mi)):
                raise Reject("no active example has the label -1")
            params = {"loss": loss, "X": X, "y": y, "w": w}
        else:
            y = nice_vector(rng, m, -4, 4)
            delta = pick(rng, DELTAS)
            rs = rl.residuals(X, y, w)
            if not any(abs(r) < delta for r in rs) or not any(abs(r) > delta for r in rs):
                raise Reject("every residual is in the same branch of the Huber loss")
            params = {"loss": loss, "X": X, "y": y, "w": w, "delta": delta}
        if not any(abs(g) > 1e-9 for g in self.solve(params)["gradient"]):
            raise Reject("the gradient is zero")
        return params

    def solve(self, params):
        if params["loss"] == "hinge":
            return rl.hinge(params["X"], params["y"], params["w"])
        return rl.huber(params["X"], params["y"], params["w"], params["delta"])

    def context(self, params):
        out = data_context(params["X"], params["y"])
        out.update({"hinge": params["loss"] == "hinge", "w_text": ", ".join(number_text(v) for v in params["w"]),
                    "delta_text": number_text(params["delta"]) if "delta" in params else "",
                    "wx": r"\mathbf{w}\cdot\mathbf{x}" if out["n"] > 1 else "w\\,x",
                    "partials": ", ".join(rf"\partial L/\partial {v}" for v in out["weight_names"].split(", "))})
        return out
