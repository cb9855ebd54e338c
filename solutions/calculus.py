"""Differentiation by the textbook rules, with a seam for the mistakes students make.

:class:`Rules` applies each rule of differentiation in its own method, so a mistake
catalog can subclass it and break exactly one rule (``(fg)' = f'g'``, a dropped chain
factor, ...). ``used`` records which rules a derivative needed, so a mistake that never
fires on a given function can be told apart from one that does.

>>> from calcgrade.core.expr import Sym, exp
>>> x = Sym("x")
>>> str(diff(x**2 * exp(x), "x"))
'2*x*exp(x) + x**2*exp(x)'
>>> str(diff(diff(x**3, "x"), "x"))
'6*x'
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from calcgrade.core import expr as ex
from calcgrade.core.expr import Expr
from calcgrade.core.numeric import compile_numeric


class Rules:
    """The correct rules of differentiation; subclass and override one to model a mistake."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def d(self, expr: Expr, var: str) -> Expr:
        """The derivative of ``expr`` with respect to ``var``."""
        if not expr.has(var):
            return ex.ZERO
        if isinstance(expr, ex.Sym):
            return ex.ONE
        if isinstance(expr, ex.Add):
            self.used.add("sum")
            return ex.add(*(self.d(t, var) for t in expr.terms))
        if isinstance(expr, ex.Mul):
            return self.d_mul(expr, var)
        if isinstance(expr, ex.Pow):
            return self.d_pow(expr, var)
        if isinstance(expr, ex.Fn):
            outer = self.outer(expr.name, expr.arg)
            return self.chain(outer, expr.arg, var)
        raise TypeError(f"cannot differentiate {type(expr).__name__}")

    # products and quotients ------------------------------------------------------------
    def d_mul(self, expr: ex.Mul, var: str) -> Expr:
        constant = [f for f in expr.factors if not f.has(var)]
        varying = [f for f in expr.factors if f.has(var)]
        if constant:
            self.used.add("constant_multiple")
            return ex.mul(*constant, self.d(ex.mul(*varying), var))
        numer = [f for f in varying if not _is_reciprocal(f)]
        denom = [ex.power(f.base, ex.Num(-f.exp.value)) for f in varying if _is_reciprocal(f)]
        if numer and denom:
            return self.quotient(ex.mul(*numer), ex.mul(*denom), var)
        return self.product(varying, var)

    def product(self, factors: list[Expr], var: str) -> Expr:
        """(f g)' = f' g + f g' (for any number of factors)."""
        if len(factors) == 1:
            return self.d(factors[0], var)
        self.used.add("product")
        first, rest = factors[0], ex.mul(*factors[1:])
        rest_factors = list(rest.factors) if isinstance(rest, ex.Mul) else [rest]
        return ex.add(ex.mul(self.d(first, var), rest), ex.mul(first, self.product(rest_factors, var)))

    def quotient(self, numer: Expr, denom: Expr, var: str) -> Expr:
        """(f / g)' = (f' g - f g') / g^2."""
        self.used.add("quotient")
        top = ex.add(ex.mul(self.d(numer, var), denom), ex.neg(ex.mul(numer, self.d(denom, var))))
        return ex.mul(top, ex.power(denom, ex.Num(-2)))

    # powers ------------------------------------------------------------------------------
    def d_pow(self, expr: ex.Pow, var: str) -> Expr:
        base, exponent = expr.base, expr.exp
        if not exponent.has(var):
            return self.chain(self.power_rule(base, exponent), base, var)
        if not base.has(var):
            self.used.add("exponential")
            outer = ex.mul(expr, ex.log(base))
            return self.chain(outer, exponent, var)
        # f^g = exp(g log f)
        return self.d(ex.exp(ex.mul(exponent, ex.log(base))), var)

    def power_rule(self, base: Expr, exponent: Expr) -> Expr:
        """d/du u^n = n u^(n-1)."""
        self.used.add("power")
        return ex.mul(exponent, ex.power(base, ex.add(exponent, ex.MINUS_ONE)))

    # functions -----------------------------------------------------------------------------
    def outer(self, name: str, u: Expr) -> Expr:
        """The derivative of the function ``name`` evaluated at ``u``."""
        self.used.add(_RULE_OF_FUNCTION[name])
        if name == "exp":
            return ex.exp(u)
        if name == "log":
            return ex.power(u, ex.MINUS_ONE)
        if name == "sin":
            return ex.fn("cos", u)
        if name == "cos":
            return ex.neg(ex.fn("sin", u))
        if name == "tan":
            return ex.power(ex.fn("cos", u), ex.Num(-2))
        if name == "asin":
            return ex.power(ex.add(ex.ONE, ex.neg(ex.power(u, ex.Num(2)))), ex.Num(Fraction(-1, 2)))
        if name == "acos":
            return ex.neg(ex.power(ex.add(ex.ONE, ex.neg(ex.power(u, ex.Num(2)))), ex.Num(Fraction(-1, 2))))
        if name == "atan":
            return ex.power(ex.add(ex.ONE, ex.power(u, ex.Num(2))), ex.MINUS_ONE)
        if name == "sinh":
            return ex.fn("cosh", u)
        if name == "cosh":
            return ex.fn("sinh", u)
        if name == "tanh":
            return ex.add(ex.ONE, ex.neg(ex.power(ex.fn("tanh", u), ex.Num(2))))
        if name == "Abs":
            return ex.mul(u, ex.power(ex.fn("Abs", u), ex.MINUS_ONE))
        raise TypeError(f"no derivative for {name}")

    def chain(self, outer: Expr, inner: Expr, var: str) -> Expr:
        """d/dx f(u(x)) = f'(u) u'(x)."""
        inner_derivative = self.d(inner, var)
        if inner_derivative != ex.ONE:
            self.used.add("chain")
        return ex.mul(outer, inner_derivative)


