"""Read a student's answer as a fair human grader would: raw value -> canonical value.

One reader per answer kind (DESIGN §5). The grader reads the plain JSON data that the
sandbox sends back; the notebook's self-check reads the live objects of the student's
kernel after :func:`plain_value` (a duck-typed copy of the sandbox's conversion). Both
call :func:`read_answer` with the same ``info`` (the answer's kind and shape, never its
value), so "ready" in the notebook and "readable" in the grader cannot disagree.

This module is standard-library Python only and imports nothing of calcgrade at its top:
its source is embedded in every notebook's self-check cell, after the sources of the
expression notation modules (:data:`calcgrade.core.parse.SELFCHECK_MODULES`).

Leniency is in reading, never in what counts as right: a reader returns the value the
student meant, and the scorer judges that value with the usual tolerance.

>>> read_answer({"kind": "scalar"}, " 7/3 ").value
2.3333333333333335
>>> read_answer({"kind": "iterates", "shape": [3, 1]}, [1.5, 1.4167, 1.4142]).value
[[1.5], [1.4167], [1.4142]]
>>> read_answer({"kind": "vector", "shape": [2]}, [[1.0], [2.0]]).value
[1.0, 2.0]
>>> read_answer({"kind": "label", "labels": ["minimum", "saddle"]}, '"A saddle point."').value
'saddle'
>>> read_answer({"kind": "vector", "shape": [3], "name": "q1_g"}, [1, 2])
Traceback (most recent call last):
...
calcgrade.core.reading.Unreadable: expected a list of 3 numbers, found a list of 2 numbers; write it like q1_g = [1.0, 1.5, 2.0]
"""

import math
import re

MARKER = "$marker"
MAX_NUMBER_TEXT = 100
MAX_EXPRESSION_TEXT = 2000
MAX_UNWRAP = 3
MAX_ENTRIES = 100_000

try:  # in a notebook, given by the modules embedded before this one
    normalise_notation, expression_problem
except NameError:  # imported as part of calcgrade
    from calcgrade.core.grammar import expression_problem
    from calcgrade.core.notation import normalise_notation


class Unreadable(Exception):
    """The answer is there but cannot be read as asked; the message says how to write it."""


class NoAnswer(Exception):
    """The answer is missing (not defined) or still ``...``."""


class Reading:
    """A canonical value and an optional note for the student (e.g. about the order)."""

    __slots__ = ("value", "note", "form")

    def __init__(self, value, note="", form="value"):
        self.value = value
        self.note = note
        self.form = form  # "value", or for expressions "text" / "function"

    def __repr__(self):
        return f"Reading({self.value!r}, note={self.note!r}, form={self.form!r})"


# --- what was found ---------------------------------------------------------------------


def marker_of(value):
    """The marker kind of a ``{"$marker": ...}`` dict, else None."""
    if type(value) is dict and type(value.get(MARKER)) is str:
        return value[MARKER]
    return None


def is_number(value):
    """A finite int or float that is not a bool."""
    return type(value) in (int, float) and math.isfinite(value)


def format_number(value):
    """A number for reading: about 6 significant digits, no float residue.

    >>> format_number(0.30000000000000004), format_number(2.0), format_number(-1234567.0)
    ('0.3', '2', '-1.23457e+06')
    """
    if type(value) is int and abs(value) < 10**15:
        return str(value)
    text = format(float(value), ".6g")
    return "0" if text == "-0" else text


_MARKER_WORDS = {
    "nan": "NaN (not a number)", "inf": "infinity", "-inf": "minus infinity",
    "complex": "a complex number", "too_large": "a value too large to read",
    "timeout": "a computation that ran out of time", "function": "a function",
}


