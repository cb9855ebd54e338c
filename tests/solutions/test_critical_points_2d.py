"""The exact critical-point solver on arbitrary small polynomials: every point it returns solves
∇f = 0 exactly, its labels agree with numpy's eigenvalues, it is bounded, and it finds
every point sympy finds (or refuses with a reason)."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings, strategies as st

from calcgrade.solutions import critical_points_2d as cp2
from calcgrade.solutions import hessian as hs

MONOMIALS = [(i, j) for i in range(5) for j in range(5) if 0 < i + j <= 4]
polynomials = st.dictionaries(st.sampled_from(MONOMIALS), st.integers(-3, 3).filter(bool), min_size=2, max_size=5)
X, Y = sp.symbols("x y")


@settings(max_examples=150, deadline=None)
@given(polynomials)
def test_points_solve_the_gradient_exactly_and_labels_follow_the_eigenvalues(poly):
    try:
        answers = cp2.analyze(poly)
        points = cp2.critical_points(poly)
    except ValueError as reason:
        assert str(reason)
        return
    fx, fy = cp2.partial(poly, 0), cp2.partial(poly, 1)
    for point, label in zip(points, answers["labels"]):
        assert cp2.value_at(fx, point) == 0 and cp2.value_at(fy, point) == 0
        h = np.array(cp2.hessian_at(poly, point), dtype=float)
        assert label == hs.classify(hs.eigenvalues(h))
    assert answers["points"] == sorted(answers["points"])


def test_the_resultant_of_two_lines_is_their_intersection():
    # y + (x − 3) and −y + (x − 1): Res_y = det [[1, x − 3], [−1, x − 1]] = 2x − 4, zero at x = 2
    resultant = cp2.resultant_in_x({(1, 0): 1, (0, 1): 1, (0, 0): -3}, {(1, 0): 1, (0, 1): -1, (0, 0): -1})
    assert [float(c) for c in resultant] == [-4.0, 2.0]


CUBIC = [(i, j) for i, j in MONOMIALS if i + j <= 3]  # quadratic gradients: quick for sympy


def random_polynomials(count: int, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        size = int(rng.integers(2, 6))
        poly = {CUBIC[int(k)]: int(rng.choice([-3, -2, -1, 1, 2, 3]))
                for k in rng.choice(len(CUBIC), size=size, replace=False)}
        try:
            cp2.critical_points(poly)
        except ValueError:
            continue
        out.append(poly)
    return out


@pytest.mark.slow
def test_every_critical_point_sympy_finds_is_found():
    for poly in random_polynomials(150, 3):
        f = sum(c * X**i * Y**j for (i, j), c in poly.items())
        solutions = sp.solve([sp.diff(f, X), sp.diff(f, Y)], [X, Y], dict=True)
        real = sorted((float(s[X]), float(s[Y])) for s in solutions
                      if len(s) == 2 and s[X].is_real and s[Y].is_real)
        assert [tuple(p) for p in cp2.analyze(poly)["points"]] == real, poly
