"""``backprop_221``: one forward pass, backpropagation and one update of the 2-2-1 sigmoid network.

The network of DESIGN §8 with log-loss on one example (x1, x2, y); the nine parameters
are given and answered in the order w11, w21, w12, w22, b1, b2, w1, w2, b.

>>> family = Backprop221Family()
>>> params = family.validate({"x1": 1, "x2": 2, "y": 1, "w11": 0, "w21": 0, "w12": 0, "w22": 0,
...                           "b1": 0, "b2": 0, "w1": 0, "w2": 0, "b": 0, "lr": 0.5})
>>> family.solve(params)["updated"][6:]
[0.125, 0.125, 0.25]

With ``answer = "code"`` the student implements the backward pass ``backward(x, y, theta)``
returning the nine partial derivatives, called on the example and on others:

>>> coded = family.validate({**params, "answer": "code"})
>>> [case["case"] for case in family.solve(coded)["backward"]]
['the example', 'the other label', 'another example', 'the updated parameters', 'zero weights']
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems import code
from calcgrade.problems.checks import Choice, Number
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import backprop as bp

PARAMETERS = bp.PARAMETERS
LEARNING_RATES = (0.1, 0.2, 0.5, 1.0)
MAX_HIDDEN = 3.0  # sampled hidden pre-activations stay where σ′ is not tiny


def _theta(params) -> dict:
    return {name: params[name] for name in PARAMETERS}


def _solved(params, theta=None) -> dict:
    return bp.backprop_221(params["x1"], params["x2"], params["y"], theta or _theta(params), params["lr"])


def _with_hidden_deltas(params, delta1_of, delta2_of):
    """Gradients and update when the hidden deltas are computed by the given (wrong) rules."""
    t = _theta(params)
    out = _solved(params)
    z1, a1, z2, a2, _, y_hat = out["forward"]
    delta = y_hat - params["y"]
    d1, d2 = delta1_of(delta, t["w1"], a1), delta2_of(delta, t["w2"], a2)
    x1, x2 = params["x1"], params["x2"]
    gradients = [d1 * x1, d1 * x2, d2 * x1, d2 * x2, d1, d2] + out["gradients"][6:]
    return {"gradients": gradients,
            "updated": [t[n] - params["lr"] * g for n, g in zip(PARAMETERS, gradients)]}


def _no_hidden_sigma_prime(params):
    return _with_hidden_deltas(params, lambda d, w, a: d * w, lambda d, w, a: d * w)


def _no_hidden_weights(params):
    if params["w1"] == 1 and params["w2"] == 1:
        return None
    return _with_hidden_deltas(params, lambda d, w, a: d * a * (1 - a), lambda d, w, a: d * a * (1 - a))


def _swapped_indexing(params):
    if params["w12"] == params["w21"]:
        return None
    theta = _theta(params)
    theta["w12"], theta["w21"] = theta["w21"], theta["w12"]
    out = _solved(params, theta)
    for key in ("gradients", "updated"):
        values = out[key]
        values[1], values[2] = values[2], values[1]
    return out


def _sign_flipped_update(params):
    t, out = _theta(params), _solved(params)
    return {"updated": [t[n] + params["lr"] * g for n, g in zip(PARAMETERS, out["gradients"])]}


# answer = "code" ------------------------------------------------------------------------------
def _test_inputs(params) -> list[tuple]:
    """(x, y, θ) triples: the example, its other label, another example, the parameters
    after the step, and all-zero parameters (the two hidden units alike)."""
    x, y, theta = [params["x1"], params["x2"]], params["y"], [params[n] for n in PARAMETERS]
    return [
        ("the example", [x, y, theta], code.VALUE),
        ("the other label", [x, 1 - y, theta], code.VALUE),
        ("another example", [[params["x2"], -params["x1"]], y, theta], code.VALUE),
        ("the updated parameters", [x, y, _solved(params)["updated"]], code.VALUE),
        ("zero weights", [x, y, [0.0] * len(PARAMETERS)], code.VALUE),
    ]


def _backward(mistake=None):
    """The backward pass as a function of (x, y, θ): right, or a mistake's (the right one
    where the mistake does not arise)."""
    def backward(x, y, theta):
        case = {"x1": float(x[0]), "x2": float(x[1]), "y": int(y), "lr": 0.1,
                **{name: float(v) for name, v in zip(PARAMETERS, theta)}}
        buggy = mistake(case) if mistake is not None else None
        return np.array((buggy or _solved(case))["gradients"])
    return backward


def _in_code(mistake):
    """``mistake`` for values; in code, its gradients as the backward pass's outputs."""
    def either(params):
        if not code.asks_code(params):
            return mistake(params)
        return {"backward": code.cases_of(_test_inputs(params), _backward(mistake))}
    return either


