"""``gd_stability``: how large a learning rate gradient descent tolerates on f(θ) = ½ θᵀAθ.

A is a symmetric positive-definite integer matrix (2×2 or 3×3); the answers are the
largest stable rate 2/λmax, the best fixed rate 2/(λmax + λmin), the convergence factor
(κ − 1)/(κ + 1) at that rate and the eigenvalues of A (solutions/stability.py).

>>> family = GDStabilityFamily()
>>> answers = family.solve(family.validate({"A": [[3, 1], [1, 3]]}))
>>> answers["eigenvalues"], answers["max_rate"], round(answers["factor"], 6)
([2.0, 4.0], 0.5, 0.333333)
"""

from __future__ import annotations


import numpy as np

from calcgrade.problems.checks import SymmetricMatrix
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import stability as st
from calcgrade.core.printing import latex_matrix

RANGES = {2: (1, 20, 9), 3: (2, 12, 4)}  # dims -> (smallest diagonal, largest, largest |off-diagonal|)
MAX_CONDITION = 60.0
MIN_FACTOR = 0.05


def _solved(params) -> dict:
    return st.analyze(params["A"])


def _one_over_lmax(params):
    return {"max_rate": 1.0 / _solved(params)["eigenvalues"][-1]}


def _two_over_lmin(params):
    return {"max_rate": 2.0 / _solved(params)["eigenvalues"][0]}


def _kappa_as_factor(params):
    values = _solved(params)["eigenvalues"]
    return {"factor": values[-1] / values[0]}


def _used_trace(params):
    trace = sum(params["A"][i][i] for i in range(len(params["A"])))
    return {"max_rate": 2.0 / trace}


def _diagonal_as_eigenvalues(params):
    matrix = params["A"]
    n = len(matrix)
    if all(matrix[i][j] == 0 for i in range(n) for j in range(n) if i != j):
        return None
    return st.from_eigenvalues(sorted(float(matrix[i][i]) for i in range(n)))


class GDStabilityFamily(Family):
    name = "gd_stability"
    topic = "gradient descent: step size and conditioning"
    skills = ("eigenvalues", "stable learning rate", "condition number", "convergence factor")
    summary = "on f(θ) = ½θᵀAθ: the largest stable rate, the best rate, the convergence factor and eig(A)"
    params = (
        ParamSpec("A", SymmetricMatrix((2, 3)), "the matrix of the quadratic f(θ) = ½ θᵀAθ"),
    )
    options = (
        OptionSpec("dims", "any", "the size of A: 2, 3 or 'any'", choices=(2, 3, "any")),
    )
    answers = {
        "max_rate": AnswerSpec("scalar", "the largest stable learning rate 2/λmax (GD converges for α below it)"),
        "best_rate": AnswerSpec("scalar", "the learning rate 2/(λmax + λmin) that minimizes the convergence factor"),
        "factor": AnswerSpec("scalar", "the convergence factor (κ − 1)/(κ + 1) at the best rate, κ = λmax/λmin"),
        # a multiset, listed ascending by convention
        "eigenvalues": AnswerSpec("vector", "the eigenvalues of A, ascending", unordered=True),
    }

    catalog = (
        Mistake("one_over_lmax",
                "gradient descent stays stable up to α = 2/λmax, not 1/λmax: the error factor "
                "|1 − αλ| stays below 1 until αλ reaches 2", _one_over_lmax),
        Mistake("two_over_lmin",
                "the largest eigenvalue limits the rate: with α above 2/λmax the steepest direction "
                "blows up, so the bound is 2/λmax, not 2/λmin", _two_over_lmin),
        Mistake("kappa_as_factor",
                "the convergence factor is (κ − 1)/(κ + 1), a number below 1; κ = λmax/λmin itself "
                "is the condition number", _kappa_as_factor),
        Mistake("used_trace",
                "the trace of A is the sum of all eigenvalues, not the largest one: "
                "the stable bound is 2/λmax", _used_trace),
        Mistake("diagonal_as_eigenvalues",
                "the diagonal entries of A are its eigenvalues only when A is diagonal: "
                "solve det(A − λI) = 0", _diagonal_as_eigenvalues),
    )

    def draw(self, rng: np.random.Generator, *, dims):
        n = pick(rng, (2, 3)) if dims == "any" else dims
        low, high, off = RANGES[n]
        matrix = [[0] * n for _ in range(n)]
        for i in range(n):
            matrix[i][i] = nice(rng, low, high)
            for j in range(i + 1, n):
                matrix[i][j] = matrix[j][i] = nice(rng, -off, off)
        values = st.eigenvalues(matrix)
        if values[0] <= 0.25:
            raise Reject("A is not (clearly) positive definite")
        if values[-1] / values[0] > MAX_CONDITION:
            raise Reject("A is too badly conditioned")
        if st.from_eigenvalues(values)["factor"] < MIN_FACTOR:
            raise Reject("the eigenvalues are too close together")
        return {"A": matrix}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        n = len(params["A"])
        return {"a_latex": latex_matrix(params["A"]), "n": n,
                "theta": ", ".join(f"\\theta_{i + 1}" for i in range(n))}
