"""The summary of a graded folder: counts over every row, short lists, read from the reports."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from calcgrade.grader.grading.summary import LIMIT, summarize

GRADES = ["student", "name", "status", "reason", "total", "max", "q1", "flags"]


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture
def big_class(tmp_path):
    """500 students: every 10th missing, every 25th timed out, every 50th flagged, one with
    a part for review; files without a student."""
    rows, totals = [], []
    for i in range(500):
        student = f"s{i:04d}"
        if i % 10 == 3:
            rows.append([student, "", "missing", "no submission", "0", "10", "0", ""])
        elif i % 25 == 7:
            rows.append([student, "", "timeout", "the notebook ran longer than 60 s", "0", "10", "0", ""])
        else:
            flags = ("the notebook's calcgrade token does not verify (edited metadata)" if i % 50 == 0
                     else "2 cell(s) raised an error, first NameError in cell 3")
            total = i % 11 if i % 11 <= 10 else 10
            totals.append(total)
            rows.append([student, "", "graded", "", str(total), "10", str(total), flags])
    write_csv(tmp_path / "grades.csv", GRADES, rows)
    write_csv(tmp_path / "parts.csv", ["student", "problem", "answer", "family", "score", "max",
                                       "status", "mistake"],
              [["s0001", "1", "derivative", "derivative", "0", "2", "review", ""],
               ["s0001", "1", "value", "derivative", "2", "2", "correct", ""],
               ["s0002", "1", "value", "derivative", "2", "2", "correct", ""]])
    write_csv(tmp_path / "submissions.csv", ["path", "student", "status", "reason", "total", "max",
                                             "counted", "flags", "sha256"],
              [[f"subs/x{i}.ipynb", "", "unidentified", "no roster id", "0", "10", "no", "", ""]
               for i in range(30)] + [["subs/notes.txt", "", "not_notebook", "a .txt file", "0", "10",
                                       "no", "", ""]])
    return tmp_path, totals


def test_counts_cover_every_row_and_lists_stop_at_the_limit(big_class):
    folder, totals = big_class
    found = summarize(folder)
    assert found.students == 500
    missing = [i for i in range(500) if i % 10 == 3]
    timeouts = [i for i in range(500) if i % 10 != 3 and i % 25 == 7]
    assert found.statuses == {"missing": len(missing), "timeout": len(timeouts),
                              "graded": 500 - len(missing) - len(timeouts)}
    assert found.mean == pytest.approx(sum(totals) / len(totals))
    assert found.median == pytest.approx(float(np.median(totals)))
    flagged = [i for i in range(500) if i % 50 == 0 and i % 10 != 3 and i % 25 != 7]
    assert found.attention_count == len(timeouts) + len(flagged) + 1  # and the review
    assert len(found.attention) == LIMIT
    assert [row.student for row in found.attention][:2] == ["s0000", "s0001"]
    assert found.attention[1].reason == "1 part marked for review"
    assert len(found.missing) == LIMIT and found.missing[0] == "s0003"
    assert found.review_parts == 1
    assert (found.unassigned_notebook_count, len(found.unassigned_notebooks)) == (30, LIMIT)
    assert found.unassigned_other_count == 1


def test_informative_flags_alone_do_not_ask_for_attention(big_class):
    folder, _ = big_class
    found = summarize(folder, limit=1000)
    assert not any("cell(s) raised" in row.reason for row in found.attention)
    assert all(row.status != "graded" or "token" in row.reason or "review" in row.reason
               for row in found.attention)
