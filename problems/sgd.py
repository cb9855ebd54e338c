"""``sgd``: stochastic and mini-batch gradient descent over a given order of the examples.

A few examples (X is m × n, bias b separate), a start (w, b), a learning rate, the order in
which the examples are visited (their numbers 1..m in the table), a batch size and a number
of epochs. The examples are cut into consecutive batches of that size in that order (the
last may be smaller), each epoch in the same order; each batch makes one step
θ ← θ − α·g with g the mean (``reduction`` ``"mean"``) or the sum (``"sum"``) of the
per-example gradients (ŷ_i − y_i)·[x_i, 1] of ½(ŷ_i − y_i)² (or of the log-loss). Answers:
each step's batch gradient and the iterates, both with error carried forward.

>>> family = SGDFamily()
>>> params = family.validate({"X": [[1], [2], [3]], "y": [1, 2, 2], "w": [0], "b": 0,
...                           "lr": 0.1, "order": [3, 1, 2], "batch_size": 2})
>>> [[round(v, 9) for v in point] for point in family.solve(params)["iterates"]]
[[0.35, 0.15], [0.58, 0.265]]
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core.answers import CarriedSteps
from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, Integer, ListOf, Number
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, linear_model_params, Reject, as_point,
                                       close_to, remembered, require_bounded, stationary_test)
from calcgrade.problems.sampling import example_data, nice, nice_vector, pick
from calcgrade.problems.statements import data_context, listed, number_text
from calcgrade.solutions import sgd

MAX_EXAMPLES, MAX_FEATURES, MAX_EPOCHS = 10, 3, 5
LEARNING_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)
SMALLEST_STEP = 0.02  # every step moves some parameter by at least this much
DEFAULTS = {"epochs": 1, "reduction": "mean", "loss": "mse"}


def _groups(params, order=None) -> list[list[int]]:
    """The batches as 0-based indices (``order`` in place of the given one)."""
    order = params["order"] if order is None else order
    return sgd.batches([i - 1 for i in order], params["batch_size"], params["epochs"])


def _run(params, order=None, groups=None, reduction=None, frozen=False) -> dict:
    return sgd.run(params["X"], params["y"], [*params["w"], params["b"]], params["lr"],
                   groups or _groups(params, order), params["loss"], reduction or params["reduction"],
                   frozen=frozen)


# the mistake catalog ----------------------------------------------------------------------
def _full_batch(params):
    everyone = list(range(len(params["X"])))
    return _run(params, groups=[everyone] * len(_groups(params)))


def _other_reduction(params):
    if params["batch_size"] == 1:
        return None
    return _run(params, reduction="sum" if params["reduction"] == "mean" else "mean")


def _reversed_order(params):
    return _run(params, order=params["order"][::-1])


def _table_order(params):
    table = list(range(1, len(params["X"]) + 1))
    return None if params["order"] == table else _run(params, order=table)


def _no_update_between(params):
    return None if len(_groups(params)) < 2 else _run(params, frozen=True)


class SGDFamily(Family):
    name = "sgd"
    topic = "stochastic gradient descent"
    skills = ("stochastic gradient descent", "mini-batch gradient", "batch mean or sum",
              "following an example order")
    summary = ("a sequence of stochastic (one example) or mini-batch gradient steps for linear or "
               "logistic regression over a given order of the examples")
    params = (
        *linear_model_params(MAX_EXAMPLES, MAX_FEATURES,
                             targets="the targets (0 or 1 under log-loss), one per example"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("order", ListOf(Integer(1, lambda params: len(params["X"]), after=("X",),
                                          shown="whole number"),
                                  length="X", unit="example numbers (each of 1..m once)"),
                  "the order in which the examples are visited, by their number 1..m in the table"),
        ParamSpec("batch_size", Integer(1, lambda params: len(params["X"]), after=("X",), shown="whole number"),
                  "the number of examples per step (1 for stochastic gradient descent)"),
        ParamSpec("epochs", Integer(1, MAX_EPOCHS, shown=f"whole number 1..{MAX_EPOCHS}"),
                  "the number of passes over the examples, each in the same order (default 1)", required=False),
        ParamSpec("reduction", Choice(sgd.REDUCTIONS),
                  "'mean' (default) or 'sum' of the per-example gradients in a batch", required=False),
        ParamSpec("loss", Choice(sgd.LOSSES),
                  "'mse' (½(ŷ − y)² per example, default) or 'log_loss'", required=False),
    )
    options = (
        OptionSpec("batch_size", "any", "the batch size: 1 (stochastic), 2, 3 or 'any'", choices=(1, 2, 3, "any")),
        OptionSpec("reduction", "mean", "a batch's gradient: 'mean', 'sum' or 'any'",
                   choices=(*sgd.REDUCTIONS, "any")),
        OptionSpec("loss", "mse", "the loss: 'mse', 'log_loss' or 'any'", choices=(*sgd.LOSSES, "any")),
        OptionSpec("epochs", 1, "the number of passes over the examples", kind=int, minimum=1, maximum=2),
        OptionSpec("features", "any", "the number of features: 1, 2 or 'any'", choices=(1, 2, "any")),
    )
    answers = {
        "gradients": AnswerSpec("iterates", "each step's batch gradient [∂/∂w..., ∂/∂b] before its step"),
        "iterates": AnswerSpec("iterates", "[w..., b] after each step"),
    }

    catalog = (
        Mistake("full_batch",
                "each of your steps uses every example: a mini-batch step uses only the examples "
                "of its batch", _full_batch),
        Mistake("other_reduction",
                "you mixed up the mean and the sum over the batch: the statement says which one "
                "the batch gradient uses", _other_reduction),
        Mistake("reversed_order",
                "you visited the examples in reverse: follow the order the statement gives",
                _reversed_order),
        Mistake("table_order",
                "you visited the examples in the order of the table: follow the order the "
                "statement gives", _table_order),
        Mistake("no_update_between",
                "every one of your gradients is taken at the starting parameters: update θ after "
                "each batch and take the next gradient at the new θ", _no_update_between),
    )

    def check(self, params):
        checked = {**DEFAULTS, **params}
        m = len(checked["X"])
        if sorted(checked["order"]) != list(range(1, m + 1)):
            raise ParamsError(f"{self.name}: param 'order' must list each example number 1..{m} "
                              f"exactly once, not {checked['order']!r}")
        if checked["loss"] == "log_loss" and any(t not in (0, 1) for t in checked["y"]):
            raise ParamsError(f"{self.name}: under log-loss every target in 'y' must be 0 or 1, "
                              f"not {checked['y']!r}")
        require_bounded(self.name, self.solve(checked)["iterates"], checked["lr"], 1e6)
        return checked

    def draw(self, rng: np.random.Generator, *, batch_size, reduction: str, loss: str, epochs: int, features):
        size = pick(rng, (1, 2, 3)) if batch_size == "any" else batch_size
        reduction = pick(rng, sgd.REDUCTIONS) if reduction == "any" else reduction
        loss = pick(rng, sgd.LOSSES) if loss == "any" else loss
        n = pick(rng, (1, 2)) if features == "any" else features
        m = pick(rng, tuple(k for k in (3, 4, 5) if k > size))
        X, y = example_data(rng, m, n, loss, x_high=4, y_range=(-3, 5))
        order = (rng.permutation(m) + 1).tolist()
        if order == sorted(order):
            raise Reject("the order is the table's")
        params = {"X": X, "y": y, "w": nice_vector(rng, n, -1, 1, 0.5), "b": nice(rng, -1, 1, 0.5),
                  "lr": 0.1, "order": order, "batch_size": size, "epochs": epochs,
                  "reduction": reduction, "loss": loss}
        A = np.array(sgd.rows(X))
        largest = 0.0
        for batch in _groups(params):
            rows = A[batch]
            top = float(np.linalg.eigvalsh(rows.T @ rows)[-1])
            largest = max(largest, top / len(batch) if reduction == "mean" else top)
        if loss == "log_loss":
            largest /= 4
        good = [rate for rate in LEARNING_RATES if 0.1 <= rate * largest <= 1.0]
        if not good:
            raise Reject("no learning rate in the list gives a stable, visible step")
        params["lr"] = pick(rng, good)
        answers = self.solve(params)
        if min(params["lr"] * max(abs(g) for g in grad) for grad in answers["gradients"]) < SMALLEST_STEP:
            raise Reject("a step is too small to see")
        return params

    @remembered
    def solve(self, params):
        return _run(params)

    def iterates_start(self, params, name):
        """[w..., b] for ``iterates`` (a student may list it first); none for ``gradients``."""
        return super().iterates_start(params, name) if name == "iterates" else None

    def carry_forward(self, params, name, answers, spec):
        """Each step k from the student's previous point, with batch k: its gradient there
        (``gradients``) or the point after the step (``iterates``). A point is stationary
        for step k when batch k's gradient vanishes there within tolerance
        (:func:`~calcgrade.problems.family.stationary_test`)."""
        points = answers.get("iterates")
        if name not in self.answers or not isinstance(points, list) or not points:
            return None
        A, y = sgd.rows(params["X"]), params["y"]
        start = [*map(float, params["w"]), float(params["b"])]
        expected, stationary = [], []
        reached = True  # the start is given
        groups = _groups(params)
        for k, given in enumerate(([start] + list(points[:-1]))[:len(groups)]):
            def gradient(theta, batch=groups[k]):
                return sgd.batch_gradient(A, y, list(theta), batch, params["loss"], params["reduction"])
            point = as_point(given, len(start))
            if point is None:
                expected.append(None)
                stationary.append(False)
                reached = False
                continue
            g = gradient(point)
            after = [t - params["lr"] * v for t, v in zip(point, g)]
            finite = all(math.isfinite(v) for v in after)  # a huge point of the student's overflows
            expected.append((g if name == "gradients" else after) if finite else None)
            refused = k > 0 and not reached and stationary_test(start, gradient, spec)(point)
            stationary.append(refused)
            reached = finite and not refused and close_to(as_point(points[k], len(start)), after, spec)
        return CarriedSteps(expected, stationary)

    def context(self, params):
        groups = _groups(params)
        size = params["batch_size"]
        return {**data_context(params["X"], params["y"]),
                "w_text": listed(params["w"], number_text), "b_text": number_text(params["b"]),
                "order_text": listed(params["order"]), "steps": len(groups),
                "stochastic": size == 1,
                "uneven": len(params["X"]) % size != 0}
