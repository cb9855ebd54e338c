"""Gradient, Hessian, eigenvalues and the second-derivative test at a point (DESIGN §8).

Eigenvalues come from ``numpy.linalg.eigvalsh`` (the Hessian is symmetric), ascending.
An eigenvalue counts as zero when ``|λ| <= 1e-9 * max(1, max|λ|)``; a positive and a
negative eigenvalue make a saddle (even if another is zero), otherwise any zero makes the
test inconclusive, all positive a minimum, all negative a maximum.

>>> from calcgrade.solutions.parse import parse_expression
>>> f = parse_expression("2x^2 + 3y^2 - x*y", ["x", "y"])
>>> result = analyze(f, ["x", "y"], [0, 0])
>>> result["hessian"], result["classification"]
([[4.0, -1.0], [-1.0, 6.0]], 'minimum')
>>> classify([-2.0, 0.0, 2.0]), classify([0.0, 1.0, 3.0])
('saddle', 'inconclusive')
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.solutions import calculus
from calcgrade.solutions.expr import Expr

LABELS = ("minimum", "maximum", "saddle", "inconclusive")
ZERO_RTOL = 1e-9


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


def eigenvalues(matrix) -> list[float]:
    """Eigenvalues of a symmetric matrix, ascending, with those that count as zero set to 0.0."""
    values = np.linalg.eigvalsh(np.asarray(matrix, dtype=float))
    scale = _scale(values)
    return [0.0 if is_zero(v, scale) else float(v) for v in values]


def has_zero_eigenvalue(values) -> bool:
    """Whether some eigenvalue counts as zero."""
    scale = _scale(values)
    return any(is_zero(v, scale) for v in values)


def _clean(value: float) -> float:
    return float(value) + 0.0  # turns -0.0 into 0.0


def analyze(f: Expr, variables: list[str], point) -> dict:
    """``gradient``, ``hessian``, ``eigenvalues`` (ascending) and ``classification`` of ``f`` at ``point``.

    Raises ``ValueError`` when f or a derivative is not a finite number there.
    """
    grad = calculus.evaluate_vector(calculus.gradient(f, variables), variables, point)
    hess = calculus.evaluate_matrix(calculus.hessian(f, variables), variables, point)
    value = calculus.evaluate_vector([f], variables, point)
    if not (np.all(np.isfinite(grad)) and np.all(np.isfinite(hess)) and math.isfinite(value[0])):
        raise ValueError("f or one of its first or second derivatives is not defined there")
    values = eigenvalues(hess)
    return {
        "gradient": [_clean(g) for g in grad],
        "hessian": [[_clean(h) for h in row] for row in hess],
        "eigenvalues": values,
        "classification": classify(values),
    }
