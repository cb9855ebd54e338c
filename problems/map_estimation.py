"""``map_estimation``: the MAP estimate beside the MLE, with a Beta prior on a Bernoulli p or a
Gaussian prior on a Gaussian mean (the variance known).

Params are ``model`` and ``data`` with ``alpha`` and ``beta`` (bernoulli, both > 1) or
``sigma2`` (the known variance), ``mu0`` and ``tau2`` (the prior of μ) for gaussian.
Answers are ``p_mle`` and ``p_map``, or ``mu_mle`` and ``mu_map``.

>>> family = MAPEstimationFamily()
>>> family.solve(family.validate({"model": "bernoulli", "data": [1, 1, 0, 1], "alpha": 2, "beta": 2}))
{'p_mle': 0.75, 'p_map': 0.6666666666666666}
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Choice, Number, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import number_text
from calcgrade.solutions import map_estimation as me

MODELS = ("bernoulli", "gaussian")
MAX_DATA = 200
PRIOR_PARAMS = {"bernoulli": ("alpha", "beta"), "gaussian": ("sigma2", "mu0", "tau2")}


def _mle_instead(params):
    answers = _solved(params)
    if params["model"] == "bernoulli":
        return {"p_map": answers["p_mle"]}
    return {"mu_map": answers["mu_mle"]}


def _beta_mean(params):
    if params["model"] != "bernoulli":
        return None
    k, m = sum(params["data"]), len(params["data"])
    return {"p_map": float(Fraction(k + params["alpha"]) / (m + params["alpha"] + params["beta"]))}


def _data_as_one_observation(params):
    if params["model"] != "gaussian":
        return None
    data = params["data"]
    mean = [Fraction(sum(Fraction(v) for v in data)) / len(data)]
    return {"mu_map": float(me.gaussian_posterior_mean(mean, params["sigma2"], params["mu0"], params["tau2"]))}


def _variances_swapped(params):
    if params["model"] != "gaussian" or params["sigma2"] == params["tau2"]:
        return None
    return {"mu_map": float(me.gaussian_posterior_mean(params["data"], params["tau2"], params["mu0"],
                                                       params["sigma2"]))}


def _solved(params):
    if params["model"] == "bernoulli":
        return me.bernoulli_map(params["data"], params["alpha"], params["beta"])
    return me.gaussian_map(params["data"], params["sigma2"], params["mu0"], params["tau2"])


class MAPEstimationFamily(Family):
    name = "map_estimation"
    topic = "maximum a posteriori estimation"
    skills = ("log-posterior", "conjugate priors", "Beta prior and its mode", "Gaussian prior on a mean",
              "MAP versus MLE")
    summary = ("the MAP estimate beside the MLE: a Beta(α, β) prior on a Bernoulli p, or a Gaussian "
               "prior N(μ0, τ²) on the mean of Gaussian data with known variance σ²")
    params = (
        ParamSpec("model", Choice(MODELS), "the model of the data"),
        ParamSpec("data", Vector(), "the observations (0 or 1 for a Bernoulli model)"),
        ParamSpec("alpha", Number(minimum=1, shown="number > 1"), "α of the Beta(α, β) prior on p (bernoulli)",
                  required=False),
        ParamSpec("beta", Number(minimum=1, shown="number > 1"), "β of the Beta(α, β) prior on p (bernoulli)",
                  required=False),
        ParamSpec("sigma2", Number(positive=True), "the known variance σ² of the data (gaussian)", required=False),
        ParamSpec("mu0", Number(), "the prior mean μ0 of μ (gaussian)", required=False),
        ParamSpec("tau2", Number(positive=True), "the prior variance τ² of μ (gaussian)", required=False),
    )
    options = (
        OptionSpec("model", "any", "'bernoulli' (Beta prior), 'gaussian' (Gaussian prior on the mean) or 'any'",
                   choices=("any",) + MODELS),
    )
    answers = {
        "p_mle": AnswerSpec("scalar", "the maximum-likelihood estimate of p (bernoulli)"),
        "p_map": AnswerSpec("scalar", "the MAP estimate of p, the mode of the posterior (bernoulli)"),
        "mu_mle": AnswerSpec("scalar", "the maximum-likelihood estimate of μ (gaussian)"),
        "mu_map": AnswerSpec("scalar", "the MAP estimate of μ, the mode of the posterior (gaussian)"),
    }

    def answer_names(self, params):
        return ["p_mle", "p_map"] if params["model"] == "bernoulli" else ["mu_mle", "mu_map"]

    catalog = (
        Mistake("mle_instead_of_map",
                "your MAP estimate is the maximum-likelihood estimate: MAP maximizes the likelihood "
                "times the prior, so the prior pulls the estimate towards it", _mle_instead),
        Mistake("beta_mean_not_mode",
                "you gave the posterior mean (k + α)/(m + α + β): the MAP estimate is the posterior's "
                "mode, (k + α − 1)/(m + α + β − 2)", _beta_mean),
        Mistake("prior_weight_wrong",
                "you weighed the data as one observation: each of the m observations adds 1/σ² to the "
                "precision, μ̂ = (μ0/τ² + Σxᵢ/σ²)/(1/τ² + m/σ²)", _data_as_one_observation),
        Mistake("variances_swapped",
                "you swapped the variances: the prior mean μ0 is weighted by 1/τ² (the prior's "
                "variance) and the data by 1/σ² each", _variances_swapped),
    )

    def check(self, params):
        model, data = params["model"], params["data"]
        if len(data) > MAX_DATA:
            raise ParamsError(f"{self.name}: param 'data' has more than {MAX_DATA} observations")
        needed = PRIOR_PARAMS[model]
        stray = [name for other in MODELS if other != model for name in PRIOR_PARAMS[other] if name in params]
        if stray:
            raise ParamsError(f"{self.name}: param {stray[0]!r} does not belong to the {model} model "
                              f"(it takes {', '.join(repr(n) for n in needed)})")
        missing = [name for name in needed if name not in params]
        if missing:
            raise ParamsError(f"{self.name}: param {missing[0]!r} is missing (the {model} model takes "
                              f"{', '.join(repr(n) for n in needed)})")
        out = {"model": model, "data": data, **{name: params[name] for name in needed}}
        if model == "bernoulli":
            if any(v not in (0, 1) for v in data):
                raise ParamsError(f"{self.name}: param 'data' must hold only 0 and 1 for a bernoulli model")
            for name in ("alpha", "beta"):
                if out[name] <= 1:
                    raise ParamsError(f"{self.name}: param {name!r} must be greater than 1 (so that the "
                                      f"posterior has a single mode inside (0, 1)), not {out[name]!r}")
            out["data"] = [int(v) for v in data]
        return out

    def draw(self, rng: np.random.Generator, *, model: str):
        if model == "any":
            model = pick(rng, MODELS)
        if model == "bernoulli":
            data = [int(v) for v in rng.integers(0, 2, nice(rng, 6, 16))]
            if not 0 < sum(data) < len(data):
                raise Reject("the data are all zeros or all ones")
            return {"model": model, "data": data, "alpha": nice(rng, 2, 6), "beta": nice(rng, 2, 6)}
        data = [nice(rng, -4, 10) for _ in range(nice(rng, 3, 6))]
        params = {"model": model, "data": data, "sigma2": pick(rng, (1, 4, 9)),
                  "mu0": nice(rng, -3, 3), "tau2": pick(rng, (1, 2, 4))}
        if params["sigma2"] == params["tau2"] and rng.random() < 0.7:
            raise Reject("σ² = τ² (the variances are then not told apart)")
        return params

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        out = {"bernoulli": params["model"] == "bernoulli", "m": len(params["data"]),
               "data_text": ", ".join(number_text(v) for v in params["data"])}
        for name in PRIOR_PARAMS[params["model"]]:
            out[f"{name}_text"] = number_text(params[name])
        return out
