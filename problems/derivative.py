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
from functools import lru_cache
from typing import Callable

import numpy as np

from calcgrade.core.answers import answer_matches, expressions_equivalent
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems.broken_rules import (BrokenRule, CosDerivativeSign, DroppedChainFactor,
                                             PowerRuleExponentKept, PowerRuleNegativeExponent,
                                             ProductOfDerivatives, QuotientNumeratorSwapped)
from calcgrade.problems.checks import (VARIABLE_NAMES, Expression, Integer, Number, Variable,
                                       parse_cached)
from calcgrade.problems.family import (AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject)
from calcgrade.problems.sampling import pick
from calcgrade.solutions import derivative as sol
from calcgrade.core import expr as ex
from calcgrade.core.expr import Expr, Sym, exp, fn, log, sqrt
from calcgrade.core.numeric import compile_numeric
from calcgrade.core.printing import to_latex

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

def _one_of(rng, *builders: Callable[[], Expr]) -> Expr:
    """Build only the chosen alternative (each alternative draws its own coefficients)."""
    return pick(rng, builders)()


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
    g = _one_of(rng, lambda: exp(x), lambda: log(x), lambda: fn("sin", x), lambda: fn("cos", x),
                lambda: sqrt(x), lambda: fn("atan", x), lambda: x ** _int(rng, 2, 5),
                lambda: 1 / x, lambda: x ** -2)
    return c * g + (_int(rng, -5, 5) if rng.random() < 0.3 else 0)


_SUM_BASIS = ((1,), (2,), (3,), (4,), (-1,), (-2,), (F(1, 2),), ("exp",), ("log",), ("sin",),
              ("cos",))


def _sum(rng, x):
    count = 2 + int(rng.random() < 0.4)
    chosen = rng.choice(len(_SUM_BASIS), size=count, replace=False)
    terms = []
    for i in chosen:
        (what,) = _SUM_BASIS[int(i)]
        term = fn(what, x) if isinstance(what, str) else x ** what
        terms.append(_coef(rng) * term)
    if rng.random() < 0.5:
        terms.append(ex.Num(_int(rng, -5, 5)))
    return ex.add(*terms)


def _product(rng, x):
    k = pick(rng, (1, 1, 2, -1, 3))
    u = _one_of(rng, lambda: x, lambda: x ** 2, lambda: x ** 3, lambda: x + _int(rng, -3, 3),
                lambda: x ** 2 + _int(rng, -3, 3), lambda: exp(k * x))
    v = _one_of(rng, lambda: exp(k * x), lambda: fn("sin", k * x), lambda: fn("cos", k * x),
                lambda: log(x), lambda: sqrt(x), lambda: fn("atan", x))
    return _scale(rng, u * v, 0.3)


def _quotient(rng, x):
    a, b, c, d = _int(rng, -3, 3), _int(rng, -3, 3), _int(rng, 1, 3), _int(rng, -3, 3)
    kind = pick(rng, ("poly", "poly", "monomial", "exp", "other", "other"))
    numer = _one_of(rng, *{
        "poly": (lambda: a * x + b, lambda: x ** 2 + b),
        "monomial": (lambda: x, lambda: x ** 2),
        "exp": (lambda: exp(a * x),),
        "other": (lambda: log(x), lambda: fn("sin", x), lambda: fn("cos", x),
                  lambda: log(x ** 2 + abs(b))),
    }[kind])
    denoms = [lambda: c * x + d, lambda: x ** 2 + abs(d)]
    if kind != "monomial":  # x**2/x would cancel
        denoms.append(lambda: x)
    if kind != "exp":
        denoms.append(lambda: 1 + exp(x))
    denom = _one_of(rng, *denoms)
    if numer == denom or numer == a * x + b and denom == c * x + d and a * d == b * c:
        raise Reject("the quotient simplifies to a constant")
    return _scale(rng, numer / denom, 0.2)


def _chain(rng, x):
    inner = _one_of(rng, lambda: _linear(rng, x), lambda: x ** 2 + _int(rng, -3, 3),
                    lambda: x ** 3 + _int(rng, -3, 3), lambda: x ** 2 + _int(rng, -3, 3) * x,
                    lambda: fn("sin", _int(rng, 2, 3) * x))
    outer = _one_of(rng, lambda: fn("sin", inner), lambda: fn("cos", inner),
                    lambda: exp(inner), lambda: log(inner), lambda: sqrt(inner),
                    lambda: inner ** pick(rng, (2, 3, 4, -1, -2, F(1, 2))))
    return _scale(rng, outer, 0.3)


def _exp(rng, x):
    return _one_of(
        rng,
        lambda: _coef(rng) * exp(_coef(rng, 3) * x),
        lambda: exp(_linear(rng, x)),
        lambda: ex.Num(pick(rng, (2, 3, 5))) ** x * _coef(rng, 3),
        lambda: _scale(rng, exp(pick(rng, (-2, -1, F(-1, 2), F(1, 2), 1)) * x ** 2), 0.5),
        lambda: _scale(rng, 1 / (1 + exp(-_coef(rng, 3) * x)), 0.5),
        lambda: _coef(rng) * exp(x) + _coef(rng) * x ** _int(rng, 1, 3),
    )


