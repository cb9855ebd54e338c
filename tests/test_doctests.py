"""Run the examples in every module's docstrings, imported by their installed names."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import calcgrade
import calcgrade.core
import calcgrade.grader
import calcgrade.problems
import calcgrade.solutions
import calcgrade.templates


def module_names():
    for package in (calcgrade, calcgrade.core, calcgrade.problems, calcgrade.solutions, calcgrade.grader, calcgrade.templates):
        yield package.__name__
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            yield info.name


# modules whose import brings in a large third-party package (otter-grader): slow set
HEAVY_IMPORTS = {"calcgrade.grader.integrations.otter_plugin"}


@pytest.mark.parametrize("name", [pytest.param(name, marks=pytest.mark.slow) if name in HEAVY_IMPORTS
                                  else name for name in sorted(set(module_names()))])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
