"""Rewrite what students type or paste into the notation the expression parser reads.

Plain Python, standard library only and self-contained: the source of this module is
copied into notebooks, where calcgrade is not installed. It rewrites

- library prefixes: ``np.exp(x)``, ``math.pi``, ``sp.E``, ``sympy.sqrt(x)``;
- a left-hand side: ``f(x) =``, ``f'(x) =``, ``y =``, ``dy/dx =``, ``∂f/∂x =``, ``g_x =``;
- Unicode: minus signs and dashes, ``× · ÷``, superscripts (``x²`` is ``x^(2)``), ``√x``,
  ``∛x`` (a real cube root, ``cbrt``), ``π``, ``ℯ``, full-width and other compatibility
  characters (NFKC), other brackets;
- LaTeX: ``$...$``, ``\\frac{a}{b}``, ``\\cdot``, ``\\left( \\right)``, ``\\left| \\right|``,
  ``x^{...}``, ``\\sin``, ``\\sqrt{...}``, ``\\sqrt[3]{...}``, ``\\pi``, ``\\mathrm{e}``,
  ``\\operatorname{...}``, braces, spacing commands. In LaTeX, as in TeX, a space between
  two digits does not separate them (``3 3^{x}`` shows, and reads, as ``33^x``), and
  ``x^23`` is ``x^(2)3``.

:func:`normalise_with_origins` also says, for every character of the result, which
character of the input it came from, so that an error can point at what was typed.

>>> normalise_notation("f'(x) = 3x² − np.exp(x)")
'3x^(2) - exp(x)'
>>> normalise_notation(r"$\\frac{1}{2}\\sqrt[3]{x} \\cdot e^{-x}$")
'((1)/(2))cbrt(x) *e^(-x)'
"""

import re
import unicodedata

_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱˣʸᶻᵗᵘᵛʷᵉ", "0123456789+-=()nixyztuvwe"))
_CHARACTERS = {
    **dict.fromkeys("−–—‒―⁃‐‑﹘", "-"),
    **dict.fromkeys("×·⋅∗∙✕✖⨯", "*"),
    **dict.fromkeys("÷∕⁄", "/"),
    **dict.fromkeys("∣❘│", "|"),
    **dict.fromkeys("′’ʹ´", "'"),
    **dict.fromkeys("⟮❨❪〔【⦅⟦⁅❲", "("),
    **dict.fromkeys("⟯❩❫〕】⦆⟧⁆❳", ")"),
    **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),
    "″": "''", "‴": "'''", "π": "pi", "√": "sqrt", "∛": "cbrt", "∜": "sqrt sqrt",
}
_LATEX_FUNCTIONS = {"sin", "cos", "tan", "ln", "log", "exp", "arcsin", "arccos", "arctan",
                    "sinh", "cosh", "tanh", "sqrt", "abs"}
_LATEX_SYMBOLS = {
    "cdot": "*", "times": "*", "ast": "*", "cdotp": "*", "div": "/", "pi": "pi ",
    "lvert": "|", "rvert": "|", "vert": "|", "mid": "|", "|": "|", "prime": "'",
    "{": "(", "}": ")", "lbrace": "(", "rbrace": ")", "lbrack": "(", "rbrack": ")",
    ",": " ", ";": " ", ":": " ", "!": " ", " ": " ", "quad": " ", "qquad": " ",
    "thinspace": " ", "displaystyle": "", "textstyle": "", "limits": "",
}
_LATEX_TEXT = {"mathrm", "operatorname", "text", "textrm", "mathit", "mathsf", "mathbf",
               "mathnormal", "rm"}
_LATEX_SIZES = {"left", "right", "middle", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl",
                "Bigr", "biggl", "biggr", "Biggl", "Biggr"}
_LATEX_DELIMITERS = {"(": "(", ")": ")", "[": "(", "]": ")", "|": "|", ".": "",
                     "\\{": "(", "\\}": ")", "\\lvert": "|", "\\rvert": "|", "\\vert": "|",
                     "\\|": "|", "\\lbrace": "(", "\\rbrace": ")"}
_FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
_PREFIX = re.compile(r"(?<![A-Za-z0-9_.])(?:numpy|np|math|sympy|sp)\.(?=[A-Za-z])")
_LEFT_SIDE = re.compile(r"\s*[A-Za-z∂(][A-Za-z0-9_'∂/^(),\s]{0,40}=")
_DIGITS = "0123456789."


