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
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from calcgrade.grader.errors import ParamsError
from calcgrade.problems.checks import (parse_cached, read_expression, read_int, read_number,
                                       read_variables, read_vector)
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec,
                                       Reject)
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.solutions import gradient_descent as gd
from calcgrade.solutions.expr import Sym, as_expr, exp, log, to_latex

MAX_STEPS = 20
LEARNING_RATES = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5)
FIRST_STEP = (0.02, 1.5)   # the range of α·max|∇f(θ_0)| tried when choosing α
VISIBLE = 5.0              # a step must exceed this many times the answer tolerance

X, Y = Sym("x"), Sym("y")


def c(value):
    """An exact coefficient from a nice number (0.1 stays 1/10, not a binary float)."""
    return as_expr(Fraction(str(value)))


def _start(rng, low, high):
    """A start in [low, high] on a grid of integers, halves or tenths."""
    value = nice(rng, low, high, pick(rng, (1, 0.5, 0.1)))
    return int(value) if float(value).is_integer() else value


# one-variable templates: rng -> (f, [x0]) -------------------------------------------------
def _quadratic(rng):
    a, b, k = nice(rng, 0.5, 3, 0.5), nice(rng, -6, 6), nice(rng, -5, 5)
    return c(a) * X**2 + b * X + k, [_start(rng, -4, 4)]


def _quartic(rng):
    a = pick(rng, (0.25, 0.5, 1))
    b, k, d = nice(rng, -2, 2), nice(rng, -3, 3), nice(rng, -4, 4)
    return c(a) * X**4 + b * X**3 + k * X**2 + d * X, [_start(rng, -2.5, 2.5)]


def _exp_minus_log(rng):
    a, b = pick(rng, (1, 1, 2, 0.5)), pick(rng, (1, 1, 2, 3))
    return c(a) * exp(X) - b * log(X), [_start(rng, 0.1, 2.5)]


def _square_plus_decay(rng):
    a, k = nice(rng, 0.5, 2, 0.5), pick(rng, (1, 1, 2, 0.5))
    return c(a) * X**2 + exp(-c(k) * X), [_start(rng, -2, 3)]


def _linear_minus_log(rng):
    a, b = pick(rng, (1, 1, 2, 0.5)), nice(rng, 1, 4)
    return c(a) * X - b * log(X), [_start(rng, 0.2, 5)]


def _square_minus_log(rng):
    a, b = nice(rng, 0.5, 3, 0.5), pick(rng, (1, 1, 2, 3))
    return c(a) * X**2 - b * log(X), [_start(rng, 0.1, 3)]


def _exp_minus_linear(rng):
    a, b = pick(rng, (0.5, 1, 1, 2)), nice(rng, 1, 5)
    return exp(c(a) * X) - b * X, [_start(rng, -2, 3)]


ONE_D = (_quadratic, _quartic, _exp_minus_log, _square_plus_decay, _linear_minus_log,
         _square_minus_log, _exp_minus_linear)


# two-variable templates: rng -> (f, [x0, y0]) ---------------------------------------------
def _quadratic_2d(rng):
    a, b = nice(rng, 0.5, 3, 0.5), nice(rng, 0.5, 3, 0.5)
    k = nice(rng, -2, 2, 0.5)
    if 4 * a * b - k * k <= 0:
        raise Reject("the quadratic part is not positive definite")
    d, e = nice(rng, -6, 6), nice(rng, -6, 6)
    f = c(a) * X**2 + c(b) * Y**2 + c(k) * X * Y + d * X + e * Y
    return f, [_start(rng, -3, 3), _start(rng, -3, 3)]


def _squares_plus_exp(rng):
    a, b = pick(rng, (0.5, 1, 1, 2)), pick(rng, (0.5, 1, 1, 2))
    p, q = pick(rng, (1, -1, 0.5)), pick(rng, (1, -1, 0.5, -0.5))
    f = c(a) * X**2 + c(b) * Y**2 + exp(c(p) * X + c(q) * Y)
    return f, [_start(rng, -2, 2), _start(rng, -2, 2)]


def _course_product(rng):
    k, d = nice(rng, 80, 90), pick(rng, (60, 80, 90, 90, 100, 120))
    s, t = pick(rng, (4, 5, 6, 6)), pick(rng, (4, 5, 6, 6))
    f = k - c(Fraction(1, d)) * X**2 * (X - s) * Y**2 * (Y - t)
    return f, [_start(rng, 0.5, s - 0.5), _start(rng, 0.5, t - 0.5)]


