"""Read and validate a submitted notebook in the grader, before anything runs.

A file that cannot be read, is too large, is not UTF-8 JSON or is not a valid Jupyter
notebook (checked with nbformat) raises :class:`InvalidSubmission` with a reason a
student can act on; such a file is never sent to a worker. :func:`check_request`
validates the grader's side of a run (answer names, function test inputs).

>>> import nbformat
>>> from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
>>> nb = new_notebook(cells=[new_markdown_cell("# Q1"), new_code_cell("x = 1")])
>>> sub = parse_submission(nbformat.writes(nb).encode(), name="alice.ipynb")
>>> sub.code_cells
((1, 'x = 1'),)
>>> parse_submission(b"\\x89PNG\\r\\n", name="photo.ipynb")
Traceback (most recent call last):
...
calcgrade.grader.sandbox.submission.InvalidSubmission: photo.ipynb is not a notebook: it is not UTF-8 text
"""

from __future__ import annotations

import json
import os
import threading
import warnings
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 16 * 1024 * 1024

_warnings_lock = threading.Lock()


class InvalidSubmission(Exception):
    """The file is not a runnable notebook; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Submission:
    """A validated notebook: its file name, raw text and code cells in order.

    ``code_cells`` holds ``(index, source)`` pairs where ``index`` is the cell's
    position among *all* cells of the notebook (0-based), as a student sees it.
    """

    name: str
    text: str
    code_cells: tuple[tuple[int, str], ...]


def _size(count: int) -> str:
    for unit, scale in (("MiB", 1024 * 1024), ("KiB", 1024)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"


def load_submission(path, max_bytes: int = DEFAULT_MAX_BYTES) -> Submission:
    """Read ``path`` and validate it (see :func:`parse_submission`)."""
    name = os.path.basename(os.fspath(path))
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as error:
        raise InvalidSubmission(f"cannot read {name}: {error.strerror or error}") from None
    return parse_submission(data, name=name, max_bytes=max_bytes)


def parse_submission(data: bytes, name: str = "submission.ipynb",
                     max_bytes: int = DEFAULT_MAX_BYTES) -> Submission:
    """Validate notebook bytes; raises InvalidSubmission."""
    import nbformat

    if len(data) > max_bytes:
        raise InvalidSubmission(f"{name} is larger than {_size(max_bytes)}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSubmission(f"{name} is not a notebook: it is not UTF-8 text") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError):  # the message would quote or locate the content
        raise InvalidSubmission(f"{name} is not a notebook: it is not valid JSON") from None
    if type(raw) is not dict or type(raw.get("cells", raw.get("worksheets"))) is not list:
        raise InvalidSubmission(f"{name} is not a notebook: it is JSON without a list of cells")
    try:
        with _warnings_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except Exception:  # nbformat raises many kinds; their messages quote the content
        raise InvalidSubmission(f"{name} is not a valid notebook: its cells or metadata do not "
                                "follow the Jupyter notebook format") from None
    cells = tuple((index, cell.source) for index, cell in enumerate(notebook.cells)
                  if cell.cell_type == "code")
    return Submission(name=name, text=text, code_cells=cells)


def check_request(answers, functions) -> tuple[list, dict]:
    """Validate what the grader asks for: identifier names, JSON-only test inputs.

    A bad request is the caller's bug (ValueError), never a submission's status.
    """
    answers = list(answers)
    for name in answers:
        if type(name) is not str or not name.isidentifier():
            raise ValueError(f"answer name {name!r} is not a Python identifier")
    functions = dict(functions or {})
    for name, inputs in functions.items():
        if type(name) is not str or not name.isidentifier():
            raise ValueError(f"function name {name!r} is not a Python identifier")
        if type(inputs) not in (list, tuple):
            raise ValueError(f"inputs of function {name!r} must be a list")
        functions[name] = json.loads(json.dumps(list(inputs), allow_nan=False))
    return answers, functions
