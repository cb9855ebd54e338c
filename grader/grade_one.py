"""Grade one notebook of one known student, for the integrations that grade one at a time.

A Gradescope autograder or an otter-grader plugin knows whose submission it holds; this
runs the notebook's bytes through the same path as ``calcgrade grade --student ID`` (the
sandbox, marking in this process, the identity cross-check with the notebook's signed
metadata) in a scratch folder, and returns the gradebook's rows.

>>> OneGraded.__dataclass_fields__.keys()
dict_keys(['assignment', 'record', 'parts'])
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class OneGraded:
    """The assignment, the submission's gradebook record (status, total, flags) and its parts."""

    assignment: object
    record: object
    parts: list

    @property
    def flags(self) -> list[str]:
        """What identification and grading noticed (a notebook of another student …)."""
        return [flag for flag in self.record.flags.split("; ") if flag]


def _safe_name(label: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(label))[-100:].lstrip(".")
    return name if name.endswith(".ipynb") else (name or "submission") + ".ipynb"


def grade_one(notebook: bytes, label: str, student: str, assignment_path: str | os.PathLike,
              roster_path: str | os.PathLike, secret: bytes, *, key: str | os.PathLike | None = None,
              timeout: float = 60.0, memory_mib: int = 2048) -> OneGraded:
    """Grade ``notebook`` (its bytes; ``label`` is the file name it was handed in as) as
    ``student``'s submission."""
    from calcgrade.grader.assignment import load_assignment
    from calcgrade.grader.grade import grade
    from calcgrade.grader.gradebook import Gradebook

    with tempfile.TemporaryDirectory(prefix="calcgrade-one-") as scratch:
        inputs = Path(scratch) / "in"
        inputs.mkdir()
        path = inputs / _safe_name(label)
        path.write_bytes(notebook)
        out = Path(scratch) / "out"
        grade([str(path)], str(assignment_path), str(roster_path), str(out), secret,
              student=student, timeout=timeout, memory_mib=memory_mib, workers=1,
              key=None if key is None else str(key),
              # the platform says who submitted: a notebook of another course or secret is
              # graded as the submitter's variant and flagged, never refused
              allow_unverified=True)
        with Gradebook(out / "gradebook.sqlite") as book:
            record = next(r for r in book.submissions() if r.student == student)
            parts = book.parts(record.hash)
        return OneGraded(load_assignment(assignment_path), record, parts)
