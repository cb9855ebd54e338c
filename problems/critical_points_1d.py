"""``critical_points_1d``: the stationary points of a polynomial and their classification.

The sampler picks the roots of f′ (integers and halves, some repeated) and integrates, so
every stationary point is exact; a triple root of f′ makes f″ = 0 at a minimum or maximum,
where only the higher-order test decides. Params: ``f``, a polynomial in x.

>>> family = CriticalPoints1DFamily()
>>> params = family.validate({"f": "x^4/4 - x^3/3"})
>>> family.solve(params)
{'points': [0.0, 1.0], 'labels': ['neither', 'local minimum']}
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Polynomial
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject, relabelled
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import critical_points_1d as cp
from calcgrade.solutions import hessian as hs

MAX_DEGREE = 8
SYNONYMS = {
    "min": "local minimum", "minimum": "local minimum", "local min": "local minimum",
    "relative minimum": "local minimum", "relative min": "local minimum",
    "max": "local maximum", "maximum": "local maximum", "local max": "local maximum",
    "relative maximum": "local maximum", "relative max": "local maximum",
    "saddle": "neither", "saddle point": "neither", "inflection": "neither",
    "inflection point": "neither", "point of inflection": "neither", "none": "neither",
    "neither min nor max": "neither", "neither minimum nor maximum": "neither",
}
# multiplicities of the roots of f′, by the degree of f′
PATTERNS = {2: ((1, 1), (1, 1), (2,)),
            3: ((1, 1, 1), (2, 1), (3,)),
            4: ((1, 1, 1, 1), (2, 1, 1), (2, 2), (3, 1))}


def _coefficients(poly: dict) -> list:
    """{(e,): c} -> [c0, c1, ...]."""
    degree = max((e for (e,) in poly), default=0)
    return [poly.get((k,), 0) for k in range(degree + 1)]


@lru_cache(maxsize=512)
def _poly(f: str) -> dict | None:
    """A canonical polynomial text (as :func:`hs.poly_text` writes it) as {(e,): c}, or None."""
    return hs.poly_from_text(f, ["x"])


@lru_cache(maxsize=512)
def _analysis(f: str) -> tuple[tuple, tuple]:
    """((root, multiplicity), ...) and the labels, for a canonical polynomial text."""
    coeffs = _coefficients(_poly(f))
    roots = cp.stationary_points(coeffs)
    return tuple(roots), tuple(cp.classify(coeffs, r) for r, _ in roots)


def _answers(roots, labels) -> dict:
    return {"points": [float(r) + 0.0 for r, _ in roots], "labels": list(labels)}


def _no_higher_order_test(params):
    coeffs = _coefficients(_poly(params["f"]))
    second = cp.derivative(cp.derivative(coeffs))
    roots, labels = _analysis(params["f"])
    flat = [label if cp.evaluate(second, r) != 0 else "neither" for (r, _), label in zip(roots, labels)]
    return None if flat == list(labels) else {"labels": flat}


def _missing_repeated(params):
    roots, labels = _analysis(params["f"])
    kept = [(root, label) for root, label in zip(roots, labels) if root[1] == 1]
    if len(kept) == len(roots):
        return None
    return _answers([root for root, _ in kept], [label for _, label in kept])


class CriticalPoints1DFamily(Family):
    name = "critical_points_1d"
    topic = "critical points in one variable"
    skills = ("setting f′ to zero", "factoring", "second-derivative test", "higher-order derivative test")
    summary = "the stationary points of a polynomial, each classified as local minimum, local maximum or neither"
    params = (ParamSpec("f", Polynomial(("x",), degree=(2, MAX_DEGREE), shown="expression"),
                        "a polynomial in x of degree 2 to 8 with rational stationary points"),)
    options = (
        OptionSpec("degree", "any", "the degree of f (3, 4, 5 or 'any')", choices=("any", 3, 4, 5)),
    )
    # The points are a set, listed ascending by convention, and each label belongs to its
    # point: what is graded is the set of (point, label) pairs, in any order.
    answers = {
        "points": AnswerSpec("vector", "the stationary points (f′(x) = 0), ascending",
                             unordered=True, pairs_with="labels"),
        "labels": AnswerSpec("labels", "the classification of each stationary point, in the same order",
                             labels=cp.LABELS, synonyms=SYNONYMS, unordered=True, pairs_with="points"),
    }

    catalog = (
        Mistake("no_higher_order_test",
                "where f″ = 0 the second-derivative test is inconclusive, not a verdict of "
                "'neither': look at the first non-zero higher derivative (even order: minimum or "
                "maximum by its sign; odd order: neither)", _no_higher_order_test),
        Mistake("min_max_swapped",
                "your minima and maxima are swapped: f″ > 0 (curving up) is a local minimum, "
                "f″ < 0 a local maximum",
                relabelled("labels", {"local minimum": "local maximum", "local maximum": "local minimum"},
                           lambda params: _answers(*_analysis(params["f"])))),
        Mistake("missing_repeated_root",
                "you are missing a repeated root of f′: a factor like (x − r)² or (x − r)³ still "
                "makes f′(r) = 0", _missing_repeated),
    )

    def check(self, params):
        f = params["f"]
        try:
            roots, _ = _analysis(f)
        except ValueError as error:
            raise ParamsError(f"{self.name}: param 'f': {error}; choose f whose stationary points "
                              "are rational") from None
        if not roots:
            raise ParamsError(f"{self.name}: param 'f' has no stationary points (f′ has no real root)")
        return {"f": f}

    def draw(self, rng: np.random.Generator, *, degree):
        degree = pick(rng, (3, 4, 5)) if degree == "any" else degree
        pattern = pick(rng, PATTERNS[degree - 1])
        roots: list[Fraction] = []
        half = rng.random() < 0.3  # at most one half-integer root
        while len(roots) < len(pattern):
            if half and not roots:
                r = Fraction(2 * nice(rng, -3, 2) + 1, 2)
            else:
                r = Fraction(nice(rng, -3, 3))
            if r not in roots:
                roots.append(r)
        first = [Fraction(1)]  # f′ = ∏ (x − r)^μ, then f = ∫ f′ scaled to whole numbers
        for r, mult in zip(roots, pattern):
            for _ in range(mult):
                first = _times(first, [-r, Fraction(1)])
        f = [Fraction(0)] + [c / (k + 1) for k, c in enumerate(first)]
        scale = math.lcm(*(c.denominator for c in f))
        top = max(abs(c) for c in f) * scale
        factor = pick(rng, (1, -1)) * scale * (pick(rng, (1, 2)) if 2 * top <= 100 else 1)
        f = [c * factor for c in f]
        f[0] = Fraction(nice(rng, -9, 9))
        if max(abs(c) for c in f) > 300:
            raise Reject("coefficients too large")
        poly = {(k,): (int(c) if c.denominator == 1 else c) for k, c in enumerate(f) if c != 0}
        return {"f": hs.poly_text(poly, ["x"])}

    def solve(self, params):
        return _answers(*_analysis(params["f"]))

    def context(self, params):
        return {"f_latex": hs.poly_latex(_poly(params["f"]), ["x"])}


def _times(a: list, b: list) -> list:
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] += x * y
    return out
