"""The Python API: thin functions over the engine that return plain frozen dataclasses.

Everything the command line does is here as a function — families and variants,
assignments and rosters, one student's variants, grading one notebook, and generating
and grading a class. Values are plain data (numbers, lists, text, dicts), never the
engine's objects. Functions that need the course secret take ``secret`` (the key bytes)
or ``secret_file``; with neither they read it as the command line does
(``$CALCGRADE_SECRET``, else the file ``calcgrade init`` wrote).

Errors are :class:`calcgrade.CalcgradeError` with the same one-line messages as the
command line.

>>> import calcgrade
>>> family = calcgrade.get_family("sigmoid_gradient")
>>> family.topic
'sigmoid and log-loss'
>>> one = calcgrade.sample("sigmoid_gradient", seed=3, mode="z")
>>> one == calcgrade.sample("sigmoid_gradient", seed=3, mode="z"), sorted(one.answers)
(True, ['sigmoid', 'sigmoid_prime'])
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from calcgrade.core.errors import UsageError
from calcgrade.grader.course.assignment import Assignment
from calcgrade.grader.course.roster import Student


# --- what the functions return ------------------------------------------------------------------

@dataclass(frozen=True)
class FamilyInfo:
    """A problem family: its name, topic, params, sampling options, answers (name -> kind)
    and catalogued mistakes (id -> the message a student reads)."""

    name: str
    version: int
    topic: str
    summary: str
    params: tuple[str, ...]
    options: tuple[str, ...]
    answers: Mapping[str, str]
    mistakes: Mapping[str, str]


@dataclass(frozen=True)
class Sample:
    """One variant of a family for a seed: params, statement (Markdown) and answers."""

    family: str
    seed: int
    params: Mapping[str, Any]
    statement: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class StudentVariant:
    """One student's variant of one problem of an assignment (``draw``: the draw number
    that ``key.json`` records, None for fixed params)."""

    problem: int
    family: str
    points: float
    draw: int | None
    params: Mapping[str, Any]
    statement: str
    answers: Mapping[str, Any]


@dataclass(frozen=True)
class PartScore:
    """The score of one answer part (``q<problem>_<answer>`` in the notebook)."""

    problem: int
    answer: str
    family: str
    score: float
    max: float
    status: str
    feedback: str
    mistake: str | None


@dataclass(frozen=True)
class NotebookGrade:
    """One graded notebook: whose, its status (``graded``, ``timeout``, ``invalid``, …,
    ``unidentified``), the points and every part."""

    student: str
    status: str
    reason: str
    total: float
    max: float
    flags: str
    parts: tuple[PartScore, ...] = ()


@dataclass(frozen=True)
class GenerateSummary:
    """What ``generate`` wrote: the folder, the counts, and the problems whose options
    allowed too few variants (problem number -> students sharing a variant)."""

    out: Path
    students: int
    problems: int
    shared: Mapping[int, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class StudentGrade:
    """One roster student after ``grade``: status, points, points per problem."""

    student: str
    name: str
    status: str
    reason: str
    total: float
    max: float
    problems: tuple[float, ...]
    flags: str


@dataclass(frozen=True)
class ClassGrades:
    """What ``grade`` did (counts of this run) and every roster student's grade."""

    out: Path
    inputs: int
    graded: int
    skipped: int
    failed: int
    ignored: int
    students: tuple[StudentGrade, ...]


@dataclass(frozen=True)
class ClassReport:
    """The class report of a graded folder, as numbers: the same data as ``report.json``
    (``calcgrade report``). Scores are points; shares are fractions in [0, 1]. ``parts``,
    ``mistakes``, ``reviews``, ``flags``, ``copies`` and ``late`` are tuples of plain
    mappings with the fields of the rows of ``report_parts.csv``, ``report_mistakes.csv``
    and the page's tables."""

    assignment: str
    title: str
    total_points: float
    students: int
    graded: int
    statuses: Mapping[str, int]
    totals: tuple[float, ...]
    mean: float | None
    median: float | None
    stdev: float | None
    minimum: float | None
    maximum: float | None
    problems: tuple[Mapping[str, Any], ...]
    parts: tuple[Mapping[str, Any], ...]
    mistakes: tuple[Mapping[str, Any], ...]
    reviews: tuple[Mapping[str, Any], ...]
    flags: tuple[Mapping[str, Any], ...]
    copies: tuple[Mapping[str, Any], ...]
    late: tuple[Mapping[str, Any], ...]


# --- families -------------------------------------------------------------------------------------

def family_names() -> tuple[str, ...]:
    """The names of every problem family, in the order of the course."""
    from calcgrade.problems import family_names as names

    return tuple(names())


