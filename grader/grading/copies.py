"""Copy detection: wrong answers that fit a classmate's variant.

Every student has their own variant, so a notebook copied from a classmate (or answers
shared by one) is wrong in exactly the parts where the two variants differ, and right for
the classmate. :func:`detect_copies` finds such submissions from what the gradebook holds
for each counted submission: each part's reference answer and the student's answer as
shown (``found``).

It never compares a submission with every variant of the class. The reference answers of
each (problem, part) are indexed by a coarse key — the rounded logarithms of the first two
nonzero numbers of the answer, or of an expression's values at fixed points — so each
answer that is not right is looked up in a few buckets and checked against the
candidates found there with the default tolerance (|a − r| ≤ 1e-6 + 1e-3·|r| per entry;
an expression at three fixed points). The work grows with the class size times the
bucket sizes (at most ``MAX_CANDIDATES`` classmates are checked per answer), not with
its square, and nothing calls a solver. Memory does not grow with the class: the class is
read once into a temporary SQLite database on disk (references, their buckets, the
answers that are not right), then each student's answers are looked up there in turn,
with bounded caches only (``on_disk=False`` keeps it all in memory instead, for the same
flags).

A part counts toward a classmate when the student's answer is not right, is not
explained by a catalogued mistake on the student's own variant (a buggy rule can give
what is right for another variant: the derivative of sin(3x) without its chain factor is
right for sin(3x)/3), fits the classmate's reference, and the two references differ.
A value that fits the references of more than ``MAX_SHARED`` classmates (a common number)
says nothing about where it came from and counts for nobody; labels are never compared.
A submission is flagged when at least ``MIN_PARTS`` parts fit the same classmate; the flag
names the classmate with the most such parts (ties: the first in roster order) and never
changes a grade.

>>> parts = {"ann": [("1", "v", "correct", "2", "2"), ("1", "w", "correct", "[1, 5]", "[1,5]")],
...          "bob": [("1", "v", "wrong", "2", "3"), ("1", "w", "wrong", "[1, 5]", "[4,4]")]}
>>> detect_copies(list(parts.items()))
{'bob': CopyFlag(student='bob', classmate='ann', parts=('q1_v', 'q1_w'), wrong=2)}
"""

from __future__ import annotations

import ast
import json
import math
import os
import re
import sqlite3
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator, Sequence

from calcgrade.core.names import answer_variable

MIN_PARTS = 2
MAX_SHARED = 5
MAX_CANDIDATES = 200     # classmates in a value's buckets beyond which it is not checked
SHOWN = 4                # parts named in the flag's text
RTOL, ATOL = 1e-3, 1e-6
KEY_NUMBERS = 2          # numbers of an answer its bucket is made of
BUCKET = 1e-3            # width of a bucket in log10 (a relative width of about 0.23 %)
POINTS = (0.7316, 1.2891, 0.4127)   # where expressions are evaluated (positive: log, sqrt)
NOT_RIGHT = ("wrong", "partial", "format_error", "review")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_FUNCTIONS = {"exp", "log", "ln", "sqrt", "sin", "cos", "tan", "tanh", "sinh", "cosh", "abs",
              "sigmoid", "pi", "e", "E", "asin", "acos", "atan", "arcsin", "arccos", "arctan"}


@dataclass(frozen=True)
class CopyFlag:
    """``student``'s answers to ``parts`` (answer variables) fit ``classmate``'s variant;
    ``wrong`` parts of the submission were not right in all."""

    student: str
    classmate: str
    parts: tuple[str, ...]
    wrong: int

    def text(self) -> str:
        """The flag as grades.csv and the report show it.

        >>> CopyFlag("bob", "ann", ("q1_v", "q2_w"), 3).text()
        'copied answers? 2 of 3 wrong parts fit the variant of ann (q1_v, q2_w)'
        """
        shown = ", ".join(self.parts[:SHOWN]) + (", …" if len(self.parts) > SHOWN else "")
        return (f"copied answers? {len(self.parts)} of {self.wrong} wrong parts fit the "
                f"variant of {self.classmate} ({shown})")


# reading values ------------------------------------------------------------------------------

def _flat(value: Any, out: list[float]) -> bool:
    """Append the numbers of nested lists to ``out``; False when something is not a number."""
    if isinstance(value, (list, tuple)):
        return all(_flat(item, out) for item in value)
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        out.append(float(value))
        return True
    return False


def _shape(value: Any) -> tuple:
    if isinstance(value, (list, tuple)):
        return (len(value),) + (_shape(value[0]) if value else ())
    return ()


