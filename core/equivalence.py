"""Whether two expressions are equal, decided where the reference lives (DESIGN §5).

Sampling: :func:`sample_points` probes a seeded multi-scale set of candidate points
(moderate ones in [-4, 4] and ones from 1e-4 to 1e7 in size, both signs), keeps those
where the reference is real and finite, looks closer around them when they are few, and
picks a spread of them: that is the reference's real domain, however narrow or far away
(``log((x+1)/(1-x))`` in (-1, 1), ``sqrt(x - 50)``, ``sqrt(1 - x^2 - y^2)``). Negative
values are sampled wherever the reference is defined there, so ``sqrt(x^2)`` is not
``x`` and ``log(x^2)`` is not ``2*log(x)``.

Deciding (:func:`expressions_equivalent`): False as soon as one point disagrees beyond
``atol + rtol*|reference|`` or the student's expression is undefined where the
reference is defined (where the reference is undefined, the student's value is not
judged: the reference's domain is the question's). Floats that overflow, underflow or
disagree are recomputed at two high precisions (:mod:`calcgrade.core.evaluation`), so
``(x - 2)**6000`` and ``exp(800*x)`` are compared exactly and a float's lost digits never
make a right answer wrong. True needs at least ``MIN_AGREEING`` agreeing points and
agreement at most of the sampled ones. When the reference has too few real points, a
complex evaluation at points where *both* are undefined in the reals may confirm (never
refute, never overrule the reals); then sympy in a bounded helper process
(:mod:`calcgrade.core.symbolic`); None only when that cannot decide either.

>>> from calcgrade.core.parse import parse_expression as parse
>>> expressions_equivalent(parse("x e^x + e^x", "x"), parse("(x + 1) exp(x)", "x"), ("x",))
True
>>> expressions_equivalent(parse("sqrt(x^2)", "x"), parse("x", "x"), ("x",))
False
>>> points = sample_points(parse("log((x+1)/(1-x))", "x"), ("x",))
>>> len(points), all(-1 < p["x"] < 1 for p in points)
(24, True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from calcgrade.core import expr as ex
from calcgrade.core.evaluation import (Budget, Unrepresentable, evaluate_complex, evaluate_floats,
                                       precise_context, precise_value)
from calcgrade.core.symbolic import SymbolicChecker

SEED = 20260101
TARGET_POINTS = 24        # points sampled per reference
MIN_AGREEING = 8          # agreeing points needed for True
CORE_RADIUS = 4.0         # "moderate" points: every coordinate in [-4, 4]
MAX_NODES = 4000          # larger trees are not compared (None)
MAX_DEPTH = 200
MAX_NUMBER_BITS = 20_000  # larger exact numbers are not compared (None)
PRECISE_POINTS = 48       # high-precision point evaluations per comparison
NUMERIC_SECONDS = 2.0     # wall clock for the high-precision work of one comparison
COMPLEX_POINTS = 64
SEARCH_SECONDS = 0.5      # wall clock for walking towards a domain the candidates missed

_checker: SymbolicChecker | None = None


def symbolic_checker() -> SymbolicChecker:
    """The shared sympy helper (started on its first question, killed by :func:`close`)."""
    global _checker
    if _checker is None:
        _checker = SymbolicChecker()
    return _checker


def close() -> None:
    """Stop the sympy helper process, if one runs (also done at interpreter exit)."""
    if _checker is not None:
        _checker.close()


# guards -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def tree_fits(tree: ex.Expr) -> bool:
    """Whether the tree is small enough to compare: nodes, depth and exact numbers bounded.

    >>> tree_fits(ex.Sym("x") ** 2 + 1), tree_fits(ex.Num(10 ** 7000))
    (True, False)
    """
    stack, nodes = [(tree, 1)], 0
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES or depth > MAX_DEPTH:
            return False
        if isinstance(node, ex.Num):
            value = node.value
            if value.numerator.bit_length() + value.denominator.bit_length() > MAX_NUMBER_BITS:
                return False
        stack.extend((arg, depth + 1) for arg in node.args)
    return True


# sampling -----------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _candidates(dimension: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded candidate points: moderate ones, and ones of every size and sign."""
    rng = np.random.default_rng([SEED, dimension])
    n = 512 + 512 * dimension
    core = rng.uniform(-CORE_RADIUS, CORE_RADIUS, (n, dimension))
    sizes = 10.0 ** rng.uniform(-4.0, 4.0, (n, dimension))
    far = 10.0 ** rng.uniform(4.0, 7.0, (n, dimension))
    sizes = np.where(rng.random((n, dimension)) < 0.1, far, sizes)
    signs = np.where(rng.random((n, dimension)) < 0.5, -1.0, 1.0)
    wide = np.where(rng.random((n, dimension)) < 0.3, core, signs * sizes)
    return core, wide


