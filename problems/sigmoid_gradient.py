"""``sigmoid_gradient``: σ(z) and σ′(z), or one logistic unit under log-loss.

>>> import numpy as np
>>> family = SigmoidGradientFamily()
>>> params = family.validate({"z": 0.5})
>>> round(family.solve(params)["sigmoid_prime"], 4)
0.235

With ``answer = "code"`` the student implements ``sigmoid(z)`` and ``sigmoid_prime(z)``
instead, called on numbers, arrays and large |z|:

>>> coded = family.validate({"z": 0.5, "answer": "code"})
>>> [case["case"] for case in family.solve(coded)["sigmoid_prime"]][:3]
['scalar', 'zero', 'array of shape (4,)']
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems import code
from calcgrade.problems.checks import Choice, Number, Vector
from calcgrade.problems.family import AnswerSpec, Family, Form, Mistake, OptionSpec, ParamSpec
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.solutions import sigmoid as sg

def _is_example(params) -> bool:
    return "x" in params


def _test_inputs(z: float) -> list[tuple]:
    """The inputs the grader calls ``sigmoid`` and ``sigmoid_prime`` on: this variant's z,
    zero, arrays of two shapes, and large |z| where a naive formula overflows."""
    return [
        ("scalar", [z], code.VALUE),
        ("zero", [0.0], code.VALUE),
        ("array of shape (4,)", [[z, -z, round(z / 2, 6), 1.5]], code.VECTORISED),
        ("array of shape (3, 2)", [[[z, 0.0], [-1.0, 2.0], [-z, 0.5]]], code.VECTORISED),
        ("large positive z", [800.0], code.STABILITY),
        ("large negative z", [-800.0], code.STABILITY),
        ("array with large |z|", [[-800.0, -40.0, 0.0, 40.0, 800.0]], code.STABILITY),
    ]


def _coded(params, **functions):
    """The test cases of each named function (a vectorised solver, right or buggy)."""
    inputs = _test_inputs(params["z"])
    return {name: code.cases_of(inputs, function) for name, function in functions.items()}


def _naive_positive_exponent(z):
    with np.errstate(all="ignore"):
        return 1.0 / (1.0 + np.exp(np.minimum(z, 700.0)))


def _sigma_over_one_plus(z):
    with np.errstate(all="ignore"):
        e = np.exp(-np.abs(z))
        return np.where(z >= 0, e / (1.0 + e), 1.0 / (1.0 + e))  # e^(−z)/(1 + e^(−z)) = 1 − σ


def _missing_square(params):
    if not code.asks_code(params):
        return None
    return _coded(params, sigmoid_prime=_sigma_over_one_plus)


def _wrong_sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(min(z, 700.0)))


def _positive_exponent(params):
    if code.asks_code(params):
        return _coded(params, sigmoid=_naive_positive_exponent)
    if not _is_example(params):
        s = _wrong_sigmoid(params["z"])
        return {"sigmoid": s, "sigmoid_prime": s * (1 - s)}
    z = sum(wi * xi for wi, xi in zip(params["w"], params["x"])) + params["b"]
    y_hat = _wrong_sigmoid(z)
    y = params["y"]
    error = y_hat - y
    return {"y_hat": y_hat, "grad_w": [error * xi for xi in params["x"]], "grad_b": error}


def _sigma_as_derivative(params):
    if code.asks_code(params):
        return _coded(params, sigmoid_prime=sg.sigmoid_array)
    z = params["z"] if not _is_example(params) else sg.logistic_unit(
        params["x"], params["w"], params["b"], params["y"])["z"]
    return {"sigmoid_prime": sg.sigmoid(z)}


def _dropped_one_minus_y(params):
    if not _is_example(params) or params["y"] == 1:
        return None
    unit = sg.logistic_unit(params["x"], params["w"], params["b"], params["y"])
    return {"loss": -params["y"] * math.log(unit["y_hat"])}


def _sign_flipped(params):
    if not _is_example(params):
        return None
    unit = sg.logistic_unit(params["x"], params["w"], params["b"], params["y"])
    return {"grad_w": [-g for g in unit["grad_w"]], "grad_b": -unit["grad_b"]}


def _extra_sigma_prime(params):
    if not _is_example(params):
        return None
    unit = sg.logistic_unit(params["x"], params["w"], params["b"], params["y"])
    factor = unit["sigmoid_prime"]
    return {"grad_w": [g * factor for g in unit["grad_w"]], "grad_b": unit["grad_b"] * factor}


class SigmoidGradientFamily(Family):
    name = "sigmoid_gradient"
    topic = "sigmoid and log-loss"
    skills = ("sigmoid", "chain rule", "log-loss gradient")
    summary = "σ(z) and σ′(z); or z, ŷ, loss, σ′ and the gradient of one logistic unit under log-loss"
    params = (
        ParamSpec("z", Number(minimum=-700, maximum=700), "the input of the sigmoid (alone, without an example)", required=False),
        ParamSpec("x", Vector(), "the example's features", required=False),
        ParamSpec("w", Vector(length="x"), "the weights, one per feature", required=False),
        ParamSpec("b", Number(), "the bias", required=False),
        ParamSpec("y", Choice((0, 1)), "the example's label", required=False),
        code.ANSWER_PARAM,
    )
    forms = (Form("z", ("z",), answers=("sigmoid", "sigmoid_prime")),
             Form("example", ("x", "w", "b", "y"),
                  answers=("z", "y_hat", "loss", "sigmoid_prime", "grad_w", "grad_b")))
    options = (
        OptionSpec("mode", "any", "'z' for σ and σ′ at a point, 'example' for a logistic unit",
                   choices=("any", "z", "example")),
        OptionSpec("features", 2, "number of features in an example", kind=int, minimum=1, maximum=6),
        code.ANSWER_OPTION,
    )
    answers = {
        "sigmoid": AnswerSpec("scalar", "σ(z)"),
        "sigmoid_prime": AnswerSpec("scalar", "σ′(z) = σ(z)(1 − σ(z))"),
        "z": AnswerSpec("scalar", "z = w·x + b"),
        "y_hat": AnswerSpec("scalar", "ŷ = σ(z)"),
        "loss": AnswerSpec("scalar", "log-loss L = −[y ln ŷ + (1−y) ln(1−ŷ)]"),
        "grad_w": AnswerSpec("vector", "∂L/∂w, one entry per weight"),
        "grad_b": AnswerSpec("scalar", "∂L/∂b"),
    }
    code_answers = {
        "sigmoid": code.function_spec("σ(z), elementwise", "z"),
        "sigmoid_prime": code.function_spec("σ′(z) = σ(z)(1 − σ(z)), elementwise", "z"),
    }
    student_code = {
        "sigmoid": "def {name}(z):\n    return 0.5 * (1 + np.tanh(np.asarray(z) / 2))\n",
        "sigmoid_prime": ("def {name}(z):\n    s = 0.5 * (1 + np.tanh(np.asarray(z) / 2))\n"
                          "    return s * (1 - s)\n"),
    }


    catalog = (
        Mistake("sigma_as_derivative",
                "you used σ(z) where the derivative σ′(z) = σ(z)(1 − σ(z)) is needed",
                _sigma_as_derivative),
        Mistake("positive_exponent",
                "your sigmoid looks like 1/(1 + e^z): it is σ(z) = 1/(1 + e^(−z))",
                _positive_exponent),
        Mistake("missing_square",
                "your σ′ looks like e^(−z)/(1 + e^(−z)): the denominator is squared, "
                "σ′(z) = e^(−z)/(1 + e^(−z))² = σ(z)(1 − σ(z))",
                _missing_square),
        Mistake("dropped_one_minus_y",
                "your loss drops the (1 − y) ln(1 − ŷ) term, which is the whole loss when y = 0",
                _dropped_one_minus_y),
        Mistake("sign_flipped_error",
                "your gradient has the wrong sign: with log-loss ∂L/∂w = (ŷ − y)·x, not (y − ŷ)·x",
                _sign_flipped),
        Mistake("extra_sigma_prime",
                "your gradient has an extra factor σ′(z): with log-loss it cancels, leaving (ŷ − y)·x",
                _extra_sigma_prime),
    )

    def check(self, params):
        params = code.normalised(self.name, params, allowed="z" in params,
                                 instead="give 'z' (the code answers are sigmoid(z) and sigmoid_prime(z))")
        if "z" in params:
            return params
        if abs(sg.logistic_unit(params["x"], params["w"], params["b"], params["y"])["z"]) > 700:
            raise ParamsError(f"{self.name}: w·x + b is too large for a sigmoid (|z| > 700)")
        return {**params, "y": int(params["y"])}

    def draw(self, rng: np.random.Generator, *, mode: str, features: int, answer: str):
        if answer == code.CODE:
            return code.marked({"z": nice(rng, -6, 6, step=0.001, nonzero=True)}, answer)
        if mode == "any":
            mode = pick(rng, ("z", "example"))
        if mode == "z":
            return {"z": nice(rng, -6, 6, step=0.001, nonzero=True)}
        return {
            "x": nice_vector(rng, features, -3, 3, step=0.5, nonzero=True),
            "w": nice_vector(rng, features, -2, 2, step=0.1, nonzero=True),
            "b": nice(rng, -1, 1, step=0.1),
            "y": int(rng.integers(2)),
        }

    def solve(self, params):
        if code.asks_code(params):
            return _coded(params, sigmoid=sg.sigmoid_array, sigmoid_prime=sg.sigmoid_prime_array)
        if _is_example(params):
            return sg.logistic_unit(params["x"], params["w"], params["b"], params["y"])
        z = params["z"]
        return {"sigmoid": sg.sigmoid(z), "sigmoid_prime": sg.sigmoid_prime(z)}

    def context(self, params):
        return {"example": _is_example(params), "code": code.asks_code(params)}
