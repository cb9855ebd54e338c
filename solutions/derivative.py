"""The first or second derivative of a one-variable function, its value and concavity.

Pure functions over :mod:`calcgrade.core.expr` trees: :func:`solve` differentiates
with :func:`calcgrade.solutions.calculus.diff` (or a buggy :class:`Rules` subclass, for
the mistake catalog) and evaluates with :func:`~calcgrade.core.numeric.compile_numeric`. Right derivatives
are remembered per subtree (:func:`derivative_and_rules`), so the mistake catalog's buggy
derivations re-use every part the broken rule does not touch.

>>> from calcgrade.core.parse import parse_expression
>>> f = parse_expression("x^2*exp(x)", ["x"])
>>> answers = solve(f, "x", at=1)
>>> answers["derivative"], round(answers["value"], 6)
('2*x*exp(x) + x**2*exp(x)', 8.154845)
>>> solve(parse_expression("x^3", ["x"]), "x", at=-1, order=2)
{'derivative': '6*x', 'value': -6.0, 'concavity': 'concave down'}
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core import expr as ex
from calcgrade.solutions.calculus import Rules, diff
from calcgrade.core.expr import Expr
from calcgrade.core.numeric import compile_numeric

CONCAVITY_LABELS = ("concave up", "concave down", "neither")
FLAT = 1e-9  # |f''(a)| at or below this counts as zero: the test is inconclusive


def derivative(f: Expr, var: str, order: int = 1, rules: Rules | None = None) -> Expr:
    """The ``order``-th derivative of ``f`` with respect to ``var`` (by ``rules`` if given,
    else by the textbook rules, remembered per subtree)."""
    return diff(f, var, order, rules or MemoRules())


_MEMO: dict[tuple[Expr, str], tuple[Expr, frozenset[str]]] = {}
MEMO_LIMIT = 512  # entries; the memo starts afresh when it is full (a few variants' worth:
# a class's subtrees are not kept, so memory does not grow with the class)


def derivative_and_rules(expr: Expr, var: str) -> tuple[Expr, frozenset[str]]:
    """d(expr)/d(var) by :class:`Rules` and the rules it needed, remembered per subtree.

    The result is exactly what ``Rules().d(expr, var)`` gives (trees are immutable and the
    rules deterministic); subtrees seen before, in this function or in another variant's,
    are not differentiated again.

    >>> from calcgrade.core.expr import Sym, exp
    >>> tree, used = derivative_and_rules(Sym("x") * exp(Sym("x")), "x")
    >>> str(tree), sorted(used)
    ('exp(x) + x*exp(x)', ['exp', 'product'])
    """
    key = (expr, var)
    found = _MEMO.get(key)
    if found is None:
        rules = MemoRules()
        tree = Rules.d(rules, expr, var)  # this node by the rules, its parts from the memo
        found = (tree, frozenset(rules.used))
        if len(_MEMO) >= MEMO_LIMIT:
            _MEMO.clear()
        _MEMO[key] = found
    return found


def remembered(expr: Expr, var: str) -> tuple[Expr, frozenset[str]] | None:
    """What :func:`derivative_and_rules` gave for this subtree, if it is still remembered."""
    return _MEMO.get((expr, var))


class MemoRules(Rules):
    """The correct rules, with every sub-derivative taken from :func:`derivative_and_rules`."""

    def d(self, expr: Expr, var: str) -> Expr:
        tree, used = derivative_and_rules(expr, var)
        self.used |= used
        return tree


def value_at(expr: Expr, var: str, at: float) -> float:
    """The real value of ``expr`` at ``var = at``; nan outside the domain."""
    with np.errstate(all="ignore"):
        value = compile_numeric(expr)({var: float(at)})
    return float(value)


def concavity(second: float) -> str:
    """The concavity label for a second-derivative value.

    >>> concavity(2.0), concavity(-0.5), concavity(0.0)
    ('concave up', 'concave down', 'neither')
    """
    if second > FLAT:
        return "concave up"
    if second < -FLAT:
        return "concave down"
    return "neither"


def solve(f: Expr, var: str, at: float | None = None, order: int = 1,
          rules: Rules | None = None) -> dict:
    """``derivative`` (text), and with ``at`` its ``value`` there (nan outside the domain);
    with ``order`` 2 and ``at`` also the ``concavity`` of ``f`` at ``at``."""
    return answers_for(derivative(f, var, order, rules), var, at, order)


def answers_for(tree: Expr, var: str, at: float | None = None, order: int = 1) -> dict:
    """The answers of :func:`solve` from the derivative ``tree`` itself."""
    answers: dict = {"derivative": str(tree)}
    if at is not None:
        answers["value"] = value_at(tree, var, at)
        if order == 2 and math.isfinite(answers["value"]):
            answers["concavity"] = concavity(answers["value"])
    return answers


def domain_issue(expr: Expr, var: str, at: float) -> str | None:
    """Why ``expr`` has no finite real value at ``var = at`` (a short hint), or None.

    >>> from calcgrade.core.parse import parse_expression
    >>> domain_issue(parse_expression("ln(x) + 1", ["x"]), "x", -1)
    'log of a negative number?'
    >>> domain_issue(parse_expression("x + 1", ["x"]), "x", -1) is None
    True
    """
    if math.isfinite(value_at(expr, var, at)):
        return None
    for node in _postorder(expr):
        if math.isfinite(value_at(node, var, at)):
            continue
        args = [value_at(a, var, at) for a in node.args]
        if all(math.isfinite(a) for a in args):
            return _describe(node, args)
    return "the value is not a finite real number"


def _postorder(expr: Expr):
    for arg in expr.args:
        yield from _postorder(arg)
    yield expr


def _describe(node: Expr, args: list[float]) -> str:
    if isinstance(node, ex.Fn):
        (u,) = args
        if node.name == "log":
            return "log of zero?" if u == 0 else "log of a negative number?"
        if node.name in ("asin", "acos"):
            return f"{node.name} of a number outside [-1, 1]?"
        return f"{node.name} overflows there"
    if isinstance(node, ex.Pow) and isinstance(node.exp, ex.Num):
        base, exponent = args[0], node.exp.value
        if base == 0 and exponent < 0:
            return "division by zero?"
        if base < 0 and exponent.denominator % 2 == 0:
            return "square root of a negative number?" if exponent.denominator == 2 \
                else "even root of a negative number?"
    return "the value is not a finite real number"