@lru_cache(maxsize=4096)
def _expression_values(text: str, variables: tuple[str, ...]) -> tuple[float, ...] | None:
    """An expression's values at the fixed points (every variable set to the same point),
    read by the project's own parser; None when it does not parse or is not finite there."""
    import numpy as np

    from calcgrade.core.evaluation import evaluate_floats
    from calcgrade.core.parse import parse_expression

    if len(text) > 400:
        return None
    try:
        tree = parse_expression(text, variables)
        columns = {name: np.array([p + 0.1 * i for p in POINTS]) for i, name in enumerate(variables)}
        values, undefined, untrusted = evaluate_floats(tree, columns)
    except Exception:  # noqa: BLE001 - any answer that cannot be evaluated is simply not compared
        return None
    if undefined.any() or untrusted.any() or not np.all(np.isfinite(values)):
        return None
    return tuple(float(v) for v in np.broadcast_to(values, (len(POINTS),)))


@dataclass(frozen=True)
class Value:
    """An answer reduced to what is compared: numbers with their shape, or an expression's
    values at the fixed points (shape ``("expr",)``)."""

    shape: tuple
    numbers: tuple[float, ...]

    def _informative(self) -> list[float]:
        return [number for number in self.numbers if abs(number) > ATOL][:KEY_NUMBERS]

    def key(self) -> tuple | None:
        """The buckets of the first ``KEY_NUMBERS`` nonzero numbers (None when every number
        is zero)."""
        numbers = self._informative()
        if not numbers:
            return None
        return (self.shape, len(numbers)) + tuple(
            (n > 0, math.floor(math.log10(abs(n)) / BUCKET)) for n in numbers)

    def keys(self) -> list[tuple]:
        """This value's bucket and its neighbours (a tolerance crosses one edge per number)."""
        key = self.key()
        if key is None:
            return []
        head, cells = key[:2], key[2:]
        combos: list[tuple] = [()]
        for sign, bucket in cells:
            combos = [c + ((sign, bucket + step),) for c in combos for step in (-1, 0, 1)]
        return [head + combo for combo in combos]

    def fits(self, reference: "Value") -> bool:
        """Whether this value is within the default tolerance of ``reference``."""
        return self.shape == reference.shape and len(self.numbers) == len(reference.numbers) and \
            all(abs(a - r) <= ATOL + RTOL * abs(r) for a, r in zip(self.numbers, reference.numbers))


def reference_value(text: str) -> tuple[Value | None, tuple[str, ...]]:
    """A reference answer as the gradebook stores it (JSON) -> (its value, the variables of
    an expression). Labels and other text that is not an expression give None.

    >>> reference_value("[1,2.5]")[0]
    Value(shape=(2,), numbers=(1.0, 2.5))
    >>> reference_value('"2*x"')[0].numbers[0]
    1.4632
    """
    try:
        data = json.loads(text)
    except ValueError:
        return None, ()
    if isinstance(data, str):
        if _IDENTIFIER.fullmatch(data.strip()):
            return None, ()      # a label (a bare name is never worth comparing)
        variables = tuple(sorted({name for name in _IDENTIFIER.findall(data)
                                  if name not in _FUNCTIONS}))
        if not variables:
            return None, ()      # a label, or a constant written as text
        values = _expression_values(data, variables)
        return (Value(("expr",), values) if values else None), variables
    numbers: list[float] = []
    if not _flat(data, numbers) or not numbers:
        return None, ()
    return Value(_shape(data), tuple(numbers)), ()


def found_value(text: str, variables: Sequence[str]) -> Value | None:
    """A student's answer as the gradebook shows it: numbers and lists of numbers (as
    :func:`~calcgrade.grader.grading.marking.show_value` writes them) or, when the
    reference is an expression, an expression in its variables.

    >>> found_value("[0.3, 2e-09]", ())
    Value(shape=(2,), numbers=(0.3, 2e-09))
    >>> round(found_value("x**2 + x", ("x",)).numbers[0], 6)
    1.266839
    """
    if not text or text.endswith("…") or text == "(no answer)" or len(text) > 2000:
        return None
    if variables:
        values = _expression_values(text, tuple(variables))
        return Value(("expr",), values) if values else None
    try:
        data = ast.literal_eval(text)   # a literal reader: numbers and lists only
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return None
    numbers: list[float] = []
    if not _flat(data, numbers) or not numbers:
        return None
    return Value(_shape(data), tuple(numbers))


# detection ------------------------------------------------------------------------------------

# (problem, answer, status, found, reference, mistake): the gradebook's columns of a part
Part = tuple[str, str, str, str, str, str | None]
Key = tuple[str, str]     # (problem, answer)


def _read_parts(parts: Iterable[Part]) -> tuple[list[tuple[Key, Value | None]],
                                                list[tuple[Key, Value]], int]:
    """One submission's parts -> its references, the answers to look up (not right, not
    explained by a catalogued mistake, comparable) and how many parts were not right."""
    references, pending, not_right = [], [], 0
    for problem, answer, status, found, reference, *diagnosed in parts:
        key = (str(problem), answer)
        value, variables = reference_value(reference)
        references.append((key, value))
        if status in NOT_RIGHT:
            not_right += 1
            if diagnosed and diagnosed[0]:
                continue
            given = found_value(found, variables)
            if given is not None and given.key() is not None:
                pending.append((key, given))
    return references, pending, not_right