def describe(value):
    """What was found, in a few words a student understands.

    >>> describe([1, 2]), describe("abc"), describe({"$marker": "nan"}), describe(True)
    ('a list of 2 numbers', "the text 'abc'", 'NaN (not a number)', 'True (true/false is not a number)')
    """
    kind = marker_of(value)
    if kind == "unconvertible":
        return f"an object of type {str(value.get('type', '?'))[:60]}"
    if kind == "error":
        return f"an error ({str(value.get('error', 'Exception'))[:60]})"
    if kind is not None:
        return _MARKER_WORDS.get(kind, "a value that cannot be read")
    if value is None:
        return "None"
    if type(value) is bool:
        return f"{value} (true/false is not a number)"
    if type(value) is str:
        text = value.strip()
        if not text:
            return "empty text"
        return f"the text {text[:40] + ('…' if len(text) > 40 else '')!r}"
    if is_number(value):
        return f"the number {format_number(value)}"
    if type(value) is list:
        if not value:
            return "an empty list"
        if all(is_number(item) for item in value):
            return f"a list of {len(value)} number{'s' if len(value) != 1 else ''}"
        if all(type(item) is list for item in value):
            widths = sorted({len(item) for item in value})
            each = " or ".join(str(w) for w in widths[:3])
            return f"a list of {len(value)} list{'s' if len(value) != 1 else ''} of {each} entries"
        return f"a list of {len(value)} entr{'ies' if len(value) != 1 else 'y'}"
    if type(value) is dict:
        return "a dictionary"
    return f"a value of type {type(value).__name__}"


def _plural(count, word):
    return f"{count} {word}" + ("" if count == 1 else "s")


def expected_text(info):
    """What the answer should look like, from its kind and shape (never its value).

    >>> expected_text({"kind": "iterates", "shape": [2, 1]})
    'a list of 2 points, each a list of 1 number'
    """
    kind, shape = info["kind"], info.get("shape") or []
    if kind == "scalar":
        return "a number"
    if kind == "vector":
        return f"a list of {_plural(shape[0], 'number')}"
    if kind == "matrix":
        return f"a list of {_plural(shape[0], 'row')}, each a list of {_plural(shape[1], 'number')}"
    if kind == "iterates":
        return f"a list of {_plural(shape[0], 'point')}, each a list of {_plural(shape[1], 'number')}"
    if kind == "expression":
        names = ", ".join(info.get("variables") or [])
        return f"an expression in {names} as text" if names else "an expression as text"
    if kind == "label":
        return "one of: " + ", ".join(info.get("labels") or [])
    if kind == "labels":
        return (f"a list of {_plural(shape[0], 'label')}, each one of: "
                + ", ".join(info.get("labels") or []))
    if info.get("signature") is not None:
        return f"a Python function of ({', '.join(info['signature'])})"
    return "a Python function"


def _numbers_in(value, limit=64):
    """The readable numbers inside ``value``, depth first (to build an example)."""
    found = []
    stack = [value]
    while stack and len(found) < limit:
        item = stack.pop()
        if type(item) is list:
            stack.extend(reversed(item))
        elif is_number(item):
            found.append(item)
    return found


def example(info, found=None):
    """How to write the answer, in the expected shape, reusing the student's own
    numbers when there are exactly enough of them.

    >>> example({"kind": "matrix", "shape": [2, 2], "name": "q2_H"}, [1, 2, 3, 4])
    'q2_H = [[1, 2], [3, 4]]'
    """
    kind, shape = info["kind"], info.get("shape") or []
    name = info.get("name") or "answer"
    count = 1
    for size in shape:
        count *= size
    numbers = [format_number(v) for v in _numbers_in(found)] if found is not None else []
    if len(numbers) != count or kind not in ("vector", "matrix", "iterates"):
        numbers = [format_number(1.0 + 0.5 * k) for k in range(count)]
        numbers = [n if "." in n or "e" in n else n + ".0" for n in numbers]
    if kind == "scalar":
        text = "0.25"
    elif kind == "vector":
        text = "[" + ", ".join(numbers) + "]"
    elif kind in ("matrix", "iterates") and len(shape) == 2:
        rows = [numbers[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])]
        text = "[" + ", ".join("[" + ", ".join(row) + "]" for row in rows) + "]"
    elif kind == "expression":
        names = info.get("variables") or ["x"]
        text = '"' + " + ".join(f"2*{v}" for v in names) + '"'
    elif kind == "label":
        text = repr((info.get("labels") or ["label"])[0])
    elif kind == "labels":
        labels = info.get("labels") or ["label"]
        text = "[" + ", ".join(repr(labels[k % len(labels)]) for k in range(shape[0] if shape else 1)) + "]"
    else:
        text = "a def or lambda"
    return f"{name} = {text}"


