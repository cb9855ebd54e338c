"""Turn a student's Python objects into plain JSON data, without trusting them.

:func:`to_plain` runs inside the sandbox child. It accepts only values whose *exact*
type it knows (``type(v) is float``, numpy dtype kinds, sympy's own classes) and reads
them through the types' built-in code; any other object becomes a marker, never a
number, whatever its ``__float__``, ``__eq__`` or ``__iter__`` say. The functions and
types it relies on are captured when this module is imported (in the worker, before
any student code runs), so rebinding ``numpy.isfinite`` or ``json.dumps`` later does
not reach them.

Values JSON cannot hold come back as *markers*: a dict with the reserved key
``"$marker"``::

    {"$marker": "unanswered"}                 the name is bound to ``...`` (Ellipsis)
    {"$marker": "missing"}                    the name is not defined
    {"$marker": "nan"} / "inf" / "-inf"       non-finite floats
    {"$marker": "complex", "real": r, "imag": i}
    {"$marker": "unconvertible", "type": "Foo"}
    {"$marker": "too_large", "type": "ndarray"}
    {"$marker": "error", "error": "ZeroDivisionError", "message": "..."}   (a call failed)
    {"$marker": "timeout"}                    (a call or conversion ran out of time)
    {"$marker": "function", "type": "function"}  a function (the grader may call it)

Sympy expressions with free symbols become ``str(expr)`` (Python/sympy syntax); sympy
numbers and exact constants (``2*E``, ``sqrt(2)/2``) become floats, evaluated here;
numpy arrays and sympy matrices become nested lists.

>>> import numpy as np
>>> to_plain({"v": np.array([1.0, np.nan]), "n": np.int64(3), "e": ...})
{'v': [1.0, {'$marker': 'nan'}], 'n': 3, 'e': {'$marker': 'unanswered'}}
>>> class Sneaky:
...     def __float__(self): return 1.0
...     def __eq__(self, other): return True
>>> to_plain(Sneaky())
{'$marker': 'unconvertible', 'type': '...Sneaky'}
>>> import sympy
>>> x = sympy.Symbol("x")
>>> to_plain([sympy.diff(x * sympy.exp(x), x), sympy.Rational(1, 2), 1 + 2j])
['x*exp(x) + exp(x)', 0.5, {'$marker': 'complex', 'real': 1.0, 'imag': 2.0}]
>>> marker_kind({"$marker": "nan"}), restore([{"$marker": "-inf"}, 2])
('nan', [-inf, 2])
"""

from __future__ import annotations

import functools
import math
import sys
import types
from decimal import Decimal
from fractions import Fraction

import numpy as np

MARKER = "$marker"

UNANSWERED = "unanswered"
MISSING = "missing"
NAN = "nan"
INF = "inf"
NEG_INF = "-inf"
COMPLEX = "complex"
UNCONVERTIBLE = "unconvertible"
TOO_LARGE = "too_large"
ERROR = "error"
TIMEOUT = "timeout"

FUNCTION = "function"

MARKER_KINDS = frozenset({UNANSWERED, MISSING, NAN, INF, NEG_INF, COMPLEX, UNCONVERTIBLE,
                          TOO_LARGE, ERROR, TIMEOUT, FUNCTION})

MAX_ITEMS = 100_000
MAX_DEPTH = 32
MAX_CHARS = 100_000

# --- references captured at import time -------------------------------------------
_type = type
_float = float
_int = int
_str = str
_isfinite = math.isfinite
_qualname = type.__dict__["__qualname__"].__get__
_module_of = type.__dict__["__module__"].__get__
_ndarray = np.ndarray
_ARRAY_TYPES = frozenset({np.ndarray, np.matrix})
_asarray_plain = np.ndarray.view
_array_isfinite = np.isfinite
_all_true = np.logical_and.reduce
_float64 = np.float64
_complex128 = np.complex128
_np_str = np.str_
_NP_BOOL = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.bool_))
_NP_INT = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.integer))
_NP_FLOAT = frozenset(t for t in np.sctypeDict.values() if issubclass(t, np.floating))
_NP_COMPLEX = frozenset(t for t in np.sctypeDict.values()
                        if issubclass(t, np.complexfloating))
_INT_BITS = 63
_FUNCTION_TYPES = frozenset({types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                             functools.partial, np.ufunc, np.vectorize})

_sympy = None  # filled by prepare_sympy()


