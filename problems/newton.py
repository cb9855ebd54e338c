"""``newton``: Newton's method for a root (1-D) or a minimum (1-D or 2-D).

Conventions (DESIGN §8): roots x − f/f′; 1-D minimization x − f′/f″; 2-D
θ − H⁻¹∇f computed by solving H·Δ = ∇f, then θ − Δ. The sampler keeps the divisor
(f′, f″ or H) well away from singular along the whole path, every iterate in the domain,
and, when minimizing, H positive definite with f decreasing at every step.

>>> family = NewtonFamily()
>>> params = family.validate({"f": "x^2 - 2", "vars": ["x"], "x0": 1, "steps": 2, "goal": "root"})
>>> params["x0"], [[round(v, 6) for v in p] for p in family.solve(params)["iterates"]]
([1], [[1.5], [1.416667]])
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

import numpy as np

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems.checks import Choice, Expression, Integer, Variables, Vector, parse_cached
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject,
                                       carry_steps)
from calcgrade.problems.sampling import nice, nice_vector, pick
from calcgrade.problems.statements import exact_text, iterates_example
from calcgrade.solutions import newton as nt
from calcgrade.core.expr import Expr, Sym, add, as_expr, exp, fn, log
from calcgrade.core.printing import to_latex

MAX_STEPS = 20
X, Y = Sym("x"), Sym("y")


def cos(arg: Expr) -> Expr:
    return fn("cos", arg)


def sin(arg: Expr) -> Expr:
    return fn("sin", arg)


def _expr(params) -> Expr:
    return parse_cached(params["f"], tuple(params["vars"]))


def _derivatives(params) -> nt.Derivatives:
    return nt.derivatives(_expr(params), tuple(params["vars"]))


@lru_cache(maxsize=512)
def _text(f: Expr) -> str:
    """``str(f)``, remembered: a sampled f is printed by draw and again by check."""
    return str(f)


def _show(point) -> str:
    """``[0, 1.5]``: a point for a message, short."""
    return "[" + ", ".join(f"{float(v):.6g}" for v in point) + "]"


# the mistake catalog: each is an update Δ (x_{k+1} = x_k − Δ) run through the same loop --


def _buggy_run(params, step: Callable) -> dict | None:
    d = _derivatives(params)
    try:
        with np.errstate(all="ignore"):
            points = nt.path(d, params["x0"], params["steps"], step)
    except nt.NewtonBreakdown:
        return None
    return {"iterates": [[float(v) for v in p] for p in points[1:]]}


def _require_finite(*arrays) -> None:
    if not all(nt.all_finite(a) for a in arrays):
        raise nt.Undefined


def _hessian_not_inverse(params):
    if params["goal"] != "minimize":
        return None

    def step(d, x):
        g, h = d.gradient(x), d.hessian(x)
        _require_finite(g, h)
        return h @ g
    return _buggy_run(params, step)


def _gradient_step(params):
    if params["goal"] != "minimize":
        return None

    def step(d, x):
        g = d.gradient(x)
        _require_finite(g)
        return g
    return _buggy_run(params, step)


def _root_formula_when_minimizing(params):
    if params["goal"] != "minimize" or len(params["vars"]) != 1:
        return None
    return _buggy_run(params, nt.root_step)


def _inverted_ratio(params):
    if len(params["vars"]) != 1:
        return None

    def step(d, x):
        if params["goal"] == "root":
            top, bottom = d.gradient(x), np.array([[d.value(x)]])
        else:
            top, bottom = d.hessian(x)[0], d.gradient(x).reshape(1, 1)
        return nt.solve_step(top, bottom)
    return _buggy_run(params, step)


def _sign_flipped(params):
    reference = nt.STEPS[params["goal"]]
    return _buggy_run(params, lambda d, x: -reference(d, x))


# the sampler's function templates: rng -> (f, x0) ------------------------------------


def _sum(*terms) -> Expr:
    """One simplified sum (cheaper than chaining ``+``, which re-collects at every step)."""
    return add(*(as_expr(t) for t in terms))


def _root_quadratic(rng):
    b, c = nice(rng, -5, 5), nice(rng, 1, 20)
    return _sum(X**2, b * X, -c), [nice(rng, -6, 6, 0.5)]


def _root_cubic(rng):
    a, b = nice(rng, -4, 6), nice(rng, -10, 10, nonzero=True)
    return _sum(X**3, -a * X, -b), [nice(rng, -4, 4, 0.5)]


def _root_exp(rng):
    b, a = pick(rng, (0, 0.5, 1, 2, 3)), nice(rng, 2, 15, 0.5)
    return _sum(exp(X), b * X, -a), [nice(rng, -1, 3, 0.5)]


def _root_log(rng):
    b, p, a = pick(rng, (0.5, 1, 2, 3)), pick(rng, (1, 2)), nice(rng, 1, 10, 0.5)
    return _sum(log(X), b * X**p, -a), [nice(rng, 0.5, 5, 0.5)]


def _root_trig(rng):
    trig = pick(rng, (cos, sin))
    a, b = nice(rng, -2, 2, 0.5), nice(rng, 0.5, 3, 0.5)
    return _sum(trig(X), -b * X, a), [nice(rng, -2, 2, 0.5)]


def _min_quartic(rng):
    a, b, c = nice(rng, -2, 2), nice(rng, -3, 6, 0.5), nice(rng, -8, 8, nonzero=True)
    return _sum(X**4, a * X**3, b * X**2, c * X), [nice(rng, -3, 3, 0.5)]


def _min_exp(rng):
    a, b, c = pick(rng, (0.5, 1, 1.5, 2, 3)), pick(rng, (-2, -1, -0.5, 0.5, 1, 2)), nice(rng, -3, 3)
    return _sum(a * X**2, exp(b * X), c * X), [nice(rng, -2, 3, 0.5)]


def _min_log(rng):
    a, p, b = nice(rng, 0.5, 3, 0.5), pick(rng, (1, 2)), nice(rng, 1, 5)
    minimum = b / a if p == 1 else (b / (2 * a)) ** 0.5
    return _sum(a * X**p, -b * log(X)), [nice(rng, 0.25, max(0.5, 1.8 * minimum), 0.25)]


def _min_exp_linear(rng):
    c, a, b = pick(rng, (0.5, 1, 2)), nice(rng, 1, 8), pick(rng, (0, 0.5, 1))
    return _sum(exp(c * X), -a * X, b * X**2), [nice(rng, -2, 3, 0.5)]


def _min_cos(rng):
    a, b, c = nice(rng, 1, 3), nice(rng, -3, 3, nonzero=True), nice(rng, -4, 4)
    return _sum(a * X**2, b * cos(X), c * X), [nice(rng, -3, 3, 0.5)]


def _min2_quartic(rng):
    """Quartic plus quadratic with cross terms, like the course's worked example."""
    a, b = pick(rng, (0.5, 1, 2)), pick(rng, (0.5, 0.8, 1, 1.5))
    c, d = nice(rng, 1, 5), nice(rng, 1, 5)
    e, g = nice(rng, -2, 2, 0.5), nice(rng, -0.5, 0.5, 0.1)
    h, k = (nice(rng, -3, 3), nice(rng, -3, 3)) if rng.random() < 0.5 else (0, 0)
    f = _sum(a * X**4, b * Y**4, c * X**2, d * Y**2, e * X * Y, g * X**2 * Y, h * X, k * Y)
    return f, nice_vector(rng, 2, -4, 4)


