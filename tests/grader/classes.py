"""Helpers for the assignment tests: small assignment files, and a detector of leaked answers."""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from pathlib import Path

from calcgrade.core.names import answer_variable
from calcgrade.problems import get_family

EXAMPLES = files("calcgrade.examples")
EXAMPLE_ASSIGNMENT = Path(str(EXAMPLES / "assignment.toml"))
EXAMPLE_ROSTER = Path(str(EXAMPLES / "roster.csv"))
SECRET = bytes(range(32))
SECRET_HEX = SECRET.hex()

SIGMOID_ASSIGNMENT = """\
id = "quiz1"
title = "Quiz 1: the sigmoid"
due = "Monday"
instructions = "Answer **every** part."

[[problems]]
family = "sigmoid_gradient"
points = 2
options = { mode = "example" }

[[problems]]
family = "sigmoid_gradient"
id = "textbook"
params = { z = 0.5 }
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def roster_text(count: int) -> str:
    return "id,name,email\n" + "".join(f"s{i:04d},Student {i},s{i}@example.edu\n"
                                       for i in range(count))


def example_class(root: Path, students: int) -> dict:
    """Generate the example assignment for ``students`` under ``root``: the folder, its
    roster and the key's records by student id."""
    from calcgrade.grader.generation.generate import generate

    roster = write(root / "roster.csv", roster_text(students))
    generate(EXAMPLE_ASSIGNMENT, roster, root / "class", SECRET)
    key = json.loads((root / "class" / "key.json").read_text(encoding="utf-8"))
    return {"root": root, "roster": roster, "key": {r["id"]: r for r in key["students"]}}


# --- leaked answers ------------------------------------------------------------------------------

_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _numbers_in(value, out: set[str]) -> set[str]:
    """Every number in plain data, also inside text, at 4 significant digits (absolute)."""
    if isinstance(value, dict):
        for item in value.values():
            _numbers_in(item, out)
    elif isinstance(value, list):
        for item in value:
            _numbers_in(item, out)
    elif isinstance(value, str):
        out.update(f"{float(token):.4g}" for token in _NUMBER.findall(value))
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        out.add(f"{abs(value):.4g}")
    return out


def _strings_in(value) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings_in(item)]
    return [value] if isinstance(value, str) else []


def _answer_numbers(value) -> list[float]:
    if isinstance(value, list):
        return [n for item in value for n in _answer_numbers(item)]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [float(value)]
    return []


def notebook_text_content(path: Path) -> str:
    """Every cell source and the metadata of a notebook, as decoded text — less the code
    that the self-check cell carries, the same in every notebook whatever the answers
    (its list of expected answers is kept)."""
    from calcgrade.grader.generation.selfcheck import sources_literal

    notebook = json.loads(path.read_text(encoding="utf-8"))
    constant = sources_literal()
    parts = ["".join(cell["source"]).replace(constant, "") for cell in notebook["cells"]]
    parts += [json.dumps(cell["metadata"]) for cell in notebook["cells"]]
    parts.append(json.dumps(notebook["metadata"]))
    return "\n".join(parts)


def handout_text_content(path: Path) -> str:
    """A handout without its style sheet and tags, entities decoded (attributes dropped)."""
    text = path.read_text(encoding="utf-8")
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


def leaked_answers(text: str, record: dict) -> list[str]:
    """The answers of ``record`` (a key.json student) that appear in ``text``.

    Numbers are compared at 4 significant digits against every number in the text. A number
    that also occurs in the student's params, or a whole number below 100, appears in
    statements by coincidence (coefficients, counts, shapes) and is not searched for.
    Expressions are searched quoted, in backticks or after ``=`` (spaces ignored), unless
    the expression is itself a param; labels only in answer position (``q<N>_<name> =
    "label"``).
    """
    in_text = set(_numbers_in(text, set()))
    in_params = _numbers_in([problem["params"] for problem in record["problems"]], set())
    squeezed = re.sub(r"\s+", "", text)
    params_text = {re.sub(r"\s+", "", v) for problem in record["problems"]
                   for v in _strings_in(problem["params"])}
    leaks = []
    for problem in record["problems"]:
        family = get_family(problem["family"])
        for name, value in problem["answers"].items():
            where = answer_variable(problem["number"], name)
            if family.answers[name].kind == "label":
                if re.search(rf"q\d+_\w+\s*=\s*[\"']{re.escape(value)}[\"']", text, re.I):
                    leaks.append(f"{where} = {value!r} (in answer position)")
                continue
            if isinstance(value, str):
                if re.fullmatch(r"[-+]?\d+(\.\d+)?", value.strip()):
                    numbers = [float(value)]
                else:
                    bare = re.sub(r"\s+", "", value)
                    if bare in params_text:
                        continue  # the answer is also a param (e.g. the derivative of 4*exp(x))
                    quoted = [f"{q}{bare}{q}" for q in "\"'`"] + [f"={bare}"]
                    if any(form in squeezed for form in quoted):
                        leaks.append(f"{where} = {value!r}")
                    continue
            else:
                numbers = _answer_numbers(value)
            for number in numbers:
                shown = f"{abs(number):.4g}"
                if shown in in_params or (float(shown).is_integer() and abs(number) < 100):
                    continue
                if shown in in_text:
                    leaks.append(f"{where} contains {number!r} (found as {shown})")
    return leaks
