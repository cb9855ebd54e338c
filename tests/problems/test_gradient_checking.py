"""The gradient_checking family against sympy and numpy, its options, messages and mistakes."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

from ..sweep import sweep

family = get_family("gradient_checking")
HAND = {"f": "x**2*y + exp(y)", "vars": ["x", "y"], "theta": [1, 0], "gradient": ["2*x*y", "x**2"],
        "h": 0.001, "threshold": 1e-5}


def _oracle(params):
    """Numerical gradient, relative error and verdict from sympy-lambdified f and gradient,
    plus whether the stated gradient equals sympy's symbolic gradient."""
    symbols = sympy.symbols(params["vars"])
    f_expr = sympy.sympify(params["f"])
    f = sympy.lambdify(symbols, f_expr, "numpy")
    stated = [sympy.sympify(text) for text in params["gradient"]]
    theta, h = np.array(params["theta"], float), params["h"]
    eye = np.eye(len(theta))
    numerical = np.array([(f(*(theta + h * e)) - f(*(theta - h * e))) / (2 * h) for e in eye])
    analytic = np.array([float(g.subs(dict(zip(symbols, theta)))) for g in stated])
    error = np.linalg.norm(numerical - analytic) / (np.linalg.norm(numerical) + np.linalg.norm(analytic))
    exact = all(sympy.simplify(sympy.diff(f_expr, s) - g) == 0 for s, g in zip(symbols, stated))
    return numerical, error, exact


@pytest.mark.parametrize("count", sweep(300))
def test_answers_match_sympy_and_numpy(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        answers = family.solve(params)
        numerical, error, exact = _oracle(params)
        np.testing.assert_allclose(answers["numerical_gradient"], numerical, rtol=1e-8, atol=1e-9)
        assert answers["relative_error"] == pytest.approx(error, rel=1e-3, abs=1e-14)
        assert answers["verdict"] == ("wrong" if error > params["threshold"] else "correct")
        # the verdict is the truth: a wrong verdict only for a gradient sympy disagrees with
        assert (answers["verdict"] == "correct") == exact, params


def test_hand_example_and_its_mistakes():
    params = family.validate(HAND)
    # f = x²y + e^y at (1, 0): ∇f = (2xy, x² + e^y) = (0, 2); the stated ∂f/∂y = x² = 1 misses e^y.
    # central differences are exact for x²y in x, and for e^y give sinh(h)/h
    g_y = 1 + np.sinh(0.001) / 0.001
    answers = family.solve(params)
    assert answers["numerical_gradient"] == pytest.approx([0.0, g_y], abs=1e-12)
    assert answers["relative_error"] == pytest.approx((g_y - 1) / (g_y + 1), rel=1e-9)
    assert answers["verdict"] == "wrong"
    m = family.diagnose(params)
    # one-sided in y: ((1·h + e^h) − (0 + 1))/h = 1 + (e^h − 1)/h; in x, y = 0 makes it 0
    assert m["gradient_checking.one_sided_difference"]["numerical_gradient"] == pytest.approx(
        [0.0, (0.001 + np.expm1(0.001)) / 0.001], abs=1e-9)
    assert m["gradient_checking.divided_by_h"]["numerical_gradient"] == pytest.approx([0.0, 2 * g_y], abs=1e-9)
    assert m["gradient_checking.no_denominator"]["relative_error"] == pytest.approx(g_y - 1, rel=1e-9)


def test_a_right_implementation_is_correct_with_a_tiny_error():
    answers = family.solve(family.validate({**HAND, "gradient": ["2*x*y", "x**2 + exp(y)"]}))
    assert answers["verdict"] == "correct" and 0 < answers["relative_error"] < 1e-6


def test_every_mistake_is_wrong_on_the_hand_example():
    params = family.validate(HAND)
    reference = family.solve(params)
    for mistake_id, buggy in family.diagnose(params).items():
        assert any(not answer_matches(family.answers[n], v, reference[n]) for n, v in buggy.items()), mistake_id


def test_options_and_both_verdicts():
    assert {family.solve(family.sample(generator(s)))["verdict"] for s in range(20)} == {"correct", "wrong"}
    for implementation in ("correct", "wrong"):
        verdicts = {family.solve(family.sample(generator(s), implementation=implementation))["verdict"]
                    for s in range(15)}
        assert verdicts == {implementation}
    assert {len(family.sample(generator(s), dims=3)["vars"]) for s in range(10)} == {3}


@pytest.mark.parametrize("change, fragment", [
    ({"gradient": ["2*x*y"]}, "'gradient' must be a list of 2 expressions"),
    ({"gradient": ["2*x*q", "x"]}, "'gradient'"),
    ({"h": 0}, "'h' must be positive"),
    ({"h": 0.5}, "'h' must"),
    ({"vars": ["y", "x"]}, "'vars' must be"),
    ({"f": "log(x - 1)", "theta": [0, 0]}, "not defined near"),
    ({"threshold": -1}, "'threshold' must be positive"),
])
def test_bad_params_are_named(change, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({**HAND, **change})


def test_statement_states_h_the_formulas_and_the_threshold():
    text = family.statement(family.validate(HAND))
    for piece in ("h = 0.001", "2h", r"\lVert g_{\text{num}}", "10^{-5}", "`numerical_gradient`",
                  "`relative_error`", "`verdict`", "x**2"):
        assert piece in text
