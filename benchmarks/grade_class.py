"""Grading throughput: N simulated submissions of the example assignment, end to end.

Run:  python benchmarks/grade_class.py [--students 1000 10000] [--runs 3] [--workers 2] [--key]
                                       [--classes DIR]

For each N it generates a class of N students once, fills every notebook as a student
would (most correct, every fifth with a catalogued mistake, every seventh with a slip in
Newton's first step), then, ``--runs`` times, grades the folder from scratch (a fresh
process, a fresh output folder; with ``--key`` the class's key.json gives the draw
numbers) and, for the ceiling, runs the same notebooks through the sandbox alone (a fresh
process: the same workers, the same answers extracted, no marking, no gradebook). It
reports the median submissions per second of both side by side, and the peak memory: of
the grading process alone (its own high-water mark, ``VmHWM``: ``ru_maxrss`` would carry
over the peak of the parent it was started from, on Linux even across exec, so a
benchmark that generated a large class first would read that class's memory), and of it together with its sandbox workers and
their children (resident set sizes sampled every 100 ms), and the CPU time per submission
of the grading process and of the children it waited for (on a shared machine, CPU time
is less noisy than wall-clock time). With ``--classes DIR`` each class is
generated once into ``DIR/<N>`` and reused by later runs (a class of 10,000 takes many
minutes to generate).
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

    from calcgrade.grader.generation.generate import generate
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


def kept_class(folder: Path, students: int) -> tuple[Path, Path, Path]:
    """:func:`prepare` into ``folder/<students>`` once; later calls reuse what it wrote."""
    from importlib.resources import files

    root = folder / str(students)
    if not (root / "done").exists():
        if root.exists():
            import shutil

            shutil.rmtree(root)
        root.mkdir(parents=True)
        prepare(root, students)
        (root / "done").write_text("")
    assignment = Path(str(files("calcgrade.examples") / "assignment.toml"))
    return assignment, root / "roster.csv", root / "submissions"


def _tree_rss_kib(pid: int) -> int:
    """Resident memory of ``pid`` and all its descendants, in KiB (Linux /proc), found
    through each process's ``task/*/children`` so a sample reads only the tree's files."""
    page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
    total, frontier = 0, [pid]
    while frontier:
        current = frontier.pop()
        try:
            with open(f"/proc/{current}/statm") as handle:
                total += int(handle.read().split()[1]) * page_kib
            for children in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{children}/children") as handle:
                    frontier.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def _peak_sampler():
    """Start sampling this process tree's resident memory; returns stop() -> peak KiB."""
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_kib(os.getpid()))
            time.sleep(0.1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()

    def stop() -> int:
        done.set()
        sampler.join()
        return peak[0]
    return stop


def sandbox_run(subs: Path, key_path: Path, workers: int) -> dict:
    """The ceiling: the same notebooks through the sandbox alone (no variants, no marking)."""
    from concurrent.futures import ThreadPoolExecutor

    from calcgrade.grader.grading.grade import without_selfcheck
    from calcgrade.grader.sandbox import Limits, SandboxExecutor
    from calcgrade.grader.sandbox.submission import parse_submission

    key = json.loads(key_path.read_text())
    names = {record["id"]: [f"q{p['number']}_{name}" for p in record["problems"]
                            for name in p["answers"]] for record in key["students"]}
    del key
    stop = _peak_sampler()
    start = time.perf_counter()
    sandbox = SandboxExecutor(workers=workers, limits=Limits(wall_seconds=60))
    sandbox.start()

    def one(path: Path):
        submission = parse_submission(path.read_bytes(), path.name)
        return sandbox.run(without_selfcheck(submission), answers=names[path.stem]).status

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            statuses = list(pool.map(one, sorted(subs.iterdir())))
    finally:
        sandbox.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "graded": statuses.count("ok"),
            "grader_peak_mib": own_peak_mib(),
            "tree_peak_mib": stop() / 1024, **_cpu()}


