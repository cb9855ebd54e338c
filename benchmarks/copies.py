"""Copy detection on a large class: how long the look-up of every wrong answer takes.

Run:  python benchmarks/copies.py [--students 2000] [--copiers 20] [--synthetic 10000] [--runs 3]

1. A graded class of ``--students`` students of the example assignment, marked by the
   grader's own marking as ``benchmarks/report_class.py`` builds it (real variants: the
   roster walk; most answers right, every fifth student with a catalogued mistake, every
   seventh with a slip), then ``--copiers`` students get a classmate's reference answers
   written in as their answers (status wrong), in the gradebook. Copy detection
   (:func:`calcgrade.grader.grading.copies.class_copies`) runs ``--runs`` times.
2. A synthetic class of ``--synthetic`` students with the shape of the example
   assignment's answers (scalars, 2-vectors, 2×2 matrices and expressions in x; a third
   of the students wrong in every part; one in a hundred copying a neighbour) goes
   through :func:`~calcgrade.grader.grading.copies.detect_copies` directly.

For each it prints the median wall-clock and CPU seconds, the peak memory allocated
while detecting (tracemalloc), and whether exactly the copiers were flagged with the
right classmate.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _measure(function, runs: int):
    walls, cpus = [], []
    result = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, statistics.median(walls), statistics.median(cpus), peak / 2**20


def real_class(students: int, copiers: int, runs: int) -> None:
    from report_class import build_gradebook

    from calcgrade.grader.grading.copies import class_copies
    from calcgrade.grader.grading.gradebook import Gradebook
    from calcgrade.grader.grading.marking import show_value

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        seconds = build_gradebook(out, students)
        step = max(1, students // max(1, copiers))
        expected = {}
        with Gradebook(out / "gradebook.sqlite") as book, book.connection:
            for index in range(1, students, step)[:copiers]:
                copier, source = f"s{index:05d}", f"s{index - 1:05d}"
                expected[copier] = source
                for problem, answer, reference in book.connection.execute(
                        "SELECT problem, answer, reference FROM parts WHERE hash = ?",
                        (f"bench-{source}",)).fetchall():
                    book.connection.execute(
                        "UPDATE parts SET found = ?, status = 'wrong' WHERE hash = ? AND "
                        "problem = ? AND answer = ?",
                        (show_value(json.loads(reference)), f"bench-{copier}", problem, answer))
        with Gradebook(out / "gradebook.sqlite") as book:
            parts = book.connection.execute("SELECT COUNT(*) FROM parts").fetchone()[0]
            flags, wall, cpu, peak = _measure(lambda: class_copies(book), runs)
        found = {s: f.classmate for s, f in flags.items()}
        print(f"real class: {students} students ({parts} parts, marked in {seconds:.1f} s), "
              f"{len(expected)} copiers")
        print(f"  class_copies: median {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.1f} MiB "
              f"allocated; flagged {len(found)}; exactly the copiers: {found == expected}")
        for student in sorted(set(found) - set(expected)):
            print(f"  also flagged: {flags[student].text()}")


def synthetic_rows(students: int, seed: int = 1):
    import numpy as np

    rng = np.random.default_rng(seed)
    shapes = (("1", "value", ()), ("1", "derivative", "expr"), ("2", "iterates", (2, 2)),
              ("3", "loss", ()), ("3", "grad_w", (2,)), ("6", "hessian", (2, 2)))
    references = []
    for _ in range(students):
        row = []
        for _, _, shape in shapes:
            if shape == "expr":
                a, b = rng.integers(1, 9, size=2)
                row.append(json.dumps(f"{a}*x**{b}*exp(x)"))
            else:
                row.append(json.dumps(np.round(rng.normal(0, 5, size=shape), 6).tolist()))
        references.append(row)
    copiers = {i: i - 1 for i in range(1, students, 100)}
    rows = []
    for i in range(students):
        parts = []
        for j, (problem, answer, _) in enumerate(shapes):
            reference = references[i][j]
            if i in copiers:
                given, status = references[copiers[i]][j], "wrong"
            elif i % 3 == 2:
                given, status = json.dumps(json.loads(reference) if j == 1 else
                                           (np.array(json.loads(reference)) * 1.7 + 0.3).tolist()), "wrong"
            else:
                given, status = reference, "correct"
            parts.append((problem, answer, status, json.loads(given) if j == 1 else given,
                          reference))
        rows.append((f"s{i:05d}", parts))
    return rows, {f"s{i:05d}": f"s{c:05d}" for i, c in copiers.items()}


def synthetic_class(students: int, runs: int) -> None:
    from calcgrade.grader.grading.copies import detect_copies

    rows, expected = synthetic_rows(students)
    flags, wall, cpu, peak = _measure(lambda: detect_copies(rows), runs)
    found = {s: f.classmate for s, f in flags.items()}
    print(f"synthetic class: {students} students, {len(expected)} copiers")
    print(f"  detect_copies: median {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:.1f} MiB "
          f"allocated; flagged {len(found)}; exactly the copiers: {found == expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--copiers", type=int, default=20)
    parser.add_argument("--synthetic", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}")
    if args.synthetic:
        synthetic_class(args.synthetic, args.runs)
    if args.students:
        real_class(args.students, args.copiers, args.runs)


if __name__ == "__main__":
    main()
