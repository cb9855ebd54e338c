"""``softmax_cross_entropy``: softmax probabilities, cross-entropy loss and its gradient.

Scores z (one per class) and the true class as a 0-based index ``label``:
p = softmax(z), L = −ln p_label, ∂L/∂z = p − y with y one-hot.

>>> family = SoftmaxCrossEntropyFamily()
>>> params = family.validate({"scores": [2, 1, 0.1], "label": 0})
>>> round(family.solve(params)["loss"], 4)
0.417
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.problems.checks import Integer, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject, negated
from calcgrade.problems.sampling import nice_vector, pick
from calcgrade.solutions import softmax as sm

MAX_SCORE = 500  # keeps e^z finite for the mistake that forgets to normalize


def _solved(params) -> dict:
    return sm.softmax_cross_entropy(params["scores"], params["label"])


def _log10(params):
    return {"loss": _solved(params)["loss"] / math.log(10)}


def _not_normalized(params):
    scores, label = params["scores"], params["label"]
    exps = [math.exp(z) for z in scores]
    return {"probabilities": exps, "loss": -scores[label],
            "gradient": [e - (1.0 if i == label else 0.0) for i, e in enumerate(exps)]}


def _largest_probability(params):
    scores = params["scores"]
    if scores[params["label"]] == max(scores):
        return None
    return {"loss": sm.log_sum_exp(scores) - max(scores)}


class SoftmaxCrossEntropyFamily(Family):
    name = "softmax_cross_entropy"
    topic = "softmax and cross-entropy"
    skills = ("softmax", "cross-entropy loss", "gradient of the loss with respect to the scores")
    summary = "softmax probabilities of a score vector, the cross-entropy loss of the true class and ∂L/∂z"
    params = (
        ParamSpec("scores", Vector(counts=(2, 10), minimum=-MAX_SCORE, maximum=MAX_SCORE, shown="list of numbers"),
                  "the scores (logits) z, one per class"),
        ParamSpec("label", Integer(0, lambda params: len(params["scores"]) - 1, after=("scores",),
                                   shown="whole number"), "the index of the true class, counted from 0"),
    )
    options = (
        OptionSpec("classes", "any", "the number of classes (3, 4, 5 or 'any')", choices=(3, 4, 5, "any")),
    )
    answers = {
        "probabilities": AnswerSpec("vector", "p = softmax(z), one entry per class"),
        "loss": AnswerSpec("scalar", "the cross-entropy loss L = −ln p_label"),
        "gradient": AnswerSpec("vector", "∂L/∂z, one entry per class"),
    }

    catalog = (
        Mistake("log_base_10",
                "your loss uses log base 10: the cross-entropy uses the natural logarithm, L = −ln p",
                _log10),
        Mistake("gradient_sign",
                "your gradient has the wrong sign: ∂L/∂z = p − y (probabilities minus the one-hot "
                "label), not y − p",
                negated("gradient", _solved)),
        Mistake("not_normalized",
                "you used e^z without dividing by the sum Σ e^(z_j): softmax probabilities must add "
                "up to 1",
                _not_normalized),
        Mistake("largest_probability",
                "your loss is −ln of the largest probability: the cross-entropy takes −ln of the "
                "probability of the true class (the one given by the label)",
                _largest_probability),
    )

    def draw(self, rng: np.random.Generator, *, classes):
        n = pick(rng, (3, 4, 5)) if classes == "any" else classes
        scores = nice_vector(rng, n, -3, 3, step=0.5)
        if len(set(scores)) < 2:
            raise Reject("all scores are equal")
        return {"scores": scores, "label": int(rng.integers(n))}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        n = len(params["scores"])
        return {
            "n": n,
            "scores_text": ", ".join(str(z) for z in params["scores"]),
            "true_class": params["label"],
            "onehot_text": ", ".join("1" if i == params["label"] else "0" for i in range(n)),
        }
