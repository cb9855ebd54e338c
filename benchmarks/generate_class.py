"""Time and peak memory of ``calcgrade generate`` for a large class (median of several runs).

Run:  python benchmarks/generate_class.py [--students 1000] [--runs 3] [--jobs N] [--secret HEX]

Each run is a fresh ``calcgrade generate`` process over the example assignment
(``examples/assignment.toml``, all five families) and a made-up roster, with a throw-away
secret, into a temporary folder: the wall time is what an instructor waits, CPU time adds
up every process, and peak memory is the largest resident set of any one process (the
main process, or one of the ``--jobs`` workers). The goal is under 30 s for 1,000
students on a 2-core machine. With ``--secret`` every run uses that secret and prints the
SHA-256 of its output folder (of the sorted ``sha256sum`` lines of every file), so two
versions of calcgrade can be checked to write the same bytes.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from importlib.resources import files
from pathlib import Path


def write_roster(path: Path, students: int) -> None:
    lines = ["id,name,email"] + [f"s{i:05d},Student {i},s{i}@example.edu" for i in range(students)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def tree_digest(folder: Path) -> str:
    """SHA-256 of ``sha256sum`` lines of every file under ``folder``, sorted by path."""
    import hashlib

    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  ./{path.relative_to(folder).as_posix()}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def one_run(folder: Path, roster: Path, jobs: int | None,
            secret: str | None = None) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MiB) of one generate process."""
    assignment = Path(str(files("calcgrade.examples") / "assignment.toml"))
    command = [sys.executable, "-m", "calcgrade.grader.cli", "generate", str(assignment),
               "--roster", str(roster), "--out", str(folder / "out")]
    if jobs:
        command += ["--jobs", str(jobs)]
    env = {**os.environ, "CALCGRADE_SECRET": secret or secrets.token_hex(32), "CI": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        sys.exit(f"generate failed: {process.stderr.read().decode()}")
    # ru_maxrss is in KiB on Linux; the usage of wait4 includes the workers it waited for
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, help="processes (default: calcgrade's choice)")
    parser.add_argument("--secret", help="the course secret as hex (default: a new one per run); "
                                         "prints each output folder's SHA-256")
    args = parser.parse_args()
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {platform.processor() or platform.machine()}, {cpus} usable cores, "
          f"load {load:.1f}, Python {platform.python_version()}; {args.students} students of "
          f"examples/assignment.toml, {args.runs} runs, jobs={args.jobs or 'auto'}")
    results = []
    with tempfile.TemporaryDirectory(prefix="calcgrade-bench-") as tmp:
        roster = Path(tmp) / "roster.csv"
        write_roster(roster, args.students)
        for run in range(args.runs):
            folder = Path(tmp) / f"run{run}"
            folder.mkdir()
            wall, cpu, rss = one_run(folder, roster, args.jobs, args.secret)
            results.append((wall, cpu, rss))
            digest = f", output sha256 {tree_digest(folder / 'out')}" if args.secret else ""
            print(f"run {run + 1}: {wall:6.1f} s wall, {cpu:6.1f} s CPU, peak {rss:6.0f} MiB{digest}",
                  flush=True)
    walls, cpus_used, peaks = zip(*results)
    print(f"median: {statistics.median(walls):.1f} s wall ({args.students / statistics.median(walls):.0f} "
          f"students/s), {statistics.median(cpus_used):.1f} s CPU, peak {statistics.median(peaks):.0f} MiB "
          f"(goal: under 30 s for 1,000 students on 2 cores)")


if __name__ == "__main__":
    main()
