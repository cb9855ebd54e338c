"""Copy detection on large classes: time, peak memory, and the flags it raises.

Run:  python benchmarks/copies.py [--real 1000] [--synthetic 1000 10000] [--copiers 20]
                                  [--runs 3] [--copies-module FILE] [--flags-out FILE]
                                  [--compare FILE]

Every measurement runs in a fresh process, so its peak resident size (``ru_maxrss``) is
its own; memory is reported two ways: the peak allocated while detecting (tracemalloc) and
the growth of the process's peak resident size over the detection (``ru_maxrss`` after
minus before, in MiB).

- ``real N``: a graded class of N students of the example assignment, marked by the
  grader's own marking as ``benchmarks/report_class.py`` builds it (real variants: the
  roster walk; most answers right, every fifth student with a catalogued mistake, every
  seventh with a slip), then ``--copiers`` students get a classmate's reference answers
  written in as their answers (status wrong). Copy detection reads the gradebook
  (:func:`calcgrade.grader.grading.copies.class_copies`).
- ``synthetic N``: a class of N students with the shape of the example assignment's
  answers (scalars, 2-vectors, 2×2 matrices and expressions in x; a third of the students
  wrong in every part; one in a hundred copying a neighbour), written into a gradebook
  and read by ``class_copies`` as well.

Each prints the median wall-clock and CPU seconds of ``--runs`` runs, both memory peaks,
and whether exactly the copiers were flagged with the right classmate.
``--copies-module FILE`` measures another version of ``copies.py`` (for a before/after
comparison), and ``--flags-out FILE`` writes every flag raised (JSON), so two versions
can be checked to raise identical flags on the same gradebooks (the classes are
deterministic): ``--compare FILE`` does that check against another run's file.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
MODULE = "calcgrade.grader.grading.copies"


def _copies(module_file: str | None):
    """The copy-detection module: the installed one, or ``module_file`` in its place."""
    if module_file:
        spec = importlib.util.spec_from_file_location(MODULE, module_file)
        module = importlib.util.module_from_spec(spec)
        sys.modules[MODULE] = module
        spec.loader.exec_module(module)
        return module
    return importlib.import_module(MODULE)


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux


def _measure(function, runs: int) -> dict:
    rss_before = _maxrss_mib()
    walls, cpus = [], []
    result = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    rss_growth = _maxrss_mib() - rss_before
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"flags": result, "wall": statistics.median(walls), "cpu": statistics.median(cpus),
            "traced_mib": peak / 2**20, "rss_growth_mib": rss_growth}


# classes ---------------------------------------------------------------------------------------

def real_gradebook(out: Path, students: int, copiers: int) -> tuple[dict, str]:
    """The marked example class in ``out/gradebook.sqlite`` with copiers written in."""
    from report_class import build_gradebook

    from calcgrade.grader.grading.gradebook import Gradebook
    from calcgrade.grader.grading.marking import show_value

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
    return expected, f"marked in {seconds:.1f} s"


SHAPES = (("1", "value", ()), ("1", "derivative", "expr"), ("2", "iterates", (2, 2)),
          ("3", "loss", ()), ("3", "grad_w", (2,)), ("6", "hessian", (2, 2)))


def _synthetic_references(student: int, seed: int) -> list:
    import numpy as np

    rng = np.random.default_rng([seed, student])
    row = []
    for _, _, shape in SHAPES:
        if shape == "expr":
            a, b = rng.integers(1, 9, size=2)
            row.append(f"{a}*x**{b}*exp(x)")
        else:
            row.append(np.round(rng.normal(0, 5, size=shape), 6).tolist())
    return row


def synthetic_parts(students: int, seed: int = 1):
    """(student, parts) in roster order, made one student at a time, and the copiers."""
    import numpy as np

    from calcgrade.grader.grading.marking import show_value

    copiers = {i: i - 1 for i in range(1, students, 100)}

    def rows():
        for i in range(students):
            references = _synthetic_references(i, seed)
            source = _synthetic_references(copiers[i], seed) if i in copiers else None
            parts = []
            for j, (problem, answer, _) in enumerate(SHAPES):
                reference = references[j]
                if source is not None:
                    given, status = source[j], "wrong"
                elif i % 3 == 2:
                    given = reference if j == 1 else (np.array(reference) * 1.7 + 0.3).tolist()
                    status = "wrong"
                else:
                    given, status = reference, "correct"
                parts.append((problem, answer, status,
                              given if j == 1 else show_value(given),
                              json.dumps(reference), None))
            yield f"s{i:05d}", parts
    return rows(), {f"s{i:05d}": f"s{c:05d}" for i, c in copiers.items()}


def synthetic_gradebook(out: Path, students: int) -> tuple[dict, str]:
    """The synthetic class written into ``out/gradebook.sqlite`` as graded submissions."""
    from calcgrade.grader.grading.gradebook import ClassRow, Gradebook

    rows, expected = synthetic_parts(students)
    start = time.perf_counter()
    with Gradebook(out / "gradebook.sqlite") as book:
        classes = []
        with book.connection:
            for position, (student, parts) in enumerate(rows):
                hash_ = f"syn-{student}"
                book.connection.execute(
                    "INSERT INTO submissions VALUES (?, ?, ?, 'graded', '', 0, 0, '')",
                    (hash_, student, f"{student}.ipynb"))
                book.connection.executemany(
                    "INSERT INTO parts VALUES (?, ?, ?, 'synthetic', 0, 1, ?, '', ?, '', ?, ?)",
                    [(hash_, int(problem), answer, status, mistake, found, reference)
                     for problem, answer, status, found, reference, mistake in parts])
                classes.append(ClassRow(position, student, "{}", hash_))
        book.set_class({"title": "synthetic"}, classes)
    return expected, f"written in {time.perf_counter() - start:.1f} s"


def build(kind: str, students: int, copiers: int, out: Path) -> dict:
    """Build a class's gradebook in ``out`` (in a process of its own, so that building
    does not count toward the detection's peak memory)."""
    if kind == "real":
        expected, built = real_gradebook(out, students, copiers)
    else:
        expected, built = synthetic_gradebook(out, students)
    return {"expected": expected, "built": built}


