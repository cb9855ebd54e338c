"""MathML from latex2mathml, made to render in a browser the way the LaTeX reads.

latex2mathml translates symbol by symbol; browsers then apply MathML Core's operator
dictionary, which gets several things of a statement wrong. :func:`polish_mathml` fixes
them on the tree: a minus after an operator or an opening bracket is a sign (``form=
"prefix"``: no space as around a subtraction); a prime follows its letter instead of being
a superscript (the prime glyph is already raised); brackets around a matrix stretch, and
``\\left( x \\right)`` around nothing tall stays the size of ``( x )``; ``|x|`` pairs its
bars; ``∞`` and ``∂`` are symbols; ``/`` has no space around it; ``ln``, ``max`` and the
like are spaced as TeX spaces them.

>>> from latex2mathml.converter import convert
>>> m = polish_mathml(convert("(-2, x - 1)"))
>>> m.count('form="prefix"'), "<mn>1</mn>" in m
(1, True)
>>> "msup" in polish_mathml(convert("f'(x)"))
False
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

MATHML = "http://www.w3.org/1998/Math/MathML"

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
    """``mathml`` (one ``<math>`` element as text) with the fixes above; text that is not
    well-formed XML is returned as it is."""
    try:
        root = ET.fromstring(mathml)
    except ET.ParseError:  # not well-formed: leave it to the browser as it is
        return mathml
    for element in root.iter():
        element.tag = _tag(element)
    _polish_children(root)
    root.set("xmlns", MATHML)
    return ET.tostring(root, encoding="unicode")
