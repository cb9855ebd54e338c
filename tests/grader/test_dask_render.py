"""What generation sends to a Dask worker: only what the student's notebook carries.

The requests are made and rendered here, in this process (no cluster): the worker's task
is a plain function of them. Generation through a real cluster is in
tests/integration/test_dask.py."""

from __future__ import annotations

import json
import pickle

import pytest

from calcgrade.grader.course.assignment import load_assignment
from calcgrade.grader.course.roster import Student
from calcgrade.grader.course.variants import class_variants
from calcgrade.grader.generation.dask_render import _mismatch, batches, render_batch, render_versions
from calcgrade.grader.generation.generate import render_request, render_student, student_files

from .classes import EXAMPLE_ASSIGNMENT, SECRET, leaked_answers

STUDENTS = [Student(f"s{i:02d}", f"Student {i}", f"s{i}@example.edu") for i in range(6)]


@pytest.fixture(scope="module")
def made():
    """Per student: (request, key record, notebook text, handout) made the local way."""
    assignment = load_assignment(EXAMPLE_ASSIGNMENT)
    variants = class_variants(assignment, SECRET, [s.id for s in STUDENTS])
    out = []
    for student in STUDENTS:
        request, record = render_request(assignment, student, variants[student.id], SECRET)
        notebook, handout, key = student_files(assignment, student, variants[student.id], SECRET)
        assert key == record
        out.append((request, record, notebook, handout))
    return assignment, out


def test_a_request_renders_the_bytes_of_a_local_run(made):
    assignment, students = made
    reply = render_batch(assignment, [request for request, *_ in students])
    assert reply["files"] == [[notebook, handout] for _, _, notebook, handout in students]
    assert reply["versions"] == render_versions()


def test_a_request_is_plain_data_without_the_secret(made):
    assignment, students = made
    for request, *_ in students:
        assert json.loads(json.dumps(request)) == request  # plain JSON data, nothing else
        sent = pickle.dumps((assignment, request))
        assert SECRET not in sent and SECRET.hex().encode() not in sent
        assert "@example.edu" not in json.dumps(request)  # the roster's e-mail stays here


def test_a_request_carries_no_reference_answer(made):
    _, students = made
    for request, record, notebook, _ in students:
        assert leaked_answers(json.dumps(request, ensure_ascii=False), record) == [], record["id"]
        assert record["problems"] and all(p["answers"] for p in record["problems"])


def test_everything_in_a_request_is_in_the_students_notebook(made):
    _, students = made
    for request, _, notebook_text, _ in students:
        notebook = json.loads(notebook_text)
        metadata = notebook["metadata"]["calcgrade"]
        assert request["token"] == metadata["token"] and request["draws"] == metadata["draws"]
        assert request["student"]["id"] == metadata["student"]
        cells = {cell["id"]: cell for cell in notebook["cells"]}
        for number, item in enumerate(request["problems"], start=1):
            statement = "".join(cells[f"p{number}-statement"]["source"])
            assert item["statement"].strip() in statement
            answers = cells[f"p{number}-answers"]
            assert [entry["expected"] for entry in item["entries"]] == \
                answers["metadata"]["calcgrade"]["expected"]
            source = "".join(answers["source"])
            assert all(f"{entry['variable']} = ...  # {entry['comment']}" in source
                       for entry in item["entries"])


def test_render_student_needs_every_problem(made):
    assignment, students = made
    request = dict(students[0][0], problems=students[0][0]["problems"][:-1])
    with pytest.raises(ValueError):
        render_student(assignment, request)


def test_a_version_mismatch_names_the_worker_and_the_package():
    theirs = dict(render_versions(), latex2mathml="0.0.1")
    message = _mismatch(theirs, "tcp://10.0.0.7:40000")
    assert "tcp://10.0.0.7:40000" in message and "latex2mathml 0.0.1 there" in message
    assert "calcgrade" not in message.split("(")[1].split(")")[0]  # only what differs


def test_batches_keep_order_and_cover_everything():
    assert batches(iter(range(7)), 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches(iter([]), 3) == []
