"""A small exact symbolic core: expression trees, light simplification and printing.

sympy is too slow to build, differentiate and print thousands of variants a second, so
the problem bank works on these immutable trees instead. Numbers are exact fractions;
``str`` prints Python/sympy syntax, ``to_latex`` prints LaTeX, ``to_sympy`` converts for
symbolic checks, and ``compile_numeric`` turns a tree into a numpy-evaluable function
without ever generating or executing code.

>>> x = Sym("x")
>>> f = 3 * x**2 * exp(x) + x / 3
>>> str(f)
'3*x**2*exp(x) + x/3'
>>> print(to_latex(f))
3 x^{2} e^{x} + \\frac{x}{3}
>>> float(compile_numeric(f)({"x": 0.0}))
0.0
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable, Iterable

import numpy as np

Number = int | Fraction


class Expr:
    """Base class of expression nodes; arithmetic operators build simplified trees."""

    __slots__ = ("_key", "_hash", "_free")

    def _init_key(self, key: tuple) -> None:
        object.__setattr__(self, "_key", key)
        object.__setattr__(self, "_hash", hash(key))
        object.__setattr__(self, "_free", None)

    def __setattr__(self, name, value):
        raise AttributeError("expressions are immutable")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Expr) and self._key == other._key

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        return f"Expr({str(self)!r})"

    def __str__(self) -> str:
        return to_str(self)

    # arithmetic -------------------------------------------------------------------
    def __add__(self, other):
        return add(self, as_expr(other))

    def __radd__(self, other):
        return add(as_expr(other), self)

    def __sub__(self, other):
        return add(self, neg(as_expr(other)))

    def __rsub__(self, other):
        return add(as_expr(other), neg(self))

    def __mul__(self, other):
        return mul(self, as_expr(other))

    def __rmul__(self, other):
        return mul(as_expr(other), self)

    def __truediv__(self, other):
        return mul(self, power(as_expr(other), Num(-1)))

    def __rtruediv__(self, other):
        return mul(as_expr(other), power(self, Num(-1)))

    def __pow__(self, other):
        return power(self, as_expr(other))

    def __rpow__(self, other):
        return power(as_expr(other), self)

    def __neg__(self):
        return neg(self)

    # structure ----------------------------------------------------------------------
    @property
    def args(self) -> tuple["Expr", ...]:
        return ()

    def free_symbols(self) -> frozenset[str]:
        """The names of the symbols in the tree (computed once per node)."""
        if self._free is None:
            if isinstance(self, Sym):
                free = frozenset((self.name,))
            else:
                free = frozenset().union(*(a.free_symbols() for a in self.args))
            object.__setattr__(self, "_free", free)
        return self._free

    def has(self, name: str) -> bool:
        """Whether the symbol ``name`` occurs in the tree."""
        return name in self.free_symbols()


class Num(Expr):
    """An exact rational number."""

    __slots__ = ("value",)

    def __init__(self, value: Number):
        # ints stay ints (much faster than Fraction); whole fractions become ints
        if type(value) is not int:
            value = Fraction(value)
            if value.denominator == 1:
                value = value.numerator
        object.__setattr__(self, "value", value)
        self._init_key(("num", value))


class Sym(Expr):
    """A variable."""

    __slots__ = ("name",)

    def __init__(self, name: str):
        object.__setattr__(self, "name", name)
        self._init_key(("sym", name))


class Const(Expr):
    """A named mathematical constant: ``E`` or ``pi``."""

    __slots__ = ("name",)
    VALUES = {"E": math.e, "pi": math.pi}

    def __init__(self, name: str):
        if name not in self.VALUES:
            raise ValueError(f"unknown constant {name!r}")
        object.__setattr__(self, "name", name)
        self._init_key(("const", name))


class Add(Expr):
    """A sum of two or more terms; build it with :func:`add`."""

    __slots__ = ("terms",)

    def __init__(self, terms: tuple[Expr, ...]):
        object.__setattr__(self, "terms", terms)
        self._init_key(("add", terms))

    @property
    def args(self):
        return self.terms


class Mul(Expr):
    """A product of two or more factors, numeric coefficient first; see :func:`mul`."""

    __slots__ = ("factors",)

    def __init__(self, factors: tuple[Expr, ...]):
        object.__setattr__(self, "factors", factors)
        self._init_key(("mul", factors))

    @property
    def args(self):
        return self.factors


class Pow(Expr):
    """``base ** exp``; build it with :func:`power`."""

    __slots__ = ("base", "exp")

    def __init__(self, base: Expr, exp: Expr):
        object.__setattr__(self, "base", base)
        object.__setattr__(self, "exp", exp)
        self._init_key(("pow", base, exp))

    @property
    def args(self):
        return (self.base, self.exp)


class Fn(Expr):
    """A function of one argument, by name (``exp``, ``log``, ``sin``, ...)."""

    __slots__ = ("name", "arg")

    def __init__(self, name: str, arg: Expr):
        if name not in FUNCTIONS:
            raise ValueError(f"unknown function {name!r}")
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "arg", arg)
        self._init_key(("fn", name, arg))

    @property
    def args(self):
        return (self.arg,)


ZERO, ONE, MINUS_ONE, HALF = Num(0), Num(1), Num(-1), Num(Fraction(1, 2))
E, PI = Const("E"), Const("pi")

# function name -> numpy implementation; the set of functions the core knows.
FUNCTIONS: dict[str, Callable] = {
    "exp": np.exp,
    "log": np.log,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "Abs": np.abs,
}

MAX_POWER_BITS = 4096  # the largest exact power of a number, in bits


def as_expr(value) -> Expr:
    """Turn ints, fractions, finite floats (exactly) and expressions into an Expr."""
    if isinstance(value, Expr):
        return value
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, (int, Fraction)):
        return Num(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise ValueError(f"{value} is not a finite number")
        return Num(Fraction(repr(float(value))))
    if isinstance(value, np.integer):
        return Num(int(value))
    raise TypeError(f"cannot make an expression of {type(value).__name__}")


# constructors with light simplification --------------------------------------------


def _split_coeff(term: Expr) -> tuple[Number, Expr]:
    """``3*x*y`` -> (3, x*y); ``x`` -> (1, x)."""
    if isinstance(term, Num):
        return term.value, ONE
    if isinstance(term, Mul) and isinstance(term.factors[0], Num):
        rest = term.factors[1:]
        return term.factors[0].value, rest[0] if len(rest) == 1 else Mul(rest)
    return 1, term


def add(*terms: Expr) -> Expr:
    """A sum with nested sums flattened, numbers folded and like terms collected.

    >>> x = Sym("x")
    >>> str(add(x, Num(2), 3 * x, Num(-2)))
    '4*x'
    """
    collected: dict[Expr, Number] = {}
    constant: Number = 0
    stack = list(reversed(terms))
    while stack:
        term = stack.pop()
        if isinstance(term, Add):
            stack.extend(reversed(term.terms))
            continue
        coeff, rest = _split_coeff(term)
        if rest == ONE:
            constant += coeff
        else:
            collected[rest] = collected.get(rest, 0) + coeff
    out = [_with_coeff(c, rest) for rest, c in collected.items() if c != 0]
    if constant != 0:
        out.append(Num(constant))
    if not out:
        return ZERO
    return out[0] if len(out) == 1 else Add(tuple(out))


def _with_coeff(coeff: Number, rest: Expr) -> Expr:
    if coeff == 1:
        return rest
    if isinstance(rest, Mul):
        return Mul((Num(coeff),) + rest.factors)
    return Mul((Num(coeff), rest))


def mul(*factors: Expr) -> Expr:
    """A product with nested products flattened, numbers folded and powers combined.

    >>> x = Sym("x")
    >>> str(mul(Num(2), x, x**3, Num(Fraction(1, 2))))
    'x**4'
    """
    coeff: Number = 1
    bases: dict[Expr, Expr] = {}
    stack = list(reversed(factors))
    while stack:
        factor = stack.pop()
        if isinstance(factor, Mul):
            stack.extend(reversed(factor.factors))
            continue
        if isinstance(factor, Num):
            coeff *= factor.value
            continue
        if isinstance(factor, Pow):
            base, exponent = factor.base, factor.exp
        else:
            base, exponent = factor, ONE
        bases[base] = add(bases[base], exponent) if base in bases else exponent
    if coeff == 0:
        return ZERO
    out: list[Expr] = []
    for base, exponent in bases.items():
        combined = power(base, exponent)
        if isinstance(combined, Num):
            coeff *= combined.value
        elif isinstance(combined, Mul):  # e.g. an integer power of a product
            for f in combined.factors:
                if isinstance(f, Num):
                    coeff *= f.value
                else:
                    out.append(f)
        elif combined != ONE:
            out.append(combined)
    if coeff != 1 or not out:
        out.insert(0, Num(coeff))
    return out[0] if len(out) == 1 else Mul(tuple(out))


def neg(expr: Expr) -> Expr:
    """``-expr``."""
    return mul(MINUS_ONE, expr)


def _is_integer(expr: Expr) -> bool:
    return isinstance(expr, Num) and expr.value.denominator == 1


def power(base: Expr, exponent: Expr) -> Expr:
    """``base ** exponent`` with numbers folded where exact and cheap.

    Integer powers of numbers are computed only while the result has at most
    ``MAX_POWER_BITS`` bits, so that a tower of exponents cannot exhaust memory; larger
    ones raise ``OverflowError``. A symbolic base takes any exponent (``(x - 1)**6000``).

    >>> str(power(Num(4), Num(Fraction(1, 2)))), str(power(E, Sym("x")))
    ('2', 'exp(x)')
    """
    if exponent == ZERO:
        return ONE
    if exponent == ONE:
        return base
    if base == ONE:
        return ONE
    if base == E:
        return fn("exp", exponent)
    if isinstance(base, Num) and isinstance(exponent, Num):
        return _power_numbers(base.value, exponent.value)
    if isinstance(base, Pow) and _is_integer(exponent):
        return power(base.base, mul(base.exp, exponent))
    if isinstance(base, Fn) and base.name == "exp" and _is_integer(exponent):
        return fn("exp", mul(base.arg, exponent))
    if isinstance(base, Mul) and _is_integer(exponent):
        return mul(*(power(f, exponent) for f in base.factors))
    return Pow(base, exponent)


def _power_numbers(base: Fraction, exponent: Fraction) -> Expr:
    if base == 0 and exponent < 0:
        raise ZeroDivisionError("0 raised to a negative power")
    if exponent.denominator == 1:
        largest = max(abs(base.numerator), base.denominator)
        if largest > 1 and abs(exponent) * (largest.bit_length() - 1) > MAX_POWER_BITS:
            raise OverflowError("the number is too large")
        if base in (0, 1, -1):
            return Num(base if exponent.numerator % 2 or base != -1 else 1)
        return Num(Fraction(base) ** int(exponent))
    if base > 0:
        root = _exact_root(base, exponent.denominator)
        if root is not None:
            return _power_numbers(root, Fraction(exponent.numerator))
    return Pow(Num(base), Num(exponent))


def _exact_root(value: Fraction, n: int) -> Fraction | None:
    parts = []
    for part in (value.numerator, value.denominator):
        root = round(part ** (1.0 / n)) if part < 2**1000 else None
        if root is None or root**n != part:
            return None
        parts.append(root)
    return Fraction(parts[0], parts[1])


def fn(name: str, arg: Expr) -> Expr:
    """A function application with the exact values it has at 0 and 1 folded.

    >>> str(fn("log", fn("exp", Sym("x")))), str(fn("cos", ZERO))
    ('x', '1')
    """
    if name == "exp":
        if arg == ZERO:
            return ONE
        if isinstance(arg, Fn) and arg.name == "log":
            return arg.arg
    elif name == "log":
        if arg == ONE:
            return ZERO
        if arg == E:
            return ONE
        if isinstance(arg, Fn) and arg.name == "exp":
            return arg.arg
    elif arg == ZERO:
        if name in ("sin", "tan", "asin", "atan", "sinh", "tanh", "Abs"):
            return ZERO
        if name in ("cos", "cosh"):
            return ONE
    return Fn(name, arg)


def exp(arg) -> Expr:
    """``exp(arg)``."""
    return fn("exp", as_expr(arg))


def log(arg) -> Expr:
    """The natural logarithm of ``arg``."""
    return fn("log", as_expr(arg))


def sqrt(arg) -> Expr:
    """``arg ** (1/2)``."""
    return power(as_expr(arg), HALF)


def substitute(expr: Expr, values: dict[str, Expr]) -> Expr:
    """Replace symbols by expressions and re-simplify.

    >>> str(substitute(Sym("x")**2 + Sym("y"), {"x": Num(3)}))
    'y + 9'
    """
    return _rebuild(expr, lambda node: values.get(node.name) if isinstance(node, Sym) else None)


def _rebuild(expr: Expr, leaf: Callable[[Expr], Expr | None]) -> Expr:
    replaced = leaf(expr)
    if replaced is not None:
        return replaced
    if isinstance(expr, Add):
        return add(*(_rebuild(t, leaf) for t in expr.terms))
    if isinstance(expr, Mul):
        return mul(*(_rebuild(f, leaf) for f in expr.factors))
    if isinstance(expr, Pow):
        return power(_rebuild(expr.base, leaf), _rebuild(expr.exp, leaf))
    if isinstance(expr, Fn):
        return fn(expr.name, _rebuild(expr.arg, leaf))
    return expr


def size(expr: Expr) -> int:
    """The number of nodes in the tree."""
    return 1 + sum(size(a) for a in expr.args)


# printing -----------------------------------------------------------------------------

_PREC_ADD, _PREC_MUL, _PREC_NEG, _PREC_POW, _PREC_ATOM = 10, 20, 25, 30, 40


def format_number(value: Fraction) -> str:
    """Exact numbers as short decimals where they terminate, else ``p/q``.

    >>> format_number(Fraction(4, 5)), format_number(Fraction(1, 3)), format_number(Fraction(7))
    ('0.8', '1/3', '7')
    """
    if value.denominator == 1:
        return str(value.numerator)
    decimal = _terminating_decimal(value)
    return decimal if decimal is not None else f"{value.numerator}/{value.denominator}"


def _terminating_decimal(value: Fraction, max_digits: int = 8) -> str | None:
    d = value.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    digits = max(twos, fives)
    if digits > max_digits:
        return None
    scaled = abs(value.numerator) * 10**digits // value.denominator
    text = str(scaled).rjust(digits + 1, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def _number_prec(value: Fraction) -> int:
    if value < 0:
        return _PREC_NEG
    if value.denominator != 1 and _terminating_decimal(value) is None:
        return _PREC_MUL
    return _PREC_ATOM


def to_str(expr: Expr) -> str:
    """Python/sympy syntax, e.g. ``x**2*exp(x) - 1/x``."""
    return _str(expr)[0]


def _wrap(text_prec: tuple[str, int], min_prec: int) -> str:
    text, prec = text_prec
    return f"({text})" if prec < min_prec else text


def _str(expr: Expr) -> tuple[str, int]:
    if isinstance(expr, Num):
        return format_number(expr.value), _number_prec(expr.value)
    if isinstance(expr, (Sym, Const)):
        return expr.name, _PREC_ATOM
    if isinstance(expr, Fn):
        return f"{expr.name}({_str(expr.arg)[0]})", _PREC_ATOM
    if isinstance(expr, Add):
        parts: list[str] = []
        for i, term in enumerate(expr.terms):
            coeff, rest = _split_coeff(term)
            if i > 0 and coeff < 0:
                parts.append(" - " + _wrap(_str(_with_coeff(-coeff, rest)), _PREC_ADD + 1))
            else:
                parts.append((" + " if i else "") + _wrap(_str(term), _PREC_ADD))
        return "".join(parts), _PREC_ADD
    if isinstance(expr, Mul):
        return _str_mul(expr)
    if isinstance(expr, Pow):
        if expr.exp == HALF:
            return f"sqrt({_str(expr.base)[0]})", _PREC_ATOM
        if isinstance(expr.exp, Num) and expr.exp.value < 0:
            return _str_mul(Mul((ONE, expr)))
        base = _wrap(_str(expr.base), _PREC_POW + 1)
        return f"{base}**{_wrap(_str(expr.exp), _PREC_ATOM)}", _PREC_POW
    raise TypeError(f"cannot print {type(expr).__name__}")


def _numer_denom(expr: Mul) -> tuple[Fraction, list[Expr], list[Expr]]:
    coeff, numer, denom = 1, [], []
    for factor in expr.factors:
        if isinstance(factor, Num):
            coeff *= factor.value
        elif isinstance(factor, Pow) and isinstance(factor.exp, Num) and factor.exp.value < 0:
            denom.append(power(factor.base, Num(-factor.exp.value)))
        else:
            numer.append(factor)
    return coeff, numer, denom


def _str_mul(expr: Mul) -> tuple[str, int]:
    coeff, numer, denom = _numer_denom(expr)
    sign = "-" if coeff < 0 else ""
    coeff = abs(coeff)
    decimal = coeff.denominator != 1 and _terminating_decimal(coeff) is not None
    top = [_wrap(_str(f), _PREC_MUL) for f in numer]
    bottom_coeff = 1
    if decimal or coeff.denominator == 1:
        if coeff != 1 or not top:
            top.insert(0, format_number(coeff))
    else:
        if coeff.numerator != 1 or not top:
            top.insert(0, str(coeff.numerator))
        bottom_coeff = coeff.denominator
    text = "*".join(top)
    bottom = ([str(bottom_coeff)] if bottom_coeff != 1 else []) + [
        _wrap(_str(f), _PREC_POW) for f in denom
    ]
    if bottom:
        joined = bottom[0] if len(bottom) == 1 else "(" + "*".join(bottom) + ")"
        text = f"{text}/{joined}"
    return sign + text, _PREC_NEG if sign else _PREC_MUL


_LATEX_FUNCS = {
    "exp": None, "log": r"\ln", "sin": r"\sin", "cos": r"\cos", "tan": r"\tan",
    "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan", "sinh": r"\sinh",
    "cosh": r"\cosh", "tanh": r"\tanh", "Abs": None,
}


def to_latex(expr: Expr) -> str:
    """LaTeX for a statement, e.g. ``3 x^{2} e^{x}``."""
    return _latex(expr)[0]


def _latex_number(value: Fraction) -> tuple[str, int]:
    if value.denominator == 1 or _terminating_decimal(value) is not None:
        return format_number(value), _number_prec(value)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}", _number_prec(value)


def _latex(expr: Expr) -> tuple[str, int]:
    if isinstance(expr, Num):
        return _latex_number(expr.value)
    if isinstance(expr, Sym):
        return expr.name, _PREC_ATOM
    if isinstance(expr, Const):
        return ("e" if expr.name == "E" else r"\pi"), _PREC_ATOM
    if isinstance(expr, Fn):
        inner = _latex(expr.arg)[0]
        if expr.name == "exp":
            return f"e^{{{inner}}}", _PREC_POW
        if expr.name == "Abs":
            return f"\\left|{inner}\\right|", _PREC_ATOM
        return f"{_LATEX_FUNCS[expr.name]}\\left({inner}\\right)", _PREC_ATOM
    if isinstance(expr, Add):
        parts = []
        for i, term in enumerate(expr.terms):
            coeff, rest = _split_coeff(term)
            if i > 0 and coeff < 0:
                parts.append(" - " + _lwrap(_latex(_with_coeff(-coeff, rest)), _PREC_ADD + 1))
            else:
                parts.append((" + " if i else "") + _lwrap(_latex(term), _PREC_ADD))
        return "".join(parts), _PREC_ADD
    if isinstance(expr, Pow):
        if expr.exp == HALF:
            return f"\\sqrt{{{_latex(expr.base)[0]}}}", _PREC_ATOM
        if isinstance(expr.exp, Num) and expr.exp.value < 0:
            return _latex(Mul((ONE, expr)))
        if _odd_root(expr.exp):  # the real root, as the solvers take it: never a principal power
            p, q = expr.exp.value.numerator, expr.exp.value.denominator
            inner = expr.base if p == 1 else Pow(expr.base, Num(p))
            return f"\\sqrt[{q}]{{{_latex(inner)[0]}}}", _PREC_ATOM
        # (ln(x))^2, never ln(x)^2: a power of a function value wraps the whole value
        wrap = isinstance(expr.base, Fn) and expr.base.name != "Abs"
        base = _lwrap(_latex(expr.base), _PREC_ATOM + 1 if wrap else _PREC_POW + 1)
        return f"{base}^{{{_latex(expr.exp)[0]}}}", _PREC_POW
    if isinstance(expr, Mul):
        coeff, numer, denom = _numer_denom(expr)
        sign = "-" if coeff < 0 else ""
        coeff = abs(coeff)
        top, bottom = [], []
        if coeff.denominator != 1 and _terminating_decimal(coeff) is None:
            if coeff.numerator != 1 or not numer:
                top.append(str(coeff.numerator))
            bottom.append(str(coeff.denominator))
        elif coeff != 1 or not numer:
            top.append(format_number(coeff))
        top_items = top + [_latex(f) for f in numer]
        bottom_items = bottom + [_latex(f) for f in denom]
        in_fraction = bool(bottom_items)

        def join(items):
            alone = len(items) == 1 and in_fraction
            return _latex_product([i if isinstance(i, str) else _lwrap(i, 0 if alone else _PREC_MUL)
                                   for i in items])

        prec = _PREC_NEG if sign else _PREC_MUL
        if in_fraction:
            return f"{sign}\\frac{{{join(top_items)}}}{{{join(bottom_items)}}}", prec
        return sign + join(top_items), prec
    raise TypeError(f"cannot print {type(expr).__name__}")


def _odd_root(exponent: Expr) -> bool:
    """Whether ``exponent`` is a positive fraction p/q with an odd q > 1 (a real root)."""
    return (isinstance(exponent, Num) and exponent.value > 0
            and exponent.value.denominator > 1 and exponent.value.denominator % 2 == 1)


def _latex_product(factors: list[str]) -> str:
    """Factors side by side, with ``\\cdot`` before any factor after the first that starts
    with a digit, so that ``3`` times ``3^{x}`` never reads as ``33^{x}``.

    >>> _latex_product(["3", "3^{x}"]), _latex_product(["2", "x", "5^{x}"])
    ('3 \\\\cdot 3^{x}', '2 x \\\\cdot 5^{x}')
    """
    out = factors[0] if factors else ""
    for factor in factors[1:]:
        out += (r" \cdot " if factor[:1].isdigit() else " ") + factor
    return out


def latex_matrix(rows, number: Callable[[object], str] = str) -> str:
    """A numeric matrix as a LaTeX ``pmatrix``, each entry written by ``number``.

    >>> latex_matrix([[2, 1], [1, 3]])
    '\\\\begin{pmatrix} 2 & 1 \\\\\\\\ 1 & 3 \\\\end{pmatrix}'
    """
    body = r" \\ ".join(" & ".join(number(v) for v in row) for row in rows)
    return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"


def _lwrap(text_prec: tuple[str, int], min_prec: int) -> str:
    text, prec = text_prec
    return f"\\left({text}\\right)" if prec < min_prec else text


# numbers --------------------------------------------------------------------------------


def compile_numeric(expr: Expr) -> Callable[[dict], object]:
    """A function of ``{name: value}`` that evaluates the tree with numpy.

    Values may be floats, complex numbers or arrays; the real domain is honoured
    (``log(-1)`` is nan for a real input), and no code is generated or executed.

    >>> f = compile_numeric(Sym("x") ** 2 + log(Sym("x")))
    >>> float(f({"x": 1.0}))
    1.0
    """
    if isinstance(expr, Num):
        value = _to_float(expr.value)
        return lambda env: value
    if isinstance(expr, Const):
        value = Const.VALUES[expr.name]
        return lambda env: value
    if isinstance(expr, Sym):
        name = expr.name
        return lambda env: env[name]
    if isinstance(expr, Add):
        parts = [compile_numeric(t) for t in expr.terms]

        def _add(env):
            total = parts[0](env)
            for part in parts[1:]:
                total = total + part(env)
            return total
        return _add
    if isinstance(expr, Mul):
        parts = [compile_numeric(f) for f in expr.factors]

        def _mul(env):
            total = parts[0](env)
            for part in parts[1:]:
                total = total * part(env)
            return total
        return _mul
    if isinstance(expr, Pow):
        base = compile_numeric(expr.base)
        if isinstance(expr.exp, Num):
            exponent = expr.exp.value
            if exponent.denominator == 1:
                n = _to_float(exponent)
                if abs(n) > 2**53:  # the parity of so large an exponent is lost in a float
                    n = math.copysign(math.inf, n)
                return lambda env: np.power(np.asarray(base(env), dtype=_dtype(env)), n)
            if exponent.denominator % 2 == 1:  # odd roots are real for negative bases
                p, q = exponent.numerator, exponent.denominator
                return lambda env: _odd_root_power(base(env), p, q, env)
        exp_fn = compile_numeric(expr.exp)
        return lambda env: np.power(np.asarray(base(env), dtype=_dtype(env)), exp_fn(env))
    if isinstance(expr, Fn):
        arg = compile_numeric(expr.arg)
        ufunc = FUNCTIONS[expr.name]
        return lambda env: ufunc(arg(env))
    raise TypeError(f"cannot evaluate {type(expr).__name__}")


def _dtype(env: dict):
    for value in env.values():
        if np.iscomplexobj(value):
            return complex
    return float


def _odd_root_power(value, p: int, q: int, env: dict):
    """``value ** (p/q)`` for odd ``q``: the real root for real inputs, as in calculus."""
    if _dtype(env) is complex:
        return np.power(np.asarray(value, dtype=complex), _to_float(Fraction(p, q)))
    value = np.asarray(value, dtype=float)
    root = np.sign(value) * np.abs(value) ** _to_float(Fraction(1, q))
    return np.power(root, _to_float(p) if abs(p) > 2**53 else p)


def _to_float(value: Number) -> float:
    """``float(value)``, or an infinity of its sign when it is beyond the float range.

    >>> _to_float(10**400), _to_float(Fraction(1, 3))
    (inf, 0.3333333333333333)
    """
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def evaluate(expr: Expr, env: dict) -> float:
    """The real value of ``expr`` at ``env``; nan outside the domain.

    >>> evaluate(log(Sym("x")), {"x": -1.0})
    nan
    """
    with np.errstate(all="ignore"):
        return float(compile_numeric(expr)(env))


# sympy ---------------------------------------------------------------------------------


def to_sympy(expr: Expr):
    """The same expression as a sympy object (for symbolic checks and test oracles)."""
    import sympy

    if isinstance(expr, Num):
        return sympy.Rational(expr.value.numerator, expr.value.denominator)
    if isinstance(expr, Sym):
        return sympy.Symbol(expr.name, real=True)
    if isinstance(expr, Const):
        return sympy.E if expr.name == "E" else sympy.pi
    if isinstance(expr, Add):
        return sympy.Add(*(to_sympy(t) for t in expr.terms))
    if isinstance(expr, Mul):
        return sympy.Mul(*(to_sympy(f) for f in expr.factors))
    if isinstance(expr, Pow):
        base, exponent = to_sympy(expr.base), to_sympy(expr.exp)
        if isinstance(expr.exp, Num) and expr.exp.value.denominator % 2 == 1 \
                and expr.exp.value.denominator > 1:
            return sympy.real_root(base, expr.exp.value.denominator) ** expr.exp.value.numerator
        return sympy.Pow(base, exponent)
    if isinstance(expr, Fn):
        return getattr(sympy, expr.name)(to_sympy(expr.arg))
    raise TypeError(f"cannot convert {type(expr).__name__}")


def sum_of(terms: Iterable[Expr]) -> Expr:
    """``add`` over an iterable."""
    return add(*terms)
