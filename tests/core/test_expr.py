"""The symbolic core: simplification, printing round trips, numbers and sympy agreement."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

from calcgrade.core import expr as ex
from calcgrade.core.parse import parse_expression
from calcgrade.core.numeric import compile_numeric, evaluate
from calcgrade.core.printing import to_latex
from ..sympy_trees import to_sympy

from tests.solutions.random_trees import random_tree

x, y = ex.Sym("x"), ex.Sym("y")


def test_like_terms_and_powers_are_collected():
    assert ex.add(x, 2 * x, ex.Num(1), ex.Num(-1)) == 3 * x
    assert ex.mul(x, x, x ** -1) == x and ex.mul(x, x ** -1) == ex.ONE
    assert (2 * x) ** 2 == 4 * x ** 2
    assert x - x == ex.ZERO and x / x == ex.ONE


def test_numbers_are_exact():
    assert ex.Num(Fraction(1, 10)) + ex.Num(Fraction(2, 10)) == ex.Num(Fraction(3, 10))
    assert ex.as_expr(0.1) == ex.Num(Fraction(1, 10))
    assert ex.power(ex.Num(8), ex.Num(Fraction(2, 3))) == ex.Num(4)
    assert isinstance(ex.power(ex.Num(2), ex.HALF), ex.Pow)


def test_huge_number_powers_are_refused():
    with pytest.raises(OverflowError):
        ex.power(ex.Num(3), ex.Num(5000))
    with pytest.raises(OverflowError):
        ex.power(ex.Num(Fraction(1, 3)), ex.Num(-10**6))


def test_a_symbolic_base_takes_any_exponent():
    assert ex.power(x - 1, ex.Num(10**6)) == ex.Pow(x - 1, ex.Num(10**6))
    assert ex.power(ex.Num(-1), ex.Num(10**9 + 1)) == ex.MINUS_ONE


@pytest.mark.parametrize("tree, text, latex", [
    (3 * x ** 2 * ex.exp(x), "3*x**2*exp(x)", "3 x^{2} e^{x}"),
    (1 / x - x ** -2, "1/x - 1/x**2", r"\frac{1}{x} - \frac{1}{x^{2}}"),
    (ex.sqrt(2 * x + 1), "sqrt(2*x + 1)", r"\sqrt{2 x + 1}"),
    (ex.Num(Fraction(4, 5)) * y ** 4, "0.8*y**4", "0.8 y^{4}"),
    (x / 3, "x/3", r"\frac{x}{3}"),
    (-ex.fn("sin", x), "-sin(x)", r"-\sin\left(x\right)"),
    (ex.log(x ** 2 + 1) / (x + 2), "log(x**2 + 1)/(x + 2)",
     r"\frac{\ln\left(x^{2} + 1\right)}{x + 2}"),
    (x ** ex.Num(Fraction(1, 3)), "x**(1/3)", r"\sqrt[3]{x}"),
    ((x - 1) ** 2, "(x - 1)**2", r"\left(x - 1\right)^{2}"),
])
def test_printing(tree, text, latex):
    assert str(tree) == text
    assert to_latex(tree) == latex


def test_printing_is_a_fixed_point_of_parsing_on_random_trees():
    rng = np.random.default_rng(1)
    points = {"x": np.linspace(0.3, 2.9, 7), "y": np.linspace(-1.7, 2.2, 7)}
    for _ in range(400):
        tree = random_tree(rng, ("x", "y"))
        again = parse_expression(str(tree), ["x", "y"])
        assert str(again) == str(tree)
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(compile_numeric(again)(points) + 0 * points["x"],
                                       compile_numeric(tree)(points) + 0 * points["x"],
                                       rtol=1e-12, equal_nan=True)


def _sympy_value(tree, env):
    symbols = {name: sympy.Symbol(name, real=True) for name in env}
    value = to_sympy(tree).subs({symbols[k]: v for k, v in env.items()}).evalf()
    return complex(value) if value.is_finite else complex("nan")


def test_numeric_evaluation_agrees_with_sympy_on_random_trees():
    rng = np.random.default_rng(2)
    checked = 0
    for _ in range(300):
        tree = random_tree(rng, ("x",))
        point = {"x": float(rng.uniform(0.3, 2.5))}
        ours = evaluate(tree, point)
        theirs = _sympy_value(tree, point)
        if np.isfinite(ours) and abs(theirs.imag) < 1e-12 and abs(theirs.real) < 1e12:
            assert ours == pytest.approx(theirs.real, rel=1e-9, abs=1e-9), str(tree)
            checked += 1
    assert checked > 200


def test_real_domain_and_odd_roots():
    assert np.isnan(evaluate(ex.log(x), {"x": -1.0}))
    assert np.isnan(evaluate(ex.sqrt(x), {"x": -4.0}))
    assert evaluate(x ** ex.Num(Fraction(1, 3)), {"x": -8.0}) == pytest.approx(-2.0)
    assert evaluate(x ** ex.Num(Fraction(2, 3)), {"x": -8.0}) == pytest.approx(4.0)


def test_compiled_functions_take_arrays_and_complex_numbers():
    f = compile_numeric(ex.log(x) + x ** 2)
    values = f({"x": np.array([1.0, 2.0])})
    assert values.shape == (2,) and values[0] == pytest.approx(1.0)
    assert complex(f({"x": complex(-1.0)})) == pytest.approx(complex(1.0, np.pi))


def test_substitute_and_free_symbols():
    f = x ** 2 * y + ex.exp(y)
    assert f.free_symbols() == {"x", "y"}
    assert ex.substitute(f, {"y": ex.ZERO}) == x ** 2 * 0 + 1


def test_trees_are_immutable_and_hashable():
    with pytest.raises(AttributeError):
        x.name = "y"
    assert len({x + 1, 1 + x, ex.Sym("x") + ex.ONE}) == 1
