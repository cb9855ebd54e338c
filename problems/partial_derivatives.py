"""``partial_derivatives``: ∂f/∂x, ∂f/∂y (and ∂f/∂z) as expressions and ∇f at a point.

The sampler adds two or three terms from a small bank (mixed monomials, exp/sin/cos/log of
linear or product arguments, powers of a linear form, separable products) with nice
coefficients, so that f depends on every variable, and picks an integer point where f and
its partials are finite and of moderate size.

>>> family = PartialDerivativesFamily()
>>> params = family.validate({"f": "x^2*y + sin(y)", "vars": ["x", "y"], "point": [1, 0]})
>>> answers = family.solve(params)
>>> answers["f_x"], answers["f_y"], answers["gradient"]
('2*y*x', 'x**2 + cos(y)', [0.0, 2.0])
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from calcgrade.core.answers import answer_matches, expressions_equivalent
from calcgrade.core.errors import ParamsError
from calcgrade.problems.broken_rules import DroppedChainFactor
from calcgrade.problems.checks import Expression, Variables, Vector, parse_cached
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.core import expr as ex
from calcgrade.solutions import partial_derivatives as sol
from calcgrade.solutions.derivative import MemoRules
from calcgrade.core.expr import Expr
from calcgrade.core.printing import to_latex

VARIABLES = {2: ["x", "y"], 3: ["x", "y", "z"]}
EXAMPLES = ("2*x*y + exp(x)", "3*y**2 - sin(x)")  # format examples in the statement
MAX_MAGNITUDE = 200.0


# the term bank: terms are written as text (parsing once is cheaper than building trees) ---------

COEFFICIENTS = (-5, -4, -3, -2, -1, 1, 1, 2, 2, 3, 4, 5)


def _coef(rng) -> str:
    """A coefficient as text to put before a term: '', '-', '3*', '0.5*', ..."""
    c = pick(rng, ("0.5", "-0.5", "1.5")) if rng.random() < 0.15 else str(pick(rng, COEFFICIENTS))
    return {"1": "", "-1": "-"}.get(c, c + "*")


def _k(rng) -> int:
    return pick(rng, (-3, -2, -1, 1, 2, 3))


def _pow(u: str, n: int) -> str:
    return u if n == 1 else f"{u}**{n}" if n > 0 else f"{u}**({n})"


def _linear(*pairs) -> str:
    """'2*x - y + 3' from (coefficient, name) pairs (name '' for a constant)."""
    out = ""
    for c, name in pairs:
        if c == 0:
            continue
        body = str(abs(c)) if not name else name if abs(c) == 1 else f"{abs(c)}*{name}"
        out += (" - " if c < 0 else " + ") + body if out else ("-" if c < 0 else "") + body
    return out


def _mixed(rng, u, v):
    return f"{_pow(u, nice(rng, 1, 3))}*{_pow(v, nice(rng, 1, 2))}"


def _single(rng, u, v):
    return _pow(u, pick(rng, (2, 3, 4)))


def _exp_product(rng, u, v):
    return "exp(" + pick(rng, ("", "-")) + f"{u}*{v}" + pick(rng, ("", "", "/2")) + ")"


def _exp_linear(rng, u, v):
    return f"exp({_linear((pick(rng, (1, -1, 2)), u), (pick(rng, (1, -1, 2, -2)), v))})"


def _trig(rng, u, v):
    return f"{pick(rng, ('sin', 'cos'))}({_linear((_k(rng), u), (_k(rng), v))})"


def _trig_product(rng, u, v):
    return f"{pick(rng, ('sin', 'cos'))}({u}*{v})"


def _log_sum(rng, u, v):
    return f"log({_linear((1, u + '**2'), (pick(rng, (1, 2)), v + '**2'), (nice(rng, 1, 3), ''))})"


def _sqrt_sum(rng, u, v):
    return f"sqrt({u}**2 + {v}**2 + {pick(rng, (1, 4, 9))})"


def _power_linear(rng, u, v):
    return f"({_linear((1, u), (_k(rng), v))})**{pick(rng, (2, 3))}"


def _separable(rng, u, v):
    outer = pick(rng, ("exp", "sin", "cos", "log"))
    inner = f"{v}**2 + 1" if outer == "log" else v
    return f"{_pow(u, nice(rng, 1, 2))}*{outer}({inner})"


def _quotient(rng, u, v):
    return f"{u}/({v}**2 + {nice(rng, 1, 3)})"


TERMS = (_mixed, _single, _exp_product, _exp_linear, _trig, _trig_product, _log_sum, _sqrt_sum,
         _power_linear, _separable, _quotient)
SYMMETRIC = (_exp_product, _exp_linear, _trig, _trig_product, _log_sum, _sqrt_sum, _power_linear)


def random_function(rng, names: list[str], count: int) -> str:
    """A sum of ``count`` terms from the bank in the variables ``names`` (each used), as text."""
    text, used = "", set()
    for _ in range(count):
        i, j = (int(k) for k in rng.choice(len(names), size=2, replace=False))
        term = pick(rng, TERMS)
        if term in SYMMETRIC:  # the sum reads in the order of the variables
            i, j = min(i, j), max(i, j)
        body = _coef(rng) + term(rng, names[i], names[j])
        used.update((names[i],) if term is _single else (names[i], names[j]))
        if not text:
            text = body
        else:
            text += " - " + body[1:] if body.startswith("-") else " + " + body
    if used != set(names):
        raise Reject("f does not depend on every variable")
    return text


# the answers and the mistakes --------------------------------------------------------------------

def _tree(params) -> Expr:
    return parse_cached(params["f"], tuple(params["vars"]))


@lru_cache(maxsize=512)
def _partials(text: str, variables: tuple[str, ...]) -> tuple[Expr, ...]:
    # the textbook rules, with each subtree's derivative remembered across variants
    return tuple(sol.partials(parse_cached(text, variables), variables, MemoRules))


partials_of = _partials  # ∂f/∂v trees for f given as text, cached (used by tangent_plane too)


@lru_cache(maxsize=512)
def _reference(text: str, variables: tuple[str, ...], point: tuple) -> dict:
    return sol.answers_for(list(_partials(text, variables)), variables, point)


def _solved(params) -> dict:
    answers = _reference(params["f"], tuple(params["vars"]), tuple(params["point"]))
    return {k: list(v) if isinstance(v, list) else v for k, v in answers.items()}


def _finite(values) -> bool:
    return all(math.isfinite(v) for v in values)


@lru_cache(maxsize=512)
def _buggy_trees(kind: str, text: str, variables: tuple[str, ...]) -> tuple[Expr, ...] | None:
    """The partials a mistake produces (None when it does not arise for f)."""
    if kind == "other_variables_differentiated":
        return (ex.add(*_partials(text, variables)),) * len(variables)
    f = parse_cached(text, variables)
    terms = f.terms if isinstance(f, ex.Add) else (f,)
    trees, fired = [], False
    for v in variables:
        parts = [_dropped_chain_factor(term, v) for term in terms]
        trees.append(ex.add(*(tree for tree, _ in parts)))
        fired |= any(hit for _, hit in parts)
    return tuple(trees) if fired else None


@lru_cache(maxsize=512)
def _dropped_chain_factor(term: Expr, var: str) -> tuple[Expr, bool]:
    rules = DroppedChainFactor()
    return rules.d(term, var), rules.fired


@lru_cache(maxsize=512)
def _buggy(kind: str, text: str, variables: tuple[str, ...], point: tuple):
    """(changed partials {answer name: tree}, gradient) of a mistake, or None."""
    trees = _buggy_trees(kind, text, variables)
    if trees is None:
        return None
    right = _partials(text, variables)
    reference = _reference(text, variables, point)["gradient"]
    if kind == "other_variables_differentiated":
        gradient = [math.fsum(reference) + 0.0] * len(variables)
    else:
        gradient = [g if t == r else sol.value_at(t, variables, point) + 0.0
                    for t, r, g in zip(trees, right, reference)]
    if not _finite(gradient):
        return None
    changed = {sol.answer_name(v): t for v, t, r in zip(variables, trees, right) if t != r}
    return changed, gradient


def _tree_solver(kind: str):
    def solve(params):
        found = _buggy(kind, params["f"], tuple(params["vars"]), tuple(params["point"]))
        if found is None:
            return None
        changed, gradient = found
        return {**{name: str(t) for name, t in changed.items()}, "gradient": list(gradient)}
    return solve


def _gradient_swapped(params):
    gradient = _solved(params)["gradient"]
    swapped = gradient[::-1]
    return None if swapped == gradient else {"gradient": swapped}


MISTAKES = (
    Mistake("other_variables_differentiated",
            "you differentiated the other variables too: for ∂f/∂x hold y (and z) constant, "
            "e.g. ∂(xy)/∂x = y, not y + x",
            _tree_solver("other_variables_differentiated")),
    Mistake("missing_chain_factor",
            "a chain-rule factor is missing: ∂/∂x g(u(x, y)) = g′(u)·∂u/∂x, e.g. "
            "∂/∂x e^(xy) = y·e^(xy)",
            _tree_solver("missing_chain_factor")),
    Mistake("gradient_swapped",
            "your gradient lists the partials in the wrong order: ∇f = (∂f/∂x, ∂f/∂y[, ∂f/∂z])",
            _gradient_swapped),
)


class PartialDerivativesFamily(Family):
    name = "partial_derivatives"
    topic = "partial derivatives and gradients"
    skills = ("partial derivatives", "holding variables constant", "chain rule", "gradient")
    summary = "∂f/∂x, ∂f/∂y (and ∂f/∂z) as expressions and the gradient ∇f at a point"
    params = (
        ParamSpec("f", Expression("vars"), "the function, in the variables of 'vars'"),
        ParamSpec("vars", Variables((2, 3), shown='["x", "y"] or ["x", "y", "z"]'), "the variables, in order"),
        ParamSpec("point", Vector(length="vars"), "the point, one coordinate per variable"),
    )
    options = (
        OptionSpec("dims", "any", "the number of variables (2, 3 or 'any')", choices=(2, 3, "any")),
    )
    answers = {
        "f_x": AnswerSpec("expression", "∂f/∂x as an expression in the variables"),
        "f_y": AnswerSpec("expression", "∂f/∂y as an expression in the variables"),
        "f_z": AnswerSpec("expression", "∂f/∂z as an expression in the variables (3 variables)"),
        "gradient": AnswerSpec("vector", "∇f at the point"),
    }

    def answer_names(self, params):
        return [sol.answer_name(v) for v in params["vars"]] + ["gradient"]

    def answer_specs(self, params):
        specs = super().answer_specs(params)
        for v in params["vars"]:
            specs[sol.answer_name(v)] = specs[sol.answer_name(v)].with_variables(params["vars"])
        return specs

    catalog = MISTAKES

    def require_distinguishable(self, params):
        """As :meth:`Family.require_distinguishable`, comparing the gradient first and the
        partials as trees (no printing and parsing): the sampler's hot loop."""
        variables, point = tuple(params["vars"]), tuple(params["point"])
        specs = self.answer_specs(params)
        reference = _solved(params)
        right = dict(zip(self.answer_names(params), _partials(params["f"], variables)))
        for mistake in self.mistakes():
            kind = mistake.id.split(".")[1]
            if kind == "gradient_swapped":
                buggy = _gradient_swapped(params)
                if buggy is not None and answer_matches(specs["gradient"], buggy["gradient"],
                                                        reference["gradient"]):
                    raise Reject(f"mistake {mistake.id} is indistinguishable from the answer")
                continue
            found = _buggy(kind, params["f"], variables, point)
            if found is None or not answer_matches(specs["gradient"], found[1], reference["gradient"]):
                continue
            if all(expressions_equivalent(t, right[name], variables) is True
                   for name, t in found[0].items()):
                raise Reject(f"mistake {mistake.id} is indistinguishable from the answer")

    def check(self, params):
        variables, point = params["vars"], params["point"]
        if variables != VARIABLES[len(variables)]:
            raise ParamsError(f"{self.name}: param 'vars' must be {VARIABLES[len(variables)]} "
                              f"(the answers are named f_x, f_y, f_z), not {variables!r}")
        value = sol.value_at(parse_cached(params["f"], tuple(variables)), variables, point)
        gradient = _reference(params["f"], tuple(variables), tuple(point))["gradient"]
        if not math.isfinite(value) or not _finite(gradient):
            raise ParamsError(f"{self.name}: f or one of its partial derivatives is not defined at "
                              f"point {point}; choose a point inside the domain of f")
        return params

    def draw(self, rng: np.random.Generator, *, dims):
        n = pick(rng, (2, 3)) if dims == "any" else dims
        names = VARIABLES[n]
        text = random_function(rng, names, pick(rng, (2, 3)) if n == 2 else 3)
        point = [nice(rng, -2, 2) for _ in range(n)]
        answers = _reference(text, tuple(names), tuple(point))
        values = answers["gradient"] + [sol.value_at(parse_cached(text, tuple(names)), names, point)]
        if not _finite(values) or max(abs(v) for v in values) > MAX_MAGNITUDE:
            raise Reject("f or its gradient is undefined or too large at the point")
        if not any(abs(g) > 1e-9 for g in answers["gradient"]):
            raise Reject("the gradient is zero at the point")
        return {"f": text, "vars": list(names), "point": point}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        variables = params["vars"]
        return {
            "f_latex": to_latex(_tree(params)),
            "args": ", ".join(variables),
            "point_text": ", ".join(str(p) for p in params["point"]),
            "n": len(variables),
            "partials": ", ".join(rf"\dfrac{{\partial f}}{{\partial {v}}}" for v in variables),
            "example": next(e for e in EXAMPLES if not any(
                expressions_equivalent(e, t, variables) for t in _partials(params["f"], tuple(variables)))),
        }
