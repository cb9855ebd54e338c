"""The longer example problem sets (examples/course.toml, and examples/code.toml where the
students write functions): each generates, its notebooks run in a real kernel, and
submissions filled from the key (functions written as a student would) grade at full marks."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path

import nbformat
import pytest

from calcgrade.grader.course.assignment import load_assignment
from calcgrade.grader.generation.generate import generate
from calcgrade.grader.grading.grade import grade
from calcgrade.grader.simulate import fill_answers, simulated_answers

from ..grader.classes import SECRET, roster_text, write

nbclient = pytest.importorskip("nbclient")
pytestmark = pytest.mark.slow

COURSE = Path(str(files("calcgrade.examples") / "course.toml"))
CODE_LAB = Path(str(files("calcgrade.examples") / "code.toml"))
FIRST_FIVE = {"derivative", "gradient_descent", "sigmoid_gradient", "newton", "hessian"}


@pytest.fixture(scope="module", params=[COURSE, CODE_LAB], ids=["course", "code"])
def generated(request, tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    roster = write(root / "roster.csv", roster_text(4))
    generate(request.param, roster, root / "out", SECRET)
    key = json.loads((root / "out" / "key.json").read_text(encoding="utf-8"))
    return root, roster, key, request.param


def test_the_course_uses_at_least_twelve_new_families():
    families = {p.family for p in load_assignment(COURSE).problems}
    assert len(families - FIRST_FIVE) >= 12


def test_an_unmodified_notebook_runs_in_a_real_kernel(generated, tmp_path):
    root, _, _, _ = generated
    notebook = nbformat.read(root / "out" / "notebooks" / "s0000.ipynb", as_version=4)
    nbformat.validate(notebook)
    nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    report = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "Still empty" in report


def test_submissions_filled_from_the_key_grade_at_full_marks(generated, tmp_path):
    root, roster, key, course = generated
    subs = tmp_path / "subs"
    subs.mkdir()
    for record in key["students"]:
        text = (root / "out" / "notebooks" / f"{record['id']}.ipynb").read_text(encoding="utf-8")
        (subs / f"{record['id']}.ipynb").write_text(
            fill_answers(text, simulated_answers(record, "correct")), encoding="utf-8")
    summary = grade([str(subs)], str(course), str(roster), str(tmp_path / "grades"), SECRET)
    header, *rows = summary.rows
    assert len(rows) == 4
    for row in rows:
        line = dict(zip(header, row))
        assert line["status"] == "graded" and line["total"] == line["max"], line
