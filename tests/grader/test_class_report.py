"""The instructor's class report and the review workflow.

A class is generated, submissions are simulated with known answers (right, a catalogued
mistake, a part left out, a part that cannot be read), graded for real in the sandbox,
and the report's numbers are checked against what the simulation put in. The review
workflow is driven through the command line on a copy of that graded folder, and the page
is loaded in headless Chromium.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.core.names import answer_variable
from calcgrade.grader.grading.class_report import (REPORT_FILES, build_report, item_rest_correlation,
                                           upper_lower_index, write_class_report)
from calcgrade.grader.cli import main
from calcgrade.problems import get_family

from .classes import EXAMPLE_ASSIGNMENT, SECRET, SECRET_HEX, example_class
from .simulation import applied_mistake, deserves_full_marks

STUDENTS = 10
MISTAKE_STUDENTS = range(3, 8)
LEFT_OUT = (8, "q1_derivative")     # student 8 leaves this part as `...`
UNREADABLE = (9, "q1_value")        # student 9 answers this part with text


# the discrimination indices against independent numpy computations --------------------------

def _upper_lower_oracle(shares, totals, fraction=0.27):
    order = np.argsort(np.asarray(totals), kind="stable")
    size = max(1, round(fraction * len(shares)))
    shares = np.asarray(shares, dtype=float)
    return shares[order[-size:]].mean() - shares[order[:size]].mean()


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.5, 1.0]), st.floats(0, 100)), min_size=4,
                max_size=60, unique_by=lambda pair: pair[1]))
def test_the_upper_lower_index_compares_the_top_and_bottom_27_percent(pairs):
    shares, totals = [p[0] for p in pairs], [p[1] for p in pairs]
    found = upper_lower_index(shares, totals)
    if len(set(shares)) == 1:
        assert found is None
    else:
        assert found == pytest.approx(_upper_lower_oracle(shares, totals), abs=1e-6)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, 0.25, 1.0]), st.integers(0, 30)), min_size=3,
                max_size=60))
def test_the_item_rest_correlation_is_pearsons(pairs):
    shares = np.array([p[0] for p in pairs])
    rests = np.array([float(p[1]) for p in pairs])
    found = item_rest_correlation(list(shares), list(rests))
    if shares.std() == 0 or rests.std() == 0:
        assert found is None
    else:
        assert found == pytest.approx(np.corrcoef(shares, rests)[0, 1], abs=1e-5)


def test_small_or_uniform_classes_have_no_discrimination():
    assert upper_lower_index([1, 0, 1], [3, 1, 2]) is None
    assert upper_lower_index([1, 1, 1, 1], [4, 3, 2, 1]) is None
    assert item_rest_correlation([1, 0], [1, 0]) is None


# a simulated class, graded -------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    """Generate, simulate and grade a class; return the folders and what was simulated."""
    from calcgrade.grader.grading.grade import grade
    from calcgrade.grader.simulate import fill_answers, simulated_answers

    root = tmp_path_factory.mktemp("report-class")
    made = example_class(root, STUDENTS)
    submissions = root / "in"
    submissions.mkdir()
    answers, applied = {}, {}
    for index, (student, record) in enumerate(made["key"].items()):
        kind = "mistake" if index in MISTAKE_STUDENTS else "correct"
        values = simulated_answers(record, kind)
        if index in MISTAKE_STUDENTS:
            applied[student] = applied_mistake(record)
        if index == LEFT_OUT[0]:
            del values[LEFT_OUT[1]]
        if index == UNREADABLE[0]:
            values[UNREADABLE[1]] = "two and a half"
        text = (root / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
        (submissions / f"{student}.ipynb").write_text(fill_answers(text, values), encoding="utf-8")
        answers[student] = values
    out = root / "out"
    summary = grade([str(submissions)], str(EXAMPLE_ASSIGNMENT), str(made["roster"]), str(out),
                    SECRET, workers=2)
    assert summary.graded == STUDENTS
    return {"root": root, "out": out, "key": made["key"], "answers": answers, "applied": applied,
            "roster": made["roster"], "submissions": submissions}


def _csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


@pytest.mark.slow
def test_grading_writes_the_report_and_its_numbers_match_the_simulation(graded_class):
    out, key, answers = graded_class["out"], graded_class["key"], graded_class["answers"]
    for name in ("report.html", "report.json", "report_parts.csv", "report_mistakes.csv"):
        assert (out / name).is_file(), name
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["graded"] == STUDENTS and report["statuses"] == {"graded": STUDENTS}

    # per part: the shares the simulation put in
    expected = {}
    for student, record in key.items():
        for problem in record["problems"]:
            for name, reference in problem["answers"].items():
                variable = answer_variable(problem["number"], name)
                given_ = answers[student].get(variable, "left out")
                shares = expected.setdefault(variable, {"right": 0, "missing": 0, "format": 0})
                if given_ == "left out":
                    shares["missing"] += 1
                elif given_ == "two and a half":
                    shares["format"] += 1
                elif deserves_full_marks(problem, name, given_, reference, answers[student]):
                    shares["right"] += 1
    parts = {f"q{p['problem']}_{p['answer']}": p for p in report["parts"]}
    assert set(parts) == set(expected)
    for variable, shares in expected.items():
        assert parts[variable]["share_correct"] == pytest.approx(shares["right"] / STUDENTS), variable
        assert parts[variable]["share_missing"] == pytest.approx(shares["missing"] / STUDENTS), variable
        assert parts[variable]["share_format_error"] == pytest.approx(shares["format"] / STUDENTS), variable
    assert any(shares["right"] < STUDENTS for shares in expected.values())

    # the diagnosed mistakes: how many students made each, ranked, with the family's message
    counts: dict[tuple[int, str], int] = {}
    for problem, mistake, _ in filter(None, graded_class["applied"].values()):
        counts[(problem, mistake)] = counts.get((problem, mistake), 0) + 1
    found = {(m["problem"], m["mistake"]): m for m in report["mistakes"]}
    assert {k: m["students"] for k, m in found.items()} == counts
    for (problem, mistake), m in found.items():
        family = get_family(m["family"])
        assert m["message"] == next(x.message for x in family.mistakes() if x.id == mistake)
    for problem in {p for p, _ in counts}:
        ranked = [m["students"] for m in report["mistakes"] if m["problem"] == problem]
        assert ranked == sorted(ranked, reverse=True)

    # the score statistics agree with grades.csv, and the discrimination with numpy
    grades = _csv(out / "grades.csv")
    totals = np.array([float(row["total"]) for row in grades])
    assert report["mean"] == pytest.approx(totals.mean(), abs=1e-6)
    assert report["median"] == pytest.approx(np.median(totals), abs=1e-6)
    assert sorted(report["totals"]) == pytest.approx(sorted(totals))
    rows = _csv(out / "parts.csv")
    by_student = {row["student"]: float(row_["total"]) for row_ in grades for row in [row_]}
    for variable, part in parts.items():
        mine = {r["student"]: float(r["score"]) / float(r["max"]) for r in rows
                if f"q{r['problem']}_{r['answer']}" == variable}
        scores = {r["student"]: float(r["score"]) for r in rows
                  if f"q{r['problem']}_{r['answer']}" == variable}
        students = sorted(mine)
        share = np.array([mine[s] for s in students])
        rest = np.array([by_student[s] - scores[s] for s in students])
        if share.std() == 0 or rest.std() == 0:
            assert part["item_rest"] is None and (share.std() > 0 or part["discrimination"] is None)
        else:
            assert part["item_rest"] == pytest.approx(np.corrcoef(share, rest)[0, 1], abs=1e-5)

    # the CSV beside the page holds the same numbers
    table = {f"q{r['problem']}_{r['answer']}": r for r in _csv(out / "report_parts.csv")}
    for variable, part in parts.items():
        assert float(table[variable]["share_correct"]) == part["share_correct"]
    mistakes_csv = {(int(r["problem"]), r["mistake"]): int(r["students"])
                    for r in _csv(out / "report_mistakes.csv")}
    assert mistakes_csv == counts


@pytest.mark.slow
def test_the_report_command_writes_the_same_report_again(graded_class, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    before = {name: (out / name).read_bytes() for name in REPORT_FILES}
    for name in REPORT_FILES:
        (out / name).unlink()
    assert main(["report", str(out)]) == 0
    assert {name: (out / name).read_bytes() for name in REPORT_FILES} == before  # byte for byte
    assert "report.html" in capsys.readouterr().out
    assert main(["report", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("calcgrade: error: ") and len(err.strip().splitlines()) == 1


# review ------------------------------------------------------------------------------------

def _mark_for_review(out: Path, student: str, problem: int, answer: str) -> dict:
    """Put one part in the state the comparison leaves an undecidable expression in: score
    0, status review (the class's answers are all decidable, so the state is written here)."""
    connection = sqlite3.connect(out / "gradebook.sqlite")
    with connection:
        hash_ = connection.execute("SELECT hash FROM class WHERE student = ?", (student,)).fetchone()[0]
        old = connection.execute("SELECT score, max, found FROM parts WHERE hash = ? AND problem = ? "
                                 "AND answer = ?", (hash_, problem, answer)).fetchone()
        connection.execute("UPDATE parts SET score = 0, status = 'review', feedback = ? WHERE hash = ? "
                           "AND problem = ? AND answer = ?",
                           ("Marked for review by your instructor.", hash_, problem, answer))
        connection.execute("UPDATE submissions SET total = total - ? WHERE hash = ?", (old[0], hash_))
    connection.close()
    return {"hash": hash_, "max": old[1], "found": old[2]}


def _total(out: Path, student: str) -> float:
    return float(next(r for r in _csv(out / "grades.csv") if r["student"] == student)["total"])


@pytest.mark.slow
def test_review_lists_decides_and_rewrites_every_output(graded_class, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    student = "s0000"
    marked = _mark_for_review(out, student, 1, "derivative")
    other = _mark_for_review(out, "s0001", 1, "value")
    assert main(["review", str(out)]) == 0
    listing = capsys.readouterr().out
    assert f"{student}  q1_derivative" in listing and "s0001  q1_value" in listing
    reference = graded_class["key"][student]["problems"][0]["answers"]["derivative"]
    assert f"answer:    {marked['found']}" in listing and "reference:" in listing
    assert main(["report", str(out)]) == 0
    capsys.readouterr()
    before = _total(graded_class["out"], student) - marked["max"]  # as marked for review

    assert main(["review", str(out), "--student", student, "--part", "q1_derivative", "--accept",
                 "--comment", "equivalent after simplifying"]) == 0
    capsys.readouterr()
    assert _total(out, student) == pytest.approx(before + marked["max"])
    feedback = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    assert "equivalent after simplifying" in feedback
    assert "equivalent after simplifying" in (out / "feedback" / f"{student}.html").read_text(
        encoding="utf-8")
    results = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
    assert results["score"] == pytest.approx(before + marked["max"])
    test = next(t for t in results["tests"] if t["name"].endswith("q1_derivative"))
    assert test["score"] == marked["max"] and "equivalent after simplifying" in test["output"]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    decided = {(r["student"], r["answer"]): r for r in report["reviews"]}
    assert decided[(student, "derivative")]["decision"] == "accept"
    assert decided[("s0001", "value")]["decision"] == ""
    assert reference is not None

    # a score, then a rejection, replace the decision
    assert main(["review", str(out), "--student", "s0001", "--part", "q1_value", "--score",
                 str(other["max"] / 2)]) == 0
    assert _total(out, "s0001") == pytest.approx(_total(graded_class["out"], "s0001")
                                                 - other["max"] / 2)
    assert main(["review", str(out), "--student", "s0001", "--part", "q1_value", "--reject"]) == 0
    assert _total(out, "s0001") == pytest.approx(_total(graded_class["out"], "s0001") - other["max"])
    capsys.readouterr()
    assert main(["review", str(out)]) == 0
    assert "No part is waiting for review." in capsys.readouterr().out
    assert main(["review", str(out), "--all"]) == 0
    assert "[reject]" in capsys.readouterr().out


@pytest.mark.slow
def test_a_rerun_of_grade_keeps_the_decisions(graded_class, tmp_path, capsys):
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    student = "s0002"
    marked = _mark_for_review(out, student, 1, "derivative")
    assert main(["review", str(out), "--student", student, "--part", "q1_derivative", "--score",
                 "0.25", "--comment", "half a chain rule"]) == 0
    decided = _total(out, student)
    assert decided == pytest.approx(_total(graded_class["out"], student) - marked["max"] + 0.25)
    secret = tmp_path / "secret"
    secret.write_text(SECRET_HEX, encoding="ascii")
    arguments = ["grade", str(graded_class["submissions"]), "--assignment", str(EXAMPLE_ASSIGNMENT),
                 "--roster", str(graded_class["roster"]), "--out", str(out), "--secret-file",
                 str(secret), "--workers", "1"]
    assert main(arguments) == 0          # nothing regraded: the decision stays
    assert _total(out, student) == pytest.approx(decided)
    # graded afresh (the submission forgotten): the decision is applied to the new marking
    connection = sqlite3.connect(out / "gradebook.sqlite")
    connection.execute("PRAGMA foreign_keys = ON")  # its parts go with it, as in the gradebook
    with connection:
        connection.execute("DELETE FROM submissions WHERE hash = ?", (marked["hash"],))
    connection.close()
    assert main(arguments) == 0
    capsys.readouterr()
    assert _total(out, student) == pytest.approx(decided)
    assert "half a chain rule" in (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("arguments, message", [
    (["--student", "s0000", "--part", "q1_derivative"], "exactly one of"),
    (["--student", "s0000", "--part", "derivative", "--accept"], "--part takes"),
    (["--student", "nobody", "--part", "q1_derivative", "--accept"], "not in the graded class"),
    (["--student", "s0000", "--part", "q9_derivative", "--accept"], "no graded part q9_derivative"),
    (["--student", "s0000", "--part", "q1_derivative", "--score", "99"], "--score must be between"),
    (["--part", "q1_derivative", "--accept"], "needs --student"),
])
def test_review_errors_are_one_line(graded_class, tmp_path, capsys, arguments, message):
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    assert main(["review", str(out), *arguments]) == 2
    err = capsys.readouterr().err
    assert err.startswith("calcgrade: error: ") and len(err.strip().splitlines()) == 1
    assert message in err


# in a real browser ---------------------------------------------------------------------------

_IMAGE_PROBE = """<script>
window.addEventListener("load", () => {
  document.body.setAttribute("data-images", Array.from(document.images).map(
    (image) => image.complete && image.naturalWidth > 0 ? "loaded" : "broken").join(" "));
});
</script>
</body>"""


@pytest.mark.slow
def test_the_report_reads_cleanly_in_chromium(graded_class, tmp_path):
    from .test_pages import _chromium, page_problems, parse_page, run_chromium

    if _chromium() is None:
        pytest.skip("chromium is not on PATH (.ci/run installs it: apt-get install chromium)")
    out = tmp_path / "out"
    shutil.copytree(graded_class["out"], out)
    _mark_for_review(out, "s0000", 1, "derivative")
    write_class_report(out)
    page = out / "report.html"
    text = page.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org/", "") and "https://" not in text
    dom = parse_page(run_chromium("--dump-dom", page.as_uri()))
    assert page_problems(dom) == []
    assert sum(node.tag == "math" for node in dom.iter()) >= 2  # the review's expressions
    links = [node.attrs.get("href", "") for node in dom.iter() if node.tag == "a"]
    assert "feedback/s0000.html" in links and (out / "feedback" / "s0000.html").is_file()

    probe = out / "probe.html"
    probe.write_text(text.replace("</body>", _IMAGE_PROBE), encoding="utf-8")
    probed = parse_page(run_chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri()))
    body = next(node for node in probed.iter() if node.tag == "body")
    states = body.attrs.get("data-images", "").split()
    images = [node for node in dom.iter() if node.tag == "img"]
    assert len(images) == 3 and states == ["loaded"] * 3

    screenshot = tmp_path / "report.png"
    run_chromium(f"--screenshot={screenshot}", "--window-size=1100,3200", page.as_uri())
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 20_000


def test_a_report_of_a_class_without_submissions_is_written(tmp_path):
    from calcgrade.grader.grading.gradebook import ClassRow, Gradebook

    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        book.set_meta("assignment", "hw")
        book.set_class({"title": "HW", "total_points": "4.0", "problems": "[1, 2]"},
                       [ClassRow(0, "ann", "{}"), ClassRow(1, "bob", "{}")])
    page = write_class_report(tmp_path)
    report = build_report(tmp_path)
    assert report.graded == 0 and report.statuses == {"missing": 2} and report.mean is None
    assert "No submission was graded." in page.read_text(encoding="utf-8")
