"""A graded folder read back from its gradebook: one row per roster student.

``calcgrade grade`` records in ``OUT/gradebook.sqlite`` the roster of its last run and,
per student, the submission that counts (:func:`calcgrade.grader.grading.grade.record_class`).
:func:`read_graded` reads that back — the same students, statuses and totals as
``grades.csv`` of that run (a late penalty taken off the total), with the raw (not spreadsheet-escaped) text — for the grade
exports (:mod:`calcgrade.grader.integrations.lms`), the GitHub summary and the Python API.

>>> import tempfile, os
>>> from calcgrade.grader.grading.gradebook import ClassRow, Gradebook, PartRecord, SubmissionRecord
>>> folder = tempfile.mkdtemp()
>>> with Gradebook(os.path.join(folder, "gradebook.sqlite")) as book:
...     book.set_meta("assignment", "hw1")
...     book.record(SubmissionRecord("h1", "ann", "ann.ipynb", "graded", "", 1.5, 2.0),
...                 [PartRecord("h1", 1, "value", "derivative", 1.5, 2.0, "partial", "ok",
...                             None, "a number", "3")])
...     book.set_class({"title": "HW 1", "total_points": "2.0", "problems": "[1]"},
...                    [ClassRow(0, "ann", '{"name": "Ann"}', "h1"), ClassRow(1, "bob", "{}")])
>>> graded = read_graded(folder)
>>> [(row.student.id, row.status, row.total, row.problems) for row in graded.rows]
[('ann', 'graded', 1.5, (1.5,)), ('bob', 'missing', 0.0, (0.0,))]
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path

from calcgrade.core.errors import UsageError
from calcgrade.grader.grading.gradebook import Gradebook, PartRecord
from calcgrade.grader.course.roster import Student
from calcgrade.grader.grading.notes import read_notes

GRADEBOOK = "gradebook.sqlite"
MISSING = "missing"


@dataclass(frozen=True)
class GradedStudent:
    """One roster student of a graded folder. ``submitted`` is False for a student with
    no submission (``status`` ``missing``); ``hash`` keys the submission's parts."""

    student: Student
    status: str
    reason: str
    total: float
    max: float
    problems: tuple[float, ...]
    flags: str
    submitted: bool
    hash: str | None = None


@dataclass(frozen=True)
class GradedClass:
    """What a graded folder holds: the assignment's id, title, points and problem numbers,
    and one :class:`GradedStudent` per roster student, in roster order."""

    folder: Path
    assignment: str
    title: str
    total_points: float
    problem_numbers: tuple[int, ...]
    rows: tuple[GradedStudent, ...]

    def parts(self, row: GradedStudent) -> list[PartRecord]:
        """The answer parts of a student's counted submission (empty when none)."""
        if row.hash is None:
            return []
        with Gradebook(self.folder / GRADEBOOK) as book:
            return book.parts(row.hash)


_FIELDS = frozenset(f.name for f in fields(Student)) - {"id"}


def student_of(student_id: str, fields_json: str) -> Student:
    """A roster student as the gradebook's ``class`` table recorded it (fields as JSON).

    >>> student_of("ann", '{"name": "Ann", "unknown": 1}')
    Student(id='ann', name='Ann', email='', canvas_id='', sis_user_id='', sis_login_id='', section='', username='', idnumber='')
    """
    if fields_json == "{}":
        return Student(student_id)
    try:
        data = json.loads(fields_json)
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return Student(student_id, **{k: str(v) for k, v in data.items() if k in _FIELDS})


def gradebook_path(folder: str | os.PathLike) -> Path:
    """The gradebook of the graded folder ``folder``; a usage error when there is none."""
    path = Path(folder) / GRADEBOOK
    if not path.is_file():
        raise UsageError(f"{folder}: no {GRADEBOOK} here; give the --out folder of 'calcgrade grade'")
    return path


@dataclass(frozen=True)
class ClassMeta:
    """What a grading run recorded about the assignment of its class."""

    assignment: str
    title: str
    total_points: float
    problem_numbers: tuple[int, ...]


def class_meta(book: Gradebook, path: Path) -> ClassMeta:
    """The recorded assignment of ``book`` (at ``path``); a usage error when no grading run
    recorded its class (a gradebook written by an older calcgrade)."""
    if book.connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                               "name = 'class'").fetchone() is None:
        raise UsageError(f"{path} was written by an older calcgrade that did not record the "
                         "class; run the same 'calcgrade grade' command again (nothing is "
                         "regraded) and export then")
    meta = {key: book.get_meta(key) for key in ("assignment", "title", "total_points", "problems")}
    return ClassMeta(meta["assignment"] or "", meta["title"] or "",
                     float(meta["total_points"] or 0), tuple(json.loads(meta["problems"] or "[]")))


def read_graded(folder: str | os.PathLike, roster: list[Student] | None = None,
                submitted_only: bool = False) -> GradedClass:
    """Read the graded folder ``folder`` (``calcgrade grade``'s ``--out``). ``roster``, when
    given, replaces the recorded students' fields (names, e-mails, LMS ids) by id; its
    students must be those graded. ``submitted_only``: the rows of the students with a
    submission that counts, without the others (one student's run costs the same whatever
    the roster's size)."""
    folder = Path(folder)
    path = gradebook_path(folder)
    with Gradebook(path) as book:
        meta = class_meta(book, path)
        recorded = book.class_rows(submitted_only)
        numbers, total_points = meta.problem_numbers, meta.total_points
        by_id = {s.id: s for s in roster} if roster is not None else None
        if by_id is not None:
            absent = [row.student for row in recorded if row.student not in by_id]
            if absent:
                raise UsageError(f"--roster has no row for {absent[0]!r}"
                                 + (f" and {len(absent) - 1} more" if len(absent) > 1 else "")
                                 + " of the graded class; give the roster the class was graded with")
        records = {record.hash: record for record in book.class_submissions()}
        scores = book.class_problem_scores()
        notes = read_notes(book)
        rows = []
        zeros = tuple(0.0 for _ in numbers)
        for row in recorded:
            student = by_id[row.student] if by_id is not None else student_of(row.student, row.fields)
            record = records.get(row.hash) if row.hash else None
            if record is None:
                rows.append(GradedStudent(student, MISSING, "no submission", 0.0, total_points,
                                          zeros, "", False))
                continue
            per_problem = scores.get(row.hash, {})
            note = notes.get(row.student)
            total = note.total(record.total) if note is not None else record.total
            rows.append(GradedStudent(student, record.status, record.reason, total,
                                      record.max, tuple(round(per_problem.get(n, 0.0), 6) for n in numbers),
                                      "; ".join([f for f in record.flags.split("; ") if f]
                                                + (note.flags() if note else [])),
                                      True, row.hash))
    return GradedClass(folder, meta.assignment, meta.title, total_points, numbers, tuple(rows))
