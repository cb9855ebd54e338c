"""The kinds of params (:class:`Kind`: ``Number``, ``Vector``, ``Matrix``, ``ListOf``,
``Row``, ``SymmetricMatrix``, ``Expression``, ``Polynomial``, ``Choice``, ``Boolean``, ...)
that a family declares and :meth:`Family.validate` reads, and the readers behind them:
each returns a clean value or raises ParamsError naming the param, the value and what is
allowed.

>>> read_number("newton", {"lr": "0.1"}, "lr")
Traceback (most recent call last):
...
calcgrade.core.errors.ParamsError: newton: param 'lr' must be a number, not '0.1'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Mapping

from calcgrade.core.errors import ExpressionError, ParamsError
from calcgrade.core.expr import Expr
from calcgrade.core.parse import MAX_LENGTH, parse_expression

VARIABLE_NAMES = ("x", "y", "z", "t", "u", "v", "w")


def read_number(family: str, params: Mapping[str, Any], name: str, *, positive: bool = False,
                minimum: float | None = None, maximum: float | None = None) -> float:
    """A finite real number (bools and strings are not numbers)."""
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ParamsError(f"{family}: param {name!r} must be a number, not {value!r}")
    if positive and value <= 0:
        raise ParamsError(f"{family}: param {name!r} must be positive, not {value!r}")
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        allowed = (f"lie in [{minimum}, {maximum}]" if minimum is not None and maximum is not None
                   else f"be at least {minimum}" if minimum is not None else f"be at most {maximum}")
        raise ParamsError(f"{family}: param {name!r} must {allowed}, not {value!r}")
    return value


def read_int(family: str, params: Mapping[str, Any], name: str, minimum: int, maximum: int) -> int:
    """A whole number in [minimum, maximum]."""
    value = params[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{family}: param {name!r} must be a whole number, not {value!r}")
    if not minimum <= value <= maximum:
        raise ParamsError(f"{family}: param {name!r} must be between {minimum} and {maximum}, not {value}")
    return value


def read_vector(family: str, params: Mapping[str, Any], name: str, length: int | None = None,
                *, scalar_ok: bool = False, counts: tuple[int, int] | None = None,
                minimum: float | None = None, maximum: float | None = None) -> list[float]:
    """A list of numbers (a lone number too when ``scalar_ok``), of ``length`` if given, or
    with a number of entries in ``counts``, each in [minimum, maximum] if given.

    >>> read_vector("f", {"v": [1, 2, 3]}, "v", counts=(2, 10), maximum=2)
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: f: param 'v' must be at most 2, not 3
    """
    value = params[name]
    if scalar_ok and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ParamsError(f"{family}: param {name!r} must be a list of numbers, not {value!r}")
    for item in value:
        read_number(family, {name: item}, name, minimum=minimum, maximum=maximum)
    if length is not None and len(value) != length:
        raise ParamsError(f"{family}: param {name!r} must have {length} entries (one per variable), "
                          f"not {len(value)}")
    if counts is not None and not counts[0] <= len(value) <= counts[1]:
        raise ParamsError(f"{family}: param {name!r} must have between {counts[0]} and {counts[1]} "
                          f"entries, not {len(value)}")
    return [float(v) if isinstance(v, float) else v for v in value]


def read_variables(family: str, params: Mapping[str, Any], name: str, counts: tuple[int, ...]) -> list[str]:
    """A list of distinct variable names such as ``["x", "y"]``."""
    value = params[name]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ParamsError(f"{family}: param {name!r} must be a list of variable names, not {value!r}")
    if len(value) not in counts:
        raise ParamsError(f"{family}: param {name!r} must name {' or '.join(map(str, counts))} variables, "
                          f"not {len(value)}")
    for v in value:
        read_variable(family, {name: v}, name)
    if len(set(value)) != len(value):
        raise ParamsError(f"{family}: param {name!r} names a variable twice: {value!r}")
    return list(value)


def read_variable(family: str, params: Mapping[str, Any], name: str) -> str:
    """One variable name from the allowed set."""
    value = params[name]
    if value not in VARIABLE_NAMES:
        raise ParamsError(f"{family}: param {name!r} must be one of {', '.join(VARIABLE_NAMES)}, "
                          f"not {value!r}")
    return value


def read_expression(family: str, params: Mapping[str, Any], name: str, variables) -> Expr:
    """Parse the expression in ``params[name]`` allowing only ``variables``."""
    value = params[name]
    if not isinstance(value, str):
        raise ParamsError(f"{family}: param {name!r} must be an expression as text, not {value!r}")
    try:
        return parse_cached(value, tuple(variables))
    except ExpressionError as error:
        raise ParamsError(f"{family}: param {name!r}: {error}") from None


@lru_cache(maxsize=512)
def parse_cached(text: str, variables: tuple[str, ...]) -> Expr:
    """:func:`parse_expression`, remembered (trees are immutable)."""
    return parse_expression(text, variables)


def read_choice(family: str, params: Mapping[str, Any], name: str, choices) -> Any:
    """One of a fixed set of values (true and false are not the numbers 1 and 0).

    >>> read_choice("f", {"y": 1.0}, "y", (0, 1)), read_choice("f", {"y": "a"}, "y", ("a", "b"))
    (1, 'a')
    """
    value = params[name]
    if value not in choices or isinstance(value, bool) != any(
            isinstance(c, bool) and c == value for c in choices):
        raise ParamsError(f"{family}: param {name!r} must be one of {', '.join(map(str, choices))}, "
                          f"not {value!r}")
    return next(c for c in choices if c == value)


def read_matrix(family: str, params, name: str, *, rows: tuple[int, int], columns: tuple[int, int]
                ) -> list[list]:
    """A data matrix: a list of rows, each a list of the same number of numbers.

    >>> read_matrix("f", {"X": [[1, 2], [3, 4]]}, "X", rows=(2, 5), columns=(1, 2))
    [[1, 2], [3, 4]]
    """
    value = params[name]
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise ParamsError(f"{family}: param {name!r} must be a list of rows (one list of numbers "
                          f"per example), not {value!r}")
    if not rows[0] <= len(value) <= rows[1]:
        raise ParamsError(f"{family}: param {name!r} must have {rows[0]} to {rows[1]} rows "
                          f"(examples), not {len(value)}")
    width = len(value[0])
    if not columns[0] <= width <= columns[1]:
        raise ParamsError(f"{family}: param {name!r} must have {columns[0]} to {columns[1]} columns "
                          f"(features), not {width}")
    out = []
    for row in value:
        if len(row) != width:
            raise ParamsError(f"{family}: every row of {name!r} must have {width} entries, "
                              f"not {len(row)}")
        out.append(read_vector(family, {name: row}, name))
    return out


# typed params: what a ParamSpec declares and Family.validate reads -------------------------

@dataclass(frozen=True)
class Kind:
    """The type of a param: how :meth:`Family.validate` reads it and how ``families`` shows it.

    ``read`` returns the clean value or raises :class:`ParamsError` with the message of the
    reader above; a length or a set of variables given as a param's name (``length="x"``)
    refers to that param, read before (params are read in the order they are declared).

    >>> Vector(length="x").read("f", {"x": [1, 2], "w": [3, 4.5]}, "w")
    [3, 4.5]
    >>> Number(positive=True).text, Integer(1, 9).text, Choice((0, 1)).text
    ('positive number', 'whole number', '0 or 1')
    """

    def read(self, family: str, params: Mapping[str, Any], name: str) -> Any:
        raise NotImplementedError

    @property
    def needs(self) -> tuple[str, ...]:
        """The params this one refers to, which are read first."""
        return ()

    @property
    def text(self) -> str:
        """The type as ``calcgrade families`` shows it."""
        return self.shown or self.default_text()

    def default_text(self) -> str:
        raise NotImplementedError


def _bound(params: Mapping[str, Any], bound) -> Any:
    """A bound given as a value or as a function of the params (None when one is missing)."""
    if not callable(bound):
        return bound
    try:
        return bound(params)
    except KeyError:  # a missing param is the family's check to report
        return None


def _length(params: Mapping[str, Any], length) -> int | None:
    """A length given as a number, a param's name (its length) or a function of the params."""
    if isinstance(length, str):  # a missing param is the family's check to report
        return len(params[length]) if length in params else None
    return _bound(params, length)


