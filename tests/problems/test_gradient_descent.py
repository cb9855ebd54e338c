"""The gradient_descent family: validation, the sampler's options and constraints, the mistakes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.gradient_descent import LEARNING_RATES
from calcgrade.problems.variant import generator
from tests.sweep import sweep
from calcgrade.core.parse import parse_expression

family = get_family("gradient_descent")
WORKED = {"f": "exp(x) - ln(x)", "vars": ["x"], "x0": [0.05], "lr": 0.005, "steps": 2}


def test_worked_example_reproduces_the_course():
    answers = family.solve(family.validate(WORKED))
    assert [round(p[0], 6) for p in answers["iterates"]] == [0.144744, 0.173509]
    assert len(answers["gradients"]) == 2 and answers["gradients"][0][0] < -18


def calcgrade_solve(params) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "solve", "gradient_descent",
                           "--params", json.dumps(params)], capture_output=True, text=True, timeout=120)


def test_cli_solve_prints_the_worked_example():
    result = calcgrade_solve(WORKED)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["family"] == "gradient_descent" and out["params"] == WORKED
    assert out["answers"]["iterates"] == [[pytest.approx(0.144744, abs=1e-6)],
                                          [pytest.approx(0.173509, abs=1e-6)]]


def test_cli_reports_a_path_leaving_the_domain_in_one_line():
    params = {"f": "x^2 + ln(x)", "vars": ["x"], "x0": [1], "lr": 0.5, "steps": 2}
    result = calcgrade_solve(params)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert "gradient_descent: iterate 1 leaves the domain of f (x = -0.5)" in result.stderr


def test_a_bare_number_start_becomes_a_list():
    params = family.validate({**WORKED, "x0": 0.05, "vars": "x"})
    assert params["x0"] == [0.05] and params["vars"] == ["x"]


def test_course_product_function_by_hand():
    # f = 85 − x²(x−6)y²(y−6)/90: at (1, 1) ∂f/∂x = −(3 − 12)(1)(1 − 6)/90 = −0.5, same for y
    params = family.validate({"f": "85 - (1/90) x^2 (x-6) y^2 (y-6)", "vars": ["x", "y"],
                              "x0": [1, 1], "lr": 0.1, "steps": 1})
    answers = family.solve(params)
    assert answers["gradients"] == [[pytest.approx(-0.5), pytest.approx(-0.5)]]
    assert answers["iterates"] == [[pytest.approx(1.05), pytest.approx(1.05)]]


@pytest.mark.parametrize("change, fragment", [
    ({"x0": [1, 2]}, "'x0' must have 1 entries"),
    ({"vars": ["x", "y"]}, "'x0' must have 2 entries"),
    ({"x0": []}, "'x0' must be a list of numbers"),
    ({"lr": 0}, "'lr' must be positive"),
    ({"lr": -0.1}, "'lr' must be positive"),
    ({"lr": "0.1"}, "'lr' must be a number"),
    ({"steps": 0}, "'steps' must be between 1 and 20"),
    ({"steps": 21}, "'steps' must be between 1 and 20"),
    ({"steps": 1.5}, "'steps' must be a whole number"),
    ({"f": "exp(x) - ln(q)"}, "unknown name 'q'"),
    ({"f": "exp(x) + y"}, "unknown name 'y'"),
    ({"vars": ["x", "y", "z"], "x0": [1, 2, 3]}, "'vars' must name 1 or 2 variables"),
    ({"x0": [-1]}, r"not defined at x0 \(x = -1\)"),
    ({"f": "x^2 + ln(x)", "x0": [1], "lr": 0.5}, r"iterate 1 leaves the domain of f \(x = -0.5\)"),
    ({"f": "x^4", "x0": [10], "lr": 0.5, "steps": 10}, "diverges"),
    ({"f": "ln(x y)", "vars": ["x", "y"], "x0": [1, 2], "lr": 1},
     r"iterate 1 leaves the domain of f \(\(x, y\) = \(0, 1.5\)\)"),
    ({"rate": 0.1}, "unknown param 'rate'"),
])
def test_bad_params_get_one_line_messages(change, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate({**WORKED, **change})
    assert "\n" not in str(caught.value) and str(caught.value).startswith("gradient_descent: ")


def test_missing_param_is_named():
    params = dict(WORKED)
    del params["lr"]
    with pytest.raises(ParamsError, match="'lr' is missing"):
        family.validate(params)


# the mistakes, on f = x² from x0 = 1 with α = 0.1 (right: 1 → 0.8 → 0.64) ---------------
HAND = {"f": "x^2", "vars": ["x"], "x0": [1], "lr": 0.1, "steps": 2}


def approx_points(points):
    return [[pytest.approx(v, abs=1e-12) for v in p] for p in points]


@pytest.mark.parametrize("mistake, iterates, gradients", [
    ("uphill", [[1.2], [1.44]], [[2.0], [2.4]]),                  # θ + α f'
    ("used_f_not_gradient", [[0.9], [0.819]], [[2.0], [1.8]]),    # θ − α f(θ)
    ("forgot_learning_rate", [[-1.0], [1.0]], [[2.0], [-2.0]]),   # θ − f'
    ("stale_gradient", [[0.8], [0.6]], [[2.0], [2.0]]),           # f'(θ_0) every step
])
def test_each_mistake_on_a_hand_example(mistake, iterates, gradients):
    params = family.validate(HAND)
    assert family.solve(params)["iterates"] == approx_points([[0.8], [0.64]])
    buggy = family.diagnose(params)[f"gradient_descent.{mistake}"]
    assert buggy["iterates"] == approx_points(iterates)
    assert buggy["gradients"] == approx_points(gradients)


def test_used_f_steps_every_coordinate_by_f():
    # f = x² + y² at (1, 2): f = 5, so both coordinates move by α·5 = 0.5
    params = family.validate({"f": "x^2 + y^2", "vars": ["x", "y"], "x0": [1, 2], "lr": 0.1,
                              "steps": 1})
    buggy = family.diagnose(params)["gradient_descent.used_f_not_gradient"]
    assert buggy["iterates"] == approx_points([[0.5, 1.5]])


def test_stale_gradient_needs_two_steps():
    params = family.validate({**HAND, "steps": 1})
    assert "gradient_descent.stale_gradient" not in family.diagnose(params)


def test_a_buggy_run_that_leaves_the_domain_does_not_apply():
    # forgetting α on the worked example jumps to x ≈ 19, then far below 0 where ln fails
    diagnosed = family.diagnose(family.validate(WORKED))
    assert "gradient_descent.forgot_learning_rate" not in diagnosed
    assert "gradient_descent.stale_gradient" in diagnosed


def test_mistake_messages_speak_to_the_student():
    for mistake in family.mistakes():
        assert mistake.id.startswith("gradient_descent.")
        assert mistake.message.startswith("you") and "∇f" in mistake.message


# the sampler -----------------------------------------------------------------------------
def test_dims_option_picks_the_variables():
    assert {tuple(family.sample(generator(s), dims=1)["vars"]) for s in range(20)} == {("x",)}
    assert {tuple(family.sample(generator(s), dims=2)["vars"]) for s in range(20)} == {("x", "y")}
    assert {len(family.sample(generator(s))["vars"]) for s in range(40)} == {1, 2}


@pytest.mark.parametrize("steps", [1, 4, 10])
def test_steps_option_sets_the_number_of_points(steps):
    for seed in range(15):
        params = family.sample(generator(seed), steps=steps)
        answers = family.solve(params)
        assert params["steps"] == steps
        assert len(answers["iterates"]) == len(answers["gradients"]) == steps
        assert all(len(p) == len(params["vars"]) for p in answers["iterates"])


@pytest.mark.parametrize("options", [{"dims": 3}, {"steps": 0}, {"steps": 11}, {"steps": "2"},
                                     {"speed": 1}])
def test_bad_options_are_refused(options):
    with pytest.raises(OptionsError):
        family.sample(generator(0), **options)


def test_sampled_params_are_nice():
    for seed in range(150):
        params = family.sample(generator(seed))
        assert params["lr"] in LEARNING_RATES
        assert all(abs(v * 10 - round(v * 10)) < 1e-9 for v in params["x0"]), params
        parse_expression(params["f"], params["vars"])  # only the listed variables
        assert "+ -" not in params["f"] and "1*" not in params["f"].replace("0.1*", "")


def test_every_template_family_occurs():
    texts = [family.sample(generator(seed))["f"] for seed in range(300)]
    assert any("/90" in t or "/60" in t or "/80" in t or "/100" in t or "/120" in t for t in texts)
    assert any("exp(" in t and "log(" in t for t in texts)
    assert any("x*y" in t for t in texts)
    assert any("x**4" in t for t in texts)


def test_statement_states_the_rule_the_data_and_the_answer_names():
    params = family.validate(WORKED)
    text = family.statement(params)
    for piece in (r"e^{x} - \ln\left(x\right)", r"\alpha = 0.005", "x_0 = 0.05", "2 steps",
                  r"\theta - \alpha \nabla f(\theta)", "`gradients`", "`iterates`", "`[[x1], [x2]]`",
                  "natural logarithm"):
        assert piece in text, piece
    for value in ("0.1447", "0.1735", "18.94"):
        assert value not in text


def test_two_variable_statement_names_both_partials():
    params = family.sample(generator(3), dims=2, steps=5)
    text = family.statement(params)
    assert r"\partial f}{\partial y}" in text and "`[[x1, y1], [x2, y2]]`" in text
    assert r"\dots" in text and "5 steps" in text


@pytest.mark.parametrize("count", sweep(200))
def test_code_cases_agree_with_finite_differences_of_f(count):
    """``gradient`` cases against central differences of f evaluated by sympy; ``step``
    cases against θ − α times those differences."""
    import numpy as np
    import sympy

    for seed in range(count):
        params = family.sample(generator(seed), answer="code")
        symbols = sympy.symbols(params["vars"])
        f = sympy.lambdify(symbols, sympy.sympify(params["f"], locals={"ln": sympy.log}), "mpmath")

        def numeric_gradient(theta, h=1e-6):
            return [float((f(*np.add(theta, h * e)) - f(*np.subtract(theta, h * e))) / (2 * h))
                    for e in np.eye(len(theta))]

        answers = family.solve(params)
        for case in answers["gradient"]:
            assert case["expected"] == pytest.approx(numeric_gradient(case["args"][0]), rel=1e-5, abs=1e-6)
        for case in answers["step"]:
            theta, lr = case["args"]
            expected = [t - lr * g for t, g in zip(theta, numeric_gradient(theta))]
            assert case["expected"] == pytest.approx(expected, rel=1e-6, abs=1e-6)
