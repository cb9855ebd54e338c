"""The grammar of math answers, in plain Python: one parser for the grader and the notebook.

A tokenizer and a recursive-descent parser read the notation students write and call a
*builder* for every piece they recognise; the grader's builder makes expression trees
(``calcgrade.core.parse``), :class:`CheckBuilder` builds nothing, so that
:func:`expression_problem` can say in a notebook, without calcgrade, exactly whether the
grader will be able to read an answer. This module uses only the standard library and
imports nothing of calcgrade when its source follows ``notation.py``'s in one namespace
(see ``SELFCHECK_MODULES`` in ``calcgrade.core.parse``).

Grammar (``^`` and ``**`` are the same token)::

    sum      := product (('+' | '-') product)*
    product  := unary (('*' | '/') unary | factor)*      juxtaposition multiplies
    unary    := ('+' | '-') unary | power
    power    := atom ('**' unary)?                        right associative
    atom     := number | variable | constant | '(' sum ')' | '|' sum '|' | call
    call     := function ('**' count)? ('(' sum ')' | argument)
    argument := ('+' | '-')? power power*

A *function applied without parentheses* takes as its argument the implicit product that
follows it: the juxtaposed factors up to the next ``+`` or ``-``, explicit ``*`` or ``/``,
closing ``)`` or ``|``, or the next function name. So ``sin 2x`` is ``sin(2x)``,
``ln x + 1`` is ``ln(x) + 1``, ``sin x cos x`` is ``sin(x)·cos(x)``, ``sin x/2`` is
``sin(x)/2``, and ``sin^2 x`` (a whole-number power written right after the name) is
``sin(x)^2``. ``sin^-1`` is refused as ambiguous. Absolute values are ``|...|``: a bar
where an operand is expected opens one, a bar after an operand closes the innermost
open one (parentheses start afresh), so ``||x| - 1|`` nests. A word made of known names
is split (``xy`` is ``x·y``, ``sinx`` is ``sin x``, ``sin2x`` is ``sin 2x``).

Limits: length, nesting depth, and the size of exact numbers. The parser folds every
subexpression made of numbers alone exactly (``Fraction``) and refuses, as "too large to
evaluate", a literal or a value beyond a float or with more than ``MAX_NUMBER_BITS`` bits
in numerator or denominator, predicting a power's size before computing it. These are
the only refusals besides syntax, so they are the same for every builder.

>>> expression_problem("3x^2 + sin x", ["x"]) is None
True
>>> expression_problem("3x^2 + z", ["x"])
"unknown name 'z' (the variables are: x; allowed: numbers, + - * / ^, ( ), |x|, exp ln log sqrt cbrt sin cos tan asin acos atan sinh cosh tanh abs, e, pi) at column 8: 3x^2 + z"
"""

import re
from fractions import Fraction
from typing import NamedTuple

try:
    normalise_with_origins  # defined when this source follows notation.py's in one namespace
except NameError:
    from calcgrade.core.notation import normalise_with_origins

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_NUMBER_BITS = 4096
LARGEST_FLOAT = Fraction(1.7976931348623157e308)

FUNCTION_NAMES = {
    "exp": "exp", "ln": "log", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
    "asin": "asin", "arcsin": "asin", "acos": "acos", "arccos": "acos", "atan": "atan",
    "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "abs": "Abs",
    "Abs": "Abs", "sqrt": "sqrt", "cbrt": "cbrt",
}
CONSTANT_NAMES = {"e": "E", "E": "E", "pi": "pi"}
ALLOWED_HELP = ("numbers, + - * / ^, ( ), |x|, exp ln log sqrt cbrt sin cos tan asin acos atan "
                "sinh cosh tanh abs, e, pi")


class GrammarError(ValueError):
    """Text outside the grammar; ``position`` is a 0-based index into the parsed text."""

    def __init__(self, reason, position=None):
        super().__init__(reason)
        self.reason = reason
        self.position = position


class Token(NamedTuple):
    kind: str  # num, name, op, lpar, rpar, bar, comma, end
    text: str
    pos: int


class Operand(NamedTuple):
    """What the builder made of a piece, and its exact value if it is made of numbers only."""

    node: object
    exact: object  # Fraction or None


_TOKEN = re.compile(
    r"(?P<num>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)|(?P<name>[A-Za-z][A-Za-z0-9]*)"
    r"|(?P<op>\*\*|[-+*/^])|(?P<lpar>\()|(?P<rpar>\))|(?P<bar>\|)|(?P<comma>,)"
)
_NUMBER = re.compile(r"([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?")


