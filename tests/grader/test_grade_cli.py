"""``calcgrade grade`` as a new instructor meets it: a wrong secret stops the batch before
anything is graded, a batch without a notebook is refused, every file handed in gets a
row, and the output is a summary with the rows that need attention.

In this process through the console entry point ``main``; the runs that grade use the
real sandbox.
"""

from __future__ import annotations

import csv
import json

import pytest

from calcgrade.grader.cli import main
from calcgrade.grader.course.secret import token_for
from calcgrade.grader.simulate import fill_answers, simulated_answers

from .cli_runs import one_error_line, run
from .classes import EXAMPLE_ASSIGNMENT, SECRET, SECRET_HEX, example_class

OTHER_SECRET_HEX = bytes(range(100, 132)).hex()
STUDENTS = 6


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    found = example_class(root, STUDENTS)
    (root / "right-secret").write_text(SECRET_HEX + "\n", encoding="ascii")
    (root / "wrong-secret").write_text(OTHER_SECRET_HEX + "\n", encoding="ascii")
    return found


@pytest.fixture(autouse=True)
def no_secret_in_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CALCGRADE_SECRET", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def notebook(course, student: str, kind: str = "correct") -> str:
    text = (course["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
    return fill_answers(text, simulated_answers(course["key"][student], kind))


def with_metadata(text: str, **changes) -> str:
    data = json.loads(text)
    data["metadata"]["calcgrade"].update(changes)
    return json.dumps(data)


def grade_args(course, folder, out, *more):
    return ("grade", folder, "--assignment", EXAMPLE_ASSIGNMENT, "--roster", course["roster"],
            "--out", out, *more)


def correct_folder(course, folder, students=("s0000", "s0001", "s0002")):
    folder.mkdir()
    for student in students:
        (folder / f"{student}.ipynb").write_text(notebook(course, student), encoding="utf-8")
    return folder


# --- before anything is graded ---------------------------------------------------------------------


def test_a_wrong_secret_in_the_environment_stops_before_grading(capsys, monkeypatch, course, tmp_path):
    subs = correct_folder(course, tmp_path / "subs")
    monkeypatch.setenv("CALCGRADE_SECRET", OTHER_SECRET_HEX)
    code, out, err = run(capsys, *grade_args(course, subs, tmp_path / "out"))
    line = one_error_line(err)
    assert code == 2 and out == ""
    assert "3 of 3 notebooks" in line and "secret differs from the one the notebooks were generated with" in line
    assert "--allow-unverified" in line and "$CALCGRADE_SECRET" in line
    assert not (tmp_path / "out").exists()


def test_a_wrong_secret_file_stops_and_is_named(capsys, course, tmp_path):
    subs = correct_folder(course, tmp_path / "subs")
    wrong = course["root"] / "wrong-secret"
    code, _, err = run(capsys, *grade_args(course, subs, tmp_path / "out", "--secret-file", wrong))
    assert code == 2 and f"--secret-file {wrong}" in one_error_line(err)
    assert not (tmp_path / "out").exists()


def test_one_notebook_whose_token_fails_is_the_same_case(capsys, course, tmp_path):
    subs = correct_folder(course, tmp_path / "subs", ("s0001",))
    code, _, err = run(capsys, *grade_args(course, subs / "s0001.ipynb", tmp_path / "out",
                                           "--student", "s0001", "--secret-file",
                                           course["root"] / "wrong-secret"))
    assert code == 2 and "1 of 1 notebooks" in one_error_line(err)


def test_notebooks_of_another_assignment_are_named_as_such(capsys, course, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for student in ("s0000", "s0001"):
        text = with_metadata(notebook(course, student), assignment="hw9",
                             token=token_for(SECRET, "hw9", student))
        (subs / f"{student}.ipynb").write_text(text, encoding="utf-8")
    code, _, err = run(capsys, *grade_args(course, subs, tmp_path / "out", "--secret-file",
                                           course["root"] / "right-secret"))
    line = one_error_line(err)
    assert code == 2 and "2 of 2 notebooks were generated for another assignment" in line
    assert "--assignment" in line


@pytest.mark.parametrize("files", [("report.pdf", "answers.py", "notes.txt"), ()])
def test_a_folder_without_a_notebook_is_an_error(capsys, course, tmp_path, files):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in files:
        (subs / name).write_text("not a notebook", encoding="utf-8")
    code, out, err = run(capsys, *grade_args(course, subs, tmp_path / "out", "--secret-file",
                                             course["root"] / "right-secret"))
    line = one_error_line(err)
    assert code == 2 and out == ""
    if files:
        assert f"no notebook (.ipynb) to grade among {len(files)} files" in line
        assert "a .pdf file, not a notebook" in line
    else:
        assert "no files to grade" in line
    assert not (tmp_path / "out").exists()


# --- a graded class ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graded(course, tmp_path_factory):
    """A class of six graded with --secret-file while $CALCGRADE_SECRET holds another secret:
    s0000 correct, s0001 a catalogued mistake, s0002 a broken notebook, s0003 a .pdf,
    s0004 a notebook whose token was edited, s0005 nothing; plus a notebook and a text file
    that name no student."""
    root = tmp_path_factory.mktemp("graded")
    subs = root / "subs"
    subs.mkdir()
    (subs / "s0000.ipynb").write_text(notebook(course, "s0000"), encoding="utf-8")
    (subs / "s0001.ipynb").write_text(notebook(course, "s0001", "mistake"), encoding="utf-8")
    (subs / "s0002.ipynb").write_text('{"cells": [ broken', encoding="utf-8")
    (subs / "s0003.pdf").write_bytes(b"%PDF-1.4 a scan of handwritten answers")
    (subs / "s0004.ipynb").write_text(with_metadata(notebook(course, "s0004"), token="0" * 64),
                                      encoding="utf-8")
    stranger = json.loads(notebook(course, "s0002"))
    del stranger["metadata"]["calcgrade"]
    (subs / "homework.ipynb").write_text(json.dumps(stranger), encoding="utf-8")
    (subs / "notes.txt").write_text("see attached", encoding="utf-8")
    out = root / "out"
    patch = pytest.MonkeyPatch()
    patch.setenv("CALCGRADE_SECRET", OTHER_SECRET_HEX)  # the explicit --secret-file wins
    try:
        code = main([str(a) for a in grade_args(course, subs, out, "--secret-file",
                                                 course["root"] / "right-secret")])
    finally:
        patch.undo()
    return code, out


def read_csv(path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow  # starts the sandbox or other processes
def test_the_explicit_secret_file_wins_over_the_environment(graded):
    code, out = graded
    assert code == 0
    grades = {row["student"]: row for row in read_csv(out / "grades.csv")}
    assert grades["s0000"]["status"] == "graded" and grades["s0000"]["total"] == "15"


@pytest.mark.slow  # starts the sandbox or other processes
def test_every_file_handed_in_has_a_row_and_says_what_it_is(graded):
    _, out = graded
    rows = {row["path"].rsplit("/", 1)[-1]: row for row in read_csv(out / "submissions.csv")}
    assert set(rows) == {"s0000.ipynb", "s0001.ipynb", "s0002.ipynb", "s0003.pdf", "s0004.ipynb",
                         "homework.ipynb", "notes.txt"}
    assert rows["s0003.pdf"]["student"] == "s0003" and rows["s0003.pdf"]["counted"] == "yes"
    assert "handed in s0003.pdf: a .pdf file, not a notebook" in rows["s0003.pdf"]["reason"]
    assert rows["notes.txt"]["student"] == "" and "a .txt file" in rows["notes.txt"]["reason"]
    assert rows["homework.ipynb"]["status"] == "unidentified"
    grades = {row["student"]: row for row in read_csv(out / "grades.csv")}
    assert grades["s0003"]["status"] == "not_notebook"
    assert "a .pdf file, not a notebook" in grades["s0003"]["reason"]
    assert grades["s0005"]["status"] == "missing"


@pytest.mark.slow  # starts the sandbox or other processes
def test_the_output_is_a_summary_and_the_rows_that_need_attention(capsys, course, graded):
    _, out = graded
    # a rerun grades nothing again and prints the same summary
    code, printed, err = run(capsys, *grade_args(course, out.parent / "subs", out, "--secret-file",
                                                 course["root"] / "right-secret"))
    assert (code, err) == (0, "")
    lines = printed.splitlines()
    assert lines[0] == "6 students: 3 graded, 1 invalid, 1 not_notebook, 1 missing."
    assert "7 submission(s): 0 graded now, 4 already graded" in printed
    attention = lines[lines.index("Needs attention (3 students):") + 2:][:3]
    assert [line.split()[0] for line in attention] == ["s0002", "s0003", "s0004"]
    assert "handed in s0003.pdf" in attention[1] and "token does not verify" in attention[2]
    assert "Missing, no submission (1): s0005" in lines
    assert any(line.strip().endswith("homework.ipynb") for line in lines)
    assert "1 other file names no student and was not graded" in printed
    for fine in ("s0000", "s0001"):  # graded with nothing to look at: only in grades.csv
        assert not any(line.split()[:1] == [fine] for line in lines)
    assert str(out / "grades.csv") in printed


def test_allow_unverified_grades_with_a_wrong_secret_and_flags_it(capsys, course, tmp_path):
    subs = correct_folder(course, tmp_path / "subs", ("s0000",))
    code, printed, err = run(capsys, *grade_args(course, subs, tmp_path / "out", "--secret-file",
                                                 course["root"] / "wrong-secret", "--allow-unverified"))
    assert (code, err) == (0, "")
    grades = {row["student"]: row for row in read_csv(tmp_path / "out" / "grades.csv")}
    assert grades["s0000"]["status"] == "graded"
    assert "token does not verify" in grades["s0000"]["flags"]
    lines = printed.splitlines()  # one file graded: its own result, not the class's
    assert lines[0].startswith("s0000: graded, ") and lines[0].endswith(" of 15 points")
    assert float(lines[0].split()[2]) < 15, "graded as the variant of the wrong secret"
    assert "token does not verify" in lines[1]
    assert f"feedback     {tmp_path / 'out' / 'feedback' / 's0000.md'}" in printed
    assert "missing" not in printed
