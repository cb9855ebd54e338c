"""Signed draw numbers: a notebook carries its student's draws, so grading it draws that
student only, whatever the roster's size; edited draws count for nothing.

The oracle for every variant is the roster walk (:func:`calcgrade.grader.course.variants.class_variants`),
the rule generation applies; draws are counted by wrapping ``draw_params`` (the real one
still runs). The sandbox is the real one.
"""

from __future__ import annotations

import csv
import json

import pytest

from calcgrade.grader.course import variants as vr
from calcgrade.grader.course.assignment import load_assignment
from calcgrade.grader.generation.generate import generate_class, student_files
from calcgrade.grader.grading.grade import DRAWS_STALE, grade
from calcgrade.grader.grading.identity import DRAWS_BAD
from calcgrade.grader.course.roster import Student
from calcgrade.grader.simulate import fill_answers, simulated_answers

from .classes import SECRET, write

FEW_TOML = ('id = "few"\ntitle = "t"\n[[problems]]\nfamily = "newton"\n'
            'options = { goal = "minimize", dims = 1, steps = 2 }\n'
            '[[problems]]\nfamily = "sigmoid_gradient"\nparams = { z = 0.5 }\n')
# 1,000 students of an assignment with few variants: many re-draws, the last student's too
ROSTER = [f"p{i}" for i in range(150)] + [f"r{i:04d}" for i in range(850)]
LAST = ROSTER[-1]


def _roster_csv(path, ids) -> str:
    return str(write(path, "id,name\n" + "".join(f"{i},Student {i}\n" for i in ids)))


