"""A class with one hostile answer grades as fast as without it.

Run:  python benchmarks/hostile_class.py [--students 100] [--runs 3] [--workers 2]

Generates a class of the example assignment once, fills every notebook correctly, then
grades two folders side by side, alternating, each run from scratch in a fresh process:
the class as it is, and the same class where one student's expression and number answers
are hostile text (a literal of a billion digits' exponent, a tower of powers, a deep
nesting, a 2,000-character word, a huge integer). Reports the median wall time of each and
the grading process's CPU seconds, and the parts the hostile student got (each must be a
format error or wrong, never a grader error).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOSTILE = ["1e999999999", "(((((9**64)**64)**64)**64)**64)", "(" * 59 + "x" + ")" * 59,
           "x" * 2000, "9" * 4000, "2^(2^(2^(2^(2^9))))", "exp(exp(exp(exp(999))))"]


def prepare(root: Path, students: int) -> tuple[Path, Path, Path, Path]:
    """Generate a class; write the plain and the hostile submission folders."""
    from importlib.resources import files

    from calcgrade.grader.generation.generate import generate
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    assignment = Path(str(files("calcgrade.examples") / "assignment.toml"))
    roster = root / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"s{i:05d},Student {i}\n" for i in range(students)))
    generate(assignment, roster, root / "class", bytes(32), jobs=None)
    key = json.loads((root / "class" / "key.json").read_text())
    plain, hostile = root / "plain", root / "hostile"
    plain.mkdir()
    for record in key["students"]:
        text = (root / "class" / "notebooks" / f"{record['id']}.ipynb").read_text()
        (plain / f"{record['id']}.ipynb").write_text(
            fill_answers(text, simulated_answers(record, "correct")))
    shutil.copytree(plain, hostile)
    victim = key["students"][0]
    answers = simulated_answers(victim, "correct")
    for index, name in enumerate(sorted(answers)):
        if isinstance(answers[name], (str, int, float)):
            answers[name] = HOSTILE[index % len(HOSTILE)]
    text = (root / "class" / "notebooks" / f"{victim['id']}.ipynb").read_text()
    (hostile / f"{victim['id']}.ipynb").write_text(fill_answers(text, answers))
    return assignment, roster, plain, hostile


def one_run(assignment: Path, roster: Path, subs: Path, workers: int) -> dict:
    """Grade once in this process (called in a fresh child by :func:`main`)."""
    from calcgrade.grader.grading.grade import grade

    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = grade([str(subs)], str(assignment), str(roster), out, bytes(32), workers=workers)
        seconds = time.perf_counter() - start
        with sqlite3.connect(Path(out) / "gradebook.sqlite") as book:
            statuses = sorted({row[0] for row in book.execute(
                "SELECT p.status FROM parts p JOIN submissions s ON s.hash = p.hash "
                "WHERE s.student = 's00000'")})
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"seconds": seconds, "graded": summary.graded, "statuses": statuses,
            "grader_cpu": usage.ru_utime + usage.ru_stime}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("ASSIGNMENT", "ROSTER", "SUBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(*map(Path, args.one), args.workers)))
        return
    print(f"# {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}; {args.students} students, {args.workers} workers, "
          f"median of {args.runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        assignment, roster, plain, hostile = prepare(Path(tmp), args.students)
        runs: dict[str, list[dict]] = {"plain": [], "hostile": []}
        for _ in range(args.runs):
            for label, folder in (("plain", plain), ("hostile", hostile)):
                output = subprocess.run(
                    [sys.executable, __file__, "--workers", str(args.workers), "--one",
                     str(assignment), str(roster), str(folder)],
                    check=True, capture_output=True, text=True).stdout
                runs[label].append(json.loads(output.strip().splitlines()[-1]))
        print(f"{'class':>8} {'seconds':>8} {'subs/s':>8} {'grader CPU s':>13}  statuses of s00000")
        for label, results in runs.items():
            seconds = statistics.median(r["seconds"] for r in results)
            cpu = statistics.median(r["grader_cpu"] for r in results)
            print(f"{label:>8} {seconds:>8.2f} {args.students / seconds:>8.1f} {cpu:>13.2f}  "
                  f"{', '.join(results[-1]['statuses'])}")


if __name__ == "__main__":
    main()
