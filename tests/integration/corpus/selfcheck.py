"""Run a notebook's own self-check cell in a real Jupyter kernel and read its verdict.

The notebook runs top to bottom as a student who ran every cell would (a cell that raises
does not stop the next), then the self-check cell prints its report; an answer is ready
unless the report lists it under a problem (empty, not defined, wrong type or shape,
characters an expression cannot have).

>>> parse_report("Self-check: 1 of 2 answers ready.\\n\\nStill empty (...):\\n  q1_a", {"q1_a", "q1_b"})
{'q1_b'}
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

_NAME = re.compile(r"\bq\d+_[A-Za-z0-9_]+")


def parse_report(text: str, expected: set[str]) -> set[str]:
    """The names the report counts as ready: every expected name it does not list."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("Self-check")), None)
    if start is None:
        return set()
    flagged, heading = set(), ""
    for line in lines[start + 1:]:
        if not line.strip():
            continue
        if not line[0].isspace():
            heading = line
            continue
        if "note" not in heading.lower():
            flagged |= set(_NAME.findall(line))
    return set(expected) - flagged


def _selfcheck_names(nb) -> set[str]:
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("calcgrade", {}).get("role") == "selfcheck")
    return {entry["name"] for entry in cell["metadata"]["calcgrade"]["expected"]}


def _cells(nb) -> tuple[list[str], str]:
    """The student's code cells in order, and the self-check cell's source."""
    code, check = [], None
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("metadata", {}).get("calcgrade", {}).get("role") == "selfcheck":
            check = cell.source
        else:
            code.append(cell.source)
    return code, check


RUN_CELLS = """\
for _corpus_source in {sources!r}:
    get_ipython().run_cell(_corpus_source, store_history=False)
del _corpus_source"""


def _stdout(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream" and out.get("name") == "stdout")


class SelfCheckKernel:
    """One Jupyter kernel (driven by nbclient) that runs many notebooks' self-checks.

    Each notebook gets a clean namespace (``%reset -f``), then its code cells run in order
    as a student who ran every cell would (a cell that raises does not stop the next),
    then its self-check cell runs on its own and prints the report that is parsed.
    """

    def __init__(self, timeout: int = 600):
        from jupyter_client.manager import KernelManager
        self.timeout = timeout
        self.km = KernelManager(kernel_name="python3")

    def __enter__(self):
        self.km.start_kernel()
        return self

    def __exit__(self, *exc):
        self.km.shutdown_kernel(now=True)

    def ready_many(self, paths) -> dict:
        """``{path: names ready}`` for every notebook in ``paths``, in one kernel session."""
        from nbclient import NotebookClient
        batch = nbformat.v4.new_notebook()
        expected = {}
        for path in paths:
            nb = nbformat.read(str(path), as_version=4)
            expected[path] = _selfcheck_names(nb)
            code, check = _cells(nb)
            batch.cells += [nbformat.v4.new_code_cell("%reset -f"),
                            nbformat.v4.new_code_cell(RUN_CELLS.format(sources=code)),
                            nbformat.v4.new_code_cell(check or "print('no self-check cell')")]
        for cell in batch.cells:
            cell.pop("id", None)
        batch.nbformat_minor = 4
        NotebookClient(batch, km=self.km, allow_errors=True, timeout=self.timeout,
                       kernel_name="python3").execute()
        return {path: parse_report(_stdout(batch.cells[3 * i + 2]), expected[path])
                for i, path in enumerate(expected)}

    def ready(self, notebook_path: str | Path) -> set[str]:
        return self.ready_many([notebook_path])[notebook_path]


def self_check_ready(notebook_path: str | Path) -> set[str]:
    """The answers the notebook's own self-check counts as ready (in a kernel of its own)."""
    with SelfCheckKernel() as kernel:
        return kernel.ready(notebook_path)
