"""``optimize_closed_form``: minimize by setting the derivative to zero.

Three kinds, told apart by their params: ``values`` (f(x) = Σ(x − aᵢ)², minimized by the
mean), ``heads`` and ``tosses`` (the coin likelihood p^k (1 − p)^(n−k), maximized through
its natural log), or ``points`` (the least-squares line minimizing Σ(m xᵢ + b − yᵢ)²).

>>> family = OptimizeClosedFormFamily()
>>> params = family.validate({"points": [[1, 2], [2, 5], [3, 3]]})
>>> answers = family.solve(params)
>>> answers["m"], round(answers["b"], 4), family.answer_names(params)
(0.5, 2.3333, ['m', 'b', 'cost'])
>>> family.solve(family.validate({"heads": 7, "tosses": 10}))["p_hat"]
0.7
"""

from __future__ import annotations

import statistics
from fractions import Fraction

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Integer, ListOf, Number, Row, Vector
from calcgrade.problems.family import AnswerSpec, Family, Form, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import number_text, shifted
from calcgrade.solutions import optimize_closed_form as oc

MAX_ENTRIES = 50


# the mistakes --------------------------------------------------------------------------


def _median_not_mean(params):
    if "values" not in params:
        return None
    values = params["values"]
    median = statistics.median(values)
    if Fraction(median) == sum(Fraction(v) for v in values) / len(values):
        return None
    return {"minimizer": float(median), "minimum": float(sum((median - v) ** 2 for v in values))}


def _tails_fraction(params):
    if "heads" not in params or 2 * params["heads"] == params["tosses"]:
        return None
    k, n = params["heads"], params["tosses"]
    p = (n - k) / n
    return {"p_hat": p, "log_likelihood": oc.log_likelihood(k, n, p)}


def _likelihood_not_log(params):
    if "heads" not in params:
        return None
    k, n = params["heads"], params["tosses"]
    p = k / n
    return {"log_likelihood": p**k * (1 - p) ** (n - k)}


def _swapped(params):
    if "points" not in params:
        return None
    m, b = oc.line_fit(params["points"])
    return None if m == b else {"m": float(b), "b": float(m)}


def _no_intercept(params):
    if "points" not in params:
        return None
    points = params["points"]
    if oc.line_fit(points)[1] == 0:
        return None
    sxy = sum(Fraction(x) * Fraction(y) for x, y in points)
    sxx = sum(Fraction(x) ** 2 for x, _ in points)
    m = sxy / sxx
    return {"m": float(m), "b": 0.0, "cost": float(oc.line_cost(points, m, 0))}


def _unsquared(params):
    if "values" in params:
        values = [Fraction(v) for v in params["values"]]
        mean = sum(values) / len(values)
        return {"minimum": float(sum(abs(mean - v) for v in values))}
    if "points" in params:
        m, b = oc.line_fit(params["points"])
        return {"cost": float(sum(abs(m * Fraction(x) + b - Fraction(y)) for x, y in params["points"]))}
    return None


