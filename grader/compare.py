"""Whether an answer matches the reference, per answer kind (DESIGN §5).

Values are plain JSON data: numbers, lists, strings. Expressions are compared by
evaluation at seeded sample points, with a complex fallback where the real value is
undefined; :func:`expressions_equivalent` returns ``None`` when sampling cannot decide.

>>> from calcgrade.problems.family import AnswerSpec
>>> answer_matches(AnswerSpec("scalar", "a value"), 0.14475, 0.144744)
True
>>> spec = AnswerSpec("expression", "f'(x)", variables=("x",))
>>> answer_matches(spec, "x*e^x + e^x", "(x + 1)*exp(x)")
True
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ExpressionError
from calcgrade.core import expr as ex
from calcgrade.core.parse import parse_expression

SAMPLE_SEED = 20260101
SAMPLE_POINTS = 24


def is_number(value) -> bool:
    """Finite int or float, not a bool."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def scalar_close(value, reference, rtol: float, atol: float) -> bool:
    """``|s - r| <= atol + rtol |r|`` for numbers; anything else is not close."""
    if not is_number(value) or not is_number(reference):
        return False
    return abs(value - reference) <= atol + rtol * abs(reference)


def arrays_close(value, reference, rtol: float, atol: float) -> bool:
    """Same nested shape and every entry close."""
    if isinstance(reference, list):
        return (isinstance(value, list) and len(value) == len(reference)
                and all(arrays_close(v, r, rtol, atol) for v, r in zip(value, reference)))
    return scalar_close(value, reference, rtol, atol)


def normalize_label(value, spec) -> str | None:
    """The canonical label for ``value`` (case, spaces and synonyms folded), or None."""
    if not isinstance(value, str):
        return None
    text = " ".join(value.strip().lower().replace("_", " ").replace("-", " ").split())
    for label in spec.labels:
        if text == label.lower():
            return label
    return spec.synonyms.get(text)


def answer_matches(spec, value, reference) -> bool:
    """Whether ``value`` is right for an answer of this spec (undecided counts as no)."""
    kind = spec.kind
    if kind == "scalar":
        return scalar_close(value, reference, spec.rtol, spec.atol)
    if kind in ("vector", "matrix", "iterates"):
        return arrays_close(value, reference, spec.rtol, spec.atol)
    if kind == "label":
        return normalize_label(value, spec) == reference
    if kind == "labels":
        return (isinstance(value, list) and len(value) == len(reference)
                and all(normalize_label(v, spec) == r for v, r in zip(value, reference)))
    if kind == "expression":
        return expressions_equivalent(value, reference, spec.variables, spec.rtol, spec.atol) is True
    raise ValueError(f"cannot compare answers of kind {kind!r}")


@lru_cache(maxsize=64)
def _sample_points(variables: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Seeded points: half anywhere in [-3, 3], half positive (for logs and roots)."""
    rng = np.random.default_rng(SAMPLE_SEED)
    points = {}
    for name in variables:
        anywhere = rng.uniform(-3.0, 3.0, SAMPLE_POINTS // 2)
        positive = rng.uniform(0.2, 4.0, SAMPLE_POINTS - SAMPLE_POINTS // 2)
        points[name] = np.concatenate([anywhere, positive])
    return points


def _values(tree: ex.Expr, points: dict, complex_mode: bool) -> np.ndarray:
    env = {k: (v.astype(complex) if complex_mode else v) for k, v in points.items()}
    with np.errstate(all="ignore"):
        out = ex.compile_numeric(tree)(env)
    return np.broadcast_to(np.asarray(out, dtype=complex if complex_mode else float),
                           (SAMPLE_POINTS,))


def expressions_equivalent(value, reference, variables, rtol: float = 1e-3,
                           atol: float = 1e-6) -> bool | None:
    """True, False, or None when the sample points cannot decide.

    ``value`` and ``reference`` are text (or trees); text that does not parse is False.
    """
    variables = tuple(variables)
    try:
        student = value if isinstance(value, ex.Expr) else parse_expression(value, variables)
    except ExpressionError:
        return False
    truth = reference if isinstance(reference, ex.Expr) else parse_expression(reference, variables)
    if student == truth:
        return True
    points = _sample_points(variables)
    s_real, r_real = _values(student, points, False), _values(truth, points, False)
    real_ok = np.isfinite(s_real) & np.isfinite(r_real)
    decided = int(real_ok.sum())
    scale = atol + rtol * np.abs(r_real[real_ok])
    if np.any(np.abs(s_real[real_ok] - r_real[real_ok]) > scale):
        return False
    if np.any(np.isfinite(r_real) & ~np.isfinite(s_real)):
        s_complex, r_complex = _values(student, points, True), _values(truth, points, True)
        where = np.isfinite(r_real) & ~np.isfinite(s_real) & np.isfinite(s_complex)
        if np.any(np.abs(s_complex[where] - r_complex[where]) > atol + rtol * np.abs(r_complex[where])):
            return False
        if not np.all(np.isfinite(s_complex[np.isfinite(r_real)])):
            return False
        decided += int(where.sum())
    return True if decided >= 4 else None
