"""Each student's variant of every problem, and everything derived from it, computed once.

A problem with fixed ``params`` gives everyone those params. Otherwise the seed of
(assignment, student, slot) drives the family's sampler (DESIGN §3). So that no two
students of a class share a variant, a student whose draw equals one already given to a
student earlier in the roster draws again with the next draw number (``/1``, ``/2``, …
appended to the seed message). Variants therefore depend on the secret, the assignment
file, the student id and, in that rare case, the students before them in the roster:
adding students at the end never changes anyone's variant.

**Draw numbers.** ``key.json`` records the draw number of every variant. Whoever knows a
student's draw numbers makes that student's variants directly, at the cost of one student
whatever the size of the class (:func:`student_variants` with ``draws``,
:func:`key_draws` reads them from a key). Without them, the rule is applied by walking the
roster up to the student (:class:`RosterWalk`), which draws every earlier student once;
a grading batch walks once, in roster order, and keeps only a digest per variant.

**Computed once.** A :class:`Variant` computes its reference answers, answer specs,
statement and mistake table on first use and keeps them: generation and grading ask it,
never the family again.

>>> from calcgrade.grader.assignment import parse_assignment
>>> assignment = parse_assignment('id = "a"\\ntitle = "t"\\n[[problems]]\\n'
...                               'family = "sigmoid_gradient"\\n', "a.toml")
>>> variants = class_variants(assignment, bytes(32), ["ann", "bob"])
>>> variants["ann"][0].params != variants["bob"][0].params
True
>>> draws = [v.draw for v in variants["bob"]]
>>> student_variants(assignment, bytes(32), "bob", draws=draws) == variants["bob"]
True
"""

from __future__ import annotations

import copy
import hashlib
import json
from array import array
from bisect import bisect_left
from functools import cached_property
from typing import Iterable, Iterator

from calcgrade.grader.assignment import Assignment, Problem, _without_family
from calcgrade.core.errors import UsageError
from calcgrade.grader.jsonio import dumps
from calcgrade.grader.secret import seed_for

MAX_DRAWS = 25


def _key(params: dict) -> str:
    """Params as canonical text, to compare variants."""
    try:
        return json.dumps(params, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError):  # numpy values: convert first
        return dumps(params, compact=True)


def _digest(params: dict) -> bytes:
    """A short fingerprint of params (what a key's draws are checked against)."""
    return hashlib.sha256(_key(params).encode()).digest()[:16]


class Fingerprints:
    """A set of 8-byte fingerprints of params, kept sorted in one array: 8 bytes each and
    no object per entry, so a walk over a large class stays small.

    >>> seen = Fingerprints()
    >>> seen.add({"x": 1}); {"x": 1} in seen, {"x": 2} in seen, len(seen)
    (True, False, 1)
    """

    def __init__(self):
        self.values = array("Q")

    @staticmethod
    def of(params: dict) -> int:
        return int.from_bytes(_digest(params)[:8], "big")

    def __len__(self) -> int:
        return len(self.values)

    def __contains__(self, params: dict) -> bool:
        value = self.of(params)
        index = bisect_left(self.values, value)
        return index < len(self.values) and self.values[index] == value

    def add(self, params: dict) -> None:
        value = self.of(params)
        index = bisect_left(self.values, value)
        if index == len(self.values) or self.values[index] != value:
            self.values.insert(index, value)


class Variant:
    """One student's version of one problem.

    ``answers`` (the reference, from ``family.solve``), ``specs`` (with the assignment's
    tolerances), ``statement`` and ``diagnosis`` (every catalogued mistake's answers) are
    computed on first use and kept.
    """

    __slots__ = ("problem", "params", "draw", "__dict__")

    def __init__(self, problem: Problem, params: dict, draw: int | None,
                 known: dict | None = None):
        self.problem = problem
        self.params = params
        self.draw = draw  # None for fixed params
        for name, value in (known or {}).items():  # what sampling computed already
            if name in ("answers", "diagnosis"):
                self.__dict__[name] = value

    def __eq__(self, other) -> bool:
        return isinstance(other, Variant) and (self.problem, self.draw, _key(self.params)) == \
            (other.problem, other.draw, _key(other.params))

    def __hash__(self) -> int:
        return hash((self.problem.slot, self.draw, _key(self.params)))

    def __repr__(self) -> str:
        return f"Variant(problem={self.problem.number}, draw={self.draw}, params={self.params!r})"

    @cached_property
    def family(self):
        return self.problem.family_object()

    @cached_property
    def answers(self) -> dict:
        """The reference answers."""
        return self.family.solve(self.params)

    @cached_property
    def specs(self) -> dict:
        """Answer name -> spec, with the assignment's tolerances."""
        return self.problem.answer_specs(self.params)

    @cached_property
    def statement(self) -> str:
        return self.family.statement(self.params)

    @cached_property
    def diagnosis(self) -> dict:
        """Mistake id -> the answers that mistake gives for these params."""
        return self.family.diagnose(self.params)

    def solve(self) -> dict:
        """The reference answers (computed once)."""
        return self.answers


