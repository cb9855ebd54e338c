"""Time and peak memory of ``calcgrade generate`` for a large class (median of several runs).

Run:  python benchmarks/generate_class.py [--students 1000] [--runs 3] [--jobs N] [--secret HEX]
                                          [--cluster local:N | --scheduler ADDRESS]

Each run is a fresh ``calcgrade generate`` process over the example assignment
(``examples/assignment.toml``, all five families) and a made-up roster, with a throw-away
secret, into a temporary folder: the wall time is what an instructor waits, CPU time adds
up every process (the generating process, its ``--jobs`` workers or its local Dask
cluster), the generating process's own CPU time is shown apart (with Dask it draws,
solves, signs and writes while the workers render: its share is what bounds a cluster),
and peak memory is the largest resident set of any one process, with the generating
process's own beside it. With ``--cluster local:N`` the cluster's start is timed apart
too (it is part of the wall time). The goal is under 30 s for 1,000 students on a 2-core
machine. With ``--secret`` every run uses that secret and prints the SHA-256 of its output
folder (of the sorted ``sha256sum`` lines of every file), so two versions of calcgrade, or
a local run and a Dask run, can be checked to write the same bytes.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import shutil
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


# ``calcgrade ARGS`` in a fresh interpreter, then one JSON line on stderr: the generating
# process's own CPU seconds and peak RSS, and how long a Dask cluster took to start
DRIVER = """
import json, resource, sys, time
from calcgrade.grader.cli import main
started = []
try:
    from calcgrade.grader.sandbox import dask_pool
    enter = dask_pool.DaskCluster.__enter__
    def timed(self):
        begin = time.perf_counter()
        entered = enter(self)
        started.append(time.perf_counter() - begin)
        return entered
    dask_pool.DaskCluster.__enter__ = timed
except ImportError:
    pass
code = main(sys.argv[1:])
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"self_cpu": usage.ru_utime + usage.ru_stime, "self_mib": usage.ru_maxrss / 1024,
                  "cluster_start": started[0] if started else None}), file=sys.stderr)
sys.exit(code)
"""


def one_run(folder: Path, roster: Path, jobs: int | None, secret: str | None = None,
            dask: list[str] | None = None) -> dict:
    """Wall seconds, CPU seconds (all processes, and the generating process alone), peak
    RSS in MiB (any one process, and the generating process) of one generate process."""
    import json

    assignment = Path(str(files("calcgrade.examples") / "assignment.toml"))
    command = [sys.executable, "-c", DRIVER, "generate", str(assignment),
               "--roster", str(roster), "--out", str(folder / "out")]
    if jobs:
        command += ["--jobs", str(jobs)]
    command += dask or []
    env = {**os.environ, "CALCGRADE_SECRET": secret or secrets.token_hex(32), "CI": "1"}
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        errors.seek(0)
        stderr = errors.read().decode()
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"generate failed: {stderr}")
    own = json.loads(stderr.strip().splitlines()[-1])
    # ru_maxrss is in KiB on Linux; the usage of wait4 includes the workers it waited for
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "self_cpu": own["self_cpu"],
            "peak": usage.ru_maxrss / 1024, "self_peak": own["self_mib"],
            "cluster_start": own["cluster_start"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, help="processes (default: calcgrade's choice)")
    parser.add_argument("--cluster", metavar="local:N", help="render on a local Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="render on this Dask scheduler's "
                                                               "workers")
    parser.add_argument("--secret", help="the course secret as hex (default: a new one per run); "
                                         "prints each output folder's SHA-256")
    args = parser.parse_args()
    dask = ["--cluster", args.cluster] if args.cluster else \
        ["--scheduler", args.scheduler] if args.scheduler else []
    where = " ".join(dask) or f"jobs={args.jobs or 'auto'}"
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {platform.processor() or platform.machine()}, {cpus} usable cores, "
          f"load {load:.1f}, Python {platform.python_version()}; {args.students} students of "
          f"examples/assignment.toml, {args.runs} runs, {where}")
    results = []
    with tempfile.TemporaryDirectory(prefix="calcgrade-bench-") as tmp:
        roster = Path(tmp) / "roster.csv"
        write_roster(roster, args.students)
        for run in range(args.runs):
            folder = Path(tmp) / f"run{run}"
            folder.mkdir()
            result = one_run(folder, roster, args.jobs, args.secret, dask)
            results.append(result)
            digest = f", output sha256 {tree_digest(folder / 'out')}" if args.secret else ""
            start = (f", cluster start {result['cluster_start']:.1f} s"
                     if result["cluster_start"] is not None else "")
            print(f"run {run + 1}: {result['wall']:6.1f} s wall, {result['cpu']:6.1f} s CPU "
                  f"({result['self_cpu']:.1f} s in the generating process), peak "
                  f"{result['peak']:4.0f} MiB (generating process {result['self_peak']:.0f} MiB)"
                  f"{start}{digest}", flush=True)
            shutil.rmtree(folder)

    def median(name: str) -> float:
        return statistics.median(r[name] for r in results)

    start = (f", cluster start {median('cluster_start'):.1f} s"
             if results[0]["cluster_start"] is not None else "")
    print(f"median: {median('wall'):.1f} s wall ({args.students / median('wall'):.0f} "
          f"students/s), {median('cpu'):.1f} s CPU ({median('self_cpu'):.1f} s in the generating "
          f"process, {median('self_cpu') * 1000 / args.students:.1f} ms per student), peak "
          f"{median('peak'):.0f} MiB (generating process {median('self_peak'):.0f} MiB){start} "
          "(goal: under 30 s for 1,000 students on 2 cores)")


if __name__ == "__main__":
    main()
