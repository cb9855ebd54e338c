"""``gradient_checking``: central finite differences of f(θ) against a stated analytic gradient.

The statement gives f, an implementation of its gradient (one formula per variable, right
or with one slip), the point θ, the step h and a threshold. Answers: the numerical gradient
(f(θ + h·eᵢ) − f(θ − h·eᵢ))/(2h), the relative error ‖g_num − g_an‖/(‖g_num‖ + ‖g_an‖) and
the verdict on the implementation ('wrong' when the error exceeds the threshold).

>>> family = GradientCheckingFamily()
>>> params = family.validate({"f": "x**2*y + exp(y)", "vars": ["x", "y"], "theta": [1, 0],
...                           "gradient": ["2*x*y", "x**2 + exp(y)"], "h": 0.001, "threshold": 1e-5})
>>> answers = family.solve(params)
>>> [round(g, 6) for g in answers["numerical_gradient"]], answers["verdict"]
([0.0, 2.0], 'correct')
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.core.numeric import compile_numeric
from calcgrade.core.printing import to_latex
from calcgrade.problems.checks import Expression, ListOf, Number, Variables, Vector, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.problems.statements import number_text, python_spelling
from calcgrade.solutions import gradient_check as gc

VARIABLES = {2: ("x", "y"), 3: ("x", "y", "z")}
THRESHOLDS = {0.01: 1e-3, 0.001: 1e-5}   # the step h -> the threshold the statement gives with it
MARGIN = 10.0          # a right implementation's error is below threshold/MARGIN, a wrong one's above
SMALLEST_ERROR = 1e-8  # a right one's error is truncation, not rounding noise a student cannot match
LARGEST = 1e3
SYNONYMS = {"right": "correct", "ok": "correct", "passes": "correct", "pass": "correct",
            "incorrect": "wrong", "buggy": "wrong", "fails": "wrong", "fail": "wrong"}


@lru_cache(maxsize=1024)
def _compiled(text: str, names: tuple[str, ...]):
    return compile_numeric(parse_cached(text, names))


def _function(params):
    """f as a function of a list of coordinates."""
    names = params["vars"]
    compiled = _compiled(params["f"], tuple(names))

    def f(theta):
        with np.errstate(all="ignore"):
            return float(compiled(dict(zip(names, theta))))
    return f


def _analytic(params) -> list[float]:
    """The stated implementation's gradient at θ."""
    return list(_analytic_at(tuple(params["gradient"]), tuple(params["vars"]), tuple(params["theta"])))


@lru_cache(maxsize=1024)
def _analytic_at(texts: tuple[str, ...], names: tuple[str, ...], theta: tuple) -> tuple[float, ...]:
    env = dict(zip(names, (float(t) for t in theta)))
    with np.errstate(all="ignore"):
        return tuple(float(_compiled(text, names)(env)) for text in texts)


def _central(params) -> list[float]:
    """The central differences of f at θ (remembered: the solver and two mistakes need them)."""
    return list(_central_at(params["f"], tuple(params["vars"]), tuple(params["theta"]), params["h"]))


@lru_cache(maxsize=1024)
def _central_at(text: str, names: tuple[str, ...], theta: tuple, h: float) -> tuple[float, ...]:
    return tuple(gc.central_differences(_function({"f": text, "vars": names}), theta, h))


def _with_numerical(params, numerical):
    error = gc.relative_error(numerical, _analytic(params))
    return {"numerical_gradient": numerical, "relative_error": error,
            "verdict": gc.verdict(error, params["threshold"])}


def _one_sided(params):
    return _with_numerical(params, gc.forward_differences(_function(params), params["theta"], params["h"]))


def _divided_by_h(params):
    return _with_numerical(params, [2 * g for g in _central(params)])


def _no_denominator(params):
    numerical = _central(params)
    error = gc.difference_norm(numerical, _analytic(params))
    return {"relative_error": error, "verdict": gc.verdict(error, params["threshold"])}


# the bank of terms: f's term and, per variable, its partial and a slip in it, each as text
# and as a plain function of {variable: value} (so that drawing parses nothing) -------------

def _scaled(c, text: str) -> str:
    """``c*text`` written the way one would: ``x``, ``-x``, ``3*x``."""
    return text if c == 1 else "-" + text if c == -1 else f"{c}*{text}"


def _power(v: str, p: int) -> str:
    return "" if p == 0 else v if p == 1 else f"{v}**{p}"


def _monomial(c, u: str, p: int, v: str, q: int):
    """c·u^p·v^q as (text, function); a zero c gives None."""
    if c == 0:
        return None
    body = "*".join(t for t in (_power(u, p), _power(v, q)) if t)
    text = _scaled(c, body) if body else str(c)
    return text, lambda e: c * e[u] ** p * e[v] ** q


