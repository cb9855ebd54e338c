"""The gradebook: an embedded SQLite database written as grading goes (DESIGN §7).

One row per submission (keyed by a hash of its content and what it is graded against)
and one row per submission and answer part. A submission is committed with its parts in
one transaction, alone (:meth:`Gradebook.record`) or in a small group
(:meth:`Gradebook.record_group`), so an interrupted batch loses at most the group in
flight and a rerun skips everything already graded.

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> with Gradebook(os.path.join(folder, "gradebook.sqlite")) as book:
...     book.record(SubmissionRecord("h1", "ada", "ada.ipynb", "graded", "", 3.0, 4.0), [])
...     book.has("h1"), book.has("h2")
(True, False)
"""

from __future__ import annotations

import sqlite3
from dataclasses import astuple, dataclass, fields
from operator import attrgetter
from pathlib import Path
from typing import Iterable, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    hash     TEXT PRIMARY KEY,
    student  TEXT NOT NULL,
    path     TEXT NOT NULL,
    status   TEXT NOT NULL,
    reason   TEXT NOT NULL,
    total    REAL NOT NULL,
    max      REAL NOT NULL,
    flags    TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS parts (
    hash      TEXT NOT NULL REFERENCES submissions(hash) ON DELETE CASCADE,
    problem   INTEGER NOT NULL,
    answer    TEXT NOT NULL,
    family    TEXT NOT NULL,
    score     REAL NOT NULL,
    max       REAL NOT NULL,
    status    TEXT NOT NULL,
    feedback  TEXT NOT NULL,
    mistake   TEXT,
    expected  TEXT NOT NULL,
    found     TEXT NOT NULL,
    reference TEXT NOT NULL,
    PRIMARY KEY (hash, problem, answer)
);
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS submissions_by_student ON submissions(student);
"""

# This run's inputs, kept on disk (a temporary table of this connection) rather than in
# memory while a large class is graded: ``seq`` is the input's place in path order,
# ``turn`` its place in grading order (NULL when it is not graded), ``state`` what the
# grader needs to remake it (JSON).
RUN_SCHEMA = """
DROP TABLE IF EXISTS temp.run;
CREATE TEMP TABLE run (
    seq     INTEGER PRIMARY KEY,
    turn    INTEGER UNIQUE,
    student TEXT,
    counted INTEGER NOT NULL,
    state   TEXT NOT NULL
);
CREATE INDEX temp.run_counted ON run(counted, student);
"""
PAGE = 256  # rows read at a time


@dataclass(frozen=True)
class SubmissionRecord:
    """One graded (or failed) submission."""

    hash: str
    student: str
    path: str
    status: str
    reason: str
    total: float
    max: float
    flags: str = ""


@dataclass(frozen=True)
class PartRecord:
    """One answer part of one submission."""

    hash: str
    problem: int
    answer: str
    family: str
    score: float
    max: float
    status: str
    feedback: str
    mistake: str | None
    expected: str
    found: str
    reference: str = ""


# a record's fields as a row, in column order (flat: no deep copy as ``astuple`` makes)
_submission_row = attrgetter(*(f.name for f in fields(SubmissionRecord)))
_part_row = attrgetter(*(f.name for f in fields(PartRecord)))
_INSERT_SUBMISSION = f"INSERT INTO submissions VALUES ({', '.join('?' * len(fields(SubmissionRecord)))})"
_INSERT_PART = f"INSERT INTO parts VALUES ({', '.join('?' * len(fields(PartRecord)))})"


class Gradebook:
    """A SQLite gradebook at ``path`` (created if needed); use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.connection = sqlite3.connect(self.path)
        self.connection.execute("PRAGMA foreign_keys = ON")
        # WAL with synchronous=NORMAL: a commit survives a killed process without an fsync
        # per submission; SQLite folds the log back into the file when the last user closes.
        self.connection.execute("PRAGMA journal_mode = WAL")
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self.connection.executescript(SCHEMA + DECISIONS_SCHEMA)

    def __enter__(self) -> "Gradebook":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the database (every record is already committed)."""
        self.connection.close()

    def get_meta(self, key: str) -> str | None:
        """A stored setting (e.g. which assignment this gradebook belongs to)."""
        row = self.connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.connection:
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def has(self, submission_hash: str) -> bool:
        """Whether this submission has been graded already."""
        row = self.connection.execute("SELECT 1 FROM submissions WHERE hash = ?",
                                      (submission_hash,)).fetchone()
        return row is not None

    def record(self, submission: SubmissionRecord, parts: list[PartRecord]) -> None:
        """Write one submission and its parts atomically (replacing an older grading)."""
        self.record_group([(submission, parts)])

    def record_group(self, group: list[tuple[SubmissionRecord, list[PartRecord]]]) -> None:
        """Write several submissions with their parts in one transaction."""
        with self.connection:
            for submission, parts in group:
                self.connection.execute("DELETE FROM submissions WHERE hash = ?",
                                        (submission.hash,))
                self.connection.execute(_INSERT_SUBMISSION, _submission_row(submission))
                self.connection.executemany(_INSERT_PART, map(_part_row, parts))
                if parts:
                    self._apply_decisions(submission.hash, submission.student)

    def record_many(self, submissions: list[SubmissionRecord]) -> None:
        """Write submissions without parts (files that were not graded) in one transaction."""
        with self.connection:
            self.connection.executemany("DELETE FROM submissions WHERE hash = ?",
                                        [(s.hash,) for s in submissions])
            self.connection.executemany(_INSERT_SUBMISSION, map(_submission_row, submissions))

    def submission(self, submission_hash: str) -> SubmissionRecord | None:
        """The stored record of one submission."""
        row = self.connection.execute("SELECT * FROM submissions WHERE hash = ?",
                                      (submission_hash,)).fetchone()
        return SubmissionRecord(*row) if row else None

    def parts(self, submission_hash: str) -> list[PartRecord]:
        """The parts of one submission in problem and answer order."""
        rows = self.connection.execute(
            "SELECT * FROM parts WHERE hash = ? ORDER BY problem, rowid", (submission_hash,))
        return [PartRecord(*row) for row in rows]

    # this run's inputs ---------------------------------------------------------------------
    def start_run(self, inputs: Iterable[tuple[int | None, str | None, bool, str]]) -> None:
        """Keep this run's inputs, given in path order as ``(turn, student, counted,
        state)``, in a temporary table (gone when the gradebook is closed)."""
        with self.connection:
            self.connection.executescript(RUN_SCHEMA)
            self.connection.executemany(
                "INSERT INTO run (turn, student, counted, state) VALUES (?, ?, ?, ?)",
                ((turn, student, int(counted), state) for turn, student, counted, state in inputs))

    def run_in_turn(self) -> Iterator[str]:
        """The states of the inputs to grade, in grading order, read a page at a time
        (each page is read whole, so commits in between are safe)."""
        after = -1
        while True:
            rows = self.connection.execute(
                "SELECT turn, state FROM run WHERE turn > ? ORDER BY turn LIMIT ?",
                (after, PAGE)).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield from (state for _, state in rows)

    def run_in_path_order(self) -> Iterator[str]:
        """The states of every input of this run, in path order, a page at a time."""
        after = -1
        while True:
            rows = self.connection.execute(
                "SELECT seq, state FROM run WHERE seq > ? ORDER BY seq LIMIT ?",
                (after, PAGE)).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield from (state for _, state in rows)

    def counted_state(self, student: str) -> str | None:
        """The state of the input that counts for ``student`` in this run, or None."""
        row = self.connection.execute(
            "SELECT state FROM run WHERE counted = 1 AND student = ? ORDER BY seq DESC LIMIT 1",
            (student,)).fetchone()
        return row[0] if row else None

    def counted_in_roster_order(self) -> Iterator[tuple[int, str]]:
        """``(position, state)`` of the input that counts in this run for each roster student
        who has one, in roster order (the recorded class's), a page at a time."""
        after = -1
        while True:
            rows = self.connection.execute(
                "SELECT class.position, run.state FROM class JOIN run ON run.counted = 1 "
                "AND run.student = class.student WHERE class.position > ? "
                "ORDER BY class.position, run.seq DESC LIMIT ?", (after, PAGE)).fetchall()
            if not rows:
                return
            for position, state in rows:
                if position != after:  # the last in path order counts, as in counted_state
                    after = position
                    yield position, state

    def counted_students(self) -> Iterator[str]:
        """The students with an input that counts in this run, by id, a page at a time."""
        after = ""
        while True:
            rows = self.connection.execute(
                "SELECT DISTINCT student FROM run WHERE counted = 1 AND student > ? "
                "ORDER BY student LIMIT ?", (after, PAGE)).fetchall()
            if not rows:
                return
            after = rows[-1][0]
            yield from (student for student, in rows)

    def submissions(self) -> list[SubmissionRecord]:
        """Every submission, by student then path."""
        rows = self.connection.execute("SELECT * FROM submissions ORDER BY student, path")
        return [SubmissionRecord(*row) for row in rows]

    # the class as of the last grading run: for exports (calcgrade.grader.grading.graded) ---------------
    def set_class(self, meta: dict[str, str], rows: Iterable[ClassRow | tuple]) -> None:
        """Replace the recorded class: ``meta`` (assignment title, points, problem numbers)
        and one row per roster student with the hash of the submission that counts
        (:class:`ClassRow`, or the same four values as a tuple)."""
        with self.connection:
            self.connection.execute(CLASS_SCHEMA)
            self.connection.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                                        sorted(meta.items()))
            self.connection.execute("DELETE FROM class")
            self.connection.executemany(
                "INSERT INTO class VALUES (?, ?, ?, ?)",
                (_class_row(row) if isinstance(row, ClassRow) else row for row in rows))

    def class_rows(self, submitted_only: bool = False) -> list[ClassRow] | None:
        """The recorded class in roster order (only the students with a submission that
        counts when ``submitted_only``), or None when no grading run recorded one."""
        where = " WHERE hash IS NOT NULL" if submitted_only else ""
        try:
            rows = self.connection.execute(f"SELECT * FROM class{where} ORDER BY position").fetchall()
        except sqlite3.OperationalError:  # a gradebook written before the class was recorded
            return None
        return [ClassRow(*row) for row in rows]

    def class_problem_scores(self) -> dict[str, dict[int, float]]:
        """Hash -> problem -> points, for every counted submission of the recorded class."""
        scores: dict[str, dict[int, float]] = {}
        for hash_, problem, points in self.connection.execute(
                "SELECT parts.hash, parts.problem, SUM(parts.score) FROM parts "
                "JOIN class ON class.hash = parts.hash GROUP BY parts.hash, parts.problem"):
            scores.setdefault(hash_, {})[problem] = points
        return scores

    def class_submissions(self) -> Iterator[SubmissionRecord]:
        """The record of every counted submission of the recorded class."""
        for row in self.connection.execute(
                "SELECT submissions.* FROM class JOIN submissions ON submissions.hash = class.hash"):
            yield SubmissionRecord(*row)


    # an instructor's review decisions (calcgrade.grader.grading.review) -------------------------------
    def decide(self, decision: Decision) -> None:
        """Record (or replace) a decision on one student's part and apply it to every graded
        submission of that student whose answer to the part is the one decided on."""
        with self.connection:
            self.connection.execute("INSERT OR REPLACE INTO decisions VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    astuple(decision))
            for (hash_,) in self.connection.execute(
                    "SELECT hash FROM submissions WHERE student = ?", (decision.student,)).fetchall():
                self._apply_decisions(hash_, decision.student)

    def decisions(self) -> list[Decision]:
        """Every recorded decision, by student, problem and part."""
        rows = self.connection.execute(
            "SELECT * FROM decisions ORDER BY student, problem, answer").fetchall()
        return [Decision(*row) for row in rows]

    def _apply_decisions(self, submission_hash: str, student: str) -> None:
        """Overwrite the decided parts of one submission (inside the caller's transaction)
        and its total. A part is decided when the student's answer (``found``) is the one
        the decision was made on; its marking is kept in ``decided`` to show beside it."""
        decisions = self.connection.execute(
            "SELECT * FROM decisions WHERE student = ?", (student,)).fetchall()
        if not decisions:
            return
        changed = False
        for decision in [Decision(*d) for d in decisions]:
            row = self.connection.execute(
                "SELECT max, found, score, status, feedback FROM parts "
                "WHERE hash = ? AND problem = ? AND answer = ?",
                (submission_hash, decision.problem, decision.answer)).fetchone()
            if row is None or row[1] != decision.found:
                continue
            part_max = row[0]
            score, status = decided_score(decision, part_max)
            feedback = decided_feedback(decision, score, part_max)
            if (row[2], row[3], row[4]) == (score, status, feedback):
                continue
            self.connection.execute(
                "UPDATE parts SET score = ?, status = ?, feedback = ? "
                "WHERE hash = ? AND problem = ? AND answer = ?",
                (score, status, feedback, submission_hash, decision.problem, decision.answer))
            changed = True
        if changed:
            self.connection.execute(
                "UPDATE submissions SET total = (SELECT ROUND(COALESCE(SUM(score), 0), 6) FROM parts "
                "WHERE parts.hash = submissions.hash) WHERE hash = ?", (submission_hash,))


DECISIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
    student  TEXT NOT NULL,
    problem  INTEGER NOT NULL,
    answer   TEXT NOT NULL,
    found    TEXT NOT NULL,
    decision TEXT NOT NULL,
    score    REAL,
    comment  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, problem, answer)
);
"""
ACCEPT, REJECT, SCORE = "accept", "reject", "score"
REVIEWED_NOTE = "Reviewed by your instructor"


@dataclass(frozen=True)
class Decision:
    """An instructor's decision on one part of one student: ``accept`` (full points),
    ``reject`` (none) or ``score`` (``score`` points, at most the part's), for the answer
    ``found`` (as the gradebook shows it), with an optional comment for the student."""

    student: str
    problem: int
    answer: str
    found: str
    decision: str
    score: float | None = None
    comment: str = ""


def decided_score(decision: Decision, part_max: float) -> tuple[float, str]:
    """The part's score and status under ``decision``.

    >>> decided_score(Decision("ann", 1, "value", "3", "score", 0.5), 1.0)
    (0.5, 'partial')
    >>> decided_score(Decision("ann", 1, "value", "3", "accept"), 2.0)
    (2.0, 'correct')
    """
    if decision.decision == ACCEPT:
        score = part_max
    elif decision.decision == REJECT:
        score = 0.0
    else:
        score = round(min(max(float(decision.score or 0.0), 0.0), part_max), 6)
    status = "correct" if score >= part_max else "partial" if score > 0 else "wrong"
    return score, status


def decided_feedback(decision: Decision, score: float, part_max: float) -> str:
    """What the student reads for a decided part."""
    verdict = {ACCEPT: "accepted", REJECT: "not accepted"}.get(
        decision.decision, f"{score:g} of {part_max:g} points")
    text = f"{REVIEWED_NOTE}: {verdict}."
    comment = decision.comment.strip()
    return f"{text} Comment: {comment}" if comment else text


CLASS_SCHEMA = """
CREATE TABLE IF NOT EXISTS class (
    position INTEGER PRIMARY KEY,
    student  TEXT NOT NULL,
    fields   TEXT NOT NULL,
    hash     TEXT
);
"""


@dataclass(frozen=True)
class ClassRow:
    """One roster student as of the last grading run: the roster's fields as JSON and the
    hash of the submission that counts (None when the student handed in nothing)."""

    position: int
    student: str
    fields: str
    hash: str | None = None


_class_row = attrgetter(*(f.name for f in fields(ClassRow)))