def normalise_notation(text: str) -> str:
    """``text`` rewritten into the parser's notation (see the module docstring).

    >>> normalise_notation("∂f/∂x = |x|·sin x")
    '|x|*sin x'
    """
    return normalise_with_origins(text)[0]


def normalise_with_origins(text: str) -> tuple:
    """The normalised text and, per character (and one for its end), the input index.

    >>> normalise_with_origins("y=2π")
    ('2pi', [2, 3, 3, 4])
    """
    s, origins = text, list(range(len(text)))
    s, origins, latex = _strip_math_delimiters(s, origins)
    s, origins = _map_characters(s, origins)
    latex = latex or bool(re.search(r"\\[A-Za-z,;:! {}|]", s))
    s, origins = _Latex(s, origins, latex).convert()
    s, origins = _substitute(_PREFIX, s, origins, "")
    s, origins = _drop_left_side(s, origins)
    return s, origins + [len(text)]


def _substitute(pattern, s, origins, replacement):
    out, src, last = [], [], 0
    for match in pattern.finditer(s):
        out.append(s[last:match.start()])
        src.extend(origins[last:match.start()])
        out.append(replacement)
        src.extend([origins[match.start()] if match.start() < len(origins) else 0] * len(replacement))
        last = match.end()
    out.append(s[last:])
    src.extend(origins[last:])
    return "".join(out), src


def _strip_math_delimiters(s, origins):
    if "$" in s:  # math mode delimiters, wherever they are
        kept = [i for i, ch in enumerate(s) if ch != "$"]
        return "".join(s[i] for i in kept), [origins[i] for i in kept], True
    stripped = s.strip()
    start = len(s) - len(s.lstrip())
    for opening, closing in (("\\(", "\\)"), ("\\[", "\\]")):
        if (len(stripped) >= len(opening) + len(closing) and stripped.startswith(opening)
                and stripped.endswith(closing)):
            begin, end = start + len(opening), start + len(stripped) - len(closing)
            return s[begin:end], origins[begin:end], True
    return s, origins, False


def _map_characters(s, origins):
    out, src = [], []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch in _SUPERSCRIPTS:
            j = i
            while j < len(s) and s[j] in _SUPERSCRIPTS:
                j += 1
            run = "^(" + "".join(_SUPERSCRIPTS[c] for c in s[i:j]) + ")"
            out.append(run)
            src.extend([origins[i]] * 2 + origins[i:j] + [origins[j - 1]])
            i = j
            continue
        if ch.isspace():
            replaced = " "
        elif ch in _CHARACTERS or ch.isascii():
            replaced = _CHARACTERS.get(ch, ch)
        else:
            compatible = unicodedata.normalize("NFKC", ch)
            replaced = "".join(_CHARACTERS.get(c, c) for c in compatible)
            if "/" in replaced and len(replaced) > 1:  # a vulgar fraction such as ½
                replaced = f"({replaced})"
        out.append(replaced)
        src.extend([origins[i]] * len(replaced))
        i += 1
    return "".join(out), src


