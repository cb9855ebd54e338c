"""The regularization family against independent oracles: the cost written out in numpy, its
gradient by central finite differences, ridge by least squares on an augmented system, and a
ridge step worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from hypothesis import given, settings
from hypothesis import strategies as st

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from tests.sweep import sweep

family = get_family("regularization")
RTOL, ATOL = 1e-6, 1e-7

# m = 2, ŷ = (1, 2), error (0, −1); J = 1/(2m)[Σ(ŷ − y)² + λw²] with λ = 1
HAND = {"X": [[1], [2]], "y": [1, 3], "w": [1], "b": 0, "lam": 1, "lr": 0.1}


def design(params) -> np.ndarray:
    X = np.asarray(params["X"], dtype=float)
    return np.hstack([X, np.ones((len(X), 1))])


def oracle_cost(params, theta) -> float:
    """J(θ) as the statement writes it, in numpy."""
    A, y = design(params), np.asarray(params["y"], dtype=float)
    m = len(y)
    c = 0.5 if params.get("scaling", "half_mean") == "half_mean" else 1.0
    seen = theta if params.get("penalise_bias", False) else theta[:-1]
    rho = {"l1": 1.0, "l2": 0.0, "elastic_net": params.get("l1_ratio", 0.5)}[params.get("penalty", "l2")]
    P = rho * np.sum(np.abs(seen)) + (1 - rho) * np.sum(seen ** 2)
    z = A @ theta
    if params.get("loss", "mse") == "log_loss":
        # −[y ln σ(z) + (1 − y) ln(1 − σ(z))] = ln(1 + e^z) − y·z, without rounding 1 − σ(z) to 0
        return float(np.mean(np.logaddexp(0, z) - y * z) + c * params["lam"] / m * P)
    return float(c / m * (np.sum((z - y) ** 2) + params["lam"] * P))


def finite_gradient(params, theta, h=1e-6) -> np.ndarray:
    """Central differences; at θ_j = 0 the difference of |θ_j| is 0, the stated sign(0) = 0."""
    out = np.zeros_like(theta)
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        out[j] = (oracle_cost(params, theta + e) - oracle_cost(params, theta - e)) / (2 * h)
    return out


def oracle_ridge(params) -> np.ndarray:
    """The least-squares solution of [A; √λ·D] θ ≈ [y; 0]."""
    A, y = design(params), np.asarray(params["y"], dtype=float)
    D = np.eye(A.shape[1])
    if not params.get("penalise_bias", False):
        D = D[:-1]
    stacked = np.vstack([A, np.sqrt(params["lam"]) * D])
    return np.linalg.lstsq(stacked, np.concatenate([y, np.zeros(len(D))]), rcond=None)[0]


def theta_of(params) -> np.ndarray:
    return np.array([*params["w"], params["b"]], dtype=float)


def test_a_ridge_step_and_the_ridge_solution_worked_by_hand():
    answers = family.solve(family.validate(HAND))
    # J = 1/4·(0 + 1) + 1/4·1 = 0.5; ∂J/∂w = 1/2·(0·1 − 1·2) + (λ/m)·w = −1 + 0.5; ∂J/∂b = −1/2
    assert answers["cost"] == pytest.approx(0.5)
    assert answers["grad_w"] == pytest.approx([-0.5]) and answers["grad_b"] == pytest.approx(-0.5)
    assert answers["updated"] == pytest.approx([1.05, 0.05])
    # (AᵀA + λD)θ = Aᵀy: [[6, 3], [3, 2]]θ = [7, 4] → θ = (2/3, 1)
    assert answers["ridge"] == pytest.approx([2 / 3, 1.0])


@pytest.mark.parametrize("count", sweep(300))
def test_answers_match_numpy_finite_differences_and_least_squares(count):
    kinds = set()
    for seed in range(count):
        bias = seed % 2 == 1
        params = family.sample(generator(seed), penalty="any", loss="any", scaling="any",
                               penalise_bias=bias)
        kinds.add((params["penalty"], params["loss"], params["scaling"], bias))
        answers, theta = family.solve(params), theta_of(params)
        grad = finite_gradient(params, theta)
        assert answers["cost"] == pytest.approx(oracle_cost(params, theta), rel=RTOL, abs=ATOL)
        assert answers["grad_w"] + [answers["grad_b"]] == pytest.approx(grad.tolist(), rel=1e-5, abs=1e-6)
        assert answers["updated"] == pytest.approx((theta - params["lr"] * grad).tolist(), rel=1e-5, abs=1e-6)
        if params["penalty"] == "l2" and params["loss"] == "mse":
            ridge = oracle_ridge(params)
            assert answers["ridge"] == pytest.approx(ridge.tolist(), rel=1e-6, abs=1e-8)
            assert np.abs(finite_gradient(params, ridge)).max() < 1e-5  # the minimiser indeed
        else:
            assert "ridge" not in answers
    assert len(kinds) >= min(12, count // 2)


def test_l1_at_zero_uses_sign_zero_equal_to_zero():
    params = family.validate({**HAND, "X": [[1, 0], [0, 1], [1, 1]], "y": [1, 2, 0], "w": [0, 1],
                              "penalty": "l1"})
    answers = family.solve(params)
    # ∂J/∂w1 is the data term alone: 1/m·Σ e_i x_i1 with e = (0 − 1, 1 − 2, 1 − 0)
    assert answers["grad_w"][0] == pytest.approx((-1 + 1) / 3)
    buggy = family.diagnose(params)["regularization.sign_zero_as_one"]
    assert buggy["grad_w"][0] == pytest.approx(0 + 0.5 / 3)   # c·λ/m·(+1)


def test_options_choose_the_conventions():
    for seed in range(30):
        params = family.sample(generator(seed), penalty="l1", loss="log_loss", scaling="mean",
                               penalise_bias=True, features=2)
        assert (params["penalty"], params["loss"], params["scaling"], params["penalise_bias"]) == \
            ("l1", "log_loss", "mean", True)
        assert set(params["y"]) == {0, 1} and len(params["w"]) == 2
        assert family.answer_names(params) == ["cost", "grad_w", "grad_b", "updated"]
    default = [family.sample(generator(s)) for s in range(60)]
    assert {p["penalty"] for p in default} == {"l1", "l2", "elastic_net"}
    assert {p["loss"] for p in default} == {"mse"} and not any(p["penalise_bias"] for p in default)
    with pytest.raises(OptionsError, match="penalty"):
        family.sample(generator(0), penalty="l3")


def bad(**changes):
    return {**HAND, **changes}


@pytest.mark.parametrize("given, fragment", [
    (bad(lam=0), "'lam' must be positive"),
    (bad(lam=-1), "'lam' must be positive"),
    (bad(penalty="l3"), "'penalty' must be one of"),
    (bad(l1_ratio=0.5), "'l1_ratio' goes with penalty 'elastic_net' only"),
    (bad(penalty="elastic_net", l1_ratio=1), "strictly between 0 and 1"),
    (bad(penalty="elastic_net", l1_ratio=2), r"must lie in \[0, 1\]"),
    (bad(loss="log_loss"), "every target in 'y' must be 0 or 1"),
    (bad(penalise_bias=1), "'penalise_bias' must be true or false"),
    (bad(w=[1, 2]), "'w' must have 1 entries"),
    (bad(scaling="sum"), "'scaling' must be one of"),
])
def test_bad_params_get_one_line_messages(given, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate(given)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("regularization: ")


def test_defaults_are_filled_in():
    params = family.validate(HAND)
    assert (params["penalty"], params["loss"], params["scaling"], params["penalise_bias"]) == \
        ("l2", "mse", "half_mean", False)
    assert family.validate(bad(penalty="elastic_net"))["l1_ratio"] == 0.5


def diagnosed(params, mistake):
    return family.diagnose(family.validate(params)).get(f"regularization.{mistake}")


def test_mistakes_on_the_hand_example():
    # dropped 1/m: λ/2·w² → J = 0.25 + 0.5, ∂J/∂w = −1 + 1, ridge solves [[7, 3], [3, 2]]θ = [7, 4]
    dropped = diagnosed(HAND, "dropped_mean")
    assert dropped["cost"] == pytest.approx(0.75) and dropped["grad_w"] == pytest.approx([0.0])
    assert dropped["ridge"] == pytest.approx([0.4, 1.4])
    # 2w without the ½: (2λ/m)·w = 1
    assert diagnosed(HAND, "penalty_factor")["grad_w"] == pytest.approx([0.0])
    assert diagnosed(HAND, "penalty_sign")["updated"] == pytest.approx([1.15, 0.05])
    # a penalised bias changes the ridge system to [[6, 3], [3, 3]]θ = [7, 4]
    assert diagnosed(HAND, "penalised_bias")["ridge"] == pytest.approx([1.0, 1 / 3])
    # w = 2: errors (1, 1), data term 1/4·2 = 0.5; λ/(2m)·‖w‖ = 0.5 where λ/(2m)·‖w‖² = 1
    assert diagnosed(bad(w=[2]), "norm_not_squared")["cost"] == pytest.approx(1.0)
    assert family.solve(family.validate(bad(w=[2])))["cost"] == pytest.approx(1.5)
    assert diagnosed(HAND, "sign_zero_as_one") is None  # no weight is zero


def test_penalty_factor_under_the_mean_scaling_drops_the_two():
    # J = 1/m[Σ(ŷ − y)² + λw²]: correct penalty gradient (2λ/m)w = 1, the mistake gives (λ/m)w = 0.5
    buggy = diagnosed(bad(scaling="mean"), "penalty_factor")
    right = family.solve(family.validate(bad(scaling="mean")))
    assert right["grad_w"][0] - buggy["grad_w"][0] == pytest.approx(0.5)


def test_mistakes_are_recognised_and_rejected_over_seeds():
    seen = set()
    for seed in range(150):
        params = family.sample(generator(seed), loss="any", scaling="any", penalise_bias=seed % 3 == 0)
        reference, specs = family.solve(params), family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            seen.add(mistake_id)
            assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items())
    assert seen == {m.id for m in family.mistakes()}


def test_statement_states_every_convention_and_hides_values():
    text = family.statement(family.validate(HAND))
    assert r"\frac{1}{2m}" in text and r"\lambda = 1" in text and "not penalised" in text
    assert "`ridge`" in text and "sign" not in text
    for name in ("cost", "grad_w", "grad_b", "updated"):
        assert f"`{name}`" in text
    assert "1.05" not in text and "0.666" not in text
    l1 = family.statement(family.validate(bad(penalty="l1", scaling="mean", penalise_bias=True)))
    assert r"\operatorname{sign}(0) = 0" in l1 and "The bias is penalised" in l1
    assert r"\frac{1}{m}\left[" in l1 and "`ridge`" not in l1
    log = family.statement(family.validate(bad(loss="log_loss", y=[0, 1])))
    assert r"\ln" in log and r"\frac{\lambda}{2m}" in log
    elastic = family.statement(family.validate(bad(penalty="elastic_net", l1_ratio=0.25)))
    assert r"0.25\," in elastic and r"0.75\," in elastic


HALVES = st.sampled_from([k / 2 for k in range(-6, 7)])


@settings(max_examples=50, deadline=None)
@given(data=st.data(), n=st.integers(1, 3), m=st.integers(2, 6),
       penalty=st.sampled_from(["l2", "l1", "elastic_net"]), loss=st.sampled_from(["mse", "log_loss"]),
       scaling=st.sampled_from(["half_mean", "mean"]), bias=st.booleans(),
       lam=st.sampled_from([0.1, 0.5, 1, 2.5, 10]), ratio=st.sampled_from([0.1, 0.5, 0.9]))
def test_explicit_params_match_finite_differences(data, n, m, penalty, loss, scaling, bias, lam, ratio):
    X = data.draw(st.lists(st.lists(HALVES, min_size=n, max_size=n), min_size=m, max_size=m))
    y = data.draw(st.lists(st.sampled_from([0, 1]) if loss == "log_loss" else HALVES, min_size=m, max_size=m))
    w = data.draw(st.lists(HALVES, min_size=n, max_size=n))
    given_params = {"X": X, "y": y, "w": w, "b": data.draw(HALVES), "lam": lam, "lr": 0.05,
                    "penalty": penalty, "loss": loss, "scaling": scaling, "penalise_bias": bias}
    if penalty == "elastic_net":
        given_params["l1_ratio"] = ratio
    params = family.validate(given_params)
    answers, theta = family.solve(params), theta_of(params)
    grad = finite_gradient(params, theta)
    assert answers["cost"] == pytest.approx(oracle_cost(params, theta), rel=RTOL, abs=ATOL)
    assert answers["grad_w"] + [answers["grad_b"]] == pytest.approx(grad.tolist(), rel=1e-5, abs=1e-5)
    if "ridge" in answers:
        assert answers["ridge"] == pytest.approx(oracle_ridge(params).tolist(), rel=1e-6, abs=1e-7)
