"""Time to read and evaluate hostile expression answers, next to ordinary ones.

Run:  python benchmarks/hostile_answer.py [--runs 7]

Each answer is parsed (``parse_expression``, notation normalised) and, when it parses,
evaluated at 64 sample points the way the grader compares expressions. The table gives
the median of ``--runs`` runs per answer, and what became of it: the tree's size or the
error the student would see. Every hostile answer should take well under a second.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

from calcgrade.core import expr as ex
from calcgrade.core.errors import ExpressionError
from calcgrade.core.parse import expression_problem, parse_expression
from calcgrade.core.numeric import compile_numeric

ORDINARY = [
    "3x^2 + e^x",
    "x*exp(x) + exp(x)",
    "2*x*cos(x**2) - sin(x)/x**2",
    r"$\frac{3 x^{2}}{\sqrt{x^{2} + 1}} + \ln\left|x\right|$",
    "f'(x) = 3x² − 2·x + √x",
    "sin^2 x + cos x ln x",
]
HOSTILE = [
    "1e999999999",
    "1e-999999999",
    "(((((9**64)**64)**64)**64)**64)",
    "9^9^9^9^9",
    "2^1000 x 2^1000 x 2^1000 x 2^1000 x 2^1000",
    "(2x)^6000",
    "(x - 1)^6000",
    "x^(10^300)",
    "1/(x - x)",
    "9" * 1999,
    "0." + "0" * 1997 + "1",
    "(" * 59 + "x" + ")" * 59,
    "(" * 1000 + "x" + ")" * 1000,
    "-" * 1999 + "x",
    "x" * 2000,
    "sin" * 666,
    "|" * 1999,
    r"\frac{" * 333,
    r"\sqrt" * 399 + "x",
    "{" * 1999,
    "²" * 1999,
    " + ".join(f"2^-{1000 + k} x" for k in range(100)),
    "*".join(["(1/3)^1000"] * 150),
]


def time_answer(text: str, runs: int) -> tuple[float, str]:
    """Median seconds to parse and evaluate ``text``, and the outcome."""
    points = {"x": np.linspace(-2.0, 2.0, 64)}
    times, outcome = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        try:
            tree = parse_expression(text, ["x"])
            with np.errstate(all="ignore"):
                compile_numeric(tree)(points)
            outcome = f"read ({ex.size(tree)} nodes)"
        except ExpressionError as error:
            outcome = error.reason
        times.append(time.perf_counter() - start)
    return statistics.median(times), outcome


def time_check(text: str, runs: int) -> float:
    """Median seconds of the notebook's standard-library check of ``text``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        expression_problem(text, ["x"])
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} cpus, "
          f"median of {args.runs} runs")
    print(f"{'kind':8} {'answer':42} {'grader ms':>10} {'check ms':>9}  outcome")
    worst = {"ordinary": 0.0, "hostile": 0.0}
    for kind, answers in (("ordinary", ORDINARY), ("hostile", HOSTILE)):
        for text in answers:
            seconds, outcome = time_answer(text, args.runs)
            check = time_check(text, args.runs)
            worst[kind] = max(worst[kind], seconds, check)
            shown = text if len(text) <= 40 else text[:37] + "..."
            print(f"{kind:8} {shown!r:42} {seconds * 1e3:10.2f} {check * 1e3:9.2f}  {outcome[:60]}")
    print(f"slowest ordinary answer {worst['ordinary'] * 1e3:.1f} ms, "
          f"slowest hostile answer {worst['hostile'] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
