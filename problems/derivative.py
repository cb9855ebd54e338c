"""``derivative``: f′(x) or f″(x) of a one-variable function, its value at a point, concavity.

The sampler builds f from small templates, one per differentiation rule (option
``rules``), with nice integer and half coefficients, and checks with
:class:`~calcgrade.solutions.calculus.Rules` that the variant really needs that rule.

>>> family = DerivativeFamily()
>>> params = family.validate({"f": "x^2*exp(x)", "var": "x", "at": 1})
>>> answers = family.solve(params)
>>> answers["derivative"], round(answers["value"], 4)
('2*x*exp(x) + x**2*exp(x)', 8.1548)
>>> family.answer_names(family.validate({"f": "x^3", "var": "x", "at": -1, "order": 2}))
['derivative', 'value', 'concavity']
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

import numpy as np

from calcgrade.grader.errors import OptionsError, ParamsError
from calcgrade.problems.checks import (VARIABLE_NAMES, parse_cached, read_expression, read_int,
                                       read_number, read_variable)
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject)
from calcgrade.problems.sampling import pick
from calcgrade.solutions import derivative as sol
from calcgrade.solutions import expr as ex
from calcgrade.solutions.calculus import Rules
from calcgrade.solutions.expr import Expr, Sym, exp, fn, log, sqrt

RULES = ("power", "constant_multiple", "sum", "product", "quotient", "chain", "exp", "log",
         "trig", "inverse")
AT_POINTS = (-2, -1.5, -1, -0.5, 0.5, 1, 1.5, 2, 2.5, 3)
MAX_MAGNITUDE = 500.0   # |f|, |f'|, |f''| at the point stay workable by hand
MIN_CURVATURE = 0.05    # |f''(at)| below this would make the concavity a rounding question
COMBINE = 0.25          # chance of adding a second rule's term (when "sum" is allowed)

F = Fraction
HALVES = (F(1, 2), F(-1, 2), F(3, 2), F(-3, 2))


# coefficients ------------------------------------------------------------------------------

def _int(rng, low: int, high: int, exclude=(0,)) -> int:
    return pick(rng, [k for k in range(low, high + 1) if k not in exclude])


def _coef(rng, high: int = 5, one: bool = True) -> Fraction:
    """A nonzero integer in [-high, high] (±1 only when ``one``), sometimes a half."""
    if rng.random() < 0.2:
        return pick(rng, HALVES)
    return F(_int(rng, -high, high, (0,) if one else (0, 1, -1)))


def _scale(rng, x: Expr, p: float = 0.4) -> Expr:
    """``x`` times a coefficient other than 1, with probability ``p``."""
    return _coef(rng, 4, one=False) * x if rng.random() < p else x


def _linear(rng, x: Expr) -> Expr:
    """``a x + b`` with a slope that is not 0 or 1 and b != 0."""
    return pick(rng, (-3, -2, 2, 3, F(1, 2))) * x + _int(rng, -3, 3)


# one template per rule: rng, x -> f ---------------------------------------------------------

def _power(rng, x):
    special = (-3, -2, -1, F(-1, 2), F(1, 2), F(3, 2))
    first = pick(rng, special)
    terms = [_coef(rng) * x ** first]
    if rng.random() < 0.6:
        second = pick(rng, [n for n in special + (1, 2, 3, 4) if n != first])
        terms.append(_coef(rng) * x ** second)
    if rng.random() < 0.3:
        terms.append(ex.Num(_int(rng, -5, 5)))
    return ex.add(*terms)


def _constant_multiple(rng, x):
    c = pick(rng, (-5, -4, -3, -2, 2, 3, 4, 5, 6, F(1, 2), F(-1, 2), F(3, 2), F(1, 3)))
    g = pick(rng, (exp(x), log(x), fn("sin", x), fn("cos", x), sqrt(x), fn("atan", x),
                   x ** 2, x ** 3, x ** 4, x ** 5, 1 / x, x ** -2))
    return c * g + (_int(rng, -5, 5) if rng.random() < 0.3 else 0)


def _sum(rng, x):
    basis = (x, x ** 2, x ** 3, x ** 4, 1 / x, x ** -2, sqrt(x), exp(x), log(x), fn("sin", x),
             fn("cos", x))
    count = 2 + int(rng.random() < 0.4)
    chosen = rng.choice(len(basis), size=count, replace=False)
    terms = [_coef(rng) * basis[int(i)] for i in chosen]
    if rng.random() < 0.5:
        terms.append(ex.Num(_int(rng, -5, 5)))
    return ex.add(*terms)


def _product(rng, x):
    k = pick(rng, (1, 1, 2, -1, 3))
    u = pick(rng, (x, x ** 2, x ** 3, x + _int(rng, -3, 3), x ** 2 + _int(rng, -3, 3),
                   exp(k * x)))
    v = pick(rng, (exp(k * x), fn("sin", k * x), fn("cos", k * x), log(x), sqrt(x),
                   fn("atan", x)))
    return _scale(rng, u * v, 0.3)


def _quotient(rng, x):
    a, b, c, d = _int(rng, -3, 3), _int(rng, -3, 3), _int(rng, 1, 3), _int(rng, -3, 3)
    numer = pick(rng, (a * x + b, x ** 2 + b, x, x ** 2, exp(a * x), log(x), fn("sin", x),
                       fn("cos", x), log(x ** 2 + abs(b))))
    denom = pick(rng, (c * x + d, x ** 2 + abs(d), x, exp(x)))
    if numer == a * x + b and denom == c * x + d and a * d == b * c:
        raise Reject("the quotient simplifies to a constant")
    return _scale(rng, numer / denom, 0.2)


def _chain(rng, x):
    inner = pick(rng, (_linear(rng, x), x ** 2 + _int(rng, -3, 3), x ** 3 + _int(rng, -3, 3),
                       x ** 2 + _int(rng, -3, 3) * x, fn("sin", _int(rng, 2, 3) * x)))
    n = pick(rng, (2, 3, 4, -1, -2, F(1, 2)))
    outer = pick(rng, (fn("sin", inner), fn("cos", inner), exp(inner), log(inner),
                       sqrt(inner), inner ** n))
    return _scale(rng, outer, 0.3)


def _exp(rng, x):
    a = _coef(rng, 3)
    return pick(rng, (
        _coef(rng) * exp(a * x),
        exp(_linear(rng, x)),
        ex.Num(pick(rng, (2, 3, 5))) ** x * _coef(rng, 3),
        exp(pick(rng, (-1, F(-1, 2), 1)) * x ** 2),
        1 / (1 + exp(-a * x)),
        _coef(rng) * exp(x) + _coef(rng) * x ** _int(rng, 1, 3),
    ))


def _log(rng, x):
    b = _int(rng, 1, 4, ())
    return pick(rng, (
        _coef(rng) * log(_linear(rng, x)),
        _scale(rng, log(x ** 2 + b)),
        _scale(rng, x ** _int(rng, 1, 3) * log(x)),
        log(x) / x ** _int(rng, 1, 2),
        log(1 + exp(_coef(rng, 3) * x)),
        log(x) ** 2 + _coef(rng) * x,
        _coef(rng) * log(x) + _coef(rng) * x ** _int(rng, 1, 3),
    ))


def _trig(rng, x):
    k = pick(rng, (1, 2, 3, 4, F(1, 2)))
    return pick(rng, (
        _coef(rng) * fn("sin", k * x),
        _coef(rng) * fn("cos", k * x),
        _scale(rng, fn("sin", k * x) ** 2),
        _scale(rng, fn("cos", k * x) ** pick(rng, (2, 3))),
        _scale(rng, fn("sin", x) * fn("cos", k * x)),
        _coef(rng) * fn("sin", x) + _coef(rng) * fn("cos", k * x),
        _scale(rng, fn("tan", k * x)),
        fn("cos", x ** 2 + _int(rng, -2, 2, ())),
    ))


def _inverse(rng, x):
    a = pick(rng, (2, 3, 4))
    return pick(rng, (
        _coef(rng) * fn("atan", pick(rng, (2, 3, 4, F(1, 2))) * x),
        fn("atan", _linear(rng, x)),
        _scale(rng, fn("asin", x / a)),
        _scale(rng, fn("acos", x / a)),
        _scale(rng, sqrt(pick(rng, (-3, -2, -1, 1, 2, 3)) * x + _int(rng, -3, 4, ()))),
        _scale(rng, fn("atan", x ** 2)),
        x * fn("atan", pick(rng, (1, 2, 3)) * x),
    ))


TEMPLATES: dict[str, Callable] = {
    "power": _power, "constant_multiple": _constant_multiple, "sum": _sum,
    "product": _product, "quotient": _quotient, "chain": _chain, "exp": _exp, "log": _log,
    "trig": _trig, "inverse": _inverse,
}
_TAGS = {"exp": ("exp", "exponential"), "inverse": ("inverse",)}


def _has_sqrt(tree: Expr) -> bool:
    if isinstance(tree, ex.Pow) and isinstance(tree.exp, ex.Num) and tree.exp.value.denominator == 2:
        return True
    return any(_has_sqrt(arg) for arg in tree.args)


def exercises(rule: str, f: Expr, used: set[str]) -> bool:
    """Whether differentiating ``f`` (which needed the rules ``used``) exercises ``rule``."""
    if rule == "inverse" and _has_sqrt(f):  # a square root is the inverse of a square
        return True
    return any(tag in used for tag in _TAGS.get(rule, (rule,)))


# mistakes: each a Rules subclass with one rule broken ------------------------------------------

class _Buggy(Rules):
    def __init__(self) -> None:
        super().__init__()
        self.fired = False


class _MissingChainFactor(_Buggy):
    def chain(self, outer, inner, var):
        if self.d(inner, var) != ex.ONE:
            self.fired = True
        return outer


class _ProductOfDerivatives(_Buggy):
    def product(self, factors, var):
        if len(factors) == 1:
            return self.d(factors[0], var)
        self.fired = True
        return ex.mul(*(self.d(f, var) for f in factors))


class _QuotientNumeratorSwapped(_Buggy):
    def quotient(self, numer, denom, var):
        self.fired = True
        top = ex.add(ex.mul(numer, self.d(denom, var)), ex.neg(ex.mul(self.d(numer, var), denom)))
        return ex.mul(top, ex.power(denom, ex.Num(-2)))


class _PowerRuleNegativeExponent(_Buggy):
    def power_rule(self, base, exponent):
        if isinstance(exponent, ex.Num) and exponent.value < 0:
            self.fired = True
            return ex.mul(exponent, ex.power(base, ex.add(exponent, ex.ONE)))
        return super().power_rule(base, exponent)


class _PowerRuleExponentKept(_Buggy):
    def power_rule(self, base, exponent):
        self.fired = True
        return ex.mul(exponent, ex.power(base, exponent))


class _CosDerivativeSign(_Buggy):
    def outer(self, name, u):
        if name == "cos":
            self.fired = True
            return fn("sin", u)
        return super().outer(name, u)


def _tree(params) -> Expr:
    return parse_cached(params["f"], (params["var"],))


def _buggy_solver(rules_class: type[_Buggy]) -> Callable:
    def solve(params):
        rules = rules_class()
        order = params.get("order", 1)
        answers = sol.solve(_tree(params), params["var"], params.get("at"), order, rules)
        if not rules.fired:
            return None
        if "value" in answers and not math.isfinite(answers["value"]):
            del answers["value"]
        if "concavity" in answers:
            right = sol.solve(_tree(params), params["var"], params["at"], order)
            if answers["concavity"] == right.get("concavity"):
                del answers["concavity"]
        return answers
    return solve


# the family ---------------------------------------------------------------------------------

CONCAVITY_SYNONYMS = {
    "convex": "concave up", "up": "concave up", "concave upward": "concave up",
    "concave upwards": "concave up", "convex up": "concave up",
    "concave": "concave down", "down": "concave down", "concave downward": "concave down",
    "concave downwards": "concave down",
    "inconclusive": "neither", "flat": "neither", "zero": "neither", "none": "neither",
}


class DerivativeFamily(Family):
    name = "derivative"
    topic = "derivative rules"
    skills = ("power rule", "product rule", "quotient rule", "chain rule",
              "derivatives of exp, ln, sin, cos and inverse functions", "second derivative",
              "concavity")
    summary = "f′(x) (or f″(x)) of a one-variable function, its value at a point and the concavity there"
    params = (
        ParamSpec("f", "expression", "the function, as text in the variable (ln is the natural log)"),
        ParamSpec("var", "variable name", "the variable of f (default x)", required=False),
        ParamSpec("at", "number", "a point in the domain where the derivative is evaluated",
                  required=False),
        ParamSpec("order", "1 or 2", "first or second derivative (default 1)", required=False),
    )
    options = (
        OptionSpec("rules", list(RULES), "the differentiation rules a variant may exercise: "
                   + ", ".join(RULES), kind=(list, tuple)),
        OptionSpec("at", True, "ask for the value at a point", kind=bool),
        OptionSpec("order", 1, "1 for f′, 2 for f″ and the concavity", kind=int, minimum=1, maximum=2),
        OptionSpec("var", "x", "the variable's name", choices=VARIABLE_NAMES),
    )
    answers = {
        "derivative": AnswerSpec("expression", "the derivative (f″ when order is 2) as an expression"),
        "value": AnswerSpec("scalar", "the derivative's value at the point"),
        "concavity": AnswerSpec("label", "the concavity of f at the point (from the sign of f″)",
                                labels=sol.CONCAVITY_LABELS, synonyms=CONCAVITY_SYNONYMS),
    }

    def answer_names(self, params):
        names = ["derivative"]
        if "at" in params:
            names.append("value")
            if params.get("order", 1) == 2:
                names.append("concavity")
        return names

    def answer_specs(self, params):
        specs = super().answer_specs(params)
        specs["derivative"] = specs["derivative"].with_variables((params["var"],))
        return specs

    def mistakes(self):
        return (
            Mistake("derivative.missing_chain_factor",
                    "you differentiated the outer function but did not multiply by the derivative "
                    "of the inside (chain rule: d/dx f(g(x)) = f′(g(x))·g′(x))",
                    _buggy_solver(_MissingChainFactor)),
            Mistake("derivative.product_of_derivatives",
                    "you multiplied the derivatives of the factors: the product rule is "
                    "(fg)′ = f′g + fg′, not f′g′",
                    _buggy_solver(_ProductOfDerivatives)),
            Mistake("derivative.quotient_numerator_swapped",
                    "your quotient-rule numerator is the wrong way round: (f/g)′ = (f′g − fg′)/g², "
                    "not (fg′ − f′g)/g²",
                    _buggy_solver(_QuotientNumeratorSwapped)),
            Mistake("derivative.power_rule_negative_exponent",
                    "with a negative exponent the power rule still lowers the exponent by one: "
                    "d/dx x^(−2) = −2x^(−3), not −2x^(−1)",
                    _buggy_solver(_PowerRuleNegativeExponent)),
            Mistake("derivative.power_rule_exponent_kept",
                    "the power rule lowers the exponent by one: d/dx x^n = n·x^(n−1), not n·x^n",
                    _buggy_solver(_PowerRuleExponentKept)),
            Mistake("derivative.cos_derivative_sign",
                    "the derivative of cos(u) is −sin(u)·u′, not +sin(u)·u′: check the sign",
                    _buggy_solver(_CosDerivativeSign)),
        )

    def resolve_options(self, options):
        resolved = super().resolve_options(options)
        rules = resolved["rules"]
        unknown = [r for r in rules if r not in RULES]
        if unknown or not rules:
            what = f"unknown rule {unknown[0]!r}" if unknown else "no rule"
            raise OptionsError(f"{self.name}: option rules names {what} (rules: {', '.join(RULES)})")
        resolved["rules"] = [r for r in RULES if r in rules]
        return resolved

    def check(self, params):
        var = read_variable(self.name, params, "var") if "var" in params else "x"
        f = read_expression(self.name, params, "f", (var,))
        out = {"f": params["f"], "var": var}
        order = 1
        if "order" in params:
            order = out["order"] = read_int(self.name, params, "order", 1, 2)
        if "at" in params:
            at = out["at"] = read_number(self.name, params, "at")
            issue = sol.domain_issue(f, var, at)
            if issue:
                raise ParamsError(f"{self.name}: f is not defined at at={at} ({issue}); "
                                  "choose a point in its domain")
            issue = sol.domain_issue(sol.derivative(f, var, order), var, at)
            if issue:
                which = "second derivative" if order == 2 else "derivative"
                raise ParamsError(f"{self.name}: the {which} of f is not defined at at={at} "
                                  f"({issue}); choose another point")
        return out

    def draw(self, rng: np.random.Generator, *, rules, at, order, var):
        rule = pick(rng, rules)
        x = Sym(var)
        tree = TEMPLATES[rule](rng, x)
        others = [r for r in rules if r not in (rule, "sum")]
        if rng.random() < COMBINE and order == 1 and "sum" in rules and others:
            tree = ex.add(tree, TEMPLATES[pick(rng, others)](rng, x))
        text = str(tree)
        f = parse_cached(text, (var,))
        rules_seen = Rules()
        trees = [f]
        for _ in range(order):
            trees.append(rules_seen.d(trees[-1], var))
        if not exercises(rule, f, rules_seen.used):
            raise Reject(f"the function does not need the {rule} rule")
        values = _values(trees, var)
        if not np.any(np.abs(values[-1]) > 1e-9):
            raise Reject("the derivative is zero or undefined at every nice point")
        params = {"f": text, "var": var, "order": order}
        if at:
            points = _good_points(values, order)
            if not points:
                raise Reject("no nice point in the domain")
            params["at"] = pick(rng, points)
        return params

    def solve(self, params):
        return sol.solve(_tree(params), params["var"], params.get("at"), params.get("order", 1))

    def context(self, params):
        var, order = params["var"], params.get("order", 1)
        f = _tree(params)
        answer = str(sol.derivative(f, var, order))
        examples = (f"3*{var}**2 + exp({var})", f"{var}*cos({var}) - 2/{var}**2")
        example = next(e for e in examples if str(parse_cached(e, (var,))) != answer)
        return {"var": var, "order": order, "f_latex": ex.to_latex(f), "example": example}


def _values(trees: list[Expr], var: str) -> list[np.ndarray]:
    """Each tree evaluated at every point of ``AT_POINTS`` (nan outside the domain)."""
    xs = np.array(AT_POINTS, dtype=float)
    with np.errstate(all="ignore"):
        return [np.broadcast_to(np.asarray(ex.compile_numeric(t)({var: xs}), dtype=float), xs.shape)
                for t in trees]


def _good_points(values: list[np.ndarray], order: int) -> list:
    """The points where f and its derivatives are finite and not huge (and, for order 2,
    f'' is clearly nonzero)."""
    ok = np.ones(len(AT_POINTS), dtype=bool)
    for v in values:
        ok &= np.isfinite(v) & (np.abs(v) <= MAX_MAGNITUDE)
    if order == 2:
        ok &= np.abs(values[-1]) >= MIN_CURVATURE
    return [p for p, good in zip(AT_POINTS, ok) if good]
