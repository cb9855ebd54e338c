"""Late submissions: the assignment's deadline and late policy, submission times from
file modification times or an LMS's CSV, and the penalty (hand-worked examples)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest

from calcgrade.core.errors import UsageError
from calcgrade.grader.course.assignment import LatePolicy, parse_assignment
from calcgrade.grader.grading.late import lateness, penalized, submission_times

HEAD = 'id = "hw"\ntitle = "HW"\n'
PROBLEM = '\n[[problems]]\nfamily = "sigmoid_gradient"\nparams = { z = 0.5 }\n'
UTC = timezone.utc
DEADLINE = datetime(2025, 3, 14, 23, 59, tzinfo=timezone(timedelta(hours=1)))


def _assignment(top: str, tables: str = ""):
    return parse_assignment(HEAD + top + PROBLEM + tables, "hw.toml")


def test_a_deadline_is_a_toml_time_or_iso_text_with_a_zone():
    a = _assignment("deadline = 2025-03-14T23:59:00+01:00\n")
    assert a.deadline == DEADLINE and a.late is None
    b = _assignment('deadline = "2025-03-14T22:59:00Z"\n',
                    "[late]\npenalty_per_day = 0.25\ncutoff = 2025-03-17T00:00:00Z\n")
    assert b.deadline == DEADLINE
    assert b.late == LatePolicy(0.25, datetime(2025, 3, 17, tzinfo=UTC))


@pytest.mark.parametrize("top, tables, message", [
    ("deadline = 2025-03-14T23:59:00\n", "", "has no time zone"),
    ('deadline = "Friday"\n', "", "is not a time"),
    ("deadline = 3\n", "", "must be a time with a zone"),
    ("", "[late]\npenalty_per_day = 0.1\n", "[late] needs a deadline"),
    ("deadline = 2025-03-14T23:59:00Z\n", "[late]\npenalty_per_day = 10\n",
     "penalty_per_day must be a fraction between 0 and 1"),
    ("deadline = 2025-03-14T23:59:00Z\n", "[late]\npenalty_per_day = true\n",
     "penalty_per_day must be a fraction"),
    ("deadline = 2025-03-14T23:59:00Z\n", "[late]\npenalty = 0.1\n",
     "unknown key 'penalty' in [late]"),
    ("deadline = 2025-03-14T23:59:00Z\n", "[late]\ncutoff = 2025-03-01T00:00:00Z\n",
     "is before the deadline"),
    ("deadline = 2025-03-14T23:59:00Z\n", "[late]\ncutoff = 2025-03-20\n", "cutoff"),
])
def test_bad_deadlines_and_policies_are_clear_errors(top, tables, message):
    with pytest.raises(UsageError, match="^hw.toml") as error:
        _assignment(top, tables)
    assert message in str(error.value)


@pytest.mark.parametrize("after, policy, days, penalty", [
    (timedelta(hours=-1), LatePolicy(0.1), 0.0, 0.0),              # on time
    (timedelta(hours=1), None, 0.042, 0.0),                        # late, no policy
    (timedelta(hours=1), LatePolicy(0.1), 0.042, 0.1),             # a started day
    (timedelta(days=1), LatePolicy(0.1), 1.0, 0.1),                # exactly one day
    (timedelta(days=1, seconds=1), LatePolicy(0.1), 1.0, 0.2),
    (timedelta(days=30), LatePolicy(0.1), 30.0, 1.0),              # never more than all
    (timedelta(days=2), LatePolicy(0.0, DEADLINE + timedelta(days=1)), 2.0, 1.0),  # cut-off
    (timedelta(hours=12), LatePolicy(0.0, DEADLINE + timedelta(days=1)), 0.5, 0.0),
])
def test_lateness_and_penalty_by_hand(after, policy, days, penalty):
    late = lateness(DEADLINE + after, DEADLINE, policy)
    assert (late.days, late.penalty) == (days, penalty)
    assert late.late == (after > timedelta(0))
    assert penalized(7.5, late.penalty) == pytest.approx(7.5 * (1 - penalty))


def test_times_from_modification_times(tmp_path):
    times = submission_times("mtime")
    stamp = DEADLINE.timestamp() + 3600
    assert times("s1", "x/s1.ipynb", stamp) == DEADLINE + timedelta(hours=1)
    assert times("s1", "x/s1.ipynb", 0.0) is None
    assert submission_times(None) is None and submission_times("") is None


def test_times_from_a_csv_by_student_or_by_file(tmp_path):
    path = tmp_path / "times.csv"
    path.write_text("student,submitted_at\ns1,2025-03-15T10:00:00+01:00\ns2,\n\n", encoding="utf-8")
    times = submission_times(str(path))
    assert times("s1", "in/s1.ipynb", 0.0) == datetime(2025, 3, 15, 9, tzinfo=UTC)
    assert times("s2", "in/s2.ipynb", 0.0) is None
    assert times(None, "in/s1.ipynb", 0.0) is None
    # the layout of an LMS export: other columns, names in another case, a file column,
    # times as "YYYY-MM-DD HH:MM:SS -0700"
    path.write_text("First Name,SID,Filename,Submission Time\n"
                    "Ann,s1,ann_s1.ipynb,2025-03-14 16:00:00 -0700\n", encoding="utf-8-sig")
    times = submission_times(str(path))
    assert times("s1", "in/s1.ipynb", 0.0) == datetime(2025, 3, 14, 23, tzinfo=UTC)
    assert times("s9", "a.zip!x/ann_s1.ipynb", 0.0) == datetime(2025, 3, 14, 23, tzinfo=UTC)


@pytest.mark.parametrize("text, message", [
    ("name,when\nann,2025-03-14T23:59:00Z\n", "needs a column student (or file)"),
    ("student,submitted_at\nann,yesterday\n", "line 2: 'yesterday' is not a time"),
    ("student,submitted_at\nann,2025-03-14T23:59:00\n", "line 2: '2025-03-14T23:59:00' has no time zone"),
    ("", "is empty"),
])
def test_bad_csvs_are_clear_errors(tmp_path, text, message):
    path = tmp_path / "times.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as error:
        submission_times(str(path))
    assert message in str(error.value) and str(path) in str(error.value)


def test_a_missing_csv_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match="no such file"):
        submission_times(os.fspath(tmp_path / "nowhere.csv"))


def test_submission_times_need_a_deadline(tmp_path):
    from calcgrade.grader.grading.grade import grade

    from .classes import SECRET, write

    assignment = write(tmp_path / "hw.toml", HEAD + PROBLEM)
    roster = write(tmp_path / "roster.csv", "id\ns1\n")
    with pytest.raises(UsageError, match="--submitted-at needs a deadline in .*hw.toml"):
        grade([str(tmp_path)], str(assignment), str(roster), str(tmp_path / "out"), SECRET,
              submitted_at="mtime")
    assert not (tmp_path / "out").exists()


def test_copied_and_late_flags_ask_for_attention():
    from calcgrade.grader.grading.summary import attention_reason

    row = {"student": "s1", "status": "graded", "total": "3", "max": "5", "reason": ""}
    for flag in ("copied answers? 2 of 3 wrong parts fit the variant of s2 (q1_a, q2_b)",
                 lateness(DEADLINE + timedelta(hours=2), DEADLINE, LatePolicy(0.1)).text()):
        assert attention_reason({**row, "flags": flag}, review=0) == flag
