"""LaTeX math as Unicode text that reads well in a terminal (``calcgrade preview``).

Statements are Markdown with LaTeX between ``$...$`` and ``$$...$$``; a terminal shows
neither. :func:`markdown_math_to_text` replaces each piece of math with plain text and
leaves everything else, code spans included, as written. :func:`latex_to_text` covers
what statements use: Greek letters and operators, fractions as ``a/b`` with brackets
where a reader needs them, powers and indices as Unicode super- and subscripts where
every character has one (else ``^(...)`` and ``_...``), ``\\sqrt``, accents (``ŷ``),
``\\mathbf``, ``\\operatorname``, ``\\text``, ``\\left``/``\\right``, spacing, and
matrices as ``[a, b; c, d]``. A command it does not know is kept as written; it never
raises, whatever the text.

>>> latex_to_text(r"\\frac{x^{2} + 2}{e^{x} + 1}")
'(x² + 2)/(eˣ + 1)'
>>> latex_to_text(r"\\theta \\leftarrow \\theta - \\alpha \\nabla f(\\theta)")
'θ ← θ − α∇f(θ)'
>>> latex_to_text(r"x_{k+1} = x_k - \\frac{f'(x_k)}{f''(x_k)}")
'xₖ₊₁ = xₖ − f′(xₖ)/f″(xₖ)'
>>> latex_to_text(r"A = \\begin{pmatrix} 4 & -4 \\\\ -4 & 6 \\end{pmatrix}")
'A = [4, −4; −4, 6]'
>>> markdown_math_to_text("Let $f(x) = x^{3}$ (as text: `x**3`).")
'Let f(x) = x³ (as text: `x**3`).'
"""

from __future__ import annotations

import re
import unicodedata

_GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "varpi": "ϖ", "rho": "ρ",
    "varrho": "ϱ", "sigma": "σ", "varsigma": "ς", "tau": "τ", "upsilon": "υ", "phi": "ϕ",
    "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Upsilon": "Υ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
_SYMBOLS = {
    "partial": "∂", "nabla": "∇", "cdot": "·", "times": "×", "div": "÷", "pm": "±", "mp": "∓",
    "infty": "∞", "dots": "…", "ldots": "…", "cdots": "⋯", "vdots": "⋮", "prime": "′",
    "top": "⊤", "circ": "∘", "odot": "⊙", "star": "⋆",
    "ell": "ℓ", "emptyset": "∅", "forall": "∀", "exists": "∃", "cup": "∪", "cap": "∩",
    "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉", "langle": "⟨", "rangle": "⟩",
    "lVert": "‖", "rVert": "‖", "Vert": "‖", "vert": "|", "lvert": "|", "rvert": "|",
    "mid": "|", "{": "{", "}": "}", "%": "%", "$": "$", "_": "_", "#": "#", "&": "&",
    "|": "‖", "colon": ":", "backslash": "\\",
}
# relations and arrows: spaced on both sides
_RELATIONS = {
    "leftarrow": "←", "gets": "←", "rightarrow": "→", "to": "→", "Rightarrow": "⇒",
    "Leftarrow": "⇐", "Leftrightarrow": "⇔", "iff": "⇔", "implies": "⇒", "mapsto": "↦",
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈",
    "equiv": "≡", "sim": "∼", "propto": "∝", "in": "∈", "notin": "∉", "subset": "⊂",
    "subseteq": "⊆", "ll": "≪", "gg": "≫",
}
_SPACES = {",": " ", ":": " ", ";": " ", " ": " ", "quad": "\u2003", "qquad": "\u2003\u2003",
           "!": "", "thinspace": " ", "enspace": " "}
_FUNCTIONS = {"ln", "log", "exp", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos",
              "arctan", "sinh", "cosh", "tanh", "max", "min", "argmax", "argmin", "det", "lim",
              "sup", "inf", "sgn", "deg", "dim", "ker", "Pr", "gcd", "arg"}