def _fitting(given: Value, own: Value | None,
             candidates: Iterable[tuple[int, Value | None]]) -> list[int]:
    """The classmates (``candidates`` in roster order: place, reference) whose reference
    ``given`` fits while it differs from one's ``own``; none when more than
    ``MAX_SHARED`` fit (a common value)."""
    matched = [other for other, reference in candidates
               if reference is not None and given.fits(reference)
               and not (own is not None and own.fits(reference) and reference.fits(own))]
    return matched if len(matched) <= MAX_SHARED else []


def _flag(index, position: int, student: str, pending: list[tuple[Key, Value]], wrong: int,
          min_parts: int) -> CopyFlag | None:
    """The copy flag of the student at ``position`` in ``index``, if any: the classmate
    with the most parts that fit (ties: the first in roster order), when they are at least
    ``min_parts``. A value whose buckets hold more than ``MAX_CANDIDATES`` classmates is
    not checked (a crowded value: no evidence, and bounded work)."""
    fits: dict[int, list[str]] = defaultdict(list)
    for key, given in pending:
        candidates = index.candidates(key, given.keys(), position)
        if candidates is None:
            continue
        for other in _fitting(given, index.reference(position, key), candidates):
            fits[other].append(answer_variable(int(key[0]), key[1]))
    if not fits:
        return None
    best = max(sorted(fits), key=lambda other: len(fits[other]))
    if len(fits[best]) < min_parts:
        return None
    return CopyFlag(student, index.name(best), tuple(fits[best]), wrong)


