"""Mark one student's answers to one problem: scores, statuses, feedback and mistakes.

Runs in the grader process on plain data only. A problem's points are split evenly
over its answers; each answer is scored by :func:`~calcgrade.grader.scoring.score_value`
(with carried-forward expectations for iterates) and, when it is wrong, compared with
every catalogued mistake of the family on the same params.

>>> from calcgrade.grader.assignment import parse_assignment
>>> assignment = parse_assignment('id = "a"\\ntitle = "t"\\n[[problems]]\\nfamily = "sigmoid_gradient"\\n'
...                               'points = 2\\nparams = { z = 0.0 }\\n', "a.toml")
>>> problem = assignment.problems[0]
>>> marks = mark_problem(problem, problem.params, {"sigmoid": 0.5, "sigmoid_prime": 0.5})
>>> [(m.answer, m.score, m.status, m.mistake) for m in marks]
[('sigmoid', 1.0, 'correct', None), ('sigmoid_prime', 0.0, 'wrong', 'sigmoid_gradient.sigma_as_derivative')]
"""

from __future__ import annotations

import json
from typing import Any, Mapping

from calcgrade.grader.compare import answer_matches
from calcgrade.grader.gradebook import PartRecord
from calcgrade.grader.jsonio import dumps
from calcgrade.grader.scoring import (CORRECT, FORMAT_ERROR, MISSING, PARTIAL, REVIEW, WRONG,
                                      score_value, shape_text)

FOUND_LIMIT = 120


def expected_text(spec, reference: Any) -> str:
    """What kind of answer was expected, without its value."""
    if spec.kind == "expression":
        variables = ", ".join(spec.variables)
        return f"an expression in {variables} as text" if variables else "an expression as text"
    if spec.kind == "label":
        return "one of: " + ", ".join(spec.labels)
    if spec.kind == "labels":
        return f"a list of {len(reference)} labels, each one of: " + ", ".join(spec.labels)
    if spec.kind == "iterates" and isinstance(reference, list) and reference:
        return f"a list of {len(reference)} points, each {shape_text(reference[0])}"
    if spec.kind == "function":
        return "a function"
    return shape_text(reference)


def found_text(value: Any) -> str:
    """The student's own answer, shortened, as they wrote it (never the reference)."""
    if isinstance(value, dict) and value.get("$marker") in ("unanswered", "missing"):
        return "(no answer)"
    text = value if isinstance(value, str) else dumps(value, compact=True)
    return text if len(text) <= FOUND_LIMIT else text[:FOUND_LIMIT - 1] + "…"


def _feedback(status: str, detail: str, mistake_message: str | None) -> str:
    opening = {
        CORRECT: "Correct.",
        PARTIAL: "Partly correct.",
        WRONG: "Not correct.",
        FORMAT_ERROR: "Could not be read.",
        MISSING: "Not answered.",
        REVIEW: "Marked for review by your instructor.",
    }[status]
    parts = [opening]
    if detail:
        parts.append(detail[0].upper() + detail[1:] + ".")
    if mistake_message:
        parts.append("Likely mistake: " + mistake_message.rstrip(".") + ".")
    return " ".join(parts)


def _round(value: float) -> float:
    return round(value, 6)


def mark_problem(problem, params: Mapping[str, Any], answers: Mapping[str, Any],
                 submission_hash: str = "") -> list[PartRecord]:
    """Gradebook rows for every answer of ``problem`` given the student's ``answers``
    (name -> data); ``reference`` holds the reference answer as canonical JSON."""
    family = problem.family_object()
    reference = family.solve(params)
    specs = problem.answer_specs(params)
    part_max = problem.points / len(specs)
    diagnosed = None
    marks = []
    for name, spec in specs.items():
        value = answers.get(name, {"$marker": "missing"})
        truth = json.loads(dumps(reference[name]))
        carried = family.carry_forward(params, name, answers, spec) if spec.kind == "iterates" else None
        verdict = score_value(spec, value, truth,
                              carried.expected if carried else None,
                              carried.stationary if carried else None)
        mistake_id = message = None
        if verdict.status in (WRONG, PARTIAL):
            if diagnosed is None:
                diagnosed = family.diagnose(params)
            for candidate in family.mistakes():
                buggy = diagnosed.get(candidate.id, {})
                if name in buggy and answer_matches(spec, value, json.loads(dumps(buggy[name]))):
                    mistake_id, message = candidate.id, candidate.message
                    break
        marks.append(PartRecord(
            hash=submission_hash, problem=problem.number, answer=name, family=problem.family,
            score=_round(verdict.fraction * part_max), max=_round(part_max), status=verdict.status,
            feedback=_feedback(verdict.status, verdict.detail, message), mistake=mistake_id,
            expected=expected_text(spec, truth), found=found_text(value),
            reference=dumps(truth, compact=True)))
    return marks
