"""Notebook validation in the grader: invalid files never reach a worker."""

from __future__ import annotations

import copy
import json
import warnings

import nbformat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from calcgrade.grader.sandbox.submission import InvalidSubmission, load_submission, parse_submission


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


# --- the shape check against nbformat, the reference --------------------------------------


def _nbformat_cells(text: str):
    """Code cells as nbformat reads and validates them (the oracle)."""
    notebook = nbformat.reads(text, as_version=4)
    nbformat.validate(notebook)
    return tuple((i, c.source) for i, c in enumerate(notebook.cells) if c.cell_type == "code")


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
_outputs = st.lists(st.one_of(
    st.builds(lambda t: nbformat.v4.new_output("stream", name="stdout", text=t), _text),
    st.builds(lambda t, n: nbformat.v4.new_output("execute_result", data={"text/plain": t},
                                                  execution_count=n), _text, st.integers(1, 99)),
    st.builds(lambda t: nbformat.v4.new_output("display_data", data={"text/plain": t}), _text),
    st.builds(lambda t: nbformat.v4.new_output("error", ename="E", evalue=t, traceback=[t]), _text),
), max_size=3)
_cells = st.lists(st.one_of(
    st.builds(lambda s, o, n: nbformat.v4.new_code_cell(s, outputs=o, execution_count=n),
              _text, _outputs, st.one_of(st.none(), st.integers(0, 99))),
    st.builds(nbformat.v4.new_markdown_cell, _text),
    st.builds(nbformat.v4.new_raw_cell, _text),
), max_size=6)


@settings(max_examples=60, deadline=None)
@given(cells=_cells, split=st.booleans(), kernel=st.booleans())
def test_notebooks_nbformat_accepts_are_read_with_the_same_code_cells(cells, split, kernel):
    metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3"},
                "language_info": {"name": "python"}} if kernel else {}
    text = nbformat.writes(new_notebook(cells=copy.deepcopy(cells), metadata=metadata))
    if not split:  # sources as single strings rather than lists of lines
        raw = json.loads(text)
        for cell in raw["cells"]:
            cell["source"] = "".join(cell["source"])
        text = json.dumps(raw)
    assert parse_submission(text.encode()).code_cells == _nbformat_cells(text)


def _broken(change):
    raw = json.loads(nbformat.writes(new_notebook(
        cells=[new_code_cell("x = 1"), new_markdown_cell("# Q")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})))
    change(raw)
    return json.dumps(raw)


@pytest.mark.parametrize("change", [
    lambda nb: nb.pop("metadata"),
    lambda nb: nb.pop("nbformat_minor"),
    lambda nb: nb["cells"][0].pop("source"),
    lambda nb: nb["cells"][0].pop("metadata"),
    lambda nb: nb["cells"][0].pop("outputs"),
    lambda nb: nb["cells"][0].pop("execution_count"),
    lambda nb: nb["cells"][0].update(execution_count="1"),
    lambda nb: nb["cells"][0].update(source=7),
    lambda nb: nb["cells"][0].update(source=["x", 1]),
    lambda nb: nb["cells"][0].update(outputs=[{"output_type": "movie"}]),
    lambda nb: nb["cells"][1].update(cell_type="heading"),
    lambda nb: nb["cells"].append("x = 1"),
    lambda nb: nb["metadata"].update(kernelspec="python3"),
    lambda nb: nb["metadata"].update(language_info={"version": "3"}),
])
def test_what_nbformat_rejects_where_it_matters_is_invalid(change):
    text = _broken(change)
    with pytest.raises(Exception):  # the oracle agrees it is broken  # noqa: B017
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _nbformat_cells(text)
    with pytest.raises(InvalidSubmission, match="not a valid notebook"):
        parse_submission(text.encode(), "sub.ipynb")


def test_the_metadata_comes_from_the_same_parse_even_of_a_notebook_that_cannot_run():
    meta = {"calcgrade": {"student": "ada", "token": "t"}}
    good = parse_submission(nbformat.writes(new_notebook(metadata=meta)).encode())
    assert good.metadata["calcgrade"] == meta["calcgrade"]
    with pytest.raises(InvalidSubmission) as caught:
        parse_submission(json.dumps({"metadata": meta, "cells": "none"}).encode())
    assert caught.value.metadata == meta