def _recording(family, seen: dict):
    """``family`` seen through a shallow copy whose ``solve`` and ``diagnose`` keep their
    last result in ``seen`` (name -> (params, result)): a family's sampler solves the
    params it accepts to check them, and that result need not be computed again."""
    recorder = copy.copy(family)

    def solve(params):
        result = family.solve(params)
        seen["answers"] = (params, result)
        return result

    def diagnose(params):
        result = family.diagnose(params)
        seen["diagnosis"] = (params, result)
        return result

    recorder.solve, recorder.diagnose = solve, diagnose
    return recorder


def draw_params(assignment: Assignment, problem: Problem, secret: bytes, student_id: str,
                draw: int = 0, record: dict | None = None) -> dict:
    """The params sampled for one student and slot (``draw`` > 0 for re-draws). With
    ``record``, the reference ``answers`` and mistake table (``diagnosis``) that the
    family's sampler computed for the params it returns are put there."""
    from calcgrade.problems.variant import generator

    seed = seed_for(secret, assignment.id, student_id, problem.slot, draw)
    family, seen = problem.family_object(), {}
    if record is not None:
        family = _recording(family, seen)
    try:
        params = family.sample(generator(seed), **problem.options)
    except UsageError as error:
        raise type(error)(f"{assignment.source}: problem {problem.number} ({problem.family}): "
                          f"{_without_family(str(error), problem.family)}") from None
    for name, (solved, result) in seen.items():
        if solved is params:
            record[name] = result
    return params


def _sampled(assignment: Assignment, problem: Problem, secret: bytes, student_id: str,
             draw: int) -> Variant:
    """The variant of one draw, with what its sampling computed already."""
    known: dict = {}
    params = draw_params(assignment, problem, secret, student_id, draw, record=known)
    return Variant(problem, params, draw, known)


def first_draws(assignment: Assignment, secret: bytes, student_id: str) -> list[Variant | None]:
    """Draw 0 of every slot of one student (None for fixed params), with the reference
    answers their sampling computed (not the mistake tables, which generation does not
    use); independent of the rest of the class, so it can be computed in parallel."""
    drawn = [None if problem.fixed else _sampled(assignment, problem, secret, student_id, 0)
             for problem in assignment.problems]
    for variant in drawn:
        if variant is not None:
            variant.__dict__.pop("diagnosis", None)
    return drawn


def _fixed_variants(assignment: Assignment) -> dict[int, Variant]:
    """One variant per fixed problem, shared by every student (so solved once)."""
    return {index: Variant(problem, problem.params, None)
            for index, problem in enumerate(assignment.problems) if problem.fixed}


class RosterWalk:
    """The redraw rule applied in roster order, one student at a time.

    Keeps an 8-byte fingerprint of every variant given so far (not the variants, see
    :class:`Fingerprints`), so a walk over a large class stays small. ``shared`` collects, per problem number, the students
    who kept a draw that an earlier student has because the options allow too few
    variants to keep ``MAX_DRAWS`` re-draws apart.
    """

    def __init__(self, assignment: Assignment, secret: bytes,
                 shared: dict[int, list[str]] | None = None):
        self.assignment = assignment
        self.secret = secret
        self.shared = shared
        self.taken = [Fingerprints() for _ in assignment.problems]
        self.fixed = _fixed_variants(assignment)

    def next(self, student_id: str, first: list | None = None) -> list[Variant]:
        """The variants of the next student of the roster (``first``: their draws 0, as
        :func:`first_draws` gives them, when already made)."""
        variants = []
        for index, problem in enumerate(self.assignment.problems):
            if problem.fixed:
                variants.append(self.fixed[index])
                continue
            chosen = initial = None
            for draw in range(MAX_DRAWS):
                if draw == 0 and first is not None:
                    candidate = first[index]
                    if not isinstance(candidate, Variant):
                        candidate = Variant(problem, candidate, 0)
                else:
                    candidate = _sampled(self.assignment, problem, self.secret, student_id, draw)
                if candidate.params not in self.taken[index]:
                    chosen = candidate
                    break
                if draw == 0:
                    initial = candidate
            if chosen is None:
                chosen = initial
                if self.shared is not None:
                    self.shared.setdefault(problem.number, []).append(student_id)
            self.taken[index].add(chosen.params)
            variants.append(chosen)
        return variants


def iter_class_variants(assignment: Assignment, secret: bytes, student_ids: Iterable[str],
                        shared: dict[int, list[str]] | None = None,
                        first: dict[str, list[dict | None]] | None = None
                        ) -> Iterator[tuple[str, list[Variant]]]:
    """Every student's variants in roster order, one student at a time."""
    walk = RosterWalk(assignment, secret, shared)
    for student_id in student_ids:
        yield student_id, walk.next(student_id, (first or {}).get(student_id))


