"""Gradient, Hessian, eigenvalues and the second-derivative test at a point (DESIGN §8).

Eigenvalues come from ``numpy.linalg.eigvalsh`` (the Hessian is symmetric), ascending.
An eigenvalue counts as zero when ``|λ| <= 1e-9 * max(1, max|λ|)``; a positive and a
negative eigenvalue make a saddle (even if another is zero), otherwise any zero makes the
test inconclusive, all positive a minimum, all negative a maximum.

Polynomials — what the sampler produces — are differentiated exactly as dicts
``{exponent tuple: coefficient}``; other functions go through :mod:`calculus`.

>>> from calcgrade.core.parse import parse_expression
>>> f = parse_expression("2x^2 + 3y^2 - x*y", ["x", "y"])
>>> result = analyze(f, ["x", "y"], [0, 0])
>>> result["hessian"], result["classification"]
([[4.0, -1.0], [-1.0, 6.0]], 'minimum')
>>> poly_text(poly_from_expr(f, ["x", "y"]), ["x", "y"])
'2*x**2 - x*y + 3*y**2'
>>> classify([-2.0, 0.0, 2.0]), classify([0.0, 1.0, 3.0])
('saddle', 'inconclusive')
"""

from __future__ import annotations

import math
import operator
import re
from fractions import Fraction

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.core import expr as ex
from calcgrade.core.expr import Expr
from calcgrade.core.printing import format_number

LABELS = ("minimum", "maximum", "saddle", "inconclusive")
NOT_CRITICAL = "not a critical point"
ZERO_RTOL = 1e-9

# the second-derivative test ----------------------------------------------------------------


def is_zero(value: float, scale: float) -> bool:
    """Whether ``value`` is zero relative to ``scale``: ``|value| <= 1e-9 * max(1, |scale|)``."""
    return abs(value) <= ZERO_RTOL * max(1.0, abs(scale))


def _scale(values) -> float:
    return max((abs(v) for v in values), default=0.0)


def classify(eigenvalues) -> str:
    """The label of the second-derivative test for these eigenvalues."""
    scale = _scale(eigenvalues)
    signs = {0 if is_zero(v, scale) else (1 if v > 0 else -1) for v in eigenvalues}
    if 1 in signs and -1 in signs:
        return "saddle"
    if 0 in signs:
        return "inconclusive"
    return "minimum" if 1 in signs else "maximum"


def is_critical(gradient) -> bool:
    """Whether every entry of the gradient counts as zero (``|g| <= 1e-9``).

    >>> is_critical([0.0, 6e-17]), is_critical([0.0, 1e-6])
    (True, False)
    """
    return all(is_zero(g, 1.0) for g in gradient)


def eigenvalues(matrix) -> list[float]:
    """Eigenvalues of a symmetric matrix, ascending, with those that count as zero set to 0.0."""
    values = np.linalg.eigvalsh(np.asarray(matrix, dtype=float))
    scale = _scale(values)
    return [0.0 if is_zero(v, scale) else float(v) for v in values]


def has_zero_eigenvalue(values) -> bool:
    """Whether some eigenvalue counts as zero."""
    scale = _scale(values)
    return any(is_zero(v, scale) for v in values)


def _answers(gradient, hessian) -> dict:
    values = eigenvalues(hessian)
    return {
        "gradient": [float(g) + 0.0 for g in gradient],  # + 0.0 turns -0.0 into 0.0
        "hessian": [[float(h) + 0.0 for h in row] for row in hessian],
        "eigenvalues": values,
        "classification": classify(values),
    }


