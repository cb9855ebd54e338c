"""GitHub Actions and GitHub Classroom: what ``calcgrade grade`` reports there, and a
workflow that grades the notebook a student pushes.

After grading, :func:`report_run` reads the graded folder back (:mod:`calcgrade.grader.grading.graded`)
and, for a run that counted one student's submission (a student's repository):

- prints ``Points 7.5/10``, the text GitHub Classroom's autograding shows for a run
  (classroom-resources/autograding-grading-reporter writes ``Points <total>/<max>`` into
  the "Autograding Tests" check run, src/notify-classroom.js);
- when ``$GITHUB_OUTPUT`` is set, writes the step output ``result``: the run's parts as a
  Classroom test runner's result, base64-encoded JSON ``{"version": 1, "status",
  "max_score", "tests": [{"name", "status", "score", "message", ...}]}`` — what the
  grading reporter reads from ``<RUNNER>_RESULTS`` to sum the points and notify Classroom
  (classroom-resources/autograding-command-grader builds the same shape) — and
  ``points`` (``7.5/10``);
- with ``--fail-under SCORE``, returns exit code 1 when the score is below SCORE.

When ``$GITHUB_STEP_SUMMARY`` is set it appends a Markdown summary (GitHub: "Adding a
job summary", docs.github.com, workflow commands: the file is per step and appended
to): a student's parts with their feedback, or a table of the class for a batch. Student
text in it is escaped (:mod:`calcgrade.grader.markdown_safe`) and no reference value is
shown.

:func:`workflow_yaml` writes the workflow (``calcgrade export github-actions``).

>>> points_line(7.5, 10.0)
'Points 7.5/10'
>>> "CALCGRADE_SECRET: ${{ secrets.CALCGRADE_SECRET }}" in workflow_yaml()
True
"""

from __future__ import annotations

import base64
import json
import os
import re
import shlex
from typing import Callable, Mapping

from calcgrade.core.errors import UsageError
from calcgrade.core.names import answer_variable
from calcgrade.grader import markdown_safe as md
from calcgrade.grader.grading.graded import GradedClass, GradedStudent, read_graded
from calcgrade.grader.integrations.lms import number

SUMMARY_ROWS = 200   # students listed in a batch's summary (the file is capped at 1 MiB)


def points_line(total: float, maximum: float) -> str:
    """``Points <total>/<max>``, as GitHub Classroom shows a run's points."""
    return f"Points {number(total)}/{number(maximum)}"


def runner_result(graded: GradedClass, row: GradedStudent) -> dict:
    """One student's parts as a GitHub Classroom test runner's result (one test per part)."""
    tests = []
    for part in graded.parts(row):
        tests.append({"name": f"Problem {part.problem}: {answer_variable(part.problem, part.answer)}",
                      "status": "pass" if part.score >= part.max else "fail",
                      "score": part.score, "message": part.feedback, "test_code": "",
                      "filename": "", "line_no": 0, "duration": 0})
    if row.status not in ("graded",):
        status = "error"
    elif tests and all(test["status"] == "pass" for test in tests):
        status = "pass"
    else:
        status = "fail"
    if not tests:  # nothing was graded: one test that carries the reason
        tests.append({"name": "calcgrade", "status": "error", "score": 0,
                      "message": row.reason or row.status, "test_code": "", "filename": "",
                      "line_no": 0, "duration": 0})
    return {"version": 1, "status": status, "max_score": row.max, "tests": tests}


def encode_result(result: dict) -> str:
    """The runner result as the reporter reads it: base64 of its JSON."""
    return base64.b64encode(json.dumps(result).encode("utf-8")).decode("ascii")


def summary_markdown(graded: GradedClass, counted: list[GradedStudent]) -> str:
    """The step summary: one student's parts, or the class as a table."""
    title = md.text(graded.title or graded.assignment)
    if len(counted) == 1:
        row = counted[0]
        who = f"{row.student.name} ({row.student.id})" if row.student.name else row.student.id
        lines = [f"### calcgrade: {title}", "",
                 f"**{md.text(who)}: {points_line(row.total, row.max)}** ({md.text(row.status)})", ""]
        if row.status != "graded":
            lines += [f"The notebook could not be graded: {md.text(row.reason)}", ""]
        if row.flags:
            lines += [f"*Note:* {md.text(row.flags)}", ""]
        parts = graded.parts(row)
        if parts:
            lines += ["| Problem | Answer | Points | Feedback |", "|---|---|---|---|"]
            lines += [f"| {part.problem} | {md.text(answer_variable(part.problem, part.answer))} | "
                      f"{number(part.score)} / {number(part.max)} | {md.text(part.feedback)} |"
                      for part in parts]
        return "\n".join(lines) + "\n\n"
    graded_now = sum(1 for row in counted if row.status == "graded")
    missing = sum(1 for row in graded.rows if not row.submitted)
    lines = [f"### calcgrade: {title}", "",
             f"{len(graded.rows)} students: {graded_now} graded, "
             f"{len(counted) - graded_now} with a submission that could not be graded, "
             f"{missing} without a submission.", "",
             "| Student | Status | Points |", "|---|---|---|"]
    for row in graded.rows[:SUMMARY_ROWS]:
        lines.append(f"| {md.text(row.student.id)} | {md.text(row.status)} | "
                     f"{number(row.total)} / {number(row.max)} |")
    if len(graded.rows) > SUMMARY_ROWS:
        lines += ["", f"… and {len(graded.rows) - SUMMARY_ROWS} more: see grades.csv."]
    return "\n".join(lines) + "\n\n"


def _append(path: str, text: str, what: str) -> None:
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise UsageError(f"cannot append to {what} ({path}): {error.strerror}") from None


