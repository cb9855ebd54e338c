"""``lr_schedules``: the learning rate of a decay schedule at one step and at a list of steps.

Schedules (solutions/schedules.py): time-based α0/(1 + k t), exponential α0·e^(−k t),
step α0·γ^⌊t/s⌋ and cosine α_min + ½(α0 − α_min)(1 + cos(π t/T)); steps count from 0.

>>> family = LRSchedulesFamily()
>>> params = family.validate({"schedule": "step", "lr0": 0.1, "gamma": 0.5, "step_size": 3,
...                           "t": 7, "steps": [0, 2, 3, 6]})
>>> family.solve(params)
{'rate': 0.025, 'rates': [0.1, 0.1, 0.05, 0.025]}
"""

from __future__ import annotations

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, Integer, ListOf, Number
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import schedules as sc

MAX_STEP = 100_000
SMALLEST_RATE = 1e-4  # sampled rates stay above this, far from the absolute tolerance
GAMMAS = (0.1, 0.2, 0.25, 0.5, 0.8, 0.9)
TOTALS = (10, 20, 40, 50, 100, 200)
BASE = ("schedule", "lr0", "t", "steps")
# a step counted from 0, up to the cosine schedule's length T when it has one
STEP = Integer(0, lambda params: params.get("total", MAX_STEP), after=("total",), shown="whole number >= 0")


def _constants(params) -> dict:
    return {name: params[name] for name in ("lr0",) + sc.CONSTANTS[params["schedule"]]}


def _solve_with(params, rate) -> dict:
    return {"rate": rate(params["t"]), "rates": [rate(t) for t in params["steps"]]}


def _reference(params) -> dict:
    constants = _constants(params)
    return _solve_with(params, lambda t: sc.rate(params["schedule"], t, **constants))


def _no_floor(params):
    if params["schedule"] != "step":
        return None
    lr0, gamma, s = params["lr0"], params["gamma"], params["step_size"]
    return _solve_with(params, lambda t: lr0 * gamma ** (t / s))


def _off_by_one(params):
    constants = _constants(params)
    return _solve_with(params, lambda t: sc.rate(params["schedule"], t + 1, **constants))


def _cosine_no_half(params):
    if params["schedule"] != "cosine":
        return None
    lo, hi, total = params["lr_min"], params["lr0"], params["total"]
    return _solve_with(params, lambda t: lo + (hi - lo) * (1 + np.cos(np.pi * t / total)))


def _kt_in_numerator(params):
    if params["schedule"] != "time":
        return None
    lr0, k = params["lr0"], params["k"]
    return _solve_with(params, lambda t: lr0 * (1 + k * t))


def _distinct_steps(rng, count: int, last: int) -> list[int]:
    if last + 1 < count:
        raise Reject("too few steps to list")
    return sorted(int(v) for v in rng.choice(last + 1, size=count, replace=False))


