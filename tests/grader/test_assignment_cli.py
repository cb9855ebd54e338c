"""``calcgrade init | generate | preview | check | demo`` as a user runs them: in this process
through the console entry point ``main``, and the demo once as a real process."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tempfile

import nbformat
import pytest

from calcgrade.core.names import answer_variable

from .cli_runs import one_error_line, run
from .classes import (EXAMPLE_ASSIGNMENT, EXAMPLE_ROSTER, SECRET_HEX, SIGMOID_ASSIGNMENT,
                      roster_text, write)


@pytest.fixture(autouse=True)
def course_secret(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("CALCGRADE_SECRET", SECRET_HEX)


@pytest.fixture
def quiz(tmp_path):
    return write(tmp_path / "quiz.toml", SIGMOID_ASSIGNMENT), write(tmp_path / "roster.csv", roster_text(3))


def test_generate_writes_the_class_and_says_where(capsys, tmp_path, quiz):
    code, out, err = run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    assert (code, err) == (0, "")
    assert "Generated 3 notebooks with 2 problems each" in out and str(tmp_path / "out") in out
    assert len(os.listdir(tmp_path / "out" / "notebooks")) == 3


BAD_ASSIGNMENTS = {
    "unknown family": ('family = "sigmoid_gradient"', 'family = "sigmoid"', "unknown family 'sigmoid'"),
    "unknown option": ('options = { mode = "example" }', 'options = { moda = "example" }',
                       "unknown option 'moda'"),
    "malformed TOML": ('points = 2', 'points = = 2', "line 8"),
}


@pytest.mark.parametrize("case", sorted(BAD_ASSIGNMENTS))
def test_a_bad_assignment_exits_2_with_one_line_and_no_output(capsys, tmp_path, quiz, case):
    old, new, words = BAD_ASSIGNMENTS[case]
    write(quiz[0], SIGMOID_ASSIGNMENT.replace(old, new, 1))
    code, out, err = run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    assert code == 2
    line = one_error_line(err)
    assert words in line and str(quiz[0]) in line
    assert not (tmp_path / "out").exists()


BAD_ROSTERS = {
    "no id column": ("name,email\nAnn,a@x\n", "no 'id' column"),
    "duplicate ids": ("id\nann\nbob\nann\n", "duplicate id 'ann'"),
    "empty id": ("id,name\nann,Ann\n,Bob\n", "the id is empty"),
}


@pytest.mark.parametrize("case", sorted(BAD_ROSTERS))
def test_a_bad_roster_exits_2_with_one_line_and_no_output(capsys, tmp_path, quiz, case):
    text, words = BAD_ROSTERS[case]
    write(quiz[1], text)
    code, out, err = run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    assert code == 2 and words in one_error_line(err)
    assert not (tmp_path / "out").exists()


def test_missing_files_exit_2(capsys, tmp_path, quiz):
    code, _, err = run(capsys, "generate", tmp_path / "nope.toml", "--roster", quiz[1], "--out", tmp_path / "o")
    assert code == 2 and "no such assignment file" in one_error_line(err)
    code, _, err = run(capsys, "generate", quiz[0], "--roster", tmp_path / "nope.csv", "--out", tmp_path / "o")
    assert code == 2 and "no such roster file" in one_error_line(err)
    assert not (tmp_path / "o").exists()


def test_an_output_folder_holding_another_assignment_exits_2_untouched(capsys, tmp_path, quiz):
    other = write(tmp_path / "other.toml", SIGMOID_ASSIGNMENT.replace('"quiz1"', '"quiz9"'))
    assert run(capsys, "generate", other, "--roster", quiz[1], "--out", tmp_path / "out")[0] == 0
    before = (tmp_path / "out" / "manifest.json").read_bytes()
    code, _, err = run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    assert code == 2 and "already holds assignment 'quiz9'" in one_error_line(err)
    assert (tmp_path / "out" / "manifest.json").read_bytes() == before


def test_without_a_secret_generate_says_to_run_init(capsys, monkeypatch, tmp_path, quiz):
    monkeypatch.delenv("CALCGRADE_SECRET")
    code, _, err = run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    assert code == 2 and "calcgrade init" in one_error_line(err)


def test_init_then_generate_with_the_secret_file(capsys, monkeypatch, tmp_path, quiz):
    monkeypatch.delenv("CALCGRADE_SECRET")
    secret = tmp_path / "course" / "secret"
    code, out, _ = run(capsys, "init", "--secret-file", secret)
    assert code == 0 and str(secret) in out
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    code, _, err = run(capsys, "init", "--secret-file", secret)
    assert code == 2 and "already exists" in one_error_line(err)
    code, _, err = run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out",
                       "--secret-file", secret)
    assert (code, err) == (0, "")


def test_init_uses_the_documented_default_place(capsys, tmp_path):
    code, out, _ = run(capsys, "init")
    assert code == 0 and (tmp_path / "config" / "calcgrade" / "secret").exists()


def test_preview_prints_the_students_statements_as_in_the_notebook(capsys, tmp_path, quiz):
    run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    code, out, err = run(capsys, "preview", quiz[0], "--student", "s0001", "--roster", quiz[1],
                         "--markdown")
    assert (code, err) == (0, "")
    notebook = nbformat.read(tmp_path / "out" / "notebooks" / "s0001.ipynb", as_version=4)
    for cell in notebook.cells:
        if cell.get("metadata", {}).get("calcgrade", {}).get("role") == "statement":
            statement = cell.source.split("\n\n", 1)[1].rsplit("\n\n", 1)[0]
            assert statement in out
    assert "q1_grad_w" in out
    code, _, err = run(capsys, "preview", quiz[0], "--student", "zed", "--roster", quiz[1])
    assert code == 2 and "'zed' is not in" in one_error_line(err)


def test_preview_shows_math_as_text_not_latex(capsys, tmp_path):
    from calcgrade.grader.terminal_math import latex_to_text

    roster = write(tmp_path / "roster.csv", roster_text(2))
    code, out, err = run(capsys, "preview", EXAMPLE_ASSIGNMENT, "--student", "s0001", "--roster", roster)
    assert (code, err) == (0, "")
    code, markdown, _ = run(capsys, "preview", EXAMPLE_ASSIGNMENT, "--student", "s0001", "--roster",
                            roster, "--markdown")
    assert "$$" in markdown and "\\theta \\leftarrow" in markdown
    assert "$" not in out and not re.search(r"\\[a-zA-Z]+", out), out
    assert "θ ← θ − α∇f(θ)" in out
    for display in re.findall(r"\$\$(.+?)\$\$", markdown, re.S):  # every display formula, as text
        assert latex_to_text(display) in out
    assert out.count("## Problem") == markdown.count("## Problem") == 6


def fill_from_key(notebook, record) -> None:
    """Replace each ``q<N>_<answer> = ...`` with the reference answer from the key."""
    for problem in record["problems"]:
        for name, value in problem["answers"].items():
            variable = answer_variable(problem["number"], name)
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.source = re.sub(rf"^{variable} = \.\.\.", f"{variable} = {value!r}",
                                         cell.source, flags=re.M)


def test_check_lists_empty_answers_then_passes_once_filled(capsys, tmp_path, quiz):
    run(capsys, "generate", quiz[0], "--roster", quiz[1], "--out", tmp_path / "out")
    path = tmp_path / "out" / "notebooks" / "s0000.ipynb"
    code, out, err = run(capsys, "check", path)
    assert code == 2 and "8 answers are not ready" in one_error_line(err)
    assert "Still empty" in out and "q1_z" in out and "q2_sigmoid_prime" in out
    notebook = nbformat.read(path, as_version=4)
    key = json.loads((tmp_path / "out" / "key.json").read_text())
    fill_from_key(notebook, key["students"][0])
    nbformat.write(notebook, path)
    code, out, err = run(capsys, "check", path)
    assert (code, err) == (0, "") and "Every answer is filled in" in out


def test_check_refuses_what_is_not_a_calcgrade_notebook(capsys, tmp_path):
    code, _, err = run(capsys, "check", write(tmp_path / "x.ipynb", "{not json"))
    assert code == 2 and "not a Jupyter notebook" in one_error_line(err)
    plain = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    nbformat.write(plain, tmp_path / "plain.ipynb")
    code, _, err = run(capsys, "check", tmp_path / "plain.ipynb")
    assert code == 2 and "calcgrade generate" in one_error_line(err)
    code, _, err = run(capsys, "check", tmp_path / "missing.ipynb")
    assert code == 2 and "no such notebook" in one_error_line(err)


@pytest.mark.slow  # grades in the sandbox
def test_demo_without_arguments_makes_a_class_and_says_where(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("CALCGRADE_SECRET")
    code, out, err = run(capsys, "demo")
    assert (code, err) == (0, "")
    (folder,) = [p for p in tmp_path.iterdir() if p.name.startswith("calcgrade-demo-")]
    assert f"Demo class in {folder}" in out
    notebooks = sorted(os.listdir(folder / "class" / "notebooks"))
    assert len(notebooks) == len(EXAMPLE_ROSTER.read_text().strip().splitlines()) - 1
    assert stat.S_IMODE((folder / "course-secret").stat().st_mode) == 0o600
    assert not (tmp_path / "config").exists(), "the demo never touches the real secret"
    assert (folder / "assignment.toml").read_bytes() == EXAMPLE_ASSIGNMENT.read_bytes()


@pytest.mark.slow
def test_demo_runs_from_any_folder_as_a_real_process(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "CALCGRADE_SECRET"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    result = subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "demo", "--out",
                             str(tmp_path / "demo")], capture_output=True, text=True, timeout=300,
                            cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "demo" / "class" / "manifest.json").exists()
    assert "calcgrade check" in result.stdout
