"""Learning-rate schedules against independent step-by-step recurrences and worked examples."""

from __future__ import annotations

import math

import pytest

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import schedules as sc


def recurrence(params, last):
    """α_0 … α_last by updating the rate one step at a time, as a scheduler object does
    (PyTorch-style chainable forms), never through the closed forms."""
    lr0 = params["lr0"]
    out = [lr0]
    inverse = 1.0 / lr0
    for t in range(1, last + 1):
        previous = out[-1]
        kind = params["schedule"]
        if kind == "time":  # 1/α_t grows by k/α0 each step
            inverse += params["k"] / lr0
            out.append(1.0 / inverse)
        elif kind == "exponential":  # multiplied by e^(−k) each step
            out.append(previous * math.exp(-params["k"]))
        elif kind == "step":  # multiplied by γ when a period of s steps ends
            out.append(previous * params["gamma"] if t % params["step_size"] == 0 else previous)
        else:  # CosineAnnealingLR's recursive form
            lo, total = params["lr_min"], params["total"]
            ratio = (1 + math.cos(math.pi * t / total)) / (1 + math.cos(math.pi * (t - 1) / total))
            out.append(lo + (previous - lo) * ratio)
    return out


def test_sampled_answers_match_the_recurrences_over_seeds():
    family = get_family("lr_schedules")
    seen = set()
    for seed in range(240):
        params = family.sample(generator(seed))
        seen.add(params["schedule"])
        last = max([params["t"]] + params["steps"])
        if params["schedule"] == "cosine":
            last = min(last, params["total"])
        history = recurrence(params, last)
        answers = family.solve(params)
        if params["t"] <= last:
            assert answers["rate"] == pytest.approx(history[params["t"]], rel=1e-9, abs=1e-12)
        for t, got in zip(params["steps"], answers["rates"]):
            if t < len(history):
                assert got == pytest.approx(history[t], rel=1e-9, abs=1e-12), params
    assert seen == set(sc.SCHEDULES)


@pytest.mark.parametrize("schedule, t, constants, expected", [
    ("time", 2, {"lr0": 0.1, "k": 0.5}, 0.05),
    ("time", 0, {"lr0": 0.3, "k": 2.0}, 0.3),
    ("exponential", 3, {"lr0": 1.0, "k": math.log(2)}, 0.125),
    ("exponential", 10, {"lr0": 0.5, "k": 0.1}, 0.5 / math.e),
    ("step", 25, {"lr0": 0.1, "gamma": 0.5, "step_size": 10}, 0.025),
    ("step", 9, {"lr0": 0.1, "gamma": 0.5, "step_size": 10}, 0.1),
    ("step", 10, {"lr0": 0.1, "gamma": 0.5, "step_size": 10}, 0.05),
    ("cosine", 50, {"lr0": 0.1, "lr_min": 0.0, "total": 100}, 0.05),
    ("cosine", 100, {"lr0": 0.1, "lr_min": 0.01, "total": 100}, 0.01),
    ("cosine", 0, {"lr0": 0.1, "lr_min": 0.01, "total": 100}, 0.1),
    ("cosine", 25, {"lr0": 1.0, "lr_min": 0.0, "total": 100}, 0.5 + 0.5 * math.sqrt(0.5)),
])
def test_worked_examples(schedule, t, constants, expected):
    assert sc.rate(schedule, t, **constants) == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_rates_are_the_rate_at_each_step_and_decrease():
    constants = {"lr0": 0.8, "gamma": 0.25, "step_size": 2}
    assert sc.rates("step", [0, 1, 2, 3, 4], **constants) == [0.8, 0.8, 0.2, 0.2, 0.05]
    cosine = sc.rates("cosine", range(11), lr0=0.4, lr_min=0.1, total=10)
    assert all(a > b for a, b in zip(cosine, cosine[1:]))


def test_unknown_schedule_is_an_error():
    with pytest.raises(ValueError, match="unknown schedule"):
        sc.rate("linear", 1, lr0=0.1)
