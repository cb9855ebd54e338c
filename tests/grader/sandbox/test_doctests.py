"""Run the docstring examples of every sandbox module (the repository-wide doctest
test only imports the package itself)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import calcgrade.grader.sandbox as sandbox

NAMES = sorted(info.name for info in pkgutil.iter_modules(sandbox.__path__, sandbox.__name__ + "."))


@pytest.mark.parametrize("name", NAMES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
