"""Rosters: an id column, unique file-name-safe ids, errors with the line."""

from __future__ import annotations

import io

import pytest

from calcgrade.core.errors import UsageError
from calcgrade.grader.course.roster import load_roster, read_roster


def read(text: str):
    return read_roster(io.StringIO(text), "class.csv")


def error_of(text: str) -> str:
    with pytest.raises(UsageError) as caught:
        read(text)
    message = str(caught.value)
    assert message.startswith("class.csv: ") and "\n" not in message
    return message


def test_reads_ids_names_and_emails_in_any_column_order_and_case():
    students = read("Email, ID ,Name,section\nann@x.edu,ann01,Ann,A\n\nbob@x.edu, bob02 ,Bob,B\n")
    assert [(s.id, s.name, s.email) for s in students] == [
        ("ann01", "Ann", "ann@x.edu"), ("bob02", "Bob", "bob@x.edu")]


def test_name_and_email_are_optional():
    (student,) = read("id\nann01\n")
    assert (student.id, student.name, student.email, student.display_name) == ("ann01", "", "", "ann01")


def test_a_byte_order_mark_from_a_spreadsheet_is_ignored(tmp_path):
    path = tmp_path / "class.csv"
    path.write_bytes("id,name\nann01,Ann Lee\n".encode("utf-8-sig"))
    assert [s.id for s in load_roster(path)] == ["ann01"]


def test_a_roster_without_an_id_column_is_refused():
    message = error_of("student,name\nann01,Ann\n")
    assert "line 1" in message and "no 'id' column" in message and "'student'" in message


def test_duplicate_ids_name_both_lines():
    message = error_of("id\nann01\nbob02\nann01\n")
    assert "line 4" in message and "duplicate id 'ann01'" in message and "line 2" in message


def test_ids_that_differ_only_in_case_would_collide_as_file_names():
    message = error_of("id\nAnn01\nann01\n")
    assert "line 3" in message and "case" in message


@pytest.mark.parametrize("bad", ["", "../etc", "a b", ".hidden", "a/b", "x" * 65, "con", "émile"])
def test_ids_must_be_non_empty_and_safe_as_file_names(bad):
    message = error_of(f'id,name\nok1,Ok\n"{bad}",Someone\n')
    assert "line 3" in message


def test_an_empty_file_or_a_header_alone_is_refused():
    assert "empty" in error_of("")
    assert "no students" in error_of("id,name\n")


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no such roster file"):
        load_roster(tmp_path / "missing.csv")