def one_run(assignment: Path, roster: Path, subs: Path, workers: int,
            key: Path | None = None) -> dict:
    """Grade once in this process (called in a fresh child by :func:`main`)."""
    from calcgrade.grader.grading.grade import grade

    stop = _peak_sampler()
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        summary = grade([str(subs)], str(assignment), str(roster), out, bytes(32), workers=workers,
                        **({"key": str(key)} if key else {}))
        seconds = time.perf_counter() - start
    return {"seconds": seconds, "graded": summary.graded,
            "grader_peak_mib": own_peak_mib(),
            "tree_peak_mib": stop() / 1024, **_cpu()}


def own_peak_mib() -> float:
    """This process's own peak resident size in MiB (``VmHWM``; not ``ru_maxrss``, which a
    process started by ``subprocess`` inherits from its parent's peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> dict:
    """CPU seconds of this process (the grader) and of the children it waited for."""
    import resource

    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return {"cpu_self": own.ru_utime + own.ru_stime,
            "cpu_children": children.ru_utime + children.ru_stime}


def run_child(script: str, *args: str) -> dict:
    """Run ``script ARGS`` in a fresh interpreter; the JSON object its last line prints."""
    output = subprocess.run([sys.executable, script, *args], check=True, capture_output=True,
                            text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def _child(*args: str) -> dict:
    return run_child(__file__, *args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--key", action="store_true", help="grade with the class's key.json")
    parser.add_argument("--classes", help="keep each generated class in CLASSES/<N> and reuse it")
    parser.add_argument("--one", nargs=3, metavar=("ASSIGNMENT", "ROSTER", "SUBS"), help=argparse.SUPPRESS)
    parser.add_argument("--one-key", help=argparse.SUPPRESS)
    parser.add_argument("--sandbox", nargs=2, metavar=("SUBS", "KEY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        key = Path(args.one_key) if args.one_key else None
        print(json.dumps(one_run(*map(Path, args.one), args.workers, key)))
        return
    if args.sandbox:
        print(json.dumps(sandbox_run(*map(Path, args.sandbox), args.workers)))
        return
    print(f"# {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}; {args.workers} sandbox workers; median of "
          f"{args.runs} runs; grading {'with' if args.key else 'without'} --key")
    print(f"{'N':>6} {'grade/s':>8} {'sandbox/s':>10} {'share':>6} {'grader MiB':>11} "
          f"{'with workers MiB':>17} {'sandbox-only MiB':>17} {'grader CPU ms/sub':>17} "
          f"{'workers CPU ms/sub':>18}")
    for students in args.students:
        with tempfile.TemporaryDirectory() as tmp:
            assignment, roster, subs = kept_class(Path(args.classes), students) if args.classes \
                else prepare(Path(tmp), students)
            key = roster.parent / "class" / "key.json"
            graded, ceiling = [], []
            for _ in range(args.runs):
                extra = ["--one-key", str(key)] if args.key else []
                graded.append(_child("--workers", str(args.workers), *extra, "--one",
                                     str(assignment), str(roster), str(subs)))
                ceiling.append(_child("--workers", str(args.workers), "--sandbox", str(subs),
                                      str(key)))
            assert all(r["graded"] == students for r in graded), graded
            rate = students / statistics.median(r["seconds"] for r in graded)
            top = students / statistics.median(r["seconds"] for r in ceiling)
            print(f"{students:>6} {rate:>8.1f} {top:>10.1f} {rate / top:>6.0%} "
                  f"{statistics.median(r['grader_peak_mib'] for r in graded):>11.0f} "
                  f"{statistics.median(r['tree_peak_mib'] for r in graded):>17.0f} "
                  f"{statistics.median(r['tree_peak_mib'] for r in ceiling):>17.0f} "
                  f"{1000 * statistics.median(r['cpu_self'] for r in graded) / students:>17.1f} "
                  f"{1000 * statistics.median(r['cpu_children'] for r in graded) / students:>18.1f}",
                  flush=True)


if __name__ == "__main__":
    main()
