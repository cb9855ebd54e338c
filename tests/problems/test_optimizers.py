"""The optimizers family: options, validation messages, carried-forward steps and each
mistake on a hand example."""

from __future__ import annotations

import numpy as np
import pytest

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from ..sweep import sweep
from calcgrade.solutions.optimizers import OPTIMIZERS

family = get_family("optimizers")
BASE = {"A": [[1, 0], [0, 2]], "b": [1, 0], "x0": [0, 1], "lr": 0.1, "steps": 2}


def hand(**changes):
    return family.validate({**BASE, **changes})


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_option_optimizer_picks_one_and_the_state_has_its_size(name):
    for seed in range(10):
        params = family.sample(generator(seed), optimizer=name, steps=3)
        answers = family.solve(params)
        assert params["optimizer"] == name and len(answers["iterates"]) == 3
        n = len(params["A"])
        assert len(answers["state"]) == (2 * n if name == "adam" else n) and len(params["x0"]) == n
        assert ("beta" in params) == (name in ("momentum", "nesterov", "rmsprop"))
        text = family.statement(params)
        assert "`iterates`" in text and "`state`" in text


def test_momentum_form_option_and_default():
    assert {family.sample(generator(s), optimizer="momentum")["form"] for s in range(10)} == {"sum"}
    assert {family.sample(generator(s), optimizer="momentum", form="average")["form"]
            for s in range(10)} == {"average"}
    text = family.statement(hand(optimizer="momentum", beta=0.9, form="average"))
    assert r"(1 - \beta)\,\nabla f(\theta)" in text


def test_default_sampling_covers_every_optimizer_and_step_count():
    sampled = [family.sample(generator(s)) for s in range(80)]
    assert {p["optimizer"] for p in sampled} == set(OPTIMIZERS)
    assert {p["steps"] for p in sampled} == {1, 2, 3}
    assert {len(p["A"]) for p in sampled} == {2, 3}
    for params in sampled:
        a = np.asarray(params["A"])
        assert (a == a.T).all() and np.linalg.eigvalsh(a)[0] > 0


def test_adam_statement_states_the_convention():
    text = family.statement(hand(optimizer="adam"))
    assert r"\beta_1 = 0.9" in text and r"\beta_2 = 0.999" in text and "outside the square root" in text
    assert "[m_1, m_2, v_1, v_2]" in text


@pytest.mark.parametrize("changes, fragment", [
    ({"optimizer": "sgd"}, "'optimizer' must be one of"),
    ({"optimizer": "momentum"}, "'beta' is missing"),
    ({"optimizer": "momentum", "beta": 1.0}, r"'beta' must lie in \[0, 1\)"),
    ({"optimizer": "adam", "beta": 0.9}, "Adam uses β1 = 0.9"),
    ({"optimizer": "rmsprop", "beta": 0.9, "form": "sum"}, "'form' belongs to momentum only"),
    ({"optimizer": "momentum", "beta": 0.9, "form": "ema"}, "'form' must be one of sum, average"),
    ({"optimizer": "adagrad", "A": [[1, 2], [0, 1]]}, "must be symmetric"),
    ({"optimizer": "adagrad", "A": [[1, 2], [2, 1]]}, "must be positive definite"),
    ({"optimizer": "adagrad", "A": [[1, 0], [0, 1], [0, 0]]}, "must be square"),
    ({"optimizer": "adagrad", "b": [1]}, "'b' must have 2 entries"),
    ({"optimizer": "adagrad", "lr": 0}, "'lr' must be positive"),
    ({"optimizer": "adagrad", "steps": 0}, "'steps' must be between 1"),
    ({"optimizer": "momentum", "beta": 0.9, "lr": 5, "steps": 10}, "choose a smaller lr"),
    ({"optimizer": "momentum", "beta": 0.9, "steps": 1}, "plain gradient-descent step; give steps of 2"),
    ({"optimizer": "nesterov", "beta": 0.9, "steps": 1}, "plain gradient-descent step; give steps of 2"),
])
def test_bad_params_are_named(changes, fragment):
    with pytest.raises(ParamsError, match=fragment):
        hand(**changes)


def diagnosed(params, mistake):
    return family.diagnose(params)[f"optimizers.{mistake}"]


def test_adam_without_bias_correction():
    params = family.validate({"optimizer": "adam", "A": [[2, 0], [0, 4]], "b": [0, 0], "x0": [1, 1],
                              "lr": 0.1, "steps": 1})
    np.testing.assert_allclose(diagnosed(params, "adam_no_bias_correction")["iterates"],
                               [[1 - 0.1 * 0.2 / 0.004**0.5, 1 - 0.1 * 0.4 / 0.016**0.5]], rtol=1e-7)
    np.testing.assert_allclose(diagnosed(params, "missing_square_root")["iterates"], [[0.95, 0.975]],
                               rtol=1e-7)


def test_rmsprop_without_square_root():
    params = family.validate({"optimizer": "rmsprop", "A": [[1, 0], [0, 1]], "b": [0, 0],
                              "x0": [1, -2], "lr": 0.01, "beta": 0.9, "steps": 1})
    np.testing.assert_allclose(diagnosed(params, "missing_square_root")["iterates"], [[0.9, -1.95]],
                               rtol=1e-7)


