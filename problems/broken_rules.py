"""Mistakes that break one rule of differentiation, shared by the derivative catalogs.

A :class:`BrokenRule` is the textbook :class:`~calcgrade.solutions.calculus.Rules` with one
method overridden the way a student gets it wrong. ``needs`` is the tag (in ``Rules.used``)
of the rule it breaks and ``fired`` says whether the broken rule was applied; a subtree
whose right derivation never applies the rule (or that ``relevant`` rules out) is taken
from the memo of right derivatives instead of being differentiated again.

>>> from calcgrade.core.expr import Sym, exp
>>> x = Sym("x")
>>> rules = DroppedChainFactor()
>>> str(rules.d(exp(2 * x) + x**3, "x")), rules.fired
('exp(2*x) + 3*x**2', True)
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

from calcgrade.core import expr as ex
from calcgrade.core.expr import Expr
from calcgrade.solutions.calculus import Rules
from calcgrade.solutions.derivative import derivative_and_rules


class BrokenRule(Rules):
    """The textbook rules with one rule broken; subclass, set ``needs`` and override it."""

    needs = ""  # the tag (in Rules.used) of the rule this mistake breaks
    cancels_in_pairs = False  # made twice (in f''), the mistake gives the right answer

    def __init__(self) -> None:
        super().__init__()
        self.fired = False

    @staticmethod
    def relevant(expr: Expr) -> bool:
        """False only when the broken rule cannot change the derivative of ``expr``."""
        return True

    def d(self, expr: Expr, var: str) -> Expr:
        tree, used = derivative_and_rules(expr, var)  # right, and remembered per subtree
        if self.needs not in used or not self.relevant(expr):
            self.used |= used
            return tree
        return super().d(expr, var)


class DroppedChainFactor(BrokenRule):
    """d/dx g(u) = g′(u), without the factor u′."""

    needs = "chain"

    def chain(self, outer: Expr, inner: Expr, var: str) -> Expr:
        if self.d(inner, var) != ex.ONE:
            self.fired = True
        return outer


def _is_negative_power(node: Expr) -> bool:
    return isinstance(node, ex.Pow) and isinstance(node.exp, ex.Num) and node.exp.value < 0


def _is_cos(node: Expr) -> bool:
    return isinstance(node, ex.Fn) and node.name == "cos"


@lru_cache(maxsize=512)
def _contains(expr: Expr, test: Callable[[Expr], bool]) -> bool:
    return test(expr) or any(_contains(arg, test) for arg in expr.args)


class ProductOfDerivatives(BrokenRule):
    """(fg)′ = f′g′."""

    needs = "product"

    def product(self, factors, var):
        if len(factors) == 1:
            return self.d(factors[0], var)
        self.fired = True
        return ex.mul(*(self.d(f, var) for f in factors))


class QuotientNumeratorSwapped(BrokenRule):
    """(f/g)′ = (fg′ − f′g)/g²."""

    needs = "quotient"
    cancels_in_pairs = True  # swapped twice (f'' of a quotient), the sign flips cancel

    def quotient(self, numer, denom, var):
        self.fired = True
        top = ex.add(ex.mul(numer, self.d(denom, var)), ex.neg(ex.mul(self.d(numer, var), denom)))
        return ex.mul(top, ex.power(denom, ex.Num(-2)))


class PowerRuleNegativeExponent(BrokenRule):
    """d/dx x^(−n) = −n·x^(−n+1)."""

    needs = "power"
    relevant = staticmethod(lambda expr: _contains(expr, _is_negative_power))

    def power_rule(self, base, exponent):
        if isinstance(exponent, ex.Num) and exponent.value < 0:
            self.fired = True
            return ex.mul(exponent, ex.power(base, ex.add(exponent, ex.ONE)))
        return super().power_rule(base, exponent)


class PowerRuleExponentKept(BrokenRule):
    """d/dx x^n = n·x^n."""

    needs = "power"

    def power_rule(self, base, exponent):
        self.fired = True
        return ex.mul(exponent, ex.power(base, exponent))


class CosDerivativeSign(BrokenRule):
    """d/dx cos(u) = sin(u)·u′."""

    needs = "trig"
    relevant = staticmethod(lambda expr: _contains(expr, _is_cos))

    def outer(self, name, u):
        if name == "cos":
            self.fired = True
            return ex.fn("sin", u)
        return super().outer(name, u)