_RULE_OF_FUNCTION = {
    "exp": "exp", "log": "log", "sin": "trig", "cos": "trig", "tan": "trig",
    "asin": "inverse", "acos": "inverse", "atan": "inverse", "sinh": "hyperbolic",
    "cosh": "hyperbolic", "tanh": "hyperbolic", "Abs": "abs",
}


def _is_reciprocal(factor: Expr) -> bool:
    return isinstance(factor, ex.Pow) and isinstance(factor.exp, ex.Num) and factor.exp.value < 0


def diff(expr: Expr, var: str, order: int = 1, rules: Rules | None = None) -> Expr:
    """The ``order``-th derivative of ``expr`` with respect to ``var``."""
    rules = rules or Rules()
    for _ in range(order):
        expr = rules.d(expr, var)
    return expr


def gradient(expr: Expr, variables: list[str]) -> list[Expr]:
    """The partial derivatives in the order of ``variables``."""
    return [diff(expr, v) for v in variables]


def hessian(expr: Expr, variables: list[str]) -> list[list[Expr]]:
    """The matrix of second partials, computed once per pair and mirrored."""
    first = gradient(expr, variables)
    n = len(variables)
    rows: list[list[Expr]] = [[ex.ZERO] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            rows[i][j] = rows[j][i] = diff(first[i], variables[j])
    return rows


def evaluate_vector(exprs: list[Expr], variables: list[str], point) -> np.ndarray:
    """Evaluate each expression at ``point`` (a sequence matching ``variables``)."""
    env = dict(zip(variables, (float(v) for v in point)))
    with np.errstate(all="ignore"):
        return np.array([float(compile_numeric(e)(env)) for e in exprs])


def evaluate_matrix(rows: list[list[Expr]], variables: list[str], point) -> np.ndarray:
    """Evaluate a matrix of expressions at ``point``."""
    return np.array([evaluate_vector(row, variables, point) for row in rows])
