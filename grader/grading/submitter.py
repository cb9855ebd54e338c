"""Who handed a submission in, from a grading platform's submission metadata.

Gradescope writes ``/autograder/submission_metadata.json`` for each submission (documented
in "Submission Metadata", gradescope-autograders.readthedocs.io): its ``users`` list has
one entry per submitter (several for a group submission), each with ``email``, ``id``
(Gradescope's user id) and ``name``; courses that keep student IDs in Gradescope also see
``sid``. otter-grader hands the same dictionary to its plugins.

Which field names the roster student is the course's choice: ``email`` is compared with
the roster's ``email`` column (ignoring case and surrounding spaces), ``id`` and ``sid``
with the roster's ``id`` column (exactly, as text).

>>> from calcgrade.grader.course.roster import Student
>>> roster = [Student("ada01", "Ada", "Ada@Example.edu")]
>>> submitter({"users": [{"email": "ada@example.edu ", "id": 7}]}, roster, "email")
('ada01', [])
>>> submitter({"users": [{"email": "eve@example.edu"}]}, roster, "email")
Traceback (most recent call last):
...
calcgrade.grader.grading.submitter.SubmitterError: the submitter's email 'eve@example.edu' is not on the course's calcgrade roster; ask your instructor to add it
"""

from __future__ import annotations

from typing import Any

from calcgrade.core.errors import CalcgradeError

FIELDS = ("email", "id", "sid")
_SHOWN = {"email": "email", "id": "Gradescope user id", "sid": "student ID"}


class SubmitterError(CalcgradeError):
    """The submitter cannot be matched with a roster student; the message is for them."""

    exit_code = 2


def _key(field: str, value: Any) -> str:
    text = str(value).strip()
    return text.lower() if field == "email" else text


def submitter(metadata: Any, roster, field: str) -> tuple[str, list[str]]:
    """(roster id, notes) of the first submitter in ``metadata`` (the parsed JSON)."""
    if field not in FIELDS:
        raise ValueError(f"field must be one of {FIELDS}, not {field!r}")
    users = metadata.get("users") if isinstance(metadata, dict) else None
    if not isinstance(users, list) or not users or not isinstance(users[0], dict):
        raise SubmitterError("the submission metadata names no submitter, so calcgrade cannot "
                             "tell whose variant to grade; ask your instructor")
    value = users[0].get(field)
    if value is None or isinstance(value, (dict, list, bool)) or not str(value).strip():
        raise SubmitterError(f"the submission metadata has no {_SHOWN[field]} for the submitter, "
                             "so calcgrade cannot tell whose variant to grade; ask your instructor")
    column = "email" if field == "email" else "id"
    wanted = _key(field, value)
    found = [s.id for s in roster if _key(field, getattr(s, column)) == wanted]
    if not found:
        raise SubmitterError(f"the submitter's {_SHOWN[field]} {str(value).strip()!r} is not on "
                             "the course's calcgrade roster; ask your instructor to add it")
    notes = []
    if len(users) > 1:
        notes.append(f"a group submission of {len(users)} students: graded as the variant of "
                     f"{found[0]}, the first of them")
    return found[0], notes
