"""The class roster: a CSV file with an ``id`` column and optional ``name`` and ``email``.

Optional columns for grade exports to an LMS (``calcgrade export grades``, see
:mod:`calcgrade.grader.integrations.lms`): ``canvas_id`` (Canvas's numeric user ID), ``sis_user_id``,
``sis_login_id`` and ``section`` (Canvas's SIS columns), ``username`` and ``idnumber``
(Moodle's user fields; Moodle can also match on ``email``). Empty when absent.

Ids name files (``notebooks/<id>.ipynb``), so they must be non-empty, unique (also when
case is ignored, for case-insensitive file systems) and safe as file names: letters,
digits, ``.``, ``_`` and ``-``, starting with a letter or digit, at most 64 characters.
Other columns are ignored; a header may be in any case and order.

>>> import io
>>> students = read_roster(io.StringIO("id,name\\nann01,Ann\\nbob02,Bob\\n"), "roster.csv")
>>> [(s.id, s.name) for s in students]
[('ann01', 'Ann'), ('bob02', 'Bob')]
>>> read_roster(io.StringIO("id\\nann01\\nann01\\n"), "roster.csv")
Traceback (most recent call last):
...
calcgrade.core.errors.UsageError: roster.csv: line 3: duplicate id 'ann01' (first on line 2); ids must be unique
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from typing import TextIO

from calcgrade.core.errors import UsageError

SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
LMS_COLUMNS = ("canvas_id", "sis_user_id", "sis_login_id", "section", "username", "idnumber")
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
            *(f"lpt{i}" for i in range(1, 10))}


@dataclass(frozen=True)
class Student:
    """One row of the roster."""

    id: str
    name: str = ""
    email: str = ""
    canvas_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    section: str = ""
    username: str = ""
    idnumber: str = ""

    @property
    def display_name(self) -> str:
        """The name when known, else the id."""
        return self.name or self.id


def id_problem(value: str) -> str | None:
    """Why ``value`` cannot be a student id, or None when it can.

    >>> id_problem("ann/../x")
    "'ann/../x' has characters other than letters, digits, '.', '_' and '-'"
    """
    if not value:
        return "the id is empty"
    if not SAFE_ID.fullmatch(value):
        if len(value) > 64:
            return f"{value[:20]!r}… is longer than 64 characters"
        if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
            return f"{value!r} has characters other than letters, digits, '.', '_' and '-'"
        return f"{value!r} must start with a letter or digit"
    if value.split(".")[0].lower() in RESERVED:
        return f"{value!r} is a reserved file name on Windows"
    return None


def read_roster(handle: TextIO, source: str) -> list[Student]:
    """Parse roster CSV text from ``handle``; ``source`` names it in error messages."""
    reader = csv.reader(handle)
    try:
        header = next(reader, None)
    except csv.Error as error:
        raise UsageError(f"{source}: line 1: not valid CSV: {error}") from None
    if header is None:
        raise UsageError(f"{source}: the file is empty; it needs a header line with an 'id' column")
    columns = [cell.strip().lower() for cell in header]
    if "id" not in columns:
        shown = ", ".join(repr(c) for c in columns if c) or "none"
        raise UsageError(f"{source}: line 1: no 'id' column (columns: {shown}); "
                         "the first line must name the columns, e.g. id,name,email")
    # the column of each Student field, in field order (None: absent, empty text)
    where = [columns.index(name) if name in columns else None
             for name in ("id", "name", "email", *LMS_COLUMNS)]
    students: list[Student] = []
    first_line: dict[str, tuple[str, int]] = {}
    try:
        for row in reader:
            if not "".join(row).strip():
                continue
            width = len(row)
            cells = [row[i].strip() if i is not None and i < width else "" for i in where]
            student_id = cells[0]
            if not SAFE_ID.fullmatch(student_id) or \
                    student_id.split(".", 1)[0].lower() in RESERVED:
                raise UsageError(f"{source}: line {reader.line_num}: {id_problem(student_id)}; an "
                                 "id must be a non-empty file-name-safe text (letters, digits, "
                                 "'.', '_', '-')")
            folded = student_id.lower()
            if folded in first_line:
                line = reader.line_num
                earlier, earlier_line = first_line[folded]
                if earlier == student_id:
                    raise UsageError(f"{source}: line {line}: duplicate id {student_id!r} "
                                     f"(first on line {earlier_line}); ids must be unique")
                raise UsageError(f"{source}: line {line}: id {student_id!r} differs only in case "
                                 f"from {earlier!r} (line {earlier_line}); ids must be unique "
                                 "ignoring case, as they name files")
            first_line[folded] = (student_id, reader.line_num)
            students.append(Student(*cells))
    except csv.Error as error:
        raise UsageError(f"{source}: line {reader.line_num}: not valid CSV: {error}") from None
    if not students:
        raise UsageError(f"{source}: no students: add one line per student below the header")
    return students


def load_roster(path: str | os.PathLike) -> list[Student]:
    """Read and check the roster file at ``path``."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            return read_roster(handle, str(path))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such roster file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a roster file") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"{path}: not UTF-8 text ({error.reason}); save the roster as UTF-8 CSV") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot read the roster: {error.strerror}") from None
