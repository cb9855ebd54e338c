"""``linear_regression_gd``: squared-error linear regression by batch gradient descent.

A few examples (X is m × n, bias b separate), the cost J = 1/(2m)Σ(ŷ − y)² (``scaling``
``"half_mean"``) or J = 1/m Σ(ŷ − y)² (``"mean"``), a start (w, b), a learning rate and
a number of steps. Answers: the predictions, cost and gradient at the start, the iterates
[w..., b] of θ ← θ − α∇J and the least-squares solution of the normal equations. The
sampler picks α with α·L in [0.1, 1] (L the largest eigenvalue of J's Hessian), so every
step decreases J without overshooting.

>>> family = LinearRegressionGDFamily()
>>> params = family.validate({"X": [[1], [2], [3]], "y": [2, 4, 6], "w": [0], "b": 0,
...                           "lr": 0.1, "steps": 1})
>>> answers = family.solve(params)
>>> params["scaling"], round(answers["cost"], 4), [round(v, 4) for v in answers["iterates"][0]]
('half_mean', 9.3333, [0.9333, 0.4])

With ``answer = "code"`` the student implements ``cost(X, y, theta)`` and
``gradient(X, y, theta)`` for numpy arrays, θ = [w..., b]; they are called on the data
set, on one example, on twice the examples and on three features:

>>> coded = family.validate({**params, "answer": "code"})
>>> [case["case"] for case in family.solve(coded)["gradient"]]
['the data set', 'another θ', 'one example', 'twice the examples (m = 6)', 'three features']
"""

from __future__ import annotations

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems import code
from calcgrade.problems.checks import Choice, Integer, Number
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, linear_model_params, Reject,
                                       remembered, require_bounded)
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.problems.statements import data_context
from calcgrade.solutions import linear_regression as lr_solver

MAX_STEPS = 20
MAX_EXAMPLES, MAX_FEATURES = 10, 3
LEARNING_RATES = (0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)
MAX_CONDITION = 60.0  # of AᵀA, A = [X | 1], for a sampled data set
COST_FORMULAS = {
    "half_mean": r"J(\mathbf{w}, b) = \frac{1}{2m}\sum_{i=1}^{m}\left(\hat y_i - y_i\right)^2",
    "mean": r"J(\mathbf{w}, b) = \frac{1}{m}\sum_{i=1}^{m}\left(\hat y_i - y_i\right)^2",
}


def full_rank(X) -> bool:
    """Whether the columns of [X | 1] are linearly independent."""
    A = lr_solver.design(X)
    eigen = np.linalg.eigvalsh(A.T @ A)
    return bool(eigen[0] > 1e-9 * eigen[-1])


# the mistake catalog ----------------------------------------------------------------------
def _run(params, *, scale: float = 1.0, sign: float = -1.0, scaling: str | None = None,
         update_bias: bool = True) -> list[list[float]]:
    """Gradient descent with a buggy update θ ← θ + sign·α·scale·∇J (bias frozen if asked)."""
    A, y = lr_solver.design(params["X"]), np.asarray(params["y"], dtype=float)
    theta = np.array([*params["w"], params["b"]], dtype=float)
    points = []
    for _ in range(params["steps"]):
        step = sign * params["lr"] * scale * lr_solver.theta_gradient(A, y, theta, scaling or params["scaling"])
        if not update_bias:
            step[-1] = 0.0
        theta = theta + step
        points.append(theta.tolist())
    return points


def _gradient(params, scale: float = 1.0, scaling: str | None = None) -> dict:
    grad_w, grad_b = lr_solver.gradient(params["X"], params["y"], params["w"], params["b"],
                                        scaling or params["scaling"])
    return {"grad_w": [scale * g for g in grad_w], "grad_b": scale * grad_b}


def _test_inputs(params) -> list[tuple]:
    """Inputs of ``cost`` and ``gradient``: the data set at the start and at another θ,
    one example, the data set twice (shifted, so m changes) and three features (so n
    changes); every argument a numpy array."""
    X, y, theta = params["X"], params["y"], [*params["w"], params["b"]]
    other = [round(v + 0.5 * (-1) ** i, 6) for i, v in enumerate(theta)]
    m, n = len(X), len(X[0])
    doubled = X + [[round(v + 1, 6) for v in row] for row in X]
    wide = [[*row, *[round((i + j) % 3 - 1.0, 6) for j in range(3 - n)]] for i, row in enumerate(X)] \
        if n < 3 else [list(row) for row in X]
    if not full_rank(wide):  # three features need independent columns too
        wide = [[*row[:n], *[float((i * (j + 2)) % 5) for j in range(3 - n)]] for i, row in enumerate(X)]
    return [
        ("the data set", [X, y, theta], code.VALUE),
        ("another θ", [X, y, other], code.VALUE),
        ("one example", [X[:1], y[:1], theta], code.VALUE),
        (f"twice the examples (m = {2 * m})", [doubled, y + [round(v - 1, 6) for v in y], theta],
         code.VECTORISED),
        ("three features", [wide, y, [*theta[:-1], *[0.5] * (3 - n), theta[-1]]], code.VECTORISED),
    ]


