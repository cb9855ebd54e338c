"""``calcgrade grade`` on hostile inputs, with the real sandbox: every input appears once in
``submissions.csv``, each student gets the grade their own answers deserve, the batch ends."""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re

import pytest
from markdown_it import MarkdownIt

from calcgrade.grader.grading.grade import grade
from calcgrade.grader.simulate import fill_answers, simulated_answers

from ..grader.classes import EXAMPLE_ASSIGNMENT, SECRET, example_class, write
from ..grader.test_inputs import lie_about_sizes, write_bomb, write_zip
from .test_grading import parts_of, read_grades, wrong_values

pytestmark = pytest.mark.slow
STUDENTS = 12
MiB = 1024 * 1024
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return example_class(tmp_path_factory.mktemp("course"), STUDENTS)


def filled(course, student: str, kind: str = "correct", values: dict | None = None) -> bytes:
    """``student``'s notebook answered right, all wrong (``kind="wrong"``), or with ``values``."""
    text = (course["root"] / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
    record = course["key"][student]
    answers = wrong_values(record) if kind == "wrong" else simulated_answers(record, kind)
    answers.update(values or {})
    return fill_answers(text, answers).encode("utf-8")


def run(course, paths, out, roster=None, **options):
    return grade([str(p) for p in paths], str(EXAMPLE_ASSIGNMENT), str(roster or course["roster"]),
                 str(out), SECRET, **options)


def submissions(out) -> list[dict]:
    with open(out / "submissions.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def every_csv_cell(out):
    for name in ("grades.csv", "submissions.csv"):
        with open(out / name, encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle):
                yield from row


def test_hostile_archives_links_and_foreign_files(course, tmp_path):
    subs, outside = tmp_path / "subs", tmp_path / "outside"
    subs.mkdir()
    outside.mkdir()
    (subs / "s0000.ipynb").write_bytes(filled(course, "s0000"))
    (subs / "s0001.pdf").write_bytes(b"%PDF-1.4 my answers")
    (subs / "loop").symlink_to(subs)
    (outside / "s0002.ipynb").write_bytes(filled(course, "s0002"))
    (subs / "s0002.ipynb").symlink_to(outside / "s0002.ipynb")
    inner = write_zip(tmp_path / "inner.zip", [("s0008.ipynb", filled(course, "s0008"))]).read_bytes()
    export = write_zip(subs / "export.zip", [
        ("s0003.ipynb", filled(course, "s0003")),
        ("../s0004.ipynb", filled(course, "s0004")),
        ("/abs/s0005.ipynb", filled(course, "s0005")),
        ("dup/s0006.ipynb", filled(course, "s0006", "wrong")),
        ("dup/s0006.ipynb", filled(course, "s0006")),
        ("nested.zip", inner),
    ])
    write_bomb(subs / "bomb.zip", "s0007.ipynb", 40 * MiB)
    liar = write_zip(subs / "liar.zip", [("s0009.ipynb", filled(course, "s0009"))])
    lie_about_sizes(liar, 100)
    many = 10_020
    write_zip(subs / "many.zip", [("a/s0010.ipynb", filled(course, "s0010"))]
              + [(f"junk/{i:05d}.txt", b"x") for i in range(many)])
    out = tmp_path / "out"
    summary = run(course, [subs], out)

    rows = submissions(out)
    labels = [row["path"] for row in rows]
    assert len(labels) == len(set(labels)) == summary.inputs
    # 4 plain entries, 6 export members, 1 bomb member, 1 liar member, 10 000 read from many.zip
    # (the notebook and 9 999 junk files) and one row for the 21 members past the cap
    assert len(rows) == 4 + 6 + 1 + 1 + 10_000 + 1
    grades = read_grades(out)
    assert grades["s0000"]["status"] == "graded" and grades["s0000"]["total"] == "15"
    assert grades["s0001"]["status"] == "not_notebook"
    assert grades["s0001"]["reason"] == "handed in s0001.pdf: a .pdf file, not a notebook"
    assert grades["s0002"]["status"] == "skipped" and "out of the submissions folder" in grades["s0002"]["reason"]
    assert grades["s0003"]["total"] == "15" and grades["s0010"]["total"] == "15"
    assert grades["s0004"]["status"] == "skipped" and ".." in grades["s0004"]["reason"]
    assert grades["s0005"]["status"] == "skipped" and "absolute" in grades["s0005"]["reason"]
    assert grades["s0006"]["status"] == "graded" and grades["s0006"]["total"] == "0"  # the first copy
    assert grades["s0007"]["status"] == "skipped" and "larger than 16 MiB" in grades["s0007"]["reason"]
    assert grades["s0008"]["status"] == "missing"  # inside a nested zip, which is not opened
    assert grades["s0009"]["status"] == "skipped" and "damaged" in grades["s0009"]["reason"]
    assert grades["s0011"]["status"] == "missing"

    by_label = {row["path"]: row for row in rows}
    assert by_label[str(subs / "s0000.ipynb")]["sha256"] == \
        hashlib.sha256((subs / "s0000.ipynb").read_bytes()).hexdigest()
    assert by_label[f"{subs / 'export.zip'}!s0003.ipynb"]["sha256"] == \
        hashlib.sha256(filled(course, "s0003")).hexdigest()
    assert by_label[f"{subs / 'export.zip'}!dup/s0006.ipynb (copy 2)"]["counted"] == "no"
    assert by_label[str(subs / "loop")]["status"] == "skipped"
    assert "nested archives are not opened" in by_label[f"{subs / 'export.zip'}!nested.zip"]["reason"]
    assert sum(row["status"] == "graded" for row in rows) == 4


def test_a_notebook_with_a_classmates_metadata_does_not_replace_the_classmates_own(course, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s0002.ipynb").write_bytes(filled(course, "s0002"))
    # a copy of s0002's notebook (s0002's signed metadata), all wrong, handed in later
    stolen = subs / "Homework 3 (1).ipynb"
    stolen.write_bytes(filled(course, "s0002", "wrong"))
    os.utime(subs / "s0002.ipynb", (1_000_000, 1_000_000))
    os.utime(stolen, (2_000_000, 2_000_000))
    # s0004 hands in twice: the first version right, the second with a mistake
    (subs / "s0004_v1.ipynb").write_bytes(filled(course, "s0004"))
    (subs / "s0004_v2.ipynb").write_bytes(filled(course, "s0004", "wrong"))
    os.utime(subs / "s0004_v1.ipynb", (3_000_000, 3_000_000))
    os.utime(subs / "s0004_v2.ipynb", (1_000_000, 1_000_000))
    out = tmp_path / "out"
    summary = run(course, [subs], out)
    assert summary.graded == 4

    for pick, s0004 in (((), None), (("newest",), "15"), (("last-path",), None),
                        ((str(subs / "s0004_v1.ipynb"),), "15")):
        summary = run(course, [subs], out, pick=pick)
        assert summary.graded == 0 and summary.skipped == 4  # choosing again needs no grading
        grades = read_grades(out)
        assert grades["s0002"]["total"] == "15"
        rows = {os.path.basename(row["path"]): row for row in submissions(out)}
        assert rows["s0002.ipynb"]["counted"] == "yes"
        assert rows["Homework 3 (1).ipynb"]["counted"] == "no"
        assert "metadata never replaces" in rows["Homework 3 (1).ipynb"]["flags"]
        assert rows["Homework 3 (1).ipynb"]["student"] == "s0002"
        assert rows["Homework 3 (1).ipynb"]["total"] == "0"
        if s0004 is not None:
            assert grades["s0004"]["total"] == s0004 and rows["s0004_v1.ipynb"]["counted"] == "yes"
        else:
            assert grades["s0004"]["total"] == "0" and rows["s0004_v2.ipynb"]["counted"] == "yes"
        assert "2 files for s0004" in rows["s0004_v1.ipynb"]["flags"]
        assert "2 files for s0004" in rows["s0004_v2.ipynb"]["flags"]


HOSTILE_ANSWER = ("`x` <script>alert(1)</script> [click](http://evil.example) **bold**\n\n# Heading\n"
                  "=HYPERLINK(\"http://evil.example\",\"x\")")


def test_injection_in_answers_roster_names_and_file_names(course, tmp_path, monkeypatch):
    roster = write(tmp_path / "roster.csv", "id,name,email\n" + "".join(
        f"s{i:04d},{name},s{i}@example.edu\n" for i, name in enumerate(
            ['"=HYPERLINK(""http://evil.example"",""x"")"', "@SUM(1+1)", "-2+3", "+cmd",
             "<b>Bold</b> [me](http://evil.example)"] + [f"Student {i}" for i in range(5, STUDENTS)])))
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s0004.ipynb").write_bytes(filled(course, "s0004", values={"q1_derivative": HOSTILE_ANSWER}))
    (subs / "s0000.ipynb").write_bytes(filled(course, "s0000"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "=cmd.ipynb").write_bytes(b'{"cells": [], "metadata": {}}')
    out = tmp_path / "out"
    run(course, [subs, "=cmd.ipynb"], out, roster=roster)

    for cell in every_csv_cell(out):
        assert not cell.startswith(TRIGGERS) or re.fullmatch(r"[-+]?\d+(\.\d+)?", cell), cell
    grades = read_grades(out)
    assert grades["s0000"]["name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert grades["s0001"]["name"] == "'@SUM(1+1)" and grades["s0002"]["name"] == "'-2+3"
    assert grades["s0000"]["total"] == "15"
    parts = parts_of(out, "s0004")
    lost = [name for name, part in parts.items() if part.score < part.max]
    assert lost == ["q1_derivative"]
    assert float(grades["s0004"]["total"]) == pytest.approx(15 - parts["q1_derivative"].max)
    assert any(row["path"] == "'=cmd.ipynb" for row in submissions(out))

    markdown = (out / "feedback" / "s0004.md").read_text(encoding="utf-8")
    rendered = MarkdownIt("commonmark").enable(["strikethrough", "table"]).render(markdown)
    assert "<script" not in rendered and "<a " not in rendered and rendered.count("<h1>") == 1
    assert "<b>" not in rendered
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))
    assert "<script>alert(1)</script>" in shown and "<b>Bold</b>" in shown
    page = (out / "feedback" / "s0004.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<b>Bold" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;Bold&lt;/b&gt;" in page


def test_a_pick_that_names_no_submission_is_a_one_line_usage_error(course, tmp_path):
    import subprocess
    import sys

    from ..grader.classes import SECRET_HEX

    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s0001.ipynb").write_bytes(filled(course, "s0001"))
    env = dict(os.environ, CALCGRADE_SECRET=SECRET_HEX)
    result = subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "grade", str(subs),
                             "--assignment", str(EXAMPLE_ASSIGNMENT), "--roster", str(course["roster"]),
                             "--out", str(tmp_path / "out"), "--pick", "newest", "--pick", "nope.ipynb"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == "calcgrade: error: --pick nope.ipynb: not one of the submissions given"
    assert not (tmp_path / "out" / "grades.csv").exists()