def _log(rng, x):
    return _one_of(
        rng,
        lambda: _coef(rng) * log(_linear(rng, x)),
        lambda: _scale(rng, log(x ** 2 + _int(rng, 1, 4, ()))),
        lambda: _scale(rng, x ** _int(rng, 1, 3) * log(_int(rng, 1, 3) * x), 0.5),
        lambda: _scale(rng, log(_int(rng, 1, 3) * x) / x ** _int(rng, 1, 2), 0.5),
        lambda: _scale(rng, log(1 + exp(_coef(rng, 3) * x)), 0.5),
        lambda: log(x) ** 2 + _coef(rng) * x ** _int(rng, 1, 3),
        lambda: _coef(rng) * log(x) + _coef(rng) * x ** _int(rng, 1, 3),
    )


def _trig(rng, x):
    k = pick(rng, (1, 2, 3, 4, F(1, 2)))
    return _one_of(
        rng,
        lambda: _coef(rng) * fn("sin", k * x),
        lambda: _coef(rng) * fn("cos", k * x),
        lambda: _scale(rng, fn("sin", k * x) ** 2),
        lambda: _scale(rng, fn("cos", k * x) ** pick(rng, (2, 3))),
        lambda: _scale(rng, fn("sin", x) * fn("cos", k * x)),
        lambda: _coef(rng) * fn("sin", x) + _coef(rng) * fn("cos", k * x),
        lambda: _scale(rng, fn("tan", k * x), 0.6),
        lambda: _scale(rng, fn("cos", pick(rng, (1, 2, F(1, 2))) * x ** 2 + _int(rng, -2, 2, ())), 0.5),
    )


def _inverse(rng, x):
    a = pick(rng, (2, 3, 4, 5))
    return _one_of(
        rng,
        lambda: _coef(rng) * fn("atan", pick(rng, (2, 3, 4, F(1, 2))) * x),
        lambda: fn("atan", _linear(rng, x)),
        lambda: _scale(rng, fn("asin", x / a), 0.6),
        lambda: _scale(rng, fn("acos", x / a), 0.6),
        lambda: _scale(rng, sqrt(pick(rng, (-3, -2, -1, 1, 2, 3)) * x + _int(rng, -3, 4, ()))),
        lambda: _scale(rng, fn("atan", pick(rng, (1, 2, 3, F(1, 2))) * x ** 2), 0.5),
        lambda: _scale(rng, x ** _int(rng, 1, 2) * fn("atan", pick(rng, (1, 2, 3, F(1, 2))) * x), 0.5),
    )


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


def _tree(params) -> Expr:
    return parse_cached(params["f"], (params["var"],))


@lru_cache(maxsize=512)
def derivatives(text: str, var: str, order: int) -> tuple[tuple[Expr, ...], frozenset[str]]:
    """f', ..., the ``order``-th derivative of f (given as text) and the rules they needed."""
    rules = sol.MemoRules()
    trees = [parse_cached(text, (var,))]
    for _ in range(order):
        trees.append(rules.d(trees[-1], var))
    return tuple(trees[1:]), frozenset(rules.used)


@lru_cache(maxsize=512)
def _reference(text: str, var: str, at, order: int) -> dict:
    return sol.answers_for(derivatives(text, var, order)[0][-1], var, at, order)


def _buggy_derivative(rules_class: type[BrokenRule], params) -> Expr | None:
    """The derivative the mistake produces, or None when it does not arise for ``params``."""
    text, var, order = params["f"], params["var"], params.get("order", 1)
    if rules_class.needs not in derivatives(text, var, order)[1]:
        return None  # the right derivation never applies the rule this mistake breaks
    rules = rules_class()
    tree = sol.derivative(_tree(params), var, order, rules)
    if not rules.fired:
        return None
    if order == 2 and rules_class.cancels_in_pairs and expressions_equivalent(
            tree, derivatives(text, var, order)[0][-1], (var,)) is True:
        return None  # made consistently, this mistake gives the right f''
    return tree


def _buggy_scalars(tree: Expr, params) -> dict:
    """The mistake's ``value`` (when finite) and ``concavity`` (when it changes)."""
    at, order = params.get("at"), params.get("order", 1)
    if at is None:
        return {}
    value = sol.value_at(tree, params["var"], at)
    if not math.isfinite(value):
        return {}
    out = {"value": value}
    if order == 2:
        concavity = sol.concavity(value)
        if concavity != _reference(params["f"], params["var"], at, order).get("concavity"):
            out["concavity"] = concavity
    return out


def _buggy_solver(rules_class: type[BrokenRule]) -> Callable:
    def solve(params):
        tree = _buggy_derivative(rules_class, params)
        if tree is None:
            return None
        return {**_buggy_scalars(tree, params), "derivative": str(tree)}
    return solve