class _Sympy:
    """Sympy classes and printer captured once (``prepare_sympy``)."""

    def __init__(self, sympy):
        from sympy.core.function import UndefinedFunction
        from sympy.matrices import MatrixBase
        from sympy.printing.str import sstr

        self.basic = sympy.Basic
        self.expr = sympy.Expr
        self.types = frozenset(_all_subclasses(sympy.Basic))
        self.matrix_types = frozenset(_all_subclasses(MatrixBase))
        self.undefined_function = UndefinedFunction
        self.sstr = sstr
        numbers = sympy.core.numbers
        self.integers = frozenset(_all_subclasses(numbers.Integer)) | {numbers.Integer}
        self.rationals = (frozenset(_all_subclasses(numbers.Rational)) | {numbers.Rational}) \
            - self.integers
        self.floats = frozenset({numbers.Float})
        self.nan, self.inf, self.neg_inf = sympy.S.NaN, sympy.S.Infinity, sympy.S.NegativeInfinity
        self.true, self.false = sympy.S.true, sympy.S.false


def _all_subclasses(cls) -> set:
    seen, stack = set(), [cls]
    while stack:
        for sub in _type.__subclasses__(stack.pop()):
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    seen.add(cls)
    return seen


def prepare_sympy() -> None:
    """Capture sympy's classes (the worker calls this at start; later calls are cheap)."""
    global _sympy
    if _sympy is None:
        import sympy

        _sympy = _Sympy(sympy)


# --- markers ----------------------------------------------------------------------


def marker(kind: str, **fields) -> dict:
    """A marker dict: ``marker("timeout") == {"$marker": "timeout"}``."""
    return {MARKER: kind, **fields}


def marker_kind(value) -> str | None:
    """The kind of a marker, or None when ``value`` is ordinary data."""
    if _type(value) is dict and _type(value.get(MARKER)) is str:
        return value[MARKER]
    return None


def restore(value):
    """Parent side: nan/inf/complex markers back to Python floats and complex numbers.

    Other markers are kept as they are; lists and dicts are rebuilt recursively.
    """
    kind = marker_kind(value)
    if kind == NAN:
        return math.nan
    if kind == INF:
        return math.inf
    if kind == NEG_INF:
        return -math.inf
    if kind == COMPLEX:
        return complex(restore(value.get("real")), restore(value.get("imag")))
    if kind is not None:
        return value
    if _type(value) is list:
        return [restore(item) for item in value]
    if _type(value) is dict:
        return {key: restore(item) for key, item in value.items()}
    return value


def type_name(value) -> str:
    """The qualified name of ``type(value)``, read without running its code."""
    cls = _type(value)
    name = _qualname(cls)
    module = _module_of(cls)
    if _type(module) is _str and module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    return clean_text(name, 200)


def clean_text(text: str, limit: int = MAX_CHARS) -> str:
    """An exact ``str`` that encodes as UTF-8 (lone surrogates escaped), cut to ``limit``."""
    text = "".join((text,)) if _type(text) is not _str else text
    if len(text) > limit:
        text = text[:limit] + "…"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


# --- conversion ---------------------------------------------------------------------


class _TooLarge(Exception):
    pass


def to_plain(value, *, max_items: int = MAX_ITEMS, max_depth: int = MAX_DEPTH,
             max_chars: int = MAX_CHARS):
    """Plain JSON data for ``value`` (see the module docstring for the markers).

    At most ``max_items`` numbers/elements in total, ``max_depth`` levels of nesting
    and ``max_chars`` characters per string; beyond that the value is ``too_large``.
    """
    budget = [max_items]
    try:
        return _convert(value, 0, budget, max_depth, max_chars)
    except _TooLarge:
        return marker(TOO_LARGE, type=type_name(value))


def _spend(budget: list, count: int) -> None:
    budget[0] -= count
    if budget[0] < 0:
        raise _TooLarge


def _number(value: float):
    if _isfinite(value):
        return value
    if value != value:
        return marker(NAN)
    return marker(INF) if value > 0 else marker(NEG_INF)


def _integer(value: int):
    if value.bit_length() <= _INT_BITS:
        return value
    try:
        return _number(_float(value))
    except OverflowError:
        return marker(TOO_LARGE, type="int")


def _complex(real: float, imag: float) -> dict:
    return marker(COMPLEX, real=_number(real), imag=_number(imag))


