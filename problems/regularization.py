"""``regularization``: L2, L1 and elastic-net penalties on squared error or log-loss.

A few examples (X is m × n, bias b separate), a start (w, b), the strength λ, a learning
rate, and the conventions the statement writes out: the penalty (``l2``, ``l1`` or
``elastic_net`` with ratio ρ), the loss (``mse`` or ``log_loss``), the scaling c (J =
1/(2m)[Σ(ŷ − y)² + λ‖w‖²] with ``half_mean``, 1/m[…] with ``mean``) and whether the bias is
penalised (by default not). Answers: the penalised cost, its gradient, the parameters
after one gradient-descent step and, for squared error with L2, the ridge solution.

>>> family = RegularizationFamily()
>>> params = family.validate({"X": [[1], [2]], "y": [1, 3], "w": [1], "b": 0, "lam": 1,
...                           "lr": 0.1})
>>> answers = family.solve(params)
>>> answers["cost"], answers["grad_w"], [round(v, 9) for v in answers["updated"]]
(0.5, [-0.5], [1.05, 0.05])
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Boolean, Choice, Number
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, linear_model_params, Reject, remembered
from calcgrade.problems.sampling import example_data, nice, nice_vector, pick
from calcgrade.problems.statements import data_context, listed, number_text
from calcgrade.solutions import regularization as rg

MAX_EXAMPLES, MAX_FEATURES = 10, 3
LEARNING_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1)
STRENGTHS = (0.5, 1, 2, 3, 4)
RATIOS = (0.25, 0.5, 0.75)
DEFAULTS = {"penalty": "l2", "loss": "mse", "scaling": "half_mean", "penalise_bias": False}


def setting_of(params, **changes) -> rg.Setting:
    """The cost conventions of ``params`` (with ``changes``)."""
    values = {"lam": params["lam"], "penalty": params["penalty"], "l1_ratio": params.get("l1_ratio", 0.5),
              "loss": params["loss"], "scaling": params["scaling"], "penalise_bias": params["penalise_bias"]}
    return rg.Setting(**{**values, **changes})


def _theta(params) -> list[float]:
    return [*map(float, params["w"]), float(params["b"])]


def _answers(params, setting: rg.Setting, penalty_gradient=None) -> dict:
    """The answers under ``setting``; ``penalty_gradient`` replaces c·λ/m·∇P when given."""
    X, y, theta = params["X"], params["y"], _theta(params)
    if penalty_gradient is None:
        grad = rg.gradient(X, y, theta, setting)
    else:
        grad = [d + p for d, p in zip(rg.data_gradient(X, y, theta, setting), penalty_gradient)]
    out = {"cost": rg.cost(X, y, theta, setting), "grad_w": grad[:-1], "grad_b": grad[-1],
           "updated": [t - params["lr"] * g for t, g in zip(theta, grad)]}
    if rg.has_closed_form(setting):
        out["ridge"] = rg.ridge(X, y, setting.lam, setting.penalise_bias)
    return out


def _scaled_penalty_gradient(params, factor: float, squared_only: bool = False) -> list[float]:
    """factor · c·λ/m·∇P (only the ‖·‖² part scaled when ``squared_only``)."""
    setting = setting_of(params)
    scale = setting.c * setting.lam / len(params["X"])
    full = rg.penalty_gradient(_theta(params), setting)
    if not squared_only:
        return [factor * scale * g for g in full]
    q = setting.shares()[1]
    squared = rg.penalty_gradient(_theta(params), setting_of(params, penalty="l2"))  # 2θ
    return [scale * (g + (factor - 1) * q * s) for g, s in zip(full, squared)]


# the mistake catalog ----------------------------------------------------------------------
def _penalised_bias(params):
    if params["penalise_bias"]:
        return None
    buggy = _answers(params, setting_of(params, penalise_bias=True))
    return {name: buggy[name] for name in ("cost", "grad_b", "updated", "ridge") if name in buggy}


def _dropped_mean(params):
    m = len(params["X"])
    setting = setting_of(params)
    buggy = _answers(params, setting_of(params, lam=m * setting.lam))
    return {name: value for name, value in buggy.items() if name != "grad_b" or setting.penalise_bias}


def _penalty_factor(params):
    if params["penalty"] == "l1":
        return None
    factor = 2.0 if params["scaling"] == "half_mean" else 0.5
    buggy = _answers(params, setting_of(params), _scaled_penalty_gradient(params, factor, squared_only=True))
    return {name: buggy[name] for name in ("grad_w", "grad_b", "updated")}


def _penalty_sign(params):
    buggy = _answers(params, setting_of(params), _scaled_penalty_gradient(params, -1.0))
    return {name: buggy[name] for name in ("grad_w", "grad_b", "updated")}


def _norm_not_squared(params):
    if params["penalty"] == "l1":
        return None
    setting = setting_of(params)
    a, q = setting.shares()
    entries = rg.penalised(_theta(params), setting.penalise_bias)
    norm = math.sqrt(math.fsum(v * v for v in entries))
    buggy_penalty = a * math.fsum(abs(v) for v in entries) + q * norm
    data = rg.data_cost(params["X"], params["y"], _theta(params), setting)
    return {"cost": data + setting.c * setting.lam / len(params["X"]) * buggy_penalty}


def _sign_zero_as_one(params):
    setting = setting_of(params)
    a = setting.shares()[0]
    entries = rg.penalised(_theta(params), setting.penalise_bias)
    zeros = [j for j, v in enumerate(entries) if v == 0 and (j < len(entries) - 1 or setting.penalise_bias)]
    if a == 0 or not zeros:
        return None
    scale = setting.c * setting.lam / len(params["X"])
    penalty = [scale * (g + (a if j in zeros else 0.0))
               for j, g in enumerate(rg.penalty_gradient(_theta(params), setting))]
    buggy = _answers(params, setting, penalty)
    return {name: buggy[name] for name in ("grad_w", "grad_b", "updated")}


class RegularizationFamily(Family):
    name = "regularization"
    topic = "regularization"
    skills = ("L2 (ridge) penalty", "L1 (lasso) penalty and its subgradient", "elastic net",
              "gradient of a penalised cost", "ridge closed form")
    summary = ("the cost and gradient of squared error or log-loss with an L2, L1 or elastic-net "
               "penalty, one gradient-descent step, and the ridge solution")
    params = (
        *linear_model_params(MAX_EXAMPLES, MAX_FEATURES, starting=False,
                             targets="the targets (0 or 1 under log-loss), one per example"),
        ParamSpec("lam", Number(positive=True), "the regularization strength λ"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("penalty", Choice(rg.PENALTIES), "'l2' (default), 'l1' or 'elastic_net'", required=False),
        ParamSpec("l1_ratio", Number(minimum=0, maximum=1),
                  "elastic net only: ρ in P = ρ‖w‖₁ + (1 − ρ)‖w‖², strictly between 0 and 1 "
                  "(default 0.5)",
                  required=False),
        ParamSpec("loss", Choice(rg.LOSSES), "'mse' (default) or 'log_loss'", required=False),
        ParamSpec("scaling", Choice(tuple(rg.SCALINGS)),
                  "'half_mean' (default): J = 1/(2m)[Σ(ŷ−y)² + λP]; 'mean': J = 1/m[Σ(ŷ−y)² + λP] "
                  "(under log-loss the penalty is λ/(2m)·P or λ/m·P)", required=False),
        ParamSpec("penalise_bias", Boolean(), "whether the penalty includes the bias (default false)",
                  required=False),
    )
    options = (
        OptionSpec("penalty", "any", "the penalty: 'l2', 'l1', 'elastic_net' or 'any'",
                   choices=(*rg.PENALTIES, "any")),
        OptionSpec("loss", "mse", "the loss: 'mse', 'log_loss' or 'any'", choices=(*rg.LOSSES, "any")),
        OptionSpec("scaling", "half_mean", "the scaling: 'half_mean' (1/(2m)), 'mean' (1/m) or 'any'",
                   choices=("half_mean", "mean", "any")),
        OptionSpec("penalise_bias", False, "whether the penalty includes the bias", kind=bool),
        OptionSpec("features", "any", "the number of features: 1, 2 or 'any'", choices=(1, 2, "any")),
    )
    answers = {
        "cost": AnswerSpec("scalar", "the penalised cost J at the given parameters"),
        "grad_w": AnswerSpec("vector", "∂J/∂w, one entry per weight"),
        "grad_b": AnswerSpec("scalar", "∂J/∂b"),
        "updated": AnswerSpec("vector", "[w..., b] after one gradient-descent step"),
        "ridge": AnswerSpec("vector", "the exact minimiser [w..., b] of the L2-penalised squared error"),
    }

    def answer_names(self, params):
        names = ["cost", "grad_w", "grad_b", "updated"]
        return names + ["ridge"] if rg.has_closed_form(setting_of(params)) else names

    catalog = (
        Mistake("penalised_bias",
                "you penalised the bias: here the penalty sums over the weights only, so ∂J/∂b "
                "has no penalty term", _penalised_bias),
        Mistake("dropped_mean",
                "you dropped the 1/m of the penalty: the penalty term is scaled like the data "
                "term, e.g. λ/(2m)·‖w‖² with gradient (λ/m)·w", _dropped_mean),
        Mistake("penalty_factor",
                "the factor of the squared penalty's gradient is off by 2: ∂‖w‖²/∂w = 2w, so "
                "λ/(2m)·‖w‖² gives (λ/m)·w and λ/m·‖w‖² gives (2λ/m)·w", _penalty_factor),
        Mistake("penalty_sign",
                "the penalty's gradient has the wrong sign: it is added to the data gradient "
                "(the penalty pulls the weights towards 0 when you subtract α∇J)", _penalty_sign),
        Mistake("norm_not_squared",
                "your cost uses the norm ‖w‖ instead of its square ‖w‖² = Σ w_j²", _norm_not_squared),
        Mistake("sign_zero_as_one",
                "at w_j = 0 the statement's subgradient of |w_j| is sign(0) = 0: you used +1",
                _sign_zero_as_one),
    )

    def check(self, params):
        checked = {**DEFAULTS, **params}
        if "l1_ratio" in params and checked["penalty"] != "elastic_net":
            raise ParamsError(f"{self.name}: param 'l1_ratio' goes with penalty 'elastic_net' only, "
                              f"not {checked['penalty']!r}")
        if checked["penalty"] == "elastic_net":
            checked.setdefault("l1_ratio", 0.5)
            if not 0 < checked["l1_ratio"] < 1:
                raise ParamsError(f"{self.name}: param 'l1_ratio' must lie strictly between 0 and 1 "
                                  f"(0 is 'l2', 1 is 'l1'), not {checked['l1_ratio']!r}")
        if checked["loss"] == "log_loss" and any(t not in (0, 1) for t in checked["y"]):
            raise ParamsError(f"{self.name}: under log-loss every target in 'y' must be 0 or 1, "
                              f"not {checked['y']!r}")
        return checked

    def draw(self, rng: np.random.Generator, *, penalty: str, loss: str, scaling: str,
             penalise_bias: bool, features):
        penalty = pick(rng, rg.PENALTIES) if penalty == "any" else penalty
        loss = pick(rng, rg.LOSSES) if loss == "any" else loss
        scaling = pick(rng, tuple(rg.SCALINGS)) if scaling == "any" else scaling
        n = pick(rng, (1, 2)) if features == "any" else features
        m = pick(rng, (3, 4, 5))
        X, y = example_data(rng, m, n, loss, x_high=5, y_range=(-4, 6), sort=True)
        w = nice_vector(rng, n, -2, 2, 0.5, nonzero=True)
        if penalty != "l2" and n > 1 and rng.random() < 0.5:
            w[int(rng.integers(n))] = 0.0  # the subgradient at 0 matters
        params = {"X": X, "y": y, "w": w, "b": nice(rng, -2, 2, 0.5, nonzero=True),
                  "lam": pick(rng, STRENGTHS), "lr": 0.1, "penalty": penalty, "loss": loss,
                  "scaling": scaling, "penalise_bias": penalise_bias}
        if penalty == "elastic_net":
            params["l1_ratio"] = pick(rng, RATIOS)
        A = np.array([[*row, 1.0] for row in X], dtype=float)
        top = float(np.linalg.eigvalsh(A.T @ A)[-1]) / m
        setting = setting_of(params)
        q = setting.shares()[1]
        smooth = (top / 4 if loss == "log_loss" else 2 * setting.c * top) + 2 * setting.c * q * setting.lam / m
        good = [rate for rate in LEARNING_RATES if 0.1 <= rate * smooth <= 1.0]
        if not good:
            raise Reject("no learning rate in the list gives a stable, visible step")
        params["lr"] = pick(rng, good)
        return params

    @remembered
    def solve(self, params):
        return rg.solve(params["X"], params["y"], params["w"], params["b"], params["lr"], setting_of(params))

    def context(self, params):
        setting = setting_of(params)
        m = len(params["X"])
        half = params["scaling"] == "half_mean"
        if params["loss"] == "log_loss":
            data = (r"-\frac{1}{m}\sum_{i=1}^{m}\left[\,y_i \ln \hat y_i + (1 - y_i)\ln(1 - \hat y_i)\,\right]")
            penalty_scale = r"\frac{\lambda}{2m}" if half else r"\frac{\lambda}{m}"
            cost = f"{data} + {penalty_scale}\\,P"
        else:
            front = r"\frac{1}{2m}" if half else r"\frac{1}{m}"
            cost = f"{front}\\left[\\sum_{{i=1}}^{{m}}\\left(\\hat y_i - y_i\\right)^2 + \\lambda\\,P\\right]"
        entries = "w_j" if not params["penalise_bias"] else r"\theta_j"
        l1 = rf"\sum_j \lvert {entries} \rvert"
        l2 = rf"\sum_j {entries}^2"
        if params["penalty"] == "l1":
            penalty = l1
        elif params["penalty"] == "l2":
            penalty = l2
        else:
            rho = number_text(setting.l1_ratio)
            penalty = rf"{rho}\,{l1} + {number_text(1 - setting.l1_ratio)}\,{l2}"
        return {**data_context(params["X"], params["y"]),
                "w_text": listed(params["w"], number_text), "b_text": number_text(params["b"]),
                "cost_formula": cost, "penalty_formula": penalty,
                "lam_text": number_text(params["lam"]), "m_value": m,
                "closed_form": rg.has_closed_form(setting)}