_CATALOG = (
    ("missing_chain_factor", DroppedChainFactor,
     "you differentiated the outer function but did not multiply by the derivative of the "
     "inside (chain rule: d/dx f(g(x)) = f′(g(x))·g′(x))"),
    ("product_of_derivatives", ProductOfDerivatives,
     "you multiplied the derivatives of the factors: the product rule is (fg)′ = f′g + fg′, "
     "not f′g′"),
    ("quotient_numerator_swapped", QuotientNumeratorSwapped,
     "your quotient-rule numerator is the wrong way round: (f/g)′ = (f′g − fg′)/g², "
     "not (fg′ − f′g)/g²"),
    ("power_rule_negative_exponent", PowerRuleNegativeExponent,
     "with a negative exponent the power rule still lowers the exponent by one: "
     "d/dx x^(−2) = −2x^(−3), not −2x^(−1)"),
    ("power_rule_exponent_kept", PowerRuleExponentKept,
     "the power rule lowers the exponent by one: d/dx x^n = n·x^(n−1), not n·x^n"),
    ("cos_derivative_sign", CosDerivativeSign,
     "the derivative of cos(u) is −sin(u)·u′, not +sin(u)·u′: check the sign"),
)
MISTAKES = tuple(Mistake(name, message, _buggy_solver(cls))
                 for name, cls, message in _CATALOG)


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
        ParamSpec("f", Expression("var", default=("x",)), "the function, as text in the variable (ln is the natural log)"),
        ParamSpec("var", Variable(), "the variable of f (default x)", required=False),
        ParamSpec("at", Number(), "a point in the domain where the derivative is evaluated",
                  required=False),
        ParamSpec("order", Integer(1, 2, shown="1 or 2"), "first or second derivative (default 1)", required=False),
    )
    options = (
        OptionSpec("rules", list(RULES), "the differentiation rules a variant may exercise (a "
                   "list, or names separated by commas): " + ", ".join(RULES),
                   kind=(list, tuple, str)),
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

    catalog = MISTAKES

    def require_distinguishable(self, params):
        """As :meth:`Family.require_distinguishable`, but comparing the scalars first and
        the derivative as trees (no printing and parsing): the sampler's hot loop."""
        specs = self.answer_specs(params)
        reference = self.solve(params)
        truth = derivatives(params["f"], params["var"], params.get("order", 1))[0][-1]
        spec = specs["derivative"]
        for name, rules_class, _ in _CATALOG:
            tree = _buggy_derivative(rules_class, params)
            if tree is None:
                continue
            scalars = _buggy_scalars(tree, params)
            if all(answer_matches(specs[n], v, reference[n]) for n, v in scalars.items()) and \
                    expressions_equivalent(tree, truth, spec.variables, spec.rtol, spec.atol) is True:
                raise Reject(f"mistake derivative.{name} is indistinguishable from the answer")

    def resolve_options(self, options):
        resolved = super().resolve_options(options)
        rules = resolved["rules"]
        if isinstance(rules, str):
            rules = [r.strip() for r in rules.split(",") if r.strip()]
        unknown = [r for r in rules if r not in RULES]
        if unknown or not rules:
            what = f"unknown rule {unknown[0]!r}" if unknown else "no rule"
            raise OptionsError(f"{self.name}: option rules names {what} (rules: {', '.join(RULES)})")
        resolved["rules"] = [r for r in RULES if r in rules]
        return resolved

    def check(self, params):
        var = params.get("var", "x")
        f = parse_cached(params["f"], (var,))
        out = {"f": params["f"], "var": var}
        order = 1
        if "order" in params:
            order = out["order"] = params["order"]
        if "at" in params:
            at = out["at"] = params["at"]
            issue = sol.domain_issue(f, var, at)
            if issue:
                raise ParamsError(f"{self.name}: f is not defined at at={at} ({issue}); "
                                  "choose a point in its domain")
            if not math.isfinite(_reference(out["f"], var, at, order)["value"]):
                issue = sol.domain_issue(derivatives(out["f"], var, order)[0][-1], var, at)
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
        trees, used = derivatives(text, var, order)
        if not exercises(rule, f, used):
            raise Reject(f"the function does not need the {rule} rule")
        values = _values((f,) + trees, var)
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
        return dict(_reference(params["f"], params["var"], params.get("at"), params.get("order", 1)))

    def context(self, params):
        var, order = params["var"], params.get("order", 1)
        f = _tree(params)
        answer = _reference(params["f"], var, None, order)["derivative"]
        examples = (f"3*{var}**2 + exp({var})", f"{var}*cos({var}) - 2/{var}**2")
        example = next(e for e in examples if str(parse_cached(e, (var,))) != answer)
        return {"var": var, "order": order, "f_latex": to_latex(f), "example": example}


def _values(trees: tuple[Expr, ...], var: str) -> list[np.ndarray]:
    """Each tree evaluated at every point of ``AT_POINTS`` (nan outside the domain)."""
    xs = np.array(AT_POINTS, dtype=float)
    with np.errstate(all="ignore"):
        return [np.broadcast_to(np.asarray(compile_numeric(t)({var: xs}), dtype=float), xs.shape)
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
