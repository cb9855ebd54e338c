"""Reports written from the gradebook: grades.csv, submissions.csv, feedback and results.

Everything here is a pure function of the gradebook's rows, the roster and the
assignment, so an interrupted and resumed batch writes the same files as an
uninterrupted one. Files are written atomically (a temporary file, then a rename).

``grades.csv``: one row per roster student, in roster order: ``student``, ``name``,
``status`` (``graded``, ``missing``, the error: ``timeout``, ``crashed``, ``memory``,
``output_limit``, ``invalid``, or what was handed in instead of a notebook:
``not_notebook``, ``skipped``), ``reason``, ``total``, ``max``, ``q1`` … ``qN`` (points per
problem), ``flags``, then what the run noticed (:mod:`calcgrade.grader.grading.notes`):
``submitted_at`` (with ``--submitted-at``), ``late_days`` and ``late_penalty`` (a fraction
of the total, already taken off ``total``) for a late submission, ``copy_of`` and
``copy_parts`` (the classmate whose variant the answers fit, and how many parts).

``submissions.csv``: one row per input file, counted or not: ``path``, ``student``,
``status``, ``reason``, ``total``, ``max``, ``counted``, ``flags``, ``sha256`` (of the
bytes read, empty when the file was not read).

Outputs are safe to open: every CSV cell of text that a spreadsheet would run as a formula
is neutralised (:mod:`calcgrade.grader.csvsafe`), student text in Markdown feedback is
escaped (:mod:`calcgrade.grader.markdown_safe`) and the HTML template is auto-escaped.

``results/<id>.json``: Gradescope's results format — ``score``, ``output``,
``tests`` (one per answer part: ``name``, ``number``, ``score``, ``max_score``, ``output``,
``visibility``), every text marked ``"output_format": "text"`` — and
``feedback/<id>.md`` / ``.html`` for the student.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, TextIO

from calcgrade.core.names import answer_variable
from calcgrade.grader import markdown_safe as md
from calcgrade.grader.csvsafe import csv_text, safe_cell
from calcgrade.grader.grading.gradebook import PartRecord, SubmissionRecord
from calcgrade.grader.grading.notes import COLUMNS as NOTE_COLUMNS, NO_NOTE
from calcgrade.grader.course.jsonio import dumps

GRADED, MISSING = "graded", "missing"


@contextmanager
def atomic_text(path: Path) -> Iterator[TextIO]:
    """A text handle on a temporary file in ``path``'s folder, renamed to ``path`` when the
    block ends without error (removed otherwise), so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            yield out
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    with atomic_text(path) as out:
        out.write(text)


def write_csv(path: Path, rows: Iterable[Iterable]) -> None:
    """Write ``rows`` as :func:`~calcgrade.grader.csvsafe.csv_text` does, one row at a
    time (a large class's table is never held whole), atomically."""
    with atomic_text(path) as out:
        writer = csv.writer(out, lineterminator="\r\n")
        for row in rows:
            writer.writerow([safe_cell(cell) for cell in row])


def number(value: float) -> str:
    """Points as short text: ``2``, ``1.5``, ``0.6667``."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class ReportRow:
    """One input file of this run: its gradebook record (``path`` and ``flags`` as of this
    run), the hash of its bytes, and whether it is the one that counts for its student."""

    record: SubmissionRecord
    sha256: str = ""
    counted: bool = False


def counted_records(rows: Iterable[ReportRow]) -> dict[str, SubmissionRecord]:
    """Student -> the record that counts (the selection is made by the caller)."""
    return {row.record.student: row.record for row in rows if row.counted and row.record.student}


def grades_csv(assignment, roster, counted: Mapping[str, SubmissionRecord],
               parts_of: Callable[[str], list[PartRecord]], notes: Mapping | None = None) -> str:
    """The class's grades, one row per roster student."""
    return csv_text(grades_rows(assignment, roster, counted.get, parts_of, notes))


def grades_header(assignment) -> list[str]:
    """The header of ``grades.csv``."""
    return ["student", "name", "status", "reason", "total", "max",
            *[f"q{p.number}" for p in assignment.problems], "flags", *NOTE_COLUMNS]


def grades_rows(assignment, roster, counted: Callable[[str], SubmissionRecord | None],
                parts_of: Callable[[str], list[PartRecord]],
                notes: Mapping | None = None) -> Iterator[list[str]]:
    """The rows of ``grades.csv`` (header first), as text, one at a time; ``counted(id)``
    is the record that counts for a student, or None; ``notes`` the run's
    :class:`~calcgrade.grader.grading.notes.StudentNote` by student (a late penalty is
    taken off the total)."""
    return grades_rows_of(assignment, ((student, counted(student.id)) for student in roster),
                          parts_of, notes)


def grades_rows_of(assignment, students: Iterable[tuple[object, SubmissionRecord | None]],
                   parts_of: Callable[[str], list[PartRecord]],
                   notes: Mapping | None = None) -> Iterator[list[str]]:
    """:func:`grades_rows` from ``(student, record that counts or None)`` in roster order:
    a student without a submission costs one short row and no lookup."""
    yield grades_header(assignment)
    tail = _missing_tail(assignment)
    for student, record in students:
        if record is None:
            yield [student.id, student.name, *tail]
        else:
            yield _graded_row(assignment, student, record, parts_of, notes)


