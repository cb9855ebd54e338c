"""Read and validate a submitted notebook in the grader, before anything runs.

A file that cannot be read, is too large, is not UTF-8 JSON or is not a valid Jupyter
notebook raises :class:`InvalidSubmission` with a reason a student can act on; such a
file is never sent to a worker. A notebook of the current format (4) is parsed once
(``json``) and checked by :func:`check_notebook_shape`, which looks at what the
Jupyter schema requires of what is used here (cells, their type and source, the
metadata's kernel fields) without building or validating an ``nbformat`` object;
older formats are converted with nbformat. :func:`check_request` validates the
grader's side of a run (answer names, function test inputs).

>>> import nbformat
>>> from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
>>> nb = new_notebook(cells=[new_markdown_cell("# Q1"), new_code_cell("x = 1")],
...                   metadata={"calcgrade": {"student": "ada"}})
>>> sub = parse_submission(nbformat.writes(nb).encode(), name="alice.ipynb")
>>> sub.code_cells, sub.metadata["calcgrade"]
(((1, 'x = 1'),), {'student': 'ada'})
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
from dataclasses import dataclass, field

DEFAULT_MAX_BYTES = 16 * 1024 * 1024

_warnings_lock = threading.Lock()


class InvalidSubmission(Exception):
    """The file is not a runnable notebook; ``reason`` says why. ``metadata`` is its
    top-level metadata when it is at least a JSON object with one ({} otherwise)."""

    def __init__(self, reason: str, metadata: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.metadata = metadata or {}


@dataclass(frozen=True)
class Submission:
    """A validated notebook: its file name, raw text, code cells in order and metadata.

    ``code_cells`` holds ``(index, source)`` pairs where ``index`` is the cell's
    position among *all* cells of the notebook (0-based), as a student sees it.
    ``metadata`` is the notebook's top-level metadata (read as data, never run).
    """

    name: str
    text: str
    code_cells: tuple[tuple[int, str], ...]
    metadata: dict = field(default_factory=dict, compare=False, repr=False)


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
    metadata = raw.get("metadata") if type(raw) is dict else None
    metadata = metadata if type(metadata) is dict else {}
    if type(raw) is not dict or type(raw.get("cells", raw.get("worksheets"))) is not list:
        raise InvalidSubmission(f"{name} is not a notebook: it is JSON without a list of cells",
                                metadata)
    invalid = InvalidSubmission(f"{name} is not a valid notebook: its cells or metadata do not "
                                "follow the Jupyter notebook format", metadata)
    if raw.get("nbformat") == 4:
        if not check_notebook_shape(raw):
            raise invalid
        cells = tuple((index, _source(cell["source"])) for index, cell in enumerate(raw["cells"])
                      if cell["cell_type"] == "code")
    else:
        cells = _converted_cells(text, invalid)
    return Submission(name=name, text=text, code_cells=cells, metadata=metadata)


def _source(source) -> str:
    return source if type(source) is str else "".join(source)


_CELL_TYPES = frozenset({"code", "markdown", "raw"})
_OUTPUT_TYPES = frozenset({"stream", "display_data", "execute_result", "error"})


def _is_text(value) -> bool:
    """A string, or a list of strings (the notebook format's "multiline string")."""
    return type(value) is str or (type(value) is list and all(type(v) is str for v in value))


def _is_count(value) -> bool:
    return value is None or (type(value) is int and value >= 0)


def check_notebook_shape(raw: dict) -> bool:
    """Whether a parsed notebook of format 4 has what the Jupyter schema requires of it
    where this project reads it: a dict of metadata (kernel fields of the right type),
    a list of cells, each with a known type, text source and dict metadata, code
    cells with their outputs list and execution count. Anything the schema allows
    passes; what it forbids elsewhere (an unknown extra key, say) is not looked for.

    >>> cell = {"cell_type": "code", "source": ["x = 1\\n", "y = 2"], "metadata": {},
    ...         "outputs": [], "execution_count": None}
    >>> check_notebook_shape({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
    ...                       "cells": [cell]})
    True
    >>> check_notebook_shape({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
    ...                       "cells": [{**cell, "source": 7}]})
    False
    """
    metadata, cells = raw.get("metadata"), raw.get("cells")
    minor = raw.get("nbformat_minor")
    if type(metadata) is not dict or type(cells) is not list or type(minor) is not int \
            or minor < 0:
        return False
    kernel = metadata.get("kernelspec")
    if kernel is not None and not (type(kernel) is dict and type(kernel.get("name")) is str
                                   and type(kernel.get("display_name")) is str):
        return False
    language = metadata.get("language_info")
    if language is not None and not (type(language) is dict
                                     and type(language.get("name")) is str):
        return False
    for cell in cells:
        if type(cell) is not dict or cell.get("cell_type") not in _CELL_TYPES \
                or not _is_text(cell.get("source")) or type(cell.get("metadata")) is not dict:
            return False
        if "id" in cell and type(cell["id"]) is not str:
            return False
        if cell["cell_type"] == "code":
            outputs = cell.get("outputs")
            if type(outputs) is not list or "execution_count" not in cell \
                    or not _is_count(cell["execution_count"]):
                return False
            if any(type(out) is not dict or out.get("output_type") not in _OUTPUT_TYPES
                   for out in outputs):
                return False
        elif "attachments" in cell and type(cell["attachments"]) is not dict:
            return False
    return True


def _converted_cells(text: str, invalid: InvalidSubmission) -> tuple[tuple[int, str], ...]:
    """Code cells of a notebook in an older format, converted to format 4 by nbformat."""
    import nbformat

    try:
        with _warnings_lock, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            notebook = nbformat.reads(text, as_version=4)
            nbformat.validate(notebook)
    except Exception:  # nbformat raises many kinds; their messages quote the content
        raise invalid from None
    return tuple((index, cell.source) for index, cell in enumerate(notebook.cells)
                 if cell.cell_type == "code")


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
