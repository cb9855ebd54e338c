"""Copy detection on classes built by hand: who copied whom is known by construction.

Each student's references are drawn at random; a copier's answers are a classmate's
references (as the gradebook shows them, rounded to 6 significant digits), the others
answer right or make their own mistakes. The detector must name exactly the copiers,
with the classmate they copied from and the parts that fit.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.grader.grading import copies
from calcgrade.grader.grading.copies import (MAX_SHARED, CopyFlag, detect_copies, found_value,
                                             reference_value)
from calcgrade.grader.grading.marking import show_value

PARTS = (("1", "value"), ("1", "point"), ("2", "grad"), ("3", "loss"))


def _reference(rng, answer: str):
    if answer in ("point", "grad"):
        return [float(v) for v in rng.normal(0, 3, size=2)]
    return float(rng.uniform(-50, 50))


def _class(seed: int, students: int, copiers: dict[int, tuple[int, tuple[int, ...]]]):
    """A class: references per student; copiers[i] = (classmate, indexes of parts copied).
    Students who do not copy answer right, except every third, who gets everything wrong
    on their own (a value far from every reference)."""
    rng = np.random.default_rng(seed)
    refs = [[_reference(rng, answer) for _, answer in PARTS] for _ in range(students)]
    rows = []
    for i in range(students):
        parts = []
        for j, (problem, answer) in enumerate(PARTS):
            ref = refs[i][j]
            if i in copiers and j in copiers[i][1]:
                given_, status = refs[copiers[i][0]][j], "wrong"
            elif i % 3 == 2:
                given_ = [1e6 + k for k in range(2)] if isinstance(ref, list) else 1e6 + j
                status = "wrong"
            else:
                given_, status = ref, "correct"
            parts.append((problem, answer, status, show_value(given_),
                          json.dumps(ref, separators=(",", ":"))))
        rows.append((f"s{i:04d}", parts))
    return rows


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), students=st.integers(4, 40), data=st.data())
def test_copiers_are_named_with_their_classmate(seed, students, data):
    copier = data.draw(st.integers(0, students - 1))
    source = data.draw(st.integers(0, students - 1).filter(lambda s: s != copier))
    copied = tuple(sorted(data.draw(st.sets(st.integers(0, len(PARTS) - 1), min_size=0,
                                            max_size=len(PARTS)))))
    flags = detect_copies(_class(seed, students, {copier: (source, copied)}))
    name = f"s{copier:04d}"
    if len(copied) >= 2:
        assert set(flags) == {name}
        flag = flags[name]
        assert flag.classmate == f"s{source:04d}"
        assert flag.parts == tuple(f"q{PARTS[j][0]}_{PARTS[j][1]}" for j in copied)
    else:
        assert flags == {}


def test_two_copiers_of_one_source_and_a_chain_are_told_apart():
    flags = detect_copies(_class(7, 30, {4: (9, (0, 1, 2, 3)), 5: (9, (1, 3)), 9: (12, (0, 2))}))
    assert {s: (f.classmate, len(f.parts)) for s, f in flags.items()} == {
        "s0004": ("s0009", 4), "s0005": ("s0009", 2), "s0009": ("s0012", 2)}


def test_parts_whose_references_are_the_same_do_not_count():
    # a fixed variant for everyone (a textbook example): a wrong answer there that equals
    # a classmate's reference equals one's own too, and says nothing
    same = ("1", "value", "wrong", "2", "2.5")
    ann = [("1", "value", "correct", "2.5", "2.5"), ("2", "x", "correct", "7", "7")]
    bob = [same, ("2", "x", "wrong", "7", "8")]
    assert detect_copies([("ann", ann), ("bob", bob)]) == {}
    bob = [("1", "value", "wrong", "2.5", "3"), ("2", "x", "wrong", "7", "8")]
    assert detect_copies([("ann", ann), ("bob", bob)]) == {
        "bob": CopyFlag("bob", "ann", ("q1_value", "q2_x"), 2)}


def test_a_value_that_fits_many_classmates_counts_for_nobody():
    shared = MAX_SHARED + 1
    rows = [(f"s{i}", [("1", "a", "correct", "0.5", "0.5"), ("1", "b", "correct", "3", "3")])
            for i in range(shared)]
    rows.append(("copier", [("1", "a", "wrong", "0.5", "0.25"), ("1", "b", "wrong", "3", "4")]))
    assert detect_copies(rows) == {}


def test_retyped_answers_within_the_tolerance_fit():
    # rounded to 4 significant digits, and an expression written another way
    ann = [("1", "value", "correct", "1.23456", "1.23456"),
           ("1", "derivative", "correct", "3*x**2*exp(x)", '"3*x**2*exp(x)"'),
           ("1", "label", "correct", "minimum", '"minimum"')]
    bob = [("1", "value", "wrong", "1.235", "9.87654"),
           ("1", "derivative", "wrong", "3x^2 e^x", '"2*x*exp(x)"'),
           ("1", "label", "wrong", "minimum", '"maximum"')]
    flags = detect_copies([("ann", ann), ("bob", bob)])
    assert flags["bob"].classmate == "ann"
    assert flags["bob"].parts == ("q1_value", "q1_derivative")   # a label proves nothing
    assert flags["bob"].wrong == 3


def test_values_are_read_without_evaluating_text():
    assert found_value("__import__('os').system('true')", ()) is None
    assert found_value("[1, 2", ()) is None
    assert found_value("(no answer)", ()) is None
    assert found_value("x + y", ("x",)) is None          # another variable: not compared
    assert reference_value('"saddle"') == (None, ())
    assert reference_value("[[1,2],[3,4]]")[0].shape == (2, 2)
    value = found_value("exp(x)", ("x",))
    assert value.numbers == tuple(float(np.exp(p)) for p in (0.7316, 1.2891, 0.4127))


def test_a_large_class_is_read_in_one_pass():
    # 3,000 students, 30 copiers: found exactly (speed: benchmarks/copies.py)
    copiers = {i: (i + 1, (0, 1, 2, 3)) for i in range(0, 3000, 100)}
    flags = detect_copies(_class(3, 3000, copiers))
    assert {s: f.classmate for s, f in flags.items()} == {
        f"s{i:04d}": f"s{i + 1:04d}" for i in copiers}


def test_wrong_answers_explained_by_a_catalogued_mistake_do_not_count():
    # the derivative of sin(3x) without its chain factor is right for a classmate's sin(3x)/3
    ann = [("1", "derivative", "correct", "cos(3*x)", '"cos(3*x)"', None),
           ("1", "value", "correct", "-0.98999", "-0.9899924966", None)]
    bob = [("1", "derivative", "wrong", "cos(3*x)", '"3*cos(3*x)"',
            "derivative.missing_chain_factor"),
           ("1", "value", "wrong", "-0.98999", "-2.96997749", "derivative.missing_chain_factor")]
    assert detect_copies([("ann", ann), ("bob", bob)]) == {}
    undiagnosed = [part[:5] + (None,) for part in bob]
    assert detect_copies([("ann", ann), ("bob", undiagnosed)])["bob"].classmate == "ann"


# the class kept on disk and the class kept in memory: one set of rules, the same flags ----------

_REFERENCES = ("0.5", "2", "2.0004", "-3", "0", "[1,2]", "[1.0005,2]", "[[1,2],[3,4]]",
               '"2*x"', '"x**2"', '"2*x + 0.0001"', '"minimum"', '"[oops"')
_SHOWN = ("0.5", "2", "2.001", "-3", "0", "[1, 2]", "[1.0005, 2]", "[[1, 2], [3, 4]]", "2*x",
          "x^2", "x**2 + 1e-9", "minimum", "(no answer)", "[1, 2")
_PAIRS = (("1", "a"), ("1", "b"), ("2", "a"), ("3", "c"))
_STATUSES = ("correct", "wrong", "partial", "format_error", "review", "wrong", "wrong")


@st.composite
def _classes(draw):
    """Small classes drawn from few values, so that answers fit several classmates, fit
    one's own reference, crowd the buckets, repeat a part, or carry a diagnosis."""
    part = st.tuples(st.sampled_from(_PAIRS), st.sampled_from(_STATUSES),
                     st.sampled_from(_SHOWN), st.sampled_from(_REFERENCES),
                     st.sampled_from((None, None, None, "derivative.missing_chain_factor")))
    rows = []
    for i in range(draw(st.integers(0, 25))):
        parts = draw(st.lists(part, max_size=6))
        rows.append((f"s{i:02d}", [(p, a, status, found, ref, mistake)
                                   for (p, a), status, found, ref, mistake in parts]))
    return rows


