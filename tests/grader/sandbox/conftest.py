"""Fixtures of the sandbox tests: notebooks written with nbformat, a shared executor."""

from __future__ import annotations

import os

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from calcgrade.grader.sandbox import Limits, SandboxExecutor

SECRET = "s3cr3t-value-the-sandbox-must-never-see"

# Short limits keep the suite fast on a 2-core machine.
TEST_LIMITS = Limits(wall_seconds=5, memory_bytes=1024 * 1024 * 1024, processes=16,
                     output_bytes=256 * 1024, call_seconds=1.0)


@pytest.fixture
def notebook(tmp_path):
    """notebook(*cells, name=...) -> path; a str is a code cell, ("md", text) markdown."""
    counter = [0]

    def write(*cells, name=None):
        counter[0] += 1
        built = [new_markdown_cell(cell[1]) if isinstance(cell, tuple) else new_code_cell(cell)
                 for cell in cells]
        path = tmp_path / (name or f"submission{counter[0]}.ipynb")
        nbformat.write(new_notebook(cells=built), str(path))
        return str(path)

    return write


@pytest.fixture(scope="session")
def sandbox():
    """One pool for the whole session, started while the grader holds a secret."""
    old = os.environ.get("CALCGRADE_SECRET")
    os.environ["CALCGRADE_SECRET"] = SECRET
    try:
        with SandboxExecutor(workers=2, limits=TEST_LIMITS) as executor:
            yield executor
    finally:
        if old is None:
            os.environ.pop("CALCGRADE_SECRET", None)
        else:
            os.environ["CALCGRADE_SECRET"] = old
