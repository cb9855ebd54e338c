"""Late submissions: when each submission came in, whether it was late, and the penalty.

The assignment file may give a ``deadline`` and a ``[late]`` policy
(:class:`~calcgrade.grader.course.assignment.LatePolicy`): ``penalty_per_day`` takes that
fraction of the total off for every started day after the deadline (at most all of it),
``cutoff`` gives 0 to a submission after that time. ``calcgrade grade --submitted-at``
says when each submission came in:

- ``mtime``: the file's modification time (an archive member's date in its archive, read
  as UTC: archives keep no zone);
- a CSV file with a header row: a column naming the submission — ``student`` (an id of
  the roster; also ``id``, ``sid``, ``login_id``, ``email``) or ``file`` (the file's name,
  also ``path``, ``filename``) — and a time column ``submitted_at`` (also ``submission
  time``, ``submitted``); a time is ISO 8601 with a zone (``2025-03-14T23:58:12+01:00``,
  ``…Z``) or ``2025-03-14 23:58:12 -0700`` as LMS exports write it. Column names are
  matched without regard to case, spaces or underscores.

A submission without a known time is not marked late. Lateness never touches the
gradebook's marks: the penalty is applied to the total where grades are written
(grades.csv, feedback, Gradescope results, exports) and shown beside it.

>>> from datetime import datetime, timezone
>>> from calcgrade.grader.course.assignment import LatePolicy
>>> deadline = datetime(2025, 3, 14, 23, 59, tzinfo=timezone.utc)
>>> late = lateness(datetime(2025, 3, 16, 1, 0, tzinfo=timezone.utc), deadline,
...                 LatePolicy(penalty_per_day=0.1))
>>> late.days, late.penalty, penalized(8.0, late.penalty)
(1.042, 0.2, 6.4)
"""

from __future__ import annotations

import csv
import math
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from calcgrade.core.errors import UsageError
from calcgrade.grader.course.assignment import parse_time

DAY = 86400.0
_STUDENT_COLUMNS = ("student", "id", "sid", "loginid", "sisloginid", "email", "studentid")
_FILE_COLUMNS = ("file", "filename", "path")
_TIME_COLUMNS = ("submittedat", "submissiontime", "submitted", "submissiondate", "time")


@dataclass(frozen=True)
class Lateness:
    """A counted submission's time, how many days after the deadline (0 when on time) and
    the share of the total it loses."""

    submitted_at: str
    days: float
    penalty: float

    @property
    def late(self) -> bool:
        return self.days > 0

    def text(self) -> str:
        """The flag as grades.csv, the feedback and the report show it.

        >>> Lateness("2025-03-16T01:00:00+00:00", 1.042, 0.2).text()
        'late: submitted 2025-03-16T01:00:00+00:00, 1.04 days after the deadline, 20% off the total'
        """
        # no "; " inside: flags are joined with it
        penalty = (f", {round(self.penalty * 100, 2):g}% off the total" if self.penalty < 1 else
                   ", after the cut-off: scored 0") if self.penalty else ", no penalty"
        return f"late: submitted {self.submitted_at}, {self.days:.3g} days after the deadline{penalty}"


def lateness(submitted: datetime, deadline: datetime, policy) -> Lateness:
    """How late ``submitted`` is for ``deadline`` under ``policy`` (a LatePolicy or None)."""
    seconds = (submitted - deadline).total_seconds()
    days = round(max(seconds, 0.0) / DAY, 3)
    penalty = 0.0
    if seconds > 0 and policy is not None:
        if policy.penalty_per_day:
            penalty = min(1.0, math.ceil(seconds / DAY) * policy.penalty_per_day)
        if policy.cutoff is not None and submitted > policy.cutoff:
            penalty = 1.0
    return Lateness(submitted.isoformat(), days, round(penalty, 6))


def penalized(total: float, penalty: float) -> float:
    """``total`` less ``penalty`` (a fraction) of it.

    >>> penalized(9.0, 1.0), penalized(9.0, 0.0)
    (0.0, 9.0)
    """
    return round(total * (1.0 - penalty), 6)


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    keys = [re.sub(r"[\s_()-]", "", name.lower()) for name in header]
    for name in names:
        if name in keys:
            return keys.index(name)
    return None


SubmittedAt = Callable[[str | None, str, float], "datetime | None"]


def submission_times(spec: str | None) -> SubmittedAt | None:
    """``--submitted-at`` -> a function (student, file label, mtime) -> the submission's
    time or None; None for no ``--submitted-at``. A bad CSV is a clear UsageError."""
    if not spec:
        return None
    if spec == "mtime":
        return lambda student, label, mtime: (datetime.fromtimestamp(mtime, timezone.utc)
                                              if mtime else None)
    path = Path(spec)
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise UsageError(f"--submitted-at {spec}: no such file (give 'mtime' or a CSV with "
                         "columns student or file, and submitted_at)") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UsageError(f"--submitted-at {spec}: cannot read it as a UTF-8 CSV ({error})") from None
    if not rows:
        raise UsageError(f"--submitted-at {spec}: the file is empty")
    header = rows[0]
    who, name, when = (_column(header, _STUDENT_COLUMNS), _column(header, _FILE_COLUMNS),
                       _column(header, _TIME_COLUMNS))
    if when is None or (who is None and name is None):
        raise UsageError(f"--submitted-at {spec}: the header needs a column student (or file) and "
                         f"a column submitted_at; it has {', '.join(header) or 'no names'}")
    by_student: dict[str, datetime] = {}
    by_file: dict[str, datetime] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= when or not row[when].strip():
            continue
        stamp = parse_time(row[when], f"--submitted-at {spec}: line {line}")
        if who is not None and len(row) > who and row[who].strip():
            by_student[row[who].strip()] = stamp
        if name is not None and len(row) > name and row[name].strip():
            by_file[os.path.basename(row[name].strip().replace("\\", "/"))] = stamp

    def time_of(student: str | None, label: str, mtime: float) -> datetime | None:
        base = label.rsplit("!", 1)[-1].replace("\\", "/").rsplit("/", 1)[-1]
        return by_file.get(base) or (by_student.get(student) if student else None)
    return time_of
