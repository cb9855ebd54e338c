"""``critical_points_2d``: every critical point of a polynomial f(x, y) and its classification.

The sampler writes f so that ∇f = 0 has only whole-number solutions: a separable
p(x) + q(y) whose one-variable derivatives have chosen integer roots (a double root gives
an inconclusive point), or a shifted classic with coupled equations — x³ + y³ − 3kxy,
xy(3k − x − y), x⁴ + y⁴ − 4sxy. The solver finds the points from f alone
(:mod:`calcgrade.solutions.critical_points_2d`), so explicit params work the same way.

>>> family = CriticalPoints2DFamily()
>>> params = family.validate({"f": "x^3 + y^3 - 3x - 3y"})
>>> answers = family.solve(params)
>>> answers["points"], answers["labels"]
([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]], ['maximum', 'saddle', 'saddle', 'minimum'])
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Polynomial
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject, relabelled
from calcgrade.problems.hessian import SYNONYMS
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import critical_points_2d as cp2
from calcgrade.solutions import hessian as hs

VARS = ("x", "y")
MAX_POINTS = 6
MAX_COEFFICIENT = 60
FORMS = ("separable", "coupled")
# the roots of p′ for one separable part: a cubic with two stationary points, a quadratic,
# a quartic with three, or a cubic with a double root of p′ (an inconclusive point)
PATTERNS = ((1, 1), (1, 1), (1,), (1, 1, 1), (2,))


@lru_cache(maxsize=1024)
def _poly(f: str) -> dict:
    poly = hs.poly_from_text(f, VARS)
    return poly if poly is not None else {}


@lru_cache(maxsize=1024)
def _analysis(f: str) -> tuple[tuple, tuple, tuple]:
    """((x, y) exact, ...), their labels and their exact Hessians."""
    poly = _poly(f)
    points = cp2.critical_points(poly)
    hessians = tuple(cp2.hessian_at(poly, p) for p in points)
    return tuple(points), tuple(cp2.classify_matrix(h) for h in hessians), hessians


def _answers(points, labels, *_) -> dict:
    return {"points": [[float(x) + 0.0, float(y) + 0.0] for x, y in points], "labels": list(labels)}


def _solved(params) -> dict:
    return _answers(*_analysis(params["f"]))


def _hessians(params) -> tuple:
    return _analysis(params["f"])[2]


def _relabel(params, label_of):
    labels = [label_of(h) for h in _hessians(params)]
    return None if labels == list(_analysis(params["f"])[1]) else {"labels": labels}


def _by_fxx(h) -> str:
    return "minimum" if h[0][0] > 0 else "maximum" if h[0][0] < 0 else "inconclusive"


def _det_misread(h) -> str:
    (a, b), (_, d) = h
    det = a * d - b * b
    if det > 0:
        return "saddle"
    if det < 0 and a != 0:
        return "minimum" if a > 0 else "maximum"
    return cp2.classify_matrix(h)


def _only_nonnegative(params):
    points, labels, _ = _analysis(params["f"])
    kept = [(p, label) for p, label in zip(points, labels) if p[0] >= 0 and p[1] >= 0]
    if not kept or len(kept) == len(points):
        return None
    return _answers([p for p, _ in kept], [label for _, label in kept])


class CriticalPoints2DFamily(Family):
    name = "critical_points_2d"
    topic = "Hessians and critical points"
    skills = ("solving ∇f = 0", "Hessian matrix", "second-derivative test in two variables")
    summary = "every critical point of a polynomial f(x, y), each classified by the second-derivative test"
    params = (ParamSpec("f", Polynomial(VARS, degree=(2, 6), shown="expression"),
                        "a polynomial in x and y whose critical points are finitely many and rational"),)
    options = (
        OptionSpec("form", "any", "how f is built: 'separable' (p(x) + q(y)), 'coupled' "
                   "(x and y mixed in ∇f = 0) or 'any'", choices=("any",) + FORMS),
    )
    # The points are a set and each label belongs to its point: what is graded is the set
    # of (point, label) pairs, in any order.
    answers = {
        "points": AnswerSpec("matrix", "the critical points, each [x, y], in any order",
                             unordered=True, pairs_with="labels"),
        "labels": AnswerSpec("labels", "the classification of each point, in the same order",
                             labels=cp2.LABELS, synonyms=SYNONYMS, unordered=True, pairs_with="points"),
    }

    catalog = (
        Mistake("missing_negative_solutions",
                "you are missing critical points: keep every solution of ∇f = 0, the negative "
                "ones too (x² = 1 gives x = 1 and x = −1)", _only_nonnegative),
        Mistake("classified_by_fxx_alone",
                "you seem to have classified by the sign of f_xx alone: first look at "
                "det H = f_xx·f_yy − f_xy²; det H < 0 is a saddle whatever the sign of f_xx",
                lambda params: _relabel(params, _by_fxx)),
        Mistake("min_max_swapped",
                "your minima and maxima are swapped: with det H > 0, f_xx > 0 (curving up) is a "
                "minimum and f_xx < 0 a maximum",
                relabelled("labels", {"minimum": "maximum", "maximum": "minimum"}, _solved)),
        Mistake("determinant_sign_misread",
                "the sign of det H is read the wrong way round: det H < 0 makes a saddle and "
                "det H > 0 a minimum or maximum (by the sign of f_xx)",
                lambda params: _relabel(params, _det_misread)),
    )

    def check(self, params):
        f = params["f"]
        try:
            points = _analysis(f)[0]
        except ValueError as error:
            raise ParamsError(f"{self.name}: param 'f': {error}; choose f whose critical points "
                              "are finitely many rational points") from None
        if len(points) > 12:
            raise ParamsError(f"{self.name}: param 'f' has {len(points)} critical points; at most "
                              "12 make a fair exercise")
        return {"f": f}

    def draw(self, rng: np.random.Generator, *, form):
        form = pick(rng, FORMS) if form == "any" else form
        if form == "separable":
            poly = hs.padd(_one_variable(rng, 0), _one_variable(rng, 1))
        else:
            poly = pick(rng, (_cubic, _product, _quartic))(rng)
        poly = hs.padd(poly, {(0, 0): nice(rng, -9, 9)})
        if max(abs(c) for c in poly.values()) > MAX_COEFFICIENT:
            raise Reject("coefficients too large")
        f = hs.poly_text(poly, VARS)
        try:
            points = _analysis(f)[0]
        except ValueError as error:
            raise Reject(str(error)) from None
        if len(points) > MAX_POINTS:
            raise Reject("too many critical points")
        return {"f": f}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        return {"f_latex": hs.poly_latex(_poly(params["f"]), VARS)}


# samplers: polynomials as {(i, j): c} ------------------------------------------------------------


def _one_variable(rng, var: int) -> dict:
    """s·p(v), p′ = ∏ (v − r)^μ with integer roots, scaled to whole coefficients."""
    pattern = pick(rng, PATTERNS)
    roots: list[int] = []
    while len(roots) < len(pattern):
        r = nice(rng, -2, 2)
        if r not in roots:
            roots.append(r)
    first = [Fraction(1)]
    for r, mult in zip(roots, pattern):
        for _ in range(mult):
            first = [Fraction(0)] + first  # times v ...
            for k in range(len(first) - 1):
                first[k] -= r * first[k + 1]  # ... minus r times
    p = [Fraction(0)] + [c / (k + 1) for k, c in enumerate(first)]
    scale = math.lcm(*(c.denominator for c in p)) * pick(rng, (1, -1))
    if len(p) <= 3:  # a quadratic part may be doubled
        scale *= pick(rng, (1, 2))
    return {(k, 0) if var == 0 else (0, k): int(c * scale) for k, c in enumerate(p) if c != 0}


def _shifted(rng, poly_in_xy) -> dict:
    """poly(x − h, y − k) for a small whole shift (h, k), often (0, 0)."""
    h, k = (nice(rng, -2, 2), nice(rng, -2, 2)) if rng.random() < 0.75 else (0, 0)
    x, y = hs.padd({(1, 0): 1, (0, 0): -h}), hs.padd({(0, 1): 1, (0, 0): -k})
    out: dict = {}
    for (i, j), c in poly_in_xy.items():
        out = hs.padd(out, {m: c * v for m, v in hs.pmul(hs.ppow(x, i, 2), hs.ppow(y, j, 2)).items()})
    return out


def _cubic(rng) -> dict:
    """c·(x³ + y³ − 3kxy): critical points (0, 0) and (k, k)."""
    k, c = pick(rng, (1, -1, 2, -2)), pick(rng, (1, -1, 2, -2))
    return _shifted(rng, {(3, 0): c, (0, 3): c, (1, 1): -3 * k * c})


def _product(rng) -> dict:
    """c·xy(3k − x − y): critical points (0, 0), (3k, 0), (0, 3k) and (k, k)."""
    k, c = pick(rng, (1, -1, 2, -2)), pick(rng, (1, -1, 2, -2))
    return _shifted(rng, {(1, 1): 3 * k * c, (2, 1): -c, (1, 2): -c})


def _quartic(rng) -> dict:
    """c·(x⁴ + y⁴ − 4sxy): critical points (0, 0), (1, s) and (−1, −s)."""
    s, c = pick(rng, (1, -1)), pick(rng, (1, -1, 2, -2))
    return _shifted(rng, {(4, 0): c, (0, 4): c, (1, 1): -4 * s * c})
