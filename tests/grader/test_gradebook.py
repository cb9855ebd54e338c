"""The SQLite gradebook: real database files, atomic records, resumable reads."""

from __future__ import annotations

import sqlite3

from hypothesis import given, settings, strategies as st

from calcgrade.grader.grading.gradebook import Gradebook, PartRecord, SubmissionRecord


def part(hash_, problem, answer, score=1.0):
    return PartRecord(hash_, problem, answer, "newton", score, 1.0, "correct", "", None, "iterates", "a list", "[[1.0]]")


def test_records_survive_reopening(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    with Gradebook(path) as book:
        book.record(SubmissionRecord("h1", "ada", "ada.ipynb", "graded", "", 2.0, 2.0),
                    [part("h1", 1, "iterates"), part("h1", 2, "value")])
    with Gradebook(path) as book:
        assert book.has("h1")
        assert [p.answer for p in book.parts("h1")] == ["iterates", "value"]
        assert book.submission("h1").student == "ada"


def test_regrading_replaces_the_parts(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.record(SubmissionRecord("h", "bo", "bo.ipynb", "graded", "", 1.0, 2.0),
                    [part("h", 1, "a", 0.0), part("h", 1, "b")])
        book.record(SubmissionRecord("h", "bo", "bo.ipynb", "graded", "", 2.0, 2.0),
                    [part("h", 1, "a"), part("h", 1, "b")])
        assert [p.score for p in book.parts("h")] == [1.0, 1.0]
        assert len(book.submissions()) == 1


def test_a_failed_record_leaves_nothing_half_written(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        duplicate = [part("h", 1, "a"), part("h", 1, "a")]
        try:
            book.record(SubmissionRecord("h", "cy", "cy.ipynb", "graded", "", 1.0, 1.0), duplicate)
        except sqlite3.IntegrityError:
            pass
        assert not book.has("h") and book.parts("h") == []


def test_meta_settings(tmp_path):
    with Gradebook(tmp_path / "g.sqlite") as book:
        assert book.get_meta("assignment") is None
        book.set_meta("assignment", "hw1")
    with Gradebook(tmp_path / "g.sqlite") as book:
        assert book.get_meta("assignment") == "hw1"


def test_the_counted_inputs_come_back_in_roster_order_across_pages(tmp_path):
    """Every roster student with a counted input, once, in roster order (the last counted in
    path order when a student has two), however many pages the class takes."""
    from calcgrade.grader.grading import gradebook
    from calcgrade.grader.grading.gradebook import ClassRow

    size = 2 * gradebook.PAGE + 7
    roster = [f"s{i:04d}" for i in range(size)][::-1]   # roster order is not id order
    counted = {student for index, student in enumerate(roster) if index % 3 != 1}
    with Gradebook(tmp_path / "g.sqlite") as book:
        book.set_class({}, [ClassRow(position, student, "{}") for position, student in enumerate(roster)])
        inputs = [(None, student, True, f"first {student}") for student in sorted(counted)]
        inputs += [(None, roster[0], True, f"second {roster[0]}"),
                   (None, roster[1], False, "not counted")]
        book.start_run(inputs)
        found = list(book.counted_in_roster_order())
    expected = [(position, f"{'second' if position == 0 else 'first'} {student}")
                for position, student in enumerate(roster) if student in counted]
    assert found == expected


@settings(deadline=None)
@given(st.lists(st.text(max_size=12), min_size=8, max_size=8))
def test_the_class_table_keeps_a_students_fields_as_json_dumps_writes_them(values):
    import json

    from calcgrade.grader.course.roster import Student
    from calcgrade.grader.grading.grade import _fields_json

    student = Student("s1", *values)
    expected = json.dumps({name: value for name, value in vars(student).items()
                           if value and name != "id"}, ensure_ascii=False)
    assert _fields_json(student) == expected
    assert json.loads(_fields_json(student)) == json.loads(expected)