_CLASS_DRAWS = dict(rows=_classes(), min_parts=st.integers(1, 3), shared=st.integers(1, 5),
                    crowd=st.integers(1, 8))


def _same_flags_on_disk_and_in_memory(rows, min_parts, shared, crowd):
    with pytest.MonkeyPatch.context() as limits:   # small limits, so small classes reach them
        limits.setattr(copies, "MAX_SHARED", shared)
        limits.setattr(copies, "MAX_CANDIDATES", crowd)
        on_disk = detect_copies(iter(rows), min_parts)
        in_memory = detect_copies(rows, min_parts, on_disk=False)
    assert on_disk == in_memory


@settings(max_examples=40, deadline=None)
@given(**_CLASS_DRAWS)
def test_the_class_on_disk_and_in_memory_raise_the_same_flags(rows, min_parts, shared, crowd):
    _same_flags_on_disk_and_in_memory(rows, min_parts, shared, crowd)


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(**_CLASS_DRAWS)
def test_many_classes_on_disk_and_in_memory_raise_the_same_flags(rows, min_parts, shared, crowd):
    _same_flags_on_disk_and_in_memory(rows, min_parts, shared, crowd)


def test_the_class_on_disk_is_in_a_file_with_a_bounded_cache():
    index = copies._DiskIndex()
    try:
        database = index._db.execute("PRAGMA database_list").fetchall()[0][2]
        assert database and os.path.exists(database)
        assert index._db.execute("PRAGMA temp_store").fetchone()[0] == 1     # FILE
        assert index._db.execute("PRAGMA cache_size").fetchone()[0] == -2048  # KiB
    finally:
        index.close()
    assert not os.path.exists(database)