def _min2_exp(rng):
    a, b = pick(rng, (-1, -0.5, 0.5, 1)), pick(rng, (-1, -0.5, 0.5, 1))
    c, d = nice(rng, 0.5, 3, 0.5), nice(rng, 0.5, 3, 0.5)
    e, g = nice(rng, -3, 3), nice(rng, -3, 3)
    return _sum(exp(_sum(a * X, b * Y)), c * X**2, d * Y**2, e * X, g * Y), nice_vector(rng, 2, -2, 2)


def _min2_softplus(rng):
    """L2-regularised logistic loss of one example: log(1 + e^(ax + by)) + c(x² + y²) + ..."""
    a, b = nice(rng, -2, 2, nonzero=True), nice(rng, -2, 2, nonzero=True)
    c, e = pick(rng, (0.25, 0.5, 1, 1.5)), nice(rng, -2, 2)
    return _sum(log(_sum(1, exp(_sum(a * X, b * Y)))), c * _sum(X**2, Y**2), e * X), nice_vector(rng, 2, -3, 3)


def _min2_bazaraa(rng):
    """The textbook Newton example (x − 2)⁴ + (x − 2y)², generalised, plus (y − e)² so that
    the Hessian stays positive definite near the minimum too."""
    a, b, c, e = nice(rng, -3, 3), pick(rng, (0.5, 1, 2, 3)), pick(rng, (1, 2, 3)), nice(rng, -2, 2)
    f = _sum(_sum(X, -a)**4, c * _sum(X, -b * Y)**2, _sum(Y, -e)**2)
    return f, [a + nice(rng, -3, 3, nonzero=True), nice(rng, -3, 3)]


