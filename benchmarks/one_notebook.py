"""Grading one notebook cold, as an instructor runs it, side by side with ``otter run``.

Run:  python benchmarks/one_notebook.py [--students 5 1000] [--runs 7] [--key]
                                        [--otter-venv DIR | --otter PATH | --no-otter]

For each roster size N it generates a class of N students of ``examples/assignment.toml``
(six problems, 16 answer parts) once, fills the last student's notebook with correct
answers (the last one: without ``--key`` a student's variants are found by drawing the
students before them) and then, ``--runs`` times, grades that one notebook from scratch:
``calcgrade grade one.ipynb --assignment A --roster R --out NEW --secret-file S`` in a
fresh process, exactly as a user types it (with ``--key``, also the same command with
the class's ``key.json``). Every run is checked to end with the notebook graded in full.

Side by side, in the same loop, ``otter run -a autograder.zip one.ipynb`` grades an
equivalent otter assignment: a master notebook with one question per problem whose
hidden tests check the same 16 answers of the same student (numbers with numpy's
``allclose`` at calcgrade's default tolerances, labels as text, expressions by sympy),
built once with ``otter assign``. otter-grader lives in a virtual environment of its own
(``--otter-venv``, created and filled from PyPI with otter-grader, ipykernel for its kernel and
sympy when it does not exist), or is the ``otter`` executable given with ``--otter``.

It reports, per case, the median wall-clock seconds and the median CPU seconds of the
command and everything it started (``RUSAGE_CHILDREN``: the grader, its sandbox worker
and the worker's child; otter, its kernel), the ratio of the medians, and the machine's
load average, since on a shared machine wall-clock times are noisy and CPU time less so.

The calcgrade modules are byte-compiled first (``compileall``), as ``pip install`` does:
an editable checkout run with ``PYTHONDONTWRITEBYTECODE`` would compile them on every start.
"""

from __future__ import annotations

import argparse
import compileall
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

SECRET = bytes(32)
ROOT = Path(__file__).resolve().parent.parent


def prepare_class(root: Path, students: int) -> dict:
    """A generated class of ``students`` and the last student's notebook, answered."""
    from importlib.resources import files

    from calcgrade.grader.generate import generate
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    assignment = Path(str(files("calcgrade.examples") / "assignment.toml"))
    root.mkdir(parents=True)
    roster = root / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"s{i:05d},Student {i}\n" for i in range(students)))
    generate(assignment, roster, root / "class", SECRET, jobs=None)
    key = json.loads((root / "class" / "key.json").read_text())
    record = key["students"][-1]
    answers = simulated_answers(record, "correct")
    text = (root / "class" / "notebooks" / f"{record['id']}.ipynb").read_text()
    notebook = root / f"{record['id']}.ipynb"
    notebook.write_text(fill_answers(text, answers))
    secret = root / "secret"
    secret.write_text(SECRET.hex())
    secret.chmod(0o600)
    return {"assignment": assignment, "roster": roster, "key": root / "class" / "key.json",
            "notebook": notebook, "student": record["id"], "record": record, "answers": answers,
            "secret": secret, "root": root}


def calcgrade_command(case: dict, out: Path, with_key: bool) -> list[str]:
    command = [str(Path(sys.executable).with_name("calcgrade")), "grade", str(case["notebook"]),
               "--assignment", str(case["assignment"]), "--roster", str(case["roster"]),
               "--out", str(out), "--secret-file", str(case["secret"])]
    return command + (["--key", str(case["key"])] if with_key else [])


def check_graded(case: dict, out: Path) -> None:
    import csv

    with open(out / "grades.csv", newline="") as handle:
        row = next(r for r in csv.DictReader(handle) if r["student"] == case["student"])
    if row["status"] != "graded" or row["total"] != row["max"]:
        raise SystemExit(f"calcgrade did not grade {case['student']} in full: {row}")


# --- the equivalent otter assignment ------------------------------------------------------


def _otter_test(name: str, value, kind: str) -> str:
    """One hidden test line checking ``name`` against the reference ``value``."""
    if kind == "label":
        return f"assert str({name}).strip().lower() == {str(value).lower()!r}"
    if kind == "expression":
        return (f"assert sympy.simplify(sympy.sympify(str({name})) - sympy.sympify({value!r})) == 0")
    return (f"assert np.allclose(np.asarray({name}, dtype=float), np.asarray({value!r}, "
            f"dtype=float), rtol=1e-3, atol=1e-6)")


def otter_master(case: dict):
    """A master notebook (otter assign's format) asking for the same 16 answers."""
    import nbformat

    from calcgrade.problems import get_family

    v4 = nbformat.v4
    cells = [v4.new_raw_cell("# ASSIGNMENT CONFIG\nname: one\nexport_cell: false\n"
                             "check_all_cell: false\n"),
             v4.new_code_cell("import numpy as np\nimport sympy")]
    for problem in case["record"]["problems"]:
        number = problem["number"]
        specs = get_family(problem["family"]).answer_specs(problem["params"])
        solution = "\n".join(f"q{number}_{name} = {case['answers'][f'q{number}_{name}']!r}"
                             f"  # SOLUTION" for name in problem["answers"])
        tests = "\n".join(_otter_test(f"q{number}_{name}", value, specs[name].kind)
                          for name, value in problem["answers"].items())
        cells += [v4.new_raw_cell(f"# BEGIN QUESTION\nname: q{number}\npoints: 1"),
                  v4.new_markdown_cell(f"Problem {number} ({problem['family']})."),
                  v4.new_raw_cell("# BEGIN SOLUTION"), v4.new_code_cell(solution),
                  v4.new_raw_cell("# END SOLUTION"), v4.new_raw_cell("# BEGIN TESTS"),
                  v4.new_code_cell("\"\"\" # BEGIN TEST CONFIG\nhidden: true\n\"\"\" # END TEST CONFIG\n"
                                   + tests),
                  v4.new_raw_cell("# END TESTS"), v4.new_raw_cell("# END QUESTION")]
    return v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