def _columns(points: np.ndarray, variables: tuple[str, ...]) -> dict[str, np.ndarray]:
    return {name: points[:, k] for k, name in enumerate(variables)}


def _evaluate(tree: ex.Expr, points: np.ndarray, variables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values, undefined, untrusted = evaluate_floats(tree, _columns(points, variables))
    shape = (len(points),)
    return (np.broadcast_to(values, shape), np.broadcast_to(undefined, shape),
            np.broadcast_to(untrusted, shape))


def _spread(points: np.ndarray, k: int, scaled: bool, spread_out: float = 0.5) -> list[int]:
    """``k`` row indices: a ``spread_out`` share chosen farthest-point first (in asinh
    coordinates if ``scaled``), the rest in candidate order."""
    if k <= 0 or len(points) == 0:
        return []
    if k >= len(points):
        return list(range(len(points)))
    coords = np.arcsinh(points) if scaled else points
    chosen = [0]
    distance = np.linalg.norm(coords - coords[0], axis=1)
    for _ in range(max(1, round(k * spread_out)) - 1):
        index = int(np.argmax(distance))
        chosen.append(index)
        distance = np.minimum(distance, np.linalg.norm(coords - coords[index], axis=1))
    taken = set(chosen)
    for i in range(len(points)):
        if len(chosen) >= k:
            break
        if i not in taken:
            chosen.append(i)
    return chosen


def _is_core(points: np.ndarray) -> np.ndarray:
    return np.all(np.abs(points) <= CORE_RADIUS, axis=1)


def _refine(reference: ex.Expr, variables, found: np.ndarray, rng) -> np.ndarray:
    """More domain points around ``found`` ones: steps relative to their size (1 down to
    1e-9) and to how far apart they are."""
    seeds = found[_spread(found, 16, scaled=True)]
    relative = 10.0 ** -np.arange(10.0)[:, None] * np.maximum(np.abs(seeds), 1e-2)[:, None, :]
    apart = np.ptp(found, axis=0)
    steps = np.concatenate([relative, np.broadcast_to(apart * [[1.0], [0.1]], (len(seeds), 2, found.shape[1]))], axis=1)
    steps = np.tile(steps, (1, 3, 1))
    near = (seeds[:, None, :] + rng.standard_normal(steps.shape) * steps).reshape(-1, found.shape[1])
    values, undefined, untrusted = _evaluate(reference, near, variables)
    return near[~undefined & ~untrusted]


def _constraints(tree: ex.Expr) -> list[tuple[str, ex.Expr]]:
    """The subexpressions whose sign the real domain depends on, with the condition."""
    found, stack, seen = [], [tree], set()
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        if isinstance(node, ex.Fn) and node.name == "log":
            found.append(("positive", node.arg))
        elif isinstance(node, ex.Fn) and node.name in ("asin", "acos"):
            found.append(("unit", node.arg))
        elif isinstance(node, ex.Pow) and not (isinstance(node.exp, ex.Num) and node.exp.value.denominator % 2):
            found.append(("nonnegative", node.base))
        stack.extend(node.args)
    return found


def _violation(reference: ex.Expr, constraints, points: np.ndarray, variables):
    """How far each point is from meeting every domain condition (0 where it does), and
    where the reference is defined (trusted and finite)."""
    memo: dict = {}
    _, undefined, untrusted = evaluate_floats(reference, _columns(points, variables), memo)
    shape = (len(points),)
    total = np.zeros(shape)
    for condition, arg in constraints:
        values, arg_undefined, arg_untrusted = (np.broadcast_to(a, shape) for a in memo[arg])
        if condition == "unit":
            miss = np.maximum(np.abs(values) - 1.0, 0.0)
        else:
            miss = np.maximum(-values, 0.0) + ((values == 0) if condition == "positive" else 0.0)
        total = total + np.where(arg_undefined | arg_untrusted, 1e300, miss)
    return total, ~np.broadcast_to(undefined | untrusted, shape)


def _search_domain(reference: ex.Expr, variables, candidates: np.ndarray, rng) -> np.ndarray:
    """Points of a domain the candidates missed (``sqrt(0.001 - (x - 7)^2)``), found by
    walking from the candidates nearest to meeting the domain conditions."""
    constraints = _constraints(reference)
    if not constraints:
        return candidates[:0]
    violation, _ = _violation(reference, constraints, candidates, variables)
    order = np.argsort(violation, kind="stable")[:8]
    best, best_violation = candidates[order], violation[order]
    scales = np.array([1.0, 0.3, 0.1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6])
    rows = np.arange(len(best))
    deadline = time.monotonic() + SEARCH_SECONDS
    for _ in range(40):
        if time.monotonic() > deadline:
            break
        steps = scales[np.arange(16) % len(scales)][None, :, None] * np.maximum(np.abs(best), 1e-3)[:, None, :]
        trials = best[:, None, :] + rng.standard_normal((len(best), 16, best.shape[1])) * steps
        flat = trials.reshape(-1, best.shape[1])
        trial_violation, inside = _violation(reference, constraints, flat, variables)
        if inside.any():
            return flat[inside]
        trial_violation = trial_violation.reshape(len(best), -1)
        pick = np.argmin(trial_violation, axis=1)
        better = trial_violation[rows, pick] < best_violation
        best[better] = trials[rows, pick][better]
        best_violation = np.minimum(best_violation, trial_violation[rows, pick])
    return candidates[:0]


@dataclass(frozen=True)
class SamplePlan:
    """A reference's sample points and its values there.

    ``values`` holds floats where they are trustworthy; at points where only high
    precision could evaluate the reference, ``precise`` is True and ``values`` nan.
    ``outside`` are candidate points where the reference is undefined in the reals.
    """

    variables: tuple[str, ...]
    points: np.ndarray
    values: np.ndarray
    precise: np.ndarray
    outside: np.ndarray


@lru_cache(maxsize=512)
def plan_samples(reference: ex.Expr, variables: tuple[str, ...]) -> SamplePlan:
    """The sample plan of a reference (cached); see :func:`sample_points`."""
    dimension = len(variables)
    if dimension == 0:  # a constant: one point, unless it is undefined
        values, undefined, untrusted = _evaluate(reference, np.zeros((1, 0)), variables)
        keep = ~undefined
        return SamplePlan(variables, np.zeros((int(keep.sum()), 0)), values[keep], untrusted[keep],
                          np.zeros((0, 0)))
    core, wide = _candidates(dimension)
    candidates = np.vstack([core, wide])
    values, undefined, untrusted = _evaluate(reference, candidates, variables)
    found = candidates[~undefined & ~untrusted]
    rng = np.random.default_rng([SEED, dimension, 1])
    if len(found) == 0:
        found = _search_domain(reference, variables, candidates, rng)
    found_first = len(found) if len(found) >= TARGET_POINTS else 0
    for _ in range(4):
        if len(found) >= TARGET_POINTS or len(found) == 0:
            break
        found = np.unique(np.vstack([found, _refine(reference, variables, found, rng)]), axis=0)
        found = found[rng.permutation(len(found))]  # "in candidate order" is random again
    refined = len(found) > found_first
    in_core = _is_core(found)
    n_core = min(int(in_core.sum()), 2 * TARGET_POINTS // 3)
    n_wide = min(int((~in_core).sum()), TARGET_POINTS - n_core)
    n_core = min(int(in_core.sum()), TARGET_POINTS - n_wide)
    share = 1.0 if refined else 0.5  # refined points cluster: spread them all
    chosen = [found[in_core][_spread(found[in_core], n_core, False, share)],
              found[~in_core][_spread(found[~in_core], n_wide, True, share)]]
    points = np.vstack(chosen)
    precise_points = np.zeros((0, dimension))
    if len(points) < TARGET_POINTS and untrusted.any():
        precise_points = _precise_domain(reference, variables, candidates[untrusted],
                                         TARGET_POINTS - len(points))
    points = np.vstack([points, precise_points])
    values, _, _ = _evaluate(reference, points, variables)
    precise = np.zeros(len(points), bool)
    precise[len(points) - len(precise_points):] = True
    outside = candidates[undefined]
    return SamplePlan(variables, points, np.where(precise, np.nan, values), precise, outside)


def _precise_domain(reference: ex.Expr, variables, suspects: np.ndarray, wanted: int) -> np.ndarray:
    """Up to ``wanted`` of ``suspects`` where high precision finds the reference defined."""
    budget = Budget(NUMERIC_SECONDS)
    kept = []
    for index in _spread(suspects, 2 * PRECISE_POINTS, scaled=True):
        if len(kept) >= wanted or budget.spent:
            break
        point = dict(zip(variables, map(float, suspects[index])))
        try:
            if _precise_value(reference, point, budget, 0.0, 0.0) is not None:
                kept.append(suspects[index])
        except Unrepresentable:
            continue
    return np.array(kept).reshape(-1, len(variables))


def sample_points(reference: ex.Expr, variables) -> list[dict[str, float]]:
    """The deterministic points (plain floats) at which ``reference`` is compared.

    Inside the reference's real domain; the same for the same reference on any machine.
    Empty when the tree is too large to sample.

    >>> from calcgrade.core.parse import parse_expression as parse
    >>> points = sample_points(parse("sqrt(x - 50)", "x"), ("x",))
    >>> len(points), min(p["x"] for p in points) > 50
    (24, True)
    """
    variables = tuple(variables)
    if not tree_fits(reference):
        return []
    plan = plan_samples(reference, variables)
    return [dict(zip(variables, map(float, row))) for row in plan.points]


# high-precision checks ----------------------------------------------------------------------


def _precise_value(tree: ex.Expr, point: dict, budget: Budget, rtol: float, atol: float):
    """The value at ``point`` accurately enough for a comparison at ``rtol``, ``atol``."""
    return precise_value(tree, point, budget, 1e-3 * atol)


def _close(value, reference, rtol: float, atol: float) -> bool:
    return abs(value - reference) <= atol + rtol * abs(reference)


def _precise_outcome(student, reference, point, budget, rtol, atol) -> str:
    """``agree``, ``disagree``, ``student undefined``, or ``skip`` at one point."""
    try:
        truth = _precise_value(reference, point, budget, rtol, atol)
        if truth is None:
            return "skip"
        value = _precise_value(student, point, budget, rtol, atol)
    except Unrepresentable:
        return "skip"
    if value is None:
        return "student undefined"
    return "agree" if _close(value, truth, rtol, atol) else "disagree"


# deciding -----------------------------------------------------------------------------------


def _enough(agreeing: int, sampled: int, needed: int) -> bool:
    return agreeing >= needed and 3 * agreeing >= 2 * sampled


def compare_by_sampling(student: ex.Expr, reference: ex.Expr, variables: tuple[str, ...],
                        rtol: float = 1e-3, atol: float = 1e-6) -> bool | None:
    """The numeric verdict alone (no sympy): True, False, or None when it cannot decide.

    Cheap enough for a sampler's inner loop (no helper process is ever started).
    """
    if not (tree_fits(student) and tree_fits(reference)):
        return None
    plan = plan_samples(reference, variables)
    points = plan.points
    needed = 1 if not variables else MIN_AGREEING
    s_values, s_undefined, s_untrusted = _evaluate(student, points, variables)
    # trusted floats decide at once (the float evaluation flags overflow, underflow and
    # cancellation as untrusted): a disagreement, or the student undefined in the reals
    floats = ~plan.precise & ~s_untrusted
    if np.any(floats & s_undefined):
        return False
    close = np.abs(s_values - plan.values) <= atol + rtol * np.abs(plan.values)
    if np.any(floats & ~s_undefined & ~close):
        return False
    agreeing = int((floats & close).sum())
    # the rest is computed in high precision
    doubtful = np.flatnonzero(~floats)
    budget = Budget(NUMERIC_SECONDS)
    for i in doubtful[:PRECISE_POINTS]:
        if budget.spent:
            break
        point = dict(zip(variables, map(float, points[i])))
        outcome = _precise_outcome(student, reference, point, budget, rtol, atol)
        if outcome in ("disagree", "student undefined"):
            return False
        agreeing += outcome == "agree"
    if _enough(agreeing, len(points), needed):
        return True
    if len(points) < needed:
        confirmed = _confirm_in_complex(student, reference, plan, rtol, atol)
        if agreeing + confirmed >= needed:
            return True
    return None


def _confirm_in_complex(student, reference, plan: SamplePlan, rtol, atol) -> int:
    """Agreeing points among those where both are undefined in the reals (0 on any doubt)."""
    outside = plan.outside[_spread(plan.outside, COMPLEX_POINTS, scaled=True)]
    if len(outside) == 0:
        return 0
    _, s_undefined, _ = _evaluate(student, outside, plan.variables)
    both = outside[s_undefined]
    if len(both) == 0:
        return 0
    columns = _columns(both, plan.variables)
    s, r = evaluate_complex(student, columns), evaluate_complex(reference, columns)
    finite = np.isfinite(s) & np.isfinite(r)
    if np.any(np.abs(s[finite] - r[finite]) > atol + rtol * np.abs(r[finite])):
        return 0
    return int(finite.sum())


def expressions_equivalent(student: ex.Expr, reference: ex.Expr, variables, rtol: float = 1e-3,
                           atol: float = 1e-6, *, checker: SymbolicChecker | None = None) -> bool | None:
    """True, False, or None (undecided: mark for review) for two trees.

    Sampling decides first (:func:`compare_by_sampling`); when it cannot, sympy is asked
    in a bounded helper process (``checker``, by default the shared one). A student
    expression with a name outside ``variables`` is False; trees too large to compare
    are None.
    """
    variables = tuple(variables)
    if student == reference:
        return True
    allowed = set(variables)
    if not reference.free_symbols() <= allowed:
        raise ValueError(f"the reference uses names outside {variables}")
    if not student.free_symbols() <= allowed:
        return False
    if not (tree_fits(student) and tree_fits(reference)):
        return None
    verdict = compare_by_sampling(student, reference, variables, rtol, atol)
    if verdict is not None:
        return verdict
    return (checker or symbolic_checker()).decide(student, reference)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and (
        isinstance(value, int) or math.isfinite(value))


def values_equivalent(student_values: list, reference: ex.Expr, points: list[dict[str, float]],
                      rtol: float = 1e-3, atol: float = 1e-6) -> bool | None:
    """Compare a student's function, called at ``points``, with the reference there.

    ``student_values[i]`` is what the function returned at ``points[i]``: a number, or
    anything else (a marker for nan, an error, ...), which counts as no value. No value
    where the reference is defined is False at moderate points (every coordinate in
    [-4, 4]); farther out a float function may overflow where the reference does not,
    so that point is skipped. Points where the reference is undefined are not judged.

    >>> from calcgrade.core.parse import parse_expression as parse
    >>> ref = parse("x^2", "x")
    >>> pts = sample_points(ref, ("x",))
    >>> values_equivalent([p["x"] * p["x"] for p in pts], ref, pts)
    True
    >>> values_equivalent([{"$marker": "error"}] + [p["x"] ** 2 for p in pts[1:]], ref, pts)
    False
    """
    if len(student_values) != len(points):
        raise ValueError(f"{len(student_values)} values for {len(points)} points")
    if not points:
        return None
    variables = tuple(points[0])
    if not reference.free_symbols() <= set(variables):
        raise ValueError(f"the points do not give every variable of the reference {variables}")
    grid = np.array([[float(p[name]) for name in variables] for p in points]).reshape(len(points), -1)
    values, undefined, untrusted = _evaluate(reference, grid, variables)
    core = _is_core(grid)
    budget = Budget(NUMERIC_SECONDS)
    agreeing = defined = 0
    for i, given in enumerate(student_values):
        if undefined[i]:
            continue
        point = dict(zip(variables, map(float, grid[i])))
        truth = values[i]
        if untrusted[i]:
            try:  # beyond floats, or digits lost to cancellation: recompute the reference
                truth = _precise_value(reference, point, budget, rtol, atol)
            except Unrepresentable:
                continue
            if truth is None:
                continue
        defined += 1
        if not _is_number(given):
            if core[i] and abs(truth) <= 1e300:
                return False
            continue
        if not _close_number(given, truth, rtol, atol):
            return False
        agreeing += 1
    needed = 1 if not variables else MIN_AGREEING
    return True if _enough(agreeing, defined, needed) else None


def _close_number(given, truth, rtol: float, atol: float) -> bool:
    """``given`` (an int of any size or a float) against a float or mpmath value."""
    if isinstance(truth, (float, np.floating)) and isinstance(given, float):
        return _close(given, float(truth), rtol, atol)
    ctx = precise_context(256)
    return bool(_close(ctx.mpf(given), ctx.mpf(truth), rtol, atol))