def report_run(folder, fail_under: float | None = None,
               environ: Mapping[str, str] | None = None,
               echo: Callable[[str], None] = print) -> int:
    """Report the graded folder ``folder`` for GitHub (see the module docstring); the
    exit code: 1 when ``fail_under`` is given and the score is below it, else 0."""
    environ = os.environ if environ is None else environ
    graded = read_graded(folder, submitted_only=True)  # the whole class only for a batch's table
    counted = [row for row in graded.rows if row.submitted]
    if environ.get("GITHUB_STEP_SUMMARY"):
        whole = graded if len(counted) == 1 else read_graded(folder)
        _append(environ["GITHUB_STEP_SUMMARY"], summary_markdown(whole, counted),
                "$GITHUB_STEP_SUMMARY")
    if len(counted) > 1:
        if fail_under is not None:
            raise UsageError(f"--fail-under applies to one student's submission, but this run "
                             f"counted {len(counted)} students' (their grades are in {folder})")
        return 0
    score = counted[0].total if counted else 0.0
    maximum = counted[0].max if counted else graded.total_points
    echo(points_line(score, maximum))
    if environ.get("GITHUB_OUTPUT"):
        lines = f"points={number(score)}/{number(maximum)}\n"
        if counted:
            lines += f"result={encode_result(runner_result(graded, counted[0]))}\n"
        _append(environ["GITHUB_OUTPUT"], lines, "$GITHUB_OUTPUT")
    if fail_under is not None and score < fail_under:
        echo(f"The score {number(score)} is below --fail-under {number(fail_under)}"
             + ("" if counted else " (no submission was counted)") + ".")
        return 1
    return 0


# --- the workflow ------------------------------------------------------------------------------

_PATH = re.compile(r"[A-Za-z0-9_.*?][A-Za-z0-9_./*?-]*")
_SPEC = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.\[\],=<>!~+@:/#%-]*")
_PYTHON = re.compile(r"3\.\d{1,2}")


def _checked(value: str, pattern: re.Pattern, flag: str, example: str) -> str:
    if not pattern.fullmatch(value) or ".." in value.split("/"):
        raise UsageError(f"{flag} {value!r}: use a plain relative path or name without spaces, "
                         f"quotes or '$' (e.g. {example})")
    return value


def workflow_yaml(assignment: str = "assignment.toml", roster: str = "roster.csv",
                  notebooks: str = "*.ipynb", install: str = "calcgrade", python: str = "3.12",
                  fail_under: float | None = None) -> str:
    """A GitHub Actions workflow that grades the notebook(s) pushed to a student's
    repository with the secret from the repository secret ``CALCGRADE_SECRET``."""
    assignment = _checked(assignment, _PATH, "--assignment", "hw3/assignment.toml")
    roster = _checked(roster, _PATH, "--roster", "roster.csv")
    notebooks = _checked(notebooks, _PATH, "--notebooks", "'*.ipynb'")
    install = _checked(install, _SPEC, "--install", "./calcgrade-0.1.0-py3-none-any.whl")
    if not _PYTHON.fullmatch(python):
        raise UsageError(f"--python takes a version such as 3.12, not {python!r}")
    fail = f" --fail-under {number(fail_under)}" if fail_under is not None else ""
    grade = (f"calcgrade grade {notebooks} --assignment {shlex.quote(assignment)} "
             f"--roster {shlex.quote(roster)} --out \"$RUNNER_TEMP/grades\" "
             f"--secret-file \"$RUNNER_TEMP/calcgrade-secret\" --workers 1{fail}")
    return f"""\
# Written by `calcgrade export github-actions`: grades the notebook a student pushes.
# Put it in the assignment's template repository as .github/workflows/classroom.yml, with
# {assignment} and {roster} (an id column is enough), and add the course secret (the
# contents of the file `calcgrade init` wrote) as the repository or organization secret
# CALCGRADE_SECRET. The secret goes to a file readable only by the job, never to the log.
name: Autograding Tests
"on":
  push:
  workflow_dispatch:
permissions: {{}}
jobs:
  run-autograding-tests:
    name: Autograding Tests
    runs-on: ubuntu-latest
    permissions:
      checks: write    # the reporter writes the points into this run's check
      actions: read    # it reads this workflow run to find that check
      contents: read   # checkout reads the submission
    concurrency:
      group: autograding-${{{{ github.ref }}}}
      cancel-in-progress: true
    if: github.actor != 'github-classroom[bot]'
    timeout-minutes: 20
    steps:
      - name: Check out the submission
        uses: actions/checkout@v4
        with:
          persist-credentials: false
      - name: Set up Python
        uses: actions/setup-python@v5
        with:
          python-version: "{python}"
      - name: Install calcgrade
        run: |
          python -m pip install {shlex.quote(install)}
      - name: Write the course secret to a file
        env:
          CALCGRADE_SECRET: ${{{{ secrets.CALCGRADE_SECRET }}}}
        run: |
          if [ -z "$CALCGRADE_SECRET" ]; then
            echo "::error::Add the course secret as the repository secret CALCGRADE_SECRET"
            exit 1
          fi
          umask 077
          printf '%s\\n' "$CALCGRADE_SECRET" > "$RUNNER_TEMP/calcgrade-secret"
      - name: Grade the notebook
        id: calcgrade
        run: |
          {grade}
      - name: Report the points to GitHub Classroom
        if: always() && steps.calcgrade.outputs.result != ''
        uses: classroom-resources/autograding-grading-reporter@v1
        env:
          CALCGRADE_RESULTS: ${{{{ steps.calcgrade.outputs.result }}}}
        with:
          runners: calcgrade
      - name: Remove the secret file
        if: always()
        run: rm -f "$RUNNER_TEMP/calcgrade-secret"
"""
