"""``taylor_2d``: the second-order Taylor polynomial of f(x, y) at (a, b) and its value nearby.

T(x, y) = f(a, b) + ∇f(a, b)·d + ½ dᵀ H(a, b) d with d = (x − a, y − b); the answers are T
as an expression and T(x1, y1) at a point 0.1 to 0.3 away in each coordinate. The sampler
writes f as a cubic polynomial with a mixed term (integer coefficients) or as a sum of
two terms of the bank of :mod:`partial_derivatives` at a point where f and its
derivatives are finite and moderate; either way the Hessian at (a, b) is not zero.

>>> family = Taylor2DFamily()
>>> params = family.validate({"f": "x^2*y + y^3", "point": [1, 2], "near": [1.1, 1.9]})
>>> answers = family.solve(params)
>>> answers["taylor"]
'10 + 4*(x - 1) + 13*(y - 2) + 2*(x - 1)**2 + 2*(x - 1)*(y - 2) + 6*(y - 2)**2'
>>> round(answers["approximation"], 10)
9.16
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from calcgrade.core.answers import close
from calcgrade.core.errors import ParamsError
from calcgrade.core.printing import to_latex
from calcgrade.problems.checks import Expression, Vector, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.partial_derivatives import random_function
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import hessian as hs
from calcgrade.solutions import taylor_2d as sol

VARS = sol.VARIABLES
OFFSETS = (-0.3, -0.2, -0.1, 0.1, 0.2, 0.3)
FORMS = ("polynomial", "transcendental")
MAX_MAGNITUDE = 100.0


@lru_cache(maxsize=1024)
def _at(f: str, point: tuple) -> dict:
    return sol.derivatives(parse_cached(f, VARS), point)


def _answers(params, **factors) -> dict:
    at, point = _at(params["f"], tuple(params["point"])), params["point"]
    return {"taylor": sol.polynomial_text(at, point, **factors),
            "approximation": sol.polynomial_value(at, point, params["near"], **factors)}


def _solved(params) -> dict:
    return _answers(params)


def _second_order(params) -> bool:
    return any(h != 0 for row in _at(params["f"], tuple(params["point"]))["hessian"] for h in row)


def _mixed(params) -> bool:
    return _at(params["f"], tuple(params["point"]))["hessian"][0][1] != 0


# each mistake: when it arises, and the factors it puts in the formula of the solver
FACTORS = {
    "missing_half": (_second_order, {"half": 1.0}),
    "missing_cross_term": (_mixed, {"cross": 0.0}),
    "cross_term_without_2": (_mixed, {"cross": 1.0}),
    "first_order_only": (_second_order, {"second": False}),
}


def _mistake(name: str):
    applies, factors = FACTORS[name]
    return lambda params: _answers(params, **factors) if applies(params) else None


class Taylor2DFamily(Family):
    name = "taylor_2d"
    topic = "partial derivatives and gradients"
    skills = ("partial derivatives", "Hessian matrix", "second-order Taylor expansion", "quadratic approximation")
    summary = "the second-order Taylor polynomial of f(x, y) at (a, b) and its value at a nearby point"
    params = (
        ParamSpec("f", Expression(VARS), "the function of x and y"),
        ParamSpec("point", Vector(length=2, shown="list of 2 numbers"), "the point of expansion (a, b)"),
        ParamSpec("near", Vector(length=2, shown="list of 2 numbers"), "the nearby point (x1, y1) to approximate f at"),
    )
    options = (
        OptionSpec("form", "any", "how f is built: 'polynomial' (a cubic with a mixed term), "
                   "'transcendental' (exp, sin, cos, log, sqrt terms) or 'any'", choices=("any",) + FORMS),
    )
    answers = {
        "taylor": AnswerSpec("expression", "the second-order Taylor polynomial T(x, y) at (a, b)", variables=VARS),
        "approximation": AnswerSpec("scalar", "T(x1, y1), the quadratic approximation of f at (x1, y1)"),
    }

    catalog = (
        Mistake("missing_half",
                "the second-order terms carry a factor ½: T = f + ∇f·d + ½ dᵀHd, so the "
                "(x − a)² term is ½ f_xx (x − a)²", _mistake("missing_half")),
        Mistake("missing_cross_term",
                "your polynomial has no (x − a)(y − b) term: ½ dᵀHd contains 2 f_xy (x − a)(y − b) "
                "inside the ½, so the cross term is f_xy (x − a)(y − b)", _mistake("missing_cross_term")),
        Mistake("cross_term_without_2",
                "your cross term is half as large as it should be: dᵀHd has f_xy twice (H is "
                "symmetric), so ½ dᵀHd contains f_xy (x − a)(y − b), not ½ f_xy (x − a)(y − b)",
                _mistake("cross_term_without_2")),
        Mistake("first_order_only",
                "you stopped at the first order (the tangent plane): the second-order polynomial "
                "adds ½ dᵀHd with the second partial derivatives", _mistake("first_order_only")),
    )

    def require_distinguishable(self, params):
        """As :meth:`Family.require_distinguishable`, comparing the polynomials by their
        coefficients (no printing and parsing): the sampler's hot loop."""
        at, point = _at(params["f"], tuple(params["point"])), params["point"]
        specs = self.answer_specs(params)
        right = sol.coefficients(at)
        value = sol.polynomial_value(at, point, params["near"])
        for name, (applies, factors) in FACTORS.items():
            if not applies(params):
                continue
            buggy = sol.coefficients(at, **factors)
            if all(close(b, r, specs["approximation"]) for b, r in zip(buggy, right)) and close(
                    sol.polynomial_value(at, point, params["near"], **factors), value, specs["approximation"]):
                raise Reject(f"mistake {self.name}.{name} is indistinguishable from the answer")

    def check(self, params):
        point, near = params["point"], params["near"]
        if near == point:
            raise ParamsError(f"{self.name}: param 'near' must differ from 'point' "
                              "(the approximation is asked at a nearby point)")
        at = _at(params["f"], tuple(point))
        numbers = [at["value"], *at["gradient"], *at["hessian"][0], at["hessian"][1][1]]
        if not all(math.isfinite(v) for v in numbers):
            raise ParamsError(f"{self.name}: f or one of its first or second partial derivatives is not "
                              f"defined at point {point}; choose a point inside the domain of f")
        return {"f": params["f"], "point": point, "near": near}

    def draw(self, rng: np.random.Generator, *, form):
        form = pick(rng, FORMS) if form == "any" else form
        if form == "polynomial":
            text, point = _cubic(rng), [nice(rng, -2, 2) for _ in VARS]
        else:
            text, point = random_function(rng, list(VARS), 2), [nice(rng, -1, 1) for _ in VARS]
        at = _at(text, tuple(point))
        numbers = [at["value"], *at["gradient"], *at["hessian"][0], at["hessian"][1][1]]
        if not all(math.isfinite(v) and abs(v) <= MAX_MAGNITUDE for v in numbers):
            raise Reject("f or its derivatives are undefined or too large at the point")
        if not any(at["hessian"][0]) and not at["hessian"][1][1]:
            raise Reject("the Hessian is zero at the point")
        near = [round(p + pick(rng, OFFSETS), 10) for p in point]
        return {"f": text, "point": point, "near": near}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        (a, b), (x1, y1) = params["point"], params["near"]
        poly = hs.poly_from_text(params["f"], VARS)
        f_latex = hs.poly_latex(poly, VARS) if poly is not None else to_latex(parse_cached(params["f"], VARS))
        return {"f_latex": f_latex, "a": a, "b": b, "x1": x1, "y1": y1}


def _cubic(rng) -> str:
    """A cubic with a mixed term, a pure cubic and one or two more terms, whole coefficients."""
    monomials = [(pick(rng, ((2, 1), (1, 2), (1, 1))),), (pick(rng, ((3, 0), (0, 3))),)]
    others = [(2, 0), (0, 2), (1, 0), (0, 1), (1, 1), (2, 1), (1, 2), (3, 0), (0, 3)]
    chosen = {monomials[0][0], monomials[1][0]}
    while len(chosen) < 3 + int(rng.integers(2)):
        chosen.add(pick(rng, others))
    poly = {mono: nice(rng, -3, 3, nonzero=True) for mono in sorted(chosen)}
    poly[(0, 0)] = nice(rng, -4, 4)
    return hs.poly_text({m: c for m, c in poly.items() if c}, VARS)
