"""Function answers: the student implements a function, the grader calls it on test cases.

A function answer's reference value is a list of *test cases*, each a plain dict::

    {"case": "array of shape (3, 2)",  # the input class, named in feedback
     "checks": "vectorised",           # what the case tests: "value", "vectorised", "stability"
     "args": [[[0.5, 1.0], ...]],      # plain JSON; a list arrives as a numpy float array
     "expected": [[0.62, 0.73], ...]}  # the reference output, computed by the solver

The grader sends the ``args`` of every case into the sandbox (:func:`case_inputs`); the
outputs come back as plain data (numbers, nested lists, markers for nan, errors and
time-outs) and are scored here, case by case: each input class weighs the same, and
the feedback names the failing classes and their inputs ("overflows for z = -800",
"not vectorised: fails on an array of shape (3, 2)"), never an expected output.

>>> cases = [make_case("scalar", [0.5], 1.0), make_case("large |z|", [-800.0], 0.0, "stability")]
>>> outcome = score_cases(("z",), cases, [1.0, {"$marker": "nan"}], rtol=1e-3, atol=1e-6)
>>> outcome.fraction, outcome.detail
(0.5, '1 of 2 tests pass: overflows for z = -800 (large |z|)')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from calcgrade.core import reading

VALUE, VECTORISED, STABILITY = "value", "vectorised", "stability"
MAX_MESSAGES = 3
MAX_SHOWN = 6  # a 1-D array argument of at most this many entries is written out
OVERFLOW_ERRORS = ("OverflowError", "FloatingPointError")


def make_case(case: str, args: list, expected: Any, checks: str = VALUE) -> dict:
    """One test case as plain data (see the module docstring).

    >>> make_case("zeros", [0.0], 0.25)["checks"]
    'value'
    """
    return {"case": case, "checks": checks, "args": list(args), "expected": expected}


def evaluate_cases(inputs: Sequence[tuple], function: Callable[..., Any]) -> list[dict]:
    """Cases from ``(case, args, checks)`` triples, each expected output being
    ``function(*args)`` with list arguments given as numpy arrays (as the sandbox gives
    them) and the result turned back into plain floats and lists.

    >>> evaluate_cases([("scalar", [2.0], "value")], lambda z: z * z)[0]["expected"]
    4.0
    """
    import numpy as np

    out = []
    for case, args, checks in inputs:
        called = [np.asarray(a, dtype=float) if isinstance(a, list) else float(a) for a in args]
        out.append(make_case(case, args, plain_output(function(*called)), checks))
    return out


def plain_output(value: Any) -> Any:
    """A solver's output (number or array) as a float or nested lists of floats."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return [plain_output(v) for v in value]
    return float(value)


def tests_text(cases: Sequence[dict]) -> str:
    """What a function answer is tested on, for the gradebook's reference column (the
    expected outputs stay out of every file a student may read).

    >>> tests_text([make_case("scalar", [1.0], 2.0), make_case("zero", [0.0], 0.0)])
    'a function, tested on 2 inputs: scalar, zero'
    """
    classes = list(dict.fromkeys(case.get("case", "") for case in cases))
    return f"a function, tested on {len(cases)} inputs: " + ", ".join(c for c in classes if c)


def case_inputs(cases: Sequence[dict]) -> list[dict]:
    """What the sandbox is asked to call the function on: ``{"args": [...]}`` per case."""
    return [{"args": case["args"]} for case in cases]


# --- shapes and descriptions ---------------------------------------------------------------


def shape(value: Any) -> tuple | None:
    """The shape of a number (``()``) or a rectangular nested list of numbers; None when
    it is neither (text, a marker, a ragged list).

    >>> shape(1.5), shape([[1, 2], [3, 4], [5, 6]]), shape([1, [2]]), shape("1")
    ((), (3, 2), None, None)
    """
    if reading.is_number(value):
        return ()
    if type(value) is not list:
        return None
    inner = {shape(item) for item in value}
    if len(inner) > 1 or None in inner:
        return None
    return (len(value), *(inner.pop() if inner else ()))


def _shape_text(dims: tuple) -> str:
    return "(" + ", ".join(str(d) for d in dims) + ("," if len(dims) == 1 else "") + ")"


def describe_input(names: Sequence[str], args: Sequence) -> str:
    """The arguments of a call, for feedback: numbers written out, arrays by their shape.

    >>> describe_input(("z",), [-800.0]), describe_input(("X", "y"), [[[1, 2]], [3.0]])
    ('z = -800', 'X an array of shape (1, 2), y = [3]')
    """
    parts = []
    for i, arg in enumerate(args):
        name = names[i] if i < len(names) else f"argument {i + 1}"
        dims = shape(arg)
        if dims == ():
            parts.append(f"{name} = {reading.format_number(arg)}")
        elif dims is not None and len(dims) == 1 and dims[0] <= MAX_SHOWN:
            parts.append(f"{name} = [{', '.join(reading.format_number(v) for v in arg)}]")
        elif dims is not None:
            parts.append(f"{name} an array of shape {_shape_text(dims)}")
        else:
            parts.append(f"{name} = {reading.describe(arg)}")
    return ", ".join(parts)


def expected_form(expected: Any) -> str:
    """What a right output looks like (its shape, never its value).

    >>> expected_form(0.25), expected_form([[1.0, 2.0]])
    ('a number', 'an array of shape (1, 2)')
    """
    dims = shape(expected)
    return "a number" if not dims else f"an array of shape {_shape_text(dims)}"


