"""Grading keeps no student's data once that student is marked: the memory of a batch does
not grow with the class (what the benchmark measures; here checked by counting objects,
not by timing or memory thresholds).

- the variants alive at any moment are those of the submissions in flight, whatever the
  size of the class;
- the summary holds counts only: its table is read back from the ``grades.csv`` written
  from the gradebook;
- every ``lru_cache`` of the core, the solvers and the grader is bounded.
"""

from __future__ import annotations

import csv
import functools
import gc
import importlib
import pkgutil

import pytest

import calcgrade.core
import calcgrade.grader
import calcgrade.solutions
from calcgrade.grader import grade as grading
from calcgrade.grader.assignment import load_assignment
from calcgrade.grader.simulate import fill_answers, simulated_answers
from calcgrade.grader.variants import Variant

from .classes import EXAMPLE_ASSIGNMENT, SECRET, example_class, write

pytestmark = pytest.mark.slow

CLASS_SIZE = 16


@pytest.fixture(scope="module")
def submitted(tmp_path_factory):
    """A generated class of 16, every student handing in a filled-in notebook."""
    root = tmp_path_factory.mktemp("flat")
    course = example_class(root, CLASS_SIZE)
    subs = root / "subs"
    subs.mkdir()
    for index, (student, record) in enumerate(course["key"].items()):
        text = (root / "class" / "notebooks" / f"{student}.ipynb").read_text(encoding="utf-8")
        kind = "mistake" if index % 3 == 1 else "correct"
        write(subs / f"{student}.ipynb", fill_answers(text, simulated_answers(record, kind)))
    return course, subs


def _live_variants() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Variant))


def test_variants_alive_are_those_in_flight_only(submitted, tmp_path):
    course, subs = submitted
    problems = len(load_assignment(EXAMPLE_ASSIGNMENT).problems)
    workers = 1
    alive = []

    def progress(done: int, total: int) -> None:
        if done:
            alive.append(_live_variants())

    summary = grading.grade([str(subs)], str(EXAMPLE_ASSIGNMENT), str(course["roster"]),
                            str(tmp_path / "out"), SECRET, workers=workers, progress=progress)
    assert summary.graded == CLASS_SIZE
    assert len(alive) == CLASS_SIZE
    # in flight: the window, plus the student being marked and the one being drawn
    in_hand = (grading.WINDOW_PER_WORKER * workers + 2) * problems
    assert in_hand < CLASS_SIZE * problems, "the class is larger than what may be in hand"
    assert max(alive) <= in_hand, alive
    assert _live_variants() == 0, "nothing of the batch is kept once it returns"


def test_summary_holds_counts_and_reads_its_table_from_the_written_grades(submitted, tmp_path):
    course, subs = submitted
    summary = grading.grade([str(subs)], str(EXAMPLE_ASSIGNMENT), str(course["roster"]),
                            str(tmp_path / "out"), SECRET, workers=1)
    kept = {name: type(value).__name__ for name, value in vars(summary).items()}
    assert all(kind in ("int", "PosixPath", "WindowsPath") for kind in kept.values()), kept
    with open(tmp_path / "out" / "grades.csv", encoding="utf-8", newline="") as handle:
        written = list(csv.reader(handle))
    assert len(written) == CLASS_SIZE + 1
    assert list(summary.rows) == written
    totals = {row[0]: float(row[4]) for row in written[1:]}
    assert totals["s0000"] == 15.0 and totals["s0001"] < 15.0, "correct full marks, mistake less"


def _modules(package):
    yield package
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if ".sandbox" in info.name:  # the worker's modules: not in the grading process
            continue
        yield importlib.import_module(info.name)


@pytest.mark.parametrize("package", [calcgrade.core, calcgrade.solutions, calcgrade.grader],
                         ids=["core", "solutions", "grader"])
def test_every_cache_is_bounded(package):
    unbounded = []
    for module in _modules(package):
        for name, value in vars(module).items():
            info = getattr(value, "cache_parameters", None)
            if callable(info) and isinstance(value, functools._lru_cache_wrapper) \
                    and getattr(value, "__module__", module.__name__) == module.__name__ \
                    and info()["maxsize"] is None:
                unbounded.append(f"{module.__name__}.{name}")
    assert unbounded == []
