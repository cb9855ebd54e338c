"""Random expression trees for property tests (seeded; no global state)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from calcgrade.core import expr as ex

FUNCTIONS = ("exp", "log", "sin", "cos", "atan", "tanh")


def random_tree(rng: np.random.Generator, variables=("x",), depth: int = 3) -> ex.Expr:
    """A random tree mixing numbers, variables, + * / ** and functions."""
    while True:
        try:
            return _tree(rng, variables, depth)
        except (ZeroDivisionError, OverflowError):
            continue


def _tree(rng: np.random.Generator, variables, depth: int) -> ex.Expr:
    if depth == 0 or rng.random() < 0.2:
        if rng.random() < 0.6:
            return ex.Sym(variables[int(rng.integers(len(variables)))])
        return ex.Num(Fraction(int(rng.integers(-5, 6)), int(rng.choice([1, 1, 2, 4]))))
    choice = rng.random()
    a = _tree(rng, variables, depth - 1)
    if choice < 0.3:
        return a + _tree(rng, variables, depth - 1)
    if choice < 0.55:
        return a * _tree(rng, variables, depth - 1)
    if choice < 0.65:
        b = _tree(rng, variables, depth - 1)
        return a / b if b != ex.ZERO else a
    if choice < 0.8:
        exponent = Fraction(int(rng.integers(-3, 5)), int(rng.choice([1, 1, 2, 3])))
        return ex.power(a, ex.Num(exponent))
    return ex.fn(FUNCTIONS[int(rng.integers(len(FUNCTIONS)))], a)