def _squares_minus_logs(rng):
    a, b = nice(rng, 0.5, 2, 0.5), nice(rng, 0.5, 2, 0.5)
    p, q = pick(rng, (1, 1, 2)), pick(rng, (1, 1, 2))
    f = c(a) * X**2 + c(b) * Y**2 - p * log(X) - q * log(Y)
    return f, [_start(rng, 0.1, 3), _start(rng, 0.1, 3)]


def _banana(rng):
    a, b = pick(rng, (1, 2, 0.5)), pick(rng, (1, 2, 5))
    f = (X - c(a))**2 + b * (Y - X**2)**2
    return f, [_start(rng, -1.5, 1.5), _start(rng, -1.5, 1.5)]


TWO_D = (_quadratic_2d, _squares_plus_exp, _course_product, _squares_minus_logs, _banana)


# the mistake catalog -------------------------------------------------------------------
def _buggy(params, update, stale=False):
    """The answers of a buggy update rule, or None when its path leaves the domain."""
    obj = gd.objective(parse_cached(params["f"], tuple(params["vars"])), tuple(params["vars"]))
    try:
        path = gd.descend(obj, params["x0"], params["steps"], update)
    except gd.OutsideDomain:
        return None
    gradients = path.gradients[:params["steps"]]
    if stale:
        gradients = [gradients[0]] * params["steps"]
    return {"gradients": gradients, "iterates": path.points[1:]}


def _uphill(params):
    lr = params["lr"]
    return _buggy(params, lambda k, p, g, v: [pi + lr * gi for pi, gi in zip(p, g)])


def _used_f(params):
    lr = params["lr"]
    return _buggy(params, lambda k, p, g, v: [pi - lr * v for pi in p])


def _forgot_lr(params):
    return _buggy(params, lambda k, p, g, v: [pi - gi for pi, gi in zip(p, g)])


def _stale(params):
    if params["steps"] < 2:
        return None
    lr, first = params["lr"], []

    def update(k, p, g, v):
        if k == 0:
            first.extend(g)
        return [pi - lr * gi for pi, gi in zip(p, first)]
    return _buggy(params, update, stale=True)


# checks of a sampled path ---------------------------------------------------------------
def _descends_visibly(path: gd.Path) -> bool:
    """f decreases at every step and every step moves some coordinate beyond the tolerance."""
    for k in range(len(path.points) - 1):
        if not path.values[k + 1] < path.values[k]:
            return False
        old, new = path.points[k], path.points[k + 1]
        if not any(abs(b - a) > VISIBLE * (1e-6 + 1e-3 * abs(b)) for a, b in zip(old, new)):
            return False
    return True


def _where(variables, point) -> str:
    if len(variables) == 1:
        return f"{variables[0]} = {point[0]:.6g}"
    return f"({', '.join(variables)}) = ({', '.join(f'{v:.6g}' for v in point)})"


