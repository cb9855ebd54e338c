"""The in-process test double behaves like the real executor, without processes."""

from __future__ import annotations

import numpy as np

from calcgrade.grader.sandbox import Job, marker_kind

from .fake import InProcessExecutor


def test_canned_answers_are_converted_like_the_sandbox_does():
    fake = InProcessExecutor(answers={"x": np.float64(0.5), "v": np.array([1, 2]), "n": ...},
                             functions={"f": lambda z: z * 2})
    with fake as executor:
        result = executor.run("never-opened.ipynb", ["x", "v", "n", "missing"],
                              {"f": [1, [1, 2], {"args": [3]}], "g": [0]})
    assert result.answers["x"] == 0.5 and result.answers["v"] == [1, 2]
    assert marker_kind(result.answers["n"]) == "unanswered"
    assert marker_kind(result.answers["missing"]) == "missing"
    assert result.function_results == {"f": [2.0, [2.0, 4.0], 6.0],
                                       "g": [{"$marker": "missing"}]}
    assert fake.calls[0][1] == ("x", "v", "n", "missing")


def test_execute_mode_runs_trusted_cells_in_order_and_records_errors(notebook):
    path = notebook("import numpy as np\nx = np.sqrt(4.0)", "1 / 0", "%time y = 1",
                    "y = x + 1\nprint('done')\ndef f(z):\n    return z ** 2")
    result = InProcessExecutor().run(path, ["x", "y"], {"f": [3]})
    assert result.status == "ok"
    assert result.answers == {"x": 2.0, "y": 3.0}
    assert [(e.cell, e.name) for e in result.cell_errors] == [(1, "ZeroDivisionError"),
                                                             (2, "SyntaxError")]
    assert result.function_results == {"f": [9.0]} and "done" in result.stdout


def test_failures_can_be_simulated_and_invalid_files_are_detected(tmp_path):
    assert InProcessExecutor(status="crashed", reason="simulated").run("a.ipynb").reason \
        == "simulated"
    bad = tmp_path / "bad.ipynb"
    bad.write_text("not a notebook")
    assert InProcessExecutor().run(str(bad)).status == "invalid"


def test_run_many_keeps_the_order(notebook):
    paths = [notebook(f"x = {i}") for i in range(3)]
    results = InProcessExecutor().run_many([Job(p, ("x",)) for p in paths])
    assert [r.answers["x"] for r in results] == [0, 1, 2]