def get_family(name: str) -> FamilyInfo:
    """The family called ``name`` (an unknown name raises an error with a suggestion)."""
    from calcgrade.problems import get_family as lookup

    described = lookup(name).describe()
    return FamilyInfo(described["name"], described["version"], described["topic"],
                      described["summary"], tuple(p["name"] for p in described["params"]),
                      tuple(o["name"] for o in described["options"]),
                      {answer: spec["kind"] for answer, spec in described["answers"].items()},
                      dict(described["mistakes"]))


def sample(family: str, seed: int, **options: Any) -> Sample:
    """The variant of ``family`` for ``seed`` with sampling ``options`` (as ``calcgrade
    sample FAMILY --seed N --option KEY=VALUE``)."""
    from calcgrade.grader.course.jsonio import plain
    from calcgrade.problems import get_family as lookup
    from calcgrade.problems.variant import sample_variant

    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise UsageError(f"seed must be a whole number >= 0, not {seed!r}")
    drawn = sample_variant(lookup(family), seed, options)
    return Sample(drawn["family"], seed, plain(drawn["params"]), drawn["statement"],
                  plain(drawn["answers"]))


def solve(family: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The reference answers of ``family`` for explicit ``params`` (checked first)."""
    from calcgrade.grader.course.jsonio import plain
    from calcgrade.problems import get_family as lookup

    chosen = lookup(family)
    return plain(chosen.solve(chosen.validate(dict(params))))


# --- assignments, rosters, secrets -------------------------------------------------------------

def load_assignment(path: str | os.PathLike) -> Assignment:
    """The checked assignment file at ``path`` (a frozen dataclass: ``id``, ``title``,
    ``problems`` with ``number``, ``family``, ``points``, ``options``, ``params`` …)."""
    from calcgrade.grader.course.assignment import load_assignment as load

    return load(path)


def load_roster(path: str | os.PathLike) -> tuple[Student, ...]:
    """The checked roster at ``path``: one frozen ``Student`` (``id``, ``name``, ``email``
    and the optional LMS ids) per row."""
    from calcgrade.grader.course.roster import load_roster as load

    return tuple(load(path))


def _secret(secret: bytes | None, secret_file: str | os.PathLike | None) -> bytes:
    if secret is not None:
        if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
            raise UsageError("secret must be the key bytes (at least 16), e.g. "
                             "bytes.fromhex(text of the secret file)")
        return bytes(secret)
    from calcgrade.grader.course.secret import load_secret

    return load_secret(secret_file)


def _assignment(assignment) -> Assignment:
    return assignment if isinstance(assignment, Assignment) else load_assignment(assignment)


def student_variants(assignment, student: str, *, roster=None, key=None,
                     secret: bytes | None = None, secret_file=None) -> tuple[StudentVariant, ...]:
    """One student's variant of every problem, exactly as ``generate`` made them when the
    class's ``roster`` (a path or students) or ``key`` (its ``key.json``) is given; with
    neither, each problem's first draw (the same unless the student's draw repeated an
    earlier student's)."""
    from calcgrade.grader.course.jsonio import plain
    from calcgrade.grader.course.variants import key_draws
    from calcgrade.grader.course.variants import student_variants as variants_of

    chosen = _assignment(assignment)
    key_bytes = _secret(secret, secret_file)
    if key is not None:
        draws = key_draws(key, chosen)
        if student not in draws:
            raise UsageError(f"student {student!r} is not in {key}")
        variants = draws.variants(key_bytes, student)
    else:
        ids = None
        if roster is not None:
            students = load_roster(roster) if isinstance(roster, (str, os.PathLike)) else roster
            ids = [s.id if isinstance(s, Student) else str(s) for s in students]
        variants = variants_of(chosen, key_bytes, student, ids)
    return tuple(StudentVariant(v.problem.number, v.problem.family, v.problem.points, v.draw,
                                plain(v.params), v.statement, plain(v.answers)) for v in variants)


# --- generating and grading -------------------------------------------------------------------

def generate(assignment: str | os.PathLike, roster: str | os.PathLike, out: str | os.PathLike, *,
             secret: bytes | None = None, secret_file=None, jobs: int | None = None
             ) -> GenerateSummary:
    """Write one notebook and handout per student, the key and a manifest into ``out``
    (as ``calcgrade generate``)."""
    from calcgrade.grader.generation.generate import generate as generate_class

    result = generate_class(assignment, roster, out, _secret(secret, secret_file), jobs=jobs)
    return GenerateSummary(Path(result.out), result.students, result.problems,
                           {number: tuple(ids) for number, ids in result.shared.items()})


def grade(submissions: str | os.PathLike | Sequence[str | os.PathLike],
          assignment: str | os.PathLike, roster: str | os.PathLike, out: str | os.PathLike, *,
          secret: bytes | None = None, secret_file=None, key=None, student: str | None = None,
          timeout: float = 60.0, memory_mib: int = 2048, workers: int = 2, reveal: bool = False,
          pick: Iterable[str] = (), submitted_at: str | os.PathLike | None = None) -> ClassGrades:
    """Grade notebooks, folders or zip archives into ``out`` (as ``calcgrade grade``) and
    return every roster student's grade. ``submitted_at``: ``"mtime"`` or a CSV of
    submission times (``--submitted-at``), to mark late submissions against the
    assignment's deadline."""
    from calcgrade.grader.grading.grade import grade as grade_batch
    from calcgrade.grader.grading.graded import read_graded

    paths = [str(submissions)] if isinstance(submissions, (str, os.PathLike)) else \
        [str(p) for p in submissions]
    summary = grade_batch(paths, str(assignment), str(roster), str(out),
                          _secret(secret, secret_file), student=student, timeout=timeout,
                          memory_mib=memory_mib, workers=workers, reveal=reveal,
                          pick=tuple(pick), key=None if key is None else str(key),
                          submitted_at=None if submitted_at is None else str(submitted_at))
    graded = read_graded(out)
    students = tuple(StudentGrade(row.student.id, row.student.name, row.status, row.reason,
                                  row.total, row.max, row.problems, row.flags)
                     for row in graded.rows)
    return ClassGrades(Path(out), summary.inputs, summary.graded, summary.skipped, summary.failed,
                       summary.ignored, students)


def grade_notebook(notebook: str | os.PathLike, assignment: str | os.PathLike, *,
                   student: str | None = None, roster: str | os.PathLike | None = None,
                   key=None, secret: bytes | None = None, secret_file=None,
                   timeout: float = 60.0, memory_mib: int = 2048) -> NotebookGrade:
    """Grade one notebook in the sandbox and return its part scores.

    Whose it is: ``student``, else the file name or the notebook's signed metadata,
    checked against ``roster``. Without a roster, ``student`` is required and the
    student's first draws are used (give ``roster`` or ``key`` to match ``generate``
    exactly). Nothing is written outside a temporary folder.
    """
    from calcgrade.grader.grading.grade import grade as grade_batch
    from calcgrade.grader.grading.gradebook import Gradebook

    if roster is None and student is None:
        raise UsageError("grade_notebook needs student= or roster= to know whose notebook it is")
    with tempfile.TemporaryDirectory(prefix="calcgrade-notebook-") as folder:
        if roster is None:
            from calcgrade.grader.course.roster import id_problem

            problem = id_problem(student)
            if problem:
                raise UsageError(f"student: {problem}")
            roster = Path(folder) / "roster.csv"
            roster.write_text(f"id\n{student}\n", encoding="utf-8")
        out = Path(folder) / "out"
        grade_batch([str(notebook)], str(assignment), str(roster), str(out),
                    _secret(secret, secret_file), student=student, timeout=timeout,
                    memory_mib=memory_mib, workers=1, key=None if key is None else str(key))
        with Gradebook(out / "gradebook.sqlite") as book:
            records = book.submissions()
            if not records:  # pragma: no cover - every input gets a record
                raise UsageError(f"{notebook}: nothing was graded")
            record = records[0]
            parts = tuple(PartScore(p.problem, p.answer, p.family, p.score, p.max, p.status,
                                    p.feedback, p.mistake) for p in book.parts(record.hash))
    return NotebookGrade(record.student, record.status, record.reason, record.total, record.max,
                         record.flags, parts)


def report(out: str | os.PathLike) -> ClassReport:
    """The class report of the graded folder ``out`` (``calcgrade grade``'s ``--out``): the
    numbers ``report.json`` holds, read from its gradebook (nothing is written)."""
    from types import MappingProxyType

    from calcgrade.grader.grading.class_report import build_report

    data = build_report(out).as_json()
    data.pop("discrimination_index", None)
    rows = lambda key: tuple(MappingProxyType(dict(item)) for item in data[key])  # noqa: E731
    return ClassReport(
        data["assignment"], data["title"], data["total_points"], data["students"],
        data["graded"], MappingProxyType(dict(data["statuses"])), tuple(data["totals"]),
        data["mean"], data["median"], data["stdev"], data["minimum"], data["maximum"],
        rows("problems"), rows("parts"), rows("mistakes"), rows("reviews"), rows("flags"),
        rows("copies"), rows("late"))