ROOTS = (_root_quadratic, _root_cubic, _root_exp, _root_log, _root_trig)
MINIMA_1D = (_min_quartic, _min_exp, _min_log, _min_exp_linear, _min_cos)
MINIMA_2D = (_min2_quartic, _min2_exp, _min2_softplus, _min2_bazaraa)

# sampler thresholds along the path
MAX_COORD, MAX_STEP, MIN_FIRST_STEP = 12.0, 5.0, 0.01
MIN_SLOPE, MIN_CURVATURE, MIN_EIGEN_RATIO = 0.25, 0.2, 0.02


def _nice_path(f: Expr, variables: tuple[str, ...], x0, steps: int, goal: str) -> None:
    """Raise Reject unless the path is one a student can follow by hand (see the module doc)."""
    d = nt.derivatives(f, variables)
    try:
        points = [np.array(p) for p in nt.reference_path(f, variables, tuple(map(float, x0)), steps, goal)]
    except nt.NewtonBreakdown as breakdown:
        raise Reject(f"the path is {breakdown.reason} at iterate {breakdown.index}") from None
    for k, (here, there) in enumerate(zip(points, points[1:])):
        move = float(np.max(np.abs(there - here)))
        if move > MAX_STEP or np.max(np.abs(there)) > MAX_COORD:
            raise Reject("a step goes too far")
        if k == 0 and move < MIN_FIRST_STEP:
            raise Reject("x0 is (almost) the answer already")
        if goal == "root":
            if abs(d.gradient(here)[0]) < MIN_SLOPE:
                raise Reject("f′ is nearly zero on the path")
            continue
        h = d.hessian(here)
        eigen = np.linalg.eigvalsh(h)
        if eigen[0] < MIN_CURVATURE or eigen[0] < MIN_EIGEN_RATIO * eigen[-1]:
            raise Reject("the curvature is not safely positive on the path")
        if d.value(there) > d.value(here) + 1e-9 * (1 + abs(d.value(here))):
            raise Reject("f does not decrease along the path")
    if goal == "root" and abs(d.value(points[-1])) >= abs(d.value(points[0])):
        raise Reject("the iterates do not approach a root")


