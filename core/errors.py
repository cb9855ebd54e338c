"""The error hierarchy; the command line turns each kind into text and an exit code.

Author-facing errors (bad params, options, assignment files) and student-facing errors
(an answer that cannot be read) exit with code 2; anything else is internal (code 1).

>>> try:
...     raise ParamsError("derivative: param 'f' is missing")
... except UsageError as error:
...     (error.exit_code, str(error))
(2, "derivative: param 'f' is missing")
"""

from __future__ import annotations


class CalcgradeError(Exception):
    """Base class of every error calcgrade raises on purpose."""

    exit_code = 1


class UsageError(CalcgradeError):
    """The user's input is wrong; the message says what and how to fix it."""

    exit_code = 2


class UnknownFamilyError(UsageError):
    """A problem family name that is not in the bank."""


class ParamsError(UsageError):
    """Explicit parameters that are missing, unknown, malformed or outside the domain."""


class OptionsError(UsageError):
    """A sampling option the family does not have, or a value it does not accept."""


class SamplingError(UsageError):
    """The sampler could not satisfy its constraints under the given options."""


class ExpressionError(UsageError):
    """Text that is not an allowed math expression; ``position`` is a 0-based column.

    >>> str(ExpressionError("unknown name 'os'", text="os + 1", position=0))
    "unknown name 'os' at column 1: os + 1"
    """

    def __init__(self, message: str, text: str = "", position: int | None = None):
        self.reason = message
        self.text = text
        self.position = position
        if position is not None and text:
            message = f"{message} at column {position + 1}: {_clip(text, position)}"
        super().__init__(message)


class AnswerFormatError(CalcgradeError):
    """A student's answer that is missing, unreadable or of the wrong shape."""

    exit_code = 2


def _clip(text: str, position: int, width: int = 60) -> str:
    """Show at most ``width`` characters of ``text`` around ``position``."""
    if len(text) <= width:
        return text
    start = max(0, min(position - width // 2, len(text) - width))
    head = "…" if start > 0 else ""
    tail = "…" if start + width < len(text) else ""
    return f"{head}{text[start:start + width]}{tail}"
