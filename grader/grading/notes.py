"""What a grading run notices about each counted submission beyond its marks: answers that
fit a classmate's variant (:mod:`~calcgrade.grader.grading.copies`) and lateness
(:mod:`~calcgrade.grader.grading.late`).

:func:`class_notes` computes them after marking, from the gradebook, and keeps them in the
gradebook's ``notes`` setting (student -> :class:`StudentNote` as JSON), where the reports,
a review's rewrite and the exports read them back. A note never changes a mark: a late
penalty is applied to the total where grades are written (:func:`StudentNote.total`).

>>> note = StudentNote(copy_of="ann", copy_parts=2, copy_flag="copied answers? ...",
...                    submitted_at="2025-03-15T10:00:00+00:00", late_days=0.5, late_penalty=0.1,
...                    late_flag="late: ...")
>>> note.total(8.0), note.flags()
(7.2, ['copied answers? ...', 'late: ...'])
>>> StudentNote.from_json(note.as_json()) == note
True
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Callable, Mapping

from calcgrade.grader.grading.late import lateness, penalized

NOTES = "notes"
COLUMNS = ("submitted_at", "late_days", "late_penalty", "copy_of", "copy_parts")


@dataclass(frozen=True)
class StudentNote:
    """The copy flag and the lateness of one student's counted submission ("" / 0 when none)."""

    copy_of: str = ""
    copy_parts: int = 0
    copy_flag: str = ""
    submitted_at: str = ""
    late_days: float = 0.0
    late_penalty: float = 0.0
    late_flag: str = ""

    def total(self, raw: float) -> float:
        """The total after the late penalty."""
        return penalized(raw, self.late_penalty) if self.late_penalty else raw

    def flags(self) -> list[str]:
        return [flag for flag in (self.copy_flag, self.late_flag) if flag]

    def columns(self) -> list[str]:
        """The cells of grades.csv's :data:`COLUMNS`."""
        return [self.submitted_at, f"{self.late_days:g}" if self.late_days else "",
                f"{self.late_penalty:g}" if self.late_penalty else "", self.copy_of,
                str(self.copy_parts) if self.copy_parts else ""]

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping) -> "StudentNote":
        return cls(**{key: data[key] for key in cls.__dataclass_fields__ if key in data})


NO_NOTE = StudentNote()


def class_notes(book, assignment, times: Callable | None,
                counted_input: Callable[[str], tuple[str, float] | None]) -> dict[str, StudentNote]:
    """Every counted student's note (only students with something to note), stored in
    ``book``. ``times(student, label, mtime)`` is ``--submitted-at``'s reading (None: no
    times given); ``counted_input(student)`` the (label, mtime) of the file that counts."""
    from calcgrade.grader.grading.copies import class_copies

    copies = class_copies(book)
    notes: dict[str, StudentNote] = {}
    for student, flag in copies.items():
        notes[student] = StudentNote(copy_of=flag.classmate, copy_parts=len(flag.parts),
                                     copy_flag=flag.text())
    if times is not None and assignment.deadline is not None:
        for student in book.counted_students():
            where = counted_input(student)
            if where is None:
                continue
            submitted = times(student, *where)
            if submitted is None:
                continue
            late = lateness(submitted, assignment.deadline, assignment.late)
            fields = {"submitted_at": late.submitted_at}
            if late.late:
                fields.update(late_days=late.days, late_penalty=late.penalty, late_flag=late.text())
            base = notes.get(student, NO_NOTE)
            notes[student] = StudentNote(**{**base.as_json(), **fields})
    book.set_meta(NOTES, json.dumps({s: n.as_json() for s, n in notes.items()}, sort_keys=True,
                                    ensure_ascii=False))
    return notes


def read_notes(book) -> dict[str, StudentNote]:
    """The notes the last grading run kept in ``book`` (empty before any)."""
    data = json.loads(book.get_meta(NOTES) or "{}")
    return {student: StudentNote.from_json(note) for student, note in data.items()}
