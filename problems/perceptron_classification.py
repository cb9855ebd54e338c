"""``perceptron_classification``: the sign perceptron with labels ±1, one online epoch or one
batch subgradient step.

An example is misclassified when y(w·x + b) ≤ 0: a point on the boundary (w·x + b = 0) is
misclassified whatever its label, and the statement says so in these words only.
Online: go through the examples in order and, on each misclassified one, w ← w + α·y·x,
b ← b + α·y. Batch: one step θ ← θ − α·g on J = Σ max(0, −y(w·x + b)) with the subgradient
g = −Σ y·[x, 1] over the misclassified examples; with ``reduction`` 'mean', on J/m (m the
number of examples), so g is divided by m. Answers are [w..., b] (``weights``), the
number of misclassified examples (``mistakes``: during the epoch, or at the start of the
batch step) and, in batch mode, ``subgradient``.

>>> family = PerceptronClassificationFamily()
>>> params = family.validate({"X": [[1, 1], [-1, 2]], "y": [1, -1], "w": [0, 0], "b": 0, "lr": 1})
>>> params["mode"], family.solve(params)
('online', {'weights': [2.0, -1.0, 0.0], 'mistakes': 2})
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, ListOf, Matrix, Number, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.problems.statements import data_context, indexed
from calcgrade.solutions import perceptron as pc

MODES = ("online", "batch")
REDUCTIONS = ("sum", "mean")
LEARNING_RATES = (1, 1, 0.5, 0.1)
MAX_EXAMPLES, MAX_FEATURES = 10, 3


def _ties(params) -> bool:
    """Whether some example is met with y(w·x + b) = 0 exactly (during the epoch, or at the
    start of a batch step): only then does using < 0 instead of ≤ 0 change anything."""
    w, b = list(params["w"]), params["b"]
    for x, label in zip(params["X"], params["y"]):
        m = pc.margin(x, label, w, b)
        if abs(m) <= pc.TIE:
            return True
        if params["mode"] == "online" and m <= 0:
            w = [wi + params["lr"] * label * xi for wi, xi in zip(w, x)]
            b += params["lr"] * label
    return False


def _buggy(update_if: Callable[[float], bool], direction: float = 1.0, count: bool = False):
    """A perceptron that updates when ``update_if(margin)`` (and by direction·α·y·x)."""
    def solve(params):
        X, y, lr = params["X"], params["y"], params["lr"]
        w, b, updates = [float(v) for v in params["w"]], float(params["b"]), 0
        if params["mode"] == "online":
            for x, label in zip(X, y):
                if update_if(pc.margin(x, label, w, b)):
                    w = [wi + direction * lr * label * xi for wi, xi in zip(w, x)]
                    b += direction * lr * label
                    updates += 1
            out = {"weights": [*w, b]}
        else:
            g = [0.0] * (len(w) + 1)
            for x, label in zip(X, y):
                if update_if(pc.margin(x, label, w, b)):
                    updates += 1
                    for i, v in enumerate([*x, 1]):
                        g[i] -= direction * label * v
            if _mean(params):
                g = [gi / len(X) for gi in g]
            out = {"subgradient": g, "weights": [t - lr * gi for t, gi in zip([*w, b], g)]}
        if count:
            out["mistakes"] = updates
        return out
    return solve


def _mean(params) -> bool:
    return params.get("reduction", "sum") == "mean"


def _batch_with(params, divide_by: int):
    """The batch step with the summed subgradient divided by ``divide_by``."""
    out = pc.batch_step(params["X"], params["y"], params["w"], params["b"], params["lr"])
    g = [gi / divide_by for gi in out["subgradient"]]
    return {"subgradient": g, "weights": [t - params["lr"] * gi for t, gi in
                                          zip([*params["w"], params["b"]], g)]}


def _other_reduction(params):
    """The batch step with the loss reduced the other way: the sum where the statement takes
    the mean, the mean where it takes the sum."""
    if params["mode"] != "batch":
        return None
    summed = pc.batch_step(params["X"], params["y"], params["w"], params["b"], params["lr"])
    if not any(summed["subgradient"]):
        return None  # nothing to scale
    return _batch_with(params, 1 if _mean(params) else len(params["X"]))


def _strict_inequality(params):
    if not _ties(params):
        return None
    return _buggy(lambda m: m < -pc.TIE, count=True)(params)


class PerceptronClassificationFamily(Family):
    name = "perceptron_classification"
    topic = "the perceptron"
    skills = ("sign perceptron", "perceptron update rule", "perceptron loss subgradient")
    summary = "one online epoch (or one batch subgradient step) of the sign perceptron with labels ±1"
    params = (
        ParamSpec("X", Matrix(rows=(1, MAX_EXAMPLES), columns=(1, MAX_FEATURES)), "the features, one row per example, in the order visited"),
        ParamSpec("y", ListOf(Choice((1, -1)), length="X", unit="labels (one per row of X)", shown="list of ±1"),
                  "the labels, one per example"),
        ParamSpec("w", Vector(length=lambda params: len(params["X"][0])), "the starting weights, one per feature"),
        ParamSpec("b", Number(), "the starting bias"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("mode", Choice(MODES), "one online epoch (default) or one batch step",
                  required=False),
        ParamSpec("reduction", Choice(REDUCTIONS), "batch only: the loss sums over the examples "
                  "('sum', the default) or averages them ('mean', so the subgradient is divided by m)",
                  required=False),
    )
    options = (
        OptionSpec("mode", "any", "'online' (one epoch), 'batch' (one subgradient step) or 'any'",
                   choices=("online", "batch", "any")),
        OptionSpec("features", "any", "the number of features: 1, 2 or 'any'", choices=(1, 2, "any")),
        OptionSpec("reduction", "sum", "the batch loss: 'sum' over the examples, 'mean' over them "
                   "(the subgradient divided by m) or 'any'", choices=("sum", "mean", "any")),
    )
    answers = {
        "subgradient": AnswerSpec("vector", "the subgradient [∂J/∂w..., ∂J/∂b] at the start (batch)"),
        "weights": AnswerSpec("vector", "[w..., b] after the epoch (online) or the step (batch)"),
        "mistakes": AnswerSpec("scalar", "how many examples were misclassified, y(w·x + b) ≤ 0: "
                               "during the epoch (online) or at the start (batch)"),
    }

    def answer_names(self, params):
        if params["mode"] == "batch":
            return ["subgradient", "weights", "mistakes"]
        return ["weights", "mistakes"]

    catalog = (
        Mistake("update_every_example",
                "you updated on every example: the perceptron changes w and b only when an "
                "example is misclassified, y(w·x + b) ≤ 0", _buggy(lambda m: True)),
        Mistake("update_when_correct",
                "you updated on the correctly classified examples instead of the misclassified "
                "ones: update when y(w·x + b) ≤ 0", _buggy(lambda m: m > pc.TIE)),
        Mistake("strict_inequality",
                "an example with w·x + b = 0 counts as misclassified (the test is "
                "y(w·x + b) ≤ 0, not < 0), so it triggers an update", _strict_inequality),
        Mistake("sign_flipped",
                "your update has the wrong sign: on a mistake w ← w + α·y·x and b ← b + α·y",
                _buggy(lambda m: m <= pc.TIE, direction=-1.0)),
        Mistake("other_reduction",
                "your step reduces the examples' terms the other way: follow J as the statement "
                "writes it, the sum over the examples or the mean (the sum divided by m, the "
                "number of all examples)", _other_reduction),
    )

    def check(self, params):
        mode = params.get("mode", "online")
        out = {**params, "mode": mode}
        if out.get("reduction") == "sum":
            del out["reduction"]  # the default, left implicit
        elif "reduction" in out and mode != "batch":
            raise ParamsError(f"{self.name}: param 'reduction' belongs to batch mode only, not {mode}")
        return out

    def draw(self, rng: np.random.Generator, *, mode: str, features, reduction: str):
        mode = pick(rng, MODES) if mode == "any" else mode
        n = pick(rng, (1, 2)) if features == "any" else features
        m = pick(rng, (3, 4, 5))
        X = [nice_vector(rng, n, -3, 3) for _ in range(m)]
        if any(all(v == 0 for v in row) for row in X) or len({tuple(r) for r in X}) < m:
            raise Reject("an example is zero or repeated")
        y = [pick(rng, (-1, 1)) for _ in range(m)]
        if len(set(y)) < 2:
            raise Reject("only one class")
        if rng.random() < 0.4:
            w, b = [0] * n, 0
        else:
            w, b = nice_vector(rng, n, -2, 2), nice(rng, -1, 1)
        params = {"X": X, "y": y, "w": w, "b": b, "lr": pick(rng, LEARNING_RATES), "mode": mode}
        if mode == "batch" and reduction != "sum":  # the default draws nothing more
            if (pick(rng, REDUCTIONS) if reduction == "any" else reduction) == "mean":
                params["reduction"] = "mean"
        if self.solve(params)["mistakes"] == 0:
            raise Reject("no example is misclassified")
        return params

    def solve(self, params):
        args = (params["X"], params["y"], params["w"], params["b"], params["lr"])
        if params["mode"] == "batch":
            return pc.batch_step(*args, mean=_mean(params))
        return pc.online_epoch(*args)

    def context(self, params):
        names = indexed("w", len(params["X"][0])) + ["b"]
        return {**data_context(params["X"], params["y"]), "batch": params["mode"] == "batch",
                "mean": _mean(params), "m": len(params["X"]),
                "partials": ", ".join(f"\\partial J/\\partial {v}" for v in names)}
