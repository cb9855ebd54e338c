"""The Gradescope bundle without installing it: who submitted, which notebook is graded,
the bundle's layout and the command's errors. The bundle installed and run is tested in
tests/integration/test_gradescope.py."""

from __future__ import annotations

import base64
import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.grader.integrations.gradescope_run import (MAX_NOTEBOOK_BYTES, SubmissionError, choose_notebook,
                                             failure_results)
from calcgrade.grader.course.roster import Student
from calcgrade.grader.course.secret import token_for
from calcgrade.grader.grading.submitter import SubmitterError, submitter
from calcgrade.grader.integrations.wheel import check_wheel, write_wheel

from .cli_runs import run
from .classes import EXAMPLE_ASSIGNMENT, EXAMPLE_ROSTER, SECRET, SECRET_HEX, write
from .gradescope_format import check_results

ROSTER = [Student("ada01", "Ada", "Ada.Lovelace@Example.edu"), Student("1234567", "Bo", "bo@x.org")]


# --- who submitted ------------------------------------------------------------------------


def test_email_matches_the_roster_email_ignoring_case_and_spaces():
    assert submitter({"users": [{"email": " ada.lovelace@example.EDU", "id": 5}]}, ROSTER,
                     "email") == ("ada01", [])


def test_sid_and_id_match_the_roster_id_as_text():
    assert submitter({"users": [{"sid": "1234567"}]}, ROSTER, "sid")[0] == "1234567"
    assert submitter({"users": [{"id": 1234567, "email": "x@y"}]}, ROSTER, "id")[0] == "1234567"


@pytest.mark.parametrize("metadata, words", [
    ({}, "names no submitter"),
    ({"users": []}, "names no submitter"),
    ({"users": ["ada01"]}, "names no submitter"),
    ({"users": [{"name": "Ada"}]}, "has no email"),
    ({"users": [{"email": ["ada"]}]}, "has no email"),
    ({"users": [{"email": "eve@example.edu"}]}, "'eve@example.edu' is not on the course's"),
])
def test_an_unmatched_submitter_gets_a_message(metadata, words):
    with pytest.raises(SubmitterError, match=words):
        submitter(metadata, ROSTER, "email")


def test_a_group_submission_is_the_first_members_with_a_note():
    student, notes = submitter({"users": [{"email": "bo@x.org"}, {"email": "ada.lovelace@example.edu"}]},
                               ROSTER, "email")
    assert student == "1234567" and "group submission of 2 students" in notes[0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.from_regex(r"[a-z][a-z0-9.]{0,8}@[a-z]{1,6}\.(edu|org)", fullmatch=True),
                min_size=1, max_size=8, unique=True), st.data())
def test_every_roster_email_in_any_case_finds_its_student(emails, data):
    roster = [Student(f"s{index:03d}", "", email) for index, email in enumerate(emails)]
    index = data.draw(st.integers(0, len(emails) - 1))
    typed = "".join(c.upper() if data.draw(st.booleans()) else c for c in emails[index])
    assert submitter({"users": [{"email": f" {typed} "}]}, roster, "email")[0] == f"s{index:03d}"


# --- which notebook ------------------------------------------------------------------------


def signed_notebook(student: str, assignment: str = "hw3") -> str:
    return json.dumps({"cells": [], "metadata": {"calcgrade": {
        "assignment": assignment, "student": student,
        "token": token_for(SECRET, assignment, student)}}, "nbformat": 4, "nbformat_minor": 5})


def test_the_only_notebook_is_graded_and_other_files_are_not(tmp_path):
    write(tmp_path / "notes.pdf", "%PDF")
    write(tmp_path / "hw.ipynb", signed_notebook("bo"))
    path, data, notes = choose_notebook(tmp_path, "ada01", "hw3", SECRET)
    assert path.name == "hw.ipynb" and data == (tmp_path / "hw.ipynb").read_bytes() and notes == []


def test_no_notebook_says_what_was_handed_in(tmp_path):
    write(tmp_path / "answers.py", "x = 1")
    with pytest.raises(SubmissionError, match=r"no Jupyter notebook .*found: answers\.py"):
        choose_notebook(tmp_path, "ada01", "hw3", SECRET)


def test_checkpoints_hidden_files_and_links_are_left_out(tmp_path):
    write(tmp_path / "hw.ipynb", signed_notebook("ada01"))
    (tmp_path / ".ipynb_checkpoints").mkdir()
    write(tmp_path / ".ipynb_checkpoints" / "hw-checkpoint.ipynb", "{}")
    write(tmp_path / ".hidden.ipynb", "{}")
    outside = write(tmp_path.parent / f"{tmp_path.name}-outside.ipynb", "{}")
    (tmp_path / "link.ipynb").symlink_to(outside)
    path, _, notes = choose_notebook(tmp_path, "ada01", "hw3", SECRET)
    assert path.name == "hw.ipynb" and notes == []


def test_of_several_notebooks_the_one_signed_for_the_submitter_is_graded(tmp_path):
    (tmp_path / "old").mkdir()
    write(tmp_path / "old" / "draft.ipynb", signed_notebook("bo"))
    write(tmp_path / "hw.ipynb", signed_notebook("ada01"))
    write(tmp_path / "other-course.ipynb", signed_notebook("ada01", "hw9"))
    path, _, notes = choose_notebook(tmp_path, "ada01", "hw3", SECRET)
    assert path.name == "hw.ipynb" and "3 notebooks were handed in" in notes[0]