def otter_executable(args) -> str | None:
    """The ``otter`` to run: ``--otter``, or the one in ``--otter-venv`` (made if absent)."""
    if args.no_otter:
        return None
    if args.otter:
        return args.otter
    venv = Path(args.otter_venv)
    otter = venv / "bin" / "otter"
    if not otter.exists():
        print(f"creating {venv} with otter-grader (from PyPI) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        done = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "otter-grader",
                               "ipykernel", "sympy"], capture_output=True, text=True)
        if done.returncode != 0:
            print(f"otter-grader could not be installed; reporting calcgrade alone:\n"
                  f"{done.stderr[-2000:]}", flush=True)
            return None
    return str(otter)


def prepare_otter(case: dict, otter: str) -> dict:
    """``otter assign`` the master notebook once; the student's notebook, answered."""
    import nbformat

    folder = case["root"] / "otter"
    folder.mkdir()
    nbformat.write(otter_master(case), folder / "one.ipynb")
    done = subprocess.run([otter, "assign", "--no-pdfs", "--no-run-tests", "one.ipynb", "dist"],
                          cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"otter assign failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    autograder = next((folder / "dist" / "autograder").glob("*.zip"))
    student = json.loads((folder / "dist" / "student" / "one.ipynb").read_text())
    for cell in student["cells"]:
        source = "".join(cell["source"])
        for name, value in case["answers"].items():
            source = source.replace(f"{name} = ...", f"{name} = {value!r}")
        cell["source"] = source
    submission = folder / "submission" / "one.ipynb"
    submission.parent.mkdir()
    submission.write_text(json.dumps(student))
    return {"zip": autograder, "notebook": submission, "folder": folder}


def otter_command(otter: str, prepared: dict, out: Path) -> list[str]:
    return [otter, "run", "-a", str(prepared["zip"]), "-o", str(out), str(prepared["notebook"])]


def check_otter(out: Path) -> None:
    results = json.loads((out / "results.json").read_text())
    score = sum(test.get("score") or 0 for test in results["tests"])
    most = sum(test.get("max_score") or 0 for test in results["tests"])
    if score != most or most == 0:
        raise SystemExit(f"otter did not pass every test: {score} of {most}")


# --- measuring ---------------------------------------------------------------------------


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and all it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:3])} … failed ({done.returncode}): "
                         f"{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, nargs="+", default=[5, 1000],
                        help="roster sizes (default 5 1000)")
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (median)")
    parser.add_argument("--key", action="store_true",
                        help="also grade with the class's key.json (--key)")
    parser.add_argument("--otter-venv", default=os.path.join(tempfile.gettempdir(),
                                                             "calcgrade-bench-otter"),
                        help="virtual environment holding otter-grader (made if absent)")
    parser.add_argument("--otter", help="an otter executable to use instead")
    parser.add_argument("--no-otter", action="store_true", help="measure calcgrade alone")
    args = parser.parse_args()

    import calcgrade.core
    import calcgrade.grader
    import calcgrade.problems
    import calcgrade.solutions

    for package in (calcgrade.core, calcgrade.grader, calcgrade.problems, calcgrade.solutions):
        for folder in package.__path__:
            compileall.compile_dir(folder, quiet=1)
    otter = otter_executable(args)
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; load average at start {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="calcgrade-one-") as scratch:
        for students in args.students:
            case = prepare_class(Path(scratch) / f"class-{students}", students)
            prepared = prepare_otter(case, otter) if otter else None
            kinds = ["calcgrade"] + (["calcgrade --key"] if args.key else []) + \
                (["otter run"] if prepared else [])
            walls = {kind: [] for kind in kinds}
            cpus = {kind: [] for kind in kinds}
            for run in range(args.runs):
                for kind in kinds:
                    out = case["root"] / f"out-{kind.replace(' ', '')}-{run}"
                    if kind == "otter run":
                        out.mkdir()
                        wall, cpu = timed(otter_command(otter, prepared, out), prepared["folder"])
                        check_otter(out)
                    else:
                        wall, cpu = timed(calcgrade_command(case, out, kind.endswith("key")),
                                          case["root"])
                        check_graded(case, out)
                    walls[kind].append(wall)
                    cpus[kind].append(cpu)
            print(f"\none notebook, roster of {students} (student {case['student']}, "
                  f"{args.runs} runs each, load average now {os.getloadavg()[0]:.1f}):")
            for kind in kinds:
                print(f"  {kind:16s} wall median {statistics.median(walls[kind]):6.3f} s "
                      f"(min {min(walls[kind]):.3f})   CPU median "
                      f"{statistics.median(cpus[kind]):6.3f} s")
            if prepared:
                for kind in kinds[:-1]:
                    print(f"  otter run / {kind}: wall {statistics.median(walls['otter run']) / statistics.median(walls[kind]):.1f}x, "
                          f"CPU {statistics.median(cpus['otter run']) / statistics.median(cpus[kind]):.1f}x")


if __name__ == "__main__":
    main()