def _coded(params, scaling=None, factor=1.0, sign=1.0, bias=True):
    """The test cases of ``cost`` and ``gradient`` (buggy when asked: another scaling, a
    factor m·factor... see the mistakes)."""
    scaling = scaling or params["scaling"]

    def theta_of(theta):
        return theta if bias else np.concatenate([theta[:-1], [0.0]])

    def scale(X):
        return len(X) if factor == "m" else factor

    def cost(X, y, theta):
        return scale(X) * lr_solver.theta_cost(X, y, theta_of(theta), scaling)

    def gradient(X, y, theta):
        return sign * scale(X) * lr_solver.theta_cost_gradient(X, y, theta_of(theta), scaling)

    inputs = _test_inputs(params)
    return {"cost": code.cases_of(inputs, cost), "gradient": code.cases_of(inputs, gradient)}


def _in_code(mistake, **buggy):
    """``mistake`` for values; in code, the cost and gradient with the ``buggy`` changes."""
    def either(params):
        if not code.asks_code(params):
            return mistake(params)
        cases = _coded(params, **buggy)
        return {"gradient": cases["gradient"]} if buggy.keys() == {"sign"} else cases
    return either


def _forgot_mean(params):
    m = len(params["X"])
    cost = m * lr_solver.cost(params["X"], params["y"], params["w"], params["b"], params["scaling"])
    return {"cost": cost, **_gradient(params, m), "iterates": _run(params, scale=m)}


def _uphill(params):
    return {**_gradient(params, -1.0), "iterates": _run(params, sign=1.0)}


def _other(params) -> str:
    return "mean" if params["scaling"] == "half_mean" else "half_mean"


def _other_scaling(params):
    other = _other(params)
    cost = lr_solver.cost(params["X"], params["y"], params["w"], params["b"], other)
    return {"cost": cost, **_gradient(params, scaling=other), "iterates": _run(params, scaling=other)}


def _dropped_bias_update(params):
    return {"iterates": _run(params, update_bias=False)}


