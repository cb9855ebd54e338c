"""Grading throughput: N simulated submissions of the example assignment, end to end.

Run:  python benchmarks/grade_class.py [--students 100 1000] [--runs 3] [--workers 2]

For each N it generates a class of N students once, fills every notebook as a student
would (most correct, every fifth with a catalogued mistake, every seventh with a slip in
Newton's first step), then grades the folder from scratch ``--runs`` times, each run in a
fresh process with a fresh output folder. It reports the median submissions per second
and the peak memory: of the grading process alone, and of it together with its sandbox
workers and their children (resident set sizes sampled every 50 ms).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def prepare(root: Path, students: int) -> tuple[Path, Path, Path]:
    """Generate a class and write the simulated submissions; return (assignment, roster, subs)."""
    from importlib.resources import files

    from calcgrade.grader.generate import generate
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    assignment = Path(str(files("calcgrade.examples") / "assignment.toml"))
    roster = root / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"s{i:05d},Student {i}\n" for i in range(students)))
    generate(assignment, roster, root / "class", bytes(32), jobs=None)
    key = json.loads((root / "class" / "key.json").read_text())
    subs = root / "submissions"
    subs.mkdir()
    for index, record in enumerate(key["students"]):
        kind = "mistake" if index % 5 == 1 else "slip" if index % 7 == 2 else "correct"
        text = (root / "class" / "notebooks" / f"{record['id']}.ipynb").read_text()
        (subs / f"{record['id']}.ipynb").write_text(fill_answers(text, simulated_answers(record, kind)))
    return assignment, roster, subs


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB (Linux /proc)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, frontier = rss.get(pid, 0), [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                total += rss.get(child, 0)
                frontier.append(child)
    return total


def one_run(assignment: Path, roster: Path, subs: Path, workers: int) -> dict:
    """Grade once in this process (called in a fresh child by :func:`main`)."""
    import resource

    from calcgrade.grader.grade import grade

    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(os.getpid()))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = grade([str(subs)], str(assignment), str(roster), out, bytes(32), workers=workers)
        seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {"seconds": seconds, "graded": summary.graded,
            "grader_peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "tree_peak_mib": peak[0] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--one", nargs=3, metavar=("ASSIGNMENT", "ROSTER", "SUBS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(*map(Path, args.one), args.workers)))
        return
    print(f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"{args.workers} sandbox workers; median of {args.runs} runs")
    print(f"{'N':>6} {'subs/s':>8} {'seconds':>8} {'grader MiB':>11} {'with workers MiB':>17}")
    for students in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            assignment, roster, subs = prepare(Path(tmp), students)
            runs = []
            for _ in range(args.runs):
                output = subprocess.run(
                    [sys.executable, __file__, "--workers", str(args.workers), "--one",
                     str(assignment), str(roster), str(subs)],
                    check=True, capture_output=True, text=True).stdout
                runs.append(json.loads(output.strip().splitlines()[-1]))
            assert all(r["graded"] == students for r in runs), runs
            seconds = statistics.median(r["seconds"] for r in runs)
            print(f"{students:>6} {students / seconds:>8.1f} {seconds:>8.1f} "
                  f"{statistics.median(r['grader_peak_mib'] for r in runs):>11.0f} "
                  f"{statistics.median(r['tree_peak_mib'] for r in runs):>17.0f}")


if __name__ == "__main__":
    main()
