"""One function names an answer variable (``q<N>_<answer>``): nothing else in calcgrade's
own package or templates writes that name, so the notebook, the grader, the key and the
feedback can never disagree about it."""

from __future__ import annotations

import re
from importlib.resources import files

import pytest

from calcgrade.core.names import answer_variable

# an f-string or a template that writes q<something>_<something>
BUILT_BY_HAND = re.compile(r"""f["']q\{[^}]*\}_|q\{\{[^}]*\}\}_""")
PACKAGES = ("core", "solutions", "problems", "grader", "templates")


def sources():
    for package in PACKAGES:
        root = files(f"calcgrade.{package}")
        for path in sorted(_walk(root), key=str):
            yield f"{package}/{path.name}", path


def _walk(folder):
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _walk(entry)
        elif entry.name.endswith((".py", ".j2")):
            yield entry


@pytest.mark.parametrize("name, path", list(sources()), ids=lambda v: v if isinstance(v, str) else "")
def test_no_module_builds_an_answer_variable_by_hand(name, path):
    if name == "core/names.py":
        return
    found = BUILT_BY_HAND.findall(path.read_text(encoding="utf-8"))
    assert not found, f"{name} builds an answer variable itself ({found[0]!r}): use answer_variable"


def test_the_pattern_finds_what_it_looks_for():
    assert BUILT_BY_HAND.search('values[f"q{number}_{name}"] = 1')
    assert BUILT_BY_HAND.search("<code>q{{ part.problem }}_{{ part.answer }}</code>")
    assert not BUILT_BY_HAND.search('columns = [f"q{n}" for n in numbers]')   # a problem's column


def test_the_name_is_q_number_underscore_answer():
    assert answer_variable(2, "grad_w") == "q2_grad_w"