class Backprop221Family(Family):
    name = "backprop_221"
    topic = "backpropagation"
    skills = ("forward pass", "chain rule", "backpropagation", "gradient-descent update")
    summary = ("forward pass, log-loss, the nine partial derivatives and one gradient-descent step "
               "of a 2-2-1 sigmoid network on one example")
    params = (
        ParamSpec("x1", Number(), "the first input"),
        ParamSpec("x2", Number(), "the second input"),
        ParamSpec("y", Choice((0, 1)), "the label"),
        ParamSpec("w11", Number(), "weight from x1 to hidden unit 1"),
        ParamSpec("w21", Number(), "weight from x2 to hidden unit 1"),
        ParamSpec("w12", Number(), "weight from x1 to hidden unit 2"),
        ParamSpec("w22", Number(), "weight from x2 to hidden unit 2"),
        ParamSpec("b1", Number(), "bias of hidden unit 1"),
        ParamSpec("b2", Number(), "bias of hidden unit 2"),
        ParamSpec("w1", Number(), "weight from hidden unit 1 to the output"),
        ParamSpec("w2", Number(), "weight from hidden unit 2 to the output"),
        ParamSpec("b", Number(), "bias of the output unit"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        code.ANSWER_PARAM,
    )
    options = (
        OptionSpec("label", "any", "the label y of the sampled example (0, 1 or 'any')", choices=(0, 1, "any")),
        code.ANSWER_OPTION,
    )
    answers = {
        "forward": AnswerSpec("vector", "[z1, a1, z2, a2, z, y_hat]"),
        "loss": AnswerSpec("scalar", "the log-loss L = −[y ln ŷ + (1 − y) ln(1 − ŷ)]"),
        "gradients": AnswerSpec("vector", "∂L/∂θ for θ = w11, w21, w12, w22, b1, b2, w1, w2, b"),
        "updated": AnswerSpec("vector", "θ − α∇L, the nine parameters after one step, same order"),
    }
    code_answers = {
        "backward": code.function_spec("the nine partial derivatives ∂L/∂θ, an array like theta",
                                       "x", "y", "theta"),
    }
    student_code = {
        "backward": (
            "def {name}(x, y, theta):\n"
            "    w11, w21, w12, w22, b1, b2, w1, w2, b = theta\n"
            "    x1, x2 = x\n"
            "    def sigma(t):\n"
            "        return 1 / (1 + np.exp(-t))\n"
            "    a1 = sigma(x1 * w11 + x2 * w21 + b1)\n"
            "    a2 = sigma(x1 * w12 + x2 * w22 + b2)\n"
            "    y_hat = sigma(a1 * w1 + a2 * w2 + b)\n"
            "    delta = y_hat - y\n"
            "    d1 = delta * w1 * a1 * (1 - a1)\n"
            "    d2 = delta * w2 * a2 * (1 - a2)\n"
            "    return np.array([d1 * x1, d1 * x2, d2 * x1, d2 * x2, d1, d2, delta * a1, delta * a2, delta])\n"),
    }

    catalog = (
        Mistake("no_hidden_sigma_prime",
                "your hidden-layer gradients miss the factor σ′(z_i) = a_i(1 − a_i): "
                "∂L/∂z_i = (ŷ − y)·w_i·a_i(1 − a_i)",
                _in_code(_no_hidden_sigma_prime)),
        Mistake("no_hidden_weights",
                "your hidden-layer gradients miss the output weight: the error reaches hidden unit i "
                "through w_i, so ∂L/∂z_i = (ŷ − y)·w_i·a_i(1 − a_i)",
                _in_code(_no_hidden_weights)),
        Mistake("swapped_indexing",
                "you swapped w12 and w21: w12 connects x1 to hidden unit 2 and w21 connects x2 to "
                "hidden unit 1 (z1 = x1·w11 + x2·w21 + b1, z2 = x1·w12 + x2·w22 + b2)",
                _in_code(_swapped_indexing)),
        Mistake("sign_flipped_update",
                "your update adds the gradient: gradient descent moves against it, θ ← θ − α·∂L/∂θ",
                lambda params: None if code.asks_code(params) else _sign_flipped_update(params)),
    )

    def check(self, params):
        out = code.normalised(self.name, {**params, "y": int(params["y"])})
        solved = _solved(out)
        if not all(math.isfinite(v) for key in ("forward", "gradients", "updated") for v in solved[key]):
            raise ParamsError(f"{self.name}: the values are too large to compute with; use smaller numbers")
        return out

    def draw(self, rng: np.random.Generator, *, label, answer):
        params = {"x1": nice(rng, -2, 2, step=0.5, nonzero=True), "x2": nice(rng, -2, 2, step=0.5, nonzero=True),
                  "y": int(rng.integers(2)) if label == "any" else label}
        for name in ("w11", "w21", "w12", "w22", "w1", "w2"):
            params[name] = nice(rng, -1, 1, step=0.1, nonzero=True)
        for name in ("b1", "b2", "b"):
            params[name] = nice(rng, -0.5, 0.5, step=0.1)
        params["lr"] = pick(rng, LEARNING_RATES)
        theta = {name: params[name] for name in PARAMETERS}
        forward = bp.backprop_221(params["x1"], params["x2"], params["y"], theta, params["lr"])["forward"]
        if abs(forward[0]) > MAX_HIDDEN or abs(forward[2]) > MAX_HIDDEN:
            raise Reject("a hidden unit is saturated")
        return code.marked({key: params[key] for key in ("x1", "x2", "y", *PARAMETERS, "lr")}, answer)

    def solve(self, params):
        if code.asks_code(params):
            return {"backward": code.cases_of(_test_inputs(params), _backward())}
        return _solved(params)

    def context(self, params):
        return {"code": code.asks_code(params)}