def _unreadable(info, value, extra=""):
    message = f"expected {expected_text(info)}, found {describe(value)}"
    if extra:
        message += f" ({extra})"
    return Unreadable(f"{message}; write it like {example(info, value)}")


# --- numbers ----------------------------------------------------------------------------

_DECIMAL = r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_TEXT = re.compile(rf"\s*([+-]?)\s*({_DECIMAL})\s*(?:/\s*([+-]?)\s*({_DECIMAL}))?\s*")
_MINUS_SIGNS = {"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u2012": "-", "\ufe63": "-",
                "\uff0d": "-", "\uff0b": "+"}


def number_from_text(text):
    """The number in numeric text (``"0.1"``, ``" 3 "``, ``"7/3"``, ``"-1.5e-3"``), or None.

    >>> number_from_text("−2/4"), number_from_text("1e999"), number_from_text("x")
    (-0.5, None, None)
    """
    if len(text) > MAX_NUMBER_TEXT:
        return None
    text = "".join(_MINUS_SIGNS.get(ch, ch) for ch in text)
    match = _NUMBER_TEXT.fullmatch(text)
    if not match:
        return None
    sign, numerator, denominator_sign, denominator = match.groups()
    try:
        value = float(numerator)
        if denominator is not None:
            divisor = float(denominator)
            if divisor == 0:
                return None
            value = value / divisor
            if denominator_sign == "-":
                value = -value
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    if sign == "-":
        value = -value
    return value if math.isfinite(value) else None


def _check_marker(value, info):
    kind = marker_of(value)
    if kind in ("unanswered", "missing"):
        raise NoAnswer(kind)
    return kind


def read_number(value, info=None):
    """A finite float from a number, numeric text, or a one-element list of one."""
    info = info or {"kind": "scalar"}
    original = value
    for _ in range(MAX_UNWRAP + 1):
        if type(value) is list and len(value) == 1:
            value = value[0]
        else:
            break
    _check_marker(value, info)
    if type(value) is bool:
        raise _unreadable(info, original)
    if type(value) in (int, float):
        if not math.isfinite(value):
            raise _unreadable(info, original)
        return float(value)
    if type(value) is str:
        number = number_from_text(value)
        if number is None:
            hint = "too large" if _looks_huge(value) else ""
            raise _unreadable(info, original, hint)
        return number
    raise _unreadable(info, original)


def _looks_huge(text):
    return bool(re.fullmatch(r"\s*[+-]?[0-9.]+[eE]\+?[0-9]{3,}\s*", text[:MAX_NUMBER_TEXT]))


def _entries(value, size, info, original):
    """``size`` numbers from a list (entries may be numeric text or one-element lists)."""
    if type(value) is not list or len(value) != size:
        raise _unreadable(info, original)
    out = []
    for item in value:
        try:
            out.append(read_number(item, {"kind": "scalar"}))
        except (Unreadable, NoAnswer):
            raise _unreadable(info, original) from None
    return out


def read_vector(value, info):
    """``n`` numbers: a list, tuple or array, a column ``(n, 1)`` or row ``(1, n)`` vector."""
    size = info["shape"][0]
    _check_marker(value, info)
    if type(value) is not list:
        if size == 1:
            return [read_number(value, info)]
        raise _unreadable(info, value)
    if len(value) == 1 and type(value[0]) is list and len(value[0]) == size and size != 1:
        return _entries(value[0], size, info, value)  # a row vector
    return _entries(value, size, info, value)


