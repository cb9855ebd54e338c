"""Newton's method (DESIGN §8): roots x − f/f′, 1-D minimization x − f′/f″, and n-D
minimization θ − H⁻¹∇f computed by solving H·Δ = ∇f, then θ − Δ.

Derivatives come from :mod:`calcgrade.solutions.calculus` and are compiled once per
function with :func:`~calcgrade.solutions.expr.compile_numeric`. A step that divides by
a (numerically) zero derivative or singular Hessian, or a point where f is not defined,
raises :class:`NewtonBreakdown` naming the step.

>>> from calcgrade.solutions.parse import parse_expression
>>> f = parse_expression("x^2 - 2", ["x"])
>>> [[round(v, 6) for v in p] for p in iterates(f, ["x"], [1], 3, "root")]
[[1.5], [1.416667], [1.414216]]
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.solutions.expr import Expr, compile_numeric

GOALS = ("root", "minimize")
# A divisor is numerically zero when the step it gives exceeds this many times max(1, |numerator|);
# a Hessian is numerically singular when its singular values differ by more than this factor.
SINGULAR_RATIO = 1e12


class NewtonBreakdown(ArithmeticError):
    """Newton's method breaks down at the iterate x_index = ``point``.

    ``reason`` is ``"singular"`` (f′, f″ or H is numerically zero there, so step
    index + 1 cannot be taken) or ``"undefined"`` (f or a derivative the step needs is
    not a finite real number there: step ``index`` led outside the domain, or x0 is).
    """

    def __init__(self, index: int, point: Sequence[float], reason: str):
        self.index, self.point, self.reason = index, [float(v) for v in point], reason
        super().__init__(f"Newton's method: {reason} at iterate {index}: {self.point}")


class Derivatives:
    """f, ∇f and the Hessian of one expression, compiled once; points are sequences.

    Values are remembered per point, so the reference run and the mistake catalog,
    which all start from x0, evaluate there once.
    """

    MEMO_SIZE = 512

    def __init__(self, f: Expr, variables: Sequence[str]):
        self.variables = tuple(variables)
        first = calculus.gradient(f, list(self.variables))
        compiled: dict[Expr, Callable] = {}

        def comp(e: Expr) -> Callable:
            if e not in compiled:
                compiled[e] = compile_numeric(e)
            return compiled[e]

        n = len(self.variables)
        self._f = comp(f)
        self._grad = [comp(e) for e in first]
        self._hess = [[None] * n for _ in range(n)]
        for i in range(n):  # the Hessian as calculus.hessian builds it, reusing ∇f
            for j in range(i, n):
                self._hess[i][j] = self._hess[j][i] = comp(calculus.diff(first[i], self.variables[j]))
        self._memo: dict[tuple, object] = {}

    def _remember(self, kind: str, point, compute):
        key = (kind, *(float(v) for v in point))
        if key not in self._memo:
            if len(self._memo) >= self.MEMO_SIZE:
                self._memo.clear()
            env = dict(zip(self.variables, key[1:]))
            with np.errstate(all="ignore"):
                self._memo[key] = compute(env)
        return self._memo[key]

    def value(self, point) -> float:
        """f at ``point`` (nan outside the domain)."""
        return self._remember("f", point, lambda env: float(self._f(env)))

    def gradient(self, point) -> np.ndarray:
        """∇f at ``point`` (f′ in 1-D, as a 1-vector)."""
        return self._remember("g", point, lambda env: np.array([float(g(env)) for g in self._grad])).copy()

    def hessian(self, point) -> np.ndarray:
        """The matrix of second partials at ``point`` (f″ in 1-D, as a 1×1 matrix)."""
        return self._remember("H", point, lambda env: np.array(
            [[float(h(env)) for h in row] for row in self._hess])).copy()


@lru_cache(maxsize=4096)
def derivatives(f: Expr, variables: tuple[str, ...]) -> Derivatives:
    """The compiled :class:`Derivatives` of ``f`` (remembered: trees are immutable)."""
    return Derivatives(f, variables)


class Singular(ArithmeticError):
    """A Newton divisor is (numerically) zero."""


class Undefined(ArithmeticError):
    """A value needed by a step is nan or infinite."""


def solve_step(numerator: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """Δ with divisor·Δ = numerator; raise :class:`Singular` or :class:`Undefined`.

    >>> solve_step(np.array([2.0]), np.array([[4.0]]))
    array([0.5])
    """
    if not (np.all(np.isfinite(numerator)) and np.all(np.isfinite(divisor))):
        raise Undefined
    if divisor.shape == (1, 1):
        d, g = divisor[0, 0], numerator[0]
        if d == 0 or abs(d) * SINGULAR_RATIO <= max(1.0, abs(g)):
            raise Singular
        return np.array([g / d])
    s = np.linalg.svd(divisor, compute_uv=False)
    if s[0] == 0 or s[-1] * SINGULAR_RATIO <= s[0]:
        raise Singular
    return np.linalg.solve(divisor, numerator)


def root_step(d: Derivatives, point: np.ndarray) -> np.ndarray:
    """Δ = f(x)/f′(x)."""
    return solve_step(np.array([d.value(point)]), d.gradient(point).reshape(1, 1))


def minimize_step(d: Derivatives, point: np.ndarray) -> np.ndarray:
    """Δ = H⁻¹∇f (f′/f″ in 1-D), with f required to be defined at the point."""
    if not np.isfinite(d.value(point)):
        raise Undefined
    return solve_step(d.gradient(point), d.hessian(point))


STEPS = {"root": root_step, "minimize": minimize_step}


def path(d: Derivatives, x0: Sequence[float], steps: int,
         step: Callable[[Derivatives, np.ndarray], np.ndarray]) -> list[np.ndarray]:
    """x0 and the ``steps`` points x_{k+1} = x_k − step(x_k); raise :class:`NewtonBreakdown`."""
    points = [np.asarray(x0, dtype=float)]
    for k in range(steps):
        try:
            delta = step(d, points[-1])
        except Singular:
            raise NewtonBreakdown(k, points[-1], "singular") from None
        except Undefined:
            raise NewtonBreakdown(k, points[-1], "undefined") from None
        points.append(points[-1] - delta)
    if not (np.all(np.isfinite(points[-1])) and np.isfinite(d.value(points[-1]))):
        raise NewtonBreakdown(steps, points[-1], "undefined")
    return points


def iterates(f: Expr, variables: Sequence[str], x0: Sequence[float], steps: int,
             goal: str) -> list[list[float]]:
    """The point after each Newton step, each a list (also in 1-D)."""
    d = derivatives(f, tuple(variables))
    return [[float(v) for v in p] for p in path(d, x0, steps, STEPS[goal])[1:]]
