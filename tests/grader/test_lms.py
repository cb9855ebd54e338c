"""Grade exports for Canvas, Moodle and plain CSV, checked against the documented layouts:
Canvas's gradebook import (Student, ID, SIS User ID, SIS Login ID, Section, then
"Assignment (id)", and a "Points Possible" row) and Moodle's CSV grade import (an
identifier column and a grade column)."""

from __future__ import annotations

import csv
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.core.errors import UsageError
from calcgrade.grader.cli import main
from calcgrade.grader.csvsafe import FORMULA_STARTS, csv_text
from calcgrade.grader.grading.graded import GradedClass, GradedStudent
from calcgrade.grader.grading.gradebook import Gradebook
from calcgrade.grader.integrations.lms import canvas_rows, export_grades, moodle_rows
from calcgrade.grader.course.roster import Student, load_roster

from .gradedfolders import ANN, BOB, graded_folder

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def rows_of(text: str) -> list[list[str]]:
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_canvas_layout(tmp_path):
    rows = rows_of(export_grades(graded_folder(tmp_path / "out"), "canvas",
                                 canvas_assignment_id="4321"))
    assert rows[0] == CANVAS_HEADER + ["HW 1: Newton (4321)"]
    assert rows[1] == ["Points Possible", "", "", "", "", "10"]
    assert rows[2] == ["Ann Lee", "101", "S-1", "alee", "A", "7.5"]
    assert rows[3] == ["Bob Roy", "102", "S-2", "broy", "B", "0"]      # timed out: the 0 it got
    assert rows[4] == ["'=HYPERLINK(\"http://x\")", "", "", "cat", "", ""]  # no submission: blank
    assert len(rows) == 5


def test_canvas_without_an_assignment_id_heads_the_column_with_the_title(tmp_path):
    rows = rows_of(export_grades(graded_folder(tmp_path / "out"), "canvas", missing="zero"))
    assert rows[0][-1] == "HW 1: Newton"
    assert rows[4][-1] == "0"


@pytest.mark.parametrize("bad", ["12a", "-1", "1 2"])
def test_canvas_assignment_id_must_be_canvas_number(tmp_path, bad):
    with pytest.raises(UsageError, match="canvas-assignment-id"):
        export_grades(graded_folder(tmp_path / "out"), "canvas", canvas_assignment_id=bad)


def test_canvas_needs_an_id_for_every_student(tmp_path):
    folder = graded_folder(tmp_path / "out", students=(ANN, Student("dan04", "Dan")))
    with pytest.raises(UsageError, match="no Canvas id .* for 'dan04'"):
        export_grades(folder, "canvas")


@pytest.mark.parametrize("by, header, ann, bob", [
    ("email", "Email address", "ann@example.edu", "bob@example.edu"),
    ("idnumber", "ID number", "9001", "9002"),
    ("username", "Username", "alee", "broy"),
])
def test_moodle_layout(tmp_path, by, header, ann, bob):
    rows = rows_of(export_grades(graded_folder(tmp_path / "out", students=(ANN, BOB)), "moodle",
                                 identify_by=by))
    assert rows == [[header, "HW 1: Newton"], [ann, "7.5"], [bob, "0"]]


def test_moodle_needs_the_identifier_for_every_student(tmp_path):
    with pytest.raises(UsageError, match="no idnumber for 'cat03'"):
        export_grades(graded_folder(tmp_path / "out"), "moodle", identify_by="idnumber")


def test_plain_csv_lists_every_student_with_points_per_problem(tmp_path):
    rows = rows_of(export_grades(graded_folder(tmp_path / "out"), "csv"))
    assert rows[0] == ["student", "name", "email", "status", "total", "max", "q1", "q2"]
    assert rows[1] == ["ann01", "Ann Lee", "ann@example.edu", "graded", "7.5", "10", "4", "3.5"]
    assert rows[2] == ["bob02", "Bob Roy", "bob@example.edu", "timeout", "0", "10", "0", "0"]
    assert rows[3][:4] == ["cat03", "'=HYPERLINK(\"http://x\")", "cat@example.edu", "missing"]


def test_a_roster_given_at_export_replaces_the_recorded_fields(tmp_path):
    folder = graded_folder(tmp_path / "out")
    roster = tmp_path / "lms.csv"
    roster.write_text("ID,Name,SIS_User_ID\nann01,Ann,X1\nbob02,Bob,X2\ncat03,Cat,X3\n",
                      encoding="utf-8")
    rows = rows_of(export_grades(folder, "canvas", roster=str(roster)))
    assert [row[:3] for row in rows[2:]] == [["Ann", "", "X1"], ["Bob", "", "X2"], ["Cat", "", "X3"]]
    roster.write_text("id,sis_user_id\nann01,X1\n", encoding="utf-8")
    with pytest.raises(UsageError, match="no row for 'bob02' and 1 more"):
        export_grades(folder, "canvas", roster=str(roster))