def one(out: Path, runs: int, module_file: str | None) -> dict:
    """One measurement (in this process): copy detection over the gradebook in ``out``."""
    copies = _copies(module_file)
    import numpy  # noqa: F401 - what detection imports is loaded before memory is measured

    import calcgrade.core.evaluation  # noqa: F401
    import calcgrade.core.parse  # noqa: F401
    from calcgrade.grader.grading.gradebook import Gradebook

    with Gradebook(out / "gradebook.sqlite") as book:
        parts = book.connection.execute("SELECT COUNT(*) FROM parts").fetchone()[0]
        result = _measure(lambda: copies.class_copies(book), runs)
    flags = {s: [f.classmate, list(f.parts), f.wrong] for s, f in sorted(result["flags"].items())}
    return dict(result, flags=flags, parts=parts)


def _child(*arguments: str) -> dict:
    run = subprocess.run([sys.executable, __file__, *arguments], check=True,
                         capture_output=True, text=True)
    return json.loads(run.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real", type=int, nargs="*", default=[1000])
    parser.add_argument("--synthetic", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--copiers", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--copies-module", help="measure this copies.py instead")
    parser.add_argument("--flags-out", help="write every flag raised here (JSON)")
    parser.add_argument("--compare", help="a --flags-out file of another run: check that "
                                          "the classes both ran raised identical flags")
    parser.add_argument("--build", help=argparse.SUPPRESS)   # kind:N, in a child process
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--at", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        kind, students = args.build.split(":")
        print(json.dumps(build(kind, int(students), args.copiers, Path(args.at))))
        return
    if args.measure:
        print(json.dumps(one(Path(args.at), args.runs, args.copies_module)))
        return
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; copies from "
          f"{args.copies_module or 'the installed package'}")
    everything = {}
    for kind, sizes in (("synthetic", args.synthetic), ("real", args.real)):
        for students in sizes:
            with tempfile.TemporaryDirectory() as folder:
                built = _child("--build", f"{kind}:{students}", "--at", folder,
                               "--copiers", str(args.copiers))
                result = _child("--measure", "--at", folder, "--runs", str(args.runs),
                                *(["--copies-module", args.copies_module]
                                  if args.copies_module else []))
            everything[f"{kind}:{students}"] = result["flags"]
            found = {s: f[0] for s, f in result["flags"].items()}
            also = sorted(set(found) - set(built["expected"]))
            print(f"{kind} class: {students} students ({result['parts']} parts, "
                  f"{built['built']}): class_copies median {result['wall']:.2f} s wall, "
                  f"{result['cpu']:.2f} s CPU; peak {result['traced_mib']:.1f} MiB allocated "
                  f"(tracemalloc), max RSS +{result['rss_growth_mib']:.1f} MiB; "
                  f"flagged {len(found)}, exactly the copiers: {found == built['expected']}"
                  + (f"; also {', '.join(also)}" if also else ""), flush=True)
    if args.flags_out:
        Path(args.flags_out).write_text(json.dumps(everything, indent=1, sort_keys=True))
    if args.compare:
        other = json.loads(Path(args.compare).read_text())
        for name in sorted(set(other) & set(everything)):
            same = other[name] == everything[name]
            print(f"{name}: flags {'identical to' if same else 'DIFFERENT from'} {args.compare}")


if __name__ == "__main__":
    main()
