"""The sgd family against an independent numpy loop whose batch gradients come from central
finite differences of the batch loss, plus a hand-worked example, the mistakes and error
carried forward."""

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

family = get_family("sgd")
RTOL, ATOL = 1e-3, 1e-6

# order 3, 1, 2 in batches of 2 → steps on {3, 1} then {2}
HAND = {"X": [[1], [2], [3]], "y": [1, 2, 2], "w": [0], "b": 0, "lr": 0.1, "order": [3, 1, 2],
        "batch_size": 2}


def batch_loss(params, theta, batch, reduction) -> float:
    """Σ or mean over the batch of ½(ŷ − y)² or the log-loss, written out in numpy."""
    X = np.asarray(params["X"], dtype=float)[batch]
    y = np.asarray(params["y"], dtype=float)[batch]
    z = X @ theta[:-1] + theta[-1]
    if params.get("loss", "mse") == "log_loss":
        losses = np.logaddexp(0, z) - y * z
    else:
        losses = 0.5 * (z - y) ** 2
    return float(losses.mean() if reduction == "mean" else losses.sum())


def numeric_gradient(params, theta, batch, reduction, h=1e-6) -> np.ndarray:
    out = np.zeros_like(theta)
    for j in range(len(theta)):
        e = np.zeros_like(theta)
        e[j] = h
        out[j] = (batch_loss(params, theta + e, batch, reduction)
                  - batch_loss(params, theta - e, batch, reduction)) / (2 * h)
    return out


def oracle(params, *, order=None, reduction=None, full_batch=False, frozen=False):
    """(gradients, iterates) by a plain loop over the batches of the order, epoch after epoch."""
    order = np.asarray(params["order"] if order is None else order) - 1
    reduction = reduction or params.get("reduction", "mean")
    size, m = params["batch_size"], len(params["X"])
    theta = np.array([*params["w"], params["b"]], dtype=float)
    start = theta.copy()
    gradients, iterates = [], []
    for _ in range(params.get("epochs", 1)):
        for first in range(0, m, size):
            batch = np.arange(m) if full_batch else order[first:first + size]
            g = numeric_gradient(params, start if frozen else theta, batch, reduction)
            theta = theta - params["lr"] * g
            gradients.append(g.tolist())
            iterates.append(theta.tolist())
    return gradients, iterates


def close_lists(a, b, rel=1e-5, abs_=1e-6) -> bool:
    return len(a) == len(b) and all(np.allclose(u, v, rtol=rel, atol=abs_) for u, v in zip(a, b))


def test_the_hand_example():
    answers = family.solve(family.validate(HAND))
    # batch {3, 1}: errors (−2, −1) → mean gradient (−3.5, −1.5), θ = (0.35, 0.15)
    # batch {2}: ŷ = 0.85, error −1.15 → gradient (−2.3, −1.15), θ = (0.58, 0.265)
    assert close_lists(answers["gradients"], [[-3.5, -1.5], [-2.3, -1.15]])
    assert close_lists(answers["iterates"], [[0.35, 0.15], [0.58, 0.265]])


