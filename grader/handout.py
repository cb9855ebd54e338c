"""Printable HTML handouts: the same statements as the notebook, for reading and printing.

Markdown goes through markdown-it (CommonMark, raw HTML off) with the dollarmath plugin;
every ``$…$`` and ``$$…$$`` becomes MathML through latex2mathml. Browsers render MathML
natively, so a handout is one self-contained file that shows its math offline, with no
script and no network. LaTeX that latex2mathml cannot convert is shown as its source.

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

from calcgrade.templates import environment

_UNKNOWN_COMMAND = re.compile(r">\\[A-Za-z]+<")


@lru_cache(maxsize=8192)
def math_html(latex: str, display: bool) -> str:
    """MathML for ``latex`` (remembered: many formulas repeat across students)."""
    try:
        mathml = latex_to_mathml(latex.strip(), display="block" if display else "inline")
    except Exception:  # latex2mathml raises assorted errors on LaTeX it cannot read
        mathml = ""
    if not mathml or _UNKNOWN_COMMAND.search(mathml):  # a command it passed through as text
        return f'<code class="tex">{html.escape(latex)}</code>'
    return mathml


def _math_rule(display: bool):
    def render(self, tokens, index, options, env):
        content = tokens[index].content
        mathml = math_html(content, display)
        if tokens[index].block:
            return f'<div class="math display">{mathml}</div>\n'
        kind = "display" if display else "inline"
        return f'<span class="math {kind}">{mathml}</span>'
    return render


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.use(dollarmath_plugin, double_inline=True, allow_digits=False)
    md.add_render_rule("math_inline", _math_rule(False))
    md.add_render_rule("math_inline_double", _math_rule(True))
    md.add_render_rule("math_block", _math_rule(True))
    md.add_render_rule("math_block_label", _math_rule(True))
    return md


def markdown_to_html(text: str) -> Markup:
    """HTML for Markdown ``text`` with its LaTeX as MathML (raw HTML in ``text`` is shown as
    text), marked safe for the auto-escaping handout template."""
    return Markup(_markdown().render(text))


@lru_cache(maxsize=16)
def _instructions_html(text: str) -> Markup:
    return markdown_to_html(text) if text.strip() else Markup("")


def build_handout(assignment, student, problems: list[dict]) -> str:
    """The HTML page of one student; ``problems`` as for the notebook."""
    rendered = [{
        "problem": item["problem"],
        "html": markdown_to_html(item["statement"]),
        "variables": [entry["variable"] for entry in item["entries"]],
    } for item in problems]
    from calcgrade.grader.notebook import points_text

    return environment().get_template("handout.html.j2").render(
        assignment=assignment, student=student, problems=rendered, points=points_text,
        instructions=_instructions_html(assignment.instructions),
        due=assignment.due, title=assignment.title, student_name=student.display_name,
    ).strip() + "\n"