@dataclass(frozen=True)
class Number(Kind):
    """A finite real number, optionally positive or within bounds."""

    positive: bool = False
    minimum: float | None = None
    maximum: float | None = None
    shown: str = ""

    def read(self, family, params, name):
        return read_number(family, params, name, positive=self.positive, minimum=self.minimum,
                           maximum=self.maximum)

    def default_text(self):
        return "positive number" if self.positive else "number"


@dataclass(frozen=True)
class Integer(Kind):
    """A whole number in [minimum, maximum]; a bound may be a function of the params read
    so far (those named in ``after``), and is not checked when one of them is missing."""

    minimum: int | Callable[[Mapping[str, Any]], int] = 0
    maximum: int | Callable[[Mapping[str, Any]], int] = 0
    shown: str = ""
    after: tuple[str, ...] = ()

    def read(self, family, params, name):
        low, high = _bound(params, self.minimum), _bound(params, self.maximum)
        if low is None or high is None:
            return read_int(family, params, name, -math.inf, math.inf)
        return read_int(family, params, name, low, high)

    @property
    def needs(self):
        return self.after

    def default_text(self):
        return "whole number"


@dataclass(frozen=True)
class Vector(Kind):
    """A list of numbers; ``length`` a number, the name of a param of that length or a
    function of the params read so far; or a number of entries in ``counts``; each entry
    in [minimum, maximum] when given."""

    length: int | str | Callable[[Mapping[str, Any]], int] | None = None
    scalar_ok: bool = False
    shown: str = ""
    counts: tuple[int, int] | None = None
    minimum: float | None = None
    maximum: float | None = None

    def read(self, family, params, name):
        return read_vector(family, params, name, _length(params, self.length), scalar_ok=self.scalar_ok,
                           counts=self.counts, minimum=self.minimum, maximum=self.maximum)

    @property
    def needs(self):
        return (self.length,) if isinstance(self.length, str) else ()

    def default_text(self):
        return "list of numbers"