def _missing_tail(assignment) -> list[str]:
    """The cells after the id and name of a student without a submission."""
    return [MISSING, "no submission", "0", number(assignment.total_points),
            *["0"] * len(assignment.problems), "", *[""] * len(NOTE_COLUMNS)]


def _graded_row(assignment, student, record: SubmissionRecord,
                parts_of: Callable[[str], list[PartRecord]],
                notes: Mapping | None = None) -> list[str]:
    per_problem = defaultdict(float)
    for part in parts_of(record.hash):
        per_problem[part.problem] += part.score
    note = (notes or {}).get(student.id, NO_NOTE)
    return [student.id, student.name, record.status, record.reason,
            number(note.total(record.total)), number(record.max),
            *[number(per_problem[p.number]) for p in assignment.problems],
            record.flags, *note.columns()]


def csv_cell(value: str) -> str:
    """One text cell as :func:`write_csv` writes it: neutralised, and quoted when it holds
    a comma, a quote or a line break (the ``csv`` module's minimal quoting).

    >>> csv_cell("Ann"), csv_cell("Lee, Ann"), csv_cell("=1+1")
    ('Ann', '"Lee, Ann"', "'=1+1")
    """
    value = safe_cell(value)
    if "," in value or '"' in value or "\r" in value or "\n" in value:
        return '"' + value.replace('"', '""') + '"'
    return value


def write_grades_csv(path: Path, assignment,
                     students: Iterable[tuple[object, SubmissionRecord | None]],
                     parts_of: Callable[[str], list[PartRecord]],
                     notes: Mapping | None = None) -> None:
    """Write what :func:`write_csv` writes for :func:`grades_rows_of`, atomically: the row of
    a student without a submission is the same text after the id and name, made once."""
    tail = "," + ",".join(csv_cell(cell) for cell in _missing_tail(assignment)) + "\r\n"
    with atomic_text(path) as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([safe_cell(cell) for cell in grades_header(assignment)])
        for student, record in students:
            if record is None:
                out.write(csv_cell(student.id) + "," + csv_cell(student.name) + tail)
            else:
                writer.writerow([safe_cell(cell) for cell
                                 in _graded_row(assignment, student, record, parts_of, notes)])


def parts_rows(students: Iterable[str], counted: Callable[[str], SubmissionRecord | None],
               parts_of: Callable[[str], list[PartRecord]]) -> Iterator[list[str]]:
    """For the instructor: every counted part of ``students`` (in that order) with its
    status and diagnosed mistake id, header first."""
    yield ["student", "problem", "answer", "family", "score", "max", "status", "mistake"]
    for student_id in students:
        record = counted(student_id)
        for part in parts_of(record.hash) if record is not None else ():
            yield [student_id, str(part.problem), part.answer, part.family,
                   number(part.score), number(part.max), part.status, part.mistake or ""]


def parts_csv(counted: Mapping[str, SubmissionRecord],
              parts_of: Callable[[str], list[PartRecord]]) -> str:
    """:func:`parts_rows` of every counted student, by id, as CSV text."""
    return csv_text(parts_rows(sorted(counted), counted.get, parts_of))


def submissions_rows(report_rows: Iterable[ReportRow]) -> Iterator[list[str]]:
    """The rows of ``submissions.csv`` in the order given, header first."""
    yield ["path", "student", "status", "reason", "total", "max", "counted", "flags", "sha256"]
    for row in report_rows:
        record = row.record
        yield [record.path, record.student, record.status, record.reason,
               number(record.total), number(record.max), "yes" if row.counted else "no",
               record.flags, row.sha256]


def submissions_csv(report_rows: list[ReportRow]) -> str:
    """Every input file once, with what became of it, by path."""
    return csv_text(submissions_rows(sorted(report_rows, key=lambda r: (r.record.path,
                                                                         r.record.hash))))


def part_name(assignment, part: PartRecord) -> str:
    problem = assignment.problems[part.problem - 1]
    title = f" ({problem.title})" if problem.title else ""
    return f"Problem {part.problem}{title}: q{part.problem}_{part.answer}"


def reference_text(part: PartRecord) -> str:
    """The reference answer as a student reads it (numbers rounded, no JSON), for ``--reveal``.
    The catalogued mistake's id stays in the gradebook and the instructor's files: students
    read its message in the part's feedback."""
    from calcgrade.grader.grading.marking import show_value

    try:
        return show_value(json.loads(part.reference), limit=400)
    except ValueError:
        return part.reference


