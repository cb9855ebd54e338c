"""Asking for code: the ``answer = "values" | "code"`` option of the families that have one.

With ``answer = "code"`` a family asks the student to implement functions instead of
computing values. The params then carry ``"answer": "code"`` (absent for values, so a
values variant is what it always was); the function answers are :class:`AnswerSpec`\\ s of
kind ``function`` whose ``variables`` are the function's parameters, and their
reference values are test cases (:mod:`calcgrade.core.functions`): inputs chosen per
variant, outputs from the reference solver. A catalogued mistake in code is the buggy
solver evaluated on the same inputs (:func:`cases_of`). ``student_code`` gives, per
function answer, a right implementation written as a student would (simulated
submissions and the key-filled notebooks use it).

>>> spec = function_spec("σ(z)", "z")
>>> spec.kind, spec.variables
('function', ('z',))
>>> asks_code({"z": 1.0, "answer": "code"}), asks_code({"z": 1.0})
(True, False)
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from calcgrade.core.answers import AnswerSpec
from calcgrade.core.errors import ParamsError
from calcgrade.core.functions import STABILITY, VALUE, VECTORISED, evaluate_cases
from calcgrade.problems.checks import Choice
from calcgrade.problems.family import OptionSpec, ParamSpec

VALUES, CODE = "values", "code"

__all__ = ["ANSWER_OPTION", "ANSWER_PARAM", "CODE", "STABILITY", "VALUE", "VALUES", "VECTORISED",
           "asks_code", "cases_of", "function_spec", "marked", "normalised", "signature_text"]

ANSWER_OPTION = OptionSpec(
    "answer", VALUES, "'values' asks for numbers; 'code' asks the student to implement the "
    "functions in Python (called by the grader on scalars, arrays and edge cases)",
    choices=(VALUES, CODE))

ANSWER_PARAM = ParamSpec("answer", Choice((VALUES, CODE)),
                         "'code' asks for Python functions instead of values", required=False)


def function_spec(description: str, *signature: str, rtol: float = 1e-3,
                  atol: float = 1e-6) -> AnswerSpec:
    """A function answer taking the parameters ``signature``."""
    return AnswerSpec("function", description, rtol=rtol, atol=atol, variables=tuple(signature))


def asks_code(params: Mapping[str, Any]) -> bool:
    """Whether these params ask for code."""
    return params.get("answer") == CODE


def marked(params: dict, answer: str) -> dict:
    """Drawn ``params`` with the ``answer`` option recorded (only when it asks for code)."""
    return {**params, "answer": CODE} if answer == CODE else params


def normalised(family: str, params: dict, allowed: bool = True, instead: str = "") -> dict:
    """``params`` without ``answer = "values"`` (the default), or a clear error when code
    is asked for where the family cannot ask for it (``allowed`` false; ``instead`` says
    what to give).

    >>> normalised("f", {"z": 1.0, "answer": "values"})
    {'z': 1.0}
    """
    if params.get("answer") == VALUES:
        return {k: v for k, v in params.items() if k != "answer"}
    if params.get("answer") == CODE and not allowed:
        raise ParamsError(f"{family}: answer='code' is not available with these params"
                          + (f"; {instead}" if instead else ""))
    return params


def cases_of(inputs: Sequence[tuple], function: Callable[..., Any]) -> list[dict]:
    """Test cases: ``function`` (a vectorised numpy solver, right or buggy) on each
    ``(input class, args, checks)``."""
    import numpy as np

    with np.errstate(all="ignore"):
        return evaluate_cases(inputs, function)


def signature_text(name: str, spec: AnswerSpec) -> str:
    """``sigmoid_prime(z)``."""
    return f"{name}({', '.join(spec.variables)})"
