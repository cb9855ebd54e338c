"""What ``calcgrade grade`` prints: the class in a few lines and the rows that need attention.

The summary is read back from the reports just written to the output folder
(``grades.csv``, ``parts.csv``, ``submissions.csv``), one row at a time, so it shows exactly
what the files say and its size does not grow with the class: counts, and at most
``LIMIT`` rows of each list.

A student needs attention when their submission could not be graded (an error, a file
that is not a notebook), when a part is marked for review, or when identification noticed
something an instructor should look at (a token that does not verify, a notebook
generated for someone else, a notebook without calcgrade metadata, memory running out,
answers that fit a classmate's variant, a late submission).
Missing students are listed on their own line; files that name no student are counted,
and notebooks among them are listed.

>>> row = {"student": "ann", "status": "graded", "total": "3", "max": "5", "reason": "",
...        "flags": "the notebook's calcgrade token does not verify (edited metadata)"}
>>> attention_reason(row, review=1)
"1 part marked for review; the notebook's calcgrade token does not verify (edited metadata)"
>>> attention_reason({**row, "flags": "identified by the notebook's signed metadata"}, review=0)
''
"""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

GRADED, MISSING, UNIDENTIFIED = "graded", "missing", "unidentified"
LIMIT = 20
# flags that ask an instructor to look (the others only inform: which file counted, how
# the student was identified, that a cell raised an error)
_WORRYING = ("does not verify", "was generated for", "has no calcgrade metadata",
             "ran out of memory", "copied answers?", "late: submitted")


@dataclass
class Attention:
    """One row to look at: who, what became of their submission, and why it is listed."""

    student: str
    status: str
    total: str
    max: str
    reason: str


@dataclass
class ClassSummary:
    """The class as ``grades.csv`` and its companions say, in counts and short lists."""

    students: int = 0
    statuses: Counter = field(default_factory=Counter)
    max_points: str = ""
    mean: float | None = None
    median: float | None = None
    attention: list[Attention] = field(default_factory=list)
    attention_count: int = 0
    missing: list[str] = field(default_factory=list)
    review_parts: int = 0
    unassigned_notebooks: list[tuple[str, str]] = field(default_factory=list)
    unassigned_notebook_count: int = 0
    unassigned_other_count: int = 0


def attention_reason(row: dict, review: int) -> str:
    """Why a row of ``grades.csv`` needs attention ("" when it does not)."""
    if row["status"] == MISSING:
        return ""
    if row["status"] != GRADED:
        return row["reason"] or row["status"]
    notes = [f"{review} part{'s' if review != 1 else ''} marked for review"] if review else []
    notes += [flag for flag in row.get("flags", "").split("; ")
              if any(word in flag for word in _WORRYING)]
    return "; ".join(notes)


def _rows(path: Path):
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            yield from csv.DictReader(handle)
    except FileNotFoundError:
        return


def _review_counts(out: Path) -> Counter:
    """Student -> parts marked for review, from ``parts.csv`` (counted submissions only)."""
    counts: Counter = Counter()
    for row in _rows(out / "parts.csv"):
        if row.get("status") == "review":
            counts[row["student"]] += 1
    return counts


def summarize(out: str | Path, limit: int = LIMIT) -> ClassSummary:
    """The summary of the reports in ``out`` (see the module docstring)."""
    out = Path(out)
    review = _review_counts(out)
    summary = ClassSummary(review_parts=sum(review.values()))
    scores = []
    for row in _rows(out / "grades.csv"):
        summary.students += 1
        summary.statuses[row["status"]] += 1
        summary.max_points = row["max"]
        if row["status"] == GRADED:
            scores.append(float(row["total"]))
        if row["status"] == MISSING:
            if len(summary.missing) < limit:
                summary.missing.append(row["student"])
            continue
        reason = attention_reason(row, review[row["student"]])
        if reason:
            summary.attention_count += 1
            if len(summary.attention) < limit:
                summary.attention.append(Attention(row["student"], row["status"], row["total"],
                                                   row["max"], reason))
    if scores:
        summary.mean, summary.median = statistics.fmean(scores), statistics.median(scores)
    for row in _rows(out / "submissions.csv"):
        if row["student"]:
            continue
        if row["status"] == UNIDENTIFIED:
            summary.unassigned_notebook_count += 1
            if len(summary.unassigned_notebooks) < limit:
                summary.unassigned_notebooks.append((row["path"], row["reason"]))
        else:
            summary.unassigned_other_count += 1
    return summary


def one_submission(out: str | Path) -> Attention:
    """The one file of a run that graded a single file: who, what became of it, and its
    reason and worrying flags (from ``submissions.csv``)."""
    for row in _rows(Path(out) / "submissions.csv"):
        reason = row["reason"] if row["status"] != GRADED else "; ".join(
            flag for flag in row["flags"].split("; ") if any(word in flag for word in _WORRYING))
        return Attention(row["student"], row["status"], row["total"], row["max"], reason)
    return Attention("", "", "0", "0", "")