def analyze(f: Expr, variables: list[str], point) -> dict:
    """``gradient``, ``hessian``, ``eigenvalues`` (ascending) and ``classification`` of ``f`` at ``point``.

    Raises ``ValueError`` when f or a derivative is not a finite number there.
    """
    poly = poly_from_expr(f, variables)
    if poly is not None:
        return analyze_poly(poly, point)
    first = calculus.gradient(f, variables)
    n = len(variables)
    second = [[ex.ZERO] * n for _ in range(n)]
    for i in range(n):
        for j in range(i, n):
            second[i][j] = second[j][i] = calculus.diff(first[i], variables[j])
    grad = calculus.evaluate_vector(first, variables, point)
    hess = calculus.evaluate_matrix(second, variables, point)
    value = calculus.evaluate_vector([f], variables, point)
    if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hess)) and math.isfinite(value[0])):
        raise ValueError("f or one of its first or second derivatives is not defined there")
    return _answers(grad, hess)


# exact polynomials: {exponent tuple: int or Fraction} ----------------------------------------

MAX_TERMS = 2000
MAX_POWER = 16


class _TooLarge(Exception):
    pass


def padd(*polys: dict) -> dict:
    """The sum of polynomials (zero coefficients dropped)."""
    out: dict = {}
    for poly in polys:
        for mono, c in poly.items():
            out[mono] = out.get(mono, 0) + c
    return {m: c for m, c in out.items() if c != 0}


def pmul(a: dict, b: dict) -> dict:
    """The product of two polynomials."""
    if len(a) * len(b) > 50 * MAX_TERMS:
        raise _TooLarge
    out: dict = {}
    for ma, ca in a.items():
        for mb, cb in b.items():
            mono = tuple(map(operator.add, ma, mb))
            out[mono] = out.get(mono, 0) + ca * cb
    if len(out) > MAX_TERMS:
        raise _TooLarge
    return {m: c for m, c in out.items() if c != 0}


def ppow(a: dict, k: int, n: int) -> dict:
    """``a ** k`` for a whole ``k >= 0`` in ``n`` variables."""
    out: dict = {(0,) * n: 1}
    for _ in range(k):
        out = pmul(out, a)
    return out


def _number(value: Fraction):
    return value.numerator if value.denominator == 1 else value


def poly_from_expr(f: Expr, variables) -> dict | None:
    """``f`` as an exact polynomial in ``variables``, or None when it is not one (or is huge)."""
    try:
        return _poly(f, list(variables))
    except _TooLarge:
        return None


def _poly(f: Expr, variables: list[str]) -> dict | None:
    n = len(variables)
    if isinstance(f, ex.Num):
        return {(0,) * n: _number(f.value)} if f.value else {}
    if isinstance(f, ex.Sym):
        if f.name not in variables:
            return None
        i = variables.index(f.name)
        return {tuple(int(k == i) for k in range(n)): 1}
    if isinstance(f, (ex.Add, ex.Mul)):
        parts = [_poly(a, variables) for a in f.args]
        if any(p is None for p in parts):
            return None
        if isinstance(f, ex.Add):
            return padd(*parts)
        out = parts[0]
        for part in parts[1:]:
            out = pmul(out, part)
        return out
    if isinstance(f, ex.Pow) and isinstance(f.exp, ex.Num):
        k = f.exp.value
        base = _poly(f.base, variables)
        if base is None or k.denominator != 1 or not 0 <= k <= MAX_POWER:
            return None
        return ppow(base, int(k), n)
    return None


def _order(poly: dict) -> list:
    """Highest degree first, then lexicographic in the variables."""
    return sorted(poly, key=lambda mono: (-sum(mono), tuple(-e for e in mono)))


def _terms(poly: dict, variables, factor, times: str) -> str:
    if not poly:
        return "0"
    latex = times == " "
    out = []
    for mono in _order(poly):
        c = poly[mono]
        factors = [factor(v, e) for v, e in zip(variables, mono) if e]
        if abs(c) != 1 or not factors:
            factors.insert(0, str(abs(c)) if isinstance(c, int) else _coefficient(abs(c), latex))
        sign = " - " if c < 0 else " + "
        out.append(sign + times.join(factors))
    first = out[0]
    return ("-" if first[1] == "-" else "") + first[3:] + "".join(out[1:])


