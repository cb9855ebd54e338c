"""The students' self-check: what it reports, and that it needs nothing but Python."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import sympy

from calcgrade.core.errors import UsageError
from calcgrade.grader.generation.selfcheck import calcgrade_self_check, cell_source, read_answers

EXPECTED = [
    {"name": "q1_value", "kind": "scalar"},
    {"name": "q1_grad", "kind": "vector", "shape": [2]},
    {"name": "q2_hessian", "kind": "matrix", "shape": [2, 2]},
    {"name": "q3_iterates", "kind": "iterates", "shape": [2, 1], "start": [2.0], "rtol": 1e-3,
     "atol": 1e-6},
    {"name": "q4_derivative", "kind": "expression", "variables": ["x"]},
    {"name": "q5_classification", "kind": "label", "labels": ["minimum", "maximum", "saddle"],
     "synonyms": ["min"]},
]
GOOD = {"q1_value": 0.5, "q1_grad": [1, -2.5], "q2_hessian": [[1, 0], [0, 2]],
        "q3_iterates": [[1.5], [1.25]], "q4_derivative": "3x^2 + e^x", "q5_classification": "Saddle"}


def check(namespace, expected=EXPECTED, skip=()):
    """The answers that are not ready, with their status."""
    results = []
    calcgrade_self_check(namespace, expected, skip, results)
    return {name: kind for kind, name in results if kind != "ready"}


def test_well_formed_answers_pass(capsys):
    assert check(GOOD) == {}
    assert "Every answer is filled in" in capsys.readouterr().out


def test_what_students_write_is_ready():
    x = sympy.Symbol("x")
    values = {"q1_value": sympy.sqrt(2) / 2, "q1_grad": np.array([[1.0], [2.0]]),
              "q2_hessian": sympy.Matrix([[1, 0], [0, sympy.Rational(1, 2)]]),
              "q3_iterates": [2.0, 1.5, 1.25],  # a loop's flat list, with the start point first
              "q4_derivative": 3 * x**2 + sympy.exp(x), "q5_classification": "A saddle point."}
    assert check(values) == {}
    values = {**GOOD, "q1_value": " 7/3 ", "q1_grad": (np.float32(1), np.int64(2)),
              "q2_hessian": np.eye(2), "q3_iterates": np.array([1.5, 1.25]),
              "q4_derivative": lambda x: 3 * x**2, "q5_classification": "min"}
    assert check(values) == {}


def test_empty_and_undefined_answers_are_listed(capsys):
    values = {**GOOD, "q1_value": ..., "q4_derivative": "  "}
    del values["q2_hessian"]
    assert check(values) == {"q1_value": "empty", "q4_derivative": "empty", "q2_hessian": "undefined"}
    out = capsys.readouterr().out
    assert "Still empty" in out and "q1_value" in out and "Not defined" in out


@pytest.mark.parametrize("name, value, words", [
    ("q1_value", True, "true/false is not a number"),
    ("q1_value", float("nan"), "found NaN"),
    ("q1_value", "half", "expected a number, found the text 'half'"),
    ("q1_grad", [1, 2, 3], "expected a list of 2 numbers, found a list of 3 numbers"),
    ("q1_grad", [1, "two"], "write it like q1_grad = ["),
    ("q2_hessian", [1, 0, 0, 2], "write it like q2_hessian = [[1, 0], [0, 2]]"),
    ("q3_iterates", [[1.5, 1.0], [1.25, 1.0]], "each a list of 1 number"),
    ("q5_classification", "bowl", "expected one of: minimum, maximum, saddle"),
])
def test_unreadable_answers_say_what_is_expected_and_how_to_write_it(capsys, name, value, words):
    assert check({**GOOD, name: value}) == {name: "unreadable"}
    assert words in capsys.readouterr().out


@pytest.mark.parametrize("text", ["3x +* 1", "(x + 1", "x) + 1", "os.system('ls')"])
def test_expressions_that_cannot_be_read(capsys, text):
    assert check({**GOOD, "q4_derivative": text}) == {"q4_derivative": "unreadable"}
    assert "the expression cannot be read" in capsys.readouterr().out


def test_a_value_whose_methods_fail_is_reported_not_raised():
    class Broken:
        __module__ = "numpy"

        def tolist(self):
            raise RuntimeError("no")

    assert check({**GOOD, "q1_grad": Broken()}) == {"q1_grad": "unreadable"}


def test_a_huge_answer_is_refused_at_once():
    huge = "x" * 50_000_000
    assert check({**GOOD, "q4_derivative": huge, "q1_value": huge}) == {
        "q4_derivative": "unreadable", "q1_value": "unreadable"}


def test_read_answers_takes_literals_and_simple_arithmetic_without_running_code():
    notebook = {"cells": [
        {"cell_type": "code", "metadata": {}, "source": "%matplotlib inline\nq1_value = 1/2\n"
                                                         "q1_grad = [-1, 2**3]\nq2_hessian = ...\n"},
        {"cell_type": "code", "metadata": {}, "source": ["q4_derivative = 'x**2'\n",
                                                         "q1_value = np.exp(2)\n"]},
        {"cell_type": "markdown", "metadata": {}, "source": "q5_classification = 'max'"},
        {"cell_type": "code", "metadata": {}, "source": "import os\nos.system('echo hacked')\n"
                                                         "def q6_f(z):\n    return z\n"},
    ]}
    values, computed = read_answers(notebook, {"q1_value", "q1_grad", "q2_hessian",
                                               "q4_derivative", "q5_classification", "q6_f"})
    assert values.pop("q6_f")(1) is None  # a stand-in: the student's function is not run
    assert values == {"q1_grad": [-1, 8], "q2_hessian": ..., "q4_derivative": "x**2"}
    assert computed == {"q1_value"}


def test_read_answers_reports_a_syntax_error_with_its_cell():
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# hi"},
                          {"cell_type": "code", "metadata": {}, "source": "q1_value = (1 +\n"}]}
    with pytest.raises(UsageError, match="code cell 2"):
        read_answers(notebook, {"q1_value"})


def test_the_cell_runs_in_bare_python_without_calcgrade_or_numpy(tmp_path):
    """``python -I -S``: no site-packages, so neither calcgrade nor numpy can be imported."""
    script = tmp_path / "cells.py"
    script.write_text("q1_value = '0.5'\nq1_grad = ...\nq2_hessian = [[1, 0], [0, 1]]\n"
                      "q3_iterates = [1.5, 1.25]\nq4_derivative = 'y = x^2'\n"
                      "q5_classification = 'bowl'\nnormalise_notation = read_answer = 'mine'\n\n"
                      + cell_source(EXPECTED), encoding="utf-8")
    result = subprocess.run([sys.executable, "-I", "-S", str(script)], capture_output=True,
                            text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Self-check: 4 of 6 answers ready" in result.stdout, result.stdout
    assert "Still empty" in result.stdout and "q1_grad" in result.stdout
    assert "q5_classification: expected one of" in result.stdout
    probe = subprocess.run([sys.executable, "-I", "-S", "-c", "import calcgrade"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert probe.returncode != 0  # the environment really lacks calcgrade


def test_label_lists_are_checked_entry_by_entry(capsys):
    expected = [{"name": "q6_kinds", "kind": "labels", "shape": [2], "labels": ["corner", "cusp"],
                 "synonyms": ["kink"]}]
    assert check({"q6_kinds": ["Corner", "a kink"]}, expected) == {}
    assert check({"q6_kinds": ["corner", "bump"]}, expected) != {}
    assert "each one of: corner, cusp" in capsys.readouterr().out
    assert check({"q6_kinds": ["corner"]}, expected) != {}


def test_only_an_unchanged_self_check_cell_is_recognised_as_such():
    from calcgrade.grader.generation.selfcheck import is_unchanged_selfcheck

    source = cell_source(EXPECTED)
    assert is_unchanged_selfcheck(source) and is_unchanged_selfcheck(source.rstrip("\n"))
    tampered = [source.replace('{"kind": "scalar", "name": "q1_value"}',
                               '{"kind": "scalar", "name": "q1_value"}, q1_value := 2'),
                source + "q1_value = 2\n", "q1_value = 2\n" + source,
                source.replace("calcgrade_self_check(globals()", "print(globals()"),
                source.replace("    {", "    __import__('os').system('ls') or {", 1)]
    assert not any(is_unchanged_selfcheck(text) for text in tampered)


def test_the_frame_digests_kept_between_runs_are_those_of_the_frame(tmp_path):
    import hashlib
    import json

    from calcgrade.grader.generation import selfcheck as sc

    head, tail = sc._cell_frame()
    fresh = (len(head), hashlib.sha256(head.encode()).hexdigest(),
             len(tail), hashlib.sha256(tail.encode()).hexdigest())
    assert sc.frame_digests(tmp_path) == fresh
    (kept,) = tmp_path.glob("selfcheck-frame-*.json")
    assert tuple(json.loads(kept.read_text())) == fresh
    assert sc.frame_digests(tmp_path) == fresh, "read back"
    kept.write_text("[1, 2")  # a damaged entry is built again
    assert sc.frame_digests(tmp_path) == fresh
    (tmp_path / "file").write_text("")
    assert sc.frame_digests(tmp_path / "file" / "x") == fresh, "an unwritable folder: built each time"
