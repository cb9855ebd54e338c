"""Parse untrusted math text into an expression tree, never with ``eval``.

A hand-written tokenizer and recursive-descent parser accept the notation students and
textbooks use: ``+ - * / ^ **``, implicit multiplication (``3x^2``, ``2(x+1)``,
``x y``), ``e^x``, ``ln``/``log`` (natural), ``sqrt`` and the functions the core knows.
Only the given variables are allowed; anything else is an :class:`ExpressionError` that
points at the offending character. Length, nesting depth and exponent size are limited.

>>> str(parse_expression("3x^2 + e^x", ["x"]))
'3*x**2 + exp(x)'
>>> parse_expression("__import__('os')", ["x"])
Traceback (most recent call last):
...
calcgrade.core.errors.ExpressionError: unexpected character '_' at column 1: __import__('os')
"""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Iterable, NamedTuple

from calcgrade.core.errors import ExpressionError
from calcgrade.core import expr as ex

MAX_LENGTH = 2000
MAX_DEPTH = 60

FUNCTION_NAMES = {
    "exp": "exp", "ln": "log", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan",
    "asin": "asin", "arcsin": "asin", "acos": "acos", "arccos": "acos", "atan": "atan",
    "arctan": "atan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "abs": "Abs",
    "Abs": "Abs", "sqrt": "sqrt",
}
CONSTANT_NAMES = {"e": ex.E, "E": ex.E, "pi": ex.PI}
ALLOWED_HELP = "numbers, + - * / ^, parentheses, exp ln log sqrt sin cos tan asin acos atan sinh cosh tanh abs, e, pi"


class Token(NamedTuple):
    kind: str  # num, name, op, lpar, rpar, end
    text: str
    pos: int


