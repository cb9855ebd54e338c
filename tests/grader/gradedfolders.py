"""A graded folder built by hand: a gradebook with known submissions, parts and class."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from calcgrade.grader.grading.gradebook import ClassRow, Gradebook, PartRecord, SubmissionRecord
from calcgrade.grader.course.roster import Student

ANN = Student("ann01", "Ann Lee", "ann@example.edu", canvas_id="101", sis_user_id="S-1",
              sis_login_id="alee", section="A", username="alee", idnumber="9001")
BOB = Student("bob02", "Bob Roy", "bob@example.edu", canvas_id="102", sis_user_id="S-2",
              sis_login_id="broy", section="B", username="broy", idnumber="9002")
CAT = Student("cat03", "=HYPERLINK(\"http://x\")", "cat@example.edu", sis_login_id="cat")


def graded_folder(root: Path, students=(ANN, BOB, CAT), parts_feedback: str = "Correct.") -> Path:
    """``root`` as ``calcgrade grade`` leaves it for a 10-point, 2-problem assignment:
    ann01 graded 7.5 (problem 1: 4 of 4, problem 2: 3.5 of 6), bob02 timed out (0),
    cat03 and anyone else without a submission."""
    root.mkdir(parents=True, exist_ok=True)
    with Gradebook(root / "gradebook.sqlite") as book:
        book.set_meta("assignment", "hw1")
        book.record(SubmissionRecord("h-ann", "ann01", "ann01.ipynb", "graded", "", 7.5, 10.0,
                                     "late"),
                    [PartRecord("h-ann", 1, "value", "derivative", 4.0, 4.0, "correct",
                                parts_feedback, None, "a number", "3"),
                     PartRecord("h-ann", 2, "iterates", "newton", 3.5, 6.0, "partial",
                                "Step 2 is the first wrong step.", "newton.gradient_step",
                                "iterates", "[[1], [2]]")])
        book.record(SubmissionRecord("h-bob", "bob02", "bob02.ipynb", "timeout",
                                     "ran longer than 60 s", 0.0, 10.0), [])
        counted = {"ann01": "h-ann", "bob02": "h-bob"}
        rows = [ClassRow(i, s.id, json.dumps({k: v for k, v in dataclasses.asdict(s).items()
                                              if k != "id"}), counted.get(s.id))
                for i, s in enumerate(students)]
        book.set_class({"title": "HW 1: Newton", "total_points": "10.0", "problems": "[1, 2]"},
                       rows)
    return root
