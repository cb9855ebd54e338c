"""The autograder side of a Gradescope bundle: grade one submission, write results.json.

``run_autograder`` (see :mod:`calcgrade.grader.integrations.gradescope`) runs
``python -m calcgrade.grader.integrations.gradescope_run ROOT`` with ``ROOT`` = ``/autograder`` (or
``$CALCGRADE_AUTOGRADER_ROOT``). It

1. reads the bundle's ``source/course/config.json``, the assignment, roster and secret;
2. finds whose submission it is: the first of ``users`` in ``submission_metadata.json``,
   matched with the roster by the configured field (:mod:`calcgrade.grader.grading.submitter`);
3. finds the notebook in ``submission/`` (links are not followed; hidden files,
   ``__MACOSX`` and ``.ipynb_checkpoints`` are left out; of several notebooks, the one whose
   signed metadata names the submitter);
4. grades it as that student's submission in calcgrade's sandbox, cross-checked with the
   notebook's signed metadata (a notebook of another student or another course is graded
   as the submitter's variant and flagged);
5. writes ``results/results.json`` in Gradescope's format: ``score``, ``output``,
   ``visibility``, ``stdout_visibility`` and one test per answer part (``name``, ``number``,
   ``score``, ``max_score``, ``status``, ``output``, ``visibility``), every text plain
   (``output_format: "text"``).

Whatever goes wrong, a results.json is written: a submission that cannot be graded scores
0 with a message that says why and what to do; a fault of the bundle says to ask the
instructor, and its details go to stdout, which only the instructor sees.

>>> failure_results("no notebook")["score"]
0.0
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

from calcgrade.core.errors import CalcgradeError

MAX_NOTEBOOK_BYTES = 16 * 1024 * 1024
_LEFT_OUT = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}


class SubmissionError(CalcgradeError):
    """A submission that cannot be graded; the message tells the student why."""

    exit_code = 2


def failure_results(message: str) -> dict:
    """results.json for a submission that could not be graded at all."""
    return {"score": 0.0, "output": message, "output_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": []}


def _files(folder: Path) -> list[Path]:
    """Every regular file under ``folder``, links and left-out names excluded, sorted."""
    found = []
    for top, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d not in _LEFT_OUT and not d.startswith("."))
        for name in sorted(names):
            path = Path(top) / name
            if not name.startswith(".") and not path.is_symlink() and path.is_file():
                found.append(path)
    return found


def _read_capped(path: Path) -> bytes:
    with open(path, "rb") as handle:
        data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    if len(data) > MAX_NOTEBOOK_BYTES:
        raise SubmissionError(f"{path.name} is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB; "
                              "clear the notebook's outputs and submit it again")
    return data


def choose_notebook(folder: Path, student: str, assignment_id: str,
                    secret: bytes) -> tuple[Path, bytes, list[str]]:
    """The notebook to grade in ``folder``, its bytes, and notes about the choice."""
    from calcgrade.grader.grading.identity import notebook_metadata
    from calcgrade.grader.course.secret import verify_token

    files = _files(folder) if folder.is_dir() else []
    notebooks = [path for path in files if path.suffix.lower() == ".ipynb"]
    if not notebooks:
        shown = ", ".join(path.name for path in files[:5]) + (", …" if len(files) > 5 else "")
        raise SubmissionError("no Jupyter notebook (.ipynb) was handed in"
                              + (f" (found: {shown})" if shown else "")
                              + "; submit the calcgrade notebook you were given, with your answers")
    if len(notebooks) == 1:
        return notebooks[0], _read_capped(notebooks[0]), []
    mine = []
    for path in notebooks:
        data = _read_capped(path)
        meta = notebook_metadata(data)
        if meta.get("student") == student and meta.get("assignment") == assignment_id and \
                verify_token(secret, assignment_id, student, meta.get("token")):
            mine.append((path, data))
    names = ", ".join(path.relative_to(folder).as_posix() for path in notebooks)
    if len(mine) != 1:
        raise SubmissionError(f"{len(notebooks)} notebooks were handed in ({names}) and calcgrade "
                              "cannot tell which to grade; submit only your calcgrade notebook")
    path, data = mine[0]
    return path, data, [f"{len(notebooks)} notebooks were handed in ({names}); graded "
                        f"{path.relative_to(folder).as_posix()}, the one generated for you"]


def results_json(graded, notes: list[str], reveal: bool) -> dict:
    """Gradescope's results for one graded submission, with a status per test and the notes
    (identity flags, the choice of notebook) in the top-level output."""
    from calcgrade.grader.grading.reports import GRADED, gradescope_results, number

    record = graded.record
    results = gradescope_results(graded.assignment, record, graded.parts, reveal)
    for test in results["tests"]:
        test["status"] = "passed" if test["score"] >= test["max_score"] - 1e-9 else "failed"
    lines = [results["output"], f"Score: {number(record.total)} / {number(record.max)}"]
    if record.status == GRADED:
        lines[0] = f"Graded by calcgrade: {graded.assignment.title}"
    lines += [f"Note: {note}" for note in notes + graded.flags]
    results["output"] = "\n".join(lines)
    return results


def grade_submission(root: Path) -> dict:
    """results.json for the submission under ``root``; raises for what cannot be graded."""
    from calcgrade.grader.course.assignment import load_assignment
    from calcgrade.grader.grading.grade_one import grade_one
    from calcgrade.grader.course.roster import load_roster
    from calcgrade.grader.course.secret import parse_secret
    from calcgrade.grader.grading.submitter import submitter

    course = root / "source" / "course"
    config = json.loads((course / "config.json").read_text(encoding="utf-8"))
    secret = parse_secret((course / "secret").read_text(encoding="ascii"), "the bundle's secret")
    assignment_path = course / config["assignment"]
    roster_path = course / config["roster"]
    key = course / config["key"] if config.get("key") else None
    assignment = load_assignment(assignment_path)
    roster = load_roster(roster_path)
    try:
        metadata = json.loads((root / "submission_metadata.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        metadata = {}
    student, notes = submitter(metadata, roster, config["identify_by"])
    path, data, chosen = choose_notebook(root / "submission", student, assignment.id, secret)
    graded = grade_one(data, path.name, student, assignment_path, roster_path, secret, key=key,
                       timeout=float(config.get("timeout", 60.0)),
                       memory_mib=int(config.get("memory_mib", 2048)))
    print(f"calcgrade: {path.name} graded as {student}: {graded.record.status}, "
          f"{graded.record.total:g} / {graded.record.max:g}"
          + (f"; flags: {graded.record.flags}" if graded.record.flags else ""))
    return results_json(graded, notes + chosen, bool(config.get("reveal")))


def run_autograder(root: str | os.PathLike) -> dict:
    """Grade the submission under ``root`` and write ``results/results.json``; returns it."""
    from calcgrade.grader.course.jsonio import dumps
    from calcgrade.grader.grading.reports import write_atomic
    from calcgrade.grader.grading.submitter import SubmitterError

    root = Path(root)
    try:
        results = grade_submission(root)
    except (SubmissionError, SubmitterError) as problem:
        print(f"calcgrade: not graded: {problem}")
        results = failure_results(f"Your submission could not be graded: {problem}")
    except Exception as error:  # a fault of the bundle: the details are for the instructor
        print("calcgrade: the autograder failed:")
        traceback.print_exc(file=sys.stdout)
        results = failure_results("The autograder could not grade this submission "
                                  f"({type(error).__name__}). Please tell your instructor.")
    write_atomic(root / "results" / "results.json", dumps(results, indent=2) + "\n")
    return results


def main(argv: list[str] | None = None) -> int:
    """``python -m calcgrade.grader.integrations.gradescope_run [ROOT]``."""
    from calcgrade.grader.integrations.gradescope import ROOT_VARIABLE

    args = sys.argv[1:] if argv is None else argv
    root = args[0] if args else os.environ.get(ROOT_VARIABLE, "/autograder")
    run_autograder(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
