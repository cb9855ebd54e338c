"""Acceptance: a class with known mistakes, a part the comparison cannot decide, a copied
notebook, answers retyped from a classmate and a late submission, graded for real; the
report's numbers, the copy flags, the lateness and the review decisions are checked
against what the simulation put in.

The part that cannot be decided is a real one: the student's derivative is the reference
plus ``exp(exp(exp(exp(exp(x**2))))) * (log(x**2) - 2*log(abs(x)))``, which is zero
wherever it is defined, but no sample point can be evaluated (the tower is beyond any
precision the comparison allows) and sympy cannot prove ``log(x**2) = 2*log(abs(x))``
for real x; the grader marks it for review and an instructor decides.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from calcgrade.core.names import answer_variable
from calcgrade.grader.cli import main

from .classes import EXAMPLE_ASSIGNMENT, SECRET, SECRET_HEX, roster_text, write
from .simulation import applied_mistake, deserves_full_marks

STUDENTS = 12
MISTAKES = ("s0003", "s0004", "s0005")
REVIEW = "s0006"                      # q1_derivative undecidable, the rest right
COPIED = ("s0007", "s0008")           # s0007 hands in s0008's filled notebook as its own
RETYPED = ("s0009", "s0002")          # s0009 types s0002's answers into its own notebook
LATE = "s0010"                        # right, 1.5 days late
ABSENT = "s0011"
DEADLINE = datetime(2025, 3, 14, 23, 59, tzinfo=timezone(timedelta(hours=1)))
PENALTY_PER_DAY = 0.1
UNDECIDABLE = "exp(exp(exp(exp(exp({x}**2)))))*(log({x}**2) - 2*log(abs({x})))"


def _assignment_text() -> str:
    text = EXAMPLE_ASSIGNMENT.read_text(encoding="utf-8")
    text = re.sub(r"^(due = .*)$", lambda m: m.group(1) + "\ndeadline = 2025-03-14T23:59:00+01:00",
                  text, count=1, flags=re.M)
    return text + f"\n[late]\npenalty_per_day = {PENALTY_PER_DAY}\n"


def _csv(path: Path) -> dict[str, dict]:
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    key = "student" if "path" not in rows[0] else "path"
    return {row[key]: row for row in rows}


def _parts(out: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO((out / "parts.csv").read_text(encoding="utf-8"))))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    from calcgrade.grader.generation.generate import generate
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    root = tmp_path_factory.mktemp("acceptance")
    assignment = write(root / "hw3.toml", _assignment_text())
    roster = write(root / "roster.csv", roster_text(STUDENTS))
    generate(assignment, roster, root / "class", SECRET)
    key = {r["id"]: r for r in json.loads((root / "class" / "key.json").read_text("utf-8"))["students"]}
    blank = {s: (root / "class" / "notebooks" / f"{s}.ipynb").read_text("utf-8") for s in key}
    inbox = root / "in"
    inbox.mkdir()
    answers: dict[str, dict] = {}
    for student, record in key.items():
        if student == ABSENT:
            continue
        values = simulated_answers(record, "mistake" if student in MISTAKES else "correct")
        if student == REVIEW:
            problem = record["problems"][0]
            assert problem["family"] == "derivative"
            var = problem["params"]["var"]
            values["q1_derivative"] = (f"{problem['answers']['derivative']} + "
                                       + UNDECIDABLE.format(x=var))
        if student == RETYPED[0]:
            values = simulated_answers(key[RETYPED[1]], "correct")
        answers[student] = values
        (inbox / f"{student}.ipynb").write_text(fill_answers(blank[student], values), "utf-8")
    # the copied notebook: the classmate's own file (its signed token too) under the copier's name
    copier, source = COPIED
    (inbox / f"{copier}.ipynb").write_text(fill_answers(blank[source], answers[source]), "utf-8")
    answers[copier] = answers[source]
    # modification times: everyone an hour before the deadline, one student 1.5 days after
    for path in inbox.iterdir():
        os.utime(path, (DEADLINE.timestamp() - 3600,) * 2)
    late_at = DEADLINE + timedelta(days=1, hours=12)
    os.utime(inbox / f"{LATE}.ipynb", (late_at.timestamp(),) * 2)

    secret = write(root / "secret", SECRET_HEX)
    out = root / "out"
    arguments = ["grade", str(inbox), "--assignment", str(assignment), "--roster", str(roster),
                 "--out", str(out), "--secret-file", str(secret), "--workers", "2",
                 "--submitted-at", "mtime"]
    assert main(arguments) == 0
    return {"out": out, "key": key, "answers": answers, "arguments": arguments,
            "late_at": late_at, "assignment": assignment}


@pytest.mark.slow
def test_the_report_matches_the_simulation(graded):
    out, key, answers = graded["out"], graded["key"], graded["answers"]
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert report["graded"] == STUDENTS - 1 and report["statuses"] == {"graded": STUDENTS - 1,
                                                                       "missing": 1}
    # share fully right per part: the simulated answers against each student's own variant
    expected: dict[str, int] = {}
    for student, values in answers.items():
        for problem in key[student]["problems"]:
            for name in problem["answers"]:
                variable = answer_variable(problem["number"], name)
                right = deserves_full_marks(problem, name, values[variable],
                                            problem["answers"][name], values)
                expected[variable] = expected.get(variable, 0) + right
    parts = {f"q{p['problem']}_{p['answer']}": p for p in report["parts"]}
    assert set(parts) == set(expected)
    for variable, count in expected.items():
        assert parts[variable]["share_correct"] == pytest.approx(count / (STUDENTS - 1)), variable
    assert parts["q1_derivative"]["share_review"] == pytest.approx(1 / (STUDENTS - 1))
    # the mistakes: how many students made each, as simulated
    counts: dict[tuple[int, str], int] = {}
    for student in MISTAKES:
        applied = applied_mistake(key[student])[:2]   # (problem, mistake)
        counts[applied] = counts.get(applied, 0) + 1
    assert {(m["problem"], m["mistake"]): m["students"] for m in report["mistakes"]} == counts


@pytest.mark.slow
def test_copies_are_flagged_with_the_classmate_and_grades_are_unchanged(graded):
    out = graded["out"]
    grades = _csv(out / "grades.csv")
    flagged = {s: (row["copy_of"], int(row["copy_parts"])) for s, row in grades.items()
               if row["copy_of"]}
    assert {s: c for s, (c, _) in flagged.items()} == dict([COPIED, RETYPED])
    assert all(parts >= 2 for _, parts in flagged.values())
    for student, (classmate, parts) in flagged.items():
        assert f"fit the variant of {classmate}" in grades[student]["flags"]
        # never changes a grade: the total is the sum of the marked parts
        scored = sum(float(p["score"]) for p in _parts(out) if p["student"] == student)
        assert float(grades[student]["total"]) == pytest.approx(scored, abs=1e-3)
    assert "generated for 's0008'" in grades[COPIED[0]]["flags"]   # the token says it too
    assert "generated for" not in grades[RETYPED[0]]["flags"]      # retyped: only the answers
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert {c["student"]: c["classmate"] for c in report["copies"]} == dict([COPIED, RETYPED])
    flags = {f["student"]: f for f in report["flags"]}
    assert flags[RETYPED[0]]["worrying"] and "copied answers?" in flags[RETYPED[0]]["flags"]
    page = (out / "report.html").read_text("utf-8")
    assert "Answers that fit a classmate" in page and RETYPED[1] in page


@pytest.mark.slow
def test_the_late_submission_loses_its_penalty_everywhere(graded):
    out = graded["out"]
    grades = _csv(out / "grades.csv")
    row = grades[LATE]
    # by hand: 1.5 days late, 2 started days at 10% each
    assert float(row["late_days"]) == 1.5 and float(row["late_penalty"]) == pytest.approx(0.2)
    full = float(row["max"])
    scored = sum(float(p["score"]) for p in _parts(out) if p["student"] == LATE)
    assert scored == pytest.approx(full)                          # every answer right
    assert float(row["total"]) == pytest.approx(0.8 * full)
    assert datetime.fromisoformat(row["submitted_at"]) == graded["late_at"]
    assert "late: submitted" in row["flags"]
    on_time = [s for s, r in grades.items() if s != LATE and r["status"] == "graded"]
    assert all(grades[s]["late_days"] == "" and grades[s]["submitted_at"] for s in on_time)
    feedback = (out / "feedback" / f"{LATE}.md").read_text("utf-8")
    assert "20% off the total" in feedback and f"{0.8 * full:g}" in feedback
    results = json.loads((out / "results" / f"{LATE}.json").read_text("utf-8"))
    assert results["score"] == pytest.approx(0.8 * full)
    report = json.loads((out / "report.json").read_text("utf-8"))
    assert [(l["student"], l["penalty"]) for l in report["late"]] == [(LATE, 0.2)]
    import calcgrade

    api = calcgrade.report(out)
    assert api.late[0]["student"] == LATE and api.mean == report["mean"]
    assert {c["student"] for c in api.copies} == {COPIED[0], RETYPED[0]}


@pytest.mark.slow
def test_the_undecidable_part_is_reviewed_and_the_decision_survives_a_rerun(graded, tmp_path,
                                                                            capsys):
    import shutil

    out = tmp_path / "out"
    shutil.copytree(graded["out"], out)
    part = next(p for p in _parts(out) if p["student"] == REVIEW and p["answer"] == "derivative")
    assert part["status"] == "review" and float(part["score"]) == 0
    assert main(["review", str(out)]) == 0
    assert f"{REVIEW}  q1_derivative" in capsys.readouterr().out
    before = float(_csv(out / "grades.csv")[REVIEW]["total"])
    assert main(["review", str(out), "--student", REVIEW, "--part", "q1_derivative", "--accept",
                 "--comment", "zero wherever it is defined"]) == 0
    decided = before + float(part["max"])
    assert float(_csv(out / "grades.csv")[REVIEW]["total"]) == pytest.approx(decided)
    submissions = _csv(out / "submissions.csv")
    assert float(submissions[next(p for p in submissions if REVIEW in p)]["total"]) == \
        pytest.approx(decided)
    # a rerun of grade into the folder keeps the decision, the copy flags and the lateness
    arguments = list(graded["arguments"])
    arguments[arguments.index("--out") + 1] = str(out)
    assert main(arguments) == 0
    capsys.readouterr()
    grades = _csv(out / "grades.csv")
    assert float(grades[REVIEW]["total"]) == pytest.approx(decided)
    assert grades[RETYPED[0]]["copy_of"] == RETYPED[1] and grades[LATE]["late_penalty"] == "0.2"
    submissions = _csv(out / "submissions.csv")
    assert float(submissions[next(p for p in submissions if REVIEW in p)]["total"]) == \
        pytest.approx(decided)
    report = json.loads((out / "report.json").read_text("utf-8"))
    review = next(r for r in report["reviews"] if r["student"] == REVIEW)
    assert review["decision"] == "accept" and review["comment"] == "zero wherever it is defined"


@pytest.mark.slow
@pytest.mark.parametrize("times, message", [
    ("nowhere.csv", "no such file"),
    ("bad.csv", "needs a column student (or file)"),
])
def test_bad_submission_times_stop_with_one_line(graded, tmp_path, capsys, times, message):
    (tmp_path / "bad.csv").write_text("who,when\ns0001,2025-03-14T23:00:00Z\n", "utf-8")
    arguments = list(graded["arguments"])
    arguments[arguments.index("--submitted-at") + 1] = str(tmp_path / times)
    arguments[arguments.index("--out") + 1] = str(tmp_path / "out")
    assert main(arguments) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_report_with_copies_and_late_reads_cleanly_in_chromium(graded, tmp_path):
    from .test_pages import _chromium, page_problems, parse_page, run_chromium

    if _chromium() is None:
        pytest.skip("chromium is not on PATH (.ci/run installs it: apt-get install chromium)")
    page = graded["out"] / "report.html"
    dom = parse_page(run_chromium("--dump-dom", page.as_uri()))
    assert page_problems(dom) == []
    text = dom.text()
    assert "Late submissions" in text and "20%" in text
    links = [node.attrs.get("href", "") for node in dom.iter() if node.tag == "a"]
    for student in (COPIED[0], RETYPED[0], LATE, REVIEW):
        assert f"feedback/{student}.html" in links
    screenshot = tmp_path / "report-acceptance.png"
    run_chromium(f"--screenshot={screenshot}", "--window-size=1100,3600", page.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