_TEXT_ARG = {"text", "textrm", "textit", "textbf", "mathrm", "mathit", "mathsf", "mathtt",
             "operatorname", "mathcal", "mathscr", "mathbb", "mathfrak"}
_BOLD_ARG = {"mathbf", "boldsymbol", "bm", "vec"}
_ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0304",
            "tilde": "\u0303", "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308"}
_FRACTIONS = {"frac", "dfrac", "tfrac", "cfrac"}
_SIZES = {"big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr",
          "displaystyle", "textstyle", "scriptstyle", "limits", "nolimits"}
_MATRICES = {"matrix", "pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "smallmatrix",
             "array"}

_SUPERSCRIPT = dict(zip(
    "0123456789+-−=()abcdefghijklmnoprstuvwxyzABDEGHIJKLMNOPRTUVWβγδθιφχ⊤′″",
    "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᴬᴮᴰᴱᴳᴴᴵᴶᴷᴸᴹᴺᴼᴾᴿᵀᵁⱽᵂᵝᵞᵟᶿᶥᵠᵡᵀ′″"))
_SUBSCRIPT = dict(zip("0123456789+-−=()aehijklmnoprstuvxβγρφχ",
                      "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓᵦᵧᵨᵩᵪ"))
_BOLD = {c: chr(0x1D400 + i) for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")}
_BOLD.update({str(d): chr(0x1D7CE + d) for d in range(10)})

_BIG_OPERATORS = {"sum": "Σ", "prod": "Π", "int": "∫", "oint": "∮"}
_BINARY = {"+": "+", "-": "−", "=": "=", "<": "<", ">": ">"}
_BINARY_COMMANDS = {"cdot": "·", "times": "×", "pm": "±", "mp": "∓", "div": "÷"}
_TOKEN = re.compile(r"\\([A-Za-z]+|.)|([{}^_&])|(\s+)|(.)", re.S)
_CELL, _ROW = "\x1f", "\x1e"   # markers of & and \\ until a matrix splits on them
_ATOM = re.compile(r"[−-]?(?:\d+(?:\.\d+)?|∂?[^\W\d_](?:[\u0300-\u036f′″ᵀ]|[⁰-ⁿₐ-ₜ₀-₎ᵢ-ᵪᴬ-ᵡ¹²³])*)")
_MAX_LENGTH = 20_000


def latex_to_text(latex: str) -> str:
    """One piece of LaTeX math as Unicode text (see the module docstring)."""
    if len(latex) > _MAX_LENGTH:
        return latex
    tokens = [(m.group(1), m.group(2), m.group(3), m.group(4)) for m in _TOKEN.finditer(latex)]
    try:
        text, _ = _Renderer(tokens).sequence(0, stop=None)
    except RecursionError:  # absurdly deep braces: show them as written
        return latex
    text = text.replace(_CELL, " ").replace(_ROW, "; ")
    return unicodedata.normalize("NFC", _tidy(text))   # ŷ as one character where there is one


def _tidy(text: str) -> str:
    """One space at most, none inside brackets' edges or before punctuation."""
    text = re.sub(r"[ \t\n]+", " ", text)
    text = re.sub(r" *(\u2003+) *", r"\1", text)
    text = re.sub(r" (?=[,;.)\]])", "", text)
    text = re.sub(r"(?<=[(\[]) ", "", text)
    return text.strip()


class _Renderer:
    def __init__(self, tokens):
        self.tokens = tokens

    def _skip_spaces(self, i: int) -> int:
        while i < len(self.tokens) and self.tokens[i][2]:
            i += 1
        return i

    def sequence(self, i: int, stop: str | None) -> tuple[str, int]:
        """Text up to the closing ``stop`` (``"}"``, ``"end"`` or None for the end)."""
        out: list[str] = []
        while i < len(self.tokens):
            command, special, space, char = self.tokens[i]
            if special == "}" and stop == "}":
                return "".join(out), i + 1
            if command == "end" and stop == "end":
                return "".join(out), i
            if space:
                out.append(" ")
                i += 1
            elif char in _BINARY or command in _BINARY_COMMANDS:
                symbol = _BINARY.get(char) or _BINARY_COMMANDS[command]
                if _operand_before(out):
                    out.append(f" {symbol} ")
                    i += 1
                else:   # a sign: nothing between it and what it signs
                    out.append(symbol)
                    i = self._skip_spaces(i + 1)
            elif special == "{":
                inner, i = self.sequence(i + 1, "}")
                out.append(inner)
            elif special == "}":   # a brace that closes nothing: shown as written
                out.append("}")
                i += 1
            elif special in ("^", "_"):
                argument, i = self.argument(i + 1)
                out.append(_script(argument, special))
            elif special == "&":
                out.append(_CELL)
                i += 1
            elif command in _FUNCTIONS:
                if _operand_before(out):
                    out.append(" ")
                out.append(command)
                i = self._skip_spaces(i + 1)
                if i < len(self.tokens) and self.tokens[i][0] in _FRACTIONS:
                    fraction, i = self.command(self.tokens[i][0], i + 1)
                    out.append(f"({fraction.strip()}) ")   # cos(πt/T), not cos πt/T
                elif i < len(self.tokens):
                    out.append(self._function_gap(i))
            elif command in _BIG_OPERATORS:
                out.append(_BIG_OPERATORS[command])
                i = self._skip_spaces(i + 1)
                while i < len(self.tokens) and self.tokens[i][1] in ("^", "_"):
                    kind = self.tokens[i][1]
                    argument, i = self.argument(i + 1)
                    out.append(_script(argument, kind))
                    i = self._skip_spaces(i)
                out.append(" ")
            elif command is not None:
                start = i + 1
                text, i = self.command(command, start)
                out.append(text)
                if command.isalpha() and i == start:   # as in TeX, spaces right after a
                    i = self._skip_spaces(i)            # command word are not text
            else:
                out.append(_char(char, out))
                i += 1
        return "".join(out), i

    def _function_gap(self, i: int) -> str:
        """What follows a function name such as ``ln``: nothing before a bracket or a
        script, a space before anything else."""
        command, special, _, char = self.tokens[i]
        if special == "{":   # \log{\left(x \right)}, as sympy writes it
            j = self._skip_spaces(i + 1)
            if j < len(self.tokens):
                command, special, _, char = self.tokens[j]
        if char in ("(", "[") or special in ("^", "_") or command in ("left", "big", "Big", "bigl"):
            return ""
        return " "

    def argument(self, i: int) -> tuple[str, int]:
        """One argument: a group in braces, a command, or one character."""
        i = self._skip_spaces(i)
        if i >= len(self.tokens):
            return "", i
        command, special, _, char = self.tokens[i]
        if special == "{":
            return self.sequence(i + 1, "}")
        if command is not None:
            return self.command(command, i + 1)
        if special:
            return special, i + 1
        return _char(char, []), i + 1

    def raw_group(self, i: int) -> tuple[str, int]:
        """The characters of a group as written (an environment's name)."""
        i = self._skip_spaces(i)
        if i < len(self.tokens) and self.tokens[i][1] == "{":
            j = i + 1
            while j < len(self.tokens) and self.tokens[j][1] != "}":
                j += 1
            text = "".join(t[0] and "\\" + t[0] or t[1] or t[2] or t[3] for t in self.tokens[i + 1:j])
            return text.strip(), min(j + 1, len(self.tokens))
        return "", i

    def command(self, name: str, i: int) -> tuple[str, int]:
        if name in _GREEK:
            return _GREEK[name], i
        if name in _RELATIONS:
            return f" {_RELATIONS[name]} ", i
        if name in _SYMBOLS:
            return _SYMBOLS[name], i
        if name in _SPACES:
            return _SPACES[name], i
        if name == "\\":
            return _ROW, i
        if name in _FUNCTIONS:
            return name, i
        if name in _SIZES:
            return "", i
        if name in _FRACTIONS:
            numerator, i = self.argument(i)
            denominator, i = self.argument(i)
            return f"{_bracketed(numerator, strict=False)}/{_bracketed(denominator, strict=True)} ", i
        if name == "sqrt":
            index = ""
            j = self._skip_spaces(i)
            if j < len(self.tokens) and self.tokens[j][3] == "[":
                k = j + 1
                while k < len(self.tokens) and self.tokens[k][3] != "]":
                    k += 1
                index = "".join(t[3] or t[2] or "" for t in self.tokens[j + 1:k]).strip()
                i = k + 1
            body, i = self.argument(i)
            body = body.strip()
            body = body if body[:1] == "(" and _matching(body) else f"({body})"
            if index not in ("", "2", "3", "4"):  # no root sign reads back: a power
                base = body[1:-1] if body[1:-1].isalnum() else body
                return f"{base}^(1/{index})", i
            return {"3": "∛", "4": "∜"}.get(index, "√") + body, i
        if name in _ACCENTS:
            body, i = self.argument(i)
            body = body.strip()
            if len(body) == 1:
                return body + _ACCENTS[name], i
            return f"{name}({body})", i
        if name in _BOLD_ARG:
            body, i = self.argument(i)
            return "".join(_BOLD.get(c, c) for c in body), i
        if name in _TEXT_ARG:
            return self.argument(i)
        if name in ("left", "right", "middle"):
            j = self._skip_spaces(i)
            if j >= len(self.tokens):
                return "", j
            command, special, _, char = self.tokens[j]
            if char == ".":
                return "", j + 1
            if command is not None:
                return _SYMBOLS.get(command, _RELATIONS.get(command, command)).strip(), j + 1
            return special or char or "", j + 1
        if name == "begin":
            environment, i = self.raw_group(i)
            if environment == "array":
                _, i = self.raw_group(i)  # the column layout
            body, i = self.sequence(i, "end")
            if i < len(self.tokens):
                _, i = self.raw_group(i + 1)
            return _environment(environment, body), i
        if name == "end":
            _, i = self.raw_group(i)
            return "", i
        return "\\" + name, i


def _operand_before(out: list[str]) -> bool:
    """Whether the text so far ends in something an operator can follow as a binary one
    (a letter, a number, a closing bracket, a script), not in an operator or an opening."""
    for piece in reversed(out):
        text = piece.rstrip(" ")
        if text:
            last = text[-1]
            return last.isalnum() or last in ")]}′″!|‖∞" or "\u0300" <= last <= "\u036f" \
                or last in _SUPERSCRIPT.values() or last in _SUBSCRIPT.values()
    return False


def _char(char: str, out: list[str]) -> str:
    if char == "-":
        return "−"
    if char == "'":
        if out and out[-1] == "′":   # f'' -> f″
            out.pop()
            return "″"
        return "′"
    if char == "~":
        return " "
    return char


def _script(text: str, kind: str) -> str:
    """``text`` raised (``^``) or lowered (``_``): Unicode where every character has a form."""
    text = _tidy(text)
    squeezed = text.replace(" ", "")
    table = _SUPERSCRIPT if kind == "^" else _SUBSCRIPT
    if not squeezed:
        return ""
    if squeezed == "⊤" and kind == "^":
        return "ᵀ"
    # a raised sum (e^{y - 2z}) reads better on the line: only a sign may lead a superscript
    # and a word (e^{sin(x)}) is hard to read raised
    raised_sum = kind == "^" and any(c in "+-−=" for c in squeezed.lstrip("+-−"))
    raised_word = kind == "^" and re.search(r"[A-Za-z]{2}", text)
    if squeezed and not raised_sum and not raised_word and all(c in table for c in squeezed):
        return "".join(table[c] for c in squeezed)
    if len(squeezed) == 1 or (kind == "_" and re.fullmatch(r"\w+", squeezed)):
        return kind + squeezed
    return f"{kind}({text})"


def _bracketed(text: str, strict: bool) -> str:
    """``text`` in brackets unless it reads as one thing; a denominator (``strict``) must be
    a single number or symbol, a numerator only free of spaces and operators."""
    text = text.strip()
    if not text or (text[0] in "([" and _matching(text)):
        return text
    if strict:
        return text if _one_thing(text) else f"({text})"
    if _one_thing(text):
        return text
    return f"({text})" if re.search(r"[\s+−\-=,/·×±<>≤≥]", text) else text


def _one_thing(text: str) -> bool:
    """A number, a symbol (with its scripts and accents), a function applied to a bracket
    (``f″(xₖ)``) or a root of one (``√(2π)``)."""
    if text[:1] in "√∛∜" and len(text) > 1:
        return text[1] == "(" and _matching(text[1:])
    if text[0] == "(":
        close = _closing(text)
        return close is not None and all(c in _SUPERSCRIPT.values() for c in text[close + 1:])
    match = _ATOM.match(text)
    if not match:
        return False
    rest = text[match.end():]
    return rest == "" or (rest[0] == "(" and _matching(rest))


def _closing(text: str) -> int | None:
    """Where the bracket that opens ``text`` closes (None: it does not)."""
    depth = 0
    for index, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
            if depth == 0:
                return index
    return None


def _matching(text: str) -> bool:
    """Whether ``text`` is one bracketed group: its first bracket closes at its end."""
    return _closing(text) == len(text) - 1


def _environment(name: str, body: str) -> str:
    rows = [row.strip() for row in body.split(_ROW)]
    rows = [row for row in rows if row]
    if name in _MATRICES:
        cells = [", ".join(cell.strip() for cell in row.split(_CELL)) for row in rows]
        return "[" + "; ".join(cells) + "]"
    if name == "cases":
        return "{ " + "; ".join(" ".join(c.strip() for c in row.split(_CELL)) for row in rows) + " }"
    return "; ".join(" ".join(c.strip() for c in row.split(_CELL)) for row in rows)


# --- Markdown with math ----------------------------------------------------------------------------

# as pandoc reads Markdown: inline math opens with a $ not followed by a space and closes
# with a $ not preceded by a space nor followed by a digit ("$5 and $10" is no math)
_PIECES = re.compile(r"(```.*?```|`[^`\n]*`|(?<!\\)\$\$.+?(?<!\\)\$\$"
                     r"|(?<!\\)\$(?!\s)[^$\n]+?(?<![\s\\])\$(?!\d))", re.S)
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def markdown_math_to_text(markdown: str, escape: bool = False) -> str:
    """``markdown`` with every ``$...$`` and ``$$...$$`` turned into text; code is kept.

    Display math becomes a paragraph of its own. With ``escape`` the text of the math is
    escaped for a Markdown renderer (so that ``_`` or ``*`` in it stay characters).

    >>> markdown_math_to_text("Minimize\\n$$f(x) = (x - 1)^{2}$$\\nby descent.")
    'Minimize\\n\\nf(x) = (x − 1)²\\n\\nby descent.'
    >>> markdown_math_to_text(r"costs \\$5, not $p_{\\text{label}}$", escape=True)
    'costs \\\\$5, not p\\\\_label'
    """
    def replace(match: re.Match) -> str:
        piece = match.group(0)
        if piece.startswith("`"):
            return piece
        display = piece.startswith("$$")
        text = latex_to_text(piece[2:-2] if display else piece[1:-1])
        if escape:
            text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
        return f"\n\n{text}\n\n" if display else text

    text = _PIECES.sub(replace, markdown)
    return re.sub(r"[ \t]*\n(?:[ \t]*\n)+", "\n\n", text)
