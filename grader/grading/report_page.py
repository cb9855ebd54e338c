"""The class report as one self-contained HTML page (``report.html``).

Rendered from ``templates/report.html.j2`` (auto-escaped) with the plots of
:mod:`calcgrade.grader.grading.report_plots` as data URIs and the families' mistake messages as
HTML with their LaTeX as MathML (:func:`calcgrade.grader.generation.handout.markdown_to_html`), so the
page needs neither network nor script.

>>> from calcgrade.grader.grading.class_report import ClassReport
>>> page = render_report(ClassReport("hw", "HW <1>", 2.0, 0, 0, {}, [], None, None, None,
...                                  None, None))
>>> "HW &lt;1&gt;" in page, "<script" in page
(True, False)
"""

from __future__ import annotations

import re

from calcgrade.core.names import answer_variable
from calcgrade.grader.grading.class_report import ClassReport

MATH_LIMIT = 300


def expression_math(text: str):
    """An answer or reference written as an expression, as MathML (parsed by our own
    bounded parser, never evaluated); "" when it is not one (a number list, a label).

    >>> "<math" in expression_math("3*x**2"), expression_math("[1, 2]")
    (True, '')
    """
    from markupsafe import Markup

    from calcgrade.core.grammar import CONSTANT_NAMES, FUNCTION_NAMES
    from calcgrade.core.parse import parse_expression
    from calcgrade.core.printing import to_latex
    from calcgrade.grader.generation.handout import math_html

    if not text or len(text) > MATH_LIMIT or not re.search(r"[A-Za-z]", text):
        return ""
    names = {name for name in re.findall(r"[A-Za-z_]\w*", text)
             if name not in FUNCTION_NAMES and name not in CONSTANT_NAMES and len(name) <= 8}
    try:
        latex = to_latex(parse_expression(text, sorted(names)))
    except Exception:  # not an expression: shown as written only
        return ""
    return Markup(math_html(latex, False))


def _message_html(message: str):
    from calcgrade.grader.generation.handout import markdown_to_html

    return markdown_to_html(message)


def render_report(report: ClassReport) -> str:
    """The page for ``report``."""
    from calcgrade.grader.grading import report_plots as plots
    from calcgrade.grader.grading.reports import number
    from calcgrade.templates import environment

    images = {}
    if report.totals:
        images["histogram"] = plots.histogram_uri(report.totals, report.total_points)
    if report.parts:
        images["parts"] = plots.parts_uri(
            [answer_variable(p.problem, p.answer) for p in report.parts],
            [p.share_correct for p in report.parts], [p.share_format_error for p in report.parts],
            [p.share_missing for p in report.parts], [p.discrimination for p in report.parts])
    top = report.mistakes and sorted(report.mistakes, key=lambda m: (-m.students, m.problem,
                                                                     m.mistake))[:25]
    if top:
        images["mistakes"] = plots.mistakes_uri([f"Q{m.problem} {m.mistake}" for m in top],
                                                [m.students for m in top])
    by_problem: dict[int, list] = {}
    for mistake in report.mistakes:
        by_problem.setdefault(mistake.problem, []).append(mistake)
    titles = {p["number"]: p["title"] for p in report.problems}
    messages = {m.mistake: _message_html(m.message) for m in report.mistakes}
    template = environment().get_template("report.html.j2")
    return template.render(report=report, images=images, number=number,
                           percent=lambda share: f"{100 * share:.0f}%",
                           index=lambda value: "" if value is None else f"{value:.2f}",
                           mistakes_by_problem=sorted(by_problem.items()), titles=titles,
                           messages=messages, math=expression_math)
