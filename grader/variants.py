"""Each student's variant of every problem: params drawn from seeds under the course secret.

A problem with fixed ``params`` gives everyone those params. Otherwise the seed of
(assignment, student, slot) drives the family's sampler (DESIGN §3). So that no two
students of a class share a variant, a student whose draw equals one already given to a
student earlier in the roster draws again with the next draw number (``/1``, ``/2``, …
appended to the seed message). Variants therefore depend on the secret, the assignment
file, the student id and, in that rare case, the students before them in the roster:
adding students at the end never changes anyone's variant. ``key.json`` records the draw
number of every variant.

>>> from calcgrade.grader.assignment import parse_assignment
>>> assignment = parse_assignment('id = "a"\\ntitle = "t"\\n[[problems]]\\n'
...                               'family = "sigmoid_gradient"\\n', "a.toml")
>>> variants = class_variants(assignment, bytes(32), ["ann", "bob"])
>>> variants["ann"][0].params != variants["bob"][0].params
True
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Variant:
    """One student's version of one problem."""

    problem: Problem
    params: dict
    draw: int | None  # None for fixed params

    def solve(self) -> dict:
        """The reference answers."""
        return self.problem.family_object().solve(self.params)


def draw_params(assignment: Assignment, problem: Problem, secret: bytes, student_id: str,
                draw: int = 0) -> dict:
    """The params sampled for one student and slot (``draw`` > 0 for re-draws)."""
    from calcgrade.problems.variant import generator

    seed = seed_for(secret, assignment.id, student_id, problem.slot, draw)
    try:
        return problem.family_object().sample(generator(seed), **problem.options)
    except UsageError as error:
        raise type(error)(f"{assignment.source}: problem {problem.number} ({problem.family}): "
                          f"{_without_family(str(error), problem.family)}") from None


def first_draws(assignment: Assignment, secret: bytes, student_id: str) -> list[dict | None]:
    """Draw 0 of every slot of one student (None for fixed params); independent of the
    rest of the class, so it can be computed in parallel."""
    return [None if problem.fixed else draw_params(assignment, problem, secret, student_id)
            for problem in assignment.problems]


def class_variants(assignment: Assignment, secret: bytes, student_ids: Iterable[str],
                   shared: dict[int, list[str]] | None = None,
                   first: dict[str, list[dict | None]] | None = None) -> dict[str, list[Variant]]:
    """Every student's variants, in roster order, kept pairwise distinct per sampled slot.

    When a slot's options allow too few variants to keep ``MAX_DRAWS`` re-draws apart, the
    student keeps the first draw and is listed in ``shared[problem number]``. ``first``
    may hold :func:`first_draws` already computed.
    """
    return dict(iter_class_variants(assignment, secret, student_ids, shared, first))


def iter_class_variants(assignment: Assignment, secret: bytes, student_ids: Iterable[str],
                        shared: dict[int, list[str]] | None = None,
                        first: dict[str, list[dict | None]] | None = None
                        ) -> Iterator[tuple[str, list[Variant]]]:
    """:func:`class_variants` one student at a time, so work can start on the first ones."""
    taken: list[set[str]] = [set() for _ in assignment.problems]
    for student_id in student_ids:
        variants = []
        for index, problem in enumerate(assignment.problems):
            if problem.fixed:
                variants.append(Variant(problem, problem.params, None))
                continue
            chosen = None
            for draw in range(MAX_DRAWS):
                if draw == 0 and first is not None and student_id in first:
                    params = first[student_id][index]
                else:
                    params = draw_params(assignment, problem, secret, student_id, draw)
                key = _key(params)
                if key not in taken[index]:
                    chosen = Variant(problem, params, draw)
                    break
                if draw == 0:
                    initial = Variant(problem, params, 0)
            if chosen is None:
                chosen = initial
                if shared is not None:
                    shared.setdefault(problem.number, []).append(student_id)
            taken[index].add(_key(chosen.params))
            variants.append(chosen)
        yield student_id, variants


def student_variants(assignment: Assignment, secret: bytes, student_id: str,
                     roster_ids: list[str] | None = None) -> list[Variant]:
    """One student's variants; with the roster, exactly as ``calcgrade generate`` makes them."""
    ids = [student_id]
    if roster_ids is not None:
        if student_id not in roster_ids:
            raise UsageError(f"student {student_id!r} is not in the roster")
        ids = roster_ids[:roster_ids.index(student_id) + 1]
    return class_variants(assignment, secret, ids)[student_id]
