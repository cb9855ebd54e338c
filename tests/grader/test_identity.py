"""Whose a file is and which file counts: metadata never borrows a classmate's place."""

from __future__ import annotations

import json
import os

import pytest

from calcgrade.core.errors import UsageError
from calcgrade.grader.assignment import parse_assignment
from calcgrade.grader.identity import (BY_METADATA, LAST_PATH, NEWEST, choose_counted, choose_rule,
                                       identify)
from calcgrade.grader.secret import token_for
from calcgrade.grader.submissions import collect_inputs

from .classes import SECRET, SIGMOID_ASSIGNMENT

ROSTER = {"ann", "bob", "cy"}


@pytest.fixture
def assignment():
    return parse_assignment(SIGMOID_ASSIGNMENT, "quiz1.toml")


def notebook(assignment, student: str | None, token: str | None = None) -> bytes:
    meta = {} if student is None else {"calcgrade": {
        "assignment": assignment.id, "student": student,
        "token": token if token is not None else token_for(SECRET, assignment.id, student)}}
    return json.dumps({"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}).encode()


def claims_of(tmp_path, assignment, files: dict[str, bytes], forced=None, times: dict | None = None):
    root = tmp_path / "subs"
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if times and name in times:
            os.utime(path, (times[name], times[name]))
    spool = tmp_path / "spool"
    spool.mkdir(exist_ok=True)
    inputs = collect_inputs([str(root)], spool)
    claims = [identify(item, ROSTER, assignment, SECRET, forced) for item in inputs]
    return {os.path.relpath(c.input.label, root): c for c in claims}


def test_identification_by_name_folder_and_signed_metadata(tmp_path, assignment):
    claims = claims_of(tmp_path, assignment, {
        "ann_hw.ipynb": notebook(assignment, "ann"),
        "bob/answers.ipynb": notebook(assignment, "bob"),
        "Homework (1).ipynb": notebook(assignment, "cy"),
        "forged.ipynb": notebook(assignment, "cy", token="0" * 64),
        "cy.pdf": b"%PDF",
    })
    assert (claims["ann_hw.ipynb"].student, claims["ann_hw.ipynb"].how) == ("ann", "file name")
    assert (claims["bob/answers.ipynb"].student, claims["bob/answers.ipynb"].how) == ("bob", "folder name")
    assert (claims["Homework (1).ipynb"].student, claims["Homework (1).ipynb"].how) == ("cy", BY_METADATA)
    assert claims["forged.ipynb"].student is None and "no valid signed metadata" in claims["forged.ipynb"].reason
    assert (claims["cy.pdf"].student, claims["cy.pdf"].how) == ("cy", "file name")


def test_a_classmates_metadata_never_replaces_the_classmates_own_file(tmp_path, assignment):
    # bob copies ann's notebook (ann's signed metadata) and hands it in under a neutral name,
    # after ann handed in hers; however the rule is set, ann's own file counts
    for rule in (LAST_PATH, NEWEST):
        claims = claims_of(tmp_path / rule, assignment, {
            "ann.ipynb": notebook(assignment, "ann"),
            "zzz-latest.ipynb": notebook(assignment, "ann"),
        }, times={"ann.ipynb": 1_000_000, "zzz-latest.ipynb": 2_000_000})
        chosen = choose_counted(list(claims.values()), rule)
        assert chosen["ann"] is claims["ann.ipynb"] and claims["ann.ipynb"].counted
        assert not claims["zzz-latest.ipynb"].counted
        assert "metadata never replaces" in claims["zzz-latest.ipynb"].extra[0]
        assert "2 files for ann: this one counts" in claims["ann.ipynb"].extra[0]


def test_the_pick_rule_chooses_among_files_named_for_the_same_student(tmp_path, assignment):
    files = {"ann_v1.ipynb": notebook(assignment, "ann"), "ann/late.ipynb": notebook(assignment, "ann")}
    times = {"ann_v1.ipynb": 3_000_000, "ann/late.ipynb": 1_000_000}
    claims = claims_of(tmp_path / "a", assignment, files, times=times)
    assert choose_counted(list(claims.values()), LAST_PATH)["ann"] is claims["ann_v1.ipynb"]  # "ann_" > "ann/"
    claims = claims_of(tmp_path / "b", assignment, files, times=times)
    assert choose_counted(list(claims.values()), NEWEST)["ann"] is claims["ann_v1.ipynb"]
    times = {"ann_v1.ipynb": 1_000_000, "ann/late.ipynb": 3_000_000}
    claims = claims_of(tmp_path / "c", assignment, files, times=times)
    assert choose_counted(list(claims.values()), NEWEST)["ann"] is claims["ann/late.ipynb"]
    assert "the newest" in claims["ann/late.ipynb"].extra[0]
    assert "not counted: 2 files for ann" in claims["ann_v1.ipynb"].extra[0]


def test_an_explicit_pick_wins_and_bad_picks_are_usage_errors(tmp_path, assignment):
    files = {"ann_v1.ipynb": notebook(assignment, "ann"), "ann_v2.ipynb": notebook(assignment, "ann"),
             "stray.ipynb": notebook(assignment, None)}
    claims = claims_of(tmp_path, assignment, files)
    root = tmp_path / "subs"
    chosen = choose_counted(list(claims.values()), LAST_PATH, [str(root / "ann_v1.ipynb")])
    assert chosen["ann"] is claims["ann_v1.ipynb"] and "chosen with --pick" in claims["ann_v1.ipynb"].extra[0]
    with pytest.raises(UsageError, match="not one of the submissions"):
        choose_counted(list(claims_of(tmp_path / "x", assignment, files).values()), LAST_PATH,
                       [str(root / "nope.ipynb")])
    with pytest.raises(UsageError, match="no student is identified"):
        choose_counted(list(claims_of(tmp_path / "y", assignment, files).values()), LAST_PATH,
                       [str(tmp_path / "y" / "subs" / "stray.ipynb")])
    with pytest.raises(UsageError, match="already picked for ann"):
        root = tmp_path / "z" / "subs"
        choose_counted(list(claims_of(tmp_path / "z", assignment, files).values()), LAST_PATH,
                       [str(root / "ann_v1.ipynb"), str(root / "ann_v2.ipynb")])


def test_a_notebook_counts_over_a_pdf_of_the_same_strength(tmp_path, assignment):
    claims = claims_of(tmp_path, assignment, {"bob.ipynb": notebook(assignment, "bob"), "bob.zz.pdf": b"%PDF"})
    assert choose_counted(list(claims.values()), LAST_PATH)["bob"] is claims["bob.ipynb"]
    assert "a notebook" in claims["bob.ipynb"].extra[0]
    claims = claims_of(tmp_path / "only", assignment, {"bob.pdf": b"%PDF"})
    assert choose_counted(list(claims.values()), LAST_PATH)["bob"] is claims["bob.pdf"]


def test_the_student_option_names_every_file(tmp_path, assignment):
    claims = claims_of(tmp_path, assignment, {"whatever.ipynb": notebook(assignment, "ann")}, forced="bob")
    claim = claims["whatever.ipynb"]
    assert (claim.student, claim.how) == ("bob", "--student")
    assert "generated for 'ann' but submitted as 'bob'" in claim.flags[0]


def test_pick_values_split_into_a_rule_and_files():
    assert choose_rule([]) == (LAST_PATH, [])
    assert choose_rule(["newest", "a.ipynb", "last-path"]) == (LAST_PATH, ["a.ipynb"])


def test_the_parse_identification_made_is_kept_for_the_run(tmp_path, assignment):
    """A notebook read once: identification parses it, and the claim carries that parse (its
    cells as nbformat reads them) so that running it reads and parses nothing again; a file
    that is no notebook carries the reason instead."""
    import nbformat

    from calcgrade.grader.sandbox.submission import InvalidSubmission, Submission

    text = nbformat.writes(nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# Q"), nbformat.v4.new_code_cell("q1_z = 2")],
        metadata={"calcgrade": {"assignment": assignment.id, "student": "ann",
                                "token": token_for(SECRET, assignment.id, "ann")}}))
    claims = claims_of(tmp_path, assignment, {"sub.ipynb": text.encode(), "bob.ipynb": b"{oops"})
    claim, broken = claims["sub.ipynb"], claims["bob.ipynb"]
    assert (claim.student, claim.how) == ("ann", BY_METADATA)
    assert isinstance(claim.notebook, Submission)
    expected = nbformat.reads(text, as_version=4)
    assert claim.notebook.code_cells == tuple((i, c.source) for i, c in enumerate(expected.cells)
                                              if c.cell_type == "code")
    assert claim.notebook.text == text
    assert isinstance(broken.notebook, InvalidSubmission) and "not valid JSON" in broken.notebook.reason
    assert broken.student == "bob" and broken.flags == ["the notebook has no calcgrade metadata"]
