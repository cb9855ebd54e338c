"""Small samplers of "nice" numbers; each draws only from the generator it is given.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> value = nice(rng, -3, 3, step=0.5, nonzero=True)
>>> value in [k / 2 for k in range(-6, 7)] and value != 0
True
"""

from __future__ import annotations

from typing import Sequence, TypeVar

import numpy as np

T = TypeVar("T")


def nice(rng: np.random.Generator, low: float, high: float, step: float = 1.0,
         nonzero: bool = False) -> float | int:
    """A multiple of ``step`` in [low, high]; ints when ``step`` is whole."""
    first, last = int(np.ceil(low / step - 1e-9)), int(np.floor(high / step + 1e-9))
    choices = [k for k in range(first, last + 1) if not (nonzero and k == 0)]
    k = choices[int(rng.integers(len(choices)))]
    if float(step).is_integer():
        return int(k * step)
    return round(k * step, 10)


def pick(rng: np.random.Generator, choices: Sequence[T]) -> T:
    """One element of ``choices``, uniformly."""
    return choices[int(rng.integers(len(choices)))]


def nice_vector(rng: np.random.Generator, n: int, low: float, high: float, step: float = 1.0,
                nonzero: bool = False) -> list:
    """``n`` independent :func:`nice` numbers."""
    return [nice(rng, low, high, step, nonzero) for _ in range(n)]