def test_a_gradebook_class_is_read_from_the_gradebook(tmp_path):
    # class_copies over a gradebook: the counted, graded submissions in roster order
    from calcgrade.grader.grading.gradebook import ClassRow, Gradebook

    rows = _class(11, 40, {3: (8, (0, 1, 3)), 20: (2, (1, 2))})
    with Gradebook(tmp_path / "gradebook.sqlite") as book:
        with book.connection:
            for student, parts in rows:
                book.connection.execute(
                    "INSERT INTO submissions VALUES (?, ?, ?, 'graded', '', 0, 0, '')",
                    (f"h-{student}", student, f"{student}.ipynb"))
                book.connection.executemany(
                    "INSERT INTO parts VALUES (?, ?, ?, 'f', 0, 1, ?, '', NULL, '', ?, ?)",
                    [(f"h-{student}", int(p), a, status, found, ref)
                     for p, a, status, found, ref in parts])
        book.set_class({"title": "t"}, [ClassRow(i, s, "{}", f"h-{s}")
                                        for i, (s, _) in enumerate(rows)])
        flags = copies.class_copies(book)
    assert flags == detect_copies(rows, on_disk=False)
    assert {s: f.classmate for s, f in flags.items()} == {"s0003": "s0008", "s0020": "s0002"}