class _MemoryIndex:
    """The class held in memory: each student's references and wrong answers, and the
    buckets of every reference (for small classes; memory grows with the class)."""

    def __init__(self) -> None:
        self._buckets: dict[Key, dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._references: list[dict[Key, Value | None]] = []
        self._students: list[tuple[str, list[tuple[Key, Value]], int]] = []

    def add(self, position: int, student: str, references, pending, wrong: int) -> None:
        mine: dict[Key, Value | None] = {}
        for key, value in references:
            mine[key] = value
            if value is not None and value.key() is not None:
                self._buckets[key][value.key()].append(position)
        self._references.append(mine)
        self._students.append((student, pending, wrong))

    def students(self) -> Iterator[tuple[int, str, list[tuple[Key, Value]], int]]:
        for position, (student, pending, wrong) in enumerate(self._students):
            if pending:
                yield position, student, pending, wrong

    def reference(self, position: int, key: Key) -> Value | None:
        return self._references[position].get(key)

    def candidates(self, key: Key, buckets: list[tuple], position: int):
        found = self._buckets.get(key, {})
        who = {other for bucket in buckets for other in found.get(bucket, ()) if other != position}
        if len(who) > MAX_CANDIDATES:
            return None
        return [(other, self._references[other].get(key)) for other in sorted(who)]

    def name(self, position: int) -> str:
        return self._students[position][0]

    def close(self) -> None:
        pass


_DISK_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA temp_store = FILE;
PRAGMA cache_size = -2048;
CREATE TABLE students (position INTEGER PRIMARY KEY, student TEXT NOT NULL,
                       wrong INTEGER NOT NULL, pending INTEGER NOT NULL);
CREATE TABLE refs (problem TEXT, answer TEXT, position INTEGER, value TEXT,
                   PRIMARY KEY (problem, answer, position)) WITHOUT ROWID;
CREATE TABLE buckets (problem TEXT, answer TEXT, bucket TEXT, position INTEGER,
                      PRIMARY KEY (problem, answer, bucket, position)) WITHOUT ROWID;
CREATE TABLE pending (position INTEGER, seq INTEGER, problem TEXT, answer TEXT, value TEXT,
                      PRIMARY KEY (position, seq)) WITHOUT ROWID;
"""
_FLUSH = 4096   # rows written at a time
_PAGE = 256     # students read back at a time


def _encode(value: Value | None) -> str | None:
    return None if value is None else json.dumps([value.shape, value.numbers])


@lru_cache(maxsize=1024)
def _decode(text: str | None) -> Value | None:
    if text is None:
        return None
    shape, numbers = json.loads(text)
    return Value(tuple(shape), tuple(numbers))


class _DiskIndex:
    """The class kept in a temporary SQLite database on disk (a page cache of 2 MiB):
    references, their buckets and the wrong answers, read back one student at a time,
    so memory stays bounded whatever the class size."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="calcgrade-copies-")
        self._db = sqlite3.connect(os.path.join(self._folder.name, "copies.sqlite"),
                                   isolation_level=None)
        self._db.executescript(_DISK_SCHEMA)
        self._db.execute("BEGIN")
        self._rows: dict[str, list[tuple]] = {"students": [], "refs": [], "buckets": [],
                                              "pending": []}

    def _flush(self) -> None:
        for table, rows in self._rows.items():
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                verb = "INSERT OR REPLACE" if table == "refs" else "INSERT OR IGNORE"
                self._db.executemany(f"{verb} INTO {table} VALUES ({marks})", rows)
                rows.clear()

    def add(self, position: int, student: str, references, pending, wrong: int) -> None:
        rows = self._rows
        rows["students"].append((position, student, wrong, len(pending)))
        for key, value in references:
            rows["refs"].append(key + (position, _encode(value)))
            if value is not None and value.key() is not None:
                rows["buckets"].append(key + (repr(value.key()), position))
        rows["pending"] += [(position, seq) + key + (_encode(given),)
                            for seq, (key, given) in enumerate(pending)]
        if sum(len(table) for table in rows.values()) >= _FLUSH:
            self._flush()

    def students(self) -> Iterator[tuple[int, str, list[tuple[Key, Value]], int]]:
        self._flush()
        self._db.execute("COMMIT")
        last = -1
        while True:
            page = self._db.execute(
                "SELECT position, student, wrong FROM students WHERE position > ? AND "
                "pending > 0 ORDER BY position LIMIT ?", (last, _PAGE)).fetchall()
            if not page:
                return
            for position, student, wrong in page:
                pending = [((problem, answer), _decode(value)) for problem, answer, value in
                           self._db.execute("SELECT problem, answer, value FROM pending "
                                            "WHERE position = ? ORDER BY seq", (position,))]
                yield position, student, pending, wrong
            last = page[-1][0]

    def reference(self, position: int, key: Key) -> Value | None:
        row = self._db.execute("SELECT value FROM refs WHERE problem = ? AND answer = ? AND "
                               "position = ?", key + (position,)).fetchone()
        return None if row is None else _decode(row[0])

    def candidates(self, key: Key, buckets: list[tuple], position: int):
        marks = ", ".join(f"?{5 + i}" for i in range(len(buckets)))
        rows = self._db.execute(
            "SELECT position, value FROM refs WHERE problem = ?1 AND answer = ?2 AND position IN "
            f"(SELECT DISTINCT position FROM buckets WHERE problem = ?1 AND answer = ?2 AND "
            f"position != ?3 AND bucket IN ({marks}) LIMIT ?4) ORDER BY position",
            key + (position, MAX_CANDIDATES + 1) + tuple(repr(b) for b in buckets)).fetchall()
        if len(rows) > MAX_CANDIDATES:
            return None
        return [(other, _decode(value)) for other, value in rows]

    def name(self, position: int) -> str:
        return self._db.execute("SELECT student FROM students WHERE position = ?",
                                (position,)).fetchone()[0]

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()


def detect_copies(students: Iterable[tuple[str, list[Part]]], min_parts: int = MIN_PARTS,
                  on_disk: bool = True) -> dict[str, CopyFlag]:
    """Student -> the copy flag of their counted submission, for the students flagged.
    ``students`` gives each student's parts in roster order; it is read once. What is kept
    of it (the references and the parts that are not right) goes to a temporary database
    on disk, so memory stays bounded whatever the class size; ``on_disk=False`` keeps it
    in memory instead (same rules, same flags)."""
    index = _DiskIndex() if on_disk else _MemoryIndex()
    try:
        for position, (student, parts) in enumerate(students):
            index.add(position, student, *_read_parts(parts))
        flags: dict[str, CopyFlag] = {}
        for position, student, pending, wrong in index.students():
            flag = _flag(index, position, student, pending, wrong, min_parts)
            if flag is not None:
                flags[student] = flag
        return flags
    finally:
        index.close()


def class_copies(book) -> dict[str, CopyFlag]:
    """:func:`detect_copies` over the counted submissions of a gradebook's recorded class
    (graded ones only), read from it in roster order."""
    rows = book.connection.execute(
        "SELECT class.student, parts.problem, parts.answer, parts.status, parts.found, "
        "parts.reference, parts.mistake FROM class "
        "JOIN submissions ON submissions.hash = class.hash "
        "JOIN parts ON parts.hash = class.hash WHERE submissions.status = 'graded' "
        "ORDER BY class.position, parts.problem, parts.rowid")

    def students():
        current, parts = None, []
        for student, problem, answer, status, found, reference, mistake in rows:
            if student != current:
                if current is not None:
                    yield current, parts
                current, parts = student, []
            parts.append((str(problem), answer, status, found, reference, mistake))
        if current is not None:
            yield current, parts
    return detect_copies(students())
