"""Printable HTML handouts: the same statements as the notebook, for reading and printing.

Markdown goes through markdown-it (CommonMark plus tables, raw HTML off) with the dollarmath
plugin; every ``$…$`` and ``$$…$$`` becomes MathML through latex2mathml, then
:func:`polish_mathml` fixes what browsers would otherwise draw badly (unary minus spaced as
a binary one, primes set as superscripts of superscripts, matrix brackets that do not
stretch). Browsers render MathML natively, so a handout is one self-contained file that
shows its math offline, with no script and no network. LaTeX that latex2mathml cannot
convert is shown as its source.

>>> html = markdown_to_html("Compute $f'(x)$ for $f(x) = x^2$.")
>>> html.count("<math"), "$" in html
(2, False)
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from functools import lru_cache

from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

from calcgrade.templates import environment

MATHML = "http://www.w3.org/1998/Math/MathML"
_UNKNOWN_COMMAND = re.compile(r">\\[A-Za-z]+<")
_TALL = ("<mfrac", "<mtable", "<munderover", "<msubsup><mo>\u2211", "<mroot")

_SIGNS = {"\u2212", "-", "+", "\u00b1", "\u2213"}
_CLOSING = {")", "]", "}", "|", "\u2016", "\u232a", "\u27e9", "\u230b", "\u2309", "!", "%"}
_OPENING = {"(", "[", "{", "|", "\u2016", "\u2329", "\u27e8", "\u230a", "\u2308"}
_PRIMES = {"'", "\u2032", "\u2033", "\u2034", "\u2057"}
_ORDINARY = {"\u221e", "\u2202"}  # ∞ and ∂ are symbols, not operators with space around
_TALL_TAGS = {"mfrac", "msqrt", "mroot", "mtable", "munderover", "munder"}
_THIN_SPACE = "0.1667em"


def _tag(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _is_mo(element: ET.Element | None, texts=None) -> bool:
    return (element is not None and _tag(element) == "mo"
            and (texts is None or _text(element) in texts))


def _opens_with_fence(element: ET.Element | None) -> bool:
    """Whether ``element`` is an opening bracket, or a row (or the base of a power) that
    starts with one."""
    while element is not None and _tag(element) in ("mrow", "msup", "msub", "msubsup") \
            and len(element):
        element = element[0]
    return _is_mo(element, _OPENING) and element.get("form") != "postfix"


def _is_name(element: ET.Element) -> bool:
    """A function or operator name of several letters (ln, sin, max, softmax)."""
    text = _text(element)
    return len(text) > 1 and text.isalpha() and not len(element)


def _is_tall(element: ET.Element) -> bool:
    """Whether ``element`` holds a fraction, a radical, a matrix or limits."""
    return any(_tag(e) in _TALL_TAGS or (_tag(e) == "mover" and e.get("accent") != "true")
               for e in element.iter())


def _unscript_primes(parent: ET.Element) -> None:
    """``f'`` as ``f`` then a prime: the prime glyph is already raised, and as a
    superscript it floats far above the letter."""
    children = []
    for child in parent:
        script = child[1] if _tag(child) == "msup" and len(child) == 2 else None
        primes = _text(script)
        if primes and set(primes) <= _PRIMES and _tag(script) in ("mi", "mo") and not len(script):
            prime = ET.Element("mo", lspace="0", rspace="0")
            prime.text = primes.replace("'", "\u2032")
            children += [child[0], prime]
        else:
            children.append(child)
    parent[:] = children


def _space_names(parent: ET.Element) -> None:
    """Function and operator names spaced as TeX spaces them: a thin space between ``k`` and
    ``ln`` in ``k ln p`` and between ``ln`` and ``x`` in ``ln x``, none before the bracket
    in ``ln(x)`` or ``max(0, x)``."""
    children = []
    elements = list(parent)
    for index, child in enumerate(elements):
        before = elements[index - 1] if index > 0 else None
        after = elements[index + 1] if index + 1 < len(elements) else None
        if not _is_name(child):
            children.append(child)
            continue
        spaced_before = before is not None and _tag(before) not in ("mo", "mspace") or \
            _is_mo(before, _CLOSING) and before.get("form") != "prefix"
        spaced_after = after is not None and not _opens_with_fence(after) and _tag(after) != "mo"
        if _tag(child) == "mo":
            child.set("lspace", _THIN_SPACE if spaced_before else "0")
            child.set("rspace", _THIN_SPACE if spaced_after else "0")
            children.append(child)
            continue
        if spaced_before:
            children.append(ET.Element("mspace", width=_THIN_SPACE))
        children.append(child)
        if spaced_after:
            children.append(ET.Element("mspace", width=_THIN_SPACE))
    parent[:] = children


def _pair_bars(children: list[ET.Element]) -> None:
    """``|x|``: an even number of plain bars in a row are opening and closing fences."""
    bars = [c for c in children if _is_mo(c, {"|", "\u2016"}) and not c.get("form")]
    if len(bars) >= 2 and len(bars) % 2 == 0:
        for number, bar in enumerate(bars):
            bar.attrib.update(fence="true", form="postfix" if number % 2 else "prefix")


def _polish_children(parent: ET.Element) -> None:
    _unscript_primes(parent)
    _space_names(parent)
    children = list(parent)
    _pair_bars(children)
    if len(children) >= 2 and children[0].get("stretchy") == "true" \
            and children[0].get("form") == "prefix" and children[-1].get("form") == "postfix" \
            and not _is_tall(parent):
        for fence in (children[0], children[-1]):  # \left( x \right): no taller than ( x )
            fence.set("stretchy", "false")
    for index, child in enumerate(children):
        tag, text = _tag(child), _text(child)
        if tag == "mo" and text in _SIGNS and index > 0:
            before = children[index - 1]
            if _is_mo(before) and (before.get("form") == "prefix" or (
                    _text(before) not in _CLOSING and before.get("form") != "postfix")):
                child.set("form", "prefix")  # −2 in (−2, −1) or = −x: a sign, not a subtraction
        elif tag == "mo" and text in _ORDINARY:
            child.tag = "mi"
            child.set("mathvariant", "normal")
        elif tag == "mo" and text == "/":
            child.set("lspace", "0")
            child.set("rspace", "0")
        elif tag == "mtable":
            before = children[index - 1] if index > 0 else None
            after = children[index + 1] if index + 1 < len(children) else None
            if _is_mo(before, _OPENING) and _is_mo(after, _CLOSING):
                for fence, form in ((before, "prefix"), (after, "postfix")):
                    fence.attrib.update(stretchy="true", fence="true", symmetric="true", form=form)
        if len(child):
            _polish_children(child)


def polish_mathml(mathml: str) -> str:
    """MathML from latex2mathml, made to render as the LaTeX reads in a browser.

    >>> m = polish_mathml(latex_to_mathml("(-2, x - 1)"))
    >>> m.count('form="prefix"'), "<mn>1</mn>" in m
    (1, True)
    >>> "msup" in polish_mathml(latex_to_mathml("f'(x)"))
    False
    """
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError:  # not well-formed: leave it to the browser as it is
        return mathml
    for element in root.iter():
        element.tag = _tag(element)
    _polish_children(root)
    root.set("xmlns", MATHML)
    return ET.tostring(root, encoding="unicode")


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


def markdown_to_html(text: str) -> str:
    """HTML for Markdown ``text`` with its LaTeX as MathML; pipe tables become tables.

    >>> table = markdown_to_html("| $x$ | $y$ |\\n|---|---|\\n| 1 | -2 |")
    >>> table.count("<th>"), table.count("<td>"), "|" in table
    (2, 2, False)
    """
    return _markdown().render(text)


@lru_cache(maxsize=16)
def _instructions_html(text: str) -> str:
    return markdown_to_html(text) if text.strip() else ""


def build_handout(assignment, student, problems: list[dict]) -> str:
    """The HTML page of one student; ``problems`` as for the notebook."""
    from calcgrade.grader.notebook import points_text, precision_text, tolerance_note

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
        due=html.escape(assignment.due), title=html.escape(assignment.title),
        student_name=html.escape(student.display_name),
    ).strip() + "\n"
