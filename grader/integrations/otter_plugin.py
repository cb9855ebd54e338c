"""An otter-grader plugin that grades a notebook's calcgrade answers in calcgrade's sandbox.

A course on otter-grader lists the plugin in ``otter_config.json`` (or under ``generate:``
in ``otter assign``'s assignment config) with the calcgrade assignment file, which
``otter assign``'s ``files:`` puts beside the submission::

    "plugins": [{"calcgrade.otter.CalcgradePlugin": {"assignment": "calcgrade.toml"}}]

During ``otter run`` or Gradescope grading, before otter executes the notebook, the plugin
reads the submission as it was handed in, runs it in calcgrade's sandbox, and marks its
``q<N>_<answer>`` variables in this process; after otter's own tests, it adds one test
per calcgrade problem (one case per answer part, with calcgrade's feedback) to otter's
``GradingResults``. Nothing the notebook does in otter's kernel (patching numpy, redefining
``__eq__``) reaches calcgrade's marks, which are made before that kernel starts.

Configuration keys (paths relative to the submission's folder, where ``files:`` land):

- ``assignment`` (required): the calcgrade assignment file;
- ``roster``, ``secret_file``: needed only when a problem draws a variant per student
  (a problem without fixed ``params``); the student is then the submitter in Gradescope's
  submission metadata, matched by ``identify_by`` (``email``, ``id`` or ``sid``, default
  ``email``; see :mod:`calcgrade.grader.grading.submitter`), else the one the notebook's signed
  calcgrade metadata names. The secret file is deleted once read, before the notebook
  runs in otter's kernel, where the student's code could otherwise read it;
- ``key``: the class's ``key.json`` (each student's draw numbers);
- ``timeout`` (seconds, 60), ``memory_mib`` (2048), ``reveal`` (false).

What it does not change: otter reads back what the notebook's kernel wrote with pickle, so
code that runs in otter's own process can alter any result otter reports. calcgrade's
Gradescope bundle (``calcgrade export gradescope``) has no such step.

>>> CalcgradePlugin("", {}, {}).generate_report()
'calcgrade: not run'
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

try:
    from otter.plugins import AbstractOtterPlugin
    from otter.test_files.abstract_test import TestCase, TestCaseResult, TestFile
except ImportError as error:  # pragma: no cover - without the extra
    raise ImportError("calcgrade's otter plugin needs otter-grader: pip install "
                      "'calcgrade[otter]'") from error

from calcgrade.core.errors import CalcgradeError
from calcgrade.core.names import answer_variable

NO_METADATA = "the notebook has no calcgrade metadata"
CELL_ERRORS = " cell(s) raised an error"   # otter's own grader.check cells fail in calcgrade's sandbox
FIXED_STUDENT = "student"


class CalcgradeTestFile(TestFile):
    """One calcgrade problem as an otter test file: one case per answer part, scored with
    calcgrade's partial credit. Its results come from calcgrade's sandbox, never from otter's
    kernel, so it cannot be read from a file or run there."""

    @classmethod
    def from_file(cls, path: str) -> "CalcgradeTestFile":
        raise NotImplementedError("calcgrade's results are made by the calcgrade plugin")

    @classmethod
    def from_metadata(cls, s: Any, path: str) -> "CalcgradeTestFile":
        raise NotImplementedError("calcgrade's results are made by the calcgrade plugin")

    def run(self, global_environment: dict[str, Any]) -> None:
        raise NotImplementedError("calcgrade's answers are graded in calcgrade's sandbox")


def problem_test_files(graded, path: str, notes: list[str], reveal: bool) -> list[TestFile]:
    """otter test files for the graded parts, one per problem."""
    from calcgrade.grader.grading.reports import reference_text

    by_problem: dict[int, list] = {}
    for part in graded.parts:
        by_problem.setdefault(part.problem, []).append(part)
    files = []
    for problem in graded.assignment.problems:
        parts = by_problem.get(problem.number, [])
        cases, results = [], []
        for part in parts:
            case = TestCase(name=answer_variable(part.problem, part.answer), body=None, hidden=False,
                            points=part.max, success_message=None, failure_message=None)
            lines = [part.feedback, f"Expected: {part.expected}",
                     f"Found: {part.found or 'no answer'}",
                     f"Score: {part.score:g} / {part.max:g}"]
            if reveal:
                lines.append(f"Reference: {reference_text(part)}")
            if part is parts[0]:
                lines = [f"Note: {note}" for note in notes] + lines
            cases.append(case)
            results.append(TestCaseResult(test_case=case, message="\n".join(lines),
                                          passed=part.score >= part.max - 1e-9))
        title = f" ({problem.title})" if problem.title else ""
        test_file = CalcgradeTestFile(f"calcgrade q{problem.number}{title}", path, cases,
                                      all_or_nothing=False)
        test_file.test_case_results = results
        test_file.update_score(round(sum(p.score for p in parts), 6))
        files.append(test_file)
    return files


def failed_test_file(assignment, path: str, message: str) -> list[TestFile]:
    """Zero-score test files for every problem of a notebook calcgrade could not grade."""
    files = []
    for problem in assignment.problems:
        case = TestCase(name=f"q{problem.number}", body=None, hidden=False,
                        points=problem.points, success_message=None, failure_message=None)
        test_file = CalcgradeTestFile(f"calcgrade q{problem.number}", path, [case],
                                      all_or_nothing=False)
        test_file.test_case_results = [TestCaseResult(case, message, False)]
        files.append(test_file)
    return files


def _notes(graded) -> list[str]:
    """The flags worth a student's attention (not the errors of otter's own cells)."""
    return [flag for flag in graded.flags if CELL_ERRORS not in flag]


class CalcgradePlugin(AbstractOtterPlugin):
    """otter-grader plugin: calcgrade's problems graded in calcgrade's sandbox (see the
    module docstring for its configuration)."""

    def __init__(self, submission_path, submission_metadata, plugin_config):
        super().__init__(submission_path, submission_metadata, plugin_config)
        self._files: list[TestFile] | None = None
        self._report = "calcgrade: not run"

    def _path(self, key: str) -> Path | None:
        value = (self.plugin_config or {}).get(key)
        if not value:
            return None
        path = Path(value)
        return path if path.is_absolute() else Path(self.submission_path).parent / path

    def _secret(self) -> bytes | None:
        """The secret, read once; its file (and the autograder's copy) is removed."""
        from calcgrade.grader.course.secret import parse_secret

        path = self._path("secret_file")
        if path is None:
            return None
        secret = parse_secret(path.read_text(encoding="ascii"), "the plugin's secret_file")
        relative = self.plugin_config.get("secret_file")
        copies = {path}
        if not os.path.isabs(relative):  # otter copies files/ of the autograder zip
            copies.add(Path(self.submission_path).parent.parent / "source" / "files" / relative)
        for copy in copies:
            try:
                copy.unlink()
            except OSError:
                pass
        return secret

    def _grade(self) -> tuple[list[TestFile], str]:
        from calcgrade.grader.course.assignment import load_assignment
        from calcgrade.grader.grading.grade_one import grade_one
        from calcgrade.grader.grading.identity import notebook_metadata
        from calcgrade.grader.course.roster import load_roster
        from calcgrade.grader.course.secret import verify_token
        from calcgrade.grader.grading.submitter import SubmitterError, submitter

        config = self.plugin_config or {}
        assignment_path = self._path("assignment")
        if assignment_path is None:
            raise CalcgradeError("the calcgrade plugin needs 'assignment' in its configuration")
        assignment = load_assignment(assignment_path)
        secret = self._secret()
        with open(self.submission_path, "rb") as handle:
            data = handle.read()
        label = os.path.basename(self.submission_path)
        options = {"timeout": float(config.get("timeout", 60.0)),
                   "memory_mib": int(config.get("memory_mib", 2048))}
        reveal = bool(config.get("reveal", False))
        if all(problem.fixed for problem in assignment.problems):
            # every student has the same variant: no roster, secret or identity needed
            with tempfile.TemporaryDirectory(prefix="calcgrade-otter-") as scratch:
                roster = Path(scratch) / "roster.csv"
                roster.write_text(f"id\n{FIXED_STUDENT}\n", encoding="utf-8")
                graded = grade_one(data, label, FIXED_STUDENT, assignment_path, roster,
                                   secret or bytes(32), **options)
            notes = [flag for flag in _notes(graded) if flag != NO_METADATA
                     and not flag.startswith("the notebook's calcgrade token")]
            return problem_test_files(graded, self.submission_path, notes, reveal), \
                f"graded {label}: {graded.record.status}, {graded.record.total:g} / " \
                f"{graded.record.max:g}"
        roster_path = self._path("roster")
        if roster_path is None or secret is None:
            raise CalcgradeError("the calcgrade assignment draws a variant per student: the "
                                 "plugin needs 'roster' and 'secret_file' in its configuration")
        roster = load_roster(roster_path)
        notes: list[str] = []
        if (self.submission_metadata or {}).get("users"):
            try:
                student, notes = submitter(self.submission_metadata, roster,
                                           config.get("identify_by", "email"))
            except SubmitterError as problem:
                return failed_test_file(assignment, self.submission_path, str(problem)), \
                    f"not graded: {problem}"
        else:
            meta = notebook_metadata(data)
            student = meta.get("student")
            if not (isinstance(student, str) and meta.get("assignment") == assignment.id and
                    verify_token(secret, assignment.id, student, meta.get("token")) and
                    student in {s.id for s in roster}):
                message = ("calcgrade cannot tell whose notebook this is: no submitter in the "
                           "submission metadata and no valid calcgrade metadata in the notebook")
                return failed_test_file(assignment, self.submission_path, message), \
                    f"not graded: {message}"
        graded = grade_one(data, label, student, assignment_path, roster_path, secret,
                           key=self._path("key"), **options)
        return problem_test_files(graded, self.submission_path, notes + _notes(graded), reveal), \
            f"graded {label} as {student}: {graded.record.status}, {graded.record.total:g} / " \
            f"{graded.record.max:g}"

    def before_grading(self, config) -> None:
        """Grade the submission as handed in, before otter's kernel runs any of it."""
        self._files, self._report = [], "calcgrade: not graded"
        try:
            files, report = self._grade()
        except CalcgradeError as error:
            self._report = f"calcgrade: not graded: {error}"
            raise
        self._files, self._report = files, f"calcgrade: {report}"

    def after_grading(self, results) -> None:
        """Add calcgrade's problems to otter's results, beside the course's own tests."""
        for test_file in self._files or []:
            results.results[test_file.name] = test_file

    def generate_report(self) -> str:
        """One line for otter's plugin report."""
        return self._report
