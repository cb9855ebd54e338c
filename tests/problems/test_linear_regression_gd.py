"""The linear_regression_gd family: options, validation messages, mistakes, carry-forward."""

from __future__ import annotations

import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.sweep import sweep

family = get_family("linear_regression_gd")
HAND = {"X": [[1], [2], [3]], "y": [2, 4, 6], "w": [0], "b": 0, "lr": 0.1, "steps": 1}


def test_options_choose_scaling_features_and_steps():
    sampled = [family.sample(generator(s), scaling="mean", features=2, steps=3) for s in range(30)]
    assert {p["scaling"] for p in sampled} == {"mean"}
    assert {len(p["X"][0]) for p in sampled} == {2}
    assert all(len(family.solve(p)["iterates"]) == 3 and len(p["w"]) == 2 for p in sampled)
    default = [family.sample(generator(s)) for s in range(60)]
    assert {p["scaling"] for p in default} == {"half_mean"}
    assert {len(p["X"][0]) for p in default} == {1, 2}
    assert {len(p["X"]) for p in default} == {3, 4, 5}
    both = {family.sample(generator(s), scaling="any")["scaling"] for s in range(40)}
    assert both == {"half_mean", "mean"}


def test_scaling_defaults_to_half_mean():
    assert family.validate(HAND)["scaling"] == "half_mean"


def bad(**changes):
    out = dict(HAND)
    out.update(changes)
    return out


@pytest.mark.parametrize("given, fragment", [
    (bad(X=[[1], [1], [1]]), "linearly dependent"),
    (bad(X=[[1, 2], [3]]), "every row of 'X' must have 2 entries"),
    (bad(X=[1, 2, 3]), "'X' must be a list of rows"),
    (bad(X=[[1]]), "'X' must have 2 to 10 rows"),
    (bad(y=[1, 2]), "'y' must have 3 entries"),
    (bad(w=[1, 2]), "'w' must have 1 entries"),
    (bad(lr=0), "'lr' must be positive"),
    (bad(steps=0), "'steps' must be between 1 and 20"),
    (bad(scaling="sum"), "'scaling' must be one of half_mean, mean"),
    (bad(lr=5, steps=20), "diverge"),
])
def test_bad_params_get_one_line_messages(given, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate(given)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("linear_regression_gd: ")


def test_each_mistake_on_the_hand_example():
    # error at the start (-2, -4, -6); J = 56/6, ∂J/∂w = -28/3, ∂J/∂b = -4
    mistakes = family.diagnose(family.validate(HAND))
    forgot = mistakes["linear_regression_gd.forgot_mean"]
    assert forgot["cost"] == pytest.approx(28) and forgot["grad_w"] == pytest.approx([-28])
    assert forgot["grad_b"] == pytest.approx(-12) and forgot["iterates"] == [pytest.approx([2.8, 1.2])]
    uphill = mistakes["linear_regression_gd.uphill"]
    assert uphill["grad_w"] == pytest.approx([28 / 3]) and uphill["iterates"] == [pytest.approx([-2.8 / 3, -0.4])]
    other = mistakes["linear_regression_gd.other_scaling"]
    assert other["cost"] == pytest.approx(56 / 3) and other["grad_b"] == pytest.approx(-8)
    assert other["iterates"] == [pytest.approx([5.6 / 3, 0.8])]
    assert mistakes["linear_regression_gd.dropped_bias_update"]["iterates"] == [pytest.approx([2.8 / 3, 0])]


def test_other_scaling_halves_under_the_mean_cost():
    mistakes = family.diagnose(family.validate(bad(scaling="mean")))
    other = mistakes["linear_regression_gd.other_scaling"]
    assert other["cost"] == pytest.approx(56 / 6) and other["grad_w"] == pytest.approx([-28 / 3])


def test_mistakes_are_recognised_and_rejected_over_seeds():
    seen = set()
    for seed in range(100):
        params = family.sample(generator(seed), scaling="any", answer="code" if seed % 4 == 0 else "values")
        reference = family.solve(params)
        specs = family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            seen.add(mistake_id)
            assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items())
    assert seen == {m.id for m in family.mistakes()}


def test_carry_forward_steps_from_the_students_own_point():
    params = family.validate(bad(steps=2))
    spec = family.answers["iterates"]
    carried = family.carry_forward(params, "iterates", {"iterates": [[1.0, 0.0], [9, 9]]}, spec)
    # from (w, b) = (1, 0): error (-1, -2, -3), ∂J/∂w = -14/3, ∂J/∂b = -2
    assert carried.expected[0] == pytest.approx([2.8 / 3, 0.4])
    assert carried.expected[1] == pytest.approx([1 + 1.4 / 3, 0.2])


def test_statement_states_the_cost_names_answers_and_hides_values():
    params = family.validate(HAND)
    text = family.statement(params)
    assert r"\frac{1}{2m}" in text and r"\theta \leftarrow \theta - \alpha" in text
    assert r"\hat y_i - y_i" in text
    for name in family.answers:
        assert f"`{name}`" in text
    assert "0.933" not in text and "9.33" not in text
    assert r"J(\mathbf{w}, b) = \frac{1}{m}" in family.statement(family.validate(bad(scaling="mean")))


@pytest.mark.parametrize("count", sweep(200))
def test_code_cases_agree_with_finite_differences_of_the_cost(count):
    """The ``cost`` cases against J written out here, the ``gradient`` cases against
    central differences of that J."""
    import numpy as np

    def J(X, y, theta, c):
        X, y, theta = (np.asarray(a, dtype=float) for a in (X, y, theta))
        return c / len(y) * sum((float(row @ theta[:-1]) + theta[-1] - t) ** 2 for row, t in zip(X, y))

    for seed in range(count):
        params = family.sample(generator(seed), scaling="any", answer="code")
        c = {"half_mean": 0.5, "mean": 1.0}[params["scaling"]]
        answers = family.solve(params)
        for cost_case, gradient_case in zip(answers["cost"], answers["gradient"]):
            X, y, theta = cost_case["args"]
            assert cost_case["expected"] == pytest.approx(J(X, y, theta, c), rel=1e-12, abs=1e-12)
            h = 1e-5
            numeric = [(J(X, y, np.add(theta, h * e), c) - J(X, y, np.subtract(theta, h * e), c)) / (2 * h)
                       for e in np.eye(len(theta))]
            assert gradient_case["expected"] == pytest.approx(numeric, rel=1e-6, abs=1e-6)
