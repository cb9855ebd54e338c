"""Softmax, cross-entropy loss and its gradient with respect to the scores, computed stably.

The loss of scores z for the true class k (0-based) is L = −ln p_k with
p = softmax(z); its gradient with respect to z is p − y, y the one-hot label.

>>> out = softmax_cross_entropy([2.0, 1.0, 0.1], 0)
>>> [round(p, 4) for p in out["probabilities"]], round(out["loss"], 4)
([0.659, 0.2424, 0.0986], 0.417)
>>> [round(g, 4) for g in out["gradient"]]
[-0.341, 0.2424, 0.0986]
"""

from __future__ import annotations

import math


def log_sum_exp(scores: list[float]) -> float:
    """ln Σ e^(z_j), with the largest score subtracted first so nothing overflows."""
    top = max(scores)
    return top + math.log(math.fsum(math.exp(z - top) for z in scores))


def softmax(scores: list[float]) -> list[float]:
    """p_i = e^(z_i − max z) / Σ_j e^(z_j − max z)."""
    top = max(scores)
    shifted = [math.exp(z - top) for z in scores]
    total = math.fsum(shifted)
    return [e / total for e in shifted]


def softmax_cross_entropy(scores: list[float], label: int) -> dict:
    """``probabilities``, ``loss`` = −ln p_label and ``gradient`` = p − y (y one-hot at label)."""
    probabilities = softmax(scores)
    loss = log_sum_exp(scores) - scores[label]
    gradient = [p - (1.0 if i == label else 0.0) for i, p in enumerate(probabilities)]
    return {"probabilities": probabilities, "loss": loss, "gradient": gradient}


def softmax_rows(z):
    """Softmax along the last axis of a numpy array (a score vector, or one row of scores
    per example), the row maximum subtracted first so that nothing overflows.

    >>> import numpy as np
    >>> softmax_rows(np.array([[1000.0, 1000.0], [0.0, -1000.0]])).tolist()
    [[0.5, 0.5], [1.0, 0.0]]
    """
    import numpy as np

    z = np.asarray(z, dtype=float)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy_rows(z, y):
    """−Σ_i y_i ln p_i along the last axis (one loss per row), with ln p = z − logsumexp(z)."""
    import numpy as np

    z = np.asarray(z, dtype=float)
    top = z.max(axis=-1, keepdims=True)
    log_p = z - top - np.log(np.exp(z - top).sum(axis=-1, keepdims=True))
    return -(np.asarray(y, dtype=float) * log_p).sum(axis=-1)


def gradient_rows(z, y):
    """∂L/∂z = softmax(z) − y along the last axis."""
    import numpy as np

    return softmax_rows(z) - np.asarray(y, dtype=float)
