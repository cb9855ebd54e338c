"""Mark one student's answers to one problem: scores, statuses, feedback and mistakes.

Runs in the grader process on plain data only. A problem's points are split evenly
over its answers. Each answer is read by its kind's reader (:mod:`calcgrade.core.reading`,
the same code as the notebook's self-check), then scored (:func:`calcgrade.core.answers.score`)
with carried-forward expectations for iterates and a matching where the order carries no
meaning; when it is wrong it is compared with every catalogued mistake of the family on
the same params. A mistake is not blamed for a part when the same student applied that
rule correctly in another part of the problem.

>>> from calcgrade.grader.course.assignment import parse_assignment
>>> assignment = parse_assignment('id = "a"\\ntitle = "t"\\n[[problems]]\\nfamily = "sigmoid_gradient"\\n'
...                               'points = 2\\nparams = { z = 0.0 }\\n', "a.toml")
>>> problem = assignment.problems[0]
>>> marks = mark_problem(problem, problem.params, {"sigmoid": "1/2", "sigmoid_prime": 0.5})
>>> [(m.answer, m.score, m.status, m.mistake) for m in marks]
[('sigmoid', 1.0, 'correct', None), ('sigmoid_prime', 0.0, 'wrong', 'sigmoid_gradient.sigma_as_derivative')]
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from calcgrade.core import answers as kinds, functions, reading
from calcgrade.core.answers import CORRECT, FORMAT_ERROR, MISSING, PARTIAL, REVIEW, WRONG
from calcgrade.core.names import answer_variable
from calcgrade.grader.grading.gradebook import PartRecord
from calcgrade.grader.course.jsonio import dumps

FOUND_LIMIT = 120
MISSING_VALUE = {reading.MARKER: "missing"}


def show_value(value: Any, limit: int = FOUND_LIMIT) -> str:
    """The student's own answer for reading: numbers to about 6 significant digits,
    lists as lists, text as written, never internal markers or JSON.

    >>> show_value([0.30000000000000004, [1, 2e-9]]), show_value({"$marker": "unanswered"})
    ('[0.3, [1, 2e-09]]', '(no answer)')
    """
    kind = reading.marker_of(value)
    if kind in ("unanswered", "missing"):
        return "(no answer)"
    if kind is not None:
        text = reading.describe(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        text = _show(value, limit)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _show(value: Any, budget: int) -> str:
    if isinstance(value, list):
        parts, used = [], 2
        for item in value:
            part = _show(item, budget - used)
            parts.append(part)
            used += len(part) + 2
            if used > budget:
                break
        return "[" + ", ".join(parts) + "]"
    if reading.is_number(value):
        return reading.format_number(value)
    if isinstance(value, str):
        return repr(value)
    return reading.describe(value)


_OPENING = {
    CORRECT: "Correct.", PARTIAL: "Partly correct.", WRONG: "Not correct.",
    FORMAT_ERROR: "Could not be read.", MISSING: "Not answered.",
    REVIEW: "Marked for review by your instructor.",
}


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")


def feedback_text(status: str, detail: str = "", note: str = "",
                  mistake_message: str | None = None) -> str:
    """The feedback a student reads for one part (no ids, no markers).

    >>> feedback_text("correct", note="the order of the entries does not matter here")
    'Correct. Note: The order of the entries does not matter here.'
    """
    parts = [_OPENING[status]]
    if detail:
        parts.append(_sentence(detail))
    if mistake_message:
        parts.append("Likely mistake: " + _sentence(mistake_message))
    if note:
        parts.append("Note: " + _sentence(note))
    return " ".join(parts)


def _name_error_hint(spec, cell_errors: Iterable) -> str:
    """For an expression left undefined because its cell raised NameError on a variable."""
    for error in cell_errors or ():
        name, message = getattr(error, "name", ""), getattr(error, "message", "")
        if name == "NameError" and any(f"'{v}'" in message for v in spec.variables):
            return (f"a cell raised NameError ({message}): write the expression as text in "
                    "quotes, e.g. \"3*x**2\"")
    return ""


def mark_problem(problem, params: Mapping[str, Any], answers: Mapping[str, Any],
                 submission_hash: str = "", calls: Mapping[str, Any] | None = None,
                 cell_errors: Iterable = (), *, reference: Mapping[str, Any] | None = None,
                 specs: Mapping[str, Any] | None = None,
                 diagnosis: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None
                 ) -> list[PartRecord]:
    """Gradebook rows for every answer of ``problem`` given the student's ``answers``
    (name -> plain data) and ``calls`` (name -> results of calling an answer written as
    a function at the grader's inputs).

    ``reference`` (the family's answers), ``specs`` (the problem's answer specs) and
    ``diagnosis`` (the family's mistake table, or a callable that gives it, called only
    when a part is wrong) may be given already computed, e.g. by a
    :class:`~calcgrade.grader.course.variants.Variant`; otherwise they are computed here."""
    family = problem.family_object()
    if reference is None:
        reference = family.solve(params)
    if specs is None:
        specs = problem.answer_specs(params)
    calls = calls or {}
    part_max = problem.points / len(specs)

    infos = {name: kinds.answer_info(spec, reference[name], answer_variable(problem.number, name),
                                     start=family.iterates_start(params, name))
             for name, spec in specs.items()}
    read_as: dict[str, Any] = {}
    verdicts: dict[str, kinds.Verdict] = {}
    for name, spec in specs.items():
        answer, early = kinds.read(spec, infos[name], answers.get(name, MISSING_VALUE))
        if early is not None:
            if early.status == MISSING and spec.kind == "expression":
                hint = _name_error_hint(spec, cell_errors)
                if hint:
                    early = kinds.Verdict(0.0, MISSING, hint)
            verdicts[name] = early
        else:
            read_as[name] = answer

    calls = {name: kinds.Calls(kinds.function_inputs(specs[name], reference[name]), outputs)
             if specs[name].kind in ("expression", "function") else outputs
             for name, outputs in calls.items() if name in specs}
    canonical = {name: answer.value for name, answer in read_as.items()}
    pairings = _pairings(specs, read_as, reference)
    for name, answer in read_as.items():
        spec = specs[name]
        carried = (family.carry_forward(params, name, canonical, spec)
                   if spec.kind == "iterates" else None)
        verdicts[name] = kinds.score(spec, answer, reference[name], carried=carried,
                                     pairing=pairings.get(name), calls=calls.get(name))

    blamed = _diagnose(family, params, specs, read_as, verdicts, calls, answers, diagnosis,
                       reference)
    marks = []
    for name, spec in specs.items():
        verdict = verdicts[name]
        mistake = blamed.get(name)
        marks.append(PartRecord(
            hash=submission_hash, problem=problem.number, answer=name, family=problem.family,
            score=round(verdict.fraction * part_max, 6), max=round(part_max, 6),
            status=verdict.status,
            feedback=feedback_text(verdict.status, verdict.detail, verdict.note,
                                   mistake.message if mistake else None),
            mistake=mistake.id if mistake else None,
            expected=reading.expected_text(infos[name]),
            found=show_value(answers.get(name, MISSING_VALUE)),
            reference=dumps(functions.tests_text(reference[name]) if spec.kind == "function"
                            else reference[name], compact=True)))
    return marks


def _pairings(specs, read_as, reference) -> dict[str, list]:
    """For answers that pair (points and their labels): the matching of the student's
    entries to the reference's, found on the unordered side and used on both."""
    pairings: dict[str, list] = {}
    for name, spec in specs.items():
        partner = spec.pairs_with
        if not (spec.unordered and partner and name in read_as) or spec.kind == "labels":
            continue
        pairing = kinds.match_unordered(
            _entries(read_as[name].value), _entries(reference[name]),
            lambda a, b, spec=spec: kinds.points_close(a, b, spec))
        pairings[name] = pairing
        if partner in read_as and len(_entries(read_as[partner].value)) == len(pairing):
            pairings[partner] = pairing
    return pairings


def _entries(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _diagnose(family, params, specs, read_as, verdicts, calls, answers, diagnosis=None,
              reference=None) -> dict:
    """Part name -> the catalogued mistake its wrong answer matches, consistently with
    the student's other parts. An answer of the wrong shape is diagnosed too when it is
    exactly what a mistake gives (a root left out makes a shorter list); it stays a
    format error."""
    blamed = {}
    diagnosed = None
    for name, verdict in verdicts.items():
        if verdict.status not in (WRONG, PARTIAL, FORMAT_ERROR):
            continue
        if diagnosed is None:
            if diagnosis is None:
                diagnosed = family.diagnose(params)
            else:
                diagnosed = diagnosis() if callable(diagnosis) else diagnosis
        for mistake in family.mistakes():
            buggy = diagnosed.get(mistake.id, {})
            if name not in buggy:
                continue
            answer = read_as.get(name)
            if answer is None:  # unreadable as asked: read it as the mistake's shape
                answer, _ = kinds.read(specs[name], kinds.answer_info(specs[name], buggy[name]),
                                       answers.get(name, MISSING_VALUE))
                if answer is None:
                    continue
            if not kinds.matches(specs[name], answer, buggy[name], calls.get(name),
                                 reference=(reference or {}).get(name)):
                continue
            if _applied_correctly_elsewhere(name, buggy, specs, read_as, verdicts, calls):
                continue
            blamed[name] = mistake
            break
    return blamed


def _applied_correctly_elsewhere(name, buggy, specs, read_as, verdicts, calls) -> bool:
    """Whether the student's own symbolic work shows the rule applied correctly: an
    expression part that the mistake would change is right (and differs from the
    mistake's). A value computed from a right derivative is then not blamed on that rule;
    numeric parts alone prove nothing (a cost can lack its 1/m while the gradient has it)."""
    for other, value in buggy.items():
        if other == name or other not in read_as or other not in specs \
                or specs[other].kind != "expression":
            continue
        if verdicts[other].status == CORRECT and not kinds.matches(
                specs[other], read_as[other], value, calls.get(other)):
            return True
    return False
