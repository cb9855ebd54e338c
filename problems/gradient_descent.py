"""``gradient_descent``: a few steps of θ ← θ − α∇f(θ) on a function of one or two variables.

The sampler draws f from templates with nice coefficients (polynomials, exp/log mixes,
positive-definite quadratics, sums with an exponential, the course's product
85 − x²(x−6)y²(y−6)/90 and its variations), a nice start in the domain, and a learning
rate from a list of nice values such that every step decreases f visibly and stays in
the domain.

>>> family = GradientDescentFamily()
>>> params = family.validate({"f": "exp(x) - ln(x)", "vars": ["x"], "x0": 0.05,
...                           "lr": 0.005, "steps": 2})
>>> params["x0"], [round(p[0], 6) for p in family.solve(params)["iterates"]]
([0.05], [0.144744, 0.173509])

With ``answer = "code"`` the student implements ``gradient(theta)`` (∇f at a point) and
``step(theta, lr)`` (one update θ − α∇f(θ)), called at the points of the descent:

>>> coded = family.validate({**params, "answer": "code"})
>>> [case["case"] for case in family.solve(coded)["step"]]
['θ_0 with the given α', 'θ_1 with the given α', 'θ_0 with α/2']
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Expression, Integer, Number, Variables, Vector, parse_cached
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec,
                                       Reject, carry_steps)
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import exact_text, iterates_example
from calcgrade.solutions import gradient_descent as gd
from calcgrade.solutions.calculus import gradient
from calcgrade.core.numeric import compile_numeric
from calcgrade.core.printing import to_latex, to_str
from calcgrade.problems import code

MAX_STEPS = 20
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)
FIRST_STEP = (0.02, 1.5)   # the range of α·max|∇f(θ_0)| tried when choosing α
VISIBLE = 5.0              # a step must exceed this many times the answer tolerance


def _sum(*terms) -> str:
    """``(coefficient, body)`` pairs as a sum in Python syntax, zero terms left out.

    >>> _sum((0.5, "x**2"), (-1, "x"), (0, "y"), (-3, ""))
    '0.5*x**2 - x - 3'
    """
    out = ""
    for coefficient, body in terms:
        if coefficient == 0:
            continue
        size = abs(coefficient)
        text = exact_text(size) if not body else body if size == 1 else f"{exact_text(size)}*{body}"
        if not out:
            out = f"-{text}" if coefficient < 0 else text
        else:
            out += f" - {text}" if coefficient < 0 else f" + {text}"
    return out or "0"


def _start(rng, low, high):
    """A start in [low, high] on a grid of integers, halves or tenths."""
    value = nice(rng, low, high, pick(rng, (1, 0.5, 0.1)))
    return int(value) if float(value).is_integer() else value


# templates: rng -> (text of f, x0) ----------------------------------------------------
def _quadratic(rng):
    a, b, k = nice(rng, 0.5, 3, 0.5), nice(rng, -6, 6), nice(rng, -5, 5)
    return _sum((a, "x**2"), (b, "x"), (k, "")), [_start(rng, -4, 4)]


def _quartic(rng):
    a, b = pick(rng, (0.25, 0.5, 1)), nice(rng, -2, 2)
    k, d = nice(rng, -3, 3), nice(rng, -4, 4)
    return _sum((a, "x**4"), (b, "x**3"), (k, "x**2"), (d, "x")), [_start(rng, -2.5, 2.5)]


def _exp_minus_log(rng):
    a, b = pick(rng, (1, 1, 2, 0.5)), pick(rng, (1, 1, 2, 3))
    return _sum((a, "exp(x)"), (-b, "log(x)")), [_start(rng, 0.1, 2.5)]


def _square_plus_decay(rng):
    a, k = nice(rng, 0.5, 2, 0.5), pick(rng, (1, 1, 2, 0.5))
    return _sum((a, "x**2"), (1, f"exp({_sum((-k, 'x'))})")), [_start(rng, -2, 3)]


def _linear_minus_log(rng):
    a, b = pick(rng, (1, 1, 2, 0.5)), nice(rng, 1, 4)
    return _sum((a, "x"), (-b, "log(x)")), [_start(rng, 0.2, 5)]


def _square_minus_log(rng):
    a, b = nice(rng, 0.5, 3, 0.5), pick(rng, (1, 1, 2, 3))
    return _sum((a, "x**2"), (-b, "log(x)")), [_start(rng, 0.1, 3)]


def _exp_minus_linear(rng):
    a, b = pick(rng, (0.5, 1, 1, 2)), nice(rng, 1, 5)
    return _sum((1, f"exp({_sum((a, 'x'))})"), (-b, "x")), [_start(rng, -2, 3)]


ONE_D = (_quadratic, _quartic, _exp_minus_log, _square_plus_decay, _linear_minus_log,
         _square_minus_log, _exp_minus_linear)


def _quadratic_2d(rng):
    a, b, k = nice(rng, 0.5, 3, 0.5), nice(rng, 0.5, 3, 0.5), nice(rng, -2, 2, 0.5)
    if 4 * a * b - k * k <= 0:
        raise Reject("the quadratic part is not positive definite")
    d, e = nice(rng, -6, 6), nice(rng, -6, 6)
    f = _sum((a, "x**2"), (b, "y**2"), (k, "x*y"), (d, "x"), (e, "y"))
    return f, [_start(rng, -3, 3), _start(rng, -3, 3)]


def _squares_plus_exp(rng):
    a, b = pick(rng, (0.5, 1, 1, 2)), pick(rng, (0.5, 1, 1, 2))
    p, q = pick(rng, (1, -1, 0.5)), pick(rng, (1, -1, 0.5, -0.5))
    f = _sum((a, "x**2"), (b, "y**2"), (1, f"exp({_sum((p, 'x'), (q, 'y'))})"))
    return f, [_start(rng, -2, 2), _start(rng, -2, 2)]


def _course_product(rng):
    k, d = nice(rng, 80, 90), pick(rng, (60, 80, 90, 90, 100, 120))
    s, t = pick(rng, (4, 5, 6, 6)), pick(rng, (4, 5, 6, 6))
    f = f"{k} - x**2*(x - {s})*y**2*(y - {t})/{d}"
    return f, [_start(rng, 0.5, s - 0.5), _start(rng, 0.5, t - 0.5)]


def _squares_minus_logs(rng):
    a, b = nice(rng, 0.5, 2, 0.5), nice(rng, 0.5, 2, 0.5)
    p, q = pick(rng, (1, 1, 2)), pick(rng, (1, 1, 2))
    f = _sum((a, "x**2"), (b, "y**2"), (-p, "log(x)"), (-q, "log(y)"))
    return f, [_start(rng, 0.1, 3), _start(rng, 0.1, 3)]


def _banana(rng):
    a, b = pick(rng, (1, 2, 0.5)), pick(rng, (1, 2, 5))
    f = _sum((1, f"(x - {exact_text(a)})**2"), (b, "(y - x**2)**2"))
    return f, [_start(rng, -1.5, 1.5), _start(rng, -1.5, 1.5)]


TWO_D = (_quadratic_2d, _squares_plus_exp, _course_product, _squares_minus_logs, _banana)


# reference and buggy runs, cached per params (sampling asks for them several times) ---
RULES = {  # name -> the update rule as a function of α; the reference comes first
    "reference": lambda lr: gd.Rule(-lr),
    "uphill": lambda lr: gd.Rule(lr),
    "used_f_not_gradient": lambda lr: gd.Rule(0.0, -lr),
    "forgot_learning_rate": lambda lr: gd.Rule(-1.0),
    "stale_gradient": lambda lr: gd.Rule(0.0, 0.0, -lr),
}
_RUNS: dict[tuple, dict] = {}
MAX_REMEMBERED = 512


def _key(params) -> tuple:
    return (params["f"], tuple(params["vars"]), tuple(params["x0"]), params["lr"], params["steps"])


def _objective(f_text: str, variables: tuple) -> gd.Objective:
    return gd.objective(parse_cached(f_text, variables), variables)


def _explore(obj: gd.Objective, x0, steps: int, rates) -> gd.Batch:
    """Every rule of RULES for each learning rate in one batch (rate i, rule j: row i·R + j)."""
    return gd.descend(obj, x0, steps, [rule(lr) for lr in rates for rule in RULES.values()])


def _rows(batch: gd.Batch, i: int) -> dict:
    """Rule name -> Path or OutsideDomain for the i-th learning rate of a batch."""
    return {name: batch.result(i * len(RULES) + j) for j, name in enumerate(RULES)}


def _remember(key: tuple, runs: dict) -> dict:
    if len(_RUNS) >= MAX_REMEMBERED:
        _RUNS.clear()
    _RUNS[key] = runs
    return runs


def _runs(params) -> dict:
    """Rule name -> Path or OutsideDomain for these params (rows never affect each other)."""
    key = _key(params)
    if key not in _RUNS:
        f_text, variables, x0, lr, steps = key
        _remember(key, _rows(_explore(_objective(f_text, variables), x0, steps, [lr]), 0))
    return _RUNS[key]


@lru_cache(maxsize=256)
def _gradient_function(f_text: str, variables: tuple[str, ...]):
    """∇f as a function of a point (a list), compiled once per function."""
    parts = [compile_numeric(g) for g in gradient(parse_cached(f_text, variables), list(variables))]

    def at(point):
        env = dict(zip(variables, (float(v) for v in point)))
        return [float(part(env)) for part in parts]
    return at


def _answers(path: gd.Path, steps: int, stale: bool = False) -> dict:
    gradients = [list(g) for g in path.gradients[:steps]]
    if stale:
        gradients = [list(gradients[0]) for _ in range(steps)]
    return {"gradients": gradients, "iterates": [list(p) for p in path.points[1:]]}


def _mistake(name: str):
    """The buggy solver of one rule: its answers, or None when its path leaves the domain."""
    def solve(params):
        if code.asks_code(params):
            return None if name == "stale_gradient" else {"step": _coded(params, name)["step"]}
        if name == "stale_gradient" and params["steps"] < 2:
            return None
        path = _runs(params)[name]
        if isinstance(path, gd.OutsideDomain):
            return None
        return _answers(path, params["steps"], stale=name == "stale_gradient")
    return solve


# answer = "code" ------------------------------------------------------------------------------
def _test_inputs(params, reference: dict) -> dict:
    """The points of the descent (θ_0 and the first iterates) for ``gradient``; θ_0 and
    θ_1 with α, and θ_0 with α/2, for ``step``."""
    points = [list(params["x0"]), *reference["iterates"][:2]]
    lr = params["lr"]
    return {
        "gradient": [(f"θ_{k}", [p], code.VALUE) for k, p in enumerate(points)],
        "step": [("θ_0 with the given α", [points[0], lr], code.VALUE),
                 ("θ_1 with the given α", [points[1], lr], code.VALUE),
                 ("θ_0 with α/2", [points[0], lr / 2], code.VALUE)],
    }


def _value_function(f_text: str, variables: tuple[str, ...]):
    compiled = compile_numeric(parse_cached(f_text, variables))
    return lambda point: float(compiled(dict(zip(variables, (float(v) for v in point)))))


def _coded(params, rule: str = "reference") -> dict:
    """The test cases of ``gradient`` and ``step`` under the right update or a buggy ``rule``."""
    variables = tuple(params["vars"])
    grad = _gradient_function(params["f"], variables)
    value = _value_function(params["f"], variables)
    if rule == "uphill":
        step = lambda theta, lr: theta + lr * np.asarray(grad(theta))  # noqa: E731
    elif rule == "forgot_learning_rate":
        step = lambda theta, lr: theta - np.asarray(grad(theta))  # noqa: E731
    elif rule == "used_f_not_gradient":
        step = lambda theta, lr: theta - lr * value(theta)  # noqa: E731
    else:
        step = lambda theta, lr: theta - lr * np.asarray(grad(theta))  # noqa: E731
    inputs = _test_inputs(params, _answers(_runs(params)["reference"], params["steps"]))
    return {"gradient": code.cases_of(inputs["gradient"], lambda theta: np.asarray(grad(theta))),
            "step": code.cases_of(inputs["step"], step)}


STUDENT_FUNCTIONS = "exp, log, ln, sqrt, sin, cos, tan, tanh = (np.exp, np.log, np.log, np.sqrt, np.sin, np.cos, np.tan, np.tanh)"


# checks of a sampled path ---------------------------------------------------------------
def _descends_visibly(batch: gd.Batch, rows: list[int]) -> np.ndarray:
    """Per row: defined throughout, f decreases at every step, and every step moves some
    coordinate by more than VISIBLE times the answers' tolerance."""
    values, points = batch.values[:, rows], batch.points[:, rows, :]
    with np.errstate(invalid="ignore"):
        decreasing = np.all(values[1:] < values[:-1], axis=0)
        moved = np.abs(points[1:] - points[:-1]) > VISIBLE * (1e-6 + 1e-3 * np.abs(points[1:]))
    defined = np.array([batch.failures[i] is None for i in rows])
    return defined & decreasing & np.all(np.any(moved, axis=2), axis=0)


