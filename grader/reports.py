"""Reports written from the gradebook: grades.csv, submissions.csv, feedback and results.

Everything here is a pure function of the gradebook's rows, the roster and the
assignment, so an interrupted and resumed batch writes the same files as an
uninterrupted one. Files are written atomically (a temporary file, then a rename).

``grades.csv``: one row per roster student, in roster order: ``student``, ``name``,
``status`` (``graded``, ``missing``, the error: ``timeout``, ``crashed``, ``memory``,
``output_limit``, ``invalid``, or what was handed in instead of a notebook:
``not_notebook``, ``skipped``), ``reason``, ``total``, ``max``, ``q1`` … ``qN`` (points per
problem), ``flags``.

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

import json

import os
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from calcgrade.core.names import answer_variable
from calcgrade.grader import markdown_safe as md
from calcgrade.grader.csvsafe import csv_text, safe_cell
from calcgrade.grader.gradebook import PartRecord, SubmissionRecord
from calcgrade.grader.jsonio import dumps

GRADED, MISSING = "graded", "missing"


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


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


def counted_records(rows: list[ReportRow]) -> dict[str, SubmissionRecord]:
    """Student -> the record that counts (the selection is made by the caller)."""
    return {row.record.student: row.record for row in rows if row.counted and row.record.student}


def grades_csv(assignment, roster, counted: dict[str, SubmissionRecord],
               parts_of: Callable[[str], list[PartRecord]]) -> str:
    """The class's grades, one row per roster student."""
    return csv_text(grades_rows(assignment, roster, counted, parts_of))


def grades_rows(assignment, roster, counted: dict[str, SubmissionRecord],
                parts_of: Callable[[str], list[PartRecord]]) -> list[list[str]]:
    """The rows of ``grades.csv`` (header first), as text."""
    numbers = [p.number for p in assignment.problems]
    rows = [["student", "name", "status", "reason", "total", "max",
             *[f"q{n}" for n in numbers], "flags"]]
    for student in roster:
        record = counted.get(student.id)
        if record is None:
            rows.append([student.id, student.name, MISSING, "no submission", "0",
                         number(assignment.total_points), *["0"] * len(numbers), ""])
            continue
        per_problem = defaultdict(float)
        for part in parts_of(record.hash):
            per_problem[part.problem] += part.score
        rows.append([student.id, student.name, record.status, record.reason, number(record.total),
                     number(record.max), *[number(per_problem[n]) for n in numbers], record.flags])
    return rows


def parts_csv(counted: dict[str, SubmissionRecord],
              parts_of: Callable[[str], list[PartRecord]]) -> str:
    """For the instructor: every counted part with its status and diagnosed mistake id."""
    rows = [["student", "problem", "answer", "family", "score", "max", "status", "mistake"]]
    for student_id in sorted(counted):
        for part in parts_of(counted[student_id].hash):
            rows.append([student_id, str(part.problem), part.answer, part.family,
                         number(part.score), number(part.max), part.status, part.mistake or ""])
    return csv_text(rows)


def submissions_csv(report_rows: list[ReportRow]) -> str:
    """Every input file once, with what became of it."""
    rows = [["path", "student", "status", "reason", "total", "max", "counted", "flags", "sha256"]]
    for row in sorted(report_rows, key=lambda r: (r.record.path, r.record.hash)):
        record = row.record
        rows.append([record.path, record.student, record.status, record.reason,
                     number(record.total), number(record.max), "yes" if row.counted else "no",
                     record.flags, row.sha256])
    return csv_text(rows)


def part_name(assignment, part: PartRecord) -> str:
    problem = assignment.problems[part.problem - 1]
    title = f" ({problem.title})" if problem.title else ""
    return f"Problem {part.problem}{title}: q{part.problem}_{part.answer}"


def reference_text(part: PartRecord) -> str:
    """The reference answer as a student reads it (numbers rounded, no JSON), for ``--reveal``.
    The catalogued mistake's id stays in the gradebook and the instructor's files: students
    read its message in the part's feedback."""
    from calcgrade.grader.marking import show_value

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


def write_reports(out: Path, assignment, roster, rows: list[ReportRow],
                  parts_of: Callable[[str], list[PartRecord]], reveal: bool = False
                  ) -> list[list[str]]:
    """Write every report under ``out``: ``rows`` are this run's inputs, one each, with
    their gradebook records; ``parts_of(hash)`` gives a submission's parts. Returns the
    rows of ``grades.csv`` as its cells read (header first), for a summary."""
    counted = counted_records(rows)
    grades = grades_rows(assignment, roster, counted, parts_of)
    write_atomic(out / "grades.csv", csv_text(grades))
    write_atomic(out / "submissions.csv", submissions_csv(rows))
    write_atomic(out / "parts.csv", parts_csv(counted, parts_of))
    students = {s.id: s for s in roster}
    for student_id, record in counted.items():
        student = students.get(student_id)
        parts = parts_of(record.hash)
        text = feedback_markdown(assignment, student, record, parts, reveal)
        write_atomic(out / "feedback" / f"{student_id}.md", text)
        write_atomic(out / "feedback" / f"{student_id}.html",
                     feedback_html(assignment, student, record, parts, reveal))
        results = gradescope_results(assignment, record, parts, reveal)
        write_atomic(out / "results" / f"{student_id}.json", dumps(results, indent=2) + "\n")
    return [[str(safe_cell(cell)) for cell in row] for row in grades]
