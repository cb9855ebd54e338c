"""``mlp_backprop``: forward pass, δ recursion and every gradient of a small MLP in matrix form.

One example (x, y) through 1 or 2 hidden layers (sigmoid, tanh or ReLU, with ReLU′(0) = 0)
and a sigmoid output under ½‖a − y‖² or cross-entropy, or a softmax output under
cross-entropy; column vectors, zˡ = Wˡ aˡ⁻¹ + bˡ (:mod:`calcgrade.solutions.mlp`). The
answers are zˡ and aˡ of every layer, the loss, every δˡ = ∂L/∂zˡ and ∂L/∂Wˡ, ∂L/∂bˡ.

>>> family = MLPBackpropFamily()
>>> params = family.validate({"x": [1, 2], "y": [1], "W1": [[1, 0], [0, -1]], "b1": [0, 0],
...                           "W2": [[2, 1]], "b2": [-2], "activation": "relu", "output": "sigmoid_mse"})
>>> answers = family.solve(params)
>>> answers["a2"], answers["delta1"], answers["grad_W1"]
([0.5], [-0.25, 0.0], [[-0.25, -0.5], [0.0, 0.0]])
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.core.printing import latex_matrix
from calcgrade.problems.checks import Choice, Kind, Vector, read_vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject, remembered
from calcgrade.problems.sampling import pick
from calcgrade.problems.statements import exact_text
from calcgrade.solutions import mlp

MAX_LAYERS = 3
MAX_UNITS = 4
MAX_ENTRY = 100  # keeps every exponential finite
# sampled pre-activations stay where σ′ and tanh′ are not tiny and the output is not saturated
MAX_HIDDEN_Z = {"sigmoid": 3.0, "tanh": 2.0, "relu": 4.0}
MAX_OUTPUT_Z = 3.0
WIDTHS = (2, 3)
INPUTS = (-2.0, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.0)
WEIGHTS = (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5)
BIASES = (-1.0, -0.5, 0.0, 0.5, 1.0)
DRAW_RANGE = 8 * 7 * 5  # divisible by the number of choices of each kind of number
PARAM_NAMES = ("x", "y", "W1", "b1", "W2", "b2", "W3", "b3", "activation", "output")
MAX_REMEMBERED = 1024
_SOLVED: dict[str, dict] = {}


def _network(params) -> tuple[list, list]:
    """The weight matrices and the bias vectors, layer by layer."""
    count = 3 if "W3" in params else 2
    return ([params[f"W{l}"] for l in range(1, count + 1)],
            [params[f"b{l}"] for l in range(1, count + 1)])


def _solved(params) -> dict:
    """The solver's output for ``params``, computed once per variant (sampling, checking and
    every mistake ask for it); callers do not change it."""
    key = repr([params.get(name) for name in PARAM_NAMES])
    out = _SOLVED.get(key)
    if out is None:
        if len(_SOLVED) >= MAX_REMEMBERED:
            _SOLVED.clear()
        weights, biases = _network(params)
        out = _SOLVED[key] = mlp.mlp_backprop(params["x"], params["y"], weights, biases,
                                              params["activation"], params["output"])
    return out



def _backward_parts(deltas, grad_W, grad_b) -> dict:
    """The backward answers, δ from the output down, then the gradients layer by layer."""
    count = len(deltas)
    out = {f"delta{l}": deltas[l - 1] for l in range(count, 0, -1)}
    for l in range(1, count + 1):
        out[f"grad_W{l}"], out[f"grad_b{l}"] = grad_W[l - 1], grad_b[l - 1]
    return out


def _changed(out, buggy: dict) -> dict | None:
    """The parts of ``buggy`` that differ from the reference (the solver's ``out``); None
    when none does."""
    reference = _answers(out)
    changed = {name: value for name, value in buggy.items() if value != reference[name]}
    return changed or None


def _answers(out) -> dict:
    """The family's answers from the solver's output."""
    answers = {}
    for l, (z, a) in enumerate(zip(out["zs"], out["activations"][1:]), start=1):
        answers[f"z{l}"], answers[f"a{l}"] = z, a
    answers["loss"] = out["loss"]
    answers.update(_backward_parts(out["deltas"], out["grad_W"], out["grad_b"]))
    return answers


def _with_backward(params, delta_out=None, hidden_rule=mlp.right_hidden_delta, at_zero=0.0):
    """The backward answers when δᴸ, the hidden rule or ReLU′(0) are the given (wrong) ones."""
    weights, _ = _network(params)
    out = _solved(params)
    zs, activations = out["zs"], out["activations"]
    deltas = mlp.backward(weights, zs, activations, params["activation"],
                          out["deltas"][-1] if delta_out is None else delta_out(out), hidden_rule, at_zero)
    return _changed(out, _backward_parts(deltas, *mlp.gradients(deltas, activations)))


def _transposed_backprop(params):
    def rule(W_next, delta_next, f_prime):
        if len(W_next) != len(W_next[0]):
            return mlp.right_hidden_delta(W_next, delta_next, f_prime)
        return [g * d + 0.0 for g, d in zip(mlp.mat_vec(W_next, delta_next), f_prime)]
    return _with_backward(params, hidden_rule=rule)


def _no_activation_derivative(params):
    return _with_backward(params, hidden_rule=lambda W, d, f_prime: mlp.transposed_vec(W, d))


def _relu_prime_zero_is_one(params):
    if params["activation"] != "relu":
        return None
    return _with_backward(params, at_zero=1.0)


def _mse_without_sigma_prime(params):
    if params["output"] != "sigmoid_mse":
        return None
    return _with_backward(params, delta_out=lambda out: [a - t for a, t in zip(out["activations"][-1], params["y"])])


def _cross_entropy_with_sigma_prime(params):
    if params["output"] == "sigmoid_mse":
        return None
    return _with_backward(params, delta_out=lambda out: [
        (a - t) * a * (1 - a) for a, t in zip(out["activations"][-1], params["y"])])


def _transposed_weight_gradient(params):
    out = _solved(params)
    buggy = {f"grad_W{l}": mlp.outer(a, d)
             for l, (d, a) in enumerate(zip(out["deltas"], out["activations"]), start=1)
             if len(d) > 1 and len(a) > 1}
    return _changed(out, buggy)


def _zero_bias_gradient(params):
    out = _solved(params)
    return _changed(out, {f"grad_b{l}": [0.0] * len(d) for l, d in enumerate(out["deltas"], start=1)})


@dataclass(frozen=True)
class WeightMatrix(Kind):
    """A weight matrix as a list of rows, at most ``MAX_UNITS`` rows and columns, each entry
    in [−MAX_ENTRY, MAX_ENTRY].

    >>> WeightMatrix().read("mlp", {"W1": [[1, 2], [3]]}, "W1")
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: mlp: every row of 'W1' must have 2 entries (one per column), not 1
    """

    shown: str = ""

    def read(self, family, params, name):
        value = params[name]
        if not isinstance(value, list) or not value or not all(isinstance(row, list) and row for row in value):
            raise ParamsError(f"{family}: param {name!r} must be a matrix given as a list of rows, "
                              f"each a list of numbers, such as [[1, -0.5], [0, 2]]; not {value!r}")
        for count, what in ((len(value), "rows"), (len(value[0]), "columns")):
            if count > MAX_UNITS:
                raise ParamsError(f"{family}: param {name!r} may have at most {MAX_UNITS} {what}, not {count}")
        width = len(value[0])
        for row in value:
            if len(row) != width:
                raise ParamsError(f"{family}: every row of {name!r} must have {width} entries (one per "
                                  f"column), not {len(row)}")
        return [read_vector(family, {name: row}, name, minimum=-MAX_ENTRY, maximum=MAX_ENTRY) for row in value]

    def default_text(self):
        return "matrix (list of rows)"


def _layer_params():
    specs = []
    for l in range(1, MAX_LAYERS + 1):
        optional = l == MAX_LAYERS
        note = " (only with two hidden layers)" if optional else ""
        specs.append(ParamSpec(f"W{l}", WeightMatrix(),
                               f"the weights of layer {l}, one row per unit of layer {l}{note}",
                               required=not optional))
        specs.append(ParamSpec(f"b{l}", Vector(counts=(1, MAX_UNITS), minimum=-MAX_ENTRY, maximum=MAX_ENTRY),
                               f"the biases of layer {l}, one per unit{note}", required=not optional))
    return tuple(specs)


class MLPBackpropFamily(Family):
    name = "mlp_backprop"
    topic = "backpropagation"
    skills = ("forward pass in matrix form", "δ recursion", "gradients of weight matrices and biases",
              "activation derivatives")
    summary = ("forward pass, δ of every layer and the gradients of every weight matrix and bias of a "
               "small MLP (1–2 hidden layers) in matrix form, on one example")
    params = (
        ParamSpec("x", Vector(counts=(1, MAX_UNITS), minimum=-MAX_ENTRY, maximum=MAX_ENTRY),
                  "the input a⁰ = x, a column vector given as a list"),
        ParamSpec("y", Vector(counts=(1, MAX_UNITS), minimum=0, maximum=1),
                  "the target, one entry per output unit (one-hot with softmax)"),
        *_layer_params(),
        ParamSpec("activation", Choice(mlp.ACTIVATIONS), "the activation of the hidden layers"),
        ParamSpec("output", Choice(mlp.OUTPUTS), "the output activation and the loss"),
    )
    options = (
        OptionSpec("layers", "any", "the number of hidden layers (1, 2 or 'any')", choices=(1, 2, "any")),
        OptionSpec("activation", "any", "the hidden activation ('sigmoid', 'tanh', 'relu' or 'any')",
                   choices=(*mlp.ACTIVATIONS, "any")),
        OptionSpec("output", "any", "the output and loss ('sigmoid_mse', 'sigmoid_cross_entropy', "
                   "'softmax_cross_entropy' or 'any')", choices=(*mlp.OUTPUTS, "any")),
    )
    answers = {
        **{name: spec for l in range(1, MAX_LAYERS + 1) for name, spec in (
            (f"z{l}", AnswerSpec("vector", f"z of layer {l}: W{l} a{l - 1} + b{l}")),
            (f"a{l}", AnswerSpec("vector", f"the activations a of layer {l}")))},
        "loss": AnswerSpec("scalar", "the loss L of the example"),
        **{f"delta{l}": AnswerSpec("vector", f"δ of layer {l}: ∂L/∂z{l}") for l in range(MAX_LAYERS, 0, -1)},
        **{name: spec for l in range(1, MAX_LAYERS + 1) for name, spec in (
            (f"grad_W{l}", AnswerSpec("matrix", f"∂L/∂W{l}, the shape of W{l}")),
            (f"grad_b{l}", AnswerSpec("vector", f"∂L/∂b{l}")))},
    }

    catalog = (
        Mistake("transposed_backprop",
                "your δ of a hidden layer multiplies by the next layer's weight matrix itself: the "
                "error flows back through its transpose, δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ)",
                _transposed_backprop),
        Mistake("transposed_weight_gradient",
                "your weight gradient is transposed: ∂L/∂Wˡ = δˡ (aˡ⁻¹)ᵀ has the shape of Wˡ, "
                "one row per unit of layer l",
                _transposed_weight_gradient),
        Mistake("no_activation_derivative",
                "your hidden δ misses the activation derivative: δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ f′(zˡ), "
                "multiplied entry by entry by f′ of the layer's own z",
                _no_activation_derivative),
        Mistake("relu_prime_at_zero",
                "you took ReLU′(0) = 1: the convention here is ReLU′(0) = 0, so a unit with z = 0 "
                "passes no error back",
                _relu_prime_zero_is_one),
        Mistake("mse_without_sigma_prime",
                "your output δ misses σ′: with the squared error, δᴸ = (aᴸ − y) ⊙ σ′(zᴸ) = "
                "(aᴸ − y) ⊙ aᴸ ⊙ (1 − aᴸ)",
                _mse_without_sigma_prime),
        Mistake("cross_entropy_with_sigma_prime",
                "your output δ multiplies by the output activation's derivative aᴸ ⊙ (1 − aᴸ) once "
                "too often: with cross-entropy it cancels, so δᴸ = aᴸ − y",
                _cross_entropy_with_sigma_prime),
        Mistake("zero_bias_gradient",
                "your bias gradients are zero: bˡ enters zˡ with coefficient 1, so ∂L/∂bˡ = δˡ",
                _zero_bias_gradient),
    )

    def answer_names(self, params):
        count = 3 if "W3" in params else 2
        return ([name for l in range(1, count + 1) for name in (f"z{l}", f"a{l}")] + ["loss"]
                + [f"delta{l}" for l in range(count, 0, -1)]
                + [name for l in range(1, count + 1) for name in (f"grad_W{l}", f"grad_b{l}")])

    def check(self, params):
        if ("W3" in params) != ("b3" in params):
            given, missing = ("W3", "b3") if "W3" in params else ("b3", "W3")
            raise ParamsError(f"{self.name}: param {given!r} needs {missing!r} (a second hidden layer "
                              "has both weights and biases)")
        weights, biases = _network(params)
        width = len(params["x"])
        for l, (W, b) in enumerate(zip(weights, biases), start=1):
            if len(W[0]) != width:
                before = f"x has {width} entries" if l == 1 else f"W{l - 1} has {width} rows"
                raise ParamsError(f"{self.name}: W{l} must have one column per unit of layer {l - 1} "
                                  f"({before}), not {len(W[0])}")
            if len(b) != len(W):
                raise ParamsError(f"{self.name}: b{l} must have {len(W)} entries, one per row of W{l}, "
                                  f"not {len(b)}")
            width = len(W)
        if len(params["y"]) != width:
            raise ParamsError(f"{self.name}: y must have {width} entr{'ies' if width > 1 else 'y'}, "
                              f"one per output unit (rows of W{len(weights)}), not {len(params['y'])}")
        if params["output"].startswith("softmax"):
            if width < 2:
                raise ParamsError(f"{self.name}: a softmax output needs at least 2 units (rows of "
                                  f"W{len(weights)})")
            if abs(math.fsum(params["y"]) - 1) > 1e-9:
                raise ParamsError(f"{self.name}: with a softmax output y must be one-hot (or add up "
                                  f"to 1), such as [0, 1, 0], not {params['y']}")
        out = _solved(params)
        values = [out["loss"], *(v for key in ("zs", "activations", "deltas") for vec in out[key] for v in vec)]
        if not all(math.isfinite(v) for v in values):
            raise ParamsError(f"{self.name}: the values are too large to compute with; use smaller numbers")
        return params

    def draw(self, rng: np.random.Generator, *, layers, activation, output):
        hidden = pick(rng, (1, 2)) if layers == "any" else layers
        activation = pick(rng, mlp.ACTIVATIONS) if activation == "any" else activation
        output = pick(rng, mlp.OUTPUTS) if output == "any" else output
        outputs = pick(rng, WIDTHS) if output.startswith("softmax") else 1
        sizes = [pick(rng, WIDTHS) for _ in range(hidden + 1)] + [outputs]
        draws = iter(rng.integers(DRAW_RANGE, size=sum(sizes[l] * (sizes[l - 1] + 1)
                                                        for l in range(1, len(sizes))) + sizes[0]).tolist())
        params = {"x": _halves(draws, sizes[0], INPUTS)}
        if outputs == 1:
            params["y"] = [int(rng.integers(2))]
        else:
            label = int(rng.integers(outputs))
            params["y"] = [1 if i == label else 0 for i in range(outputs)]
        for l in range(1, hidden + 2):
            params[f"W{l}"] = [_halves(draws, sizes[l - 1], WEIGHTS) for _ in range(sizes[l])]
            params[f"b{l}"] = _halves(draws, sizes[l], BIASES)
        params["activation"], params["output"] = activation, output
        weights, biases = _network(params)
        zs, _ = mlp.forward_pass(params["x"], weights, biases, activation, output)
        if any(abs(v) > MAX_HIDDEN_Z[activation] for z in zs[:-1] for v in z):
            raise Reject("a hidden unit is saturated")
        if any(abs(v) > MAX_OUTPUT_Z for v in zs[-1]):
            raise Reject("an output unit is saturated")
        if activation == "relu" and any(max(z) <= 0 for z in zs[:-1]):
            raise Reject("a ReLU layer has no active unit")
        deltas = _solved(params)["deltas"]
        if any(max(abs(v) for v in d) < 1e-9 for d in deltas):
            raise Reject("no error reaches a layer")
        return params

    @remembered
    def solve(self, params):
        return _answers(_solved(params))

    def context(self, params):
        weights, biases = _network(params)
        sizes = [len(params["x"])] + [len(W) for W in weights]
        count = len(weights)
        return {
            "count": count,
            "hidden": count - 1,
            "sizes": sizes,
            "sizes_text": ", ".join(str(n) for n in sizes),
            "x_latex": _column(params["x"]),
            "y_latex": _column(params["y"]),
            "layers": [{"l": l, "rows": len(W), "columns": len(W[0]),
                        "W_latex": latex_matrix(W, exact_text), "b_latex": _column(b)}
                       for l, (W, b) in enumerate(zip(weights, biases), start=1)],
            "softmax": params["output"].startswith("softmax"),
        }


def _halves(draws, count: int, choices: tuple) -> list[float]:
    """``count`` numbers from ``choices`` (halves a student can work with), uniformly: each
    draw is uniform on [0, DRAW_RANGE), a multiple of every number of choices."""
    return [choices[next(draws) % len(choices)] for _ in range(count)]


def _column(values) -> str:
    return latex_matrix([[v] for v in values], exact_text)
