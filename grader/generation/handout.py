"""Printable HTML handouts: the same statements as the notebook, for reading and printing.

Markdown goes through markdown-it (CommonMark plus tables, raw HTML off) with the dollarmath
plugin; every ``$…$`` and ``$$…$$`` becomes MathML through latex2mathml, then
:func:`calcgrade.grader.generation.mathml.polish_mathml` fixes what browsers would otherwise draw
badly. Browsers render MathML natively, so a handout is one self-contained file that
shows its math offline, with no script and no network. LaTeX that latex2mathml cannot
convert is shown as its source.

>>> html = markdown_to_html("Compute $f'(x)$ for $f(x) = x^2$.")
>>> html.count("<math"), "$" in html
(2, False)
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin

from calcgrade.grader.generation.mathml import polish_mathml
from calcgrade.templates import environment

_UNKNOWN_COMMAND = re.compile(r">\\[A-Za-z]+<")
_TALL = ("<mfrac", "<mtable", "<munderover", "<msubsup><mo>\u2211", "<mroot")

@lru_cache(maxsize=8192)
def math_html(latex: str, display: bool) -> str:
    """MathML for ``latex`` (remembered: many formulas repeat across students)."""
    try:
        mathml = latex_to_mathml(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on LaTeX it cannot read
        mathml = ""
    if not mathml or _UNKNOWN_COMMAND.search(mathml):  # a command it passed through as text
        return f'<code class="tex">{html.escape(latex)}</code>'
    return polish_mathml(mathml)


def _math_rule(display: bool):
    def render(self, tokens, index, options, env):
        content = tokens[index].content
        mathml = math_html(content, display)
        if tokens[index].block:
            return f'<div class="math display">{mathml}</div>\n'
        kind = "display" if display else "inline"
        tall = " tall" if not display and any(mark in mathml for mark in _TALL) else ""
        return f'<span class="math {kind}{tall}">{mathml}</span>'
    return render


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")
    md.use(dollarmath_plugin, double_inline=True, allow_digits=False)
    md.add_render_rule("math_inline", _math_rule(False))
    md.add_render_rule("math_inline_double", _math_rule(True))
    md.add_render_rule("math_block", _math_rule(True))
    md.add_render_rule("math_block_label", _math_rule(True))
    return md


def markdown_to_html(text: str) -> Markup:
    """HTML for Markdown ``text`` with its LaTeX as MathML (raw HTML in ``text`` is shown as
    text); pipe tables become tables. Marked safe for the auto-escaping handout template.

    >>> table = markdown_to_html("| $x$ | $y$ |\\n|---|---|\\n| 1 | -2 |")
    >>> table.count("<th>"), table.count("<td>"), "|" in table
    (2, 2, False)
    """
    return Markup(_markdown().render(text))


@lru_cache(maxsize=16)
def _instructions_html(text: str) -> Markup:
    return markdown_to_html(text) if text.strip() else Markup("")


def build_handout(assignment, student, problems: list[dict]) -> str:
    """The HTML page of one student; ``problems`` as for the notebook."""
    from calcgrade.grader.generation.notebook import points_text, precision_text, tolerance_note

    rendered = [{
        "problem": item["problem"],
        "html": markdown_to_html(item["statement"]),
        "tolerance": markdown_to_html(tolerance_note(assignment, item["entries"])),
        "variables": [entry["variable"] for entry in item["entries"]],
    } for item in problems]
    return environment().get_template("handout.html.j2").render(
        assignment=assignment, student=student, problems=rendered, points=points_text,
        instructions=_instructions_html(assignment.instructions),
        precision=_instructions_html(precision_text(assignment)),
        due=assignment.due, title=assignment.title, student_name=student.display_name,
    ).strip() + "\n"
