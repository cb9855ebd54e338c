"""``jacobian_directional``: the Jacobian of F: R² → R² or R³ → R² at a point, and a directional derivative.

The answers are the Jacobian J (one row per component of F, one column per variable),
the gradient of a scalar f at the same point and the derivative of f in the direction of
a vector d, which the statement says to normalise: D_u f = ∇f·u with u = d/|d|. Sampled
directions are never unit vectors (|d| is 5, 3, √2, √5, ...). The functions come from the
term bank of :mod:`partial_derivatives`; the point is a small whole-number point where
everything is finite and of moderate size.

>>> family = JacobianDirectionalFamily()
>>> params = family.validate({"components": ["x^2*y", "5x + sin(y)"], "f": "x^2 + 3*x*y",
...                           "vars": ["x", "y"], "point": [1, 0], "direction": [3, 4]})
>>> answers = family.solve(params)
>>> answers["jacobian"], answers["gradient"], answers["directional"]
([[0.0, 1.0], [5.0, 1.0]], [2.0, 3.0], 3.6)
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.core.printing import to_latex
from calcgrade.problems.checks import Expression, ListOf, Variables, Vector, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.partial_derivatives import random_function
from calcgrade.problems.sampling import pick
from calcgrade.solutions import jacobian_directional as sol

VARIABLES = {2: ["x", "y"], 3: ["x", "y", "z"]}
# directions that are not unit vectors, up to signs and order
DIRECTIONS = {2: ((3, 4), (1, 1), (1, 2), (2, 1), (1, 3), (2, 2), (5, 12), (6, 8), (3, 1), (0, 2)),
              3: ((1, 2, 2), (2, 3, 6), (1, 1, 1), (1, 0, 1), (0, 3, 4), (2, 1, 2), (1, 2, 0), (4, 4, 2))}
MAX_MAGNITUDE = 50.0


@lru_cache(maxsize=1024)
def _reference(components: tuple, f: str, variables: tuple, point: tuple) -> dict:
    jacobian = sol.jacobian([parse_cached(c, variables) for c in components], variables, point)
    gradient = sol.gradient(parse_cached(f, variables), variables, point)
    return {"jacobian": jacobian, "gradient": gradient}


def _parts(params) -> dict:
    return _reference(tuple(params["components"]), params["f"], tuple(params["vars"]), tuple(params["point"]))


def _solved(params) -> dict:
    parts = _parts(params)
    return {"jacobian": [list(row) for row in parts["jacobian"]], "gradient": list(parts["gradient"]),
            "directional": sol.directional(parts["gradient"], params["direction"])}


def _not_normalised(params):
    if math.isclose(sol.norm(params["direction"]), 1.0):
        return None
    return {"directional": sol.directional(_parts(params)["gradient"], params["direction"], unit=False)}


def _transposed(params):
    jacobian = _parts(params)["jacobian"]
    transposed = [list(column) for column in zip(*jacobian)]
    return None if transposed == jacobian else {"jacobian": transposed}


def _gradient_norm(params):
    return {"directional": sol.norm(_parts(params)["gradient"])}


def _finite(values, limit: float = math.inf) -> bool:
    return all(math.isfinite(v) and abs(v) <= limit for v in values)


class JacobianDirectionalFamily(Family):
    name = "jacobian_directional"
    topic = "partial derivatives and gradients"
    skills = ("Jacobian matrix", "gradient", "directional derivative", "unit vectors")
    summary = ("the Jacobian of F: R² → R² or R³ → R² at a point, and the derivative of f in the "
               "direction of a vector (normalised)")
    params = (
        ParamSpec("vars", Variables((2, 3), shown="list of 2 or 3 variable names"), "the variables, in order"),
        ParamSpec("components", ListOf(Expression("vars"), length=2, unit="expressions (F_1 and F_2)",
                                       shown="list of 2 expressions"), "the components F_1, F_2 of F"),
        ParamSpec("f", Expression("vars", shown="expression"), "the scalar function for the directional derivative"),
        ParamSpec("point", Vector(length="vars"), "the point, one coordinate per variable"),
        ParamSpec("direction", Vector(length="vars"), "the direction d (any non-zero vector; it is normalised)"),
    )
    options = (
        OptionSpec("dims", "any", "the number of variables (2, 3 or 'any')", choices=(2, 3, "any")),
    )
    answers = {
        "jacobian": AnswerSpec("matrix", "the Jacobian of F at the point: one row per component, one "
                               "column per variable"),
        "gradient": AnswerSpec("vector", "∇f at the point"),
        "directional": AnswerSpec("scalar", "the derivative of f at the point in the direction of d, "
                                  "∇f·d/|d|"),
    }

    catalog = (
        Mistake("not_normalised",
                "you used d as it is: the directional derivative uses the unit vector u = d/|d|, "
                "so divide ∇f·d by the length |d|", _not_normalised),
        Mistake("transposed_jacobian",
                "your Jacobian is transposed: row i holds the partial derivatives of the component "
                "F_i, one column per variable", _transposed),
        Mistake("gradient_norm_instead_of_directional",
                "you gave |∇f|, the rate of increase in the direction of the gradient itself: the "
                "derivative in the direction of d is ∇f·u with the unit vector u = d/|d|",
                _gradient_norm),
    )

    def check(self, params):
        point, direction = params["point"], params["direction"]
        if not any(direction):
            raise ParamsError(f"{self.name}: param 'direction' must not be the zero vector "
                              "(it has no direction to normalise)")
        parts = _parts(params)
        if not _finite([v for row in parts["jacobian"] for v in row]):
            raise ParamsError(f"{self.name}: a component of F or one of its partial derivatives is not "
                              f"defined at point {point}; choose a point inside the domain of F")
        if not _finite(parts["gradient"]):
            raise ParamsError(f"{self.name}: f or one of its partial derivatives is not defined at "
                              f"point {point}; choose a point inside the domain of f")
        return {"vars": params["vars"], "components": params["components"], "f": params["f"],
                "point": point, "direction": direction}

    def draw(self, rng: np.random.Generator, *, dims):
        n = pick(rng, (2, 3)) if dims == "any" else dims
        names = VARIABLES[n]
        components = []
        for _ in range(2):
            pair = sorted(int(k) for k in rng.choice(n, size=2, replace=False))
            components.append(random_function(rng, [names[k] for k in pair], int(rng.integers(1, 3))))
        if len({name for c in components for name in names if re.search(rf"\b{name}\b", c)}) < n:
            raise Reject("F does not depend on every variable")
        f = random_function(rng, names, 2)
        point = [int(v) for v in rng.integers(-1, 2, size=n)]
        direction = [int(v) * pick(rng, (1, -1)) for v in pick(rng, DIRECTIONS[n])]
        if n == 2 and rng.random() < 0.5:
            direction.reverse()
        params = {"vars": names, "components": components, "f": f, "point": point, "direction": direction}
        parts = _parts(params)
        if not _finite([v for row in parts["jacobian"] for v in row] + parts["gradient"], MAX_MAGNITUDE):
            raise Reject("F or f or their partials are undefined or too large at the point")
        if not any(parts["gradient"]):
            raise Reject("∇f = 0 at the point")
        return params

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        variables = params["vars"]
        trees = [parse_cached(c, tuple(variables)) for c in params["components"]]
        d = params["direction"]
        return {
            "args": ", ".join(variables),
            "n": len(variables),
            "components_latex": [to_latex(t) for t in trees],
            "f_latex": to_latex(parse_cached(params["f"], tuple(variables))),
            "point_text": ", ".join(str(p) for p in params["point"]),
            "direction_text": ", ".join(str(v) for v in d),
            "columns": ", ".join(rf"\partial/\partial {v}" for v in variables),
        }
