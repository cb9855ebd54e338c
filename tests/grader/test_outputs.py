"""Outputs that are safe to open: CSV without formulas, Markdown and HTML without injection."""

from __future__ import annotations

import csv
import html
import io
import re

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from calcgrade.grader import markdown_safe as md
from calcgrade.grader.course.assignment import parse_assignment
from calcgrade.grader.csvsafe import csv_text, safe_cell
from calcgrade.grader.grading.gradebook import PartRecord, SubmissionRecord
from calcgrade.grader.grading.reports import (ReportRow, feedback_html, feedback_markdown, grades_csv,
                                      submissions_csv)
from calcgrade.grader.course.roster import Student
from calcgrade.templates import environment

from .classes import SIGMOID_ASSIGNMENT

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# CommonMark with the GitHub extensions a viewer is likely to have
RENDERER = MarkdownIt("commonmark").enable(["strikethrough", "table"])
HOSTILE = ("`x` <script>alert(1)</script> [click](http://evil.example) ![i](http://evil.example/i.png) "
           "**bold** _it_ ~~gone~~ &amp; <http://evil.example> www.evil.example a@evil.example\n\n"
           "# Heading\n- item\n1. item\n> quote\n    code\n| a | b |\n|---|---|\n---")


def read_csv(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def text_of(rendered: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


# --- CSV -----------------------------------------------------------------------------------------


@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), min_size=1, max_size=4))
def test_no_text_cell_reads_back_as_a_formula_and_nothing_else_changes(rows):
    back = read_csv(csv_text(rows))
    for row, read in zip(rows, back):
        for cell, shown in zip(row, read):
            if shown.startswith(TRIGGERS):
                assert re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", shown)
            assert shown == cell or (shown == "'" + cell and cell.startswith(TRIGGERS))


def test_numbers_stay_numbers_and_formulas_become_text():
    assert [safe_cell(c) for c in ("-1.5", "+2", "-3e-4", "-.5", -7, 2.5)] == ["-1.5", "+2", "-3e-4", "-.5", -7, 2.5]
    assert [safe_cell(c) for c in ("=1+1", "-1+1", "+A1", "@SUM(A1)", "\tx", "\rx", "-")] == \
        ["'=1+1", "'-1+1", "'+A1", "'@SUM(A1)", "'\tx", "'\rx", "'-"]
    assert safe_cell("a=1") == "a=1"


def _assignment():
    return parse_assignment(SIGMOID_ASSIGNMENT, "quiz1.toml")


def _record(**changes):
    values = dict(hash="h1", student="s1", path="subs/s1.ipynb", status="graded", reason="",
                  total=1.0, max=4.0, flags="")
    values.update(changes)
    return SubmissionRecord(**values)


def _part(found: str, feedback: str = "Not correct.") -> PartRecord:
    return PartRecord("h1", 1, "z", "sigmoid_gradient", 0.0, 0.5, "wrong", feedback, None,
                      "a number", found, "0.5")


def test_grades_and_submissions_csv_neutralise_roster_names_reasons_and_paths():
    assignment = _assignment()
    roster = [Student("s1", "=HYPERLINK(\"http://evil\",\"x\")", ""), Student("s2", "@SUM(1+1)", "")]
    record = _record(reason="-2+3 cmd|' /C calc'!A0", flags="+flag")
    text = grades_csv(assignment, roster, {"s1": record}, lambda _: [])
    rows = read_csv(text)
    assert rows[1][:4] == ["s1", "'=HYPERLINK(\"http://evil\",\"x\")", "graded", "'-2+3 cmd|' /C calc'!A0"]
    assert rows[1][rows[0].index("flags")] == "'+flag" and rows[2][1] == "'@SUM(1+1)"
    rows = read_csv(submissions_csv([ReportRow(_record(path="=1+1.ipynb"), "abc", True)]))
    assert rows[1][0] == "'=1+1.ipynb" and rows[1][4:6] == ["1", "4"]


# --- Markdown ------------------------------------------------------------------------------------


