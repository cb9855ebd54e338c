"""Grade files that an LMS gradebook imports, from a graded folder's gradebook.

``calcgrade export grades OUT --format canvas|moodle|csv`` reads ``OUT/gradebook.sqlite``
(:mod:`calcgrade.grader.grading.graded`: the roster and the submission that counts for each
student, as of the last ``calcgrade grade`` run) and writes one of:

**canvas** — Canvas's gradebook import CSV, in the layout of Canvas's own gradebook
export ("How do I import grades in the Gradebook?", Canvas Instructor Guide,
community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807;
the columns a file needs are summarised in Ohio State's guide "Import a CSV file into
Carmen grades", teaching.resources.osu.edu): the columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID``, ``Section``, then one column per assignment headed
``Assignment Name (assignment id)`` — the id is Canvas's (``--canvas-assignment-id``; a
column without one makes Canvas create a new assignment on import) — and a second row
``Points Possible`` with the assignment's points. Canvas matches students on ``ID``,
``SIS User ID`` or ``SIS Login ID``: the roster's optional columns ``canvas_id``,
``sis_user_id``, ``sis_login_id`` and ``section`` fill them, and every student needs one
of the three ids.

**moodle** — a CSV for Moodle's grade import ("Grade import", MoodleDocs,
docs.moodle.org/en/Grade_import): one identifier column and one grade column headed with
the assignment's title. On import, map the identifier column ("Map from") to the user
field of the same kind ("Map to": ``useremail``, ``useridnumber`` or ``username``) and the
grade column to the grade item. ``--identify-by email`` (default), ``idnumber`` or
``username`` chooses the roster column (``email``, ``idnumber``, ``username``).

**csv** — every roster student: ``student``, ``name``, ``email``, ``status``, ``total``,
``max``, ``q1`` … ``qN``.

A student with no submission gets an empty grade cell in the LMS formats (the LMS then
leaves their grade alone), or 0 with ``--missing zero``; a submission that could not be
graded counts with the 0 it was given. Every file is UTF-8 CSV with CRLF line ends, and a
text cell that a spreadsheet would run as a formula is neutralised
(:mod:`calcgrade.grader.csvsafe`).

>>> from calcgrade.grader.grading.graded import GradedClass, GradedStudent
>>> from calcgrade.grader.course.roster import Student
>>> ann = GradedStudent(Student("ann", "Ann", "ann@x.edu", sis_user_id="S1"), "graded", "",
...                     7.5, 10.0, (7.5,), "", True)
>>> graded = GradedClass(None, "hw1", "HW 1", 10.0, (1,), (ann,))
>>> canvas_rows(graded, "42")[:2]
[['Student', 'ID', 'SIS User ID', 'SIS Login ID', 'Section', 'HW 1 (42)'], ['Points Possible', '', '', '', '', '10']]
>>> moodle_rows(graded)
[['Email address', 'HW 1'], ['ann@x.edu', '7.5']]
"""

from __future__ import annotations

import os

from calcgrade.core.errors import UsageError
from calcgrade.grader.csvsafe import csv_text
from calcgrade.grader.grading.graded import GradedClass, GradedStudent, read_graded
from calcgrade.grader.course.roster import load_roster

FORMATS = ("canvas", "moodle", "csv")
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}
CANVAS_IDS = ("canvas_id", "sis_user_id", "sis_login_id")


def number(value: float) -> str:
    """Points as short text: ``2``, ``1.5``, ``0.6667``."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _grade(row: GradedStudent, missing: str) -> str:
    if not row.submitted and missing == "blank":
        return ""
    return number(row.total)


def _lacking(graded: GradedClass, has, what: str) -> None:
    """A usage error naming the students for whom ``has(student)`` is false."""
    absent = [row.student.id for row in graded.rows if not has(row.student)]
    if absent:
        more = f" and {len(absent) - 1} more" if len(absent) > 1 else ""
        raise UsageError(f"no {what} for {absent[0]!r}{more} in the roster: add the column to "
                         "the roster (see 'Roster' in the README) and pass it with --roster")


def canvas_rows(graded: GradedClass, assignment_id: str | None = None,
                missing: str = "blank") -> list[list[str]]:
    """Canvas's gradebook import: header, ``Points Possible``, one row per student."""
    _lacking(graded, lambda s: any(getattr(s, column) for column in CANVAS_IDS),
             "Canvas id (canvas_id, sis_user_id or sis_login_id)")
    title = graded.title or graded.assignment
    column = f"{title} ({assignment_id})" if assignment_id else title
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", column],
            ["Points Possible", "", "", "", "", number(graded.total_points)]]
    for row in graded.rows:
        s = row.student
        rows.append([s.name or s.id, s.canvas_id, s.sis_user_id, s.sis_login_id, s.section,
                     _grade(row, missing)])
    return rows


def moodle_rows(graded: GradedClass, identify_by: str = "email",
                missing: str = "blank") -> list[list[str]]:
    """Moodle's grade import: an identifier column and the grade column."""
    if identify_by not in MOODLE_IDENTIFIERS:
        raise UsageError(f"--identify-by takes {', '.join(MOODLE_IDENTIFIERS)}, not {identify_by!r}")
    _lacking(graded, lambda s: getattr(s, identify_by), identify_by)
    rows = [[MOODLE_IDENTIFIERS[identify_by], graded.title or graded.assignment]]
    rows += [[getattr(row.student, identify_by), _grade(row, missing)] for row in graded.rows]
    return rows


def plain_rows(graded: GradedClass) -> list[list[str]]:
    """Every roster student with status, total and points per problem."""
    rows = [["student", "name", "email", "status", "total", "max",
             *[f"q{n}" for n in graded.problem_numbers]]]
    for row in graded.rows:
        rows.append([row.student.id, row.student.name, row.student.email, row.status,
                     number(row.total), number(row.max), *[number(p) for p in row.problems]])
    return rows


def export_grades(folder: str | os.PathLike, fmt: str, *, roster: str | None = None,
                  canvas_assignment_id: str | None = None, identify_by: str = "email",
                  missing: str = "blank") -> str:
    """The CSV text of ``fmt`` for the graded folder ``folder`` (see the module docstring);
    ``roster`` (a roster file) replaces the students' recorded fields, e.g. to add LMS ids."""
    if fmt not in FORMATS:
        raise UsageError(f"--format takes {', '.join(FORMATS)}, not {fmt!r}")
    if missing not in ("blank", "zero"):
        raise UsageError(f"--missing takes blank or zero, not {missing!r}")
    if canvas_assignment_id is not None and not canvas_assignment_id.isdigit():
        raise UsageError(f"--canvas-assignment-id is Canvas's number of the assignment (in its "
                         f"address, .../assignments/1234), not {canvas_assignment_id!r}")
    graded = read_graded(folder, load_roster(roster) if roster else None)
    if fmt == "canvas":
        rows = canvas_rows(graded, canvas_assignment_id, missing)
    elif fmt == "moodle":
        rows = moodle_rows(graded, identify_by, missing)
    else:
        rows = plain_rows(graded)
    return csv_text(rows)
