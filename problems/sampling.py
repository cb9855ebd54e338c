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


def example_data(rng: np.random.Generator, m: int, n: int, loss: str, *, x_high: int,
                 y_range: tuple[float, float], sort: bool = False) -> tuple[list, list]:
    """``m`` examples of ``n`` features for a linear model: with one feature, distinct whole
    numbers from -2 to ``x_high`` - 1 (``sort``-ed if asked); with two, rows of whole numbers
    in [-2, 3]. The targets are 0/1 labels of both classes under ``"log_loss"``, else whole
    numbers in ``y_range``. Raises :class:`~calcgrade.problems.family.Reject` for one class.

    >>> X, y = example_data(np.random.default_rng(1), 4, 1, "mse", x_high=5, y_range=(-3, 5))
    >>> len(X), len(X[0]), len(y)
    (4, 1, 4)
    """
    from calcgrade.problems.family import Reject

    if n == 1:
        firsts = rng.choice(np.arange(-2, x_high), size=m, replace=False).tolist()
        X = [[v] for v in (sorted(firsts) if sort else firsts)]
    else:
        X = [nice_vector(rng, 2, -2, 3) for _ in range(m)]
    if loss == "log_loss":
        y = rng.integers(2, size=m).tolist()
        if len(set(y)) < 2:
            raise Reject("only one class")
    else:
        y = nice_vector(rng, m, *y_range)
    return X, y
