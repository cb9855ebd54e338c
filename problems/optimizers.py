"""``optimizers``: 1–3 steps of momentum, Nesterov, AdaGrad, RMSProp or Adam on a quadratic.

f(θ) = ½ θᵀAθ − bᵀθ with a small symmetric positive-definite A (2 variables, sometimes
3; most often with nonzero entries off the diagonal), integer b and θ0, and nice α and β;
the update rules are those of solutions/optimizers.py and are written out in the statement.
Momentum and Nesterov take at least two steps: from v₀ = 0 their first step is a plain
gradient step, so one step alone would test nothing.

>>> family = OptimizersFamily()
>>> params = family.validate({"optimizer": "momentum", "A": [[1, 0], [0, 2]], "b": [1, 0],
...                           "x0": [0, 1], "lr": 0.1, "beta": 0.9, "steps": 2})
>>> params["form"], [[round(v, 6) for v in p] for p in family.solve(params)["iterates"]]
('sum', [[0.1, 0.8], [0.28, 0.46]])
"""

from __future__ import annotations

import numpy as np

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems.checks import Choice, Integer, Number, SymmetricMatrix, Vector
from calcgrade.problems.family import (AnswerSpec, CarriedSteps, Family, Mistake, OptionSpec,
                                       ParamSpec, Reject, as_point, close_to, require_bounded,
                                       stationary_test)
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import exact_text
from calcgrade.solutions import optimizers as op
from calcgrade.core.printing import latex_matrix

MAX_STEPS = 10
WITH_BETA = ("momentum", "nesterov", "rmsprop")
WITH_VELOCITY = ("momentum", "nesterov")  # v₀ = 0: the first step is plain gradient descent
NON_DIAGONAL, THREE_VARIABLES = 0.8, 0.25   # how often a sampled A has them
RATES = {"momentum": (0.05, 0.1, 0.2), "nesterov": (0.05, 0.1, 0.2),
         "adagrad": (0.1, 0.2, 0.5, 1), "rmsprop": (0.01, 0.05, 0.1), "adam": (0.05, 0.1, 0.2, 0.5)}
BETAS = {"momentum": (0.5, 0.8, 0.9), "nesterov": (0.5, 0.8, 0.9), "rmsprop": (0.5, 0.8, 0.9, 0.99)}
VISIBLE = 5.0         # every step moves some coordinate by this many times the tolerance
SMALLEST_GRADIENT = 1e-3
LARGEST = 1e3


def _settings(params) -> op.Settings:
    return op.Settings(params["optimizer"], params["lr"], params.get("beta"), params.get("form", "sum"))


def _run(params, settings: op.Settings | None = None) -> dict:
    return op.iterate(settings or _settings(params), params["A"], params["b"], params["x0"], params["steps"])


def _no_bias_correction(params):
    if params["optimizer"] != "adam":
        return None
    return {"iterates": _run(params, _settings(params).but(bias_correction=False))["iterates"]}


def _other_form(params):
    if params["optimizer"] != "momentum":
        return None
    other = "average" if params["form"] == "sum" else "sum"
    return _run(params, _settings(params).but(form=other))


def _missing_square_root(params):
    if params["optimizer"] not in ("adagrad", "rmsprop", "adam"):
        return None
    return {"iterates": _run(params, _settings(params).but(square_root=False))["iterates"]}


def _ignored_momentum(params):
    name = params["optimizer"]
    if name not in ("momentum", "nesterov"):
        return None
    theta, points = [float(v) for v in params["x0"]], []
    for _ in range(params["steps"]):
        theta = [p - params["lr"] * g for p, g in zip(theta, op.gradient(params["A"], params["b"], theta))]
        points.append(theta)
    return {"iterates": points}


def _no_lookahead(params):
    if params["optimizer"] != "nesterov":
        return None
    return _run(params, _settings(params).but(lookahead=False))


def _draw_matrix(rng: np.random.Generator, n: int) -> list[list[int]]:
    """A symmetric positive-definite n×n matrix with 1..4 on the diagonal and, most of the
    time, entries in ±1, ±2 off it (at least one of them nonzero)."""
    matrix = [[0] * n for _ in range(n)]
    for i in range(n):
        matrix[i][i] = nice(rng, 1, 4)
    if rng.random() < NON_DIAGONAL:
        pairs = [(i, j) for i in range(n) for j in range(i)]
        for i, j in pairs:
            matrix[i][j] = matrix[j][i] = pick(rng, (-2, -1, 0, 1, 2) if n == 3 else (-2, -1, 1, 2))
        if all(matrix[i][j] == 0 for i, j in pairs):
            raise Reject("A is diagonal")
        if np.linalg.eigvalsh(np.asarray(matrix, dtype=float))[0] < 0.25:
            raise Reject("A is not (clearly) positive definite")
    return matrix