@dataclass(frozen=True)
class Matrix(Kind):
    """A list of rows of numbers, with bounds on the numbers of rows and columns."""

    rows: tuple[int, int] = (1, 1)
    columns: tuple[int, int] = (1, 1)
    shown: str = ""

    def read(self, family, params, name):
        return read_matrix(family, params, name, rows=self.rows, columns=self.columns)

    def default_text(self):
        return "list of rows"


@dataclass(frozen=True)
class Variables(Kind):
    """A list of distinct variable names, as many as one of ``counts``."""

    counts: tuple[int, ...] = (1,)
    shown: str = ""

    def read(self, family, params, name):
        return read_variables(family, params, name, self.counts)

    def default_text(self):
        return "list of names"


@dataclass(frozen=True)
class Variable(Kind):
    """One variable name."""

    shown: str = ""

    def read(self, family, params, name):
        return read_variable(family, params, name)

    def default_text(self):
        return "variable name"


@dataclass(frozen=True)
class Expression(Kind):
    """An expression as text in ``variables``: names, or the name of the param that holds
    them (``default`` when that param is not given). The text is kept (params stay JSON);
    :func:`parse_cached` gives the tree."""

    variables: tuple[str, ...] | str = ("x",)
    default: tuple[str, ...] = ()
    shown: str = ""

    def read(self, family, params, name):
        read_expression(family, params, name, self.variables_in(params))
        return params[name]

    def variables_in(self, params: Mapping[str, Any]) -> tuple[str, ...]:
        """The variables the expression may use, given the params read so far."""
        variables = self.variables
        if isinstance(variables, str):
            variables = params.get(variables, self.default)
            variables = (variables,) if isinstance(variables, str) else variables
        return tuple(variables)

    @property
    def needs(self):
        return (self.variables,) if isinstance(self.variables, str) else ()

    def default_text(self):
        return "expression"


@dataclass(frozen=True)
class Choice(Kind):
    """One of a fixed set of values."""

    choices: tuple = ()
    shown: str = ""

    def read(self, family, params, name):
        return read_choice(family, params, name, self.choices)

    def default_text(self):
        return " or ".join(repr(c) if isinstance(c, str) else str(c) for c in self.choices)


@dataclass(frozen=True)
class Boolean(Kind):
    """``true`` or ``false`` (numbers are not)."""

    shown: str = ""

    def read(self, family, params, name):
        value = params[name]
        if not isinstance(value, bool):
            raise ParamsError(f"{family}: param {name!r} must be true or false, not {value!r}")
        return value

    def default_text(self):
        return "true or false"


@dataclass(frozen=True)
class Constant(Kind):
    """A number, or a constant expression as text such as ``"exp(2)"`` (kept as given)."""

    shown: str = ""

    def read(self, family, params, name):
        value = params[name]
        allowed = f"param {name!r} must be a number or a constant expression such as \"exp(2)\""
        if isinstance(value, str):
            try:
                parse_cached(value, ())
            except ExpressionError as error:
                raise ParamsError(f"{family}: {allowed}: {error}") from None
        elif isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ParamsError(f"{family}: {allowed}, not {value!r}")
        return value

    def default_text(self):
        return "number or constant expression"


