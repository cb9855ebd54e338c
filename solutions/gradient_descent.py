"""Gradient descent θ ← θ − α∇f(θ) on a function of one or two variables (DESIGN §8).

The gradient is differentiated once by :mod:`calculus` and compiled with
``expr.compile_numeric`` (no sympy, no code generation). :func:`descend` takes the update
rule as a function so that buggy rules (the mistake catalog) share the same loop; a point
where f or ∇f is not a finite real number raises :class:`OutsideDomain`.

>>> from calcgrade.solutions.parse import parse_expression
>>> f = parse_expression("exp(x) - ln(x)", ["x"])
>>> answers = run(f, ["x"], [0.05], 0.005, 2)
>>> [[round(v, 6) for v in point] for point in answers["iterates"]]
[[0.144744], [0.173509]]
>>> [[round(v, 4) for v in g] for g in answers["gradients"]]
[[-18.9487], [-5.753]]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, NamedTuple, Sequence

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.solutions.expr import Expr, compile_numeric

Point = list[float]


class OutsideDomain(ArithmeticError):
    """f or ∇f is not a finite real number at ``point``, the iterate number ``index``.

    ``overflow`` is true when the point itself is no longer finite (the steps diverged).
    """

    def __init__(self, index: int, point: Sequence[float], overflow: bool = False):
        self.index, self.point, self.overflow = index, list(point), overflow
        super().__init__(f"iterate {index} is outside the domain: {self.point}")


@dataclass(frozen=True)
class Objective:
    """f and ∇f of a tree over ``variables``, evaluated at a point given as a list."""

    variables: tuple[str, ...]
    value_fn: Callable[[dict], object]
    gradient_fns: tuple[Callable[[dict], object], ...]

    def value(self, point: Sequence[float]) -> float:
        return float(self.value_fn(dict(zip(self.variables, point))))

    def gradient(self, point: Sequence[float]) -> Point:
        env = dict(zip(self.variables, point))
        return [float(g(env)) for g in self.gradient_fns]


@lru_cache(maxsize=2048)
def objective(f_tree: Expr, variables: tuple[str, ...]) -> Objective:
    """Compile f and its gradient once (trees are immutable, so this is cached)."""
    return Objective(tuple(variables), compile_numeric(f_tree),
                     tuple(compile_numeric(g) for g in calculus.gradient(f_tree, list(variables))))


class Path(NamedTuple):
    """θ_0 … θ_n with f and ∇f at each of them (the last gradient only checks the domain)."""

    points: list[Point]
    gradients: list[Point]
    values: list[float]


# update(k, point, gradient, value) -> the next point
Update = Callable[[int, Point, Point, float], Sequence[float]]


def descend(obj: Objective, x0: Sequence[float], steps: int, update: Update) -> Path:
    """Apply ``update`` ``steps`` times from ``x0``; raise OutsideDomain where f or ∇f fails."""
    points, gradients, values = [], [], []
    point = [float(v) for v in x0]
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            if not all(math.isfinite(v) for v in point):
                raise OutsideDomain(k, point, overflow=True)
            try:
                value, gradient = obj.value(point), obj.gradient(point)
            except (ZeroDivisionError, OverflowError, ValueError):
                raise OutsideDomain(k, point) from None
            if not math.isfinite(value) or not all(math.isfinite(g) for g in gradient):
                raise OutsideDomain(k, point)
            points.append(point)
            gradients.append(gradient)
            values.append(value)
            if k < steps:
                point = [float(v) for v in update(k, point, gradient, value)]
    return Path(points, gradients, values)


def descent_rule(lr: float) -> Update:
    """θ ← θ − α∇f(θ)."""
    return lambda k, point, gradient, value: [p - lr * g for p, g in zip(point, gradient)]


def run(f_tree: Expr, variables: Sequence[str], x0: Sequence[float], lr: float, steps: int) -> dict:
    """``gradients``: ∇f at θ_0 … θ_{n−1}; ``iterates``: θ_1 … θ_n (each point a list)."""
    path = descend(objective(f_tree, tuple(variables)), x0, steps, descent_rule(lr))
    return {"gradients": path.gradients[:steps], "iterates": path.points[1:]}
