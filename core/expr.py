"""A small exact symbolic core: immutable expression trees and simplifying constructors.

sympy is too slow to build, differentiate and print thousands of variants a second, so
the problem bank works on these immutable trees instead. Numbers are exact fractions and
the constructors (:func:`add`, :func:`mul`, :func:`power`, :func:`fn`) simplify lightly.
Printers live in :mod:`calcgrade.core.printing` (``str`` of a tree is its Python/sympy
text) and numeric evaluation in :mod:`calcgrade.core.numeric`.

>>> x = Sym("x")
>>> f = 3 * x**2 * exp(x) + x / 3
>>> str(f)
'3*x**2*exp(x) + x/3'
>>> f == 3 * x**2 * exp(x) + x / 3, f.free_symbols()
(True, frozenset({'x'}))
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
        from calcgrade.core.printing import to_str  # the printers stand on the trees

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


def split_coeff(term: Expr) -> tuple[Number, Expr]:
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
        coeff, rest = split_coeff(term)
        if rest == ONE:
            constant += coeff
        else:
            collected[rest] = collected.get(rest, 0) + coeff
    out = [with_coeff(c, rest) for rest, c in collected.items() if c != 0]
    if constant != 0:
        out.append(Num(constant))
    if not out:
        return ZERO
    return out[0] if len(out) == 1 else Add(tuple(out))


def with_coeff(coeff: Number, rest: Expr) -> Expr:
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


def sum_of(terms: Iterable[Expr]) -> Expr:
    """``add`` over an iterable."""
    return add(*terms)