@dataclass(frozen=True)
class CanonicalExpression(Expression):
    """An :class:`Expression` written canonically: a polynomial as :func:`poly_text` writes
    it (text already in that form is kept as given), anything else as the parser prints it.

    >>> CanonicalExpression(("x", "y")).read("f", {"f": "y*x + 2x^2"}, "f")
    '2*x**2 + x*y'
    """

    def read(self, family, params, name):
        from calcgrade.solutions import hessian as hs

        variables = self.variables_in(params)
        value = params[name]
        if isinstance(value, str) and hs.poly_from_text(value, variables) is not None:
            return value
        expr = read_expression(family, params, name, variables)
        poly = hs.poly_from_expr(expr, variables)
        canonical = hs.poly_text(poly, variables) if poly is not None else ""
        return canonical if 0 < len(canonical) <= MAX_LENGTH else str(expr)


@dataclass(frozen=True)
class Polynomial(Expression):
    """A polynomial in ``variables`` of a degree in ``degree`` = (lowest, highest), written as
    :func:`poly_text` writes it (text already in that form is kept as given).

    >>> Polynomial(("x",), degree=(2, 8)).read("f", {"f": "x^3/3 - x"}, "f")
    '1/3*x**3 - x'
    >>> Polynomial(("x",), degree=(0, 4)).read("f", {"f": "exp(x)"}, "f")
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: f: param 'f' must be a polynomial in x, not 'exp(x)'
    """

    degree: tuple[int, int] = (0, 8)

    def read(self, family, params, name):
        from calcgrade.solutions import hessian as hs

        variables = self.variables_in(params)
        value = params[name]
        poly = hs.poly_from_text(value, variables) if isinstance(value, str) else None
        if poly is None:
            poly = hs.poly_from_expr(read_expression(family, params, name, variables), variables)
            if poly is None:
                raise ParamsError(f"{family}: param {name!r} must be a polynomial in "
                                  f"{', '.join(variables)}, not {value!r}")
            value = hs.poly_text(poly, variables)
            if len(value) > MAX_LENGTH:
                raise ParamsError(f"{family}: param {name!r} is too long")
        degree = max((sum(mono) for mono in poly), default=0)
        low, high = self.degree
        if not low <= degree <= high:
            allowed = f"{low} to {high}" if low else f"at most {high}"
            raise ParamsError(f"{family}: param {name!r} must have degree {allowed}, not {degree}")
        return value

    def default_text(self):
        return "polynomial"


@dataclass(frozen=True)
class ListOf(Kind):
    """A list whose entries are each read by ``item``: ``length`` entries (a number, the
    name of a param of that length, or a function of the params), or between ``counts``;
    ``unit`` names the entries in messages.

    >>> ListOf(Choice((0, 1)), length="X", unit="labels (one per row of X)").read(
    ...     "f", {"X": [[1], [2]], "y": [0, 1, 1]}, "y")
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: f: param 'y' must be a list of 2 labels (one per row of X), not [0, 1, 1]
    """

    item: Kind = None
    length: int | str | Callable[[Mapping[str, Any]], int] | None = None
    counts: tuple[int, int | None] = (1, None)
    unit: str = "entries"
    shown: str = ""

    def read(self, family, params, name):
        value = params[name]
        length = _length(params, self.length)
        low, high = (length, length) if length is not None else self.counts
        if not isinstance(value, list) or not low <= len(value) <= (high or math.inf):
            size = (f"{low}" if low == high else f"{low} to {high}") if high else ""
            raise ParamsError(f"{family}: param {name!r} must be a list of "
                              f"{size + ' ' if size else ''}{self.unit}, not {value!r}")
        return [self.item.read(family, {**params, name: entry}, name) for entry in value]

    @property
    def needs(self):
        return tuple({*self.item.needs, *((self.length,) if isinstance(self.length, str) else ())})

    def default_text(self):
        return f"list of {self.unit}"


@dataclass(frozen=True)
class Row(Kind):
    """A fixed-length list whose entries have kinds of their own, e.g. ``[type, coefficient, at]``."""

    items: tuple[Kind, ...] = ()
    shown: str = ""
    unit: str = "entries"

    def read(self, family, params, name):
        value = params[name]
        if not isinstance(value, list) or len(value) != len(self.items):
            raise ParamsError(f"{family}: param {name!r} must hold {self.text} {self.unit}, not {value!r}")
        return [kind.read(family, {**params, name: entry}, name) for kind, entry in zip(self.items, value)]

    def default_text(self):
        return "[" + ", ".join(kind.text for kind in self.items) + "]"


