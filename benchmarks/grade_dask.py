"""Grading on Dask: N simulated submissions locally and through a LocalCluster.

Run:  python benchmarks/grade_dask.py [--students 1000 10000] [--runs 3] [--workers 2]
                                      [--modes local dask] [--cache DIR]

For each N it generates a class once and fills every notebook as a student would (the
submissions of ``grade_class.py``; with ``--cache DIR`` they are kept in ``DIR/N`` and
reused by later runs of this script and of ``grade_class.py --classes DIR``),
then, ``--runs`` times, in a fresh process each (``--modes`` chooses which):

- ``local``: ``grade`` with this machine's pool of ``--workers`` sandbox processes;
- ``dask``: ``grade`` through a ``LocalCluster`` of ``--workers`` worker processes (one
  thread and one warm sandbox each; the cluster's start is timed apart, it happens once
  per cluster, not per batch), then the scheduler's overhead: ``--noop`` empty tasks
  through the same bounded window of blocking submissions (no sandbox), and one at a time.

It reports medians: submissions per second, the grading process's peak memory (its own ``VmHWM``;
with a LocalCluster the scheduler lives in that process too) and CPU seconds per
submission of the grading process and of everything else (sandbox workers, Dask
workers; from /proc), and the scheduler's overhead per submission (window and
one-at-a-time). The CPU figures are what a cluster estimate is made from: a worker
machine with C cores grades about C / (worker CPU per submission) per second; the
grading process (one core for marking) caps the whole cluster at about
1 / (grading CPU per submission).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from grade_class import kept_class, own_peak_mib, prepare, run_child  # noqa: E402  (the same simulated class)


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of ``pid``'s live descendants (not ``pid`` itself), each with its waited-for
    children (utime + stime + cutime + cstime, Linux /proc)."""
    parents: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            parents[int(entry)] = int(fields[1])
            cpu[int(entry)] = sum(int(value) for value in fields[11:15])
        except (OSError, IndexError, ValueError):
            continue
    total, frontier = 0, [pid]
    while frontier:
        current = frontier.pop()
        for child, parent in parents.items():
            if parent == current:
                total += cpu.get(child, 0)
                frontier.append(child)
    return total / os.sysconf("SC_CLK_TCK")


def _self_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _noop(payload: dict, limits: dict) -> str:
    return "{\"status\": \"ok\"}"


def one_run(mode: str, assignment: Path, roster: Path, subs: Path, workers: int,
            noop: int) -> dict:
    """Grade once in this process (called in a fresh child by :func:`main`)."""
    from calcgrade.grader.grading.grade import grade

    students = sum(1 for _ in subs.iterdir())
    result: dict = {}
    with tempfile.TemporaryDirectory() as out:
        if mode == "local":
            cpu, start = _self_cpu(), time.perf_counter()
            summary = grade([str(subs)], str(assignment), str(roster), out, bytes(32),
                            workers=workers)
            seconds = time.perf_counter() - start
            others = _tree_cpu_seconds(os.getpid())  # before the pool is gone: see below
        else:
            from calcgrade.grader.sandbox import Limits
            from calcgrade.grader.sandbox.dask_pool import DaskCluster

            boot = time.perf_counter()
            with DaskCluster(local=workers) as cluster:
                result["cluster_start_seconds"] = time.perf_counter() - boot
                base_others = _tree_cpu_seconds(os.getpid())
                cpu, start = _self_cpu(), time.perf_counter()
                summary = grade([str(subs)], str(assignment), str(roster), out, bytes(32),
                                sandbox=cluster.sandbox(Limits(wall_seconds=60)))
                seconds = time.perf_counter() - start
                grading_cpu = _self_cpu() - cpu
                others = _tree_cpu_seconds(os.getpid()) - base_others
                result.update(_overhead(cluster.sandbox(Limits()), noop))
            result["grading_cpu_per_submission"] = grading_cpu / students
    if mode == "local":
        # the local pool's zygotes are gone by now; their CPU (and their children's) was
        # counted in this process's RUSAGE_CHILDREN when they were waited for
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        others = max(others, children.ru_utime + children.ru_stime)
        result["grading_cpu_per_submission"] = (_self_cpu() - cpu) / students
    result.update({"seconds": seconds, "graded": summary.graded, "students": students,
                   "grader_peak_mib": own_peak_mib(),
                   "other_cpu_per_submission": others / students})
    return result


def _overhead(sandbox, count: int) -> dict:
    """Seconds per empty task through the bounded window, and one at a time."""
    sandbox.start()
    try:
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=sandbox.size) as pool:
            list(pool.map(lambda _: sandbox._submit({}, {}, task=_noop), range(count)))
        window = (time.perf_counter() - start) / count
        single = []
        for _ in range(min(count, 200)):
            start = time.perf_counter()
            sandbox._submit({}, {}, task=_noop)
            single.append(time.perf_counter() - start)
    finally:
        sandbox.close()
    return {"overhead_window_ms": window * 1000, "overhead_single_ms": statistics.median(single) * 1000}


def _child(*args: str) -> dict:
    return run_child(__file__, *args)


def prepared(students: int, cache: Path | None, scratch: Path) -> list[str]:
    """The paths (assignment, roster, submissions) of a simulated class of ``students``:
    made in ``scratch``, or kept in ``cache`` as ``grade_class.py --classes`` keeps them
    (so the two scripts share one generated class)."""
    made = prepare(scratch, students) if cache is None else kept_class(cache, students)
    return [str(p) for p in made]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--noop", type=int, default=2000, help="empty tasks for the overhead")
    parser.add_argument("--modes", nargs="+", choices=("local", "dask"), default=["local", "dask"])
    parser.add_argument("--cache", type=Path, metavar="DIR",
                        help="keep the generated classes and submissions here and reuse them")
    parser.add_argument("--one", nargs=4, metavar=("MODE", "ASSIGNMENT", "ROSTER", "SUBS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        mode, *paths = args.one
        print(json.dumps(one_run(mode, *map(Path, paths), args.workers, args.noop)))
        return
    print(f"# {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}; {args.workers} sandbox workers (local) or "
          f"{args.workers} Dask worker processes of 1 thread; median of {args.runs} runs")
    print(f"{'N':>6} {'mode':>6} {'sub/s':>7} {'grader MiB':>11} {'grader CPU ms/sub':>18} "
          f"{'others CPU ms/sub':>18} {'sched ms/sub (window)':>22} {'(single)':>9} "
          f"{'cluster start s':>16} {'load':>5}")
    for students in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            paths = prepared(students, args.cache, Path(tmp))
            for mode in args.modes:
                runs = [_child("--workers", str(args.workers), "--noop", str(args.noop), "--one",
                               mode, *paths) for _ in range(args.runs)]
                assert all(r["graded"] == students for r in runs), runs

                def median(name: str, scale: float = 1.0) -> float:
                    values = [r[name] * scale for r in runs if name in r]
                    return statistics.median(values) if values else float("nan")

                rate = students / median("seconds")
                print(f"{students:>6} {mode:>6} {rate:>7.1f} {median('grader_peak_mib'):>11.0f} "
                      f"{median('grading_cpu_per_submission', 1000):>18.1f} "
                      f"{median('other_cpu_per_submission', 1000):>18.1f} "
                      f"{median('overhead_window_ms'):>22.2f} {median('overhead_single_ms'):>9.2f} "
                      f"{median('cluster_start_seconds'):>16.1f} {os.getloadavg()[0]:>5.1f}",
                      flush=True)


if __name__ == "__main__":
    main()
