"""Notebook validation in the grader: invalid files never reach a worker."""

from __future__ import annotations

import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from calcgrade.grader.sandbox.submission import InvalidSubmission, load_submission


def write(tmp_path, data: bytes, name="sub.ipynb"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_valid_notebook_gives_code_cells_with_their_notebook_index(tmp_path):
    nb = new_notebook(cells=[new_markdown_cell("# Q"), new_code_cell("x = 1"),
                             new_markdown_cell("..."), new_code_cell("y = x + 1")])
    sub = load_submission(write(tmp_path, nbformat.writes(nb).encode()))
    assert sub.code_cells == ((1, "x = 1"), (3, "y = x + 1"))
    assert sub.name == "sub.ipynb" and json.loads(sub.text)["nbformat"] == 4


def test_an_old_format_notebook_is_converted(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "x = 2", "language": "python", "outputs": []}]}]}
    sub = load_submission(write(tmp_path, json.dumps(v3).encode()))
    assert sub.code_cells == ((0, "x = 2"),)


@pytest.mark.parametrize("data, reason", [
    (b"", "not valid JSON"),
    (b"{not json", "not valid JSON"),
    (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8"),
    (b'{"hello": "world"}', "without a list of cells"),
    (b"[1, 2, 3]", "without a list of cells"),
    (b'{"cells": [], "nbformat": 4}', "not a valid notebook"),
    (b'{"cells": [{"cell_type": "code"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}',
     "not a valid notebook"),
])
def test_files_that_are_not_notebooks_are_invalid_with_a_reason(tmp_path, data, reason):
    with pytest.raises(InvalidSubmission, match=reason) as error:
        load_submission(write(tmp_path, data))
    assert "sub.ipynb" in error.value.reason


def test_missing_and_too_large_files(tmp_path):
    with pytest.raises(InvalidSubmission, match="cannot read"):
        load_submission(tmp_path / "nope.ipynb")
    nb = nbformat.writes(new_notebook(cells=[new_code_cell("x = 1" + " " * 5000)])).encode()
    with pytest.raises(InvalidSubmission, match="larger than"):
        load_submission(write(tmp_path, nb), max_bytes=1000)
