"""Critical points of a polynomial f(x, y), found exactly, and their classification.

A polynomial is ``{(i, j): coefficient}`` for the monomials x^i y^j (as in
:mod:`calcgrade.solutions.hessian`). ∇f = 0 is solved exactly: the resultant of f_x and
f_y with respect to y (its Sylvester determinant evaluated at whole numbers, then
interpolated) is a polynomial in x whose rational roots are the candidate x; at each, the
common rational roots in y of f_x(x, ·) and f_y(x, ·) complete the points. A real
solution that is not rational, a curve of critical points or no critical point at all
raises ``ValueError``. Each point is classified by the eigenvalue test of DESIGN §8, read
exactly from det H and the diagonal: det H < 0 → saddle, det H = 0 → inconclusive,
det H > 0 → minimum when f_xx > 0, maximum when f_xx < 0.

>>> answers = analyze({(3, 0): 1, (0, 3): 1, (1, 0): -3, (0, 1): -3})  # x³ + y³ − 3x − 3y
>>> answers["points"]
[[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]]
>>> answers["labels"]
['maximum', 'saddle', 'saddle', 'minimum']
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from calcgrade.solutions import critical_points_1d as cp

LABELS = ("minimum", "maximum", "saddle", "inconclusive")
MAX_DENOMINATOR = 1000


def partial(poly: dict, var: int) -> dict:
    """∂poly/∂x (``var`` 0) or ∂poly/∂y (``var`` 1)."""
    out = {}
    for mono, c in poly.items():
        if mono[var]:
            key = (mono[0] - 1, mono[1]) if var == 0 else (mono[0], mono[1] - 1)
            out[key] = out.get(key, 0) + c * mono[var]
    return {m: c for m, c in out.items() if c != 0}


def value_at(poly: dict, point) -> Fraction | int:
    """The polynomial at a point (exact for exact coordinates)."""
    x, y = point
    return sum(c * x**i * y**j for (i, j), c in poly.items())


def hessian_at(poly: dict, point) -> list[list]:
    """The exact Hessian [[f_xx, f_xy], [f_xy, f_yy]] at ``point``."""
    fx, fy = partial(poly, 0), partial(poly, 1)
    fxx, fxy, fyy = (value_at(p, point) for p in (partial(fx, 0), partial(fx, 1), partial(fy, 1)))
    return [[fxx, fxy], [fxy, fyy]]


def classify_matrix(h) -> str:
    """The eigenvalue test on an exact symmetric 2×2 matrix, through det and the diagonal."""
    (a, b), (_, d) = h
    det = a * d - b * b
    if det < 0:
        return "saddle"
    if det == 0:
        return "inconclusive"
    return "minimum" if a > 0 else "maximum"


# univariate polynomials: coefficient lists, lowest degree first --------------------------------


def _divmod(a: list, b: list) -> tuple[list, list]:
    a, b = cp.trim(a), cp.trim(b)
    quotient = [Fraction(0)] * max(len(a) - len(b) + 1, 1)
    rest = [Fraction(c) for c in a]
    while len(rest) >= len(b):
        shift = len(rest) - len(b)
        factor = rest[-1] / b[-1]
        quotient[shift] = factor
        for k, c in enumerate(b):
            rest[k + shift] -= factor * c
        rest = cp.trim(rest)
    return quotient, rest


def _gcd(a: list, b: list) -> list:
    """A greatest common divisor ([] when both are zero)."""
    a, b = cp.trim(a), cp.trim(b)
    while b:
        a, b = b, _divmod(a, b)[1]
    return a


def _squarefree(a: list) -> list:
    g = _gcd(a, cp.derivative(a))
    return a if len(g) <= 1 else cp.trim(_divmod(a, g)[0])


def rational_real_roots(coeffs: list) -> list[Fraction]:
    """The distinct real roots, ascending; ValueError when one of them is not rational.

    >>> rational_real_roots([-2, 1, 1]), rational_real_roots([-1, 2])  # (x − 1)(x + 2), 2x − 1
    ([-2, 1], [Fraction(1, 2)])
    """
    coeffs = cp.trim(Fraction(c) for c in coeffs)
    if len(coeffs) <= 1:
        return []
    simple = _squarefree(coeffs)
    if len(simple) == 2:
        root = -simple[0] / simple[1]
        return [root.numerator if root.denominator == 1 else root]
    top = max(abs(c) for c in simple)
    values = np.roots([float(c / top) for c in reversed(simple)])
    roots = set()
    for value in values:
        if abs(value.imag) > 1e-7 * max(1.0, abs(value)):
            continue
        guess = Fraction(float(value.real)).limit_denominator(MAX_DENOMINATOR)
        if cp.evaluate(simple, guess) != 0:
            raise ValueError("∇f = 0 has a solution that is not a rational number")
        roots.add(guess.numerator if guess.denominator == 1 else guess)
    return sorted(roots)


# the resultant of f_x and f_y with respect to y ------------------------------------------------


def _in_y(poly: dict) -> list[list]:
    """poly as coefficients in y (lowest first), each a coefficient list in x."""
    degree = max(j for _, j in poly)
    out = [[] for _ in range(degree + 1)]
    for (i, j), c in poly.items():
        column = out[j]
        column.extend([0] * (i + 1 - len(column)))
        column[i] += c
    return out


def _determinant(matrix: list[list[int]]) -> int:
    """Bareiss's fraction-free elimination on a whole-number matrix."""
    m = [list(row) for row in matrix]
    n, sign, previous = len(m), 1, 1
    for k in range(n - 1):
        if m[k][k] == 0:
            swap = next((r for r in range(k + 1, n) if m[r][k] != 0), None)
            if swap is None:
                return 0
            m[k], m[swap] = m[swap], m[k]
            sign = -sign
        for i in range(k + 1, n):
            for j in range(k + 1, n):
                m[i][j] = (m[i][j] * m[k][k] - m[i][k] * m[k][j]) // previous
        previous = m[k][k]
    return sign * m[-1][-1] if n else 1


