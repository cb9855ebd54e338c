"""The Jacobian of a vector function at a point and a directional derivative.

For F = (F_1, ..., F_m) of the variables (v_1, ..., v_n) the Jacobian has one row per
component and one column per variable, J_ij = ∂F_i/∂v_j. The directional derivative of a
scalar f at p in the direction of a vector d is ∇f(p)·u with the unit vector u = d/|d|
(``unit=False`` gives ∇f(p)·d, the derivative along d as given).

>>> from calcgrade.core.parse import parse_expression
>>> trees = [parse_expression(t, ["x", "y"]) for t in ("x^2*y", "5x + sin(y)")]
>>> jacobian(trees, ["x", "y"], [1, 0])
[[0.0, 1.0], [5.0, 1.0]]
>>> directional([2.0, 1.0], [3, 4]), directional([2.0, 1.0], [3, 4], unit=False)
(2.0, 10.0)
"""

from __future__ import annotations

import math

from calcgrade.core import expr as ex
from calcgrade.core.expr import Expr
from calcgrade.solutions import partial_derivatives as pd


def value_and_gradient(tree: Expr, variables, point) -> tuple[float, list[float]]:
    """f and ∇f at ``point`` by forward-mode differentiation (dual numbers: each node's value
    with its partials), one walk of the tree; nan where f or a partial is undefined.

    >>> from calcgrade.core.parse import parse_expression
    >>> value_and_gradient(parse_expression("x^2*y + exp(x*y)", ["x", "y"]), ["x", "y"], [1, 0])
    (1.0, [0.0, 2.0])
    """
    n = len(variables)
    env = {v: (float(p), [float(i == k) for k in range(n)]) for i, (v, p) in enumerate(zip(variables, point))}
    try:
        value, grad = _dual(tree, env, n)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return math.nan, [math.nan] * n
    if not (math.isfinite(value) and all(math.isfinite(g) for g in grad)):
        return math.nan, [math.nan] * n
    return value + 0.0, [g + 0.0 for g in grad]


def gradient(tree: Expr, variables, point) -> list[float]:
    """∇f at ``point`` (nan where undefined)."""
    return value_and_gradient(tree, variables, point)[1]


def jacobian(components: list[Expr], variables, point) -> list[list[float]]:
    """J_ij = ∂F_i/∂v_j at ``point``."""
    return [gradient(c, variables, point) for c in components]


# f′(u) for the functions of one argument, given u and f(u)
_OUTER = {
    "exp": (math.exp, lambda u, fu: fu),
    "log": (math.log, lambda u, fu: 1.0 / u),
    "sin": (math.sin, lambda u, fu: math.cos(u)),
    "cos": (math.cos, lambda u, fu: -math.sin(u)),
    "tan": (math.tan, lambda u, fu: 1.0 + fu * fu),
    "asin": (math.asin, lambda u, fu: 1.0 / math.sqrt(1.0 - u * u)),
    "acos": (math.acos, lambda u, fu: -1.0 / math.sqrt(1.0 - u * u)),
    "atan": (math.atan, lambda u, fu: 1.0 / (1.0 + u * u)),
    "sinh": (math.sinh, lambda u, fu: math.cosh(u)),
    "cosh": (math.cosh, lambda u, fu: math.sinh(u)),
    "tanh": (math.tanh, lambda u, fu: 1.0 - fu * fu),
    "Abs": (abs, lambda u, fu: math.copysign(1.0, u) if u != 0 else math.nan),
}


def _dual(tree: Expr, env: dict, n: int) -> tuple[float, list[float]]:
    if isinstance(tree, ex.Sym):
        return env[tree.name]
    if isinstance(tree, (ex.Num, ex.Const)):
        return pd.scalar_value(tree, {}), [0.0] * n
    if isinstance(tree, ex.Add):
        parts = [_dual(t, env, n) for t in tree.terms]
        return math.fsum(v for v, _ in parts), [math.fsum(g[k] for _, g in parts) for k in range(n)]
    if isinstance(tree, ex.Mul):
        value, grad = 1.0, [0.0] * n
        for factor in tree.factors:
            v, g = _dual(factor, env, n)
            grad = [a * v + value * b for a, b in zip(grad, g)]
            value *= v
        return value, grad
    if isinstance(tree, ex.Pow):
        base, db = _dual(tree.base, env, n)
        if isinstance(tree.exp, ex.Num):
            value = pd.scalar_value(tree, _env_values(env))  # real odd roots of negatives, as f is read
            e = float(tree.exp.value)
            if base == 0:
                slope = e * 0.0 ** (e - 1) if e >= 1 else math.nan
            else:
                slope = e * value / base
            return value, [slope * d for d in db]
        power, dp = _dual(tree.exp, env, n)
        value = base**power
        if base <= 0:
            raise ValueError("a variable power of a number that is not positive")
        return value, [value * (a * math.log(base) + power * d / base) for a, d in zip(dp, db)]
    if isinstance(tree, ex.Fn):
        u, du = _dual(tree.arg, env, n)
        outer, slope = _OUTER[tree.name]
        value = float(outer(u))
        factor = slope(u, value)
        return value, [factor * d for d in du]
    raise TypeError(f"cannot differentiate {type(tree).__name__}")


def _env_values(env: dict) -> dict:
    return {name: value for name, (value, _) in env.items()}


def norm(direction) -> float:
    """The Euclidean length |d|."""
    return math.sqrt(math.fsum(d * d for d in direction))


def directional(grad, direction, unit: bool = True) -> float:
    """∇f·d/|d| (or ∇f·d when not ``unit``)."""
    along = math.fsum(g * d for g, d in zip(grad, direction))
    return (along / norm(direction) if unit else along) + 0.0