def test_roster_reads_the_optional_lms_columns(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("Section,id,Canvas_ID,sis_login_id,username,idnumber,sis_user_id\n"
                    "A,ann01,101,alee,alee,9001,S-1\n", encoding="utf-8")
    (ann,) = load_roster(path)
    assert (ann.section, ann.canvas_id, ann.sis_login_id, ann.username, ann.idnumber,
            ann.sis_user_id) == ("A", "101", "alee", "alee", "9001", "S-1")
    assert ann.name == "" and ann.email == ""


def test_a_folder_without_a_gradebook_or_without_a_recorded_class_is_refused(tmp_path):
    with pytest.raises(UsageError, match="no gradebook.sqlite"):
        export_grades(tmp_path, "csv")
    with Gradebook(tmp_path / "gradebook.sqlite"):
        pass
    with pytest.raises(UsageError, match="run the same 'calcgrade grade' command again"):
        export_grades(tmp_path, "csv")


def test_export_grades_command_writes_stdout_or_a_file(tmp_path, capsys):
    folder = graded_folder(tmp_path / "out")
    assert main(["export", "grades", str(folder), "--format", "moodle"]) == 0
    out, _ = capsys.readouterr()
    assert rows_of(out)[1] == ["ann@example.edu", "7.5"]
    target = tmp_path / "lms" / "canvas.csv"
    assert main(["export", "grades", str(folder), "--format", "canvas", "--out", str(target),
                 "--canvas-assignment-id", "77"]) == 0
    out, err = capsys.readouterr()
    assert out == "" and str(target) in err
    assert rows_of(target.read_bytes().decode("utf-8"))[0][-1] == "HW 1: Newton (77)"


@pytest.mark.parametrize("args, message", [
    (["--format", "pdf"], "'pdf' is not one of"),
    (["--format", "moodle", "--identify-by", "name"], "'name' is not one of"),
    (["--format", "canvas", "--canvas-assignment-id", "x"], "canvas-assignment-id"),
])
def test_export_grades_errors_are_one_line(tmp_path, capsys, args, message):
    folder = graded_folder(tmp_path / "out")
    assert main(["export", "grades", str(folder), *args]) == 2
    _, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 1 and err.startswith("calcgrade: error: ")
    assert message in err


@pytest.mark.slow
def test_export_after_a_real_grading_run_matches_grades_csv(tmp_path, capsys, monkeypatch):
    """generate, fill one notebook, grade with the CLI, export: the same totals."""
    monkeypatch.delenv("CALCGRADE_SECRET", raising=False)
    from calcgrade.grader.generation.generate import generate
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    from .classes import EXAMPLE_ASSIGNMENT, SECRET_HEX

    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email,sis_user_id\nann01,Ann,ann@x.edu,S1\nbob02,Bob,bob@x.edu,S2\n",
                      encoding="utf-8")
    generate(EXAMPLE_ASSIGNMENT, roster, tmp_path / "class", bytes.fromhex(SECRET_HEX))
    key = json.loads((tmp_path / "class" / "key.json").read_text(encoding="utf-8"))
    submissions = tmp_path / "in"
    submissions.mkdir()
    text = (tmp_path / "class" / "notebooks" / "ann01.ipynb").read_text(encoding="utf-8")
    (submissions / "ann01.ipynb").write_text(
        fill_answers(text, simulated_answers(key["students"][0], "correct")), encoding="utf-8")
    secret = tmp_path / "secret"
    secret.write_text(SECRET_HEX, encoding="ascii")
    code = main(["grade", str(submissions), "--assignment", str(EXAMPLE_ASSIGNMENT), "--roster",
                 str(roster), "--out", str(tmp_path / "out"), "--secret-file", str(secret),
                 "--workers", "1"])
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    grades = rows_of((tmp_path / "out" / "grades.csv").read_bytes().decode("utf-8"))
    canvas = rows_of(export_grades(tmp_path / "out", "canvas"))
    total = key["assignment"]["total_points"]
    assert grades[1][4] == canvas[2][5] == str(total).removesuffix(".0")
    assert canvas[1][5] == str(total).removesuffix(".0")
    assert canvas[3] == ["Bob", "", "S2", "", "", ""]


_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
                max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_text, _text, st.one_of(st.none(), st.floats(0, 10))),
                min_size=1, max_size=8))
def test_any_names_and_scores_read_back_cell_for_cell(students):
    """Whatever the names and ids, the CSV parses back to one row per student with the
    same text (formula starts neutralised) and the score to 4 decimals."""
    rows = tuple(GradedStudent(Student(f"s{i}", name, f"s{i}@x.edu", sis_user_id=sis or "id"),
                               "graded" if score is not None else "missing", "",
                               score or 0.0, 10.0, (score or 0.0,), "", score is not None)
                 for i, (name, sis, score) in enumerate(students))
    graded = GradedClass(None, "hw1", "HW", 10.0, (1,), rows)
    back = list(csv.reader(io.StringIO(csv_text(canvas_rows(graded)), newline="")))
    assert len(back) == 2 + len(students)
    for (name, sis, score), row in zip(students, back[2:]):
        expected_name = name or None
        shown = row[0]
        if expected_name is None:
            assert shown.startswith("s")  # the id stands in for an empty name
        elif name.startswith(FORMULA_STARTS) and not shown == name:
            assert shown == "'" + name
        else:
            assert shown == name
        assert row[5] == ("" if score is None else f"{score:.4f}".rstrip("0").rstrip(".") or "0")
        if score is not None:
            assert abs(float(row[5]) - score) <= 5e-5
    moodle = list(csv.reader(io.StringIO(csv_text(moodle_rows(graded)), newline="")))
    assert [row[0] for row in moodle[1:]] == [f"s{i}@x.edu" for i in range(len(students))]