def test_momentum_of_the_other_form_and_ignored_momentum():
    params = hand(optimizer="momentum", beta=0.9)
    other = diagnosed(params, "momentum_other_form")
    np.testing.assert_allclose(other["iterates"], [[0.01, 0.98], [0.0289, 0.9424]], rtol=1e-9)
    np.testing.assert_allclose(other["state"], [-0.189, 0.376], rtol=1e-9)
    np.testing.assert_allclose(diagnosed(params, "ignored_momentum")["iterates"],
                               [[0.1, 0.8], [0.19, 0.64]], rtol=1e-9)


def test_nesterov_without_lookahead_is_plain_momentum():
    params = hand(optimizer="nesterov", beta=0.9)
    buggy = diagnosed(params, "nesterov_without_lookahead")
    np.testing.assert_allclose(buggy["iterates"], [[0.1, 0.8], [0.28, 0.46]], rtol=1e-9)


def test_carry_forward_rebuilds_the_state_along_the_students_points():
    params = hand(optimizer="momentum", beta=0.9)
    spec = family.answers["iterates"]
    student = {"iterates": [[0.2, 0.8], [0.0, 0.0]]}  # first point wrong
    carried = family.carry_forward(params, "iterates", student, spec)
    # from the student's [0.2, 0.8] with v1 = (−1, 2): g = (−0.8, 1.6), v2 = (−1.7, 3.4)
    np.testing.assert_allclose(carried.expected[0], [0.1, 0.8])
    np.testing.assert_allclose(carried.expected[1], [0.37, 0.46])
    assert carried.stationary == [False, False]
    broken = family.carry_forward(params, "iterates", {"iterates": ["x", [0, 0]]}, spec)
    assert broken.expected[1] is None
    assert family.carry_forward(params, "state", student, family.answers["state"]) is None


def test_momentum_and_nesterov_take_at_least_two_steps():
    for seed in range(60):
        for name in ("momentum", "nesterov"):
            assert family.sample(generator(seed), optimizer=name)["steps"] in (2, 3)
        assert family.sample(generator(seed), steps=1)["optimizer"] in ("adagrad", "rmsprop", "adam")
    with pytest.raises(OptionsError, match="steps=1 does not go with optimizer=nesterov"):
        family.sample(generator(0), optimizer="nesterov", steps=1)


def test_matrices_are_mostly_non_diagonal_and_sometimes_three_by_three():
    sampled = [family.sample(generator(s)) for s in range(200)]
    off = [any(p["A"][i][j] for i in range(len(p["A"])) for j in range(i)) for p in sampled]
    assert sum(off) > 0.6 * len(sampled)
    assert 0.05 * len(sampled) < sum(len(p["A"]) == 3 for p in sampled) < 0.5 * len(sampled)
    assert {len(family.sample(generator(s), variables=3)["b"]) for s in range(10)} == {3}


VELOCITY_MISTAKES = {"momentum": ("momentum_other_form", "ignored_momentum"),
                     "nesterov": ("ignored_momentum", "nesterov_without_lookahead")}


@pytest.mark.parametrize("count", sweep(300))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_no_sampled_variant_has_a_mistake_that_coincides_with_the_answer(name, count):
    """Every mistake that applies to the optimizer arises on every sampled variant and makes
    some step (or the state) wrong beyond the tolerance."""
    for seed in range(count):
        params = family.sample(generator(seed), optimizer=name)
        reference = family.solve(params)
        diagnosed_ = family.diagnose(params)
        for mistake in VELOCITY_MISTAKES.get(name, ()):
            assert f"optimizers.{mistake}" in diagnosed_, (mistake, params)
        assert diagnosed_, params
        for mistake_id, buggy in diagnosed_.items():
            assert any(not answer_matches(family.answers[part], value, reference[part])
                       for part, value in buggy.items()), (mistake_id, params)
            if "iterates" in buggy:  # and a step is wrong, not only the state
                steps = zip(buggy["iterates"], reference["iterates"])
                assert any(not np.allclose(b, r, rtol=1e-3, atol=1e-6) for b, r in steps), mistake_id


def _numpy_momentum(params):
    """Momentum (sum form) and Nesterov written apart from the solver, as matrix products."""
    A, b = np.array(params["A"], float), np.array(params["b"], float)
    theta, v, out = np.array(params["x0"], float), np.zeros(len(b)), []
    lr, beta = params["lr"], params["beta"]
    for _ in range(params["steps"]):
        at = theta - lr * beta * v if params["optimizer"] == "nesterov" else theta
        scale = 1 - beta if params.get("form") == "average" else 1
        v = beta * v + scale * (A @ at - b)
        theta = theta - lr * v
        out.append(theta.tolist())
    return out, v.tolist()


@pytest.mark.parametrize("count", sweep(300))
def test_momentum_and_nesterov_on_non_diagonal_matrices_match_numpy(count):
    for seed in range(count):
        for name in ("momentum", "nesterov"):
            params = family.sample(generator(seed), optimizer=name, form="any")
            iterates, velocity = _numpy_momentum(params)
            answers = family.solve(params)
            np.testing.assert_allclose(answers["iterates"], iterates, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(answers["state"], velocity, rtol=1e-12, atol=1e-12)