def read_matrix(value, info):
    """``r`` rows of ``c`` numbers (a flat list only for a single row or column)."""
    rows, cols = info["shape"]
    _check_marker(value, info)
    if type(value) is not list:
        raise _unreadable(info, value)
    if len(value) == rows and all(type(row) is list for row in value):
        return [_entries(row, cols, info, value) for row in value]
    if rows == 1 and len(value) == cols:
        return [_entries(value, cols, info, value)]
    if cols == 1 and len(value) == rows:
        return [[number] for number in _entries(value, rows, info, value)]
    raise _unreadable(info, value)


def _close(a, b, info):
    return abs(a - b) <= info.get("atol", 1e-6) + info.get("rtol", 1e-3) * abs(b)


def read_iterates(value, info):
    """``k`` points of ``n`` numbers. In one variable a flat list is a list of 1-D points;
    a list that starts with the given start point and then has the ``k`` iterates is
    read without the start point (with a note)."""
    steps, size = info["shape"]
    _check_marker(value, info)
    if type(value) is not list:
        if steps == 1 and size == 1:
            return Reading([[read_number(value, info)]])
        raise _unreadable(info, value)
    if size == 1 and all(type(item) is not list or len(item) == 1 for item in value):
        points = [[number] for number in _entries(value, len(value), info, value)]
    elif steps == 1 and len(value) == size and all(type(item) is not list for item in value):
        points = [_entries(value, size, info, value)]
    else:
        points = [_entries(point, size, info, value) if type(point) is list
                  else _raise(_unreadable(info, value)) for point in value]
    start = info.get("start")
    if len(points) == steps + 1 and start is not None and len(start) == size and all(
            _close(a, float(b), info) for a, b in zip(points[0], start)):
        return Reading(points[1:], "your list starts with the given start point, which was not "
                                   "asked for; it was left out")
    if len(points) != steps:
        raise _unreadable(info, value)
    return Reading(points)


def _raise(error):
    raise error


# --- labels -----------------------------------------------------------------------------

_ARTICLES = ("a ", "an ", "the ")


def _fold(text):
    text = text.strip().strip("'\"`‘’“”").strip().rstrip(".!?,;:").strip().lower()
    return " ".join(text.replace("_", " ").replace("-", " ").split())


_REMARK = re.compile(r"\s*\([^()]*\)$")


def _label_candidates(text):
    folded = _fold(text)
    yield folded
    if _REMARK.search(folded):  # "min (local)": a remark in parentheses after the label
        yield from _label_candidates(_REMARK.sub("", folded))
    bare = folded
    for article in _ARTICLES:
        if bare.startswith(article):
            bare = bare[len(article):]
            yield bare
            break
    for suffix in (" points", " point"):
        if bare.endswith(suffix):
            yield bare[:-len(suffix)].strip()
            break


def read_label(value, info):
    """One of the accepted labels: case, quotes, punctuation, articles, the word "point"
    and the documented synonyms are folded."""
    _check_marker(value, info)
    if type(value) is not str or len(value) > 200:
        raise _unreadable(info, value)
    labels = {_fold(label): label for label in info.get("labels") or []}
    synonyms = info.get("synonyms") or {}
    if type(synonyms) is list:  # the notebook knows only the synonym words
        synonyms = {word: None for word in synonyms}
    folded_synonyms = {_fold(word): target for word, target in synonyms.items()}
    for candidate in _label_candidates(value):
        if candidate in labels:
            return labels[candidate]
        if candidate in folded_synonyms:
            return folded_synonyms[candidate] or candidate
    raise _unreadable(info, value)


def read_labels(value, info):
    """A list of labels of the expected length."""
    size = info["shape"][0]
    _check_marker(value, info)
    if type(value) is str and size == 1:
        value = [value]
    if type(value) is not list or len(value) != size:
        raise _unreadable(info, value)
    out = []
    for item in value:
        try:
            out.append(read_label(item, info))
        except (Unreadable, NoAnswer):
            raise _unreadable(info, value) from None
    return out


# --- expressions and functions -------------------------------------------------------------