class LinearRegressionGDFamily(Family):
    name = "linear_regression_gd"
    topic = "linear regression"
    skills = ("mean squared error", "gradient of the cost", "gradient descent", "normal equations")
    summary = ("predictions, cost and gradient of squared-error linear regression, a few batch "
               "gradient-descent steps, and the least-squares solution")
    params = (
        *linear_model_params(MAX_EXAMPLES, MAX_FEATURES, targets="the targets, one per example"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("steps", Integer(1, MAX_STEPS, shown=f"whole number 1..{MAX_STEPS}"), "the number of gradient-descent steps"),
        ParamSpec("scaling", Choice(tuple(lr_solver.SCALINGS)), "J = 1/(2m)Σ(ŷ−y)² (default) or J = 1/m Σ(ŷ−y)²",
                  required=False),
        code.ANSWER_PARAM,
    )
    options = (
        OptionSpec("scaling", "half_mean", "the cost: 'half_mean' (1/(2m)Σ), 'mean' (1/m Σ) or 'any'",
                   choices=("half_mean", "mean", "any")),
        OptionSpec("features", "any", "the number of features: 1, 2 or 'any'", choices=(1, 2, "any")),
        OptionSpec("steps", 2, "the number of gradient-descent steps", kind=int, minimum=1, maximum=5),
        code.ANSWER_OPTION,
    )
    answers = {
        "predictions": AnswerSpec("vector", "ŷ_i = w·x_i + b at the starting parameters, one per example"),
        "cost": AnswerSpec("scalar", "J at the starting parameters"),
        "grad_w": AnswerSpec("vector", "∂J/∂w at the starting parameters, one entry per weight"),
        "grad_b": AnswerSpec("scalar", "∂J/∂b at the starting parameters"),
        "iterates": AnswerSpec("iterates", "[w..., b] after each gradient-descent step"),
        "normal_equation": AnswerSpec("vector", "the least-squares [w..., b] (normal equations)"),
    }
    code_answers = {
        "cost": code.function_spec("the cost J at θ = [w..., b], a number", "X", "y", "theta"),
        "gradient": code.function_spec("∇J at θ = [w..., b], an array like theta", "X", "y", "theta"),
    }
    student_code = {
        "cost": ("def {name}(X, y, theta):\n    X, y, theta = np.asarray(X), np.asarray(y), np.asarray(theta)\n"
                 "    error = X @ theta[:-1] + theta[-1] - y\n"
                 "    return {c} * np.sum(error ** 2) / len(y)\n"),
        "gradient": ("def {name}(X, y, theta):\n    X, y, theta = np.asarray(X), np.asarray(y), np.asarray(theta)\n"
                     "    error = X @ theta[:-1] + theta[-1] - y\n"
                     "    return {c2} * np.append(X.T @ error, np.sum(error)) / len(y)\n"),
    }

    catalog = (
        Mistake("forgot_mean",
                "you forgot to divide by m: the cost and its gradient average over the m examples",
                _in_code(_forgot_mean, factor="m")),
        Mistake("uphill",
                "your gradient has the wrong sign (you used y − ŷ): the error is ŷ − y and the "
                "update θ ← θ − α∇J goes downhill", _in_code(_uphill, sign=-1.0)),
        Mistake("other_scaling",
                "you used the other scaling of the cost: with J = 1/(2m)Σ(ŷ − y)² the gradient is "
                "(1/m)Σ(ŷ − y)x, with J = 1/m Σ(ŷ − y)² it is (2/m)Σ(ŷ − y)x",
                lambda params: _in_code(_other_scaling, scaling=_other(params))(params)),
        Mistake("dropped_bias_update",
                "your bias never changes: update it too, b ← b − α ∂J/∂b",
                lambda params: None if code.asks_code(params) else _dropped_bias_update(params)),
        Mistake("no_bias",
                "your predictions leave out the bias: ŷ = X·w + b, with b the last entry of θ",
                lambda params: _coded(params, bias=False) if code.asks_code(params) else None),
    )

    def check(self, params):
        checked = {**params, "scaling": params.get("scaling", "half_mean")}
        if not full_rank(params["X"]):
            raise ParamsError(f"{self.name}: the columns of [X | 1] are linearly dependent (too few "
                              "examples or a repeated/constant feature), so the least-squares "
                              "solution is not unique; change X")
        checked = code.normalised(self.name, checked)
        if not code.asks_code(checked):
            require_bounded(self.name, self.solve(checked)["iterates"][-1:], params["lr"], 1e12)
        return checked

    def draw(self, rng: np.random.Generator, *, scaling: str, features, steps: int, answer: str):
        if scaling == "any":
            scaling = pick(rng, ("half_mean", "mean"))
        n = pick(rng, (1, 2)) if features == "any" else features
        m = pick(rng, (3, 4, 5) if n == 1 else (4, 5))  # more examples than parameters
        if n == 1:
            X = [[v] for v in sorted(rng.choice(np.arange(-2, 7), size=m, replace=False).tolist())]
        else:
            X = [nice_vector(rng, 2, -2, 4) for _ in range(m)]
        A = lr_solver.design(X)
        eigen = np.linalg.eigvalsh(A.T @ A)
        if eigen[0] * MAX_CONDITION < eigen[-1]:
            raise Reject("the features are (nearly) collinear")
        y = nice_vector(rng, m, -5, 8)
        w = nice_vector(rng, n, -2, 2, 0.5)
        b = nice(rng, -2, 2, 0.5)
        L = float(2 * lr_solver.SCALINGS[scaling] / m * eigen[-1])
        good = [a for a in LEARNING_RATES if 0.1 <= a * L <= 1.0]
        if not good:
            raise Reject("no learning rate in the list gives a stable, visible step")
        return code.marked({"X": X, "y": y, "w": w, "b": b, "lr": pick(rng, good), "steps": steps,
                            "scaling": scaling}, answer)

    @remembered
    def solve(self, params):
        if code.asks_code(params):
            return _coded(params)
        return lr_solver.solve(params["X"], params["y"], params["w"], params["b"], params["lr"],
                               params["steps"], params["scaling"])

    def student_source(self, name, params, function):
        c = lr_solver.SCALINGS[params["scaling"]]
        return super().student_source(name, params, function).replace("{c}", repr(c)).replace(
            "{c2}", repr(2 * c))

    def step_rule(self, params):
        """θ ← θ − α∇J over [w..., b]; a point is stationary where ∇J vanishes."""
        A, y = lr_solver.design(params["X"]), np.asarray(params["y"], dtype=float)

        def gradient(point):
            return lr_solver.theta_gradient(A, y, np.asarray(point, dtype=float), params["scaling"])
        return (lambda point: (np.asarray(point, dtype=float) - params["lr"] * gradient(point)).tolist(),
                gradient)

    def context(self, params):
        return {**data_context(params["X"], params["y"]), "cost_formula": COST_FORMULAS[params["scaling"]],
                "code": code.asks_code(params)}
