"""Median time of typical expression comparisons: the old 24-point check beside
``calcgrade.core.equivalence`` (median of several runs).

Run:  python benchmarks/equivalence.py [--variants 200] [--runs 5]

The comparisons are those grading does for the ``derivative`` family: each variant's
reference derivative against a correct answer written differently (sympy's expansion of
it, read back by our parser) and against every catalogued mistake that arises. "cold"
clears the new module's per-reference cache of sample points before each comparison (a
reference seen for the first time); "warm" keeps it (the same reference compared again,
as when the mistake catalog is checked). The old check is timed only while
``calcgrade.grader.compare`` still has it.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import sympy

from calcgrade.core import equivalence
from calcgrade.core.errors import ExpressionError
from calcgrade.core.symbolic import to_sympy
from calcgrade.core.parse import parse_expression
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

try:
    from calcgrade.grader.compare import expressions_equivalent as old_equivalent
except ImportError:  # the old check is gone
    old_equivalent = None


def comparisons(variants: int) -> list[tuple[object, object, tuple[str, ...], str]]:
    """(student, reference, variables, kind) for the derivative family's first variants."""
    family = get_family("derivative")
    out = []
    for seed in range(variants):
        params = family.sample(generator(seed))
        variables = (params["var"],)
        reference = parse_expression(family.solve(params)["derivative"], variables)
        try:
            rewritten = parse_expression(str(sympy.expand(to_sympy(reference))), variables)
            out.append((rewritten, reference, variables, "right"))
        except (ExpressionError, OverflowError):
            pass
        for mistake in family.mistakes():
            answers = mistake.solve(params)
            if answers and "derivative" in answers:
                out.append((parse_expression(answers["derivative"], variables), reference, variables, "mistake"))
    return out


def time_runs(function, cases, runs: int, cold: bool) -> list[float]:
    """Per-comparison times in microseconds, the median over ``runs`` for each case."""
    per_case = []
    for student, reference, variables, _ in cases:
        times = []
        for _ in range(runs):
            if cold:
                equivalence.plan_samples.cache_clear()
            start = time.perf_counter()
            function(student, reference, variables)
            times.append(time.perf_counter() - start)
        per_case.append(statistics.median(times) * 1e6)
    return per_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    cases = comparisons(args.variants)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {len(cases)} comparisons from "
          f"{args.variants} derivative variants, median of {args.runs} runs each, one core")
    new = equivalence.expressions_equivalent
    verdicts = {kind: [new(s, r, v) for s, r, v, k in cases if k == kind] for kind in ("right", "mistake")}
    print(f"new verdicts: right answers {verdicts['right'].count(True)}/{len(verdicts['right'])} True; "
          f"mistakes {verdicts['mistake'].count(False)}/{len(verdicts['mistake'])} False, "
          f"{verdicts['mistake'].count(None)} undecided")
    columns = {"new, cold": time_runs(new, cases, args.runs, cold=True),
               "new, warm": time_runs(new, cases, args.runs, cold=False)}
    if old_equivalent is not None:
        columns = {"old": time_runs(old_equivalent, cases, args.runs, cold=False), **columns}
    print(f"{'µs per comparison':<20}" + "".join(f"{name:>12}" for name in columns))
    for label, pick in (("median", statistics.median), ("90th percentile", _p90), ("max", max)):
        print(f"{label:<20}" + "".join(f"{pick(times):>12.0f}" for times in columns.values()))
    equivalence.close()


def _p90(values: list[float]) -> float:
    return sorted(values)[int(0.9 * (len(values) - 1))]


if __name__ == "__main__":
    main()
