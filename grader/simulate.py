"""Simulated submissions for the demo, tests and benchmarks: notebooks filled in as students would.

:func:`fill_answers` replaces the ``q<N>_<answer> = ...`` lines of a generated notebook
with values (Python literals). :func:`simulated_answers` makes the values of one kind of
student from the key: ``correct``, ``mistake`` (one problem answered with a catalogued
mistake, in every part it changes) or ``slip`` (an arithmetic slip in step 1 of an
iterates answer, later steps done right from there). A function answer is written as
code (:class:`StudentCode`: the family's right implementation, as a student would write
it) in place of its ``def ... raise NotImplementedError`` stub.

>>> text = '{"cells": [{"cell_type": "code", "source": "q1_value = ...  # a number"}]}'
>>> fill_answers(text, {"q1_value": 0.5})
'{"cells": [{"cell_type": "code", "source": "q1_value = 0.5  # a number"}]}'
"""

from __future__ import annotations

import json
import re
from typing import Any

from calcgrade.core.names import answer_variable
from calcgrade.grader.course.jsonio import plain


class StudentCode(str):
    """Source text of a function answer: ``def <variable>(...): ...``."""


def _stub(variable: str) -> str:
    """A function answer's stub: its ``def`` line and indented body."""
    return rf"^def {re.escape(variable)}\(.*\):\n(?:[ \t]+.*(?:\n|$))*"


def fill_answers(notebook_text: str, values: dict[str, Any]) -> str:
    """The notebook with each named answer's ``...`` replaced by ``repr(value)``, and each
    function stub by its :class:`StudentCode`."""
    notebook = json.loads(notebook_text)
    for cell in notebook["cells"]:
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for variable, value in values.items():
            if isinstance(value, StudentCode):
                source = re.sub(_stub(variable), lambda _, v=value: v.rstrip("\n") + "\n", source,
                                flags=re.M)
                continue
            source = re.sub(rf"^{re.escape(variable)} = \.\.\.", lambda _: f"{variable} = {plain(value)!r}",
                            source, flags=re.M)
        cell["source"] = source
    return json.dumps(notebook, ensure_ascii=False, indent=1, sort_keys=True) + "\n" \
        if notebook_text.endswith("\n") else json.dumps(notebook, ensure_ascii=False)


def _slip(family, params: dict, name: str, reference: list) -> list | None:
    """Iterates with step 1 off by 10% and the later steps taken from there."""
    from calcgrade.problems.family import AnswerSpec

    first = [v * 1.1 + 0.1 for v in reference[0]]
    points = [first]
    spec = AnswerSpec("iterates", name)
    for _ in range(1, len(reference)):
        carried = family.carry_forward(params, name, {name: points + [points[-1]],
                                                      "iterates": points + [points[-1]]}, spec)
        if carried is None or carried.expected[len(points)] is None:
            return None
        points.append(carried.expected[len(points)])
    return points


def simulated_answers(record: dict, kind: str) -> dict[str, Any]:
    """Answer variables for one student of the key (``key.json``'s record) as ``kind``."""
    from calcgrade.problems import get_family

    values: dict[str, Any] = {}
    changed = False
    for problem in record["problems"]:
        family = get_family(problem["family"])
        answers = dict(problem["answers"])
        coded = {name for name, spec in family.answer_specs(problem["params"]).items()
                 if spec.kind == "function"}
        if not changed and kind == "mistake":
            diagnosed = family.diagnose(problem["params"])
            for mistake in family.mistakes():
                if mistake.id in diagnosed and not coded & set(diagnosed[mistake.id]):
                    # a student who makes it makes it in every part
                    answers.update({name: value for name, value in diagnosed[mistake.id].items()
                                    if name in answers})
                    changed = True
                    break
        if not changed and kind == "slip" and "iterates" in answers and len(answers["iterates"]) >= 3 \
                and "gradients" not in answers:
            slipped = _slip(family, problem["params"], "iterates", answers["iterates"])
            if slipped is not None:
                answers["iterates"] = slipped
                changed = True
        for name, value in answers.items():
            variable = answer_variable(problem["number"], name)
            values[variable] = (StudentCode(family.student_source(name, problem["params"], variable))
                                if name in coded else value)
    return values
