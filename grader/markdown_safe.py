"""Text from students (answers, file names, reasons) placed in Markdown without effect.

:func:`text` backslash-escapes the characters that start emphasis, code, links, images,
HTML tags, entities, strikethrough and tables (CommonMark lets any ASCII punctuation be
escaped), the ``:`` of ``http://`` and the ``.`` of ``www.`` (bare autolinks), ``@``
(e-mail autolinks), and a first character that would start a heading, list, quote or
rule; line breaks become spaces, so the text stays on its line.
:func:`code` makes an inline code span that no backtick in the text can close; HTML
inside a code span is shown, never run.

>>> print(text("*bold* [x](http://evil) <b>"))
\\*bold\\* \\[x\\]\\(http\\://evil\\) \\<b\\>
>>> print(text("# 1. Not a heading: ok."))
\\# 1. Not a heading: ok.
>>> print(text("2) item"))
2\\) item
>>> code("a`b"), code("`x`")
('``a`b``', '`` `x` ``')
>>> code("line\\nnext")
'`line\\\\nnext`'
"""

from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_\[\]<>&!~|(){}@])")
_AUTOLINK = re.compile(r"(?i)(?<=https)(:)|(?<=http)(:)|(?<=ftp)(:)|(?<=www)(\.)")
_BLOCK_START = re.compile(r"^(?:([#+\-=>])|\d+([.)]))")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def text(value: object) -> str:
    """``value`` as Markdown that renders as exactly its characters, on one line."""
    flat = _CONTROL.sub("", _LINE_BREAKS.sub(" ", str(value))).strip()
    escaped = _AUTOLINK.sub(lambda m: "\\" + m.group(0), _INLINE.sub(r"\\\1", flat))
    return _BLOCK_START.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], escaped, count=1)


def code(value: object) -> str:
    """``value`` as an inline code span (line breaks shown as ``\\n``)."""
    flat = _CONTROL.sub("", str(value).replace("\r", "\\r").replace("\n", "\\n"))
    flat = _LINE_BREAKS.sub(" ", flat)
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip(" ") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