def tokenize(text):
    """Split ``text`` into tokens; raise :class:`GrammarError` on any other character.

    >>> [t.text for t in tokenize("2x^2 + |x|")]
    ['2', 'x', '**', '2', '+', '|', 'x', '|', '']
    """
    tokens, pos = [], 0
    while True:
        while pos < len(text) and text[pos] in " \t\r\n\f\v":
            pos += 1
        if pos >= len(text):
            break
        match = _TOKEN.match(text, pos)
        if not match:
            command = re.match(r"\\[A-Za-z]+", text[pos:])
            if command:
                raise GrammarError(f"the LaTeX command {command.group()} is not understood here "
                                   "(write the expression in plain notation, e.g. 3*x**2 + exp(x))", pos)
            raise GrammarError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup
        token_text = match.group(kind)
        tokens.append(Token(kind, "**" if token_text == "^" else token_text, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def read_number(text, pos=0):
    """The exact value of a number literal, refused before computing it if too large.

    >>> read_number("1.5e-3")
    Fraction(3, 2000)
    """
    whole, decimals, exponent = _NUMBER.fullmatch(text).groups()
    digits = (whole + decimals).lstrip("0")
    if not digits:
        return Fraction(0)
    if exponent and len(exponent.lstrip("+-").lstrip("0")) > 6:
        scale = -10**7 if exponent.startswith("-") else 10**7
    else:
        scale = int(exponent or 0) - len(decimals)
    if len(digits) + scale > 309:
        raise GrammarError(f"the number {text} is too large to evaluate (at most about 1.8e308)", pos)
    if len(digits) > 1233 or -scale > 1233:
        raise GrammarError(f"the number {text} has too many digits to evaluate", pos)
    value = Fraction(int(digits) * 10**max(scale, 0), 10**max(-scale, 0))
    return _bounded(value, pos, text)


def _bounded(value, pos, what="the value here"):
    if value.numerator.bit_length() > MAX_NUMBER_BITS or abs(value) > LARGEST_FLOAT:
        raise GrammarError(f"{what} is too large to evaluate", pos)
    if value.denominator.bit_length() > MAX_NUMBER_BITS:
        raise GrammarError(f"{what} has too many digits to evaluate", pos)
    return value


class CheckBuilder:
    """A builder that builds nothing: enough to decide whether text is readable."""

    def number(self, value):
        return None

    def variable(self, name):
        return None

    def constant(self, name):
        return None

    def function(self, name, arg):
        return None

    def add(self, terms):
        return None

    def negate(self, a):
        return None

    def multiply(self, a, b):
        return None

    def divide(self, a, b):
        return None

    def power(self, base, exponent):
        return None


def split_word(word, variables):
    """A word as known names (and numbers after a function name), or None.

    >>> split_word("xsin2x", {"x"})
    ['x', 'sin', '2', 'x']
    """
    if word in variables or word in FUNCTION_NAMES or word in CONSTANT_NAMES:
        return [word]
    longest = max(map(len, (*variables, *FUNCTION_NAMES, *CONSTANT_NAMES)))
    best = {0: []}  # index -> fewest pieces reaching it
    for start in range(len(word)):
        if start not in best:
            continue
        pieces = best[start]
        after_function = bool(pieces) and pieces[-1] in FUNCTION_NAMES
        if word[start].isdigit():
            end = start
            while end < len(word) and word[end].isdigit():
                end += 1
            if after_function and (end not in best or len(best[end]) > len(pieces) + 1):
                best[end] = pieces + [word[start:end]]
            continue
        for end in range(min(len(word), start + longest), start, -1):
            piece = word[start:end]
            if piece in variables or piece in FUNCTION_NAMES or piece in CONSTANT_NAMES:
                if end not in best or len(best[end]) > len(pieces) + 1:
                    best[end] = pieces + [piece]
    return best.get(len(word))


class _Parser:
    def __init__(self, text, variables, builder):
        self.text = text
        self.variables = variables
        self.build = builder
        self.tokens = self._split_names(tokenize(text))
        self.i = 0
        self.depth = 0
        self.open_bars = 0

    def _split_names(self, tokens):
        out = []
        for token in tokens:
            pieces = split_word(token.text, self.variables) if token.kind == "name" else None
            if pieces is None or len(pieces) == 1:
                out.append(token)
                continue
            pos = token.pos
            for piece in pieces:
                out.append(Token("num" if piece[0].isdigit() else "name", piece, pos))
                pos += len(piece)
        return out

    @property
    def tok(self):
        return self.tokens[self.i]

    def error(self, reason, token=None):
        return GrammarError(reason, (token or self.tok).pos)

    def enter(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression is nested more than {MAX_DEPTH} deep")

    def leave(self):
        self.depth -= 1

    def is_op(self, *ops):
        return self.tok.kind == "op" and self.tok.text in ops

    # grammar -------------------------------------------------------------------------
    def parse(self):
        if self.tok.kind == "end":
            raise self.error("the expression is empty")
        result = self.sum()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return result.node

    def sum(self):
        self.enter()
        terms = [self.product()]
        last = self.tok
        while self.is_op("+", "-"):
            sign, last = self.tok.text, self.tok
            self.i += 1
            term = self.product()
            terms.append(self.negate(term) if sign == "-" else term)
        self.leave()
        if len(terms) == 1:
            return terms[0]
        exact = None
        if all(t.exact is not None for t in terms):
            exact = _bounded(sum(t.exact for t in terms), last.pos)
        return Operand(self.build.add([t.node for t in terms]), exact)

    def negate(self, a):
        return Operand(self.build.negate(a.node), None if a.exact is None else -a.exact)

    def starts_factor(self):
        """Whether the current token begins a juxtaposed factor."""
        kind = self.tok.kind
        return kind in ("num", "name", "lpar") or (kind == "bar" and self.open_bars == 0)

    def product(self):
        result = self.unary()
        while True:
            if self.is_op("*", "/"):
                op = self.tok
                self.i += 1
                right = self.unary()
                result = self.multiply(result, right, op) if op.text == "*" else self.divide(result, right, op)
            elif self.starts_factor():
                op = self.tok
                result = self.multiply(result, self.power(), op)
            else:
                return result

    def multiply(self, a, b, op):
        exact = None
        if a.exact is not None and b.exact is not None:
            exact = _bounded(a.exact * b.exact, op.pos)
        return Operand(self.build.multiply(a.node, b.node), exact)

    def divide(self, a, b, op):
        if b.exact == 0:
            raise self.error("division by zero", op)
        exact = None
        if a.exact is not None and b.exact is not None:
            exact = _bounded(a.exact / b.exact, op.pos)
        return Operand(self.build.divide(a.node, b.node), exact)

    def unary(self):
        if self.is_op("+", "-"):
            sign = self.tok.text
            self.i += 1
            self.enter()
            operand = self.unary()
            self.leave()
            return self.negate(operand) if sign == "-" else operand
        return self.power()

    def power(self):
        base = self.atom()
        if self.is_op("**"):
            op = self.tok
            self.i += 1
            self.enter()
            exponent = self.unary()
            self.leave()
            return self.raise_to(base, exponent, op)
        return base

    def raise_to(self, base, exponent, op):
        b, k = base.exact, exponent.exact
        exact = None
        if b is not None and k is not None:
            if b == 0 and k < 0:
                raise self.error("division by zero (0 to a negative power)", op)
            if k.denominator == 1:
                if b in (0, 1) or k == 0:
                    exact = Fraction(1) if k == 0 else b
                elif b == -1:
                    exact = Fraction(-1 if k.numerator % 2 else 1)
                else:
                    size = max(b.numerator.bit_length(), b.denominator.bit_length())
                    if abs(k) * (size - 1) > MAX_NUMBER_BITS:
                        raise self.error("the value here is too large to evaluate", op)
                    exact = _bounded(b ** int(k), op.pos)
        elif b == 0 and k is not None and k < 0:
            raise self.error("division by zero (0 to a negative power)", op)
        return Operand(self.build.power(base.node, exponent.node), exact)

    def atom(self):
        token = self.tok
        if token.kind == "num":
            self.i += 1
            value = read_number(token.text, token.pos)
            return Operand(self.build.number(value), value)
        if token.kind == "lpar":
            self.i += 1
            return self.group(token)
        if token.kind == "bar":
            self.i += 1
            return self.absolute(token)
        if token.kind == "name":
            self.i += 1
            name = token.text
            if name in self.variables:
                return Operand(self.build.variable(name), None)
            if name in FUNCTION_NAMES:
                return self.call(token)
            if name in CONSTANT_NAMES:
                return Operand(self.build.constant(CONSTANT_NAMES[name]), None)
            allowed = ", ".join(sorted(self.variables)) or "none"
            raise self.error(f"unknown name {name!r} (the variables are: {allowed}; allowed: {ALLOWED_HELP})",
                             token)
        if token.kind == "end":
            raise self.error("the expression ends too early")
        raise self.error(f"unexpected {token.text!r}")

    def group(self, opening):
        saved, self.open_bars = self.open_bars, 0
        self.enter()
        inner = self.sum()
        self.leave()
        self.open_bars = saved
        if self.tok.kind != "rpar":
            if self.tok.kind == "end":
                raise self.error("missing ')'")
            raise self.error(f"expected ')' but found {self.tok.text!r}")
        self.i += 1
        return inner

    def absolute(self, opening):
        if self.tok.kind == "end":
            raise self.error("a lone '|': write an absolute value as |x|", opening)
        self.open_bars += 1
        self.enter()
        inner = self.sum()
        self.leave()
        self.open_bars -= 1
        if self.tok.kind != "bar":
            if self.tok.kind == "end":
                raise self.error("missing the closing '|' of an absolute value")
            raise self.error(f"expected a closing '|' but found {self.tok.text!r}")
        self.i += 1
        return self.apply("Abs", inner)

    def apply(self, name, arg):
        exact = abs(arg.exact) if name == "Abs" and arg.exact is not None else None
        return Operand(self.build.function(name, arg.node), exact)

    def call(self, token):
        name = FUNCTION_NAMES[token.text]
        count = None
        if self.is_op("**"):
            count = self.function_power(token)
        if self.tok.kind == "lpar":
            opening = self.tok
            self.i += 1
            saved, self.open_bars = self.open_bars, 0
            self.enter()
            arg = self.sum()
            self.leave()
            self.open_bars = saved
            if self.tok.kind != "rpar":
                if self.tok.text == ",":
                    raise self.error(f"{token.text}(...) takes one argument")
                raise self.error("missing ')'" if self.tok.kind == "end"
                                 else f"expected ')' but found {self.tok.text!r}")
            self.i += 1
        else:
            arg = self.argument(token)
        result = self.apply(name, arg)
        if count is not None:
            result = Operand(self.build.power(result.node, count.node), None)
        return result

    def function_power(self, token):
        op = self.tok
        self.i += 1
        wrapped = self.tok.kind == "lpar"
        if wrapped:
            self.i += 1
        if self.is_op("-"):
            raise self.error(f"{token.text}^-1 is ambiguous: write a{token.text}(x) for the inverse "
                             f"function or 1/{token.text}(x) for the reciprocal", op)
        if self.tok.kind != "num":
            raise self.error(f"after {token.text}^ write a whole number, e.g. {token.text}^2(x), "
                             f"or write ({token.text}(x))^...", op)
        number = self.tok
        value = read_number(number.text, number.pos)
        if value.denominator != 1:
            raise self.error(f"after {token.text}^ write a whole number, e.g. {token.text}^2(x)", number)
        self.i += 1
        if wrapped:
            if self.tok.kind != "rpar":
                raise self.error("missing ')'")
            self.i += 1
        return Operand(self.build.number(value), value)

    def argument(self, token):
        """The implicit product after a function name written without parentheses."""
        if self.tok.kind == "end" or not (self.starts_factor() or self.is_op("+", "-")
                                          or self.tok.kind == "bar"):
            raise self.error(f"{token.text} needs an argument, e.g. {token.text}(x)")
        self.enter()
        if self.is_op("+", "-"):
            sign = self.tok.text
            self.i += 1
            self.enter()
            first = self.power()
            self.leave()
            result = self.negate(first) if sign == "-" else first
        else:
            result = self.power()
        while self.starts_factor() and not (self.tok.kind == "name" and self.tok.text in FUNCTION_NAMES
                                            and self.tok.text not in self.variables):
            op = self.tok
            result = self.multiply(result, self.power(), op)
        self.leave()
        return result


def parse_with(text, variables, builder):
    """Parse ``text`` (already normalised) allowing only ``variables``; return what ``builder`` made.

    >>> parse_with("sin x", ["x"], CheckBuilder()) is None
    True
    """
    if len(text) > MAX_LENGTH:
        raise GrammarError(f"the expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise GrammarError("the expression is empty")
    return _Parser(text, frozenset(variables), builder).parse()


def read_with(text, variables, builder):
    """Normalise ``text`` and parse it with ``builder``; errors give positions in ``text``."""
    if not isinstance(text, str):
        raise GrammarError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise GrammarError(f"the expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise GrammarError("the expression is empty")
    normalised, origins = normalise_with_origins(text)
    try:
        if not normalised.strip():
            raise GrammarError("the expression is empty")
        return _Parser(normalised, frozenset(variables), builder).parse()
    except GrammarError as error:
        if error.position is not None:
            error.position = origins[min(error.position, len(origins) - 1)]
        raise


def describe_problem(reason, text="", position=None):
    """One sentence: the reason, and where it is in ``text``."""
    if position is None or not text:
        return reason
    width = 60
    if len(text) <= width:
        shown = text
    else:
        start = max(0, min(position - width // 2, len(text) - width))
        shown = ("…" if start > 0 else "") + text[start:start + width] + (
            "…" if start + width < len(text) else "")
    return f"{reason} at column {position + 1}: {shown}"


def expression_problem(text, variables):
    """None if the grader can read ``text`` as an expression in ``variables``, else why not.

    >>> expression_problem("f(x) = x² + 1", ["x"]) is None
    True
    >>> expression_problem("x +", ["x"])
    'the expression ends too early at column 4: x +'
    """
    try:
        read_with(text, variables, CheckBuilder())
    except GrammarError as error:
        return describe_problem(error.reason, text if isinstance(text, str) else "", error.position)
    return None