def test_several_notebooks_none_signed_for_the_submitter_is_an_error(tmp_path):
    write(tmp_path / "a.ipynb", signed_notebook("bo"))
    write(tmp_path / "b.ipynb", "{}")
    with pytest.raises(SubmissionError, match="cannot tell which to grade"):
        choose_notebook(tmp_path, "ada01", "hw3", SECRET)


def test_a_huge_notebook_is_refused_before_it_is_read_whole(tmp_path):
    (tmp_path / "hw.ipynb").write_bytes(b" " * (MAX_NOTEBOOK_BYTES + 1))
    with pytest.raises(SubmissionError, match="larger than 16 MiB"):
        choose_notebook(tmp_path, "ada01", "hw3", SECRET)


def test_failure_results_follow_the_documented_format():
    results = failure_results("Your submission could not be graded: no notebook")
    check_results(results)
    assert results["score"] == 0 and results["tests"] == []


# --- the wheel and the bundle --------------------------------------------------------------


def small_wheel(folder) -> Path:
    members = {"calcgrade/grader/__init__.py": b'"""The engine."""\n',
               "calcgrade-0.1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: calcgrade\n"}
    return write_wheel(folder / "calcgrade-0.1.0-py3-none-any.whl", members,
                       "calcgrade-0.1.0.dist-info")


def test_a_written_wheel_records_every_member_with_its_hash(tmp_path):
    first = small_wheel(tmp_path)
    with zipfile.ZipFile(first) as wheel:
        record = wheel.read("calcgrade-0.1.0.dist-info/RECORD").decode().splitlines()
        for line in record:
            name, digest, size = line.split(",")
            if name.endswith("RECORD"):
                assert digest == size == ""
                continue
            data = wheel.read(name)
            expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).decode().rstrip("=")
            assert (digest, int(size)) == (f"sha256={expected}", len(data))
        assert sorted(line.split(",")[0] for line in record) == sorted(wheel.namelist())
    again = tmp_path / "again"
    again.mkdir()
    assert small_wheel(again).read_bytes() == first.read_bytes()  # reproducible


def test_check_wheel_refuses_what_is_not_a_calcgrade_wheel(tmp_path):
    with pytest.raises(Exception, match="no such file"):
        check_wheel(tmp_path / "calcgrade-0.1.0-py3-none-any.whl")
    with pytest.raises(Exception, match="named calcgrade-"):
        check_wheel(write(tmp_path / "numpy-1.0-py3-none-any.whl", ""))
    with pytest.raises(Exception, match="not a wheel"):
        check_wheel(write(tmp_path / "calcgrade-9-py3-none-any.whl", "text"))


def test_export_writes_gradescope_layout_with_the_course_files(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("CALCGRADE_SECRET", raising=False)
    secret = write(tmp_path / "secret", SECRET_HEX)
    out = tmp_path / "bundle" / "autograder.zip"
    code, stdout, err = run(capsys, "export", "gradescope", EXAMPLE_ASSIGNMENT, "--roster",
                            EXAMPLE_ROSTER, "--out", out, "--secret-file", secret, "--wheel",
                            small_wheel(tmp_path), "--identify-by", "sid", "--timeout", "30")
    assert code == 0, err
    assert "Gradescope autograder for 5 students, identified by their sid" in stdout
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        assert {"setup.sh", "run_autograder", "calcgrade-0.1.0-py3-none-any.whl",
                "course/config.json", "course/assignment.toml", "course/roster.csv",
                "course/secret"} == names
        config = json.loads(archive.read("course/config.json"))
        assert config["identify_by"] == "sid" and config["timeout"] == 30 and config["key"] is None
        assert config["wheel"] == "calcgrade-0.1.0-py3-none-any.whl"
        assert archive.read("course/roster.csv") == EXAMPLE_ROSTER.read_bytes()
        assert bytes.fromhex(archive.read("course/secret").decode()) == SECRET
        setup = archive.read("setup.sh").decode()
        assert '"$SOURCE/calcgrade-0.1.0-py3-none-any.whl"' in setup
        assert "CALCGRADE_AUTOGRADER_ROOT:-/autograder" in archive.read("run_autograder").decode()
    assert out.stat().st_mode & 0o077 == 0  # the bundle holds the secret


@pytest.mark.parametrize("roster_text, words", [
    ("id,name\nann,Ann\n", "1 student(s) have no email (first: 'ann')"),
    ("id,email\nann,a@x.org\nbob,A@X.org\n", "'bob' and 'ann' share the email"),
])
def test_identify_by_email_needs_one_email_per_student(tmp_path, capsys, monkeypatch, roster_text,
                                                       words):
    monkeypatch.setenv("CALCGRADE_SECRET", SECRET_HEX)
    roster = write(tmp_path / "roster.csv", roster_text)
    code, _, err = run(capsys, "export", "gradescope", EXAMPLE_ASSIGNMENT, "--roster", roster,
                       "--out", tmp_path / "a.zip")
    assert code == 2 and words in err and "Traceback" not in err
    assert not (tmp_path / "a.zip").exists()


def test_out_must_name_a_file_and_wheel_must_be_a_wheel(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CALCGRADE_SECRET", SECRET_HEX)
    code, _, err = run(capsys, "export", "gradescope", EXAMPLE_ASSIGNMENT, "--roster",
                       EXAMPLE_ROSTER, "--out", tmp_path)
    assert code == 2 and "is a folder; name the zip file" in err
    code, _, err = run(capsys, "export", "gradescope", EXAMPLE_ASSIGNMENT, "--roster",
                       EXAMPLE_ROSTER, "--out", tmp_path / "a.zip", "--wheel", EXAMPLE_ROSTER)
    assert code == 2 and "expected a file named calcgrade-" in err
    assert list(tmp_path.iterdir()) == []
