"""Variants sampled and solved per second for each family (median of several runs).

Run:  python benchmarks/sample_families.py [--variants 500] [--runs 5] [--family NAME] [--statement]
          [--option answer=code]

Each run samples and solves ``--variants`` consecutive seeds of one family in this
process (one core). ``--statement`` also renders the statement, as ``calcgrade sample``
does. ``--option KEY=VALUE`` passes a sampling option (e.g. ``answer=code``: the
families that can ask for code, their function answers' test cases solved). The first seeds are sampled once before timing so imports and caches are warm.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

from calcgrade.problems import family_names, get_family
from calcgrade.problems.variant import generator


def time_family(name: str, variants: int, runs: int, statement: bool,
                options: dict | None = None) -> list[float]:
    """Rates (variants per second) of ``runs`` timed runs over fresh seeds."""
    family = get_family(name)
    options = options or {}
    for seed in range(20):  # warm up
        family.solve(family.sample(generator(seed), **options))
    rates = []
    for run in range(runs):
        first = 1_000_000 * (run + 1)
        start = time.perf_counter()
        for seed in range(first, first + variants):
            params = family.sample(generator(seed), **options)
            family.solve(params)
            if statement:
                family.statement(params)
        rates.append(variants / (time.perf_counter() - start))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=500)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--family", action="append", choices=family_names())
    parser.add_argument("--statement", action="store_true", help="render statements too")
    parser.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                        help="a sampling option, e.g. answer=code (only families that have it)")
    args = parser.parse_args()
    options = dict(item.split("=", 1) for item in args.option)
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.variants} variants x {args.runs} runs, one core")
    print(f"{'family':<20} {'median/s':>10} {'min/s':>10} {'max/s':>10}")
    names = [name for name in args.family or family_names()
             if set(options) <= {o.name for o in get_family(name).options}]
    for name in names:
        rates = time_family(name, args.variants, args.runs, args.statement, options)
        print(f"{name:<20} {statistics.median(rates):>10.0f} {min(rates):>10.0f} {max(rates):>10.0f}")


if __name__ == "__main__":
    main()
