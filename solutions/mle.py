"""Maximum-likelihood estimates of a Bernoulli and a Gaussian model from data.

Bernoulli: p̂ = (number of ones) / m. Gaussian: μ̂ = the sample mean and
σ̂² = (1/m) Σ(xᵢ − μ̂)², dividing by m (the MLE, not the unbiased 1/(m − 1) estimate).
Sums are exact (fractions) until the final floats.

>>> bernoulli_mle([1, 0, 1, 1])
{'p_hat': 0.75}
>>> gaussian_mle([2, 4, 4, 4, 5, 5, 7, 9])
{'mu_hat': 5.0, 'var_hat': 4.0}
"""

from __future__ import annotations

from fractions import Fraction


def bernoulli_mle(data) -> dict:
    """``p_hat``: the fraction of ones in a list of 0/1 observations."""
    return {"p_hat": sum(data) / len(data)}


def gaussian_moments(data) -> tuple[Fraction, Fraction]:
    """(mean, Σ(xᵢ − mean)²), exactly."""
    x = [Fraction(v) for v in data]
    mean = sum(x) / len(x)
    return mean, sum((v - mean) ** 2 for v in x)


def gaussian_mle(data) -> dict:
    """``mu_hat`` (the mean) and ``var_hat`` = (1/m) Σ(xᵢ − μ̂)²."""
    mean, squares = gaussian_moments(data)
    return {"mu_hat": float(mean), "var_hat": float(squares / len(data))}