@given(st.text(max_size=60))
def test_escaped_text_renders_as_exactly_its_characters_on_one_line(value):
    rendered = RENDERER.render(md.text(value))
    flat = re.sub(r"[\x00-\x08\x0e-\x1f\x7f]", "", re.sub(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]", " ", value))
    flat = flat.strip()
    if not flat.strip():
        return
    assert rendered.startswith("<p>") and rendered.count("<") == 2  # one paragraph, no other tag
    assert text_of(rendered).strip() == flat.replace("\x00", "\ufffd").strip()


@given(st.text(max_size=60))
def test_a_code_span_cannot_be_closed_from_inside(value):
    rendered = RENDERER.render("x " + md.code(value))
    assert rendered.count("<code>") == 1 and rendered.count("<") == 4  # p, code, /code, /p


def test_a_hostile_answer_adds_no_link_tag_or_formatting_to_the_feedback():
    assignment = _assignment()
    student = Student("s1", "<b>Eve</b> [me](http://evil.example)", "")
    record = _record(flags="*flag* <i>x</i>", status="invalid", reason="`oops` <script>x</script>")
    markdown = feedback_markdown(assignment, student, record, [_part(HOSTILE, "Not correct. " + HOSTILE)],
                                 reveal=False)
    rendered = RENDERER.render(markdown)
    tags = set(re.findall(r"<([a-z0-9]+)", rendered))
    assert tags <= {"h1", "h2", "h3", "p", "strong", "em", "ul", "li", "code", "br"}
    assert rendered.count("<h1>") == 1 and rendered.count("<strong>") == 3  # ours only
    assert rendered.count("<em>") == 1 and rendered.count("<li>") == 2
    assert "<script" not in rendered and "<a " not in rendered and "<img" not in rendered
    assert "alert(1)" in text_of(rendered) and "**bold**" in text_of(rendered)


def test_the_html_feedback_is_escaped_by_the_template():
    assignment = _assignment()
    student = Student("s1", "<b>Eve</b>", "")
    record = _record(flags="<img src=x onerror=alert(1)>", status="invalid", reason="<script>x</script>")
    page = feedback_html(assignment, student, record, [_part(HOSTILE, HOSTILE)], reveal=True)
    assert "<script" not in page and "<img" not in page and "<b>Eve" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;b&gt;Eve&lt;/b&gt;" in page
    assert "&amp;lt;" not in page  # escaped once, not twice
    assert page.count("<script") == 0 and page.startswith("<!DOCTYPE html>")


def test_html_templates_are_autoescaped_and_the_others_are_not():
    env = environment()
    assert env.autoescape("feedback.html.j2") and env.autoescape("handout.html.j2")
    assert not env.autoescape("notebook/answers.py.j2") and not env.autoescape("statements/derivative.md.j2")


def test_the_handout_shows_markup_from_the_assignment_as_text(tmp_path):
    from calcgrade.grader.generation.handout import build_handout

    text = SIGMOID_ASSIGNMENT.replace('title = "Quiz 1: the sigmoid"', 'title = "<script>x</script> & Co"')
    text = text.replace('instructions = "Answer **every** part."',
                        'instructions = "Answer <b>every</b> part, $x^2$."')
    assignment = parse_assignment(text, "quiz1.toml")
    page = build_handout(assignment, Student("s1", "<i>Ann</i>", ""), [])
    assert "<script>" not in page and "&lt;script&gt;x&lt;/script&gt; &amp; Co" in page
    assert "&lt;i&gt;Ann&lt;/i&gt;" in page and "&amp;amp;" not in page
    assert "&lt;b&gt;every&lt;/b&gt;" in page and "<math" in page  # MathML is the HTML we make


def test_gradescope_results_show_student_text_as_plain_text():
    from calcgrade.grader.grading.reports import gradescope_results

    results = gradescope_results(_assignment(), _record(), [_part(HOSTILE)], reveal=False)
    assert results["output_format"] == results["test_output_format"] == results["test_name_format"] == "text"
    assert all(test["output_format"] == "text" for test in results["tests"])
    assert HOSTILE in results["tests"][0]["output"]  # shown as written, as text
