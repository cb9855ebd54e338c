"""Printers of expression trees: Python/sympy text (``str`` of a tree) and LaTeX.

>>> from calcgrade.core.expr import Sym, exp
>>> x = Sym("x")
>>> f = 3 * x**2 * exp(x) + x / 3
>>> to_str(f)
'3*x**2*exp(x) + x/3'
>>> print(to_latex(f))
3 x^{2} e^{x} + \\frac{x}{3}
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable

from calcgrade.core.expr import (HALF, ONE, Add, Const, Expr, Fn, Mul, Num, Pow, Sym, power,
                                 split_coeff, with_coeff)

_PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_POW, _PREC_ATOM = 10, 20, 25, 30, 40


def format_number(value: Fraction) -> str:
    """Exact numbers as short decimals where they terminate, else ``p/q``.

    >>> format_number(Fraction(4, 5)), format_number(Fraction(1, 3)), format_number(Fraction(7))
    ('0.8', '1/3', '7')
    """
    if value.denominator == 1:
        return str(value.numerator)
    decimal = _terminating_decimal(value)
    return decimal if decimal is not None else f"{value.numerator}/{value.denominator}"


def _terminating_decimal(value: Fraction, max_digits: int = 8) -> str | None:
    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    digits = max(twos, fives)
    if digits > max_digits:
        return None
    scaled = abs(value.numerator) * 10**digits // value.denominator
    text = str(scaled).rjust(digits + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def _number_prec(value: Fraction) -> int:
    if value < 0:
        return _PREC_NEG
    if value.denominator != 1 and _terminating_decimal(value) is None:
        return _PREC_MUL
    return _PREC_ATOM


def to_str(expr: Expr) -> str:
    """Python/sympy syntax, e.g. ``x**2*exp(x) - 1/x``."""
    return _str(expr)[0]


def _wrap(text_prec: tuple[str, int], min_prec: int) -> str:
    text, prec = text_prec
    return f"({text})" if prec < min_prec else text


def _str(expr: Expr) -> tuple[str, int]:
    if isinstance(expr, Num):
        return format_number(expr.value), _number_prec(expr.value)
    if isinstance(expr, (Sym, Const)):
        return expr.name, _PREC_ATOM
    if isinstance(expr, Fn):
        return f"{expr.name}({_str(expr.arg)[0]})", _PREC_ATOM
    if isinstance(expr, Add):
        parts: list[str] = []
        for i, term in enumerate(expr.terms):
            coeff, rest = split_coeff(term)
            if i > 0 and coeff < 0:
                parts.append(" - " + _wrap(_str(with_coeff(-coeff, rest)), _PREC_ADD + 1))
            else:
                parts.append((" + " if i else "") + _wrap(_str(term), _PREC_ADD))
        return "".join(parts), _PREC_ADD
    if isinstance(expr, Mul):
        return _str_mul(expr)
    if isinstance(expr, Pow):
        if expr.exp == HALF:
            return f"sqrt({_str(expr.base)[0]})", _PREC_ATOM
        if isinstance(expr.exp, Num) and expr.exp.value < 0:
            return _str_mul(Mul((ONE, expr)))
        base = _wrap(_str(expr.base), _PREC_POW + 1)
        return f"{base}**{_wrap(_str(expr.exp), _PREC_ATOM)}", _PREC_POW
    raise TypeError(f"cannot print {type(expr).__name__}")


def _numer_denom(expr: Mul) -> tuple[Fraction, list[Expr], list[Expr]]:
    coeff, numer, denom = 1, [], []
    for factor in expr.factors:
        if isinstance(factor, Num):
            coeff *= factor.value
        elif isinstance(factor, Pow) and isinstance(factor.exp, Num) and factor.exp.value < 0:
            denom.append(power(factor.base, Num(-factor.exp.value)))
        else:
            numer.append(factor)
    return coeff, numer, denom


def _str_mul(expr: Mul) -> tuple[str, int]:
    coeff, numer, denom = _numer_denom(expr)
    sign = "-" if coeff < 0 else ""
    coeff = abs(coeff)
    decimal = coeff.denominator != 1 and _terminating_decimal(coeff) is not None
    top = [_wrap(_str(f), _PREC_MUL) for f in numer]
    bottom_coeff = 1
    if decimal or coeff.denominator == 1:
        if coeff != 1 or not top:
            top.insert(0, format_number(coeff))
    else:
        if coeff.numerator != 1 or not top:
            top.insert(0, str(coeff.numerator))
        bottom_coeff = coeff.denominator
    text = "*".join(top)
    bottom = ([str(bottom_coeff)] if bottom_coeff != 1 else []) + [
        _wrap(_str(f), _PREC_POW) for f in denom
    ]
    if bottom:
        joined = bottom[0] if len(bottom) == 1 else "(" + "*".join(bottom) + ")"
        text = f"{text}/{joined}"
    return sign + text, _PREC_NEG if sign else _PREC_MUL


_LATEX_FUNCS = {
    "exp": None, "log": r"\ln", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sinh": r"\sinh",
    "cosh": r"\cosh", "tanh": r"\tanh", "Abs": None,
}


def to_latex(expr: Expr) -> str:
    """LaTeX for a statement, e.g. ``3 x^{2} e^{x}``."""
    return _latex(expr)[0]


def _latex_number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1 or _terminating_decimal(value) is not None:
        return format_number(value), _number_prec(value)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}", _number_prec(value)


def _latex(expr: Expr) -> tuple[str, int]:
    if isinstance(expr, Num):
        return _latex_number(expr.value)
    if isinstance(expr, Sym):
        return expr.name, _PREC_ATOM
    if isinstance(expr, Const):
        return ("e" if expr.name == "E" else r"\pi"), _PREC_ATOM
    if isinstance(expr, Fn):
        inner = _latex(expr.arg)[0]
        if expr.name == "exp":
            return f"e^{{{inner}}}", _PREC_POW
        if expr.name == "Abs":
            return f"\\left|{inner}\\right|", _PREC_ATOM
        return f"{_LATEX_FUNCS[expr.name]}\\left({inner}\\right)", _PREC_ATOM
    if isinstance(expr, Add):
        parts = []
        for i, term in enumerate(expr.terms):
            coeff, rest = split_coeff(term)
            if i > 0 and coeff < 0:
                parts.append(" - " + _lwrap(_latex(with_coeff(-coeff, rest)), _PREC_ADD + 1))
            else:
                parts.append((" + " if i else "") + _lwrap(_latex(term), _PREC_ADD))
        return "".join(parts), _PREC_ADD
    if isinstance(expr, Pow):
        if expr.exp == HALF:
            return f"\\sqrt{{{_latex(expr.base)[0]}}}", _PREC_ATOM
        if isinstance(expr.exp, Num) and expr.exp.value < 0:
            return _latex(Mul((ONE, expr)))
        if _odd_root(expr.exp):  # the real root, as the solvers take it: never a principal power
            p, q = expr.exp.value.numerator, expr.exp.value.denominator
            inner = expr.base if p == 1 else Pow(expr.base, Num(p))
            return f"\\sqrt[{q}]{{{_latex(inner)[0]}}}", _PREC_ATOM
        # (ln(x))^2, never ln(x)^2: a power of a function value wraps the whole value
        wrap = isinstance(expr.base, Fn) and expr.base.name != "Abs"
        base = _lwrap(_latex(expr.base), _PREC_ATOM + 1 if wrap else _PREC_POW + 1)
        return f"{base}^{{{_latex(expr.exp)[0]}}}", _PREC_POW
    if isinstance(expr, Mul):
        coeff, numer, denom = _numer_denom(expr)
        sign = "-" if coeff < 0 else ""
        coeff = abs(coeff)
        top, bottom = [], []
        if coeff.denominator != 1 and _terminating_decimal(coeff) is None:
            if coeff.numerator != 1 or not numer:
                top.append(str(coeff.numerator))
            bottom.append(str(coeff.denominator))
        elif coeff != 1 or not numer:
            top.append(format_number(coeff))
        top_items = top + [_latex(f) for f in numer]
        bottom_items = bottom + [_latex(f) for f in denom]
        in_fraction = bool(bottom_items)

        def join(items):
            alone = len(items) == 1 and in_fraction
            return _latex_product([i if isinstance(i, str) else _lwrap(i, 0 if alone else _PREC_MUL)
                                   for i in items])

        prec = _PREC_NEG if sign else _PREC_MUL
        if in_fraction:
            return f"{sign}\\frac{{{join(top_items)}}}{{{join(bottom_items)}}}", prec
        return sign + join(top_items), prec
    raise TypeError(f"cannot print {type(expr).__name__}")


def _odd_root(exponent: Expr) -> bool:
    """Whether ``exponent`` is a positive fraction p/q with an odd q > 1 (a real root)."""
    return (isinstance(exponent, Num) and exponent.value > 0
            and exponent.value.denominator > 1 and exponent.value.denominator % 2 == 1)


def _latex_product(factors: list[str]) -> str:
    """Factors side by side, with ``\\cdot`` before any factor after the first that starts
    with a digit, so that ``3`` times ``3^{x}`` never reads as ``33^{x}``.

    >>> _latex_product(["3", "3^{x}"]), _latex_product(["2", "x", "5^{x}"])
    ('3 \\\\cdot 3^{x}', '2 x \\\\cdot 5^{x}')
    """
    out = factors[0] if factors else ""
    for factor in factors[1:]:
        out += (r" \cdot " if factor[:1].isdigit() else " ") + factor
    return out


def latex_matrix(rows, number: Callable[[object], str] = str) -> str:
    """A numeric matrix as a LaTeX ``pmatrix``, each entry written by ``number``.

    >>> latex_matrix([[2, 1], [1, 3]])
    '\\\\begin{pmatrix} 2 & 1 \\\\\\\\ 1 & 3 \\\\end{pmatrix}'
    """
    body = r" \\ ".join(" & ".join(number(v) for v in row) for row in rows)
    return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"


def _lwrap(text_prec: tuple[str, int], min_prec: int) -> str:
    text, prec = text_prec
    return f"\\left({text}\\right)" if prec < min_prec else text
