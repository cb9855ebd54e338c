"""Generated notebooks run top to bottom, unmodified, in a real Jupyter kernel (nbclient)."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from calcgrade.core.names import answer_variable
from calcgrade.grader.generation.generate import generate
from calcgrade.grader.generation.selfcheck import ROLE_ANSWERS

from ..grader.classes import EXAMPLE_ASSIGNMENT, SECRET, roster_text, write

nbclient = pytest.importorskip("nbclient")
pytestmark = pytest.mark.slow

STUDENTS = 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    root = tmp_path_factory.mktemp("kernel")
    roster = write(root / "roster.csv", roster_text(STUDENTS))
    generate(EXAMPLE_ASSIGNMENT, roster, root / "out", SECRET)
    key = json.loads((root / "out" / "key.json").read_text(encoding="utf-8"))
    return root / "out", {record["id"]: record for record in key["students"]}


def execute(notebook, tmp_path):
    client = nbclient.NotebookClient(notebook, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any error
    return notebook


def self_check_output(notebook) -> str:
    cell = notebook.cells[-1]
    assert cell.metadata["calcgrade"]["role"] == "selfcheck"
    assert all(output.output_type == "stream" for output in cell.outputs)
    return "".join(output.text for output in cell.outputs)


def expected_names(record) -> list[str]:
    return [answer_variable(p["number"], name) for p in record["problems"] for name in p["answers"]]


@pytest.mark.parametrize("index", range(STUDENTS))
def test_an_unmodified_notebook_runs_and_lists_every_answer_as_empty(generated, tmp_path, index):
    out, key = generated
    student = f"s{index:04d}"
    notebook = execute(nbformat.read(out / "notebooks" / f"{student}.ipynb", as_version=4), tmp_path)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert not any(o.output_type == "error" for o in cell.outputs)
    report = self_check_output(notebook)
    names = expected_names(key[student])
    assert f"Self-check: 0 of {len(names)} answers ready" in report
    empty = report.split("Still empty")[1]
    for name in names:
        assert name in empty


def test_a_notebook_filled_from_the_key_passes_its_self_check(generated, tmp_path):
    out, key = generated
    notebook = nbformat.read(out / "notebooks" / "s0001.ipynb", as_version=4)
    for problem in key["s0001"]["problems"]:
        for name, value in problem["answers"].items():
            variable = answer_variable(problem["number"], name)
            for cell in notebook.cells:
                if cell.metadata.get("calcgrade", {}).get("role") == ROLE_ANSWERS:
                    cell.source = re.sub(rf"^{variable} = \.\.\.", f"{variable} = {value!r}",
                                         cell.source, flags=re.M)
    # one answer computed with numpy, as a student might
    notebook.cells[1].source += "\nHELPER = np.array([1.0, 2.0])"
    report = self_check_output(execute(notebook, tmp_path))
    names = expected_names(key["s0001"])
    assert f"Self-check: {len(names)} of {len(names)} answers ready" in report
    assert "Every answer is filled in and can be read." in report


def test_a_wrong_shape_is_reported_in_the_kernel(generated, tmp_path):
    out, key = generated
    notebook = nbformat.read(out / "notebooks" / "s0002.ipynb", as_version=4)
    cell = next(c for c in notebook.cells if c.id == "p6-answers")
    cell.source = cell.source.replace("q6_gradient = ...", "q6_gradient = np.array([1.0, 2.0, 3.0])")
    report = self_check_output(execute(notebook, tmp_path))
    assert "q6_gradient: expected a list of 2 numbers, found a list of 3 numbers; write it like" in report
