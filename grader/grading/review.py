"""``calcgrade review``: the instructor decides on the parts marked for review.

A part is marked for review when the comparison could not decide whether an expression is
equivalent to the reference (DESIGN §5). :func:`review_items` lists those parts, with the
student's answer beside the reference, and the parts already decided.
:func:`record_decision` stores a decision in the gradebook's ``decisions`` table
(``accept``: full points; ``reject``: none; a score; with an optional comment that the
student reads) and applies it; :func:`rewrite_outputs` then writes ``grades.csv``,
``parts.csv``, the feedback, the Gradescope results and the class report again from the
gradebook. A decision holds for the student's answer it was made on: a rerun of
``calcgrade grade`` keeps it (the gradebook applies it whenever that answer is recorded
again), and a new notebook with another answer to the part is marked afresh.

>>> parse_part("q2_f_prime")
(2, 'f_prime')
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

from calcgrade.core.errors import UsageError
from calcgrade.grader.grading.class_report import ReviewItem, build_report, write_class_report
from calcgrade.grader.grading.gradebook import ACCEPT, REJECT, SCORE, Decision, Gradebook, SubmissionRecord
from calcgrade.grader.grading.graded import GRADEBOOK, read_graded

_PART = re.compile(r"q(\d+)_(\w+)")


def parse_part(text: str) -> tuple[int, str]:
    """``q<N>_<answer>`` -> (N, answer); a clear error otherwise."""
    match = _PART.fullmatch(text.strip())
    if not match:
        raise UsageError(f"--part takes the answer's variable, e.g. q2_derivative, not {text!r}")
    return int(match.group(1)), match.group(2)


def review_items(folder: str | Path, pending_only: bool = False) -> list[ReviewItem]:
    """The parts marked for review and those decided, by student (undecided only when
    ``pending_only``)."""
    items = build_report(folder).reviews
    return [item for item in items if not (pending_only and item.decision)]


def record_decision(folder: str | Path, student: str, part: str, decision: str,
                    score: float | None = None, comment: str = "") -> Decision:
    """Record ``decision`` (``accept``, ``reject`` or ``score`` with ``score`` points) on
    ``student``'s ``part`` (``q<N>_<answer>``) of the graded folder, and apply it."""
    problem, answer = parse_part(part)
    if decision not in (ACCEPT, REJECT, SCORE):
        raise UsageError(f"a decision is accept, reject or a score, not {decision!r}")
    graded = read_graded(folder)
    row = next((row for row in graded.rows if row.student.id == student), None)
    if row is None:
        raise UsageError(f"--student {student!r} is not in the graded class of {folder}")
    found = next((p for p in graded.parts(row) if (p.problem, p.answer) == (problem, answer)), None)
    if found is None:
        raise UsageError(f"{student!r} has no graded part {part}"
                         + ("" if row.submitted else " (no submission)"))
    if decision == SCORE:
        if score is None or not 0 <= score <= found.max:
            raise UsageError(f"--score must be between 0 and {found.max:g}, the points of {part}")
    made = Decision(student, problem, answer, found.found, decision,
                    float(score) if decision == SCORE else None, comment.strip())
    with Gradebook(Path(folder) / GRADEBOOK) as book:
        book.decide(made)
    return made


def rewrite_outputs(folder: str | Path) -> None:
    """Write grades.csv, parts.csv, feedback, Gradescope results and the class report again
    from the gradebook (after a decision); in submissions.csv the total of each counted
    file becomes its student's total as decided (the other files keep the run's marking)."""
    from calcgrade.grader.csvsafe import csv_text
    from calcgrade.grader.course.jsonio import dumps
    from calcgrade.grader.grading.notes import read_notes
    from calcgrade.grader.grading.reports import (feedback_html, feedback_markdown, grades_rows,
                                                  gradescope_results, parts_csv, with_notes,
                                                  write_atomic)

    folder = Path(folder)
    graded = read_graded(folder)
    with Gradebook(folder / GRADEBOOK) as book:
        reveal = bool(book.get_meta("reveal"))
        titles = json.loads(book.get_meta("problem_titles") or "{}")
        flags = json.loads(book.get_meta("counted_flags") or "{}")
        notes = read_notes(book)
        counted: dict[str, SubmissionRecord] = {}
        for row in graded.rows:
            record = book.submission(row.hash) if row.hash else None
            if record is not None:
                counted[row.student.id] = SubmissionRecord(
                    record.hash, record.student, record.path, record.status, record.reason,
                    record.total, record.max, flags.get(row.student.id, record.flags))
        problems = [SimpleNamespace(number=n, title=titles.get(str(n), ""))
                    for n in graded.problem_numbers]
        assignment = SimpleNamespace(id=graded.assignment, title=graded.title,
                                     total_points=graded.total_points, problems=problems)
        roster = [row.student for row in graded.rows]
        write_atomic(folder / "grades.csv",
                     csv_text(grades_rows(assignment, roster, counted.get, book.parts, notes)))
        write_atomic(folder / "parts.csv", parts_csv(counted, book.parts))
        _rewrite_submissions(folder / "submissions.csv", counted)
        students = {s.id: s for s in roster}
        for student_id, record in counted.items():
            parts = book.parts(record.hash)
            record = with_notes(record, notes.get(student_id))
            student = students.get(student_id)
            write_atomic(folder / "feedback" / f"{student_id}.md",
                         feedback_markdown(assignment, student, record, parts, reveal))
            write_atomic(folder / "feedback" / f"{student_id}.html",
                         feedback_html(assignment, student, record, parts, reveal))
            write_atomic(folder / "results" / f"{student_id}.json",
                         dumps(gradescope_results(assignment, record, parts, reveal), indent=2) + "\n")
    write_class_report(folder)


def _rewrite_submissions(path: Path, counted: dict[str, SubmissionRecord]) -> None:
    """submissions.csv with the decided total on each counted file's row."""
    import csv

    from calcgrade.grader.grading.reports import number, write_csv

    try:
        with open(path, encoding="utf-8", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        return
    if not rows or "counted" not in rows[0]:
        return
    header = rows[0]
    at = {name: header.index(name) for name in ("student", "total", "counted", "status")}
    for row in rows[1:]:
        record = counted.get(_plain(row[at["student"]]))
        if record is not None and row[at["counted"]] == "yes" and row[at["status"]] == record.status:
            row[at["total"]] = number(record.total)
    write_csv(path, [[_plain(cell) for cell in row] for row in rows])


def _plain(cell: str) -> str:
    """A cell as calcgrade wrote it before neutralising it for spreadsheets."""
    from calcgrade.grader.csvsafe import safe_cell

    return cell[1:] if cell.startswith("'") and safe_cell(cell[1:]) == cell else cell
