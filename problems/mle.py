"""``mle``: maximum-likelihood estimates from data, for a Bernoulli or a Gaussian model.

Params are ``model`` ('bernoulli' or 'gaussian') and ``data``; the Gaussian variance is the
MLE, dividing by m (not m − 1).

>>> family = MLEFamily()
>>> family.solve(family.validate({"model": "gaussian", "data": [2, 4, 4, 4, 5, 5, 7, 9]}))
{'mu_hat': 5.0, 'var_hat': 4.0}
>>> family.answer_names(family.validate({"model": "bernoulli", "data": [1, 0, 1]}))
['p_hat']
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import number_text
from calcgrade.solutions import mle

MODELS = ("bernoulli", "gaussian")
MAX_DATA = 200


def _sample_variance(params):
    data = params["data"]
    if params["model"] != "gaussian" or len(data) < 2:
        return None
    _, squares = mle.gaussian_moments(data)
    return {"var_hat": float(squares / (len(data) - 1))}


def _std_not_variance(params):
    if params["model"] != "gaussian":
        return None
    variance = mle.gaussian_mle(params["data"])["var_hat"]
    return None if variance in (0.0, 1.0) else {"var_hat": math.sqrt(variance)}


def _uncentered(params):
    if params["model"] != "gaussian":
        return None
    data = [Fraction(v) for v in params["data"]]
    mean, _ = mle.gaussian_moments(data)
    if mean == 0:
        return None
    return {"var_hat": float(sum(v * v for v in data) / len(data))}


def _fraction_of_zeros(params):
    data = params["data"]
    if params["model"] != "bernoulli" or 2 * sum(data) == len(data):
        return None
    return {"p_hat": (len(data) - sum(data)) / len(data)}


class MLEFamily(Family):
    name = "mle"
    topic = "maximum likelihood"
    skills = ("log-likelihood", "setting derivatives to zero", "Bernoulli MLE", "Gaussian MLE")
    summary = "maximum-likelihood estimates from data: p̂ of a Bernoulli model, μ̂ and σ̂² (1/m) of a Gaussian"
    params = (
        ParamSpec("model", Choice(MODELS), "the model the data are drawn from"),
        ParamSpec("data", Vector(), "the observations (0 or 1 for a Bernoulli model)"),
    )
    options = (
        OptionSpec("model", "any", "'bernoulli' for 0/1 data, 'gaussian' for real data",
                   choices=("any",) + MODELS),
    )
    answers = {
        "p_hat": AnswerSpec("scalar", "the maximum-likelihood estimate of p"),
        "mu_hat": AnswerSpec("scalar", "the maximum-likelihood estimate of the mean μ"),
        "var_hat": AnswerSpec("scalar", "the maximum-likelihood estimate of the variance σ² (1/m)"),
    }

    def answer_names(self, params):
        return ["p_hat"] if params["model"] == "bernoulli" else ["mu_hat", "var_hat"]

    catalog = (
        Mistake("sample_variance",
                "your variance divides by m − 1 (the unbiased sample variance): the maximum-likelihood "
                "estimate divides by m", _sample_variance),
        Mistake("std_not_variance",
                "you gave the standard deviation σ̂: the question asks for the variance σ̂², "
                "its square", _std_not_variance),
        Mistake("uncentered_variance",
                "your variance looks like the mean of the xᵢ²: average the squared deviations "
                "(xᵢ − μ̂)² from the mean instead", _uncentered),
        Mistake("fraction_of_zeros",
                "your estimate looks like the fraction of zeros: p is the probability of a 1, "
                "so p̂ is the fraction of ones", _fraction_of_zeros),
    )

    def check(self, params):
        model, data = params["model"], params["data"]
        if len(data) > MAX_DATA:
            raise ParamsError(f"{self.name}: param 'data' has more than {MAX_DATA} observations")
        if model == "bernoulli":
            if any(v not in (0, 1) for v in data):
                raise ParamsError(f"{self.name}: param 'data' must hold only 0 and 1 for a bernoulli model")
            data = [int(v) for v in data]
        return {"model": model, "data": data}

    def draw(self, rng: np.random.Generator, *, model: str):
        if model == "any":
            model = pick(rng, MODELS)
        if model == "bernoulli":
            data = [int(v) for v in rng.integers(0, 2, nice(rng, 8, 20))]
            if not 0 < sum(data) < len(data):
                raise Reject("the data are all zeros or all ones")
            return {"model": model, "data": data}
        data = [nice(rng, -6, 12) for _ in range(nice(rng, 4, 7))]
        if len(set(data)) == 1:
            raise Reject("the data are all equal")
        return {"model": model, "data": data}

    def solve(self, params):
        if params["model"] == "bernoulli":
            return mle.bernoulli_mle(params["data"])
        return mle.gaussian_mle(params["data"])

    def context(self, params):
        return {"bernoulli": params["model"] == "bernoulli", "m": len(params["data"]),
                "data_text": ", ".join(number_text(v) for v in params["data"])}
