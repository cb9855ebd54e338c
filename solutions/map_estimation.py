"""MAP estimates beside the MLE: a Beta prior on a Bernoulli p, a Gaussian prior on a Gaussian mean.

Bernoulli data with k ones out of m and the prior p ~ Beta(α, β) (α, β > 1): the posterior is
Beta(k + α, m − k + β), whose mode is p̂_MAP = (k + α − 1)/(m + α + β − 2); the MLE is k/m.
Gaussian data xᵢ ~ N(μ, σ²) with σ² known and the prior μ ~ N(μ0, τ²): the posterior of μ
is Gaussian, and its mode (= its mean) is
μ̂_MAP = (μ0/τ² + Σxᵢ/σ²) / (1/τ² + m/σ²); the MLE is the sample mean.
Arithmetic is exact (fractions) until the final floats.

>>> bernoulli_map([1, 1, 0, 1], alpha=2, beta=2)
{'p_mle': 0.75, 'p_map': 0.6666666666666666}
>>> gaussian_map([2, 4], sigma2=1, mu0=0, tau2=1)
{'mu_mle': 3.0, 'mu_map': 2.0}
"""

from __future__ import annotations

from fractions import Fraction


def beta_mode(a, b) -> Fraction:
    """The mode (a − 1)/(a + b − 2) of Beta(a, b), a, b > 1."""
    return Fraction(a - 1) / Fraction(a + b - 2)


def bernoulli_map(data, alpha, beta) -> dict:
    """``p_mle`` = k/m and ``p_map``, the mode of the posterior Beta(k + α, m − k + β)."""
    k, m = sum(data), len(data)
    return {"p_mle": float(Fraction(k, m)),
            "p_map": float(beta_mode(Fraction(k) + Fraction(alpha), Fraction(m - k) + Fraction(beta)))}


def gaussian_posterior_mean(data, sigma2, mu0, tau2) -> Fraction:
    """(μ0/τ² + Σxᵢ/σ²) / (1/τ² + m/σ²), exactly."""
    x = [Fraction(v) for v in data]
    s2, t2 = Fraction(sigma2), Fraction(tau2)
    return (Fraction(mu0) / t2 + sum(x) / s2) / (1 / t2 + len(x) / s2)


def gaussian_map(data, sigma2, mu0, tau2) -> dict:
    """``mu_mle`` (the sample mean) and ``mu_map`` (the posterior mode of μ)."""
    x = [Fraction(v) for v in data]
    return {"mu_mle": float(sum(x) / len(x)), "mu_map": float(gaussian_posterior_mean(data, sigma2, mu0, tau2))}
