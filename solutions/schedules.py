"""Learning-rate schedules: the rate α_t at step t, counting steps from t = 0 (α_0 = α0).

- ``time``: α_t = α0 / (1 + k t)
- ``exponential``: α_t = α0 · e^(−k t)  (natural exponential, not α0·γ^t)
- ``step``: α_t = α0 · γ^⌊t / s⌋  (multiplied by γ every s steps)
- ``cosine``: α_t = α_min + ½ (α0 − α_min)(1 + cos(π t / T)), 0 ≤ t ≤ T

>>> rate("time", 4, lr0=0.5, k=0.25)
0.25
>>> rate("step", 7, lr0=0.1, gamma=0.5, step_size=3)
0.025
>>> rate("cosine", 5, lr0=0.1, lr_min=0.0, total=10)
0.05
>>> [round(r, 6) for r in rates("exponential", [0, 1, 2], lr0=1.0, k=0.5)]
[1.0, 0.606531, 0.367879]
"""

from __future__ import annotations

import math

SCHEDULES = ("time", "exponential", "step", "cosine")
CONSTANTS = {  # the constants each schedule needs besides lr0
    "time": ("k",),
    "exponential": ("k",),
    "step": ("gamma", "step_size"),
    "cosine": ("lr_min", "total"),
}


def time_based(lr0: float, k: float, t: float) -> float:
    """α0 / (1 + k t)."""
    return lr0 / (1.0 + k * t)


def exponential(lr0: float, k: float, t: float) -> float:
    """α0 · e^(−k t)."""
    return lr0 * math.exp(-k * t)


def step(lr0: float, gamma: float, step_size: int, t: int) -> float:
    """α0 · γ^⌊t / s⌋."""
    return lr0 * gamma ** (t // step_size)


def cosine(lr0: float, lr_min: float, total: int, t: float) -> float:
    """α_min + ½ (α0 − α_min)(1 + cos(π t / T))."""
    return lr_min + 0.5 * (lr0 - lr_min) * (1.0 + math.cos(math.pi * t / total))


def rate(schedule: str, t: int, **constants) -> float:
    """The rate of ``schedule`` at step ``t`` with ``lr0`` and the schedule's constants."""
    lr0 = constants["lr0"]
    if schedule == "time":
        return time_based(lr0, constants["k"], t)
    if schedule == "exponential":
        return exponential(lr0, constants["k"], t)
    if schedule == "step":
        return step(lr0, constants["gamma"], constants["step_size"], t)
    if schedule == "cosine":
        return cosine(lr0, constants["lr_min"], constants["total"], t)
    raise ValueError(f"unknown schedule {schedule!r}")


def rates(schedule: str, ts, **constants) -> list[float]:
    """:func:`rate` at each step of ``ts``."""
    return [rate(schedule, t, **constants) for t in ts]
