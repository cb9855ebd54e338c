"""The otter-grader plugin with the real otter-grader: ``otter assign`` a master notebook
with one ordinary otter question and one calcgrade problem, then ``otter run`` students'
notebooks; calcgrade's problem is graded in calcgrade's sandbox beside otter's own test."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from calcgrade.grader.simulate import fill_answers, simulated_answers

from ..grader.classes import EXAMPLE_ASSIGNMENT, SECRET_HEX, example_class, write
from .test_gradescope import total_points

pytestmark = pytest.mark.slow



def _plugin_name() -> str:
    """``calcgrade.otter.CalcgradePlugin`` where the installed calcgrade has that module
    (asked from a folder outside the source tree), else the module that defines it."""
    import tempfile

    with tempfile.TemporaryDirectory() as elsewhere:
        found = subprocess.run([sys.executable, "-c", "import calcgrade.otter"], cwd=elsewhere,
                               capture_output=True).returncode == 0
    return "calcgrade.otter.CalcgradePlugin" if found else "calcgrade.grader.otter_plugin.CalcgradePlugin"


PLUGIN = _plugin_name()
OTTER = str(Path(sys.executable).with_name("otter"))

CALCGRADE_TOML = """\
id = "otter-demo"
title = "calcgrade in an otter assignment"

[[problems]]
family = "derivative"
points = 2
title = "A derivative"
params = { f = "x**2*sin(x)", var = "x", at = 1 }
"""

ASSIGNMENT_CONFIG = f"""\
# ASSIGNMENT CONFIG
name: otter-demo
export_cell: false
files:
  - calcgrade.toml
generate:
  plugins:
    - {PLUGIN}:
        assignment: calcgrade.toml
"""

# the oracle: d/dx x^2 sin x = 2x sin x + x^2 cos x, by hand, and its value at 1
DERIVATIVE = "2*x*sin(x) + x**2*cos(x)"
VALUE = 2 * math.sin(1) + math.cos(1)


def master_notebook() -> nbformat.NotebookNode:
    v4 = nbformat.v4
    cells = [
        v4.new_raw_cell(ASSIGNMENT_CONFIG),
        v4.new_code_cell("import numpy as np"),
        v4.new_raw_cell("# BEGIN QUESTION\nname: mean\npoints: 3"),
        v4.new_markdown_cell("Store the mean of 1, 2, 3 and 4 in `avg`."),
        v4.new_raw_cell("# BEGIN SOLUTION"),
        v4.new_code_cell("avg = np.mean([1, 2, 3, 4])  # SOLUTION"),
        v4.new_raw_cell("# END SOLUTION"),
        v4.new_raw_cell("# BEGIN TESTS"),
        v4.new_code_cell("assert np.isclose(avg, 2.5)"),
        v4.new_raw_cell("# END TESTS"),
        v4.new_raw_cell("# END QUESTION"),
        v4.new_raw_cell("# BEGIN QUESTION\nname: calcgrade_q1\nmanual: true\npoints: 0"),
        v4.new_markdown_cell("**Problem 1.** Differentiate $f(x) = x^2 \\sin x$ and evaluate the "
                             "derivative at $x = 1$."),
        v4.new_raw_cell("# BEGIN SOLUTION"),
        v4.new_code_cell(f'q1_derivative = "{DERIVATIVE}"  # SOLUTION\n'
                         f"q1_value = {VALUE!r}  # SOLUTION"),
        v4.new_raw_cell("# END SOLUTION"),
        v4.new_raw_cell("# END QUESTION"),
    ]
    return v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def assigned(tmp_path_factory):
    """The result of ``otter assign`` (which also grades the solutions, plugin included)."""
    root = tmp_path_factory.mktemp("otter")
    write(root / "calcgrade.toml", CALCGRADE_TOML)
    nbformat.write(master_notebook(), root / "hw.ipynb")
    done = subprocess.run([OTTER, "assign", "--no-pdfs", "hw.ipynb", "dist"], cwd=root,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    zips = sorted((root / "dist" / "autograder").glob("hw-autograder_*.zip"))
    assert len(zips) == 1
    return {"root": root, "zip": zips[0],
            "student": json.loads((root / "dist" / "student" / "hw.ipynb").read_text())}


def submit(assigned, tmp_path, answers: dict[str, str]) -> tuple[dict, str]:
    """The student notebook with each ``name = ...`` line replaced, graded by ``otter run``:
    its results.json tests by name, and otter's output."""
    notebook = json.loads(json.dumps(assigned["student"]))
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        for placeholder, text in answers.items():
            source = source.replace(f"{placeholder} = ...", text)
        cell["source"] = source
    path = tmp_path / "hw.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    done = subprocess.run([OTTER, "run", "-a", str(assigned["zip"]), "-o", str(out), str(path)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {test["name"]: test for test in results["tests"]}, done.stdout