def feedback_markdown(assignment, student, record: SubmissionRecord, parts: list[PartRecord],
                      reveal: bool) -> str:
    """Per-part feedback for one student, as Markdown (no reference values unless ``reveal``).

    Every piece of text that is not calcgrade's own (names, reasons, flags, feedback that
    quotes an answer, the answer itself) is escaped, so it shows as written and cannot add
    links, HTML or formatting.
    """
    name = f"{student.name} ({student.id})" if student is not None and student.name else record.student
    lines = [f"# {md.text(assignment.title)}", "", f"**Student:** {md.text(name)}  ",
             f"**Score:** {number(record.total)} / {number(record.max)}", ""]
    if record.status != GRADED:
        lines += [f"**Your notebook could not be graded:** {md.text(record.reason)}", ""]
    if record.flags:
        lines += [f"*Note:* {md.text(record.flags)}", ""]
    current = None
    for part in parts:
        if part.problem != current:
            current = part.problem
            problem = assignment.problems[part.problem - 1]
            title = f": {md.text(problem.title)}" if problem.title else ""
            lines += [f"## Problem {part.problem}{title}", ""]
        lines += [f"### {md.code(answer_variable(part.problem, part.answer))} — "
                  f"{number(part.score)} / {number(part.max)}", "",
                  md.text(part.feedback), "",
                  f"- Expected: {md.text(part.expected)}",
                  f"- Found: {md.code(part.found)}" if part.found and part.found != "(no answer)"
                  else "- Found: no answer"]
        if reveal:
            lines.append(f"- Reference: {md.code(reference_text(part))}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def feedback_html(assignment, student, record: SubmissionRecord, parts: list[PartRecord],
                  reveal: bool) -> str:
    """The same feedback as a standalone HTML page (auto-escaped; no script, no network)."""
    from calcgrade.templates import environment

    template = environment().get_template("feedback.html.j2")
    problems = {p.number: p for p in assignment.problems}
    return template.render(assignment=assignment, student=student, record=record, parts=parts,
                           problems=problems, reveal=reveal, number=number, graded=GRADED,
                           reference=reference_text)


def gradescope_results(assignment, record: SubmissionRecord, parts: list[PartRecord],
                       reveal: bool) -> dict:
    """Gradescope's results.json for one submission."""
    tests = []
    for number_, part in enumerate(parts, start=1):
        output = part.feedback + f"\nExpected: {part.expected}\nFound: {part.found or 'no answer'}"
        if reveal:
            output += f"\nReference: {reference_text(part)}"
        tests.append({"name": part_name(assignment, part), "number": str(number_),
                      "score": part.score, "max_score": part.max, "output": output,
                      "output_format": "text", "visibility": "visible"})
    output = "Graded by calcgrade." if record.status == GRADED else \
        f"Your notebook could not be graded: {record.reason}"
    # plain text: Gradescope shows student text as written, never as Markdown or HTML
    return {"score": record.total, "output": output, "output_format": "text",
            "test_output_format": "text", "test_name_format": "text", "visibility": "visible",
            "stdout_visibility": "hidden", "tests": tests}


def write_reports(out: Path, assignment, roster: Callable[[], Iterable[tuple]],
                  rows: Callable[[], Iterable[ReportRow]],
                  counted: Callable[[str], SubmissionRecord | None],
                  students: Callable[[], Iterable[str]],
                  parts_of: Callable[[str], list[PartRecord]], reveal: bool = False,
                  notes: Mapping | None = None) -> None:
    """Write every report under ``out``, one student or input at a time, so the memory it
    takes does not grow with the class: ``roster()`` gives every roster student in roster
    order with the record that counts for them (or None); ``rows()`` this run's inputs, one
    each, in path order, with their gradebook records; ``counted(id)`` the record that
    counts for a student who has one; ``students()`` those ids, in order (for
    ``parts.csv``); ``parts_of(hash)`` a submission's parts; ``notes`` the run's notes by
    student (:mod:`calcgrade.grader.grading.notes`). A roster student without a
    submission costs one row of ``grades.csv`` and nothing else."""
    write_grades_csv(out / "grades.csv", assignment, roster(), parts_of, notes)
    write_csv(out / "submissions.csv", submissions_rows(rows()))
    write_csv(out / "parts.csv", parts_rows(students(), counted, parts_of))
    for student, record in roster():
        if record is None:
            continue
        parts = parts_of(record.hash)
        record = with_notes(record, (notes or {}).get(student.id))
        text = feedback_markdown(assignment, student, record, parts, reveal)
        write_atomic(out / "feedback" / f"{student.id}.md", text)
        write_atomic(out / "feedback" / f"{student.id}.html",
                     feedback_html(assignment, student, record, parts, reveal))
        results = gradescope_results(assignment, record, parts, reveal)
        write_atomic(out / "results" / f"{student.id}.json", dumps(results, indent=2) + "\n")


def with_notes(record: SubmissionRecord, note) -> SubmissionRecord:
    """``record`` as the student reads it: the total after a late penalty (the flags that
    say why are already among the record's)."""
    if note is None or not note.late_penalty:
        return record
    return replace(record, total=note.total(record.total))


def read_grades(path: Path) -> Iterator[list[str]]:
    """The rows of a ``grades.csv`` as its cells read (header first), read lazily."""
    with open(path, encoding="utf-8", newline="") as handle:
        yield from csv.reader(handle)