class NewtonFamily(Family):
    name = "newton"
    topic = "Newton's method"
    skills = ("Newton's method for roots", "Newton's method for optimization", "Hessian")
    summary = "a few Newton steps for a root of f (1-D) or a minimum of f (1-D or 2-D)"
    params = (
        ParamSpec("f", Expression("vars"), "the function, e.g. 'x^3 - 2*x - 5'"),
        ParamSpec("vars", Variables((1, 2)), "its variables, 1 or 2 of them (roots: 1)"),
        ParamSpec("x0", Vector(length="vars", scalar_ok=True), "the starting point, one entry per variable "
                  "(a bare number in 1-D)"),
        ParamSpec("steps", Integer(1, MAX_STEPS, shown="integer"), f"how many Newton steps to take (1 to {MAX_STEPS})"),
        ParamSpec("goal", Choice(nt.GOALS), "solve f = 0 or minimize f"),
    )
    options = (
        OptionSpec("goal", "any", "'root', 'minimize' or 'any'", choices=("any", "root", "minimize")),
        OptionSpec("dims", "any", "number of variables: 1, 2 or 'any' (roots are always 1-D)",
                   choices=("any", 1, 2)),
        OptionSpec("steps", 2, "number of Newton steps", kind=int, minimum=1, maximum=8),
    )
    answers = {
        "iterates": AnswerSpec("iterates", "the point after each Newton step, each a list (also in 1-D)"),
    }

    catalog = (
        Mistake("hessian_not_inverse",
                "you multiplied by the second derivative (Hessian) instead of dividing by it: "
                "the step is H⁻¹∇f (f′/f″ in 1-D), not H∇f",
                _hessian_not_inverse),
        Mistake("gradient_step",
                "your update looks like x − f′(x): Newton divides by the second derivative",
                _gradient_step),
        Mistake("root_formula_when_minimizing",
                "you used the root update x − f/f′, but to minimize f Newton looks for a root "
                "of f′: x − f′/f″",
                _root_formula_when_minimizing),
        Mistake("inverted_ratio",
                "your step is upside down: it is f(x)/f′(x) for a root (f′(x)/f″(x) for a "
                "minimum), not the other way round",
                _inverted_ratio),
        Mistake("sign_flipped",
                "your step has the wrong sign: Newton subtracts it, x − f/f′ for a root and "
                "x − f′/f″ (θ − H⁻¹∇f) for a minimum",
                _sign_flipped),
    )

    def check(self, params):
        goal, variables, steps = params["goal"], params["vars"], params["steps"]
        if goal == "root" and len(variables) != 1:
            raise ParamsError(f"{self.name}: goal 'root' needs one variable (Newton's method for "
                              f"roots is 1-D here), not {len(variables)}; use goal 'minimize'")
        f = parse_cached(params["f"], tuple(variables))
        try:
            nt.iterates(f, variables, params["x0"], steps, goal)
        except nt.NewtonBreakdown as error:
            raise ParamsError(_breakdown_message(error, goal, len(variables), steps)) from None
        return {**params, "f": _text(f)}

    def draw(self, rng: np.random.Generator, *, goal: str, dims, steps: int):
        if goal == "root" and dims == 2:
            raise OptionsError(f"{self.name}: option goal=root needs dims=1 (roots are found in 1-D "
                               "only); use goal=minimize for dims=2")
        if goal == "any":
            goal = "minimize" if dims == 2 else pick(rng, ("root", "minimize"))
        if dims == "any":
            dims = 1 if goal == "root" else pick(rng, (1, 2))
        templates = ROOTS if goal == "root" else MINIMA_1D if dims == 1 else MINIMA_2D
        f, x0 = pick(rng, templates)(rng)
        x0 = [int(v) if float(v).is_integer() else v for v in x0]
        variables = ["x", "y"][:dims]
        _nice_path(f, tuple(variables), x0, steps, goal)
        return {"f": _text(f), "vars": variables, "x0": x0, "steps": steps, "goal": goal}

    def solve(self, params):
        return {"iterates": nt.iterates(_expr(params), params["vars"], params["x0"],
                                        params["steps"], params["goal"])}

    def carry_forward(self, params, name, answers, spec):
        """Each Newton step from the student's own previous point. A point is stationary
        when what Newton drives to zero vanishes there: f itself for a root (or f′, where
        the step x − f/f′ is undefined), ∇f for a minimum."""
        d = nt.derivatives(_expr(params), tuple(params["vars"]))
        goal = params["goal"]
        step = nt.STEPS[goal]

        def after(point):
            here = np.asarray(point, dtype=float)
            return here - step(d, here)

        def residual(point):
            here = np.asarray(point, dtype=float)
            if goal == "minimize":
                return d.gradient(here)
            try:
                nt.root_step(d, here)
            except nt.Singular:
                return [0.0]  # f′(x) = 0: no Newton step leads on from here
            return [d.value(here)]

        return carry_steps(params["x0"], answers.get(name), after, spec, gradient=residual)

    def context(self, params):
        variables = params["vars"]
        return {
            "f_latex": to_latex(_expr(params)),
            "var": variables[0],
            "dims": len(variables),
            "args": ", ".join(variables),
            "theta0": ", ".join(f"{v}_0" for v in variables),
            "x0_text": ", ".join(exact_text(v) for v in params["x0"]),
            "example": iterates_example(variables, min(params["steps"], 2), more=params["steps"] > 2),
            "mentions_log": "log(" in params["f"],
        }


def _breakdown_message(error: nt.NewtonBreakdown, goal: str, dims: int, steps: int) -> str:
    """One line naming the step that fails, where, and the fix."""
    i, at = error.index, _show(error.point)
    if error.reason == "undefined":
        if i == 0:
            return f"newton: f or a derivative it needs is not defined at x0 = {at}; choose another x0"
        needs = "f is" if i == steps else f"f or a derivative step {i + 1} needs is"
        fix = "choose another x0" + (" or fewer steps" if i > 1 else "")
        return f"newton: step {i} leads to x{i} = {at}, where {needs} not defined; {fix}"
    what = ("f′(x) is zero" if goal == "root" else "f″(x) is zero" if dims == 1
            else "the Hessian is singular")
    fix = "choose another x0" + (" or fewer steps" if i > 0 else "")
    return f"newton: {what} at x{i} = {at}, so step {i + 1} cannot be taken; {fix}"