def _grades(out) -> dict[str, dict]:
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def _submissions(out) -> list[dict]:
    with open(out / "submissions.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def drawn(monkeypatch):
    """Every (student, problem number, draw number) sampled in this process."""
    calls = []
    real = vr.draw_params

    def counting(assignment, problem, secret, student_id, draw=0, record=None):
        calls.append((student_id, problem.number, draw))
        return real(assignment, problem, secret, student_id, draw, record)

    monkeypatch.setattr(vr, "draw_params", counting)
    return calls


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """The last student of a 1,000-student roster: their walked variants and their
    notebook as generation writes it, answered correctly."""
    root = tmp_path_factory.mktemp("big")
    assignment_path = write(root / "few.toml", FEW_TOML)
    assignment = load_assignment(assignment_path)
    walked = dict(vr.iter_class_variants(assignment, SECRET, ROSTER))[LAST]
    assert walked[0].draw > 0, "the fixture must exercise the redraw rule"
    notebook, _, record = student_files(assignment, Student(LAST), walked, SECRET)
    answered = fill_answers(notebook, simulated_answers(json.loads(json.dumps(record)), "correct"))
    return {"root": root, "assignment": str(assignment_path), "walked": walked,
            "roster": _roster_csv(root / "roster.csv", ROSTER), "notebook": answered,
            "total": sum(p["points"] for p in record["problems"])}


@pytest.mark.slow  # walks a roster of a thousand (and grades in the sandbox)
def test_the_notebook_carries_its_draws_signed_for_its_student(big):
    meta = json.loads(big["notebook"])["metadata"]["calcgrade"]
    signed = meta["draws"]
    assert signed["numbers"] == [v.draw for v in big["walked"]]
    assignment = load_assignment(big["assignment"])
    verified = vr.verified_draws(SECRET, assignment, LAST, signed)
    assert vr.variants_from_signed(assignment, SECRET, LAST, verified) == big["walked"]
    assert vr.verified_draws(SECRET, assignment, "p0", signed) is False, "another student's"
    assert vr.verified_draws(bytes(b ^ 0xFF for b in SECRET), assignment, LAST, signed) is False, "another secret"
    for edited in ({**signed, "numbers": [0, None]}, {**signed, "params": "0" * 32},
                   {**signed, "numbers": [True, None]}, "x", {}):
        assert vr.verified_draws(SECRET, assignment, LAST, edited) is False
    assert vr.verified_draws(SECRET, assignment, LAST, None) is None, "an older notebook"


@pytest.mark.slow  # walks a roster of a thousand (and grades in the sandbox)
def test_grading_one_notebook_of_a_thousand_draws_no_other_student(big, drawn, tmp_path):
    path = write(tmp_path / f"{LAST}.ipynb", big["notebook"])
    summary = grade([str(path)], big["assignment"], big["roster"], str(tmp_path / "out"), SECRET,
                    workers=1)
    assert summary.graded == 1
    assert {student for student, _, _ in drawn} == {LAST}
    assert sorted((n, d) for _, n, d in drawn) == [(1, big["walked"][0].draw)]
    row = _grades(tmp_path / "out")[LAST]
    assert float(row["total"]) == pytest.approx(float(big["total"]))


@pytest.mark.slow  # starts the sandbox or other processes
def test_a_tampered_draw_number_falls_back_to_the_walk_and_is_flagged(big, drawn, tmp_path):
    notebook = json.loads(big["notebook"])
    notebook["metadata"]["calcgrade"]["draws"]["numbers"][0] = 0  # the first draw, not the re-draw
    path = write(tmp_path / f"{LAST}.ipynb", json.dumps(notebook))
    summary = grade([str(path)], big["assignment"], big["roster"], str(tmp_path / "out"), SECRET,
                    workers=1)
    assert summary.graded == 1
    assert len({student for student, _, _ in drawn}) == len(ROSTER), "the roster was walked"
    row = _grades(tmp_path / "out")[LAST]
    assert float(row["total"]) == pytest.approx(float(big["total"])), "graded as the walk's variant"
    (submission,) = _submissions(tmp_path / "out")
    assert DRAWS_BAD in submission["flags"]


@pytest.mark.slow  # starts the sandbox or other processes
def test_a_notebook_graded_as_another_student_uses_the_walk(big, drawn, tmp_path):
    path = write(tmp_path / "mine.ipynb", big["notebook"])
    other = ROSTER[-2]
    summary = grade([str(path)], big["assignment"], big["roster"], str(tmp_path / "out"), SECRET,
                    workers=1, student=other)
    assert summary.graded == 1
    assert {student for student, _, _ in drawn} == set(ROSTER[:-1]), "walked up to that student"


def test_stale_draws_fall_back_to_the_walk(tmp_path, drawn):
    """Draws signed for a version of the assignment whose options changed since."""
    old = load_assignment(write(tmp_path / "old.toml", FEW_TOML))
    new_path = write(tmp_path / "new.toml", FEW_TOML.replace("steps = 2", "steps = 3"))
    new = load_assignment(new_path)
    ids = ROSTER[:40]
    variants = dict(vr.iter_class_variants(old, SECRET, ids))[ids[-1]]
    verified = vr.verified_draws(SECRET, new, ids[-1], vr.signed_draws(SECRET, old, ids[-1], variants))
    assert verified, "same secret, same student: the token verifies"
    assert vr.variants_from_signed(new, SECRET, ids[-1], verified) is None
    assert "assignment file changed" in DRAWS_STALE


SUBMITTED = {"p31": "correct", "p101": "mistake", "p108": "correct", "p5": "mistake",
             "p60": "correct", "p109": "correct"}


@pytest.mark.slow  # starts the sandbox or other processes
def test_grades_with_signed_draws_equal_the_walks_grades(tmp_path, drawn):
    """A simulated class graded twice: the notebooks as generated, and the same notebooks
    without their draws (as older notebooks, graded by walking the roster)."""
    assignment_path = write(tmp_path / "few.toml", FEW_TOML)
    assignment = load_assignment(assignment_path)
    ids = ROSTER[:110]
    generate_class(assignment, [Student(i) for i in ids], SECRET, tmp_path / "class", jobs=1)
    key = {s["id"]: s for s in json.loads((tmp_path / "class" / "key.json").read_text())["students"]}
    roster = _roster_csv(tmp_path / "roster.csv", ids)
    signed_dir, bare_dir = tmp_path / "signed", tmp_path / "bare"
    signed_dir.mkdir()
    bare_dir.mkdir()
    for student, kind in SUBMITTED.items():
        text = (tmp_path / "class" / "notebooks" / f"{student}.ipynb").read_text()
        answered = fill_answers(text, simulated_answers(key[student], kind))
        write(signed_dir / f"{student}.ipynb", answered)
        bare = json.loads(answered)
        del bare["metadata"]["calcgrade"]["draws"]
        write(bare_dir / f"{student}.ipynb", json.dumps(bare))
    drawn.clear()
    grade([str(signed_dir)], str(assignment_path), roster, str(tmp_path / "out-signed"), SECRET,
          workers=1)
    assert {student for student, _, _ in drawn} == set(SUBMITTED)
    grade([str(bare_dir)], str(assignment_path), roster, str(tmp_path / "out-bare"), SECRET,
          workers=1)
    signed, bare = _grades(tmp_path / "out-signed"), _grades(tmp_path / "out-bare")
    assert {s: signed[s]["total"] for s in SUBMITTED} == {s: bare[s]["total"] for s in SUBMITTED}
    assert any(float(signed[s]["total"]) < float(signed["p31"]["total"]) for s in SUBMITTED), \
        "the mistakes cost points"
    assert {draw for student, _, draw in drawn if student in ("p31", "p101", "p108")} != {0}
