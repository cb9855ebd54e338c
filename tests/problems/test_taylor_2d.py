"""The taylor_2d family: a hand-worked example, sympy and finite-difference oracles over hundreds
of seeds, validation, its mistakes and grading."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.core.numeric import compile_numeric
from calcgrade.core.parse import parse_expression
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.grader.test_marking import problem_of
from tests.sweep import sweep

family = get_family("taylor_2d")
X, Y = sp.symbols("x y", real=True)


def sympy_taylor(text: str, point) -> sp.Expr:
    """T from sympy's derivatives at the point (exact point from its decimal text)."""
    f = sp.sympify(text, locals={"x": X, "y": Y, "log": sp.log, "exp": sp.exp})
    a, b = (sp.Rational(repr(p)) for p in point)
    at = {X: a, Y: b}
    dx, dy = X - a, Y - b
    d = lambda *vs: sp.diff(f, *vs).subs(at)  # noqa: E731
    return (f.subs(at) + d(X) * dx + d(Y) * dy
            + sp.Rational(1, 2) * (d(X, X) * dx**2 + 2 * d(X, Y) * dx * dy + d(Y, Y) * dy**2))


def ours(text: str):
    compiled = compile_numeric(parse_expression(text, ("x", "y")))
    return lambda x, y: float(compiled({"x": x, "y": y}))


@pytest.mark.parametrize("count", sweep(300, few=10))
def test_taylor_agrees_with_sympy(count):
    rng = np.random.default_rng(0)
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        truth = sympy_taylor(params["f"], params["point"])
        mine = ours(answers["taylor"])
        for _ in range(3):
            x, y = (p + float(rng.uniform(-1, 1)) for p in params["point"])
            want = float(truth.subs({X: x, Y: y}))
            assert mine(x, y) == pytest.approx(want, rel=1e-8, abs=1e-8), params
        near = float(truth.subs({X: params["near"][0], Y: params["near"][1]}))
        assert answers["approximation"] == pytest.approx(near, rel=1e-9, abs=1e-9), params


@pytest.mark.parametrize("count", sweep(300, few=20))
def test_the_error_of_the_taylor_polynomial_shrinks_like_h_cubed(count):
    """Finite differences: f − T = O(h³) along a direction, so halving h divides it by about 8."""
    for seed in range(count):
        params = family.sample(generator(seed))
        f, t = ours(params["f"]), ours(family.solve(params)["taylor"])
        (a, b), (u, v) = params["point"], (0.6, -0.8)
        errors = [abs(f(a + h * u, b + h * v) - t(a + h * u, b + h * v)) for h in (2e-2, 1e-2)]
        assert errors[1] <= errors[0] / 8 * 1.5 + 1e-9, params


HAND = {"f": "x^2*y + y^3", "point": [1, 2], "near": [1.1, 1.9]}
# f(1, 2) = 10; f_x = 2xy = 4, f_y = x² + 3y² = 13; f_xx = 2y = 4, f_xy = 2x = 2, f_yy = 6y = 12.
# T = 10 + 4(x − 1) + 13(y − 2) + ½[4(x − 1)² + 2·2(x − 1)(y − 2) + 12(y − 2)²];
# with d = (0.1, −0.1): 10 + 0.4 − 1.3 + ½(0.04 − 0.04 + 0.12) = 9.16.


def test_the_hand_worked_example():
    answers = family.solve(family.validate(HAND))
    assert answers["approximation"] == pytest.approx(9.16, abs=1e-12)
    assert answer_matches(family.answers["taylor"],
                          "10 + 4(x-1) + 13(y-2) + 2(x-1)^2 + 2(x-1)(y-2) + 6(y-2)^2", answers["taylor"])
    # multiplied out: 10 − 4 − 26 + 2 + 4 + 24 = 10; x: 4 − 4 − 4 = −4; y: 13 − 2 − 24 = −13
    spec = family.answers["taylor"]
    assert answer_matches(spec, "2*x^2 + 2*x*y + 6*y^2 - 4*x - 13*y + 10", answers["taylor"])
    assert not answer_matches(spec, "2*x^2 + 2*x*y + 6*y^2 - 4*x - 13*y + 12", answers["taylor"])


def diagnosed(mistake: str, params=HAND):
    return family.diagnose(family.validate(params)).get(f"taylor_2d.{mistake}")


@pytest.mark.parametrize("mistake, value", [
    ("missing_half", 10 + 0.4 - 1.3 + 4 * 0.01 + 4 * -0.01 + 12 * 0.01),
    ("missing_cross_term", 9.16 - 2 * -0.01),
    ("cross_term_without_2", 9.16 - 1 * -0.01),
    ("first_order_only", 10 + 0.4 - 1.3),
])
def test_each_mistake_on_the_hand_example(mistake, value):
    buggy = diagnosed(mistake)
    assert buggy["approximation"] == pytest.approx(value, abs=1e-12)
    reference = family.solve(family.validate(HAND))
    assert not answer_matches(family.answers["taylor"], buggy["taylor"], reference["taylor"])
    assert not answer_matches(family.answers["approximation"], buggy["approximation"], reference["approximation"])


def test_cross_term_mistakes_do_not_arise_without_a_mixed_partial():
    params = {"f": "x^3 + y^3", "point": [1, 1], "near": [1.1, 0.9]}
    assert diagnosed("missing_cross_term", params) is None and diagnosed("cross_term_without_2", params) is None
    assert diagnosed("missing_half", params) is not None


def test_both_forms_are_sampled():
    for form in ("polynomial", "transcendental"):
        texts = [family.sample(generator(s), form=form)["f"] for s in range(20)]
        assert any(name in text for text in texts for name in ("exp", "sin", "cos", "log", "sqrt")) \
            == (form == "transcendental")
    with pytest.raises(OptionsError, match="form"):
        family.sample(generator(0), form="cubic")


@pytest.mark.parametrize("params, fragment", [
    ({"f": "log(x) + y", "point": [0, 1], "near": [0.1, 1]}, "not defined at point"),
    ({"f": "x*y", "point": [1, 1], "near": [1, 1]}, "'near' must differ"),
    ({"f": "x*y", "point": [1, 1, 0], "near": [1, 2]}, "'point' must have 2 entries"),
    ({"f": "x*z", "point": [1, 1], "near": [1, 2]}, "param 'f'"),
    ({"f": "x*y", "point": [1, 1]}, "'near' is missing"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


PROBLEM = problem_of("taylor_2d", '{ f = "x^2*y + y^3", point = [1, 2], near = [1.1, 1.9] }')


def test_grading_accepts_an_expanded_polynomial_and_names_a_first_order_answer():
    marks = {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, {
        "taylor": "2x^2 + 2xy + 6y^2 - 4x - 13y + 10", "approximation": 9.16})}
    assert [m.status for m in marks.values()] == ["correct", "correct"]
    marks = {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, {
        "taylor": "10 + 4*(x - 1) + 13*(y - 2)", "approximation": 9.1})}
    assert marks["taylor"].mistake == marks["approximation"].mistake == "taylor_2d.first_order_only"


def test_statement_states_the_convention_without_the_answer():
    text = family.statement(family.validate(HAND))
    for fragment in ("`taylor`", "`approximation`", r"\tfrac{1}{2}", "(1, 2)", "(1.1, 1.9)", "f_{xy}"):
        assert fragment in text
    assert "9.16" not in text and math.isfinite(family.solve(family.validate(HAND))["approximation"])
