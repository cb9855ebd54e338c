"""Newton's method (DESIGN §8): roots x − f/f′, 1-D minimization x − f′/f″, and n-D
minimization θ − H⁻¹∇f computed by solving H·Δ = ∇f, then θ − Δ.

Derivatives come from :func:`calcgrade.solutions.calculus.diff` and are compiled with
:func:`~calcgrade.core.numeric.compile_numeric`, once per function (and, since sampled
functions share terms such as ``4*x**2``, once per term of a sum). A step that divides by
a (numerically) zero derivative or singular Hessian, or a point where f is not defined,
raises :class:`NewtonBreakdown` naming the step.

>>> from calcgrade.core.parse import parse_expression
>>> f = parse_expression("x^2 - 2", ["x"])
>>> [[round(v, 6) for v in p] for p in iterates(f, ["x"], [1], 3, "root")]
[[1.5], [1.416667], [1.414216]]
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Callable, Sequence

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.core.expr import Add, Expr, add
from calcgrade.core.numeric import compile_numeric

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


def partial(f: Expr, var: str) -> Expr:
    """∂f/∂var by :func:`calculus.diff`, term by term with each term's derivative remembered.

    The sum rule is what ``calculus.diff`` applies to a sum, so the tree is the same; the
    terms of sampled functions (``4*x**2``, ``exp(x - y)``) recur across variants.

    >>> from calcgrade.core.parse import parse_expression
    >>> str(partial(parse_expression("x^3 + x*y", ["x", "y"]), "x"))
    '3*x**2 + y'
    """
    if isinstance(f, Add):
        return add(*(_term_derivative(t, var) for t in f.terms))
    return _term_derivative(f, var)


@lru_cache(maxsize=512)
def _term_derivative(term: Expr, var: str) -> Expr:
    return calculus.diff(term, var)


def compile_sum(f: Expr) -> Callable[[dict], object]:
    """:func:`compile_numeric` of ``f``, term by term with each term's function remembered."""
    if not isinstance(f, Add):
        return _compiled_term(f)
    parts = [_compiled_term(t) for t in f.terms]

    def total(env):
        out = parts[0](env)
        for part in parts[1:]:
            out = out + part(env)
        return out
    return total


@lru_cache(maxsize=512)
def _compiled_term(term: Expr) -> Callable[[dict], object]:
    return compile_numeric(term)


VARIANTS_REMEMBERED = 32  # whole-variant results kept: the variants in hand, never a class


class Derivatives:
    """f, ∇f and the Hessian of one expression, compiled once; points are sequences.

    Values are remembered per point, so the reference run and the mistake catalog,
    which all start from x0, evaluate there once.
    """

    MEMO_SIZE = 64

    def __init__(self, f: Expr, variables: Sequence[str]):
        self.variables = tuple(variables)
        self._first = [partial(f, v) for v in self.variables]
        self._f = compile_sum(f)
        self._grad = [compile_sum(e) for e in self._first]
        self._hess: list[list[Callable]] | None = None  # built on first use (roots never need it)
        self._memo: dict[tuple, object] = {}

    def _remember(self, kind: str, point, compute):
        array = np.asarray(point, dtype=float)
        key = (kind, array.tobytes())
        memo = self._memo
        if key not in memo:
            if len(memo) >= self.MEMO_SIZE:
                memo.clear()
            env = dict(zip(self.variables, array.tolist()))
            with np.errstate(all="ignore"):
                memo[key] = compute(env)
        return memo[key]

    def value(self, point) -> float:
        """f at ``point`` (nan outside the domain)."""
        return self._remember("f", point, lambda env: float(self._f(env)))

    def gradient(self, point) -> np.ndarray:
        """∇f at ``point`` (f′ in 1-D, as a 1-vector)."""
        return self._remember("g", point, lambda env: np.array([float(g(env)) for g in self._grad])).copy()

    def hessian(self, point) -> np.ndarray:
        """The matrix of second partials at ``point`` (f″ in 1-D, as a 1×1 matrix)."""
        if self._hess is None:
            n = len(self.variables)
            rows: list[list] = [[None] * n for _ in range(n)]
            for i in range(n):  # as calculus.hessian builds it, reusing ∇f
                for j in range(i, n):
                    rows[i][j] = rows[j][i] = compile_sum(partial(self._first[i], self.variables[j]))
            self._hess = rows
        hess = self._hess
        return self._remember("H", point, lambda env: np.array(
            [[float(h(env)) for h in row] for row in hess])).copy()


@lru_cache(maxsize=VARIANTS_REMEMBERED)
def derivatives(f: Expr, variables: tuple[str, ...]) -> Derivatives:
    """The compiled :class:`Derivatives` of ``f``, remembered for the few variants in hand
    (a sampler, a check, a solve, the mistake catalog and carried-forward marking of one
    variant share it; a class's variants are not kept: memory does not grow with it)."""
    return Derivatives(f, variables)


class Singular(ArithmeticError):
    """A Newton divisor is (numerically) zero."""


class Undefined(ArithmeticError):
    """A value needed by a step is nan or infinite."""


def all_finite(array: np.ndarray) -> bool:
    """Every entry a finite number (a Python loop: faster than numpy for these tiny arrays)."""
    return all(math.isfinite(v) for v in array.flat)


def solve_step(numerator: np.ndarray, divisor: np.ndarray) -> np.ndarray:
    """Δ with divisor·Δ = numerator; raise :class:`Singular` or :class:`Undefined`.

    >>> solve_step(np.array([2.0]), np.array([[4.0]]))
    array([0.5])
    """
    if not (all_finite(numerator) and all_finite(divisor)):
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
    if not math.isfinite(d.value(point)):
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
    if not (all_finite(points[-1]) and math.isfinite(d.value(points[-1]))):
        raise NewtonBreakdown(steps, points[-1], "undefined")
    return points


def iterates(f: Expr, variables: Sequence[str], x0: Sequence[float], steps: int,
             goal: str) -> list[list[float]]:
    """The point after each Newton step, each a list (also in 1-D)."""
    points = reference_path(f, tuple(variables), tuple(float(v) for v in x0), steps, goal)
    return [list(p) for p in points[1:]]


@lru_cache(maxsize=VARIANTS_REMEMBERED)
def reference_path(f: Expr, variables: tuple[str, ...], x0: tuple[float, ...], steps: int,
                   goal: str) -> tuple[tuple[float, ...], ...]:
    """x0 and the Newton iterates, remembered (a sampler, a check and a solve share one run)."""
    with np.errstate(all="ignore"):
        points = path(derivatives(f, variables), x0, steps, STEPS[goal])
    return tuple(tuple(float(v) for v in p) for p in points)
