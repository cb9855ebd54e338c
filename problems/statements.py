"""Small helpers that write numbers and data into a family's statement context.

>>> number_text(3.0), number_text(-1.5), exact_text(0.1), listed([1, 2.5])
('3', '-1.5', '0.1', '1, 2.5')
>>> context = data_context([[1, 2], [3, 4]], [0, 1])
>>> context["feature_names"], context["weight_names"], context["rows"][1]
(['x_1', 'x_2'], 'w_1, w_2', (2, [3, 4], 1))
"""

from __future__ import annotations

from typing import Any, Callable, Iterable


def number_text(value: Any) -> str:
    """A number as a statement shows it: whole numbers without a point, others as ``%g``."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}"


def exact_text(value: Any) -> str:
    """A number as Python would read it back exactly: whole numbers without a point."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


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