def _convert(value, depth: int, budget: list, max_depth: int, max_chars: int):
    cls = _type(value)
    if value is None or cls is bool:
        return value
    if cls is _int:
        _spend(budget, 1)
        return _integer(value)
    if cls is _float:
        _spend(budget, 1)
        return _number(value)
    if cls is _str:
        _spend(budget, 1)
        if len(value) > max_chars:
            raise _TooLarge
        return clean_text(value, max_chars)
    if value is Ellipsis:
        return marker(UNANSWERED)
    if cls is complex:
        _spend(budget, 1)
        return _complex(value.real, value.imag)
    if cls is list or cls is tuple:
        if depth >= max_depth:
            raise _TooLarge
        _spend(budget, 1)
        return [_convert(item, depth + 1, budget, max_depth, max_chars) for item in value]
    if cls is dict:
        if depth >= max_depth:
            raise _TooLarge
        _spend(budget, 1)
        out = {}
        for key, item in dict.items(value):
            if _type(key) is not _str or key == MARKER:
                return marker(UNCONVERTIBLE, type="dict",
                              reason="keys must be strings (and not '$marker')")
            out[clean_text(key, 1000)] = _convert(item, depth + 1, budget, max_depth, max_chars)
        return out
    if cls in _ARRAY_TYPES:
        return _array(value, depth, budget, max_depth, max_chars)
    if cls in _NP_FLOAT:
        _spend(budget, 1)
        return _number(_float(_float64(value)))
    if cls in _NP_INT:
        _spend(budget, 1)
        return _integer(_int(value))
    if cls in _NP_BOOL:
        return bool(value)
    if cls in _NP_COMPLEX:
        _spend(budget, 1)
        number = complex(_complex128(value))
        return _complex(number.real, number.imag)
    if cls is _np_str:
        _spend(budget, 1)
        return clean_text(value, max_chars)
    if cls is Fraction or cls is Decimal:
        _spend(budget, 1)
        try:
            return _number(_float(value))
        except OverflowError:
            return marker(TOO_LARGE, type=type_name(value))
    if cls in _FUNCTION_TYPES:
        return marker(FUNCTION, type=type_name(value))
    if "sympy" in sys.modules:
        prepare_sympy()
        converted = _sympy_value(value, cls, depth, budget, max_depth, max_chars)
        if converted is not NotImplemented:
            return converted
    return marker(UNCONVERTIBLE, type=type_name(value))


def _array(value, depth, budget, max_depth, max_chars):
    array = _asarray_plain(value, _ndarray)
    if array.ndim == 0:
        return _convert(array[()], depth, budget, max_depth, max_chars)
    _spend(budget, array.size)
    kind = array.dtype.kind
    if kind in "biu":
        return array.tolist() if kind == "b" else _deep_map(array.tolist(), _integer)
    if kind == "f":
        array = array.astype(_float64)
        if _all_true(_array_isfinite(array), axis=None):
            return array.tolist()
        return _deep_map(array.tolist(), _number)
    if kind == "c":
        return _deep_map(array.astype(_complex128).tolist(),
                         lambda number: _complex(number.real, number.imag))
    if kind in "OU":
        if depth + array.ndim > max_depth:
            raise _TooLarge
        budget[0] += array.size  # the elements are counted again one by one
        return _deep_map(array.tolist(),
                         lambda item: _convert(item, depth + array.ndim, budget, max_depth,
                                               max_chars))
    return marker(UNCONVERTIBLE, type=f"ndarray[{clean_text(str(array.dtype), 100)}]")


def _deep_map(nested, function):
    """Apply ``function`` to the leaves of a ``tolist()`` result (lists or a scalar)."""
    if _type(nested) is list:
        return [_deep_map(item, function) for item in nested]
    return function(nested)


def _sympy_value(value, cls, depth, budget, max_depth, max_chars):
    s = _sympy
    if cls in s.matrix_types:
        _spend(budget, 1)
        return _convert(value.tolist(), depth, budget, max_depth, max_chars)
    if cls in s.integers:
        _spend(budget, 1)
        return _integer(_int(value.p))
    if cls in s.rationals:
        _spend(budget, 1)
        try:
            return _number(_int(value.p) / _int(value.q))
        except OverflowError:
            return marker(TOO_LARGE, type=type_name(value))
    if cls in s.floats:
        _spend(budget, 1)
        return _number(_float(value))
    if value is s.nan:
        return marker(NAN)
    if value is s.inf:
        return marker(INF)
    if value is s.neg_inf:
        return marker(NEG_INF)
    if value is s.true or value is s.false:
        return value is s.true
    if (cls in s.types or _type(cls) is s.undefined_function
            or (issubclass(cls, s.basic) and str(_module_of(cls)).startswith("sympy."))):
        _spend(budget, 1)
        constant = _sympy_constant(value)
        if constant is not None:
            return constant
        text = s.sstr(value)
        if _type(text) is not _str:
            return marker(UNCONVERTIBLE, type=type_name(value))
        if len(text) > max_chars:
            raise _TooLarge
        return clean_text(text, max_chars)
    return NotImplemented


def _sympy_constant(value):
    """A sympy expression without free symbols (``2*E``, ``sqrt(2)/2``) as a number or a
    complex/too-large marker; None for anything else (it is then printed as text)."""
    try:
        if not isinstance(value, _sympy.expr) or value.free_symbols:
            return None
        number = complex(value.evalf(30))
    except Exception:  # noqa: BLE001 - not a number after all
        return None
    if number.imag != 0:
        return _complex(number.real, number.imag)
    return _number(number.real)
