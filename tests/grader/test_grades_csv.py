"""grades.csv written with the rows of students without a submission made once: the same
bytes as the generic CSV writer gives for the same rows (the oracle: ``csv`` itself)."""

from __future__ import annotations

from types import SimpleNamespace

from hypothesis import given, settings, strategies as st

from calcgrade.grader.course.roster import Student
from calcgrade.grader.grading.gradebook import PartRecord, SubmissionRecord
from calcgrade.grader.grading.reports import grades_rows_of, write_csv, write_grades_csv

ASSIGNMENT = SimpleNamespace(total_points=7.5, problems=[SimpleNamespace(number=1),
                                                         SimpleNamespace(number=2)])
TEXT = st.text(st.sampled_from('ab ,"\r\n=+-@\t\'é1.'), max_size=8)


def _parts(hash_: str) -> list[PartRecord]:
    return [PartRecord(hash_, 1, "value", "derivative", 1.5, 2.0, "partial", "", None, "", ""),
            PartRecord(hash_, 2, "x", "newton", 0.25, 1.0, "partial", "", None, "", "")]


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(TEXT, st.none() | st.tuples(TEXT, TEXT)), max_size=8))
def test_grades_csv_is_what_the_csv_writer_writes(tmp_path_factory, students):
    folder = tmp_path_factory.mktemp("grades")
    pairs = [(Student(f"s{index}", name),
              None if record is None else SubmissionRecord(f"h{index}", f"s{index}", "p.ipynb",
                                                           "graded", record[0], 1.75, 7.5,
                                                           record[1]))
             for index, (name, record) in enumerate(students)]
    write_csv(folder / "expected.csv", grades_rows_of(ASSIGNMENT, pairs, _parts))
    write_grades_csv(folder / "found.csv", ASSIGNMENT, pairs, _parts)
    assert (folder / "found.csv").read_bytes() == (folder / "expected.csv").read_bytes()