class LRSchedulesFamily(Family):
    name = "lr_schedules"
    topic = "optimizers: learning-rate schedules"
    skills = ("learning-rate decay", "time-based decay", "exponential decay", "step decay",
              "cosine decay")
    summary = "the learning rate of a time-based, exponential, step or cosine schedule at given steps"
    params = (
        ParamSpec("schedule", Choice(sc.SCHEDULES, shown="'time', 'exponential', 'step' or 'cosine'"), "the decay schedule"),
        ParamSpec("lr0", Number(positive=True), "the initial learning rate α0 (the rate at t = 0)"),
        ParamSpec("k", Number(positive=True), "the decay constant (time and exponential)", required=False),
        ParamSpec("gamma", Number(positive=True, shown="number in (0, 1)"), "the decay factor γ (step)", required=False),
        ParamSpec("step_size", Integer(1, MAX_STEP, shown="whole number >= 1"), "s: γ is applied every s steps (step)",
                  required=False),
        ParamSpec("lr_min", Number(minimum=0, shown="number in [0, lr0)"), "the final rate α_min (cosine)", required=False),
        ParamSpec("total", Integer(1, MAX_STEP, shown="whole number >= 1"), "T: the length of the cosine schedule", required=False),
        ParamSpec("t", STEP, "the step whose rate `rate` asks for"),
        ParamSpec("steps", ListOf(STEP, unit="whole numbers", shown="list of whole numbers >= 0"),
                  "the steps whose rates `rates` asks for"),
    )
    options = (
        OptionSpec("schedule", "any", "the schedule to sample", choices=("any",) + sc.SCHEDULES),
        OptionSpec("count", 4, "how many steps `rates` lists", kind=int, minimum=1, maximum=8),
    )
    answers = {
        "rate": AnswerSpec("scalar", "the learning rate α_t at step t", atol=1e-9),
        "rates": AnswerSpec("vector", "the learning rates at the listed steps, in order", atol=1e-9),
    }

    catalog = (
        Mistake("step_without_floor",
                "step decay changes the rate only every s steps: the exponent is ⌊t/s⌋ "
                "(rounded down), not t/s", _no_floor),
        Mistake("off_by_one",
                "your rates are one step late: steps count from t = 0, where the rate is α0",
                _off_by_one),
        Mistake("cosine_without_half",
                "cosine decay has a factor ½: α_t = α_min + ½(α0 − α_min)(1 + cos(πt/T)), "
                "so it starts at α0, not 2α0 − α_min", _cosine_no_half),
        Mistake("kt_in_numerator",
                "time-based decay divides by (1 + kt): α_t = α0/(1 + kt), it does not multiply",
                _kt_in_numerator),
    )

    def check(self, params):
        schedule = params["schedule"]
        needed = sc.CONSTANTS[schedule]
        allowed = set(BASE) | set(needed)
        extra = sorted(set(params) - allowed)
        if extra:
            raise ParamsError(f"{self.name}: param {extra[0]!r} does not belong to the {schedule} "
                              f"schedule (it takes {', '.join(needed)})")
        missing = [name for name in needed if name not in params]
        if missing:
            raise ParamsError(f"{self.name}: param {missing[0]!r} is missing "
                              f"(the {schedule} schedule needs {', '.join(needed)})")
        out = dict(params)
        if schedule == "step" and out["gamma"] >= 1:
            raise ParamsError(f"{self.name}: param 'gamma' must lie in (0, 1), not {out['gamma']!r}")
        if schedule == "cosine" and out["lr_min"] >= out["lr0"]:
            raise ParamsError(f"{self.name}: param 'lr_min' must be below lr0 = {out['lr0']}, "
                              f"not {out['lr_min']!r}")
        return out

    def draw(self, rng: np.random.Generator, *, schedule: str, count: int):
        if schedule == "any":
            schedule = pick(rng, sc.SCHEDULES)
        params = {"schedule": schedule, "lr0": nice(rng, 0.05, 1, step=0.05)}
        if schedule == "time":
            params["k"] = nice(rng, 0.05, 1, step=0.05)
            last = 12
        elif schedule == "exponential":
            params["k"] = nice(rng, 0.01, 0.5, step=0.01)
            last = 12
        elif schedule == "step":
            params["gamma"] = pick(rng, GAMMAS)
            params["step_size"] = nice(rng, 2, 10)
            last = 4 * params["step_size"]
        else:
            params["lr_min"] = pick(rng, (0, 0, 0.001, 0.01))
            params["total"] = pick(rng, TOTALS)
            last = params["total"]
        params["t"] = nice(rng, 1, 2 * last if schedule in ("time", "exponential") else last - 1)
        params["steps"] = _distinct_steps(rng, count, last)
        answers = _reference(params)
        if min([answers["rate"]] + answers["rates"]) < SMALLEST_RATE:
            raise Reject("a rate is too small to read")
        return params

    def solve(self, params):
        return _reference(params)

    def context(self, params):
        return {"steps_text": ", ".join(str(t) for t in params["steps"])}