def _where(variables, point) -> str:
    if len(variables) == 1:
        return f"{variables[0]} = {point[0]:.6g}"
    return f"({', '.join(variables)}) = ({', '.join(f'{v:.6g}' for v in point)})"


def _choose_lr(rng, obj: gd.Objective, x0, steps: int) -> tuple[float, dict]:
    """A learning rate from the list under which f descends visibly, chosen at random.

    Every rate (with the mistakes) runs in one batch; a rate qualifies when its first step
    α·max|∇f(θ_0)| lies in ``FIRST_STEP`` and f descends visibly. Returns it and its runs.
    """
    batch = _explore(obj, x0, steps, LEARNING_RATES)
    if batch.failures[0] is not None and batch.failures[0].index == 0:
        raise Reject("x0 is outside the domain of f")
    first = float(np.max(np.abs(batch.gradients[0, 0])))
    rows = [i * len(RULES) for i in range(len(LEARNING_RATES))]
    sized = [FIRST_STEP[0] <= lr * first <= FIRST_STEP[1] for lr in LEARNING_RATES]
    good = np.flatnonzero(_descends_visibly(batch, rows) & np.array(sized))
    if not len(good):
        raise Reject("no learning rate in the list makes every step decrease f visibly")
    i = int(pick(rng, good))
    return LEARNING_RATES[i], _rows(batch, i)


