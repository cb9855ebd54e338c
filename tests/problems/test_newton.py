"""The newton family: sampler constraints, options, validation messages and its mistakes."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.core.parse import parse_expression
from calcgrade.core.numeric import compile_numeric

family = get_family("newton")
WORKED = {"f": "x^4 + 0.8*y^4 + 4*x^2 + 2*y^2 - x*y - 0.2*x^2*y", "vars": ["x", "y"],
          "x0": [4, 4], "steps": 2, "goal": "minimize"}


def value_function(params):
    f = compile_numeric(parse_expression(params["f"], params["vars"]))
    return lambda p: float(f(dict(zip(params["vars"], (float(v) for v in p)))))


def fd_hessian(value, point, h=1e-4):
    """Central finite differences of f alone (independent of the calculus module)."""
    n, e = len(point), np.eye(len(point)) * h
    point = np.asarray(point, dtype=float)
    return np.array([[(value(point + e[i] + e[j]) - value(point + e[i] - e[j])
                       - value(point - e[i] + e[j]) + value(point - e[i] - e[j])) / (4 * h * h)
                      for j in range(n)] for i in range(n)])


def test_worked_example_reproduces():
    params = family.validate(WORKED)
    assert params["f"] == "x**4 + 0.8*y**4 + 4*x**2 + 2*y**2 - x*y - 0.2*x**2*y"
    np.testing.assert_allclose(family.solve(params)["iterates"],
                               [[2.5827, 2.6213], [1.5923, 1.6748]], atol=6e-5)


def test_root_example_with_a_bare_number_x0():
    params = family.validate({"f": "x^2 - 2", "vars": "x", "x0": 1, "steps": 3, "goal": "root"})
    assert params["x0"] == [1] and params["vars"] == ["x"]
    got = family.solve(params)["iterates"]
    assert [[round(p[0], 6)] for p in got] == [[1.5], [1.416667], [1.414216]]


def test_cli_solves_the_worked_example():
    result = subprocess.run([sys.executable, "-m", "calcgrade.grader.cli", "solve", "newton",
                             "--params", json.dumps(WORKED)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    np.testing.assert_allclose(out["answers"]["iterates"], [[2.5827, 2.6213], [1.5923, 1.6748]], atol=6e-5)


def test_sampled_minimization_paths_descend_with_positive_definite_hessians():
    dims = set()
    for seed in range(200):
        params = family.sample(generator(seed), goal="minimize", steps=int(1 + seed % 4))
        dims.add(len(params["vars"]))
        value = value_function(params)
        points = [params["x0"]] + family.solve(params)["iterates"]
        for here, there in zip(points, points[1:]):
            assert value(there) < value(here) + 1e-9 * (1 + abs(value(here))), params
            eigen = np.linalg.eigvalsh(fd_hessian(value, here))
            assert eigen[0] > 0.1 and eigen[0] > 0.01 * eigen[-1], (params, here, eigen)
    assert dims == {1, 2}


def test_sampled_root_paths_keep_the_slope_away_from_zero_and_stay_in_the_domain():
    for seed in range(200):
        params = family.sample(generator(seed), goal="root")
        assert params["vars"] == ["x"] and len(params["x0"]) == 1
        value = value_function(params)
        points = [params["x0"]] + family.solve(params)["iterates"]
        for here in points[:-1]:
            slope = (value([here[0] + 1e-6]) - value([here[0] - 1e-6])) / 2e-6
            assert abs(slope) > 0.2, params
        assert all(np.isfinite(value(p)) for p in points)
        assert abs(value(points[-1])) < abs(value(points[0]))


def test_x0_is_nice():
    for seed in range(100):
        for v in family.sample(generator(seed))["x0"]:
            assert float(v) * 4 == int(float(v) * 4), v


@pytest.mark.parametrize("options, goal, dims", [
    ({"goal": "root"}, {"root"}, {1}),
    ({"dims": 2}, {"minimize"}, {2}),
    ({"goal": "minimize", "dims": 1}, {"minimize"}, {1}),
    ({}, {"root", "minimize"}, {1, 2}),
])
def test_options_choose_goal_and_dimension(options, goal, dims):
    sampled = [family.sample(generator(seed), **options) for seed in range(60)]
    assert {p["goal"] for p in sampled} == goal
    assert {len(p["vars"]) for p in sampled} == dims


def test_steps_option_sets_the_number_of_iterates():
    params = family.sample(generator(3), steps=5)
    assert params["steps"] == 5 and len(family.solve(params)["iterates"]) == 5


@pytest.mark.parametrize("options, fragment", [
    ({"goal": "root", "dims": 2}, "goal=root needs dims=1"),
    ({"steps": 9}, "steps"),
    ({"dims": 3}, "dims"),
])
def test_impossible_options_are_named(options, fragment):
    with pytest.raises(OptionsError, match=fragment):
        family.sample(generator(0), **options)


def params(**changes):
    base = {"f": "x^2 - 2", "vars": ["x"], "x0": [1], "steps": 2, "goal": "root"}
    base.update(changes)
    return base


@pytest.mark.parametrize("given, fragment", [
    (params(f="x^2*y^2", vars=["x", "y"], x0=[0, 0], goal="minimize"),
     r"the Hessian is singular at x0 = \[0, 0\], so step 1 cannot be taken; choose another x0$"),
    (params(f="x^3", x0=0, goal="minimize"), r"f″\(x\) is zero at x0 = \[0\], so step 1"),
    (params(f="x^3 + 3*x", x0=1, goal="minimize"), r"f″\(x\) is zero at x1 = \[0\], so step 2 .*fewer steps"),
    (params(f="x^2 + 1", x0=0), r"f′\(x\) is zero at x0 = \[0\]"),
    (params(f="x^2 + y^2", vars=["x", "y"], x0=[1, 1]), "goal 'root' needs one variable"),
    (params(f="x^2 + z"), "unknown name 'z'"),
    (params(x0=[1, 2]), "'x0' must have 1 entries"),
    (params(f="x^2 + y", vars=["x", "y"], x0=3, goal="minimize"), "'x0' must have 2 entries"),
    (params(steps=0), "'steps' must be between 1 and 20"),
    (params(steps=21), "'steps' must be between 1 and 20"),
    (params(goal="maximize"), "'goal' must be one of root, minimize"),
    (params(vars=["x", "y", "z"]), "'vars' must name 1 or 2 variables"),
    (params(f="ln(x)", x0=3), r"step 1 leads to x1 = \[-0.29\d+\], where f or a derivative step 2 needs"),
    (params(f="ln(x) + x", x0=-1), r"not defined at x0 = \[-1\]"),
])
def test_bad_params_get_one_line_messages(given, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate(given)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("newton: ")


def diagnosed(given):
    checked = family.validate(given)
    reference = family.solve(checked)["iterates"]
    return reference, {k: v["iterates"] for k, v in family.diagnose(checked).items()}


def test_root_mistakes_on_a_hand_example():
    # x^2 - 2 from 1: inverted x - f'/f = 1 - 2/(-1) = 3, then 3 - 6/7; flipped 1 + (-1)/2, then 0.5 + 1.75
    reference, mistakes = diagnosed(params())
    assert set(mistakes) == {"newton.inverted_ratio", "newton.sign_flipped"}
    np.testing.assert_allclose(mistakes["newton.inverted_ratio"], [[3], [3 - 6 / 7]])
    np.testing.assert_allclose(mistakes["newton.sign_flipped"], [[0.5], [-1.25]])


def test_one_dimensional_minimization_mistakes_on_a_hand_example():
    # f = x^4 + 2x^2 - 4x at 0.5: f = -1.4375, f' = -1.5, f'' = 7
    reference, mistakes = diagnosed(params(f="x^4 + 2*x^2 - 4*x", x0=0.5, steps=1, goal="minimize"))
    assert reference == [[pytest.approx(0.5 + 1.5 / 7)]]
    expected = {
        "newton.hessian_not_inverse": 0.5 + 7 * 1.5,
        "newton.gradient_step": 2.0,
        "newton.root_formula_when_minimizing": 0.5 - 1.4375 / 1.5,
        "newton.inverted_ratio": 0.5 + 7 / 1.5,
        "newton.sign_flipped": 0.5 - 1.5 / 7,
    }
    assert set(mistakes) == set(expected)
    for mistake_id, x1 in expected.items():
        assert mistakes[mistake_id] == [[pytest.approx(x1)]], mistake_id


def test_two_dimensional_mistakes_on_a_hand_example():
    # f = x^2 + xy + 2y^2 - 3x at (1, 1): grad = (0, 5), H = [[2, 1], [1, 4]], H^-1 grad = (-5/7, 10/7)
    reference, mistakes = diagnosed(params(f="x^2 + x*y + 2*y^2 - 3*x", vars=["x", "y"], x0=[1, 1],
                                           steps=1, goal="minimize"))
    np.testing.assert_allclose(reference, [[12 / 7, -3 / 7]])
    assert set(mistakes) == {"newton.hessian_not_inverse", "newton.gradient_step", "newton.sign_flipped"}
    np.testing.assert_allclose(mistakes["newton.hessian_not_inverse"], [[-4, -19]])
    np.testing.assert_allclose(mistakes["newton.gradient_step"], [[1, -4]])
    np.testing.assert_allclose(mistakes["newton.sign_flipped"], [[2 / 7, 17 / 7]])


def test_mistake_that_leaves_the_domain_does_not_arise():
    # x^2 - 2 ln x from 2: x - f'(x) = 2 - 3 = -1, where ln is undefined
    _, mistakes = diagnosed(params(f="x^2 - 2*ln(x)", x0=2, steps=1, goal="minimize"))
    assert "newton.gradient_step" not in mistakes
    assert "newton.hessian_not_inverse" not in mistakes  # 2 - 2.5*3 < 0 too


def test_each_mistake_is_rejected_and_recognised_as_itself():
    spec = family.answers["iterates"]
    seen = set()
    for seed in range(100):
        checked = family.sample(generator(seed))
        reference = family.solve(checked)["iterates"]
        for mistake_id, buggy in family.diagnose(checked).items():
            seen.add(mistake_id)
            assert not answer_matches(spec, buggy["iterates"], reference), (mistake_id, checked)
    assert seen == {m.id for m in family.mistakes()}


@pytest.mark.parametrize("given, formula", [
    (params(), r"x_{k+1} = x_k - \frac{f(x_k)}{f'(x_k)}"),
    (params(f="x^2 - 2*ln(x)", x0=2, goal="minimize"), r"x_{k+1} = x_k - \frac{f'(x_k)}{f''(x_k)}"),
    (WORKED, r"\theta_{k+1} = \theta_k - H(\theta_k)^{-1}\,\nabla f(\theta_k)"),
])
def test_statement_states_the_update_and_the_answer_format(given, formula):
    checked = family.validate(given)
    text = family.statement(checked)
    assert formula in text and "`iterates`" in text
    assert f"Take {checked['steps']} Newton steps" in text
    for point in family.solve(checked)["iterates"]:
        for v in point:
            assert f"{v:.3f}" not in text and f"{v:.4g}" not in text


def test_statement_mentions_the_natural_log_only_when_f_has_one():
    assert "natural logarithm" in family.statement(family.validate(params(f="ln(x) + x - 3", x0=2)))
    assert "natural logarithm" not in family.statement(family.validate(params()))