def test_the_student_notebook_does_not_carry_calcgrade_answers(assigned):
    text = json.dumps(assigned["student"])
    assert "q1_derivative = ..." in text and "cos(x)" not in text


def test_both_scores_show(assigned, tmp_path):
    tests, stdout = submit(assigned, tmp_path, {
        "avg": "avg = np.mean([1, 2, 3, 4])",
        "q1_derivative": 'q1_derivative = "x**2*cos(x) + 2*x*sin(x)"',
        "q1_value": f"q1_value = {VALUE:.6f}"})
    assert (tests["mean"]["score"], tests["mean"]["max_score"]) == (3, 3)
    calcgrade = tests["calcgrade q1 (A derivative)"]
    assert (calcgrade["score"], calcgrade["max_score"]) == (2, 2)
    assert "calcgrade: graded hw.ipynb: graded, 2 / 2" in stdout


def test_partial_credit_and_feedback_come_from_calcgrade(assigned, tmp_path):
    tests, _ = submit(assigned, tmp_path, {
        "avg": "avg = 2.0",
        "q1_derivative": f'q1_derivative = "{DERIVATIVE}"',
        "q1_value": "q1_value = 1.0"})
    assert tests["mean"]["score"] == 0
    calcgrade = tests["calcgrade q1 (A derivative)"]
    assert (calcgrade["score"], calcgrade["max_score"]) == (1, 2)
    assert "q1_value" in calcgrade["output"] and "Found: 1" in calcgrade["output"]


def test_patching_numpy_fools_otter_but_not_calcgrade(assigned, tmp_path):
    patch = "np.isclose = lambda *a, **k: True\nnp.allclose = lambda *a, **k: True\n"
    tests, _ = submit(assigned, tmp_path, {
        "avg": patch + "avg = 0",
        "q1_derivative": patch + 'q1_derivative = "2*x*cos(x)"',
        "q1_value": "q1_value = 0.0"})
    assert tests["mean"]["score"] == 3  # otter's own check ran in the patched kernel
    calcgrade = tests["calcgrade q1 (A derivative)"]
    assert calcgrade["score"] == 0
    assert "Found: 2*x*cos(x)" in calcgrade["output"]
    assert "product rule" in calcgrade["output"]  # the catalogued mistake, named


NO_LEAK_TEST = """\
OK_FORMAT = True

test = {"name": "no_leak", "points": 1, "suites": [{"cases": [
    {"code": ">>> leaked is None\\nTrue", "hidden": False, "locked": False}],
    "scored": True, "setup": "", "teardown": "", "type": "doctest"}]}
"""


def test_per_student_variants_from_signed_notebooks_without_the_secret_in_reach(tmp_path):
    """With a drawn assignment the plugin finds the student in the notebook's signed metadata
    (``otter run`` has no submitter) and deletes the secret before otter's kernel runs: the
    notebook's attempt to read it finds nothing."""
    (tmp_path / "course").mkdir()
    course = example_class(tmp_path / "course", 3)
    work = tmp_path / "otter"
    (work / "tests").mkdir(parents=True)
    write(work / "tests" / "no_leak.py", NO_LEAK_TEST)
    shutil.copy(EXAMPLE_ASSIGNMENT, work / "assignment.toml")
    shutil.copy(course["roster"], work / "roster.csv")
    write(work / "secret", SECRET_HEX + "\n")
    write(work / "otter_config.json", json.dumps({"plugins": [{PLUGIN: {
        "assignment": "assignment.toml", "roster": "roster.csv", "secret_file": "secret"}}]}))
    done = subprocess.run([OTTER, "generate", "-t", "tests", "-c", "otter_config.json",
                           "--no-requirements", "--no-environment", "-o", "autograder.zip",
                           "assignment.toml", "roster.csv", "secret"],
                          cwd=work, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    student = "s0001"
    text = (course["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
    notebook = json.loads(fill_answers(text, simulated_answers(course["key"][student], "correct")))
    notebook["cells"].append(nbformat.v4.new_code_cell(
        "import os\nleaked = open('secret').read() if os.path.exists('secret') else None"))
    path = work / f"{student}.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    (work / "out").mkdir()
    done = subprocess.run([OTTER, "run", "-a", "autograder.zip", "-o", "out", path.name], cwd=work,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    tests = {t["name"]: t for t in json.loads((work / "out" / "results.json").read_text())["tests"]}
    assert tests["no_leak"]["score"] == 1
    calcgrade = [t for name, t in tests.items() if name.startswith("calcgrade q")]
    assert len(calcgrade) == len(course["key"][student]["problems"])
    assert sum(t["score"] for t in calcgrade) == pytest.approx(total_points())
    assert f"as {student}: graded" in done.stdout