def class_variants(assignment: Assignment, secret: bytes, student_ids: Iterable[str],
                   shared: dict[int, list[str]] | None = None,
                   first: dict[str, list[dict | None]] | None = None) -> dict[str, list[Variant]]:
    """Every student's variants, in roster order, kept pairwise distinct per sampled slot.

    When a slot's options allow too few variants to keep ``MAX_DRAWS`` re-draws apart, the
    student keeps the first draw and is listed in ``shared[problem number]``. ``first``
    may hold :func:`first_draws` already computed.
    """
    return dict(iter_class_variants(assignment, secret, student_ids, shared, first))


def variants_from_draws(assignment: Assignment, secret: bytes, student_id: str,
                        draws: list[int | None],
                        fixed: dict[int, Variant] | None = None) -> list[Variant]:
    """One student's variants from their draw numbers (as ``key.json`` records them);
    ``fixed`` may hold the fixed problems' variants, to share them between students."""
    if len(draws) != len(assignment.problems):
        raise UsageError(f"{len(draws)} draw numbers for {len(assignment.problems)} problems")
    fixed = fixed if fixed is not None else _fixed_variants(assignment)
    return [fixed[index] if problem.fixed else
            _sampled(assignment, problem, secret, student_id, draw or 0)
            for index, (problem, draw) in enumerate(zip(assignment.problems, draws))]


def student_variants(assignment: Assignment, secret: bytes, student_id: str,
                     roster_ids: list[str] | None = None,
                     draws: list[int | None] | None = None) -> list[Variant]:
    """One student's variants, exactly as ``calcgrade generate`` makes them: from their
    ``draws`` when known (one student's work), else by walking ``roster_ids`` up to them;
    with neither, draw 0 of every slot."""
    if roster_ids is not None and student_id not in roster_ids:
        raise UsageError(f"student {student_id!r} is not in the roster")
    if draws is not None:
        return variants_from_draws(assignment, secret, student_id, draws)
    walk = RosterWalk(assignment, secret)
    for earlier in (roster_ids[:roster_ids.index(student_id)] if roster_ids else []):
        walk.next(earlier)
    return walk.next(student_id)


class KeyDraws:
    """Draw numbers and params fingerprints of every student of a ``key.json``.

    Only these are kept (not the key's answers), so a large key costs little memory once
    read. :meth:`variants` makes a student's variants and checks them against the key: a
    key of another secret or another version of the assignment file is refused.
    """

    def __init__(self, path, assignment: Assignment):
        self.path = str(path)
        try:
            with open(path, encoding="utf-8") as handle:
                key = json.load(handle)
            owner = key["assignment"]["id"]
            students = key["students"]
        except FileNotFoundError:
            raise UsageError(f"--key {self.path}: no such file") from None
        except (OSError, ValueError, KeyError, TypeError):
            raise UsageError(f"--key {self.path}: not a key.json written by calcgrade generate") \
                from None
        if owner != assignment.id:
            raise UsageError(f"--key {self.path} is the key of assignment {owner!r}, not "
                             f"{assignment.id!r}")
        self.assignment = assignment
        self.fixed = _fixed_variants(assignment)
        self.draws: dict[str, tuple] = {}
        try:
            for student in students:
                problems = student["problems"]
                if [p["slot"] for p in problems] != [p.slot for p in assignment.problems]:
                    raise UsageError(f"--key {self.path}: its problems are not those of "
                                     f"{assignment.source}")
                self.draws[student["id"]] = tuple((p["draw"], _digest(p["params"]))
                                                  for p in problems)
        except (KeyError, TypeError):
            raise UsageError(f"--key {self.path}: not a key.json written by calcgrade generate") \
                from None
        del key, students

    def __contains__(self, student_id: str) -> bool:
        return student_id in self.draws

    def variants(self, secret: bytes, student_id: str) -> list[Variant]:
        """The student's variants from the key's draw numbers, checked against the key."""
        recorded = self.draws[student_id]
        variants = variants_from_draws(self.assignment, secret, student_id,
                                       [draw for draw, _ in recorded], self.fixed)
        for variant, (_, digest) in zip(variants, recorded):
            if _digest(json.loads(dumps(variant.params))) != digest:
                raise UsageError(
                    f"--key {self.path} does not match: problem {variant.problem.number} of "
                    f"{student_id} differs (another course secret or another version of "
                    f"{self.assignment.source})")
        return variants


def key_draws(path, assignment: Assignment) -> KeyDraws:
    """The draw numbers recorded in the ``key.json`` at ``path`` (see :class:`KeyDraws`)."""
    return KeyDraws(path, assignment)
