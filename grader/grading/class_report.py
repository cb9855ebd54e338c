"""The instructor's class report: what the class got right and wrong, from the gradebook.

:func:`build_report` reads a graded folder (``calcgrade grade``'s ``--out``) back from its
gradebook and computes, over the students whose counted submission was graded:

- the score distribution and summary statistics (mean, median, standard deviation, range);
- per problem and per answer part: the mean score (as a share of the part's points), the
  shares fully right, with a format error, missing and marked for review, and two item
  discrimination indices: the **upper-lower 27 % index** D (mean share of points of the
  27 % of students with the highest totals minus that of the 27 % with the lowest; from
  −1 to 1, above 0.3 separates well) and the **corrected item-total correlation** (Pearson
  correlation of the part's share with the total of the *other* parts; point-biserial for
  an all-or-nothing part); either is empty when the class is too small or uniform;
- the diagnosed mistakes, ranked by how many students made each, with the family's message;
- the parts marked for review and the flagged submissions, each with its feedback page;
- the submissions whose wrong answers fit a classmate's variant (``copies``: who, which
  classmate, how many parts; :mod:`calcgrade.grader.grading.copies`) and the late ones
  (``late``: when, how many days, the penalty; :mod:`calcgrade.grader.grading.late`).

:func:`write_class_report` writes ``report.html`` (self-contained: plots embedded as SVG
data URIs, math as MathML, no script, no network) with the same numbers beside it as
``report.json``, ``report_parts.csv`` and ``report_mistakes.csv``.

>>> import tempfile, os
>>> from calcgrade.grader.grading.gradebook import ClassRow, Gradebook, PartRecord, SubmissionRecord
>>> folder = tempfile.mkdtemp()
>>> with Gradebook(os.path.join(folder, "gradebook.sqlite")) as book:
...     for i, score in enumerate([1.0, 0.0]):
...         book.record(SubmissionRecord(f"h{i}", f"s{i}", "x.ipynb", "graded", "", score, 1.0),
...                     [PartRecord(f"h{i}", 1, "value", "derivative", score, 1.0,
...                                 "correct" if score else "wrong", "", None, "a number", "3")])
...     book.set_class({"title": "HW", "total_points": "1.0", "problems": "[1]"},
...                    [ClassRow(0, "s0", "{}", "h0"), ClassRow(1, "s1", "{}", "h1")])
>>> report = build_report(folder)
>>> report.graded, report.mean, [(p.answer, p.share_correct) for p in report.parts]
(2, 0.5, [('value', 0.5)])
"""

from __future__ import annotations

import json
import math
import statistics
from array import array
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from calcgrade.grader.grading.gradebook import Gradebook
from calcgrade.grader.grading.graded import GRADEBOOK
from calcgrade.grader.grading.notes import read_notes

GRADED = "graded"
CORRECT, FORMAT_ERROR, MISSING, REVIEW = "correct", "format_error", "missing", "review"
UPPER_LOWER = 0.27
REPORT_FILES = ("report.html", "report.json", "report_parts.csv", "report_mistakes.csv")
_WORRYING = ("does not verify", "was generated for", "has no calcgrade metadata",
             "ran out of memory", "copied", "late")


@dataclass(frozen=True)
class PartStats:
    """One answer part over the graded students (shares are fractions in [0, 1])."""

    problem: int
    answer: str
    family: str
    max: float
    students: int
    mean_points: float
    mean_share: float
    share_correct: float
    share_format_error: float
    share_missing: float
    share_review: float
    discrimination: float | None      # upper-lower 27 % index D
    item_rest: float | None           # corrected item-total correlation


@dataclass(frozen=True)
class MistakeStats:
    """One catalogued mistake of one problem and how many graded students made it."""

    problem: int
    family: str
    mistake: str
    message: str
    students: int
    share: float
    parts: tuple[str, ...]


@dataclass(frozen=True)
class ReviewItem:
    """A part an instructor should decide (or has decided) on."""

    student: str
    name: str
    problem: int
    answer: str
    found: str
    reference: str
    score: float
    max: float
    decision: str
    comment: str
    feedback: str   # relative link to the student's feedback page


@dataclass(frozen=True)
class FlagItem:
    """A counted submission with flags (identification, errors, ...)."""

    student: str
    name: str
    status: str
    flags: str
    worrying: bool
    feedback: str


