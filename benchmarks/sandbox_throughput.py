"""Submissions per second through the sandbox executor (median of several runs).

Run:  python benchmarks/sandbox_throughput.py [--submissions 200] [--runs 3] [--workers 2]

Writes ``--submissions`` small realistic notebooks (a setup cell importing numpy, six
answer cells computing with numpy, one function answer), runs them all through a
:class:`SandboxExecutor` with ``run_many`` (all workers busy), several times, and
prints the median rate, the CPU time per submission of each group of processes (the
grader; the workers; the submission children, counted when their worker reaps them;
the reapers of the workers' pid namespaces) and their total, the peak RSS of the
grader process and of the workers (zygotes and their children), and what the workers
isolated. Start-up of the pool is
timed separately and not included in the rate.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import tempfile
import threading
import time

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from calcgrade.grader.sandbox import Job, Limits, SandboxExecutor

ANSWERS = ["value", "grad", "hessian", "iterates", "loss", "label"]
FUNCTIONS = {"sigmoid_prime": [0.0, 1.5, [-1.0, 0.0, 2.0]]}


def notebook(seed: int):
    """A student's notebook: statement cells, a setup cell and answer cells."""
    a = 1 + seed % 7
    cells = [
        new_markdown_cell(f"# Homework, variant {seed}\nAnswer each part below."),
        new_code_cell("import numpy as np"),
        new_markdown_cell("**Q1.** Evaluate $f'(x)$ at $x = 2$."),
        new_code_cell(f"a = {a}\nvalue = float(3 * a * 2.0 ** 2 + np.exp(0.5))"),
        new_code_cell(f"x = np.array([1.0, -2.0])\ngrad = (np.array([[2.0, {a}], [{a}, 4.0]]) @ x).tolist()"),
        new_code_cell(f"hessian = np.array([[2.0, {a}], [{a}, 4.0]])"),
        new_code_cell("theta = np.array([0.5, -0.5])\niterates = []\n"
                      "for _ in range(5):\n    theta = theta - 0.1 * (2 * theta)\n"
                      "    iterates.append(theta.copy())\niterates = np.array(iterates)"),
        new_code_cell("y, p = np.array([1, 0, 1]), np.array([0.9, 0.2, 0.7])\n"
                      "loss = -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))\nprint(loss)"),
        new_code_cell("eig = np.linalg.eigvalsh(hessian)\n"
                      "label = 'minimum' if (eig > 0).all() else 'saddle'\n"
                      "def sigmoid_prime(z):\n    s = 1 / (1 + np.exp(-z))\n    return s * (1 - s)"),
    ]
    return new_notebook(cells=cells)


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _descendants(pids) -> set:
    found, frontier = set(pids), set(pids)
    while frontier:
        nxt = set()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                if ppid in frontier and int(entry) not in found:
                    nxt.add(int(entry))
        found |= nxt
        frontier = nxt
    return found


def _cpu_seconds(pid: int) -> tuple[float, float]:
    """(own, reaped children) CPU seconds of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        fields = handle.read().rsplit(b")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


def _helper_cpu(workers) -> dict:
    """CPU seconds (own and reaped children) of the workers' long-lived helpers (the
    reaper of each pid namespace, which reaps what a submission leaves behind), by pid;
    the submission children are counted by their worker once reaped."""
    found = {}
    for pid in _descendants(workers) - set(workers):
        try:
            own, reaped = _cpu_seconds(pid)
        except (OSError, ValueError, IndexError):
            continue
        found[pid] = own + reaped
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-isolation", action="store_true", help="plain fork, no namespaces")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="calcgrade-bench-sandbox-")
    try:
        run_benchmark(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_benchmark(args, folder: str) -> None:
    """Write the notebooks into ``folder``, run them, print the figures."""
    paths = []
    for seed in range(args.submissions):
        path = os.path.join(folder, f"student{seed:04d}.ipynb")
        nbformat.write(notebook(seed), path)
        paths.append(path)
    jobs = [Job(path, tuple(ANSWERS), FUNCTIONS) for path in paths]
    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}; {args.submissions} notebooks x {args.runs} runs, "
          f"{args.workers} workers")
    start = time.perf_counter()
    with SandboxExecutor(workers=args.workers, limits=Limits(wall_seconds=30),
                         isolate=not args.no_isolation) as sandbox:
        print(f"pool start-up: {time.perf_counter() - start:.2f} s; isolation: {sandbox.isolation}")
        peak_workers = {}
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                for pid in _descendants(sandbox.worker_pids()):
                    peak_workers[pid] = max(peak_workers.get(pid, 0), _rss_kib(pid))
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rates = []
        for run in range(args.runs):
            before = [_cpu_seconds(pid) for pid in sandbox.worker_pids()]
            helpers_before = _helper_cpu(sandbox.worker_pids())
            grader_before = time.process_time()
            begin = time.perf_counter()
            results = sandbox.run_many(jobs)
            elapsed = time.perf_counter() - begin
            grader_cpu = time.process_time() - grader_before
            after = [_cpu_seconds(pid) for pid in sandbox.worker_pids()]
            helpers_after = _helper_cpu(sandbox.worker_pids())
            zygote_cpu = sum(a[0] - b[0] for a, b in zip(after, before))
            child_cpu = sum(a[1] - b[1] for a, b in zip(after, before))
            helper_cpu = sum(helpers_after[pid] - helpers_before[pid]
                             for pid in set(helpers_after) & set(helpers_before))
            total = grader_cpu + zygote_cpu + child_cpu + helper_cpu
            statuses = {r.status for r in results}
            bad = [r for r in results if r.status != "ok" or r.cell_errors]
            rates.append(len(jobs) / elapsed)
            per = 1000 / len(jobs)
            print(f"run {run + 1}: {rates[-1]:7.1f} submissions/s  statuses={sorted(statuses)}"
                  f"  with problems: {len(bad)};  CPU ms/submission: grader {grader_cpu * per:.1f}, "
                  f"workers {zygote_cpu * per:.1f}, children {child_cpu * per:.1f}, "
                  f"reapers {helper_cpu * per:.1f}, total {total * per:.1f}")
        stop.set()
        sampler.join()
        zygotes = sandbox.worker_pids()
        print(f"median: {statistics.median(rates):.1f} submissions/s "
              f"(min {min(rates):.1f}, max {max(rates):.1f})")
        print(f"sample answers: {results[0].answers} {results[0].function_results}")
    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    zygote_peak = max((peak_workers.get(p, 0) for p in zygotes), default=0)
    child_peak = max((v for p, v in peak_workers.items() if p not in zygotes), default=0)
    print(f"peak RSS: grader {parent / 1024:.0f} MiB, worker (zygote) {zygote_peak / 1024:.0f} MiB, "
          f"submission child {child_peak / 1024:.0f} MiB (sampled)")


if __name__ == "__main__":
    main()