def _non_finite(value: Any) -> bool:
    if type(value) is list:
        return any(_non_finite(item) for item in value)
    return reading.marker_of(value) in ("nan", "inf", "-inf") or (
        type(value) is float and not math.isfinite(value))


def _flat(value: Any) -> list:
    return [x for item in value for x in _flat(item)] if type(value) is list else [value]


def outputs_agree(output: Any, expected: Any, rtol: float, atol: float) -> bool:
    """Same shape (a 0-d result counts as a number) and every entry finite and within
    tolerance."""
    dims = shape(expected)
    if dims is None or shape(output) != dims:
        return False
    return all(abs(a - b) <= atol + rtol * abs(b) for a, b in zip(_flat(output), _flat(expected)))


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasesOutcome:
    """How a function did on its test cases: the credit, the first failing case, and
    a sentence for the student (empty when every case passes)."""

    fraction: float
    first_wrong: int | None
    detail: str
    not_implemented: bool = False


def case_problem(names: Sequence[str], case: dict, output: Any, rtol: float, atol: float) -> str:
    """What is wrong with ``output`` for ``case``, in a phrase for the student ("" if right)."""
    expected = case["expected"]
    if outputs_agree(output, expected, rtol, atol):
        return ""
    where = describe_input(names, case["args"])
    label = case.get("case", "")
    tag = f" ({label})" if label and label not in where else ""
    arrays = [f"an array of shape {_shape_text(shape(a))}" for a in case["args"] if shape(a)]
    kind = reading.marker_of(output)
    error = str(output.get("error", "an error"))[:60] if kind == "error" else ""
    if case.get("checks") == STABILITY and (error in OVERFLOW_ERRORS or _non_finite(output)):
        return f"overflows for {where}{tag}"
    if case.get("checks") in (VECTORISED, STABILITY) and arrays and (
            error or shape(output) != shape(expected)):
        why = f" (raised {error})" if error else f" (returned {reading.describe(output)})"
        return f"not vectorised: fails on {arrays[0]}{why}"
    if kind == "timeout":
        return f"ran out of time for {where}{tag}"
    if error:
        return f"raised {error} for {where}{tag}"
    if _non_finite(output):
        return f"returned nan or inf for {where}{tag}"
    if shape(output) != shape(expected):
        return (f"returned {reading.describe(output)} for {where}{tag}, "
                f"expected {expected_form(expected)}")
    return f"wrong result for {where}{tag}"


def _not_implemented(output: Any) -> bool:
    return reading.marker_of(output) == "error" and output.get("error") == "NotImplementedError"


def score_cases(names: Sequence[str], cases: Sequence[dict], outputs: Any,
                rtol: float, atol: float) -> CasesOutcome:
    """Credit per input class (each class weighs the same, shared among its cases) and
    feedback naming up to :data:`MAX_MESSAGES` failing classes with their inputs."""
    if type(outputs) is not list or len(outputs) != len(cases):
        return CasesOutcome(0.0, 0 if cases else None, "the function could not be called on the tests")
    if cases and all(_not_implemented(o) for o in outputs):
        return CasesOutcome(0.0, 0, "the function still raises NotImplementedError", True)
    problems = [case_problem(names, case, output, rtol, atol) for case, output in zip(cases, outputs)]
    classes: dict[str, list[bool]] = {}
    for case, problem in zip(cases, problems):
        classes.setdefault(case.get("case", ""), []).append(not problem)
    fraction = (sum(sum(flags) / len(flags) for flags in classes.values()) / len(classes)
                if classes else 1.0)
    failing = [p for p in problems if p]
    first = next((i for i, p in enumerate(problems) if p), None)
    messages = list(dict.fromkeys(failing))[:MAX_MESSAGES]
    passed = len(cases) - len(failing)
    detail = f"{passed} of {len(cases)} tests pass: " + "; ".join(messages) if messages else ""
    return CasesOutcome(fraction, first, detail)


def same_outputs(buggy: Sequence[dict], reference: Sequence[dict], rtol: float, atol: float) -> bool:
    """Whether a buggy solver's cases give the reference's outputs everywhere (then the
    mistake cannot be told apart from the right function on these tests)."""
    return len(buggy) == len(reference) and all(
        outputs_agree(b["expected"], r["expected"], rtol, atol) for b, r in zip(buggy, reference))


def looks_like(outputs: Any, buggy: Sequence[dict], reference: Sequence[dict],
               rtol: float, atol: float) -> bool:
    """Whether a student's outputs are a buggy solver's: every case that returned finite
    numbers agrees with it, and on at least one of them the buggy output is not the right one
    (so a mistake implemented for scalars only is still named).

    >>> buggy = [make_case("s", [1.0], 2.0), make_case("a", [[1.0]], [2.0])]
    >>> right = [make_case("s", [1.0], 1.0), make_case("a", [[1.0]], [1.0])]
    >>> looks_like([2.0, {"$marker": "error", "error": "TypeError"}], buggy, right, 1e-3, 1e-6)
    True
    """
    if type(outputs) is not list or len(outputs) != len(buggy) or len(buggy) != len(reference):
        return False
    returned = [i for i, o in enumerate(outputs) if shape(o) is not None]
    return all(outputs_agree(outputs[i], buggy[i]["expected"], rtol, atol) for i in returned) and any(
        not outputs_agree(buggy[i]["expected"], reference[i]["expected"], rtol, atol)
        for i in returned)
