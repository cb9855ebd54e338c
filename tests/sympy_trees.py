"""Expression trees as sympy objects: the independent oracle of the tests (the same
conversion the sympy helper process uses, :func:`calcgrade.core.symbolic.to_sympy`).

>>> from calcgrade.core.expr import Sym, exp
>>> to_sympy(Sym("x") ** 2 * exp(Sym("x")))
x**2*exp(x)
"""

from calcgrade.core.symbolic import to_sympy  # noqa: F401