@dataclass(frozen=True)
class CopyItem:
    """A counted submission whose wrong answers fit a classmate's variant."""

    student: str
    name: str
    classmate: str
    parts: int
    feedback: str


@dataclass(frozen=True)
class LateItem:
    """A counted submission handed in after the deadline (``penalty``: the share of the
    total taken off)."""

    student: str
    name: str
    submitted_at: str
    days: float
    penalty: float
    feedback: str


@dataclass
class ClassReport:
    """Everything the report page shows, as numbers (see the module docstring)."""

    assignment: str
    title: str
    total_points: float
    students: int
    graded: int
    statuses: dict[str, int]
    totals: list[float]
    mean: float | None
    median: float | None
    stdev: float | None
    minimum: float | None
    maximum: float | None
    problems: list[dict] = field(default_factory=list)
    parts: list[PartStats] = field(default_factory=list)
    mistakes: list[MistakeStats] = field(default_factory=list)
    reviews: list[ReviewItem] = field(default_factory=list)
    flags: list[FlagItem] = field(default_factory=list)
    copies: list[CopyItem] = field(default_factory=list)
    late: list[LateItem] = field(default_factory=list)

    def as_json(self) -> dict:
        """The report's numbers as plain data (what ``report.json`` holds)."""
        data = asdict(self)
        data["discrimination_index"] = ("upper-lower 27% index D; item_rest: corrected "
                                        "item-total (point-biserial) correlation")
        return data


def feedback_link(student: str) -> str:
    """The feedback page of ``student``, relative to the graded folder.

    >>> feedback_link("ann smith")
    'feedback/ann%20smith.html'
    """
    return f"feedback/{quote(student)}.html"


def upper_lower_index(shares: list[float], totals: list[float],
                      fraction: float = UPPER_LOWER) -> float | None:
    """Mean of ``shares`` in the top ``fraction`` of students by ``totals`` minus the mean in
    the bottom ``fraction`` (ties broken by position); None with fewer than 4 students or
    when every student has the same share.

    >>> upper_lower_index([1, 1, 0, 0], [4, 3, 2, 1])
    1.0
    """
    n = len(shares)
    if n < 4 or max(shares) - min(shares) <= 1e-12:
        return None
    size = max(1, round(fraction * n))
    order = sorted(range(n), key=lambda i: (totals[i], -i))
    low, high = order[:size], order[-size:]
    return round(sum(shares[i] for i in high) / size - sum(shares[i] for i in low) / size, 6)


def item_rest_correlation(shares: list[float], rests: list[float]) -> float | None:
    """Pearson correlation of a part's shares with the rest of each student's total; None
    when either does not vary.

    >>> item_rest_correlation([0, 1, 0, 1], [1, 3, 2, 4])
    0.894427
    """
    n = len(shares)
    if n < 3:
        return None
    ms, mr = sum(shares) / n, sum(rests) / n
    ss = sum((s - ms) ** 2 for s in shares)
    sr = sum((r - mr) ** 2 for r in rests)
    if ss <= 1e-12 or sr <= 1e-12:
        return None
    cov = sum((s - ms) * (r - mr) for s, r in zip(shares, rests))
    return round(cov / math.sqrt(ss * sr), 6)


def _mistake_messages() -> dict[str, str]:
    from calcgrade.problems import all_families

    return {m.id: m.message for family in all_families() for m in family.mistakes()}


def _share(count: int, total: int) -> float:
    return round(count / total, 6) if total else 0.0


class _PartTally:
    """One answer part over the graded students, tallied as the gradebook is read: the
    counts, and each student's share and rest as compact arrays (8 bytes a student)."""

    def __init__(self, family: str, part_max: float):
        self.family, self.max = family, part_max
        self.positions, self.shares, self.rests = array("q"), array("d"), array("d")
        self.points = 0.0
        self.full = 0
        self.statuses: dict[str, int] = defaultdict(int)

    def add(self, position: int, score: float, part_max: float, status: str, rest: float) -> None:
        self.positions.append(position)
        self.shares.append(score / part_max if part_max else 0.0)
        self.rests.append(rest)
        self.points += score
        self.full += score >= part_max
        self.statuses[status] += 1

    def stats(self, problem: int, answer: str, totals, n: int) -> PartStats:
        shares, rests = [0.0] * n, [0.0] * n
        for position, share, rest in zip(self.positions, self.shares, self.rests):
            shares[position], rests[position] = share, rest
        return PartStats(
            problem, answer, self.family, self.max, n,
            round(self.points / n, 6) if n else 0.0, round(sum(shares) / n, 6) if n else 0.0,
            _share(self.full, n), _share(self.statuses[FORMAT_ERROR], n),
            _share(self.statuses[MISSING], n), _share(self.statuses[REVIEW], n),
            upper_lower_index(shares, list(totals)), item_rest_correlation(shares, rests))


