"""The class report on a large graded class: ``calcgrade report OUT`` for N students.

Run:  python benchmarks/report_class.py [--students 1000] [--runs 3]

Builds once a gradebook of N students of the example assignment as ``calcgrade grade``
records it, without the sandbox: each student's variants are drawn (the roster walk),
answers are simulated as students give them (most right, every fifth with a catalogued
mistake, every seventh with a slip in an iterates answer) and marked by the grader's own
marking, then the class is recorded. Then, ``--runs`` times, ``calcgrade report OUT``
runs in a fresh process (matplotlib imported cold). It prints the median wall-clock
seconds and CPU seconds of that process, and, in this process, the median time of the
two halves: reading the gradebook into numbers (``build_report``) and drawing and
rendering the page (``render_report``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECRET = bytes(range(32))


def build_gradebook(out: Path, students: int) -> float:
    """Mark ``students`` simulated students into ``out/gradebook.sqlite``; seconds taken."""
    from calcgrade.grader.course.assignment import load_assignment
    from calcgrade.grader.grading.gradebook import ClassRow, Gradebook, SubmissionRecord
    from calcgrade.grader.grading.marking import answer_variable, mark_problem
    from calcgrade.grader.simulate import simulated_answers
    from calcgrade.grader.course.variants import RosterWalk

    start = time.perf_counter()
    assignment = load_assignment(str(HERE.parent / "examples" / "assignment.toml"))
    walk = RosterWalk(assignment, SECRET)
    out.mkdir(parents=True, exist_ok=True)
    rows, group = [], []
    with Gradebook(out / "gradebook.sqlite") as book:
        book.set_meta("assignment", assignment.id)
        for index in range(students):
            student = f"s{index:05d}"
            variants = walk.next(student)
            record = {"problems": [{"number": v.problem.number, "family": v.problem.family,
                                    "params": v.params, "answers": v.answers} for v in variants]}
            kind = "mistake" if index % 5 == 0 else "slip" if index % 7 == 0 else "correct"
            values = simulated_answers(record, kind)
            hash_ = f"bench-{student}"
            parts = []
            for variant in variants:
                number = variant.problem.number
                answers = {name: values[answer_variable(number, name)] for name in variant.specs}
                parts += mark_problem(variant.problem, variant.params, answers, hash_,
                                      reference=variant.answers, specs=variant.specs,
                                      diagnosis=lambda v=variant: v.diagnosis)
            total = round(sum(p.score for p in parts), 6)
            group.append((SubmissionRecord(hash_, student, f"{student}.ipynb", "graded", "", total,
                                           assignment.total_points), parts))
            rows.append(ClassRow(index, student, json.dumps({"name": f"Student {index}"}), hash_))
            if len(group) == 50:
                book.record_group(group)
                group = []
        book.record_group(group)
        book.set_class({"title": assignment.title,
                        "total_points": repr(float(assignment.total_points)),
                        "problems": json.dumps([p.number for p in assignment.problems]),
                        "problem_titles": json.dumps({str(p.number): p.title or ""
                                                      for p in assignment.problems})}, rows)
    return time.perf_counter() - start


def run_command(out: Path) -> tuple[float, float]:
    """Wall and CPU seconds of ``calcgrade report OUT`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "report", str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from calcgrade.grader.grading.class_report import build_report
    from calcgrade.grader.grading.report_page import render_report

    print(f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory(prefix="calcgrade-report-bench-") as folder:
        out = Path(folder) / "out"
        seconds = build_gradebook(out, args.students)
        print(f"gradebook of {args.students} students marked in {seconds:.1f} s (setup)")
        command = [run_command(out) for _ in range(args.runs)]
        builds, renders = [], []
        for _ in range(args.runs):
            start = time.perf_counter()
            report = build_report(out)
            builds.append(time.perf_counter() - start)
            start = time.perf_counter()
            render_report(report)
            renders.append(time.perf_counter() - start)
        size = (out / "report.html").stat().st_size
        print(f"calcgrade report, {args.students} students, median of {args.runs}: "
              f"wall {statistics.median(w for w, _ in command):.2f} s, "
              f"CPU {statistics.median(c for _, c in command):.2f} s (fresh process)")
        print(f"  build_report {statistics.median(builds):.3f} s, render_report (plots, page) "
              f"{statistics.median(renders):.3f} s; report.html {size / 1024:.0f} KiB, "
              f"{len(report.mistakes)} mistakes, {len(report.parts)} parts")


if __name__ == "__main__":
    main()