@dataclass(frozen=True)
class SymmetricMatrix(Kind):
    """A symmetric positive-definite matrix given as a list of rows, of a size in ``sizes``.

    >>> SymmetricMatrix((2, 3)).read("f", {"A": [[2, 1], [1, -2]]}, "A")
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: f: param 'A' must be positive definite (its smallest eigenvalue is -2.23607); f has no unique minimum otherwise
    """

    sizes: tuple[int, ...] = (2,)
    shown: str = ""

    def read(self, family, params, name):
        import numpy as np

        matrix = params[name]
        if not isinstance(matrix, list) or len(matrix) not in self.sizes:
            raise ParamsError(f"{family}: param {name!r} must be a {self.size_text()} matrix given "
                              f"as a list of rows, not {matrix!r}")
        n = len(matrix)
        rows = [read_vector(family, {name: row}, name) if isinstance(row, list) else None for row in matrix]
        if any(row is None or len(row) != n for row in rows):
            raise ParamsError(f"{family}: param {name!r} must be square: {n} rows of {n} numbers each")
        if any(rows[i][j] != rows[j][i] for i in range(n) for j in range(i)):
            raise ParamsError(f"{family}: param {name!r} must be symmetric (A[i][j] = A[j][i])")
        values = np.linalg.eigvalsh(np.asarray(rows, dtype=float))
        if values[0] <= 1e-9 * max(1.0, abs(values[-1])):
            raise ParamsError(f"{family}: param {name!r} must be positive definite (its smallest "
                              f"eigenvalue is {values[0]:.6g}); f has no unique minimum otherwise")
        return rows

    def size_text(self) -> str:
        sizes = [f"{n}×{n}" for n in self.sizes]
        return ", ".join(sizes[:-1]) + " or " + sizes[-1] if len(sizes) > 1 else sizes[0]

    def default_text(self):
        return f"symmetric positive-definite {self.size_text()} matrix (list of rows)"


@dataclass(frozen=True)
class Nodes(Kind):
    """The nodes v1, v2, ... of a computation graph over the inputs listed in the param
    ``inputs``: each ``[op, arg]``, or ``[op, arg, arg]`` for a ``binary`` op; an argument is
    an input or an earlier node, and every node but the last (f) feeds a later one.

    >>> Nodes(("add", "sin"), ("add",)).read("g", {"vars": ["x"], "nodes": [["sin", "x"], ["sin", "x"]]}, "nodes")
    Traceback (most recent call last):
    ...
    calcgrade.core.errors.ParamsError: g: node v1 is never used; the last node is f, so every other node must feed a later one
    """

    ops: tuple[str, ...] = ()
    binary: tuple[str, ...] = ()
    limit: int = 12
    shown: str = ""
    inputs: str = "vars"

    @property
    def needs(self):
        return (self.inputs,)

    def read(self, family, params, name) -> list[list[str]]:
        nodes, known = params[name], set(params.get(self.inputs, ()))
        if not isinstance(nodes, list) or not 1 <= len(nodes) <= self.limit:
            raise ParamsError(f"{family}: param {name!r} must be a list of 1 to {self.limit} nodes "
                              "such as [\"mul\", \"x\", \"y\"]")
        out, used = [], set()
        for k, node in enumerate(nodes):
            if not (isinstance(node, list) and node and node[0] in self.ops):
                raise ParamsError(f"{family}: node v{k + 1} must be a list starting with one of "
                                  f"{', '.join(self.ops)}, not {node!r}")
            op, *args = node
            arity = 2 if op in self.binary else 1
            if len(args) != arity:
                raise ParamsError(f"{family}: node v{k + 1} ({op}) takes {arity} argument"
                                  f"{'s' if arity == 2 else ''}, not {len(args)}")
            for arg in args:
                if not isinstance(arg, str) or arg not in known:
                    raise ParamsError(f"{family}: node v{k + 1} uses {arg!r}, which is neither an "
                                      "input nor an earlier node")
                used.add(arg)
            out.append([op, *args])
            known.add(f"v{k + 1}")
        unused = [f"v{k + 1}" for k in range(len(out) - 1) if f"v{k + 1}" not in used]
        if unused:
            raise ParamsError(f"{family}: node {unused[0]} is never used; the last node is f, so "
                              "every other node must feed a later one")
        return out

    def default_text(self):
        return "list of nodes"
