"""``inverse_derivative``: f⁻¹(y) and (f⁻¹)′(y) = 1 / f′(f⁻¹(y)) for exp/log and power/root.

The sampler picks a one-to-one f (e^(kx) + c, a·ln(x) + c, ln(kx), a monotone cubic or
quintic, x² + c on x > 0 or x < 0, √(ax + b), e^x + x) and a nice x₀, and gives y = f(x₀),
as a number when it is one and otherwise as exact text such as ``exp(2) + 1``.

>>> family = InverseDerivativeFamily()
>>> family.solve(family.validate({"f": "x^3 + x", "y": 2}))
{'x': 1.0, 'derivative': 0.25}
>>> answers = family.solve(family.validate({"f": "exp(x)", "y": "exp(2)"}))
>>> answers["x"], round(answers["derivative"], 6)
(2.0, 0.135335)
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, Constant, Expression, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import pick
from calcgrade.problems.statements import odd_roots, python_spelling
from calcgrade.core import expr as ex
from calcgrade.solutions import inverse_derivative as sol
from calcgrade.solutions.partial_derivatives import scalar_value
from calcgrade.core.printing import to_latex

KINDS = ("exp", "log", "polynomial", "square", "root")
F = Fraction


# the sampler: (f as text, x0, domain or None) per kind --------------------------------------

def _exp(rng):
    x = ex.Sym("x")
    a, k = pick(rng, (1, 1, 2, 3, 4, -1, -2, F(1, 2))), pick(rng, (1, 1, 2, 3, -1, -2, F(1, 2)))
    m = pick(rng, (0, 0, 0, 1, 2)) * (1 if a * k > 0 else -1)  # + m x keeps f monotone
    f = a * ex.exp(k * x) + m * x + pick(rng, (0, 0, 1, -1, 2, -2, 3))
    return f, pick(rng, (-2, -1, 0, 1, 2, 3, F(1, 2), F(-1, 2), F(3, 2))), None


def _log(rng):
    x = ex.Sym("x")
    a, k = pick(rng, (1, 1, 2, 3, -1, -2, F(1, 2))), pick(rng, (1, 1, 2, 3, 4, F(1, 2)))
    m = pick(rng, (0, 0, 0, 1, 2)) * (1 if a > 0 else -1)  # + m x keeps f monotone
    f = a * ex.log(k * x) + m * x + pick(rng, (0, 0, 1, -1, 2, -2, 3))
    return f, pick(rng, (1, 2, 3, 4, 5, F(1, 2), F(3, 2), ex.E, ex.E ** 2)), None


def _polynomial(rng):
    """A monotone odd-degree polynomial: every coefficient of x^5, x^3, x one sign."""
    x = ex.Sym("x")
    sign = pick(rng, (1, 1, -1))
    top, n = pick(rng, (1, 2, 3, 4)), pick(rng, (3, 3, 5))
    middle = pick(rng, (0, 0, 1, 2)) * x ** 3 if n == 5 else 0
    f = sign * (top * x ** n + middle + pick(rng, (1, 2, 3, 4, 5)) * x) + pick(rng, range(-5, 6))
    return f, pick(rng, (-2, -1, 1, 2, F(1, 2), F(-1, 2), F(3, 2), F(-3, 2))), None


def _square(rng):
    x = ex.Sym("x")
    a = pick(rng, (1, 1, 2, 3, 4, 5, F(1, 2), -1, -2, -3))
    f = a * x ** pick(rng, (2, 2, 4)) + pick(rng, range(-5, 6))
    sign = pick(rng, (1, 1, -1))
    x0 = pick(rng, (1, 2, 3, F(1, 2), F(3, 2), F(5, 2)))
    return f, sign * x0, "positive" if sign > 0 else "negative"


def _root(rng):
    """c·√(ax + b) + d or c·∛(ax + b) + d, with x₀ chosen so that the root is a whole number."""
    x = ex.Sym("x")
    a, b = pick(rng, (1, 1, 2, 3, 4, -1, -2)), pick(rng, range(-4, 6))
    c, d = pick(rng, (1, 1, 2, 3, -1)), pick(rng, (0, 0, 1, -1, 2))
    if rng.random() < 0.7:
        y0 = pick(rng, (1, 2, 3, 4, 5))
        return c * ex.sqrt(a * x + b) + d, F(y0 * y0 - b, a), None
    y0 = pick(rng, (-2, -1, 1, 2, 3))
    return c * ex.power(a * x + b, ex.Num(F(1, 3))) + d, F(y0 ** 3 - b, a), None


BUILDERS = {"exp": _exp, "log": _log, "polynomial": _polynomial, "square": _square, "root": _root}


def _y_json(value: ex.Expr):
    """y as JSON: a number when it is a short one, else its exact text."""
    if isinstance(value, ex.Num):
        v = value.value
        if v.denominator == 1:
            return int(v)
        if float(v) == round(float(v), 6):
            return float(v)
    number = scalar_value(value, {})
    if math.isfinite(number) and abs(number - round(number)) < 1e-12:
        return int(round(number))  # e.g. a cube root that the core leaves unevaluated
    return str(value)


# answers and mistakes ----------------------------------------------------------------------

@lru_cache(maxsize=512)
def _y_value(y) -> float:
    if isinstance(y, str):
        return scalar_value(parse_cached(y, ()), {})
    return float(y)


@lru_cache(maxsize=512)
def _derivative(text: str) -> ex.Expr:
    return sol.derivative(parse_cached(text, ("x",)))


@lru_cache(maxsize=512)
def _reference(text: str, y, domain: str) -> dict:
    return sol.solve(parse_cached(text, ("x",)), _y_value(y), domain)


def _solved(params) -> dict:
    return dict(_reference(params["f"], params["y"], params.get("domain", "real")))


def _slope_at(params, x: float) -> float:
    return scalar_value(_derivative(params["f"]), {"x": x})


def _derivative_at_y(params):
    value = _slope_at(params, _y_value(params["y"]))
    return {"derivative": value} if math.isfinite(value) else None


def _reciprocal_at_y(params):
    value = _slope_at(params, _y_value(params["y"]))
    return {"derivative": 1.0 / value} if math.isfinite(value) and value != 0 else None


def _no_reciprocal(params):
    return {"derivative": _slope_at(params, _solved(params)["x"])}


MISTAKES = (
    Mistake("derivative_at_y",
            "you computed f′(y): the derivative of the inverse is 1 / f′(x) at x = f⁻¹(y), "
            "the point where f takes the value y",
            _derivative_at_y),
    Mistake("reciprocal_at_y",
            "you took 1 / f′ at y itself: evaluate f′ at x = f⁻¹(y) instead, "
            "(f⁻¹)′(y) = 1 / f′(f⁻¹(y))",
            _reciprocal_at_y),
    Mistake("no_reciprocal",
            "you found f′(f⁻¹(y)) but did not take its reciprocal: (f⁻¹)′(y) = 1 / f′(f⁻¹(y))",
            _no_reciprocal),
)


class InverseDerivativeFamily(Family):
    name = "inverse_derivative"
    topic = "derivative rules"
    skills = ("inverse functions", "derivative of an inverse", "exp and ln", "powers and roots")
    summary = "x = f⁻¹(y) and (f⁻¹)′(y) = 1 / f′(f⁻¹(y)) for a one-to-one f"
    params = (
        ParamSpec("f", Expression(("x",)), "a one-to-one function of x (on the domain)"),
        ParamSpec("y", Constant(), "the value where (f⁻¹)′ is asked, "
                  "e.g. 2 or \"exp(2)\""),
        ParamSpec("domain", Choice(sol.DOMAINS, shown="real, positive or negative"), "where f is taken as one-to-one "
                  "(default real; e.g. positive for x² on x > 0)", required=False),
    )
    options = (
        OptionSpec("kind", "any", "the pair of functions: " + ", ".join(KINDS),
                   choices=("any",) + KINDS),
    )
    answers = {
        "x": AnswerSpec("scalar", "x = f⁻¹(y), the point where f(x) = y"),
        "derivative": AnswerSpec("scalar", "(f⁻¹)′(y) = 1 / f′(f⁻¹(y))"),
    }

    catalog = MISTAKES

    def check(self, params):
        y = params["y"]
        if not math.isfinite(_y_value(y)):
            raise ParamsError(f"{self.name}: param 'y' is not a finite real number: {y!r}")
        out = {"f": params["f"], "y": y}
        if "domain" in params:
            out["domain"] = params["domain"]
        try:
            _reference(out["f"], y, out.get("domain", "real"))
        except ValueError as error:
            raise ParamsError(f"{self.name}: {error}; check f and y, or give a 'domain' "
                              "(positive or negative) where f is one-to-one") from None
        return out

    def draw(self, rng: np.random.Generator, *, kind):
        kind = pick(rng, KINDS) if kind == "any" else kind
        f, x0, domain = BUILDERS[kind](rng)
        x0 = ex.as_expr(x0)
        if isinstance(x0, ex.Num) and (x0.value.denominator > 2 or abs(x0.value) > 30):
            raise Reject("x0 is not a nice number")
        y = _y_json(ex.substitute(f, {"x": x0}))
        params = {"f": str(f), "y": y}
        if domain:
            params["domain"] = domain
        self.check(params)
        x = _solved(params)["x"]
        if abs(x - scalar_value(x0, {})) > 1e-9 * max(1.0, abs(x)):
            raise Reject("the inverse is not the drawn point")
        if abs(_y_value(y)) > 1e4:
            raise Reject("y is too large")
        return params

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        f = parse_cached(params["f"], ("x",))
        y = params["y"]
        y_tree = parse_cached(y, ()) if isinstance(y, str) else None
        y_latex = to_latex(y_tree) if y_tree is not None else str(y)
        roots = odd_roots(f) | (odd_roots(y_tree) if y_tree is not None else set())
        return {"f_latex": to_latex(f), "y_latex": y_latex,
                "domain": params.get("domain", "real"),
                "roots": "cube" if roots == {3} else "odd" if roots else "",
                "python_f": python_spelling(f) if odd_roots(f) else "",
                "python_y": python_spelling(y_tree) if y_tree is not None and odd_roots(y_tree)
                else ""}
