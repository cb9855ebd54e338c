"""Gradescope's results.json format, as its autograder specification documents it
("Autograder Specifications", gradescope-autograders.readthedocs.io): the fields a results
file may have and the values they take."""

from __future__ import annotations

import pytest

# Gradescope's documented results.json fields
TOP_FIELDS = {"score", "execution_time", "output", "output_format", "test_output_format",
              "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests",
              "leaderboard"}
TEST_FIELDS = {"score", "max_score", "status", "name", "name_format", "number", "output",
               "output_format", "tags", "visibility", "extra_data"}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}
FORMATS = {"text", "html", "simple_format", "md", "ansi"}
STATUSES = {"passed", "failed"}


def check_results(results: dict) -> None:
    """Fail unless ``results`` follows the documented results.json format."""
    assert set(results) <= TOP_FIELDS, set(results) - TOP_FIELDS
    assert isinstance(results["score"], (int, float)) and not isinstance(results["score"], bool)
    assert isinstance(results["output"], str) and results["output"]
    assert results.get("visibility", "visible") in VISIBILITIES
    assert results.get("stdout_visibility", "hidden") in VISIBILITIES
    for field in ("output_format", "test_output_format", "test_name_format"):
        assert results.get(field, "text") in FORMATS
    assert isinstance(results["tests"], list)
    for test in results["tests"]:
        assert set(test) <= TEST_FIELDS, set(test) - TEST_FIELDS
        assert isinstance(test["name"], str) and test["name"]
        assert isinstance(test["output"], str)
        assert test["visibility"] in VISIBILITIES and test["status"] in STATUSES
        assert test.get("output_format", "text") in FORMATS
        assert 0 <= test["score"] <= test["max_score"] + 1e-9
        assert test["status"] == ("passed" if test["score"] >= test["max_score"] - 1e-9 else "failed")
    if results["tests"]:
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
