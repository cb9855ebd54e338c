"""One variant of a family from a seed: params, statement and reference answers.

>>> from calcgrade.problems import get_family
>>> variant = sample_variant(get_family("sigmoid_gradient"), 3, {"mode": "z"})
>>> sorted(variant)
['answers', 'family', 'params', 'seed', 'statement']
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from calcgrade.problems.family import Family


def generator(seed: int) -> np.random.Generator:
    """The family's own random generator for ``seed`` (never the global state)."""
    return np.random.Generator(np.random.PCG64(seed))


def sample_variant(family: Family, seed: int, options: Mapping[str, Any] | None = None) -> dict:
    """Sample, solve and render the variant of ``family`` for ``seed``."""
    params = family.sample(generator(seed), **dict(options or {}))
    return {
        "family": family.name,
        "seed": seed,
        "params": params,
        "statement": family.statement(params),
        "answers": family.solve(params),
    }
