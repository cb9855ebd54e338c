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
its square, and nothing calls a solver.

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
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Sequence

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


def detect_copies(students: Iterable[tuple[str, list[Part]]],
                  min_parts: int = MIN_PARTS) -> dict[str, CopyFlag]:
    """Student -> the copy flag of their counted submission, for the students flagged.
    ``students`` gives each student's parts in roster order; it is read once and only the
    references and the parts that are not right are kept."""
    index: dict[tuple[str, str], dict[tuple, list[int]]] = defaultdict(lambda: defaultdict(list))
    references: list[dict[tuple[str, str], Value | None]] = []
    names: list[str] = []
    wrong_answers: list[tuple[list[tuple[tuple[str, str], Value]], int]] = []
    for position, (student, parts) in enumerate(students):
        names.append(student)
        mine: dict[tuple[str, str], Value | None] = {}
        pending = []
        not_right = 0
        for problem, answer, status, found, reference, *diagnosed in parts:
            key = (str(problem), answer)
            value, variables = reference_value(reference)
            mine[key] = value
            if value is not None and value.key() is not None:
                index[key][value.key()].append(position)
            if status in NOT_RIGHT:
                not_right += 1
                if diagnosed and diagnosed[0]:
                    continue
                given = found_value(found, variables)
                if given is not None and given.key() is not None:
                    pending.append((key, given))
        references.append(mine)
        wrong_answers.append((pending, not_right))

    flags: dict[str, CopyFlag] = {}
    for position, (pending, wrong) in enumerate(wrong_answers):
        fits: dict[int, list[str]] = defaultdict(list)
        for key, given in pending:
            own = references[position].get(key)
            buckets = index.get(key, {})
            who = {other for bucket in given.keys() for other in buckets.get(bucket, ())
                   if other != position}
            if len(who) > MAX_CANDIDATES:   # a crowded value: no evidence, and bounded work
                continue
            matched = [other for other in sorted(who)
                       if (ref := references[other].get(key)) is not None and given.fits(ref)
                       and not (own is not None and own.fits(ref) and ref.fits(own))]
            if 0 < len(matched) <= MAX_SHARED:
                for other in matched:
                    fits[other].append(answer_variable(int(key[0]), key[1]))
        if not fits:
            continue
        best = max(sorted(fits), key=lambda other: len(fits[other]))
        if len(fits[best]) >= min_parts:
            student = names[position]
            flags[student] = CopyFlag(student, names[best], tuple(fits[best]), wrong)
    return flags


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
