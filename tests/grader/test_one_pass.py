"""One pass: a variant's answers are computed once per process, in generation and in
grading, and grading one notebook with the key draws that student only.

Every family's ``solve`` and ``diagnose`` are wrapped (the real ones still run) to count
calls per params; the sandbox is the real one.
"""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

from calcgrade.grader.course import variants as vr
from calcgrade.grader.course.assignment import load_assignment
from calcgrade.grader.generation.generate import generate_class
from calcgrade.grader.grading.grade import grade
from calcgrade.grader.course.jsonio import plain
from calcgrade.grader.course.roster import Student
from calcgrade.grader.simulate import fill_answers, simulated_answers
from calcgrade.problems import get_family

from .classes import EXAMPLE_ASSIGNMENT, SECRET, roster_text, write

CLASS_SIZE = 30
SUBMITTED = {"s0003": "correct", "s0011": "mistake", "s0012": "slip", "s0020": "correct"}


def _canonical(params) -> str:
    return json.dumps(plain(params), sort_keys=True)


@pytest.fixture
def counted(monkeypatch):
    """(family, params) -> number of solve / diagnose calls, for every family the example
    assignment uses."""
    calls = {"solve": Counter(), "diagnose": Counter()}
    example = load_assignment(EXAMPLE_ASSIGNMENT)
    for name in {p.family for p in example.problems}:
        family = get_family(name)
        for method in ("solve", "diagnose"):
            real = getattr(family, method)

            def wrapper(params, real=real, method=method, name=name):
                calls[method][(name, _canonical(params))] += 1
                return real(params)
            monkeypatch.setattr(family, method, wrapper)
    return calls


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A generated class of 30 and four filled-in submissions (one with a mistake)."""
    root = tmp_path_factory.mktemp("course")
    example = load_assignment(EXAMPLE_ASSIGNMENT)
    generate_class(example, [Student(f"s{i:04d}") for i in range(CLASS_SIZE)], SECRET,
                   root / "class", jobs=1)
    key = json.loads((root / "class" / "key.json").read_text(encoding="utf-8"))
    subs = root / "subs"
    subs.mkdir()
    for record in key["students"]:
        if record["id"] in SUBMITTED:
            text = (root / "class" / "notebooks" / f"{record['id']}.ipynb").read_text(encoding="utf-8")
            answers = simulated_answers(record, SUBMITTED[record["id"]])
            write(subs / f"{record['id']}.ipynb", fill_answers(text, answers))
    roster = write(root / "roster.csv", roster_text(CLASS_SIZE))
    return root, key, subs, roster


def _variant_keys(key: dict, students) -> list[tuple[str, str]]:
    return [(p["family"], _canonical(p["params"])) for s in key["students"] if s["id"] in students
            for p in s["problems"]]


def test_generation_solves_each_variant_once(counted, tmp_path):
    example = load_assignment(EXAMPLE_ASSIGNMENT)
    generate_class(example, [Student(f"s{i:04d}") for i in range(8)], SECRET, tmp_path / "out",
                   jobs=1)
    key = json.loads((tmp_path / "out" / "key.json").read_text(encoding="utf-8"))
    variants = _variant_keys(key, {s["id"] for s in key["students"]})
    assert len(set(variants)) == len(variants) - 7, "one fixed problem, shared by 8 students"
    for variant in variants:
        assert counted["solve"][variant] == 1, variant
    assert max(counted["solve"].values()) == 1
    assert max(counted["diagnose"].values()) == 1


@pytest.mark.slow  # starts the sandbox or other processes
@pytest.mark.parametrize("with_key", [False, True], ids=["roster walk", "key"])
def test_grading_solves_each_variant_once_and_marks_as_the_key_says(counted, course, tmp_path,
                                                                    with_key):
    root, key, subs, roster = course
    summary = grade([str(subs)], str(EXAMPLE_ASSIGNMENT), str(roster), str(tmp_path / "out"),
                    SECRET, key=str(root / "class" / "key.json") if with_key else None)
    assert (summary.graded, summary.failed) == (len(SUBMITTED), 0)
    for variant in _variant_keys(key, SUBMITTED):
        assert counted["solve"][variant] == 1, variant
    assert max(counted["solve"].values()) == 1
    assert max(counted["diagnose"].values(), default=0) == 1
    with open(tmp_path / "out" / "grades.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert list(summary.rows) == rows, "the summary is the grades.csv just written"
    totals = {row[0]: row[4] for row in rows[1:]}
    assert totals["s0003"] == totals["s0020"] == "15", "a correct notebook earns all 15 points"
    assert float(totals["s0011"]) < 15 and totals["s0000"] == "0"


def test_one_notebook_with_the_key_draws_only_its_student(course, tmp_path, monkeypatch):
    root, _, subs, roster = course
    drawn = []
    real = vr.draw_params

    def counting(assignment, problem, secret, student_id, draw=0, record=None):
        drawn.append(student_id)
        return real(assignment, problem, secret, student_id, draw, record)

    monkeypatch.setattr(vr, "draw_params", counting)
    summary = grade([str(subs / "s0020.ipynb")], str(EXAMPLE_ASSIGNMENT), str(roster),
                    str(tmp_path / "one"), SECRET, key=str(root / "class" / "key.json"))
    assert summary.graded == 1
    assert set(drawn) == {"s0020"}
    drawn.clear()
    grade([str(subs / "s0020.ipynb")], str(EXAMPLE_ASSIGNMENT), str(roster),
          str(tmp_path / "signed"), SECRET)
    assert set(drawn) == {"s0020"}, "without the key: the notebook's signed draws"
    drawn.clear()
    older = json.loads((subs / "s0020.ipynb").read_text(encoding="utf-8"))
    del older["metadata"]["calcgrade"]["draws"]
    (tmp_path / "older").mkdir()
    write(tmp_path / "older" / "s0020.ipynb", json.dumps(older))
    grade([str(tmp_path / "older" / "s0020.ipynb")], str(EXAMPLE_ASSIGNMENT), str(roster),
          str(tmp_path / "walked"), SECRET)
    assert set(drawn) == {f"s{i:04d}" for i in range(21)}, "an older notebook: the roster walk"
