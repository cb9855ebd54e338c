"""Gradient descent θ ← θ − α∇f(θ) on a function of one or two variables (DESIGN §8).

The gradient is differentiated once by :mod:`calculus` and compiled with
``numeric.compile_numeric`` (no sympy, no code generation). :func:`descend` runs several
update rules side by side as rows of one numpy array, so the sampler can try many
learning rates, and the mistake catalog its buggy rules, for the cost of one run. A point
where f or ∇f is not a finite real number ends its row with :class:`OutsideDomain`.

>>> from calcgrade.core.parse import parse_expression
>>> f = parse_expression("exp(x) - ln(x)", ["x"])
>>> answers = run(f, ["x"], [0.05], 0.005, 2)
>>> [[round(v, 6) for v in point] for point in answers["iterates"]]
[[0.144744], [0.173509]]
>>> [[round(v, 4) for v in g] for g in answers["gradients"]]
[[-18.9487], [-5.753]]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable, NamedTuple, Sequence

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.core.expr import Expr
from calcgrade.core.numeric import compile_numeric

Point = list[float]
HUGE = 1e15  # a coordinate beyond this means the steps diverged


class OutsideDomain(ArithmeticError):
    """f or ∇f is not a finite real number at ``point``, the iterate number ``index``.

    ``overflow`` is true when the point itself is huge or infinite (the steps diverged).
    """

    def __init__(self, index: int, point: Sequence[float], overflow: bool = False):
        self.index, self.point, self.overflow = index, list(point), overflow
        super().__init__(f"iterate {index} is outside the domain of f: {self.point}")


@dataclass(frozen=True)
class Objective:
    """f and ∇f of a tree over ``variables``, evaluated at m points at once.

    A batch of points is given by coordinate: one contiguous array of length m per
    variable, so every row is computed by the same numpy loops whatever m is (a row's
    result does not depend on the rows beside it).
    """

    variables: tuple[str, ...]
    value_fn: Callable[[dict], object]
    gradient_fns: tuple[Callable[[dict], object], ...]

    def evaluate(self, columns: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """f at each point (shape (m,)) and each partial derivative at each point."""
        m = columns[0].shape[0]
        env = dict(zip(self.variables, columns))
        return _full(self.value_fn(env), m), [_full(g(env), m) for g in self.gradient_fns]


def _full(value, m: int) -> np.ndarray:
    """``value`` as a float array of shape (m,) (a constant is repeated)."""
    if isinstance(value, np.ndarray) and value.shape == (m,):
        return value
    return np.full(m, float(value))


VARIANTS_REMEMBERED = 32  # whole-variant results kept: the variants in hand, never a class


@lru_cache(maxsize=VARIANTS_REMEMBERED)
def objective(f_tree: Expr, variables: tuple[str, ...]) -> Objective:
    """Compile f and its gradient once for the few variants in hand (trees are immutable,
    so this is cached; a class's variants are not kept: memory does not grow with it)."""
    return Objective(tuple(variables), compile_numeric(f_tree),
                     tuple(compile_numeric(g) for g in calculus.gradient(f_tree, list(variables))))


class Rule(NamedTuple):
    """θ_{k+1} = θ_k + gradient·∇f(θ_k) + value·f(θ_k) + first·∇f(θ_0), per coordinate.

    Gradient descent with learning rate α is ``Rule(-α)``; other coefficients model the
    mistakes students make (adding the gradient, stepping by f, reusing ∇f(θ_0)).
    """

    gradient: float
    value: float = 0.0
    first: float = 0.0


class Path(NamedTuple):
    """θ_0 … θ_n with f and ∇f at each of them (the last gradient only checks the domain)."""

    points: list[Point]
    gradients: list[Point]
    values: list[float]


class Batch(NamedTuple):
    """The runs of m rules: arrays indexed [k, row(, coordinate)], k = 0 … n.

    A row that left the domain has its :class:`OutsideDomain` in ``failures`` (and nan or
    garbage after that step in the arrays).
    """

    points: np.ndarray
    gradients: np.ndarray
    values: np.ndarray
    failures: list[OutsideDomain | None]

    def result(self, row: int) -> Path | OutsideDomain:
        """The Path of one row, or where it left the domain."""
        if self.failures[row] is not None:
            return self.failures[row]
        return Path(self.points[:, row, :].tolist(), self.gradients[:, row, :].tolist(),
                    self.values[:, row].tolist())


def descend(obj: Objective, x0: Sequence[float], steps: int, rules: Sequence[Rule]) -> Batch:
    """Run every rule ``steps`` times from ``x0``, each rule a row of one batch."""
    m = len(rules)
    a, b, c = (np.array(column, dtype=float) for column in zip(*rules))
    columns = [np.full(m, float(v)) for v in x0]
    failures: list[OutsideDomain | None] = [None] * m
    points, gradients_at, values_at = [], [], []
    with np.errstate(all="ignore"):
        for k in range(steps + 1):
            values, gradients = obj.evaluate(columns)
            bounded = np.logical_and.reduce([np.abs(col) <= HUGE for col in columns])
            ok = bounded & np.isfinite(values) & np.logical_and.reduce(
                [np.isfinite(g) for g in gradients])
            if not ok.all():
                for i in np.flatnonzero(~ok):
                    if failures[i] is None:
                        point = [float(col[i]) for col in columns]
                        failures[i] = OutsideDomain(k, point, overflow=not bounded[i])
            points.append(columns)
            gradients_at.append(gradients)
            values_at.append(values)
            if k == 0:
                first = gradients
            if k < steps:
                columns = [p + a * g + b * values + c * g0
                           for p, g, g0 in zip(columns, gradients, first)]
    return Batch(np.array(points).transpose(0, 2, 1), np.array(gradients_at).transpose(0, 2, 1),
                 np.array(values_at), failures)


def run(f_tree: Expr, variables: Sequence[str], x0: Sequence[float], lr: float, steps: int) -> dict:
    """``gradients``: ∇f at θ_0 … θ_{n−1}; ``iterates``: θ_1 … θ_n (each point a list).

    Raises :class:`OutsideDomain` when f or ∇f is undefined at some θ_k, k = 0 … n.
    """
    path = descend(objective(f_tree, tuple(variables)), x0, steps, [Rule(-lr)]).result(0)
    if isinstance(path, OutsideDomain):
        raise path
    return {"gradients": path.gradients[:steps], "iterates": path.points[1:]}