def _latex_column(values) -> str:
    return latex_matrix([[v] for v in values], exact_text)


class OptimizersFamily(Family):
    name = "optimizers"
    topic = "optimizers: momentum, Nesterov, AdaGrad, RMSProp, Adam"
    skills = ("momentum", "Nesterov momentum", "AdaGrad", "RMSProp", "Adam", "bias correction")
    summary = "1–3 steps of momentum, Nesterov, AdaGrad, RMSProp or Adam on f(θ) = ½θᵀAθ − bᵀθ"
    params = (
        ParamSpec("optimizer", Choice(op.OPTIMIZERS, shown="'momentum', 'nesterov', 'adagrad', 'rmsprop' or 'adam'"), "the optimizer"),
        ParamSpec("A", SymmetricMatrix((1, 2, 3), shown="symmetric positive-definite matrix (list of rows, 1–3 variables)"),
                  "the matrix of f(θ) = ½ θᵀAθ − bᵀθ"),
        ParamSpec("b", Vector(length="A"), "the vector b of f, one entry per variable"),
        ParamSpec("x0", Vector(length="A"), "the starting point θ0"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("steps", Integer(1, MAX_STEPS, shown=f"whole number 1..{MAX_STEPS}"), "the number of steps"),
        ParamSpec("beta", Number(minimum=0, shown="number in [0, 1)"), "β of momentum, Nesterov or RMSProp", required=False),
        ParamSpec("form", Choice(op.FORMS), "momentum only: v ← βv + ∇f ('sum', the default) "
                  "or v ← βv + (1 − β)∇f ('average')", required=False),
    )
    options = (
        OptionSpec("optimizer", "any", "the optimizer to sample", choices=("any",) + op.OPTIMIZERS),
        OptionSpec("form", "sum", "the momentum form: 'sum' (v ← βv + ∇f), 'average' "
                   "(v ← βv + (1 − β)∇f) or 'any'", choices=("sum", "average", "any")),
        OptionSpec("steps", "any", "the number of steps: 1, 2, 3 or 'any' (momentum and Nesterov "
                   "take 2 or 3)", choices=(1, 2, 3, "any")),
        OptionSpec("variables", "any", "the number of variables: 2, 3 or 'any' (mostly 2)",
                   choices=(2, 3, "any")),
    )
    answers = {
        "iterates": AnswerSpec("iterates", "θ after each step, θ_1 … θ_n"),
        "state": AnswerSpec("vector", "the optimizer's state after the last step: v (momentum, Nesterov), "
                            "G (AdaGrad), s (RMSProp) or [m…, v…] (Adam, before bias correction)"),
    }

    catalog = (
        Mistake("adam_no_bias_correction",
                "Adam divides the moments by (1 − β1^t) and (1 − β2^t) before the step, with t "
                "counting from 1: m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t)", _no_bias_correction),
        Mistake("momentum_other_form",
                "you used the other textbook form of momentum: follow the update for v exactly as "
                "the statement writes it (with or without the factor 1 − β)", _other_form),
        Mistake("missing_square_root",
                "the step divides the gradient by the square root of the accumulated squares, "
                "√s + ε, not by s itself", _missing_square_root),
        Mistake("ignored_momentum",
                "your iterates are plain gradient descent: the step uses the velocity v, "
                "which remembers the earlier gradients", _ignored_momentum),
        Mistake("nesterov_without_lookahead",
                "Nesterov evaluates the gradient at the look-ahead point θ − αβv, not at θ: "
                "without it you get ordinary momentum", _no_lookahead),
    )

    def check(self, params):
        name = params["optimizer"]
        out = {key: params[key] for key in ("optimizer", "A", "b", "x0", "lr", "steps")}
        if name in WITH_VELOCITY and out["steps"] < 2:
            raise ParamsError(f"{self.name}: one {name} step from v0 = 0 is a plain gradient-descent "
                              "step; give steps of 2 or more")
        if name in WITH_BETA:
            if "beta" not in params:
                raise ParamsError(f"{self.name}: param 'beta' is missing ({name} needs β in [0, 1))")
            beta = params["beta"]
            if beta >= 1:
                raise ParamsError(f"{self.name}: param 'beta' must lie in [0, 1), not {beta!r}")
            out["beta"] = beta
        elif "beta" in params:
            raise ParamsError(f"{self.name}: param 'beta' does not belong to {name} "
                              "(Adam uses β1 = 0.9 and β2 = 0.999)" if name == "adam" else
                              f"{self.name}: param 'beta' does not belong to {name}")
        if name == "momentum":
            out["form"] = params.get("form", "sum")
        elif "form" in params:
            raise ParamsError(f"{self.name}: param 'form' belongs to momentum only, not {name}")
        require_bounded(self.name, _run(out)["iterates"], out["lr"], LARGEST)
        return out

    def draw(self, rng: np.random.Generator, *, optimizer: str, form: str, steps, variables):
        if steps == 1 and optimizer in WITH_VELOCITY:
            raise OptionsError(f"{self.name}: option steps=1 does not go with optimizer={optimizer}: "
                               "from v0 = 0 one step is plain gradient descent; use steps 2, 3 or 'any'")
        names = op.OPTIMIZERS if steps != 1 else tuple(o for o in op.OPTIMIZERS if o not in WITH_VELOCITY)
        name = pick(rng, names) if optimizer == "any" else optimizer
        if steps == "any":
            n_steps = pick(rng, (2, 3) if name in WITH_VELOCITY else (1, 2, 3))
        else:
            n_steps = steps
        n = variables if variables != "any" else (3 if rng.random() < THREE_VARIABLES else 2)
        matrix = _draw_matrix(rng, n)
        params = {"optimizer": name, "A": matrix, "b": [nice(rng, -4, 4) for _ in range(n)],
                  "x0": [nice(rng, -3, 3) for _ in range(n)], "lr": pick(rng, RATES[name]),
                  "steps": n_steps}
        if name in WITH_BETA:
            params["beta"] = pick(rng, BETAS[name])
        if name == "momentum":
            params["form"] = pick(rng, op.FORMS) if form == "any" else form
        self._require_visible(params)
        return params

    @staticmethod
    def _require_visible(params) -> None:
        """Every gradient entry along the path clearly nonzero, every step visible, no blow-up."""
        settings = _settings(params)
        theta = [float(v) for v in params["x0"]]
        state = op.initial_state(settings, len(theta))
        for t in range(1, params["steps"] + 1):
            g = op.gradient(params["A"], params["b"], theta)
            if min(abs(v) for v in g) < SMALLEST_GRADIENT:
                raise Reject("a gradient entry is (nearly) zero along the path")
            new, state = op.step(settings, params["A"], params["b"], theta, state, t)
            if not any(abs(a - b) > VISIBLE * (1e-6 + 1e-3 * abs(a)) for a, b in zip(new, theta)):
                raise Reject("a step is too small to see")
            if max(abs(v) for v in new) > 20:
                raise Reject("the iterates run away")
            theta = new

    def solve(self, params):
        return _run(params)

    def carry_forward(self, params, name, answers, spec):
        """Each step from the student's previous point, with the state rebuilt along the
        student's own points (the state depends only on the points it has visited). A
        point is stationary when ∇f = Aθ − b vanishes there within tolerance."""
        points = answers.get("iterates")
        if name != "iterates" or not isinstance(points, list) or not points:
            return None
        settings = _settings(params)
        start = [float(v) for v in params["x0"]]
        stationary_at = stationary_test(start, lambda theta: op.gradient(params["A"], params["b"], theta), spec)
        state = op.initial_state(settings, len(start))
        expected, stationary = [], []
        lost, reached = False, True
        for k, given in enumerate([start] + list(points[:-1])):
            point = as_point(given, len(start))
            if lost or point is None:
                lost = True
                expected.append(None)
                stationary.append(False)
                continue
            after, state = op.step(settings, params["A"], params["b"], point, state, k + 1)
            expected.append(after)
            refused = k > 0 and not reached and stationary_at(point)  # as carry_steps decides
            stationary.append(refused)
            reached = not refused and close_to(as_point(points[k], len(start)), after, spec)
        return CarriedSteps(expected, stationary)

    def context(self, params):
        n = len(params["A"])
        return {
            "a_latex": latex_matrix(params["A"], exact_text),
            "b_latex": _latex_column(params["b"]),
            "x0_latex": _latex_column(params["x0"]),
            "n": n,
            "shape_example": "[" + ", ".join(f"[{', '.join(f'{c}{k}' for c in 'abc'[:n])}]"
                                             for k in (1, 2)) + "]",
            "adam_layout": "[" + ", ".join([f"m_{i + 1}" for i in range(n)] + [f"v_{i + 1}" for i in range(n)]) + "]",
            "state_size": 2 * n if params["optimizer"] == "adam" else n,
        }
