"""Small helpers that write numbers, data and expressions into a family's statement context.

>>> number_text(3.0), number_text(-1.5), exact_text(0.1), listed([1, 2.5])
('3', '-1.5', '0.1', '1, 2.5')
>>> context = data_context([[1, 2], [3, 4]], [0, 1])
>>> context["feature_names"], context["weight_names"], context["rows"][1]
(['x_1', 'x_2'], 'w_1, w_2', (2, [3, 4], 1))
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from calcgrade.core import expr as ex
from calcgrade.core.printing import to_str


def number_text(value: Any) -> str:
    """A number as a statement shows it: whole numbers without a point, others as ``%g``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def exact_text(value: Any) -> str:
    """A number as Python would read it back exactly: whole numbers without a point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def shifted(a: Any, variable: str = "x") -> str:
    """``x - a`` written the way a statement shows it: ``x - 2``, ``x + 1.5``, ``x``.

    >>> shifted(2), shifted(-1.5), shifted(0)
    ('x - 2', 'x + 1.5', 'x')
    """
    if a == 0:
        return variable
    return f"{variable} - {number_text(a)}" if a > 0 else f"{variable} + {number_text(-a)}"


def listed(values: Iterable[Any], text: Callable[[Any], str] = str) -> str:
    """``values`` written with ``text`` and separated by commas."""
    return ", ".join(text(v) for v in values)


def indexed(symbol: str, n: int) -> list[str]:
    """``["w_1", "w_2"]`` for n = 2, plain ``["w"]`` for n = 1."""
    return [f"{symbol}_{j + 1}" for j in range(n)] if n > 1 else [symbol]


def data_context(X: list[list], y: list) -> dict:
    """The statement values of a data set with one row of features per example: ``n``, ``m``,
    numbered ``rows`` (i, features, target), ``feature_names`` and ``weight_names``."""
    n = len(X[0])
    return {"n": n, "m": len(X), "rows": [(i + 1, row, t) for i, (row, t) in enumerate(zip(X, y))],
            "feature_names": indexed("x", n), "weight_names": ", ".join(indexed("w", n))}


def iterates_example(variables: list[str], count: int, subscript: str = "_", more: bool = False) -> str:
    """The shape of an iterates answer, without values: ``count`` points, then ``...`` if
    ``more``.

    >>> iterates_example(["x", "y"], 2), iterates_example(["x"], 1, subscript="", more=True)
    ('[[x_1, y_1], [x_2, y_2]]', '[[x1], ...]')
    """
    points = ["[" + ", ".join(f"{v}{subscript}{k}" for v in variables) + "]" for k in range(1, count + 1)]
    return "[" + ", ".join(points + (["..."] if more else [])) + "]"


def odd_roots(tree: ex.Expr) -> set[int]:
    """The odd root degrees q of the powers with exponent p/q in ``tree`` (3 for a cube root)."""
    found = set()
    if isinstance(tree, ex.Pow) and isinstance(tree.exp, ex.Num) \
            and tree.exp.value.denominator % 2 == 1 and tree.exp.value.denominator > 1:
        found.add(tree.exp.value.denominator)
    for arg in tree.args:
        found |= odd_roots(arg)
    return found


def _real_roots(tree: ex.Expr) -> ex.Expr:
    if isinstance(tree, ex.Pow) and isinstance(tree.exp, ex.Num) \
            and tree.exp.value.denominator % 2 == 1 and tree.exp.value.denominator > 1:
        p, q = tree.exp.value.numerator, tree.exp.value.denominator
        base = python_spelling(tree.base)
        root = ex.Sym(f"np.cbrt({base})" if q == 3 else
                      f"(np.sign({base})*np.abs({base})**(1/{q}))")
        return root if p == 1 else ex.Pow(root, ex.Num(p))
    if isinstance(tree, ex.Add):
        return ex.Add(tuple(_real_roots(t) for t in tree.terms))
    if isinstance(tree, ex.Mul):
        return ex.Mul(tuple(_real_roots(f) for f in tree.factors))
    if isinstance(tree, ex.Pow):
        return ex.Pow(_real_roots(tree.base), _real_roots(tree.exp))
    if isinstance(tree, ex.Fn):
        return ex.Fn(tree.name, _real_roots(tree.arg))
    return tree


def python_spelling(tree: ex.Expr) -> str:
    """``tree`` as Python with numpy, every odd root real as the solver takes it: in Python
    ``t**(1/3)`` is a complex number for a negative ``t``, ``np.cbrt(t)`` is the real root.

    >>> from calcgrade.core.parse import parse_expression
    >>> python_spelling(parse_expression("2*(3*x + 1)**(1/3) - 1", ("x",)))
    '2*np.cbrt(3*x + 1) - 1'
    """
    return to_str(_real_roots(tree))