# every roster student in roster order with the submission that counts (NULLs when none)
# and, one row each, its parts; read through a cursor, never whole
_CLASS_PARTS = """
SELECT class.position, class.student, class.fields, class.hash, s.status, s.total, s.flags,
       p.problem, p.answer, p.family, p.score, p.max, p.status, p.mistake, p.found,
       CASE WHEN p.status = 'review' OR d.student IS NOT NULL THEN p.reference END
FROM class
LEFT JOIN submissions AS s ON s.hash = class.hash
LEFT JOIN parts AS p ON p.hash = s.hash
LEFT JOIN decisions AS d ON d.student = class.student AND d.problem = p.problem
                        AND d.answer = p.answer
ORDER BY class.position, p.problem, p.rowid
"""
# the points per problem of each graded counted submission (as the grade exports read them)
_PROBLEM_POINTS = """
SELECT parts.problem, SUM(parts.score) FROM class
JOIN submissions AS s ON s.hash = class.hash AND s.status = 'graded'
JOIN parts ON parts.hash = class.hash
GROUP BY class.position, parts.problem ORDER BY class.position, parts.problem
"""


def build_report(folder: str | Path) -> ClassReport:
    """The class report of the graded folder ``folder`` (see the module docstring). The
    gradebook is read in one pass, a row at a time: what is kept grows with the class by a
    few numbers a student (totals, shares), plus the review and flag items listed."""
    from calcgrade.grader.grading.graded import class_meta, gradebook_path, student_of
    from calcgrade.grader.grading.reports import reference_text

    statuses: dict[str, int] = defaultdict(int)
    totals = array("d")
    tallies: dict[tuple[int, str], _PartTally] = {}
    made: dict[tuple[int, str, str], list] = {}     # mistake -> [students, answers, last]
    reviews, flags = [], []
    path = gradebook_path(folder)
    with Gradebook(path) as book:
        meta = class_meta(book, path)
        titles = json.loads(book.get_meta("problem_titles") or "{}")
        run_flags = json.loads(book.get_meta("counted_flags") or "{}")
        decisions = {(d.student, d.problem, d.answer): d for d in book.decisions()}
        notes = read_notes(book)
        names: dict[str, str] = {}
        current, graded_position, student = None, -1, None
        for (position, student_id, fields, hash_, status, total, row_flags, problem, answer,
             family, score, part_max, part_status, mistake, found, reference) in \
                book.connection.execute(_CLASS_PARTS):
            if position != current:
                current, student = position, None
                if status is None:
                    statuses[MISSING] += 1
                    continue
                statuses[status] += 1
                student = student_of(student_id, fields)
                note = notes.get(student_id)
                if note is not None:
                    names[student_id] = student.name
                    total = note.total(total)
                graded_position = -1
                if status == GRADED:
                    graded_position = len(totals)
                    totals.append(total)
                shown = run_flags.get(student_id) or "; ".join(
                    [f for f in (row_flags or "").split("; ") if f] + (note.flags() if note else []))
                if shown:
                    flags.append(FlagItem(student_id, student.name, status, shown,
                                          any(w in shown for w in _WORRYING),
                                          feedback_link(student_id)))
            if problem is None or graded_position < 0:
                continue
            tally = tallies.get((problem, answer))
            if tally is None:
                tally = tallies[(problem, answer)] = _PartTally(family, part_max)
            tally.add(graded_position, score, part_max, part_status, total - score)
            if mistake:
                seen = made.setdefault((problem, family, mistake), [0, set(), None])
                if seen[2] != hash_:
                    seen[0], seen[2] = seen[0] + 1, hash_
                seen[1].add(answer)
            decision = decisions.get((student_id, problem, answer))
            if decision is not None and decision.found != found:
                decision = None
            if part_status != REVIEW and decision is None:
                continue
            reviews.append(ReviewItem(student_id, student.name, problem, answer, found,
                                      reference_text(_reference_part(reference)), score, part_max,
                                      decision.decision if decision else "",
                                      decision.comment if decision else "",
                                      feedback_link(student_id)))
        problem_points: dict[int, float] = defaultdict(float)
        for problem, points in book.connection.execute(_PROBLEM_POINTS):
            problem_points[problem] += round(points, 6)
    flags.sort(key=lambda f: (not f.worrying, f.student))
    copies = [CopyItem(student, names.get(student, ""), note.copy_of, note.copy_parts,
                       feedback_link(student))
              for student, note in sorted(notes.items()) if note.copy_of]
    late = [LateItem(student, names.get(student, ""), note.submitted_at, note.late_days,
                     note.late_penalty, feedback_link(student))
            for student, note in sorted(notes.items()) if note.late_days]

    n = len(totals)
    part_stats = [tally.stats(problem, answer, totals, n) for (problem, answer), tally in
                  sorted(tallies.items(), key=lambda item: item[0][0])]
    messages = _mistake_messages()
    mistakes = [MistakeStats(problem, family, mistake, messages.get(mistake, ""), students,
                             _share(students, n), tuple(sorted(answers)))
                for (problem, family, mistake), (students, answers, _) in made.items()]
    mistakes.sort(key=lambda m: (m.problem, -m.students, m.mistake))
    problems = [{"number": number, "title": titles.get(str(number), ""),
                 "mean_points": round(problem_points[number] / n, 6) if n else 0.0}
                for number in meta.problem_numbers]
    scores = list(totals)
    return ClassReport(
        meta.assignment, meta.title, meta.total_points, sum(statuses.values()), n,
        dict(sorted(statuses.items())), scores,
        round(statistics.fmean(scores), 6) if scores else None,
        round(statistics.median(scores), 6) if scores else None,
        round(statistics.pstdev(scores), 6) if scores else None,
        min(scores) if scores else None, max(scores) if scores else None,
        problems, part_stats, mistakes, reviews, flags, copies, late)


