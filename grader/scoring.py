"""Score one answer part: credit, status and what was expected, per answer kind (DESIGN §5).

Values arrive as plain JSON data from the sandbox. A missing, unreadable or wrongly
shaped answer is a *format error* (no credit, a message that says what was expected);
vectors and matrices earn credit per entry; iterates per step, with error carried
forward when the family supplies ``carried`` expectations; an expression that sampling
cannot decide is marked for review, never silently wrong.

>>> from calcgrade.problems.family import AnswerSpec
>>> verdict = score_value(AnswerSpec("vector", "g"), [1.0, 5.0], [1.0, 2.0])
>>> verdict.fraction, verdict.status
(0.5, 'partial')
>>> score_value(AnswerSpec("vector", "g"), [1.0], [1.0, 2.0]).detail
'expected a list of 2 numbers, found a list of 1'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from calcgrade.grader.compare import expressions_equivalent, is_number, normalize_label, scalar_close
from calcgrade.core.errors import ExpressionError
from calcgrade.core.parse import parse_expression

CORRECT, PARTIAL, WRONG, FORMAT_ERROR, MISSING, REVIEW = (
    "correct", "partial", "wrong", "format_error", "missing", "review")


@dataclass(frozen=True)
class Verdict:
    """The outcome of comparing one answer: fraction of credit in [0, 1] and why."""

    fraction: float
    status: str
    detail: str = ""
    first_wrong: int | None = None  # index of the first wrong entry or step


MARKER = "$marker"
_MARKER_TEXT = {
    "nan": "NaN (not a number)", "inf": "infinity", "-inf": "minus infinity",
    "complex": "a complex number", "too_large": "an object too large to read",
    "error": "an error", "timeout": "a computation that ran out of time",
}


def marker_of(value: Any) -> str | None:
    """The sandbox's marker kind of ``value`` (``"nan"``, ``"unanswered"``, ...), or None."""
    if isinstance(value, dict) and isinstance(value.get(MARKER), str):
        return value[MARKER]
    return None


def describe_value(value: Any) -> str:
    """A short, student-facing description of what was found."""
    kind = marker_of(value)
    if kind == "unconvertible":
        return f"an object of type {value.get('type', '?')}"
    if kind is not None:
        return _MARKER_TEXT.get(kind, kind)
    if value is None:
        return "None"
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, str):
        return f"the text {value[:40]!r}"
    if isinstance(value, (int, float)):
        return f"the number {value:g}"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a dictionary"
    return f"a {type(value).__name__}"


def shape_text(reference: Any) -> str:
    """``a number``, ``a list of 3 numbers``, ``a list of 2 rows, each a list of 2 numbers``."""
    if isinstance(reference, list):
        if reference and isinstance(reference[0], list):
            inner = shape_text(reference[0])
            return f"a list of {len(reference)} rows, each {inner}"
        return f"a list of {len(reference)} number{'s' if len(reference) != 1 else ''}"
    return "a number"


def _same_shape(value: Any, reference: Any) -> bool:
    if isinstance(reference, list):
        return (isinstance(value, list) and len(value) == len(reference)
                and all(_same_shape(v, r) for v, r in zip(value, reference)))
    return is_number(value)


def _flatten(value: Any) -> list:
    if isinstance(value, list):
        return [item for part in value for item in _flatten(part)]
    return [value]


def _shape_error(value: Any, reference: Any) -> Verdict:
    found = describe_value(value)
    if isinstance(value, list) and isinstance(reference, list) and len(value) == len(reference):
        found += " with entries of the wrong shape or that are not numbers"
    return Verdict(0.0, FORMAT_ERROR, f"expected {shape_text(reference)}, found {found}")


def _credit(flags: list[bool]) -> float:
    """The share of entries that are right; an empty answer is right when it is expected empty."""
    return sum(flags) / len(flags) if flags else 1.0


def _fraction_status(fraction: float) -> str:
    if fraction >= 1.0:
        return CORRECT
    return PARTIAL if fraction > 0 else WRONG