_latex = lru_cache(maxsize=512)(to_latex)


class GradientDescentFamily(Family):
    name = "gradient_descent"
    topic = "gradient descent"
    skills = ("gradient", "gradient descent update", "learning rate")
    summary = "a few steps of θ ← θ − α∇f(θ) on f of one or two variables: the gradients and iterates"
    params = (
        ParamSpec("f", Expression("vars"), "the function to minimize, e.g. 'exp(x) - ln(x)'"),
        ParamSpec("vars", Variables((1, 2), shown="list of 1 or 2 variable names"), "the variables of f, in order"),
        ParamSpec("x0", Vector(length="vars", scalar_ok=True), "the starting point, one number per variable"),
        ParamSpec("lr", Number(positive=True), "the learning rate α"),
        ParamSpec("steps", Integer(1, MAX_STEPS, shown=f"whole number 1..{MAX_STEPS}"), "the number of steps"),
        code.ANSWER_PARAM,
    )
    options = (
        OptionSpec("dims", "any", "the number of variables: 1, 2 or 'any'", choices=(1, 2, "any")),
        OptionSpec("steps", 2, "the number of steps", kind=int, minimum=1, maximum=10),
        code.ANSWER_OPTION,
    )
    answers = {
        "gradients": AnswerSpec("iterates", "∇f(θ_k) at each iterate before its step, k = 0 … n−1"),
        "iterates": AnswerSpec("iterates", "θ_k after each step, k = 1 … n"),
    }
    code_answers = {
        "gradient": code.function_spec("∇f(θ), an array like theta", "theta"),
        "step": code.function_spec("θ − α∇f(θ), an array like theta", "theta", "lr"),
    }

    catalog = (
        Mistake("uphill",
                "your steps go uphill: gradient descent subtracts the gradient, "
                "θ ← θ − α∇f(θ), but you added it", _mistake("uphill")),
        Mistake("used_f_not_gradient",
                "you stepped by the value f(θ) instead of the gradient ∇f(θ): "
                "the update is θ ← θ − α∇f(θ)", _mistake("used_f_not_gradient")),
        Mistake("forgot_learning_rate",
                "your step is the whole gradient: multiply it by the learning rate, "
                "θ ← θ − α∇f(θ)", _mistake("forgot_learning_rate")),
        Mistake("stale_gradient",
                "you reused the gradient at the starting point for every step: "
                "recompute ∇f at each new iterate", _mistake("stale_gradient")),
    )

    def check(self, params):
        params = code.normalised(self.name, params)
        path = _runs(params)["reference"]
        if isinstance(path, gd.OutsideDomain):
            raise ParamsError(self._domain_message(path, params["vars"]))
        return params

    def _domain_message(self, error: gd.OutsideDomain, variables) -> str:
        where = _where(variables, error.point)
        if error.index == 0:
            return (f"{self.name}: f or its gradient is not defined at x0 ({where}); "
                    "choose x0 in the domain of f")
        if error.overflow:
            return (f"{self.name}: iterate {error.index} diverges ({where}); "
                    "choose a smaller lr")
        return (f"{self.name}: iterate {error.index} leaves the domain of f ({where}); "
                "choose a smaller lr or another x0")

    def draw(self, rng: np.random.Generator, *, dims, steps: int, answer: str):
        if dims == "any":
            dims = pick(rng, (1, 2))
        text, x0 = pick(rng, ONE_D if dims == 1 else TWO_D)(rng)
        variables = ("x",) if dims == 1 else ("x", "y")
        lr, runs = _choose_lr(rng, _objective(text, variables), x0, steps)
        params = {"f": text, "vars": list(variables), "x0": x0, "lr": lr, "steps": steps}
        _remember(_key(params), runs)
        return code.marked(params, answer)

    def solve(self, params):
        if code.asks_code(params):
            return _coded(params)
        path = _runs(params)["reference"]
        if isinstance(path, gd.OutsideDomain):  # validated params never get here
            raise path
        return _answers(path, params["steps"])

    def student_source(self, name, params, function):
        variables = params["vars"]
        if name == "step":
            gradient_name = function[: -len("step")] + "gradient"
            return f"def {function}(theta, lr):\n    return theta - lr * {gradient_name}(theta)\n"
        parts = gradient(parse_cached(params["f"], tuple(variables)), list(variables))
        unpack = f"{', '.join(variables)}, = theta" if len(variables) == 1 else f"{', '.join(variables)} = theta"
        return (f"def {function}(theta):\n    {STUDENT_FUNCTIONS}\n    {unpack}\n"
                f"    return np.array([{', '.join(to_str(p) for p in parts)}])\n")

    def carry_forward(self, params, name, answers, spec):
        if code.asks_code(params):
            return None
        """Both answers follow the student's own iterates: the gradient at, and the step
        from, each of them. A point of the student's is stationary when ∇f vanishes there
        within tolerance (:func:`~calcgrade.problems.family.stationary_test`), whatever
        the size of the step."""
        gradient = _gradient_function(params["f"], tuple(params["vars"]))
        lr = params["lr"]

        def step(point):
            return [p - lr * g for p, g in zip(point, gradient(point))]

        return carry_steps(params["x0"], answers.get("iterates"), step, spec, gradient=gradient,
                           value_at=gradient if name == "gradients" else None)

    def context(self, params):
        variables = params["vars"]
        f_latex = _latex(parse_cached(params["f"], tuple(variables)))
        return {
            "f_latex": f_latex,
            "variables": ", ".join(variables),
            "start": ", ".join(f"{v}_0" for v in variables),
            "x0": ", ".join(str(v) for v in params["x0"]),
            "dims": len(variables),
            "has_log": "\\ln" in f_latex,
            "gradients_at": _sequence("\\nabla f(\\theta_{%d})", 0, params["steps"] - 1),
            "points_after": _sequence("\\theta_{%d}", 1, params["steps"]),
            "shape_example": iterates_example(variables, 2, subscript=""),
            "code": code.asks_code(params),
        }


def _sequence(pattern: str, first: int, last: int) -> str:
    """``a_0, a_1, a_2`` in full up to three terms, else ``a_0, a_1, \\dots, a_n``."""
    if last - first < 3:
        return ", ".join(pattern % k for k in range(first, last + 1))
    return ", ".join([pattern % first, pattern % (first + 1), "\\dots", pattern % last])
