"""Whether two expressions are the same function: evaluation at seeded sample points.

>>> from calcgrade.core.parse import parse_expression
>>> x = ("x",)
>>> expressions_equivalent(parse_expression("x*e^x + e^x", x), parse_expression("(x+1)*exp(x)", x), x)
True
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core import expr as ex
from calcgrade.core.numeric import compile_numeric

SAMPLE_SEED = 20260101
SAMPLE_POINTS = 24


def sample_points(reference: ex.Expr, variables: tuple[str, ...]) -> list[dict[str, float]]:
    """Seeded points: half anywhere in [-3, 3], half positive (for logs and roots)."""
    rng = np.random.default_rng(SAMPLE_SEED)
    columns = {}
    for name in variables:
        anywhere = rng.uniform(-3.0, 3.0, SAMPLE_POINTS // 2)
        positive = rng.uniform(0.2, 4.0, SAMPLE_POINTS - SAMPLE_POINTS // 2)
        columns[name] = np.concatenate([anywhere, positive])
    return [{name: float(columns[name][k]) for name in variables} for k in range(SAMPLE_POINTS)]


def _values(tree: ex.Expr, points: list[dict], complex_mode: bool) -> np.ndarray:
    env = {name: np.array([p[name] for p in points], dtype=complex if complex_mode else float)
           for name in (points[0] if points else {})}
    with np.errstate(all="ignore"):
        out = compile_numeric(tree)(env)
    return np.broadcast_to(np.asarray(out, dtype=complex if complex_mode else float), (len(points),))


def values_equivalent(values: list, reference: ex.Expr, points: list[dict], rtol: float = 1e-3,
                      atol: float = 1e-6) -> bool | None:
    """Whether values computed at ``points`` (plain data; non-numbers count as no value)
    are the reference's values there."""
    truth = _values(reference, points, False)
    decided = 0
    for got, want in zip(values, truth):
        number = isinstance(got, (int, float)) and not isinstance(got, bool) and math.isfinite(got)
        if not math.isfinite(want):
            continue
        if not number or abs(got - want) > atol + rtol * abs(want):
            return False
        decided += 1
    return True if decided >= 4 else None


def expressions_equivalent(student: ex.Expr, reference: ex.Expr, variables: tuple[str, ...],
                           rtol: float = 1e-3, atol: float = 1e-6) -> bool | None:
    """True, False, or None when the sample points cannot decide."""
    if student == reference:
        return True
    points = sample_points(reference, variables)
    s_real, r_real = _values(student, points, False), _values(reference, points, False)
    real_ok = np.isfinite(s_real) & np.isfinite(r_real)
    decided = int(real_ok.sum())
    scale = atol + rtol * np.abs(r_real[real_ok])
    if np.any(np.abs(s_real[real_ok] - r_real[real_ok]) > scale):
        return False
    if np.any(np.isfinite(r_real) & ~np.isfinite(s_real)):
        s_complex, r_complex = _values(student, points, True), _values(reference, points, True)
        where = np.isfinite(r_real) & ~np.isfinite(s_real) & np.isfinite(s_complex)
        if np.any(np.abs(s_complex[where] - r_complex[where]) > atol + rtol * np.abs(r_complex[where])):
            return False
        if not np.all(np.isfinite(s_complex[np.isfinite(r_real)])):
            return False
        decided += int(where.sum())
    return True if decided >= 4 else None
