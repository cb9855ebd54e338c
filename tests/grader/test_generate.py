"""``generate``: notebooks, handouts, key and manifest; determinism, distinct variants, no leaks,
all-or-nothing output."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from itertools import combinations
from pathlib import Path

import nbformat
import pytest

from calcgrade.grader.generation import generate as gen
from calcgrade.grader.course import variants as vr
from calcgrade.grader.course.assignment import load_assignment, parse_assignment
from calcgrade.core.errors import UsageError
from calcgrade.grader.course.roster import Student
from calcgrade.grader.course.secret import verify_draws_token, verify_token

from .classes import (EXAMPLE_ASSIGNMENT, SECRET, SIGMOID_ASSIGNMENT, handout_text_content,
                      leaked_answers, notebook_text_content, roster_text, write)

CLASS_SIZE = 200


def all_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def example_class(tmp_path_factory):
    """The example assignment for 200 students (several processes, as for a real class)."""
    root = tmp_path_factory.mktemp("class200")
    roster = write(root / "roster.csv", roster_text(CLASS_SIZE))
    gen.generate(EXAMPLE_ASSIGNMENT, roster, root / "out", SECRET)
    return root / "out"


@pytest.fixture(scope="module")
def example_key(example_class):
    return json.loads((example_class / "key.json").read_text(encoding="utf-8"))


@pytest.fixture
def sigmoid(tmp_path):
    return parse_assignment(SIGMOID_ASSIGNMENT, "quiz.toml")


STUDENTS = [Student("ann01", "Ann Lee", "ann@x.edu"), Student("bob02", "Bob Ray"), Student("cy03")]


@pytest.mark.slow
def test_the_output_folder_holds_every_file(example_class):
    names = set(all_files(example_class))
    ids = [f"s{i:04d}" for i in range(CLASS_SIZE)]
    assert {f"notebooks/{i}.ipynb" for i in ids} | {f"handouts/{i}.html" for i in ids} | {
        "key.json", "key.csv", "manifest.json", "assignment.toml", "roster.csv"} == names


@pytest.mark.slow
def test_notebooks_are_valid_nbformat_v4_with_the_calcgrade_metadata(example_class):
    assignment = load_assignment(EXAMPLE_ASSIGNMENT)
    for student_id in ("s0000", "s0001", "s0199"):
        notebook = nbformat.read(example_class / "notebooks" / f"{student_id}.ipynb", as_version=4)
        nbformat.validate(notebook)
        assert notebook.nbformat == 4
        meta = notebook.metadata.calcgrade
        assert (meta.assignment, meta.student) == (assignment.id, student_id)
        assert verify_token(SECRET, assignment.id, student_id, meta.token)
        assert set(meta) == {"assignment", "student", "token", "draws"}
        assert set(meta.draws) == {"numbers", "params", "token"}
        assert [n is None for n in meta.draws.numbers] == [p.fixed for p in assignment.problems]
        assert verify_draws_token(SECRET, assignment.id, student_id, meta.draws.numbers,
                                  meta.draws.params, meta.draws.token)


@pytest.mark.slow
def test_notebook_cells_title_statements_answers_and_self_check(example_class, example_key):
    notebook = nbformat.read(example_class / "notebooks" / "s0003.ipynb", as_version=4)
    record = next(s for s in example_key["students"] if s["id"] == "s0003")
    cells = notebook.cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# Homework 3")
    assert "Student 3" in cells[0].source and "Due:" in cells[0].source
    assert cells[1].cell_type == "code" and "import numpy as np" in cells[1].source
    for problem in record["problems"]:
        n = problem["number"]
        statement = next(c for c in cells if c.id == f"p{n}-statement")
        answers = next(c for c in cells if c.id == f"p{n}-answers")
        assert statement.cell_type == "markdown" and f"## Problem {n}" in statement.source
        assert re.search(r"\$[^$]+\$", statement.source), "inline LaTeX"
        declared = re.findall(r"^(q\d+_\w+) = \.\.\.  # (.+)$", answers.source, re.M)
        assert sorted(name for name, _ in declared) == sorted(f"q{n}_{a}" for a in problem["answers"])
        for name, comment in declared:
            value = problem["answers"][name.split("_", 1)[1]]
            if isinstance(value, list) and value and isinstance(value[0], list):
                assert f"a list of {len(value)} " in comment and f"each a list of {len(value[0])}" in comment
            elif isinstance(value, list):
                assert comment == f"a list of {len(value)} number{'s' if len(value) != 1 else ''}"
    assert any("$$" in c.source for c in cells if c.cell_type == "markdown"), "display LaTeX"
    assert cells[-1].id == "selfcheck" and "calcgrade_self_check(globals()" in cells[-1].source


@pytest.mark.slow
def test_handouts_show_the_statements_as_mathml(example_class):
    text = (example_class / "handouts" / "s0005.html").read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<math" in text and 'display="block"' in text
    assert "Problem 6" in text and "q6_classification" in text
    body = handout_text_content(example_class / "handouts" / "s0005.html")
    assert "$" not in body and 'class="tex"' not in text, "every formula converted"
    assert "<script" not in text and "http" not in text.replace("http://www.w3.org/1998/Math/MathML", "")


@pytest.mark.slow
def test_every_sampled_slot_gives_200_students_pairwise_distinct_variants(example_key):
    assignment = load_assignment(EXAMPLE_ASSIGNMENT)
    students = example_key["students"]
    assert len(students) == CLASS_SIZE
    for index, problem in enumerate(assignment.problems):
        params = [json.dumps(s["problems"][index]["params"], sort_keys=True) for s in students]
        if problem.fixed:
            assert len(set(params)) == 1
        else:
            assert len(set(params)) == CLASS_SIZE, problem
            assert all(a != b for a, b in combinations(params[:30], 2))


@pytest.mark.slow
def test_no_notebook_or_handout_contains_its_students_answers(example_class, example_key):
    for record in example_key["students"]:
        notebook = notebook_text_content(example_class / "notebooks" / f"{record['id']}.ipynb")
        handout = handout_text_content(example_class / "handouts" / f"{record['id']}.html")
        assert leaked_answers(notebook, record) == [], record["id"]
        assert leaked_answers(handout, record) == [], record["id"]


@pytest.mark.slow
def test_the_leak_detector_finds_a_planted_answer(example_class, example_key):
    record = example_key["students"][0]
    notebook = notebook_text_content(example_class / "notebooks" / f"{record['id']}.ipynb")
    answers = record["problems"][2]["answers"]  # sigmoid_gradient: non-integer numbers
    planted = notebook.replace("q3_y_hat = ...", f"q3_y_hat = {answers['y_hat']!r}")
    assert any("q3_y_hat" in leak for leak in leaked_answers(planted, record))
    rounded = notebook + f"\nthe loss is about {answers['loss']:.4g}"
    assert any("q3_loss" in leak for leak in leaked_answers(rounded, record))
    hessian = record["problems"][5]["answers"]["classification"]
    labelled = notebook.replace("q6_classification = ...", f'q6_classification = "{hessian}"')
    assert any("q6_classification" in leak for leak in leaked_answers(labelled, record))


@pytest.mark.slow
def test_the_key_lists_params_and_answers_per_student_and_problem(example_class, example_key):
    assignment = load_assignment(EXAMPLE_ASSIGNMENT)
    record = example_key["students"][7]
    assert record["id"] == "s0007" and record["name"] == "Student 7"
    for problem, slot in zip(record["problems"], assignment.problems):
        family = slot.family_object()
        assert problem["family"] == slot.family and problem["points"] == slot.points
        assert problem["answers"] == json.loads(json.dumps(family.solve(problem["params"])))
    with open(example_class / "key.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == sum(len(p["answers"]) for s in example_key["students"] for p in s["problems"])
    assert rows[0]["student"] == "s0000" and rows[0]["variable"] == "q1_derivative"


@pytest.mark.slow
def test_the_manifest_hashes_every_file(example_class):
    manifest = json.loads((example_class / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["assignment"]["id"] == load_assignment(EXAMPLE_ASSIGNMENT).id
    files = all_files(example_class)
    del files["manifest.json"]
    assert manifest["files"] == {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}


@pytest.mark.slow
def test_generating_twice_gives_byte_identical_files(tmp_path):
    roster = write(tmp_path / "roster.csv", roster_text(12))
    gen.generate(EXAMPLE_ASSIGNMENT, roster, tmp_path / "first", SECRET, jobs=1)
    gen.generate(EXAMPLE_ASSIGNMENT, roster, tmp_path / "second", SECRET, jobs=1)
    gen.generate(EXAMPLE_ASSIGNMENT, roster, tmp_path / "parallel", SECRET, jobs=2)
    first = all_files(tmp_path / "first")
    assert first == all_files(tmp_path / "second") == all_files(tmp_path / "parallel")


def test_another_secret_gives_other_variants(tmp_path, sigmoid):
    gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "a")
    gen.generate_class(sigmoid, STUDENTS, bytes(32), tmp_path / "b")
    key_a = json.loads((tmp_path / "a" / "key.json").read_text())
    key_b = json.loads((tmp_path / "b" / "key.json").read_text())
    assert [s["problems"][0]["params"] for s in key_a["students"]] != \
        [s["problems"][0]["params"] for s in key_b["students"]]
    assert [s["problems"][1]["params"] for s in key_a["students"]] == \
        [s["problems"][1]["params"] for s in key_b["students"]] == [{"z": 0.5}] * 3


def test_a_failure_leaves_no_partial_output(tmp_path, sigmoid, monkeypatch):
    real = gen.student_files
    calls = []

    def failing(assignment, student, variants, secret):
        calls.append(student.id)
        if len(calls) == 3:
            raise RuntimeError("disk on fire")
        return real(assignment, student, variants, secret)

    monkeypatch.setattr(gen, "student_files", failing)
    with pytest.raises(RuntimeError):
        gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "out", jobs=1)
    assert os.listdir(tmp_path) == []
    calls.clear()
    with pytest.raises(RuntimeError):
        gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "new" / "deeper" / "out", jobs=1)
    assert os.listdir(tmp_path) == [], "not even the parent folders it created"


def test_a_failure_keeps_the_previous_output_intact(tmp_path, sigmoid, monkeypatch):
    gen.generate_class(sigmoid, STUDENTS[:1], SECRET, tmp_path / "out")
    before = all_files(tmp_path / "out")
    monkeypatch.setattr(gen, "student_files", lambda *args: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "out", jobs=1)
    assert all_files(tmp_path / "out") == before
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_the_same_assignment_is_replaced_whole(tmp_path, sigmoid):
    gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "out")
    gen.generate_class(sigmoid, STUDENTS[:1], SECRET, tmp_path / "out")
    assert sorted(os.listdir(tmp_path / "out" / "notebooks")) == ["ann01.ipynb"]
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_an_output_folder_of_something_else_is_refused(tmp_path, sigmoid):
    other = parse_assignment(SIGMOID_ASSIGNMENT.replace('id = "quiz1"', 'id = "quiz2"'), "q2.toml")
    gen.generate_class(other, STUDENTS, SECRET, tmp_path / "out")
    with pytest.raises(UsageError, match="already holds assignment 'quiz2'"):
        gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "out")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(UsageError, match="not empty"):
        gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "mine")
    assert os.listdir(tmp_path / "mine") == ["thesis.tex"]
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "file")
    (tmp_path / "empty").mkdir()
    gen.generate_class(sigmoid, STUDENTS, SECRET, tmp_path / "empty")
    assert (tmp_path / "empty" / "manifest.json").exists()


def test_colliding_draws_are_redrawn_and_recorded(monkeypatch, sigmoid):
    real = vr.draw_params

    def few(assignment, problem, secret, student_id, draw=0, record=None):
        params = real(assignment, problem, secret, student_id, draw)
        return {"z": 0.5 + (hash((student_id, draw)) % 3)} if not problem.fixed else params

    monkeypatch.setattr(vr, "draw_params", few)
    shared: dict = {}
    variants = vr.class_variants(sigmoid, SECRET, [s.id for s in STUDENTS], shared)
    drawn = [variants[s.id][0].params["z"] for s in STUDENTS]
    assert len(set(drawn)) == 3 and shared == {}
    assert variants["ann01"][0].draw == 0
    more = vr.class_variants(sigmoid, SECRET, [s.id for s in STUDENTS] + ["dee04", "eve05"], shared)
    assert [more[s.id][0] for s in STUDENTS] == [variants[s.id][0] for s in STUDENTS]
    assert shared == {1: ["dee04", "eve05"]}, "only 3 variants exist: the rest must share"


def test_students_added_at_the_end_keep_everyone_elses_variants(sigmoid):
    ids = [f"s{i}" for i in range(30)]
    before = vr.class_variants(sigmoid, SECRET, ids)
    after = vr.class_variants(sigmoid, SECRET, ids + ["late1", "late2"])
    assert all(before[i] == after[i] for i in ids)
    assert vr.student_variants(sigmoid, SECRET, "s7", ids) == before["s7"]
