"""Numeric evaluation of expression trees with numpy, without generating or executing code.

>>> from calcgrade.core.expr import Sym, exp
>>> x = Sym("x")
>>> float(compile_numeric(3 * x**2 * exp(x) + x / 3)({"x": 0.0}))
0.0
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import numpy as np

from calcgrade.core.expr import FUNCTIONS, Add, Const, Expr, Fn, Mul, Num, Number, Pow, Sym


def compile_numeric(expr: Expr) -> Callable[[dict], object]:
    """A function of ``{name: value}`` that evaluates the tree with numpy.

    Values may be floats, complex numbers or arrays; the real domain is honoured
    (``log(-1)`` is nan for a real input), and no code is generated or executed.

    >>> from calcgrade.core.expr import Sym, log
    >>> f = compile_numeric(Sym("x") ** 2 + log(Sym("x")))
    >>> float(f({"x": 1.0}))
    1.0
    """
    if isinstance(expr, Num):
        value = _to_float(expr.value)
        return lambda env: value
    if isinstance(expr, Const):
        value = Const.VALUES[expr.name]
        return lambda env: value
    if isinstance(expr, Sym):
        name = expr.name
        return lambda env: env[name]
    if isinstance(expr, Add):
        parts = [compile_numeric(t) for t in expr.terms]

        def _add(env):
            total = parts[0](env)
            for part in parts[1:]:
                total = total + part(env)
            return total
        return _add
    if isinstance(expr, Mul):
        parts = [compile_numeric(f) for f in expr.factors]

        def _mul(env):
            total = parts[0](env)
            for part in parts[1:]:
                total = total * part(env)
            return total
        return _mul
    if isinstance(expr, Pow):
        base = compile_numeric(expr.base)
        if isinstance(expr.exp, Num):
            exponent = expr.exp.value
            if exponent.denominator == 1:
                n = _to_float(exponent)
                if abs(n) > 2**53:  # the parity of so large an exponent is lost in a float
                    n = math.copysign(math.inf, n)
                return lambda env: np.power(np.asarray(base(env), dtype=_dtype(env)), n)
            if exponent.denominator % 2 == 1:  # odd roots are real for negative bases
                p, q = exponent.numerator, exponent.denominator
                return lambda env: _odd_root_power(base(env), p, q, env)
        exp_fn = compile_numeric(expr.exp)
        return lambda env: np.power(np.asarray(base(env), dtype=_dtype(env)), exp_fn(env))
    if isinstance(expr, Fn):
        arg = compile_numeric(expr.arg)
        ufunc = FUNCTIONS[expr.name]
        return lambda env: ufunc(arg(env))
    raise TypeError(f"cannot evaluate {type(expr).__name__}")


def _dtype(env: dict):
    for value in env.values():
        if np.iscomplexobj(value):
            return complex
    return float


def _odd_root_power(value, p: int, q: int, env: dict):
    """``value ** (p/q)`` for odd ``q``: the real root for real inputs, as in calculus."""
    if _dtype(env) is complex:
        return np.power(np.asarray(value, dtype=complex), _to_float(Fraction(p, q)))
    value = np.asarray(value, dtype=float)
    root = np.sign(value) * np.abs(value) ** _to_float(Fraction(1, q))
    return np.power(root, _to_float(p) if abs(p) > 2**53 else p)


def _to_float(value: Number) -> float:
    """``float(value)``, or an infinity of its sign when it is beyond the float range.

    >>> _to_float(10**400), _to_float(Fraction(1, 3))
    (inf, 0.3333333333333333)
    """
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def evaluate(expr: Expr, env: dict) -> float:
    """The real value of ``expr`` at ``env``; nan outside the domain.

    >>> from calcgrade.core.expr import Sym, log
    >>> evaluate(log(Sym("x")), {"x": -1.0})
    nan
    """
    with np.errstate(all="ignore"):
        return float(compile_numeric(expr)(env))
