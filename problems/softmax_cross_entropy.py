"""``softmax_cross_entropy``: softmax probabilities, cross-entropy loss and its gradient.

Scores z (one per class) and the true class as a 0-based index ``label``:
p = softmax(z), L = −ln p_label, ∂L/∂z = p − y with y one-hot.

>>> family = SoftmaxCrossEntropyFamily()
>>> params = family.validate({"scores": [2, 1, 0.1], "label": 0})
>>> round(family.solve(params)["loss"], 4)
0.417

With ``answer = "code"`` the student implements ``softmax(z)``, ``loss(z, y)`` and
``gradient(z, y)`` for a score vector or a batch of rows, called also on ties and on
scores large enough to overflow a naive softmax:

>>> coded = family.validate({"scores": [2, 1, 0.1], "label": 0, "answer": "code"})
>>> [case["case"] for case in family.solve(coded)["softmax"]][:3]
['scores', 'ties', 'batch of shape (3, 3)']
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.problems import code
from calcgrade.problems.checks import Integer, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject, negated
from calcgrade.problems.sampling import nice_vector, pick
from calcgrade.solutions import softmax as sm

MAX_SCORE = 500  # keeps e^z finite for the mistake that forgets to normalize


def _solved(params) -> dict:
    return sm.softmax_cross_entropy(params["scores"], params["label"])


def _one_hot(n: int, label: int) -> list[float]:
    return [1.0 if i == label else 0.0 for i in range(n)]


def _test_inputs(params, with_label: bool) -> list[tuple]:
    """The inputs of the code answers: this variant's scores, ties, a batch of three rows,
    scores near +1000 (a naive softmax overflows) and a true class 800 below the others
    (a naive −ln p is infinite)."""
    scores, label = params["scores"], params["label"]
    n = len(scores)
    y = _one_hot(n, label)
    batch = [scores, scores[::-1], [round(s - 0.5 * i, 6) for i, s in enumerate(scores)]]
    labels = [y, _one_hot(n, (label + 1) % n), _one_hot(n, n - 1)]
    rows = [
        ("scores", [scores], code.VALUE),
        ("ties", [[scores[0]] * n], code.VALUE),
        (f"batch of shape (3, {n})", [batch], code.VECTORISED),
        ("large scores", [[s + 1000.0 for s in scores]], code.STABILITY),
        ("true class far below", [[s - 800.0 if i == label else s for i, s in enumerate(scores)]],
         code.STABILITY),
    ]
    if not with_label:
        return rows
    extra = [[y], [y], [labels], [y], [y]]
    return [(case, args + more, checks) for (case, args, checks), more in zip(rows, extra)]


def _coded(params, softmax=sm.softmax_rows, loss=sm.cross_entropy_rows, gradient=sm.gradient_rows):
    return {"softmax": code.cases_of(_test_inputs(params, False), softmax),
            "loss": code.cases_of(_test_inputs(params, True), loss),
            "gradient": code.cases_of(_test_inputs(params, True), gradient)}


def _only(names, **functions):
    """A mistake in code: the named functions replaced, only those answers given."""
    def mistake(params):
        if not code.asks_code(params):
            return None
        return {name: cases for name, cases in _coded(params, **functions).items() if name in names}
    return mistake


def _columns_softmax(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def _gradient_sign(params):
    if code.asks_code(params):
        return _only(("gradient",), gradient=lambda z, y: y - sm.softmax_rows(z))(params)
    return negated("gradient", _solved)(params)


def _log10(params):
    if code.asks_code(params):
        return _only(("loss",), loss=lambda z, y: sm.cross_entropy_rows(z, y) / math.log(10))(params)
    return {"loss": _solved(params)["loss"] / math.log(10)}


def _not_normalized(params):
    if code.asks_code(params):
        return _only(("softmax", "gradient"), softmax=np.exp,
                     gradient=lambda z, y: np.exp(z) - y)(params)
    scores, label = params["scores"], params["label"]
    exps = [math.exp(z) for z in scores]
    return {"probabilities": exps, "loss": -scores[label],
            "gradient": [e - (1.0 if i == label else 0.0) for i, e in enumerate(exps)]}


def _largest_probability(params):
    if code.asks_code(params):
        return _only(("loss",), loss=lambda z, y: -np.log(sm.softmax_rows(z).max(axis=-1)))(params)
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
        code.ANSWER_PARAM,
    )
    options = (
        OptionSpec("classes", "any", "the number of classes (3, 4, 5 or 'any')", choices=(3, 4, 5, "any")),
        code.ANSWER_OPTION,
    )
    answers = {
        "probabilities": AnswerSpec("vector", "p = softmax(z), one entry per class"),
        "loss": AnswerSpec("scalar", "the cross-entropy loss L = −ln p_label"),
        "gradient": AnswerSpec("vector", "∂L/∂z, one entry per class"),
    }
    code_answers = {
        "softmax": code.function_spec("softmax(z) along the last axis of z", "z"),
        "loss": code.function_spec("the cross-entropy −Σ y ln softmax(z), one per row", "z", "y"),
        "gradient": code.function_spec("∂L/∂z = softmax(z) − y, one row per row of z", "z", "y"),
    }
    student_code = {
        "softmax": ("def {name}(z):\n    z = np.asarray(z, dtype=float)\n"
                    "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                    "    return e / e.sum(axis=-1, keepdims=True)\n"),
        "loss": ("def {name}(z, y):\n    z = np.asarray(z, dtype=float)\n"
                 "    m = z.max(axis=-1, keepdims=True)\n"
                 "    log_p = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))\n"
                 "    return -(y * log_p).sum(axis=-1)\n"),
        "gradient": ("def {name}(z, y):\n    z = np.asarray(z, dtype=float)\n"
                     "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n"
                     "    return e / e.sum(axis=-1, keepdims=True) - y\n"),
    }

    catalog = (
        Mistake("log_base_10",
                "your loss uses log base 10: the cross-entropy uses the natural logarithm, L = −ln p",
                _log10),
        Mistake("gradient_sign",
                "your gradient has the wrong sign: ∂L/∂z = p − y (probabilities minus the one-hot "
                "label), not y − p",
                _gradient_sign),
        Mistake("not_normalized",
                "you used e^z without dividing by the sum Σ e^(z_j): softmax probabilities must add "
                "up to 1",
                _not_normalized),
        Mistake("largest_probability",
                "your loss is −ln of the largest probability: the cross-entropy takes −ln of the "
                "probability of the true class (the one given by the label)",
                _largest_probability),
        Mistake("softmax_over_columns",
                "your softmax normalises each column of a batch: each row holds one example's "
                "scores, so normalise along the last axis (axis=-1)",
                _only(("softmax", "gradient"), softmax=_columns_softmax,
                      gradient=lambda z, y: _columns_softmax(z) - y)),
    )

    def draw(self, rng: np.random.Generator, *, classes, answer):
        n = pick(rng, (3, 4, 5)) if classes == "any" else classes
        scores = nice_vector(rng, n, -3, 3, step=0.5)
        if len(set(scores)) < 2:
            raise Reject("all scores are equal")
        return code.marked({"scores": scores, "label": int(rng.integers(n))}, answer)

    def check(self, params):
        return code.normalised(self.name, params)

    def solve(self, params):
        if code.asks_code(params):
            return _coded(params)
        return _solved(params)

    def context(self, params):
        n = len(params["scores"])
        return {
            "n": n,
            "scores_text": ", ".join(str(z) for z in params["scores"]),
            "true_class": params["label"],
            "onehot_text": ", ".join("1" if i == params["label"] else "0" for i in range(n)),
            "code": code.asks_code(params),
        }