def _sylvester(a: list, b: list) -> list[list]:
    m, n = len(a) - 1, len(b) - 1
    rows = [[0] * k + list(reversed(a)) + [0] * (n - 1 - k) for k in range(n)]
    rows += [[0] * k + list(reversed(b)) + [0] * (m - 1 - k) for k in range(m)]
    return rows


def resultant_in_x(a: dict, b: dict) -> list[Fraction]:
    """Res_y(a, b) as coefficients in x, for polynomials with whole-number coefficients."""
    ay, by = _in_y(a), _in_y(b)
    degree = (len(by) - 1) * max(len(c) - 1 for c in ay) + (len(ay) - 1) * max(len(c) - 1 for c in by)
    xs = [(k + 1) // 2 * (1 if k % 2 else -1) for k in range(degree + 1)]  # 0, 1, −1, 2, −2, ...
    values = [_determinant(_sylvester([cp.evaluate(c, x) for c in ay], [cp.evaluate(c, x) for c in by]))
              for x in xs]
    return _interpolate(xs, values)


def _interpolate(xs: list[int], values: list[int]) -> list[Fraction]:
    """The polynomial through (xs, values), by Newton's divided differences."""
    table = [Fraction(v) for v in values]
    n = len(xs)
    for level in range(1, n):
        for i in range(n - 1, level - 1, -1):
            table[i] = (table[i] - table[i - 1]) / (xs[i] - xs[i - level])
    out = [table[-1]]
    for i in range(n - 2, -1, -1):  # Horner on the Newton form: out·(x − x_i) + t_i
        times = [Fraction(0)] + out
        for k, c in enumerate(out):
            times[k] -= xs[i] * c
        times[0] += table[i]
        out = times
    return cp.trim(out)


def _whole(poly: dict) -> dict:
    scale = math.lcm(*(Fraction(c).denominator for c in poly.values()))
    return {m: int(Fraction(c) * scale) for m, c in poly.items()}


def _at_x(poly: dict, x) -> list:
    """poly(x, ·) as coefficients in y."""
    return cp.trim([cp.evaluate(c, x) for c in _in_y(poly)]) if poly else []


def critical_points(poly: dict) -> list[tuple]:
    """Every real solution of ∇f = 0, sorted (whole coordinates as ints, others as Fractions);
    ValueError when they are not finitely many and rational."""
    fx, fy = (_whole(d) if d else {} for d in (partial(poly, 0), partial(poly, 1)))
    if not fx or not fy:
        raise ValueError(f"f does not depend on {'x' if not fx else 'y'}, so its critical points "
                         "are not isolated")
    resultant = resultant_in_x(fx, fy)
    if not resultant:
        raise ValueError("f_x and f_y have a common factor, so ∇f = 0 is not a finite set of points")
    points = []
    for x in rational_real_roots(resultant):
        common = _gcd(_at_x(fx, x), _at_x(fy, x))
        if not common:
            raise ValueError(f"∇f = 0 along the whole line x = {x}")
        points.extend((x, y) for y in rational_real_roots(common))
    if not points:
        raise ValueError("f has no critical point (∇f = 0 has no real solution)")
    return sorted(points)


def analyze(poly: dict) -> dict:
    """``points`` (sorted, each [x, y]) and ``labels`` (one per point) of the polynomial f."""
    points = critical_points(poly)
    return {"points": [[float(x) + 0.0, float(y) + 0.0] for x, y in points],
            "labels": [classify_matrix(hessian_at(poly, p)) for p in points]}
