"""What a simulated class should score: the mistake ``simulated_answers(record, "mistake")``
applies, and whether a simulated answer deserves full marks (error carried forward)."""

from __future__ import annotations

import numpy as np

from calcgrade.core.names import answer_variable
from calcgrade.problems import get_family


def applied_mistake(record: dict) -> tuple[int, str, set[str]] | None:
    """Which catalogued mistake ``simulated_answers(record, "mistake")`` applies: the first
    problem with a mistake that arises for its params, the first such mistake of the catalog,
    and the answer variables it changes."""
    for problem in record["problems"]:
        family = get_family(problem["family"])
        diagnosed = family.diagnose(problem["params"])
        for mistake in family.mistakes():
            if mistake.id in diagnosed:
                changed = {answer_variable(problem["number"], name)
                           for name in diagnosed[mistake.id] if name in problem["answers"]}
                return problem["number"], mistake.id, changed
    return None


def gradients_along(problem: dict, iterates: list) -> list:
    """The gradient of the problem's f (by sympy) at x0 and every iterate but the last."""
    import sympy

    names = problem["params"]["vars"]
    symbols = sympy.symbols(names)
    f = sympy.sympify(problem["params"]["f"], locals=dict(zip(names, symbols)))
    gradient = [sympy.lambdify(symbols, sympy.diff(f, s)) for s in symbols]
    points = [problem["params"]["x0"]] + list(iterates[:-1])
    return [[float(g(*point)) for g in gradient] for point in points]


def deserves_full_marks(problem: dict, name: str, value, reference, values: dict) -> bool:
    """Whether a simulated answer deserves full marks: the reference itself, or, for the
    gradients of gradient descent, the gradients at the student's own iterates (the grader
    carries errors forward, DESIGN §5)."""
    if value == reference:
        return True
    if problem["family"] == "gradient_descent" and name == "gradients":
        own = values[answer_variable(problem["number"], "iterates")]
        return bool(np.allclose(value, gradients_along(problem, own), rtol=1e-3, atol=1e-6))
    return False