def _reference_part(reference: str | None):
    """A part with just the reference, for :func:`~calcgrade.grader.grading.reports.reference_text`."""
    from calcgrade.grader.grading.gradebook import PartRecord

    return PartRecord("", 0, "", "", 0.0, 0.0, "", "", None, "", "", reference or "")


def parts_table(report: ClassReport) -> list[list[str]]:
    """``report_parts.csv``'s rows, header first."""
    header = ["problem", "answer", "family", "max", "students", "mean_points", "mean_share",
              "share_correct", "share_format_error", "share_missing", "share_review",
              "discrimination_upper_lower_27", "item_rest_correlation"]
    rows = [header]
    for p in report.parts:
        rows.append([str(v) if v is not None else "" for v in (
            p.problem, p.answer, p.family, p.max, p.students, p.mean_points, p.mean_share,
            p.share_correct, p.share_format_error, p.share_missing, p.share_review,
            p.discrimination, p.item_rest)])
    return rows


def mistakes_table(report: ClassReport) -> list[list[str]]:
    """``report_mistakes.csv``'s rows, header first."""
    rows = [["problem", "family", "mistake", "students", "share", "parts", "message"]]
    for m in report.mistakes:
        rows.append([str(m.problem), m.family, m.mistake, str(m.students), str(m.share),
                     " ".join(m.parts), m.message])
    return rows


def write_class_report(folder: str | Path) -> Path:
    """Write the report files into ``folder``; returns the path of ``report.html``."""
    from calcgrade.grader.csvsafe import csv_text
    from calcgrade.grader.course.jsonio import dumps
    from calcgrade.grader.grading.report_page import render_report
    from calcgrade.grader.grading.reports import write_atomic

    folder = Path(folder)
    report = build_report(folder)
    write_atomic(folder / "report.json", dumps(report.as_json(), indent=2) + "\n")
    write_atomic(folder / "report_parts.csv", csv_text(parts_table(report)))
    write_atomic(folder / "report_mistakes.csv", csv_text(mistakes_table(report)))
    write_atomic(folder / "report.html", render_report(report))
    return folder / "report.html"