class OptimizeClosedFormFamily(Family):
    name = "optimize_closed_form"
    topic = "optimization by setting derivatives to zero"
    skills = ("derivative equals zero", "mean as a minimizer", "maximum likelihood", "least squares")
    summary = ("minimize Σ(x − aᵢ)², maximize a coin's likelihood through its log, or fit the "
               "least-squares line, by setting derivatives to zero")
    params = (
        ParamSpec("values", Vector(counts=(1, MAX_ENTRIES)), "the numbers aᵢ in f(x) = Σ(x − aᵢ)² (kind mean)",
                  required=False),
        ParamSpec("heads", Integer(1, lambda params: params["tosses"] - 1, after=("tosses",),
                                   shown="whole number"),
                  "the number of heads k (kind coin)", required=False),
        ParamSpec("tosses", Integer(2, 10_000, shown="whole number"), "the number of tosses n (kind coin)",
                  required=False),
        ParamSpec("points", ListOf(Row((Number(), Number()), shown="[x, y]", unit="pairs"), counts=(2, MAX_ENTRIES),
                                    unit="[x, y] pairs"),
                  "the data points of the line fit (kind line)", required=False),
    )
    options = (
        OptionSpec("kind", "any", "'mean' for Σ(x − aᵢ)², 'coin' for a coin's likelihood, "
                   "'line' for the least-squares line", choices=("any", "mean", "coin", "line")),
    )
    forms = (Form("mean", ("values",), answers=("minimizer", "minimum")),
             Form("coin", ("heads", "tosses"), answers=("p_hat", "log_likelihood")),
             Form("line", ("points",), answers=("m", "b", "cost")))
    answers = {
        "minimizer": AnswerSpec("scalar", "the x that minimizes f"),
        "minimum": AnswerSpec("scalar", "the minimal value of f"),
        "p_hat": AnswerSpec("scalar", "the p that maximizes the likelihood"),
        "log_likelihood": AnswerSpec("scalar", "ln L(p) at p_hat (natural log)"),
        "m": AnswerSpec("scalar", "the slope of the least-squares line"),
        "b": AnswerSpec("scalar", "the intercept of the least-squares line"),
        "cost": AnswerSpec("scalar", "the minimal value of Σ(m xᵢ + b − yᵢ)²"),
    }

    catalog = (
        Mistake("median_not_mean",
                "your minimizer looks like the median: setting f′(x) = 2Σ(x − aᵢ) = 0 gives the "
                "mean of the aᵢ", _median_not_mean),
        Mistake("tails_fraction",
                "your estimate looks like (n − k)/n, the fraction of tails: setting "
                "k/p − (n − k)/(1 − p) = 0 gives p = k/n, the fraction of heads", _tails_fraction),
        Mistake("likelihood_not_log",
                "you gave the likelihood p^k (1 − p)^(n−k) itself: the question asks for its "
                "natural log, k ln p + (n − k) ln(1 − p)", _likelihood_not_log),
        Mistake("swapped_slope_intercept",
                "your slope and intercept look swapped: m multiplies x, b is the value at x = 0",
                _swapped),
        Mistake("no_intercept",
                "your line looks forced through the origin (b = 0): minimize over b too, "
                "setting both ∂/∂m and ∂/∂b to zero", _no_intercept),
        Mistake("unsquared_sum",
                "your minimal value looks like a sum of distances |…| without squaring: the "
                "function sums the squares", _unsquared),
    )

    def check(self, params):
        if "points" in params and len({p[0] for p in params["points"]}) < 2:
            raise ParamsError(f"{self.name}: param 'points' needs at least two different x values "
                              "for a line to be determined")
        return params

    def draw(self, rng: np.random.Generator, *, kind: str):
        if kind == "any":
            kind = pick(rng, ("mean", "coin", "line"))
        if kind == "mean":
            count = nice(rng, 3, 6)
            return {"values": [nice(rng, -9, 9) for _ in range(count)]}
        if kind == "coin":
            tosses = nice(rng, 5, 120)
            return {"heads": nice(rng, 1, tosses - 1), "tosses": tosses}
        count = nice(rng, 3, 5)
        xs = sorted(int(x) for x in rng.permutation(np.arange(-3, 7))[:count])
        points = [[x, nice(rng, -6, 9)] for x in xs]
        if oc.line_cost(points, *oc.line_fit(points)) == 0:
            raise Reject("the points lie on one line")
        return {"points": points}

    def solve(self, params):
        if "values" in params:
            return oc.mean_minimum(params["values"])
        if "heads" in params:
            return oc.coin_mle(params["heads"], params["tosses"])
        return oc.least_squares_line(params["points"])

    def context(self, params):
        kind = self.form_of(params).name
        out = {"kind": kind}
        if kind == "mean":
            out["f_latex"] = " + ".join(f"({shifted(a)})^2" if a else "x^2" for a in params["values"])
            out["values_text"] = ", ".join(number_text(a) for a in params["values"])
        elif kind == "line":
            out["rows"] = [(number_text(x), number_text(y)) for x, y in params["points"]]
        return out