@pytest.mark.parametrize("count", sweep(300))
def test_answers_match_an_independent_numpy_loop(count):
    kinds = set()
    for seed in range(count):
        params = family.sample(generator(seed), batch_size="any", reduction="any", loss="any",
                               epochs=1 + seed % 2)
        kinds.add((params["batch_size"], params["reduction"], params["loss"], params["epochs"]))
        gradients, iterates = oracle(params)
        answers = family.solve(params)
        assert close_lists(answers["gradients"], gradients), params
        assert close_lists(answers["iterates"], iterates), params
    assert len(kinds) >= min(20, count // 2)


def test_mistakes_match_the_numpy_loop_with_the_same_slip():
    for seed in range(40):
        params = family.sample(generator(seed), reduction="any", loss="any")
        found = family.diagnose(params)
        expected = {
            "full_batch": oracle(params, full_batch=True),
            "reversed_order": oracle(params, order=params["order"][::-1]),
            "table_order": oracle(params, order=list(range(1, len(params["X"]) + 1))),
            "no_update_between": oracle(params, frozen=True),
        }
        if params["batch_size"] > 1:
            expected["other_reduction"] = oracle(
                params, reduction="sum" if params["reduction"] == "mean" else "mean")
        else:
            assert "sgd.other_reduction" not in found
        for name, (gradients, iterates) in expected.items():
            buggy = found[f"sgd.{name}"]
            assert close_lists(buggy["gradients"], gradients) and close_lists(buggy["iterates"], iterates)


def test_mistakes_are_recognised_and_rejected_over_seeds():
    seen = set()
    for seed in range(120):
        params = family.sample(generator(seed), reduction="any", loss="any")
        reference, specs = family.solve(params), family.answer_specs(params)
        for mistake_id, buggy in family.diagnose(params).items():
            seen.add(mistake_id)
            assert any(not answer_matches(specs[n], v, reference[n]) for n, v in buggy.items())
    assert seen == {m.id for m in family.mistakes()}


def test_options_choose_batch_reduction_loss_and_epochs():
    for seed in range(30):
        params = family.sample(generator(seed), batch_size=1, reduction="sum", loss="log_loss", epochs=2,
                               features=2)
        chosen = (params["batch_size"], params["reduction"], params["loss"], params["epochs"])
        assert chosen == (1, "sum", "log_loss", 2)
        assert len(family.solve(params)["iterates"]) == 2 * len(params["X"]) and len(params["w"]) == 2
        assert sorted(params["order"]) == list(range(1, len(params["X"]) + 1))
        assert params["order"] != sorted(params["order"])
    default = [family.sample(generator(s)) for s in range(60)]
    assert {p["batch_size"] for p in default} == {1, 2, 3}
    assert {p["reduction"] for p in default} == {"mean"} and {p["loss"] for p in default} == {"mse"}
    with pytest.raises(OptionsError, match="batch_size"):
        family.sample(generator(0), batch_size=4)


def bad(**changes):
    return {**HAND, **changes}


@pytest.mark.parametrize("given, fragment", [
    (bad(order=[1, 1, 2]), "must list each example number 1..3 exactly once"),
    (bad(order=[1, 2]), "'order' must be a list of 3 example numbers"),
    (bad(order=[1, 2, 4]), "'order' must be between 1 and 3"),
    (bad(batch_size=4), "'batch_size' must be between 1 and 3"),
    (bad(batch_size=0), "'batch_size' must be between 1 and 3"),
    (bad(epochs=9), "'epochs' must be between 1 and 5"),
    (bad(reduction="median"), "'reduction' must be one of"),
    (bad(loss="log_loss"), "every target in 'y' must be 0 or 1"),
    (bad(lr=50, epochs=5), "diverge"),
])
def test_bad_params_get_one_line_messages(given, fragment):
    with pytest.raises(ParamsError, match=fragment) as caught:
        family.validate(given)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("sgd: ")


def test_carry_forward_follows_the_students_own_points_with_each_batch():
    params = family.validate(HAND)
    spec = family.answers["iterates"]
    slipped = [0.4, 0.1]  # the reference is (0.35, 0.15)
    # step 2 uses example 2 (x = 2, y = 2) from the student's point: ŷ = 0.9, error −1.1
    follow = [slipped[0] + 0.1 * 2.2, slipped[1] + 0.1 * 1.1]
    student = {"iterates": [slipped, follow]}
    carried = family.carry_forward(params, "iterates", student, spec)
    assert carried.expected[0] == pytest.approx([0.35, 0.15])
    assert carried.expected[1] == pytest.approx(follow) and carried.stationary == [False, False]
    for_gradients = family.carry_forward(params, "gradients", student, family.answers["gradients"])
    assert for_gradients.expected[1] == pytest.approx([-2.2, -1.1])


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_any_number_of_points_is_followed_up_to_the_number_of_steps(count):
    params = family.validate(HAND)  # two steps
    points = [[0.35, 0.15], [0.58, 0.265], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]][:count]
    carried = family.carry_forward(params, "iterates", {"iterates": points}, family.answers["iterates"])
    assert len(carried.expected) == min(count, 2)
    assert carried.expected[0] == pytest.approx([0.35, 0.15])


