"""Expression trees as sympy objects: the independent oracle of the tests.

>>> from calcgrade.core.expr import Sym, exp
>>> to_sympy(Sym("x") ** 2 * exp(Sym("x")))
x**2*exp(x)
"""

from __future__ import annotations

from calcgrade.core.expr import Add, Const, Expr, Fn, Mul, Num, Pow, Sym


def to_sympy(expr: Expr):
    """The same expression as a sympy object (for symbolic checks and test oracles)."""
    import sympy

    if isinstance(expr, Num):
        return sympy.Rational(expr.value.numerator, expr.value.denominator)
    if isinstance(expr, Sym):
        return sympy.Symbol(expr.name, real=True)
    if isinstance(expr, Const):
        return sympy.E if expr.name == "E" else sympy.pi
    if isinstance(expr, Add):
        return sympy.Add(*(to_sympy(t) for t in expr.terms))
    if isinstance(expr, Mul):
        return sympy.Mul(*(to_sympy(f) for f in expr.factors))
    if isinstance(expr, Pow):
        base, exponent = to_sympy(expr.base), to_sympy(expr.exp)
        if isinstance(expr.exp, Num) and expr.exp.value.denominator % 2 == 1 \
                and expr.exp.value.denominator > 1:
            return sympy.real_root(base, expr.exp.value.denominator) ** expr.exp.value.numerator
        return sympy.Pow(base, exponent)
    if isinstance(expr, Fn):
        return getattr(sympy, expr.name)(to_sympy(expr.arg))
    raise TypeError(f"cannot convert {type(expr).__name__}")
