"""The lr_schedules family: options, validation messages and each mistake on a hand example."""

from __future__ import annotations

import pytest

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions.schedules import SCHEDULES

family = get_family("lr_schedules")


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_option_schedule_picks_one(schedule):
    for seed in range(10):
        params = family.sample(generator(seed), schedule=schedule, count=6)
        assert params["schedule"] == schedule and len(params["steps"]) == 6
        assert params["steps"] == sorted(set(params["steps"]))
        text = family.statement(params)
        assert "`rate`" in text and "`rates`" in text


def test_every_schedule_occurs_by_default_and_rates_stay_readable():
    seen = set()
    for seed in range(60):
        params = family.sample(generator(seed))
        seen.add(params["schedule"])
        answers = family.solve(params)
        assert min([answers["rate"]] + answers["rates"]) >= 1e-4
    assert seen == set(SCHEDULES)


def test_statement_does_not_give_away_answers():
    params = family.validate({"schedule": "time", "lr0": 0.1, "k": 0.5, "t": 2, "steps": [0, 1, 3]})
    text = family.statement(params)
    assert r"\frac{\alpha_0}{1 + k\,t}" in text and "t = 0" in text
    assert "0.05" not in text and "0.04" not in text


def test_bad_option_is_named():
    with pytest.raises(OptionsError, match="schedule"):
        family.sample(generator(0), schedule="linear")


@pytest.mark.parametrize("params, fragment", [
    ({"schedule": "time", "lr0": 0.1, "t": 1, "steps": [0]}, "'k' is missing"),
    ({"schedule": "time", "lr0": 0.1, "k": 1, "gamma": 0.5, "t": 1, "steps": [0]},
     "'gamma' does not belong to the time schedule"),
    ({"schedule": "step", "lr0": 0.1, "gamma": 1.5, "step_size": 2, "t": 1, "steps": [0]},
     r"'gamma' must lie in \(0, 1\)"),
    ({"schedule": "step", "lr0": 0.1, "gamma": 0.5, "step_size": 0, "t": 1, "steps": [0]},
     "'step_size' must be between 1"),
    ({"schedule": "cosine", "lr0": 0.1, "lr_min": 0.2, "total": 10, "t": 1, "steps": [0]},
     "'lr_min' must be below lr0"),
    ({"schedule": "cosine", "lr0": 0.1, "lr_min": 0, "total": 10, "t": 11, "steps": [0]},
     "'t' must be between 0 and 10"),
    ({"schedule": "exponential", "lr0": -0.1, "k": 1, "t": 1, "steps": [0]}, "'lr0' must be positive"),
    ({"schedule": "exponential", "lr0": 0.1, "k": 1, "t": 1, "steps": []}, "'steps' must be a list"),
    ({"schedule": "exponential", "lr0": 0.1, "k": 1, "t": 1, "steps": [0.5]}, "'steps' must be a whole"),
    ({"schedule": "linear", "lr0": 0.1, "t": 1, "steps": [0]}, "'schedule' must be one of"),
    ({"schedule": "time", "lr0": 0.1, "k": 1, "t": 1}, "'steps' is missing"),
])
def test_bad_params_are_named(params, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate(params)


def test_step_without_floor():
    params = family.validate({"schedule": "step", "lr0": 0.1, "gamma": 0.25, "step_size": 2,
                              "t": 1, "steps": [0, 1, 2]})
    assert family.solve(params) == {"rate": 0.1, "rates": [0.1, 0.1, 0.025]}
    buggy = family.diagnose(params)["lr_schedules.step_without_floor"]
    assert buggy["rate"] == pytest.approx(0.05)
    assert buggy["rates"] == pytest.approx([0.1, 0.05, 0.025])


def test_off_by_one():
    params = family.validate({"schedule": "time", "lr0": 0.1, "k": 1, "t": 1, "steps": [0, 3]})
    buggy = family.diagnose(params)["lr_schedules.off_by_one"]
    assert buggy["rate"] == pytest.approx(0.1 / 3)
    assert buggy["rates"] == pytest.approx([0.05, 0.02])


def test_cosine_without_half():
    params = family.validate({"schedule": "cosine", "lr0": 0.1, "lr_min": 0, "total": 10,
                              "t": 5, "steps": [0, 10]})
    assert family.solve(params)["rate"] == pytest.approx(0.05)
    buggy = family.diagnose(params)["lr_schedules.cosine_without_half"]
    assert buggy["rate"] == pytest.approx(0.1)
    assert buggy["rates"] == pytest.approx([0.2, 0.0])


def test_kt_in_numerator_and_mistakes_only_for_their_schedule():
    params = family.validate({"schedule": "time", "lr0": 0.1, "k": 0.5, "t": 2, "steps": [0, 2]})
    found = family.diagnose(params)
    assert found["lr_schedules.kt_in_numerator"]["rate"] == pytest.approx(0.2)
    assert "lr_schedules.step_without_floor" not in found
    assert "lr_schedules.cosine_without_half" not in found