def test_a_point_too_large_to_step_from_gives_nothing_to_carry():
    params = family.validate(HAND)
    carried = family.carry_forward(params, "iterates", {"iterates": [[1e308, 1e308], [0.0, 0.0]]},
                                   family.answers["iterates"])
    assert carried.expected[0] == pytest.approx([0.35, 0.15]) and carried.expected[1] is None


def test_only_the_iterates_may_start_with_the_given_point():
    params = family.validate(HAND)
    assert family.iterates_start(params, "iterates") == [0.0, 0.0]
    assert family.iterates_start(params, "gradients") is None


def test_a_point_where_the_batch_gradient_vanishes_keeps_no_carried_credit():
    params = family.validate({**HAND, "order": [1, 2, 3], "batch_size": 1})
    # step 2 uses example 2 (x = 2, y = 2): any θ with 2w + b = 2 fits it exactly
    typed = [[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]
    carried = family.carry_forward(params, "iterates", {"iterates": typed}, family.answers["iterates"])
    assert carried.stationary == [False, True, False]


def test_statement_states_order_batches_reduction_and_hides_values():
    text = family.statement(family.validate(HAND))
    for fragment in ("**3, 1, 2**", "batches of **2**", "**mean**", r"\frac{1}{|B|}", "2 steps",
                     r"\tfrac{1}{2}", "the last batch is smaller", "`gradients`", "`iterates`"):
        assert fragment in text, fragment
    assert "0.35" not in text and "0.58" not in text
    summed = family.statement(family.validate(bad(reduction="sum", epochs=2)))
    assert "**sum**" in summed and r"\frac{1}{|B|}" not in summed and "2 passes" in summed
    one = family.statement(family.validate(bad(batch_size=1, loss="log_loss", y=[0, 1, 0])))
    assert "stochastic gradient descent" in one and "3 steps" in one and r"\ln" in one


HALVES = st.sampled_from([k / 2 for k in range(-6, 7)])


@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(1, 3), m=st.integers(2, 6), loss=st.sampled_from(["mse", "log_loss"]),
       reduction=st.sampled_from(["mean", "sum"]))
def test_one_batch_of_everything_is_one_full_batch_gradient_step(data, n, m, loss, reduction):
    X = data.draw(st.lists(st.lists(HALVES, min_size=n, max_size=n), min_size=m, max_size=m))
    y = data.draw(st.lists(st.sampled_from([0, 1]) if loss == "log_loss" else HALVES, min_size=m, max_size=m))
    w, b = data.draw(st.lists(HALVES, min_size=n, max_size=n)), data.draw(HALVES)
    order = data.draw(st.permutations(range(1, m + 1)))
    params = family.validate({"X": X, "y": y, "w": w, "b": b, "lr": 0.01, "order": list(order),
                              "batch_size": m, "loss": loss, "reduction": reduction})
    A = np.hstack([np.asarray(X, dtype=float), np.ones((m, 1))])
    z = A @ np.array([*w, b], dtype=float)
    predictions = 1 / (1 + np.exp(-z)) if loss == "log_loss" else z
    g = A.T @ (predictions - np.asarray(y, dtype=float))
    g = g / m if reduction == "mean" else g
    answers = family.solve(params)
    assert close_lists(answers["gradients"], [g.tolist()])
    assert close_lists(answers["iterates"], [(np.array([*w, b]) - 0.01 * g).tolist()])