class _Latex:
    """Read LaTeX math into plain notation; braces and brackets become parentheses."""

    MAX_DEPTH = 80  # deeper groups are copied flat: the parser refuses such nesting anyway

    def __init__(self, s, origins, strict):
        self.s, self.origins, self.strict = s, origins, strict
        self.depth = 0

    def convert(self):
        out, src, _ = self.span(0, None)
        return "".join(out), src

    def origin(self, i):
        return self.origins[min(i, len(self.origins) - 1)] if self.origins else 0

    def span(self, i, closer):
        self.depth += 1
        try:
            return self._span(i, closer)
        finally:
            self.depth -= 1

    def _span(self, i, closer):
        s, out, src = self.s, [], []
        flat = self.depth > self.MAX_DEPTH

        def emit(text, at):
            out.extend(text)
            src.extend([self.origin(at)] * len(text))

        while i < len(s):
            c = s[i]
            if closer is not None and c == closer:
                return out, src, i + 1
            if flat and c in "{[\\":
                emit("(" if c in "{[" else c, i)
                i += 1
            elif c in "{[":
                inner, inner_src, end = self.span(i + 1, "}" if c == "{" else "]")
                emit("(", i)
                out.extend(inner)
                src.extend(inner_src)
                emit(")", end - 1)
                i = end
            elif c == "]":
                emit(")", i)
                i += 1
            elif c == "\\":
                i = self.command(i, emit, out, src)
            elif c == "^" and self.strict:
                emit("^", i)
                i = self.skip_spaces(i + 1)
                if i < len(s) and (s[i].isalnum() and s[i].isascii()):
                    emit(f"({s[i]})", i)
                    i += 1
            elif c.isspace():
                j = self.skip_spaces(i)
                joined = (self.strict and out and out[-1] in _DIGITS and j < len(s)
                          and s[j] in _DIGITS)
                if not joined:
                    emit(" ", i)
                i = j
            else:
                emit(c, i)
                i += 1
        return out, src, i

    def skip_spaces(self, i):
        while i < len(self.s) and self.s[i].isspace():
            i += 1
        return i

    def read_name(self, i):
        """The command starting at the backslash ``i``: (name, index after it)."""
        s, j = self.s, i + 1
        if j < len(s) and s[j].isascii() and s[j].isalpha():
            while j < len(s) and s[j].isascii() and s[j].isalpha():
                j += 1
            return s[i + 1:j], self.skip_spaces(j)
        return s[i + 1:j + 1], min(j + 1, len(s))

    def argument(self, i):
        """A command's argument at ``i``: a braced group, a command or one character."""
        self.depth += 1
        try:
            return self._argument(i)
        finally:
            self.depth -= 1

    def _argument(self, i):
        i = self.skip_spaces(i)
        if i < len(self.s) and self.s[i] == "{" and self.depth <= self.MAX_DEPTH:
            return self.span(i + 1, "}")
        if self.depth > self.MAX_DEPTH:
            return [], [], i
        out, src = [], []
        if i < len(self.s) and self.s[i] == "\\":

            def emit(text, at):
                out.extend(text)
                src.extend([self.origin(at)] * len(text))
            return out, src, self.command(i, emit, out, src)
        if i < len(self.s):
            return [self.s[i]], [self.origin(i)], i + 1
        return out, src, i

    def command(self, i, emit, out, src):
        name, j = self.read_name(i)

        def wrap(parts):
            for text, part in parts:
                if isinstance(part, tuple):
                    out.extend(part[0])
                    src.extend(part[1])
                else:
                    emit(text, part)

        if name in _FRACTIONS:
            top, top_src, j = self.argument(j)
            bottom, bottom_src, j = self.argument(j)
            wrap([("((", i), ("", (top, top_src)), (")/(", i), ("", (bottom, bottom_src)), ("))", i)])
        elif name == "sqrt":
            j = self.skip_spaces(j)
            index = None
            if j < len(self.s) and self.s[j] == "[":
                index, index_src, j = self.span(j + 1, "]")
            body, body_src, j = self.argument(j)
            written = "".join(index or "").strip()
            if index is None or written == "2":
                wrap([("sqrt(", i), ("", (body, body_src)), (")", i)])
            elif written == "3":
                wrap([("cbrt(", i), ("", (body, body_src)), (")", i)])
            else:
                wrap([("((", i), ("", (body, body_src)), (")^(1/(", i), ("", (index, index_src)),
                      (")))", i)])
        elif name in _LATEX_FUNCTIONS:
            emit(f" {name} ", i)
        elif name in _LATEX_SYMBOLS:
            emit(_LATEX_SYMBOLS[name], i)
        elif name in _LATEX_TEXT:
            body, body_src, j = self.argument(j)
            emit(" ", i)
            out.extend(body)
            src.extend(body_src)
            emit(" ", i)
        elif name in _LATEX_SIZES:
            j = self.skip_spaces(j)
            delimiter = self.s[j:j + 1]
            if delimiter == "\\":
                delimiter, after = self.read_name(j)
                delimiter = "\\" + delimiter
            else:
                after = j + 1
            if delimiter in _LATEX_DELIMITERS:
                emit(_LATEX_DELIMITERS[delimiter], j)
                j = after
        else:
            emit("\\" + name, i)
        return j


def _drop_left_side(s, origins):
    """``f'(x) = ...`` -> ``...`` when the text has one ``=`` after a name-like left side."""
    if s.count("=") != 1:
        return s, origins
    match = _LEFT_SIDE.match(s)
    if not match or re.search(r"[+*\-]", match.group()):
        return s, origins
    end = match.end()
    while end < len(s) and s[end].isspace():
        end += 1
    return s[end:], origins[end:]
