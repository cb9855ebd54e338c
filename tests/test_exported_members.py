"""The public surface of ``import calcgrade`` is deliberate: this list is its contract.

Adding or removing a public name means changing this test on purpose (in the spirit of
httpx's tests/test_exported_members.py).
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from importlib import metadata

import calcgrade

EXPECTED = [
    "Assignment", "CalcgradeError", "ClassGrades", "ClassReport", "FamilyInfo", "GenerateSummary",
    "NotebookGrade", "PartScore", "Sample", "Student", "StudentGrade", "StudentVariant",
    "__version__", "family_names", "generate", "get_family", "grade", "grade_notebook",
    "load_assignment", "load_roster", "report", "sample", "solve", "student_variants",
]


def test_all_is_exactly_the_documented_surface():
    assert sorted(calcgrade.__all__) == sorted(EXPECTED)
    assert len(set(calcgrade.__all__)) == len(calcgrade.__all__)


def test_every_exported_name_resolves_and_is_listed_by_dir():
    for name in calcgrade.__all__:
        assert getattr(calcgrade, name) is not None, name
        assert name in dir(calcgrade)


def test_exported_names_come_from_public_modules():
    for name in calcgrade.__all__:
        member = getattr(calcgrade, name)
        if name == "__version__":
            continue
        module = member.__module__
        assert module.startswith("calcgrade."), (name, module)
        assert not any(part.startswith("_") for part in module.split(".")), (name, module)


def test_returned_types_are_frozen_dataclasses():
    for name in ("ClassGrades", "ClassReport", "FamilyInfo", "GenerateSummary", "NotebookGrade", "PartScore",
                 "Sample", "StudentGrade", "StudentVariant", "Assignment", "Student"):
        kind = getattr(calcgrade, name)
        assert dataclasses.is_dataclass(kind), name
        assert kind.__dataclass_params__.frozen, name


def test_version_is_the_installed_distributions():
    assert calcgrade.__version__ == metadata.version("calcgrade")


def test_unknown_names_are_attribute_errors():
    assert not hasattr(calcgrade, "grade_notebooks")


def test_import_calcgrade_alone_imports_nothing_else():
    code = ("import sys, calcgrade; "
            "print(sorted(m for m in sys.modules if m.startswith(('calcgrade.', 'numpy', 'sympy', "
            "'click', 'importlib.metadata'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