_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(?P<name>[A-Za-z][A-Za-z0-9]*)"
    r"|(?P<op>\*\*|[-+*/^])|(?P<lpar>\()|(?P<rpar>\)))"
)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; raise on any character outside the grammar."""
    tokens, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"unexpected character {text[pos]!r}", text, pos)
        kind = match.lastgroup
        start = match.start(kind)
        token_text = match.group(kind)
        tokens.append(Token(kind, "**" if token_text == "^" else token_text, start))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


class _Parser:
    def __init__(self, text: str, variables: frozenset[str]):
        self.text = text
        self.variables = variables
        self.tokens = self._split_names(tokenize(text))
        self.i = 0
        self.depth = 0

    # tokens --------------------------------------------------------------------------
    def _split_names(self, tokens: list[Token]) -> list[Token]:
        """``xy`` -> ``x y`` when every letter is a variable and the word is not a name."""
        out = []
        for token in tokens:
            if (token.kind == "name" and token.text not in self.variables
                    and token.text not in FUNCTION_NAMES and token.text not in CONSTANT_NAMES
                    and len(token.text) > 1
                    and all(ch in self.variables or ch in CONSTANT_NAMES for ch in token.text)):
                out.extend(Token("name", ch, token.pos + k) for k, ch in enumerate(token.text))
            else:
                out.append(token)
        return out

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def error(self, message: str, token: Token | None = None) -> ExpressionError:
        token = token or self.tok
        return ExpressionError(message, self.text, token.pos)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"the expression is nested more than {MAX_DEPTH} deep")

    # grammar -------------------------------------------------------------------------
    #   sum     := product (('+'|'-') product)*
    #   product := unary (('*'|'/')? unary)*          (juxtaposition multiplies)
    #   unary   := ('+'|'-') unary | power
    #   power   := atom ('**' unary)?                 (right associative)
    #   atom    := number | name | name '(' sum ')' | '(' sum ')'
    def parse(self) -> ex.Expr:
        if self.tok.kind == "end":
            raise self.error("the expression is empty")
        result = self.sum()
        if self.tok.kind != "end":
            raise self.error(f"unexpected {self.tok.text!r}")
        return result

    def sum(self) -> ex.Expr:
        self.enter()
        terms = [self.product()]
        while self.tok.kind == "op" and self.tok.text in "+-":
            sign = self.tok.text
            self.i += 1
            term = self.product()
            terms.append(ex.neg(term) if sign == "-" else term)
        self.depth -= 1
        return ex.add(*terms)

    def _starts_atom(self) -> bool:
        return self.tok.kind in ("num", "name", "lpar")

    def product(self) -> ex.Expr:
        result = self.unary()
        while True:
            if self.tok.kind == "op" and self.tok.text in ("*", "/"):
                op = self.tok
                self.i += 1
                right = self.unary()
                if op.text == "*":
                    result = ex.mul(result, right)
                else:
                    if right == ex.ZERO:
                        raise self.error("division by zero", op)
                    result = self._safe(lambda: ex.mul(result, ex.power(right, ex.MINUS_ONE)), op)
            elif self._starts_atom():
                result = ex.mul(result, self.power())
            else:
                return result

    def unary(self) -> ex.Expr:
        if self.tok.kind == "op" and self.tok.text in "+-":
            sign = self.tok.text
            self.i += 1
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return ex.neg(operand) if sign == "-" else operand
        return self.power()

    def power(self) -> ex.Expr:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "**":
            op = self.tok
            self.i += 1
            self.enter()
            exponent = self.unary()
            self.depth -= 1
            return self._safe(lambda: ex.power(base, exponent), op)
        return base

    def _safe(self, build, token: Token) -> ex.Expr:
        try:
            return build()
        except OverflowError:
            raise self.error(f"the exponent is too large (at most {ex.MAX_INTEGER_POWER})", token) from None
        except ZeroDivisionError:
            raise self.error("division by zero", token) from None

    def atom(self) -> ex.Expr:
        token = self.tok
        if token.kind == "num":
            self.i += 1
            return ex.Num(Fraction(token.text))
        if token.kind == "lpar":
            self.i += 1
            inner = self.sum()
            if self.tok.kind != "rpar":
                raise self.error("missing ')'" if self.tok.kind == "end" else f"expected ')' but found {self.tok.text!r}")
            self.i += 1
            return inner
        if token.kind == "name":
            self.i += 1
            name = token.text
            if name in self.variables:
                return ex.Sym(name)
            if name in FUNCTION_NAMES:
                return self.call(FUNCTION_NAMES[name], token)
            if name in CONSTANT_NAMES:
                return CONSTANT_NAMES[name]
            allowed = ", ".join(sorted(self.variables)) or "none"
            raise self.error(f"unknown name {name!r} (variables: {allowed}; allowed: {ALLOWED_HELP})", token)
        if token.kind == "end":
            raise self.error("the expression ends too early")
        raise self.error(f"unexpected {token.text!r}")

    def call(self, name: str, token: Token) -> ex.Expr:
        if self.tok.kind != "lpar":
            raise self.error(f"{token.text} needs parentheses, e.g. {token.text}(x)")
        self.i += 1
        self.enter()
        arg = self.sum()
        self.depth -= 1
        if self.tok.kind != "rpar":
            raise self.error(f"{token.text}(...) takes one argument" if self.tok.text == "," else "missing ')'")
        self.i += 1
        if name == "sqrt":
            return ex.sqrt(arg)
        return ex.fn(name, arg)


def parse_expression(text: str, variables: Iterable[str]) -> ex.Expr:
    """Parse ``text`` allowing only ``variables`` as free symbols."""
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    return _Parser(text, frozenset(variables)).parse()


def normalise_notation(text: str) -> str:
    """Student notation rewritten into the parser's (a placeholder: text as it is)."""
    return text


def expression_problem(text: str, variables) -> str | None:
    """None when ``text`` parses in ``variables``; else what is wrong."""
    try:
        parse_expression(text, variables)
    except ExpressionError as error:
        return str(error)
    return None