def score_value(spec, value: Any, reference: Any, carried: Sequence | None = None,
                stationary: Sequence[bool] | None = None) -> Verdict:
    """Compare ``value`` with ``reference`` under ``spec``.

    For iterates, ``carried[k]`` is the reference step applied to the student's own
    previous point and ``stationary[k]`` whether that point was already stationary (then
    step k earns credit only if it matches ``reference[k]``).
    """
    if marker_of(value) in ("unanswered", "missing"):
        what = "is still ..." if marker_of(value) == "unanswered" else "is not defined"
        return Verdict(0.0, MISSING, f"no answer was given (the variable {what})")
    kind = spec.kind
    if kind == "scalar":
        if not is_number(value):
            return Verdict(0.0, FORMAT_ERROR, f"expected a number, found {describe_value(value)}")
        ok = scalar_close(value, reference, spec.rtol, spec.atol)
        return Verdict(1.0 if ok else 0.0, CORRECT if ok else WRONG)
    if kind in ("vector", "matrix"):
        if not _same_shape(value, reference):
            return _shape_error(value, reference)
        flags = [scalar_close(v, r, spec.rtol, spec.atol)
                 for v, r in zip(_flatten(value), _flatten(reference))]
        fraction = _credit(flags)
        first = None if all(flags) else flags.index(False)
        return Verdict(fraction, _fraction_status(fraction), first_wrong=first)
    if kind == "iterates":
        return _score_iterates(spec, value, reference, carried, stationary)
    if kind == "label":
        label = normalize_label(value, spec)
        if label is None:
            return Verdict(0.0, FORMAT_ERROR,
                           f"expected one of: {', '.join(spec.labels)}; found {describe_value(value)}")
        ok = label == reference
        return Verdict(1.0 if ok else 0.0, CORRECT if ok else WRONG)
    if kind == "labels":
        labels = [normalize_label(v, spec) for v in value] if isinstance(value, list) else None
        if labels is None or len(labels) != len(reference) or None in labels:
            return Verdict(0.0, FORMAT_ERROR,
                           f"expected a list of {len(reference)} labels, each one of: "
                           f"{', '.join(spec.labels)}; found {describe_value(value)}")
        flags = [label == truth for label, truth in zip(labels, reference)]
        fraction = _credit(flags)
        first = None if all(flags) else flags.index(False)
        return Verdict(fraction, _fraction_status(fraction), first_wrong=first)
    if kind == "expression":
        if not isinstance(value, str):
            return Verdict(0.0, FORMAT_ERROR,
                           f"expected an expression as text, e.g. \"3*x**2\"; found {describe_value(value)}")
        try:
            parse_expression(value, spec.variables)
        except ExpressionError as error:
            return Verdict(0.0, FORMAT_ERROR, f"the expression cannot be read: {error}")
        same = expressions_equivalent(value, reference, spec.variables, spec.rtol, spec.atol)
        if same is None:
            return Verdict(0.0, REVIEW, "could not be decided automatically; marked for review")
        return Verdict(1.0 if same else 0.0, CORRECT if same else WRONG)
    if kind == "function":
        return _score_function(spec, value, reference)
    raise ValueError(f"cannot score answers of kind {kind!r}")


def _score_iterates(spec, value, reference, carried, stationary) -> Verdict:
    if not _same_shape(value, reference):
        return _shape_error(value, reference)
    credited, first = 0, None
    for k, (point, truth) in enumerate(zip(value, reference)):
        ok = all(scalar_close(v, r, spec.rtol, spec.atol) for v, r in zip(point, truth))
        if not ok and carried is not None and carried[k] is not None and not (
                stationary is not None and stationary[k]):
            ok = all(scalar_close(v, r, spec.rtol, spec.atol) for v, r in zip(point, carried[k]))
        credited += ok
        if not ok and first is None:
            first = k
    fraction = credited / len(reference) if reference else 1.0
    detail = "" if first is None else f"step {first + 1} is the first wrong step"
    return Verdict(fraction, _fraction_status(fraction), detail, first)


def _score_function(spec, value, reference) -> Verdict:
    """``value`` and ``reference`` are lists of outputs for the same test inputs."""
    if not isinstance(value, list) or len(value) != len(reference):
        return Verdict(0.0, FORMAT_ERROR, "the function could not be called on the test inputs")
    flags = []
    for got, want in zip(value, reference):
        flags.append(_same_shape(got, want) and all(
            scalar_close(g, w, spec.rtol, spec.atol) for g, w in zip(_flatten(got), _flatten(want))))
    fraction = _credit(flags)
    first = None if all(flags) else flags.index(False)
    detail = "" if first is None else f"wrong output for test input {first + 1}"
    return Verdict(fraction, _fraction_status(fraction), detail, first)