def _coefficient(c: Fraction, latex: bool) -> str:
    if c.denominator == 1:
        return str(c.numerator)
    text = format_number(c)
    if latex and "/" in text:
        return rf"\frac{{{c.numerator}}}{{{c.denominator}}}"
    return text


def poly_text(poly: dict, variables) -> str:
    """Python/sympy syntax, highest degree first: ``'x**2*y - 3*x + 1/3'``."""
    return _terms(poly, variables, lambda v, e: v if e == 1 else f"{v}**{e}", "*")


def poly_latex(poly: dict, variables) -> str:
    """LaTeX in the order of :func:`poly_text`: ``'x^{2} y - 3 x + \\frac{1}{3}'``."""
    return _terms(poly, variables, lambda v, e: v if e == 1 else f"{v}^{{{e}}}", " ")


_TERM = re.compile(r"(\d+(?:\.\d+)?(?:/\d+)?)?\*?((?:[A-Za-z_]\w*(?:\*\*\d+)?\*?)*)")
_FACTOR = re.compile(r"([A-Za-z_]\w*)(?:\*\*(\d+))?")


def poly_from_text(text: str, variables) -> dict | None:
    """Read text exactly as :func:`poly_text` writes it; None for anything else.

    A fast path for sampled functions: the result is kept only when writing it back gives
    the same text, so other text always goes through the full parser.

    >>> poly_from_text("2*x**2 - x*y + 3*y**2", ["x", "y"])
    {(2, 0): 2, (1, 1): -1, (0, 2): 3}
    >>> poly_from_text("3*y**2 + 2*x**2", ["x", "y"]) is None
    True
    """
    variables = list(variables)
    pieces = re.split(r" ([+-]) ", text)
    signs = ["+"] + pieces[1::2]
    if pieces[0].startswith("-"):
        signs[0], pieces[0] = "-", pieces[0][1:]
    poly: dict = {}
    for sign, term in zip(signs, pieces[0::2]):
        match = _TERM.fullmatch(term)
        if not term or match is None:
            return None
        number = match.group(1) or "1"
        coeff = int(number) if number.isdigit() else Fraction(number)
        mono = [0] * len(variables)
        for name, power in _FACTOR.findall(match.group(2)):
            if name not in variables:
                return None
            mono[variables.index(name)] += int(power) if power else 1
        coeff = -coeff if sign == "-" else coeff
        poly[tuple(mono)] = _number(coeff) if isinstance(coeff, Fraction) else coeff
    poly = {m: c for m, c in poly.items() if c != 0}
    return poly if poly_text(poly, variables) == text else None


def _exact(value):
    return value if isinstance(value, int) else Fraction(value)


def analyze_poly(poly: dict, point) -> dict:
    """:func:`analyze` for a polynomial, with exact arithmetic until the final floats."""
    x = [_exact(v) for v in point]
    n = len(x)
    grad = [0] * n
    hess = [[0] * n for _ in range(n)]
    for mono, c in poly.items():
        for i in range(n):
            if not mono[i]:
                continue
            d1 = list(mono)
            d1[i] -= 1
            grad[i] += c * mono[i] * _monomial(x, d1)
            for j in range(i, n):
                if not d1[j]:
                    continue
                d2 = list(d1)
                d2[j] -= 1
                hess[i][j] += c * mono[i] * d1[j] * _monomial(x, d2)
    for i in range(n):
        for j in range(i):
            hess[i][j] = hess[j][i]
    try:
        return _answers([float(g) for g in grad], [[float(h) for h in row] for row in hess])
    except OverflowError:
        raise ValueError("the derivatives are too large to be numbers there") from None


def _monomial(x, exponents):
    out = 1
    for value, e in zip(x, exponents):
        if e:
            out *= value**e
    return out