class GradientDescentFamily(Family):
    name = "gradient_descent"
    topic = "gradient descent"
    skills = ("gradient", "gradient descent update", "learning rate")
    summary = "a few steps of θ ← θ − α∇f(θ) on f of one or two variables: the gradients and iterates"
    params = (
        ParamSpec("f", "expression", "the function to minimize, e.g. 'exp(x) - ln(x)'"),
        ParamSpec("vars", "list of 1 or 2 variable names", "the variables of f, in order"),
        ParamSpec("x0", "list of numbers", "the starting point, one number per variable"),
        ParamSpec("lr", "positive number", "the learning rate α"),
        ParamSpec("steps", f"whole number 1..{MAX_STEPS}", "the number of steps"),
    )
    options = (
        OptionSpec("dims", "any", "the number of variables: 1, 2 or 'any'", choices=(1, 2, "any")),
        OptionSpec("steps", 2, "the number of steps", kind=int, minimum=1, maximum=10),
    )
    answers = {
        "gradients": AnswerSpec("iterates", "∇f(θ_k) at each iterate before its step, k = 0 … n−1"),
        "iterates": AnswerSpec("iterates", "θ_k after each step, k = 1 … n"),
    }

    def mistakes(self):
        return (
            Mistake("gradient_descent.uphill",
                    "your steps go uphill: gradient descent subtracts the gradient, "
                    "θ ← θ − α∇f(θ), but you added it", _uphill),
            Mistake("gradient_descent.used_f_not_gradient",
                    "you stepped by the value f(θ) instead of the gradient ∇f(θ): "
                    "the update is θ ← θ − α∇f(θ)", _used_f),
            Mistake("gradient_descent.forgot_learning_rate",
                    "your step is the whole gradient: multiply it by the learning rate, "
                    "θ ← θ − α∇f(θ)", _forgot_lr),
            Mistake("gradient_descent.stale_gradient",
                    "you reused the gradient at the starting point for every step: "
                    "recompute ∇f at each new iterate", _stale),
        )

    def check(self, params):
        variables = read_variables(self.name, params, "vars", (1, 2))
        tree = read_expression(self.name, params, "f", variables)
        x0 = read_vector(self.name, params, "x0", len(variables), scalar_ok=True)
        lr = read_number(self.name, params, "lr", positive=True)
        steps = read_int(self.name, params, "steps", 1, MAX_STEPS)
        try:
            gd.run(tree, variables, x0, lr, steps)
        except gd.OutsideDomain as error:
            raise ParamsError(self._domain_message(error, variables)) from None
        return {"f": params["f"], "vars": variables, "x0": x0, "lr": lr, "steps": steps}

    def _domain_message(self, error: gd.OutsideDomain, variables) -> str:
        if error.overflow:
            return (f"{self.name}: iterate {error.index} overflows (the steps diverge); "
                    "choose a smaller lr")
        if error.index == 0:
            return (f"{self.name}: f or its gradient is not defined at x0 "
                    f"({_where(variables, error.point)}); choose x0 in the domain of f")
        return (f"{self.name}: iterate {error.index} leaves the domain of f "
                f"({_where(variables, error.point)}); choose a smaller lr or another x0")

    def draw(self, rng: np.random.Generator, *, dims, steps: int):
        if dims == "any":
            dims = pick(rng, (1, 2))
        f, x0 = pick(rng, ONE_D if dims == 1 else TWO_D)(rng)
        variables = ["x"] if dims == 1 else ["x", "y"]
        text = str(f)
        obj = gd.objective(parse_cached(text, tuple(variables)), tuple(variables))
        return {"f": text, "vars": variables, "x0": x0,
                "lr": self._choose_lr(rng, obj, x0, steps), "steps": steps}

    def _choose_lr(self, rng, obj: gd.Objective, x0, steps: int) -> float:
        """A learning rate from the list, in random order, under which f descends visibly."""
        try:
            first = max(abs(g) for g in gd.descend(obj, x0, 0, None).gradients[0])
        except gd.OutsideDomain:
            raise Reject("x0 is outside the domain of f") from None
        for i in rng.permutation(len(LEARNING_RATES)):
            lr = LEARNING_RATES[int(i)]
            if not FIRST_STEP[0] <= lr * first <= FIRST_STEP[1]:
                continue
            try:
                path = gd.descend(obj, x0, steps, gd.descent_rule(lr))
            except gd.OutsideDomain:
                continue
            if _descends_visibly(path):
                return lr
        raise Reject("no learning rate in the list makes every step decrease f visibly")

    def solve(self, params):
        variables = params["vars"]
        tree = parse_cached(params["f"], tuple(variables))
        return gd.run(tree, variables, params["x0"], params["lr"], params["steps"])

    def context(self, params):
        variables = params["vars"]
        tree = parse_cached(params["f"], tuple(variables))
        f_latex = to_latex(tree)
        return {
            "f_latex": f_latex,
            "variables": ", ".join(variables),
            "start": ", ".join(f"{v}_0" for v in variables),
            "x0": ", ".join(str(v) for v in params["x0"]),
            "dims": len(variables),
            "has_log": "\\ln" in f_latex,
            "gradients_at": _sequence("\\nabla f(\\theta_{%d})", 0, params["steps"] - 1),
            "points_after": _sequence("\\theta_{%d}", 1, params["steps"]),
            "shape_example": _shape_example(variables),
        }


def _sequence(pattern: str, first: int, last: int) -> str:
    """``a_0, a_1, a_2`` in full up to three terms, else ``a_0, a_1, \\dots, a_n``."""
    if last - first < 3:
        return ", ".join(pattern % k for k in range(first, last + 1))
    return ", ".join([pattern % first, pattern % (first + 1), "\\dots", pattern % last])


def _shape_example(variables) -> str:
    """``[[x1], [x2]]`` or ``[[x1, y1], [x2, y2]]``: the form of a two-step answer."""
    points = [f"[{', '.join(f'{v}{k}' for v in variables)}]" for k in (1, 2)]
    return f"[{', '.join(points)}]"