def _term(rng, names):
    """(term, {variable: (partial, slipped partial or None)}), each a (text, function)."""
    c = nice(rng, -3, 3, nonzero=True)
    kind = pick(rng, ("monomial", "monomial", "exp", "sin", "log"))
    if kind == "monomial":
        u, v = (names[int(k)] for k in rng.choice(len(names), size=2, replace=False))
        p, q = pick(rng, (1, 2, 3)), pick(rng, (0, 1, 2))
        partials = {u: (_monomial(c * p, u, p - 1, v, q), _monomial(c, u, p - 1, v, q) if p > 1 else None)}
        if q:
            partials[v] = (_monomial(c * q, u, p, v, q - 1), _monomial(c, u, p, v, q - 1) if q > 1 else None)
        return _monomial(c, u, p, v, q), partials
    v = pick(rng, names)
    k = pick(rng, (-1, 2, 3))
    inner = f"-{v}" if k == -1 else f"{k}*{v}"
    if kind == "exp":
        return ((_scaled(c, f"exp({inner})"), lambda e: c * math.exp(k * e[v])),
                {v: ((_scaled(c * k, f"exp({inner})"), lambda e: c * k * math.exp(k * e[v])),
                     (_scaled(c, f"exp({inner})"), lambda e: c * math.exp(k * e[v])))})
    if kind == "sin":
        return ((_scaled(c, f"sin({inner})"), lambda e: c * math.sin(k * e[v])),
                {v: ((_scaled(c * k, f"cos({inner})"), lambda e: c * k * math.cos(k * e[v])),
                     (_scaled(-c * k, f"cos({inner})"), lambda e: -c * k * math.cos(k * e[v])))})
    return ((_scaled(c, f"log(1 + {v}**2)"), lambda e: c * math.log(1 + e[v] ** 2)),
            {v: ((f"{2 * c}*{v}/(1 + {v}**2)", lambda e: 2 * c * e[v] / (1 + e[v] ** 2)),
                 (f"{c}/(1 + {v}**2)", lambda e: c / (1 + e[v] ** 2)))})


def _sum_text(parts: list[str]) -> str:
    """``a + b - c`` from ``["a", "b", "-c"]``; ``0`` for none."""
    if not parts:
        return "0"
    return parts[0] + "".join(f" - {t[1:]}" if t.startswith("-") else f" + {t}" for t in parts[1:])


def _sum_function(functions):
    return lambda e: math.fsum(f(e) for f in functions)


def _latex_number(value: float) -> str:
    r"""``0.001`` as is, ``1e-05`` as ``10^{-5}`` (and ``2 \\cdot 10^{-5}``).

    >>> _latex_number(0.001), _latex_number(1e-05), _latex_number(2.5e-07)
    ('0.001', '10^{-5}', '2.5 \\cdot 10^{-7}')
    """
    text = f"{value:g}"
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else f"{mantissa} \\cdot {power}"


