"""``tangent_plane``: the tangent plane of z = f(x, y) at (a, b) and a linear approximation.

The plane is z = f(a, b) + f_x(a, b)(x − a) + f_y(a, b)(y − b); the answers are its three
coefficients and its value at a nearby point (x1, y1). The sampler reuses the term bank of
:mod:`partial_derivatives` with an integer point and a nearby point 0.1 or 0.2 away in
each coordinate.

>>> family = TangentPlaneFamily()
>>> params = family.validate({"f": "x^2 + y^2", "point": [1, 2], "near": [1.1, 1.9]})
>>> answers = family.solve(params)
>>> answers["value"], answers["slope_x"], answers["slope_y"], round(answers["approximation"], 12)
(5.0, 2.0, 4.0, 4.8)
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Expression, Vector, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, ParamSpec, Reject
from calcgrade.problems.partial_derivatives import partials_of, random_function
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import partial_derivatives as pd
from calcgrade.solutions import tangent_plane as sol
from calcgrade.core.printing import to_latex

VARS = sol.VARIABLES
OFFSETS = (-0.2, -0.1, 0.1, 0.2)
MAX_MAGNITUDE = 100.0


@lru_cache(maxsize=512)
def _reference(text: str, point: tuple, near: tuple) -> dict:
    return sol.answers_from(parse_cached(text, VARS), list(partials_of(text, VARS)), point, near)


def _solved(params) -> dict:
    return dict(_reference(params["f"], tuple(params["point"]), tuple(params["near"])))


def _slopes_at_near(params) -> list[float]:
    return [pd.value_at(p, VARS, params["near"]) + 0.0 for p in partials_of(params["f"], VARS)]


def _partials_at_wrong_point(params):
    slopes = _slopes_at_near(params)
    if not all(math.isfinite(s) for s in slopes):
        return None
    a = _solved(params)
    return {"slope_x": slopes[0], "slope_y": slopes[1],
            "approximation": sol.plane_value(a["value"], slopes, params["point"], params["near"])}


def _missing_value(params):
    a = _solved(params)
    return {"approximation": sol.plane_value(0.0, [a["slope_x"], a["slope_y"]],
                                             params["point"], params["near"])}


def _plus_instead_of_minus(params):
    a = _solved(params)
    mirrored = [-p for p in params["point"]]
    return {"approximation": sol.plane_value(a["value"], [a["slope_x"], a["slope_y"]],
                                             mirrored, params["near"])}


def _slopes_swapped(params):
    a = _solved(params)
    slopes = [a["slope_y"], a["slope_x"]]
    return {"slope_x": slopes[0], "slope_y": slopes[1],
            "approximation": sol.plane_value(a["value"], slopes, params["point"], params["near"])}


MISTAKES = (
    Mistake("partials_at_wrong_point",
            "evaluate the partial derivatives at the point of tangency (a, b), not at the point "
            "(x1, y1) you are approximating",
            _partials_at_wrong_point),
    Mistake("missing_value",
            "your plane leaves out f(a, b): z = f(a, b) + f_x(a, b)(x − a) + f_y(a, b)(y − b)",
            _missing_value),
    Mistake("plus_instead_of_minus",
            "the plane uses (x − a) and (y − b), the distance from the point of tangency, "
            "not (x + a) and (y + b)",
            _plus_instead_of_minus),
    Mistake("slopes_swapped",
            "the slopes are swapped: f_x(a, b) multiplies (x − a) and f_y(a, b) multiplies (y − b)",
            _slopes_swapped),
)


class TangentPlaneFamily(Family):
    name = "tangent_plane"
    topic = "partial derivatives and gradients"
    skills = ("partial derivatives", "tangent plane", "linear approximation")
    summary = "the tangent plane z = f(a,b) + f_x(a,b)(x−a) + f_y(a,b)(y−b) and its value near (a, b)"
    params = (
        ParamSpec("f", Expression(VARS), "the function of x and y"),
        ParamSpec("point", Vector(length=2, shown="list of 2 numbers"), "the point of tangency (a, b)"),
        ParamSpec("near", Vector(length=2, shown="list of 2 numbers"), "the nearby point (x1, y1) to approximate f at"),
    )
    answers = {
        "value": AnswerSpec("scalar", "f(a, b)"),
        "slope_x": AnswerSpec("scalar", "f_x(a, b), the coefficient of (x − a)"),
        "slope_y": AnswerSpec("scalar", "f_y(a, b), the coefficient of (y − b)"),
        "approximation": AnswerSpec("scalar", "the tangent plane's value at (x1, y1)"),
    }

    catalog = MISTAKES

    def check(self, params):
        point, near = params["point"], params["near"]
        if near == point:
            raise ParamsError(f"{self.name}: param 'near' must differ from 'point' "
                              "(the approximation is asked at a nearby point)")
        answers = _reference(params["f"], tuple(point), tuple(near))
        if not all(math.isfinite(v) for v in answers.values()):
            raise ParamsError(f"{self.name}: f or one of its partial derivatives is not defined at "
                              f"point {point}; choose a point inside the domain of f")
        if not math.isfinite(pd.value_at(parse_cached(params["f"], VARS), VARS, near)):
            raise ParamsError(f"{self.name}: f is not defined at near {near}; choose a nearby "
                              "point inside the domain of f")
        return {"f": params["f"], "point": point, "near": near}

    def draw(self, rng: np.random.Generator):
        text = random_function(rng, list(VARS), 2)
        point = [nice(rng, -2, 2) for _ in VARS]
        near = [round(p + pick(rng, OFFSETS), 10) for p in point]
        answers = _reference(text, tuple(point), tuple(near))
        values = list(answers.values())
        if not all(math.isfinite(v) for v in values) or max(abs(v) for v in values) > MAX_MAGNITUDE:
            raise Reject("f or its partials are undefined or too large at the point")
        if abs(answers["slope_x"]) < 1e-9 and abs(answers["slope_y"]) < 1e-9:
            raise Reject("the tangent plane is horizontal")
        return {"f": text, "point": point, "near": near}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        (a, b), (x1, y1) = params["point"], params["near"]
        return {"f_latex": to_latex(parse_cached(params["f"], VARS)), "a": a, "b": b,
                "x1": x1, "y1": y1}