def read_expression(value, info):
    """Expression text in the parser's notation (``np.``, LaTeX, unicode, ``f'(x) =`` …
    normalised), a number (a constant expression), or a function of the variables
    (``form == "function"``: the grader calls it in the sandbox)."""
    kind = _check_marker(value, info)
    if kind == "function":
        return Reading(None, form="function")
    if type(value) in (int, float) and type(value) is not bool:
        if not math.isfinite(value):
            raise _unreadable(info, value)
        return Reading(repr(value) if type(value) is float else str(value), form="text")
    if type(value) is not str:
        raise _unreadable(info, value)
    if not value.strip():
        raise NoAnswer("empty")
    if len(value) > MAX_EXPRESSION_TEXT:
        raise Unreadable(f"the expression is longer than {MAX_EXPRESSION_TEXT} characters")
    text = normalise_notation(value)
    problem = expression_problem(text, list(info.get("variables") or []))
    if problem:
        raise Unreadable(f"the expression cannot be read: {problem}")
    return Reading(text, form="text")


def read_function(value, info):
    """A function (def or lambda): the grader calls it inside the sandbox."""
    if _check_marker(value, info) == "function":
        return Reading(None, form="function")
    raise _unreadable(info, value)


READERS = {"vector": read_vector, "matrix": read_matrix, "label": read_label,
           "labels": read_labels}


def read_answer(info, value):
    """Read ``value`` (plain data) as the answer ``info`` describes.

    Returns a :class:`Reading`; raises :class:`NoAnswer` or :class:`Unreadable`.
    """
    kind = info["kind"]
    if kind == "scalar":
        return Reading(read_number(value, info))
    if kind == "iterates":
        return read_iterates(value, info)
    if kind == "expression":
        return read_expression(value, info)
    if kind == "function":
        return read_function(value, info)
    return Reading(READERS[kind](value, info))


# --- live objects in a notebook ----------------------------------------------------------


def plain_value(value, depth=0):
    """The notebook's copy of the sandbox's conversion: numpy and sympy values, tuples,
    fractions and decimals become plain data; ``...`` becomes the ``unanswered`` marker;
    functions the ``function`` marker. (The grader never calls this: the sandbox
    converts with exact type checks.)"""
    if value is Ellipsis:
        return {MARKER: "unanswered"}
    if value is None or type(value) in (bool, int, str):
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {MARKER: "nan" if value != value else "inf"}
    if depth > 32:
        return {MARKER: "too_large"}
    if type(value) in (list, tuple):
        if len(value) > MAX_ENTRIES:
            return {MARKER: "too_large"}
        return [plain_value(item, depth + 1) for item in value]
    if type(value) is complex:
        return {MARKER: "complex"}
    module = type(value).__module__ or ""
    if module.startswith("sympy"):
        return _plain_sympy(value, depth)
    if type(value).__name__ in ("Fraction", "Decimal"):
        try:
            return plain_value(float(value), depth)
        except (OverflowError, ValueError):
            return {MARKER: "too_large"}
    if callable(value) and not hasattr(value, "tolist"):
        return {MARKER: "function"}
    tolist = getattr(value, "tolist", None)
    if callable(tolist) and module.startswith("numpy"):
        size = getattr(value, "size", 1)
        if type(size) is int and size > MAX_ENTRIES:
            return {MARKER: "too_large"}
        return plain_value(tolist(), depth + 1)
    if type(value) is dict:
        return {MARKER: "unconvertible", "type": "dict"}
    return {MARKER: "unconvertible", "type": type(value).__name__}


def _plain_sympy(value, depth):
    if hasattr(value, "tolist") and hasattr(value, "shape"):  # a Matrix
        return plain_value(value.tolist(), depth + 1)
    symbols = getattr(value, "free_symbols", None)
    if symbols:
        return str(value)
    try:
        number = complex(value)
    except (TypeError, ValueError, OverflowError):
        return str(value)
    if number.imag != 0:
        return {MARKER: "complex"}
    return plain_value(number.real, depth)
