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


@pytest.mark.parametrize("name", sorted(set(module_names())))
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