class GradientCheckingFamily(Family):
    name = "gradient_checking"
    topic = "gradient checking"
    skills = ("central finite differences", "relative error", "debugging a gradient implementation")
    summary = ("central finite differences of f(θ) with a stated h, the relative error against a "
               "stated analytic gradient, and whether that implementation is wrong")
    params = (
        ParamSpec("f", Expression("vars"), "the function f, in the variables of 'vars'"),
        ParamSpec("vars", Variables((2, 3), shown='["x", "y"] or ["x", "y", "z"]'), "the variables, in order"),
        ParamSpec("theta", Vector(length="vars"), "the point θ, one coordinate per variable"),
        ParamSpec("gradient", ListOf(Expression("vars"), length="vars", unit="expressions (one per variable)",
                                     shown="list of expressions"),
                  "the implementation of ∇f being checked: one formula per variable"),
        ParamSpec("h", Number(positive=True, maximum=0.1), "the step h of the central differences"),
        ParamSpec("threshold", Number(positive=True, maximum=1), "the implementation is judged wrong when "
                  "the relative error exceeds this"),
    )
    options = (
        OptionSpec("dims", "any", "the number of variables (2, 3 or 'any')", choices=(2, 3, "any")),
        OptionSpec("implementation", "any", "the stated gradient: 'correct', 'wrong' (one slip) or 'any'",
                   choices=("correct", "wrong", "any")),
    )
    answers = {
        "numerical_gradient": AnswerSpec("vector", "the central-difference gradient at θ", rtol=1e-6, atol=1e-9),
        "relative_error": AnswerSpec("scalar", "‖g_num − g_an‖ / (‖g_num‖ + ‖g_an‖)", rtol=1e-2, atol=1e-13),
        "verdict": AnswerSpec("label", "whether the implementation is 'correct' or 'wrong'",
                              labels=gc.VERDICTS, synonyms=SYNONYMS),
    }

    catalog = (
        Mistake("one_sided_difference",
                "your numerical gradient uses the one-sided difference (f(θ + h·eᵢ) − f(θ))/h: the "
                "central difference is (f(θ + h·eᵢ) − f(θ − h·eᵢ))/(2h)", _one_sided),
        Mistake("divided_by_h",
                "your numerical gradient is twice too large: the central difference divides "
                "f(θ + h·eᵢ) − f(θ − h·eᵢ) by 2h, not by h", _divided_by_h),
        Mistake("no_denominator",
                "your relative error is ‖g_num − g_an‖ alone: divide it by ‖g_num‖ + ‖g_an‖", _no_denominator),
    )

    def check(self, params):
        names = params["vars"]
        if list(names) != list(VARIABLES[len(names)]):
            raise ParamsError(f"{self.name}: param 'vars' must be {list(VARIABLES[len(names)])}, not {names!r}")
        values = [_function(params)(params["theta"])] + _central(params) + _analytic(params)
        if not all(math.isfinite(v) for v in values):
            raise ParamsError(f"{self.name}: f or the stated gradient is not defined near θ = {params['theta']}; "
                              "choose a point inside their domain")
        return params

    def draw(self, rng: np.random.Generator, *, dims, implementation):
        n = pick(rng, (2, 3)) if dims == "any" else dims
        names = VARIABLES[n]
        terms = [_term(rng, names) for _ in range(pick(rng, (2, 3)) if n == 2 else 3)]
        if any(not any(v in partials for _, partials in terms) for v in names):
            raise Reject("f does not depend on every variable")
        wrong = rng.random() < 0.5 if implementation == "any" else implementation == "wrong"
        slips = [(i, v) for i, (_, partials) in enumerate(terms) for v, (_, slip) in partials.items() if slip]
        if wrong and not slips:
            raise Reject("no term offers a slip")
        slipped = slips[int(rng.integers(len(slips)))] if wrong else None
        texts, functions = [], []
        for v in names:
            parts = [partials[v][1] if (i, v) == slipped else partials[v][0]
                     for i, (_, partials) in enumerate(terms) if v in partials]
            texts.append(_sum_text([text for text, _ in parts]))
            functions.append(_sum_function([function for _, function in parts]))
        theta = [nice(rng, -1.5, 1.5, step=0.5) for _ in range(n)]
        h = pick(rng, tuple(THRESHOLDS))
        f = _sum_function([function for (_, function), _ in terms])
        self._require_clear(lambda point: f(dict(zip(names, point))),
                            [g(dict(zip(names, theta))) for g in functions], theta, h, wrong)
        return {"f": _sum_text([text for (text, _), _ in terms]), "vars": list(names), "theta": theta,
                "gradient": texts, "h": h, "threshold": THRESHOLDS[h]}

    @staticmethod
    def _require_clear(f, analytic, theta, h, wrong: bool) -> None:
        """Sizes in range, the gradient clearly nonzero, and the verdict far from the threshold."""
        values = [f(theta)] + analytic
        if not all(math.isfinite(v) and abs(v) <= LARGEST for v in values):
            raise Reject("f or its gradient is too large at θ")
        threshold = THRESHOLDS[h]
        answers = gc.check_gradient(f, analytic, theta, h, threshold)
        if gc.norm(answers["numerical_gradient"]) < 0.5:
            raise Reject("the gradient is (nearly) zero at θ")
        error = answers["relative_error"]
        if (error < threshold * MARGIN) if wrong else not SMALLEST_ERROR < error < threshold / MARGIN:
            raise Reject("the relative error is too close to the threshold, or rounding noise")

    def solve(self, params):
        return _with_numerical(params, _central(params))

    def context(self, params):
        names = tuple(params["vars"])
        return {
            "args": ", ".join(names),
            "n": len(names),
            "f_latex": to_latex(parse_cached(params["f"], names)),
            "f_python": python_spelling(parse_cached(params["f"], names)),
            "components": [(v, to_latex(parse_cached(text, names)), python_spelling(parse_cached(text, names)))
                           for v, text in zip(names, params["gradient"])],
            "theta_text": ", ".join(number_text(t) for t in params["theta"]),
            "h_text": _latex_number(params["h"]),
            "threshold_text": _latex_number(params["threshold"]),
        }
