"""Points of non-differentiability against an independent numerical probe of f.

f is rebuilt from the params with sympy (polynomials) and numpy (abs, max, cbrt, step), and
each point is classified from one-sided difference quotients at two step sizes: a quotient
that grows as the step shrinks is infinite.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import non_differentiable as nd

from ..sweep import sweep

X = sympy.Symbol("x", real=True)
family = get_family("non_differentiable")
TERMS = {"abs": np.abs, "relu": lambda t: np.maximum(0.0, t), "cbrt": np.cbrt,
         "cbrt_sq": lambda t: np.cbrt(t) ** 2, "step": lambda t: np.where(t >= 0, 1.0, 0.0)}


def polynomial(text):
    return sympy.lambdify(X, sympy.sympify(text, locals={"x": X}) + 0 * X, "numpy")


def numeric(params):
    if "terms" in params:
        smooth = polynomial(params.get("smooth", "0"))

        def f(x):
            x = np.asarray(x, dtype=float)
            total = smooth(x) + 0.0 * x
            for kind, c, a in params["terms"]:
                total = total + c * TERMS[kind](x - a)
            return total
        return f
    pieces = [polynomial(p) for p in params["pieces"]]
    breaks = params["breaks"]

    def f(x):
        x = np.asarray(x, dtype=float)
        index = np.searchsorted(breaks, x, side="right")
        return np.choose(index, [p(x) + 0.0 * x for p in pieces])
    return f


def probe(f, a):
    """'jump', 'corner', 'cusp', 'vertical tangent' or None (differentiable) at a."""
    big, small = 1e-4, 1e-10
    if abs(float(f(a + 1e-12)) - float(f(a - 1e-12))) > 0.1:  # (cube roots move by ~1e-4)
        return "jump"
    slopes = {}
    for h in (big, small):
        slopes[h] = ((float(f(a)) - float(f(a - h))) / h, (float(f(a + h)) - float(f(a))) / h)
    infinite = [abs(slopes[small][i]) > 10 * abs(slopes[big][i]) + 10 for i in (0, 1)]
    left, right = slopes[small]
    if all(infinite):
        return "vertical tangent" if left * right > 0 else "cusp"
    if any(infinite):
        return "unexpected"
    return "corner" if abs(slopes[big][0] - slopes[big][1]) > 1e-2 else None


@pytest.mark.parametrize("count", sweep(200))
def test_points_and_kinds_over_200_seeds_against_a_numerical_probe(count):
    grid = np.linspace(-4.27, 4.31, 41)
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        f = numeric(params)
        assert answers["kinds"] == [probe(f, a) for a in answers["points"]], params
        others = [x for x in grid if min((abs(x - a) for a in answers["points"]), default=9) > 0.05]
        breaks = params.get("breaks", [])
        assert all(probe(f, x) is None for x in others + list(breaks) if x not in answers["points"]), params


def test_relu_subgradient_is_the_interval_of_one_sided_slopes():
    for seed in range(100):
        params = family.sample(generator(seed), function="relu")
        (_, c, a), = params["terms"]
        f, h = numeric(params), 1e-6
        left = (float(f(a)) - float(f(a - h))) / h
        right = (float(f(a + h)) - float(f(a))) / h
        assert family.solve(params)["subgradient"] == pytest.approx([left, right], abs=1e-4)


def test_textbook_examples():
    assert nd.analyze_terms([["abs", 1, 0]]) == {"points": [0.0], "kinds": ["corner"]}
    assert nd.analyze_terms([["relu", 1, 0]]) == {"points": [0.0], "kinds": ["corner"]}
    assert nd.relu_subgradient(1, 0, {}) == [0.0, 1.0]
    assert nd.analyze_terms([["cbrt", 1, 0]])["kinds"] == ["vertical tangent"]
    assert nd.analyze_terms([["cbrt_sq", 1, 0]])["kinds"] == ["cusp"]
    assert nd.analyze_terms([["step", 1, 0]])["kinds"] == ["jump"]
    # x² for x < 1, 2x − 1 after: value and slope agree, so f is differentiable at 1
    assert nd.analyze_pieces([{(2,): 1}, {(1,): 2, (0,): -1}], [1]) == {"points": [], "kinds": []}
    assert nd.analyze_pieces([{(2,): 1}, {(1,): 1}], [1]) == {"points": [1.0], "kinds": ["corner"]}
    assert nd.relu_subgradient(2, 1, {(2,): 1, (1,): -3}) == [-1.0, 1.0]
