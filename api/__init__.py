"""calcgrade: randomized, self-grading exercises in the calculus of machine learning.

The Python API (every name in ``__all__``; see :mod:`calcgrade.api`)::

    import calcgrade

    calcgrade.family_names()                        # every problem family
    calcgrade.get_family("newton")                  # its params, options, answers, mistakes
    calcgrade.sample("newton", seed=1)              # one variant: params, statement, answers
    calcgrade.solve("derivative", {"f": "x**3"})    # reference answers for explicit params
    assignment = calcgrade.load_assignment("hw3.toml")
    roster = calcgrade.load_roster("roster.csv")
    calcgrade.student_variants(assignment, "ada01", roster=roster)
    calcgrade.generate("hw3.toml", "roster.csv", "hw3")
    calcgrade.grade("collected/", "hw3.toml", "roster.csv", "hw3-grades")
    calcgrade.grade_notebook("ada01.ipynb", "hw3.toml", roster="roster.csv").parts
    calcgrade.report("hw3-grades").mistakes          # the class report's numbers

Importing ``calcgrade`` imports nothing else: each name loads its module on first use.

>>> import calcgrade
>>> calcgrade.solve("derivative", {"f": "x**3", "at": 2})["value"]
12.0
>>> calcgrade.no_such_name
Traceback (most recent call last):
...
AttributeError: module 'calcgrade' has no attribute 'no_such_name'
"""

from __future__ import annotations

__all__ = [
    "Assignment",
    "CalcgradeError",
    "ClassGrades",
    "ClassReport",
    "FamilyInfo",
    "GenerateSummary",
    "NotebookGrade",
    "PartScore",
    "Sample",
    "Student",
    "StudentGrade",
    "StudentVariant",
    "__version__",
    "family_names",
    "generate",
    "get_family",
    "grade",
    "grade_notebook",
    "load_assignment",
    "load_roster",
    "report",
    "sample",
    "solve",
    "student_variants",
]

# name -> the module that defines it (loaded on first use, PEP 562)
_HOMES = {
    "Assignment": "calcgrade.grader.course.assignment",
    "CalcgradeError": "calcgrade.core.errors",
    "Student": "calcgrade.grader.course.roster",
    **{name: "calcgrade.api" for name in __all__
       if name not in ("Assignment", "CalcgradeError", "Student", "__version__")},
}


def __getattr__(name: str):
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("calcgrade")
        except PackageNotFoundError:  # pragma: no cover - a source tree that is not installed
            value = "0+unknown"
    elif name in _HOMES:
        import importlib

        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
