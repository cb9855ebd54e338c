"""Turn a case into a submitted notebook: the student's generated notebook, answer lines
rewritten, scratch cells added where the student would add them.

>>> code_cell("x = 1")["source"]
'x = 1'
"""

from __future__ import annotations

import copy
import re

from .cases import DELETE, EMPTY, Edit, Student, baseline_code

_ANSWER_LINE = re.compile(r"^(q(\d+)_\w+) = \.\.\.(\s*#.*)?$")


def code_cell(source: str) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}


def role(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("calcgrade", {}).get("role")


def expected_parts(notebook: dict) -> list[str]:
    """The answer names the notebook's self-check expects, in order."""
    cell = next(c for c in notebook["cells"] if role(c) == "selfcheck")
    return [entry["name"] for entry in cell["metadata"]["calcgrade"]["expected"]]


def _rewrite(source: str, student: Student, edit: Edit) -> str:
    lines = []
    for line in source.splitlines():
        match = _ANSWER_LINE.match(line)
        if not match or edit.blank:
            lines.append(line)
            continue
        name, problem = match.group(1), int(match.group(2))
        code = edit.answers.get(name)
        if code is EMPTY:
            lines.append(line)
        elif code is DELETE:
            continue
        else:
            if code is None:
                code = baseline_code(student, problem, name.split("_", 1)[1])
            lines.append(f"{name} = {code}")
    return "\n".join(lines)


def build_notebook(notebook: dict, student: Student, edit: Edit) -> dict:
    """The submitted notebook for ``student`` under ``edit``."""
    nb = copy.deepcopy(notebook)
    cells = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("calcgrade", {})
        if role(cell) == "selfcheck":
            if cells and cells[-1]["cell_type"] == "markdown":
                heading = cells.pop()
                cells += [code_cell(src) for src in edit.end] + [heading]
            else:
                cells += [code_cell(src) for src in edit.end]
            cells.append(cell)
        elif role(cell) == "answers":
            problem = meta["problem"]
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            cells += [code_cell(src) for src in edit.before.get(problem, [])]
            cell["source"] = _rewrite(source, student, edit)
            cells.append(cell)
            cells += [code_cell(src) for src in edit.after.get(problem, [])]
        else:
            cells.append(cell)
    if nb.get("nbformat_minor", 0) >= 5:
        for index, cell in enumerate(cells):
            cell.setdefault("id", f"cell-{index}")
    nb["cells"] = cells
    return nb


def expectations(notebook: dict, edit: Edit) -> dict[str, float]:
    """The fair grader's fraction for every part of the notebook."""
    out = {}
    for name in expected_parts(notebook):
        if edit.blank or edit.answers.get(name) is EMPTY:
            out[name] = 0.0
        else:
            out[name] = 1.0
    out.update(edit.expect)
    return out
