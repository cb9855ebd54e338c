"""Variants: the redraw rule, draw numbers from the key, and one student's cost.

The example assignment under ``SECRET`` gives student ``s0092`` a re-drawn Newton problem
(an earlier student drew the same one), so a class of 96 students exercises the rule
for real; the oracle for every variant is the ``key.json`` that ``generate`` wrote.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings, strategies as st

from calcgrade.core.errors import UsageError
from calcgrade.grader.course import variants as vr
from calcgrade.grader.course.assignment import load_assignment, parse_assignment
from calcgrade.grader.cli import main
from calcgrade.grader.generation.generate import generate_class
from calcgrade.grader.course.jsonio import plain
from calcgrade.grader.course.roster import Student

from .classes import EXAMPLE_ASSIGNMENT, SECRET, SECRET_HEX, roster_text, write

CLASS_SIZE = 96
REDRAWN = "s0092"


@pytest.fixture(scope="module")
def example():
    return load_assignment(EXAMPLE_ASSIGNMENT)


@pytest.fixture(scope="module")
def generated(example, tmp_path_factory):
    """A generated class of 96 students: (folder, ids, the key as written)."""
    folder = tmp_path_factory.mktemp("class")
    ids = [f"s{i:04d}" for i in range(CLASS_SIZE)]
    generate_class(example, [Student(i) for i in ids], SECRET, folder / "out", jobs=1)
    key = json.loads((folder / "out" / "key.json").read_text(encoding="utf-8"))
    return folder / "out", ids, key


def _key_params(key: dict, student: str) -> list[dict]:
    record = next(s for s in key["students"] if s["id"] == student)
    return [p["params"] for p in record["problems"]]


def test_the_class_has_a_redrawn_variant_recorded_in_the_key(generated):
    _, _, key = generated
    draws = {s["id"]: [p["draw"] for p in s["problems"]] for s in key["students"]}
    assert any(d for d in draws[REDRAWN] if d), "the fixture must exercise the redraw rule"
    assert [d for d in draws["s0000"] if d is not None] == [0] * 5


def test_key_draws_give_every_student_their_generated_variants(example, generated):
    folder, ids, key = generated
    draws = vr.key_draws(folder / "key.json", example)
    for student in ids:
        made = draws.variants(SECRET, student)
        assert [plain(v.params) for v in made] == _key_params(key, student)
        assert [v.draw for v in made] == [p["draw"] for p in
                                          next(s for s in key["students"] if s["id"] == student)["problems"]]


def test_one_student_from_the_key_draws_that_student_only(example, generated, monkeypatch):
    folder, _, key = generated
    draws = vr.key_draws(folder / "key.json", example)
    drawn = []
    real = vr.draw_params

    def counting(assignment, problem, secret, student_id, draw=0, record=None):
        drawn.append((student_id, problem.number, draw))
        return real(assignment, problem, secret, student_id, draw, record)

    monkeypatch.setattr(vr, "draw_params", counting)
    made = draws.variants(SECRET, REDRAWN)
    sampled = [p.number for p in example.problems if not p.fixed]
    assert sorted(n for _, n, _ in drawn) == sampled
    assert {s for s, _, _ in drawn} == {REDRAWN}
    assert [plain(v.params) for v in made] == _key_params(key, REDRAWN)
    drawn.clear()
    walked = vr.student_variants(example, SECRET, REDRAWN, [s["id"] for s in key["students"]])
    assert walked == made
    assert len({s for s, _, _ in drawn}) == CLASS_SIZE - 3, "the walk draws every earlier student"


def test_a_key_of_another_secret_or_assignment_is_refused(example, generated, tmp_path):
    folder, _, key = generated
    draws = vr.key_draws(folder / "key.json", example)
    with pytest.raises(UsageError, match="does not match"):
        draws.variants(bytes(32), "s0001")
    other = json.loads(json.dumps(key))
    other["assignment"]["id"] = "hw9"
    with pytest.raises(UsageError, match="assignment 'hw9'"):
        vr.key_draws(write(tmp_path / "key.json", json.dumps(other)), example)
    with pytest.raises(UsageError, match="not a key.json"):
        vr.key_draws(write(tmp_path / "bad.json", "[1, 2]"), example)
    with pytest.raises(UsageError, match="no such file"):
        vr.key_draws(tmp_path / "missing.json", example)


def test_preview_from_the_key_prints_what_the_roster_walk_prints(generated, tmp_path, capsys,
                                                                  monkeypatch):
    folder, ids, _ = generated
    monkeypatch.setenv("CALCGRADE_SECRET", SECRET_HEX)
    roster = write(tmp_path / "roster.csv", roster_text(CLASS_SIZE))
    assert main(["preview", str(EXAMPLE_ASSIGNMENT), "--student", REDRAWN,
                 "--roster", str(roster)]) == 0
    walked = capsys.readouterr().out
    assert main(["preview", str(EXAMPLE_ASSIGNMENT), "--student", REDRAWN,
                 "--key", str(folder / "key.json"), "--roster", str(roster)]) == 0
    assert capsys.readouterr().out == walked
    notebook = json.loads((folder / "notebooks" / f"{REDRAWN}.ipynb").read_text(encoding="utf-8"))
    statements = [c for c in notebook["cells"] if c["metadata"].get("calcgrade", {}).get("role")
                  == "statement"]
    newton = "".join(statements[4]["source"])
    assert newton.split("\n")[-2].strip() in walked, "the re-drawn statement, as in the notebook"
    assert main(["preview", str(EXAMPLE_ASSIGNMENT), "--student", "zed",
                 "--key", str(folder / "key.json")]) == 2


FEW = parse_assignment('id = "few"\ntitle = "t"\n[[problems]]\nfamily = "newton"\n'
                       'options = { goal = "minimize", dims = 1, steps = 2 }\n'
                       '[[problems]]\nfamily = "sigmoid_gradient"\nparams = { z = 0.5 }\n',
                       "few.toml")
POOL = [f"p{i}" for i in range(150)]


def test_the_small_family_collides_in_a_class_of_150():
    walked = vr.class_variants(FEW, SECRET, POOL)
    assert [s for s in POOL if walked[s][0].draw] == ["p31", "p101", "p108"]
    assert len({vr._key(walked[s][0].params) for s in POOL}) == len(POOL)


@settings(max_examples=8, deadline=None)
@given(st.permutations(POOL), st.integers(min_value=1, max_value=len(POOL)))
def test_draw_numbers_alone_give_the_walks_variants_for_any_roster(order, size):
    ids = order[:size]
    walked = vr.class_variants(FEW, SECRET, ids)
    for student in ids:
        direct = vr.student_variants(FEW, SECRET, student, draws=[v.draw for v in walked[student]])
        assert direct == walked[student]
    assert len({vr._key(walked[s][0].params) for s in ids}) == len(ids), "no two share a variant"
    fixed = [variants[1] for variants in walked.values()]
    assert all(v is fixed[0] for v in fixed), "a fixed problem is one variant for the class"


def test_a_variant_solves_once_and_keeps_what_sampling_solved(example, monkeypatch):
    problem = example.problems[0]
    family = problem.family_object()
    solved = []
    real = family.solve

    def counting(params):
        solved.append(json.dumps(plain(params), sort_keys=True))
        return real(params)

    monkeypatch.setattr(family, "solve", counting)
    variant = vr.student_variants(example, SECRET, "s0001")[0]
    assert solved.count(json.dumps(plain(variant.params), sort_keys=True)) == 1
    before = len(solved)
    assert variant.answers is variant.answers
    assert variant.answers == real(variant.params)
    assert len(solved) == before
    plain_variant = vr.Variant(problem, variant.params, 0)
    plain_variant.answers
    plain_variant.answers
    assert len(solved) == before + 1
