"""Notation students type or paste, and the standard-library check that agrees with the grader."""

from __future__ import annotations

import ast
import inspect
import json
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings, strategies as st

from calcgrade.core.errors import ExpressionError
from calcgrade.core.notation import normalise_notation, normalise_with_origins
from calcgrade.core.parse import SELFCHECK_MODULES, expression_problem, parse_expression
from calcgrade.core.numeric import compile_numeric, evaluate
from calcgrade.core.printing import to_latex
from ..sympy_trees import to_sympy
from tests.solutions.random_trees import random_tree

VARIABLES = ["x", "y"]


@pytest.mark.parametrize("typed, plain", [
    # library prefixes
    ("np.exp(x) + math.pi", "exp(x) + pi"),
    ("sp.E**x", "e^x"),
    ("np.e*x", "e*x"),
    ("sympy.sqrt(x)*numpy.sin(y)", "sqrt(x)*sin(y)"),
    ("np.arctan(x) + np.abs(y)", "atan(x) + abs(y)"),
    # a left-hand side
    ("f'(x) = 3x^2", "3x^2"),
    ("f(x)=x+1", "x+1"),
    ("y = 2x", "2x"),
    ("df/dx = 2x", "2x"),
    ("dy/dx = cos(x)", "cos(x)"),
    ("∂f/∂x = 2xy", "2xy"),
    ("∂²f/∂x∂y = y", "y"),
    ("f''(x) = 6x", "6x"),
    ("g_x = y^2", "y^2"),
    ("f_x(x, y) = y", "y"),
    ("f′(x) = 2x", "2x"),
    (r"f^{\prime}(x) = 2x", "2x"),
    (r"\frac{df}{dx} = 2x", "2x"),
    ("d/dx f(x) = 2x", "2x"),
    ("d²y/dx² = 2", "2"),
    ("$x$ + 1", "x + 1"),
    # Unicode
    ("x − 1", "x - 1"),
    ("x – 1 — y", "x - 1 - y"),
    ("2×x·y⋅x∗y", "2*x*y*x*y"),
    ("x ÷ 2", "x/2"),
    ("x²", "x^2"),
    ("x⁻¹ + y³", "x^(-1) + y^3"),
    ("e⁻ˣ", "e^(-x)"),
    ("x⁽²⁺¹⁾", "x^(2+1)"),
    ("√x", "sqrt(x)"),
    ("√(x + 1)", "sqrt(x + 1)"),
    ("2√x", "2*sqrt(x)"),
    ("∛(x - 2)", "(x - 2)^(1/3)"),
    ("∛x", "x^(1/3)"),
    ("πx", "pi*x"),
    ("ℯ^x", "e^x"),
    ("ⅇ^x", "e^x"),
    ("ｘ＋１", "x + 1"),
    ("３ｘ²", "3x^2"),
    ("½x", "x/2"),
    ("⟮x + 1⟯²", "(x + 1)^2"),
    ("[x + 1]^2", "(x + 1)^2"),
    ("x\u00a0+\u2009y", "x + y"),
    ("x\u200b + 1", "x + 1"),
    # LaTeX
    ("$x^2$", "x^2"),
    ("$$x^2$$", "x^2"),
    (r"\(x^2\)", "x^2"),
    (r"\frac{x}{2}", "x/2"),
    (r"\dfrac{1}{x+1}", "1/(x+1)"),
    (r"\tfrac12 x", "x/2"),
    (r"\frac{\sin x}{x}", "sin(x)/x"),
    (r"3 \cdot x", "3*x"),
    (r"3 \times x", "3*x"),
    (r"\left( x + 1 \right)^{2}", "(x+1)^2"),
    (r"\left| x \right|", "abs(x)"),
    (r"\left\lvert x \right\rvert", "abs(x)"),
    (r"\bigl(x + 1\bigr)y", "(x + 1)*y"),
    (r"e^{x + 1}", "exp(x + 1)"),
    (r"x^{10}", "x^10"),
    (r"$x^23$", "x^2*3"),
    (r"$e^x y$", "e^x*y"),
    (r"\sin x + \cos{y}", "sin(x) + cos(y)"),
    (r"\ln\left(x\right)", "ln(x)"),
    (r"\log x", "ln(x)"),
    (r"\exp(x)", "exp(x)"),
    (r"\arctan x", "atan(x)"),
    (r"\sinh x \tanh y", "sinh(x)*tanh(y)"),
    (r"\sqrt{x}", "sqrt(x)"),
    (r"\sqrt[3]{x}", "x^(1/3)"),
    (r"\sqrt[4]{x}", "x^(1/4)"),
    (r"\pi x", "pi*x"),
    (r"\mathrm{e}^{x}", "exp(x)"),
    (r"\operatorname{arcsin}(x)", "asin(x)"),
    (r"{x + 1}^2", "(x + 1)^2"),
    (r"x\,y", "x*y"),
    (r"x \; + \! y \quad", "x + y"),
    (r"$3 3^{x}$", "33^x"),
    (r"3\cdot 3^{x}", "3*3^x"),
    (r"$1 000x$", "1000x"),
    (r"$\frac{1}{2}\sqrt[3]{x} \cdot e^{-x}$", "x^(1/3)*exp(-x)/2"),
    (r"-\frac{3 x^{2}}{\left(x^{3} + 1\right)^{2}}", "-3x^2/(x^3 + 1)^2"),
])
def test_typed_notation_reads_as_its_plain_spelling(typed, plain):
    assert parse_expression(typed, VARIABLES) == parse_expression(plain, VARIABLES)
    assert expression_problem(typed, VARIABLES) is None


def test_normalised_text():
    assert normalise_notation("f'(x) = 3x² − np.exp(x)") == "3x^(2) - exp(x)"
    assert normalise_notation("∛(x)") == "cbrt(x)"
    assert normalise_notation("x = 3 = 4") == "x = 3 = 4"  # two '=': left as typed
    assert normalise_notation("x + 1 = y") == "x + 1 = y"  # not a name on the left


def test_a_cube_root_is_real_for_negative_numbers():
    tree = parse_expression("∛x", ["x"])
    assert evaluate(tree, {"x": -8.0}) == pytest.approx(-2.0)
    assert evaluate(parse_expression(r"\sqrt[3]{x - 9}", ["x"]), {"x": 1.0}) == pytest.approx(-2.0)


def test_origins_point_back_at_what_was_typed():
    typed = "y = 2π + √x"
    text, origins = normalise_with_origins(typed)
    assert len(origins) == len(text) + 1 and origins[-1] == len(typed)
    assert typed[origins[text.index("pi")]] == "π"
    assert typed[origins[text.index("sqrt")]] == "√"
    with pytest.raises(ExpressionError) as caught:
        parse_expression(r"$\frac{x}{z}$", ["x"])
    assert caught.value.position == 10 and "unknown name 'z'" in str(caught.value)


@pytest.mark.parametrize("module", SELFCHECK_MODULES)
def test_selfcheck_modules_use_the_standard_library_only(module):
    tree = ast.parse(inspect.getsource(module))
    top = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    for node in top:
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
        assert all(name.split(".")[0] in sys.stdlib_module_names for name in names), names
        assert not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
    assert not any(isinstance(node, ast.If) and "__name__" in ast.dump(node.test) for node in tree.body)


SELFCHECK_SCRIPT = """
import json, sys
source = sys.stdin.read()
namespace = {"__name__": "calcgrade_selfcheck"}
exec(compile(source, "selfcheck", "exec"), namespace)
cases = [["3x² + sin x", ["x"]], ["f(x) = np.exp(x)", ["x"]], [r"$\\frac{1}{x}$", ["x"]],
         ["x +", ["x"]], ["z", ["x"]], ["1e999999999", ["x"]], ["|x| + |y|", ["x", "y"]]]
print(json.dumps([namespace["expression_problem"](t, v) for t, v in cases]
                 + [namespace["normalise_notation"]("y = 2π")]
                 + [sorted(m for m in sys.modules if m.startswith(("calcgrade", "numpy", "sympy")))]))
"""


def test_selfcheck_modules_run_alone_without_site_packages():
    source = "\n".join(inspect.getsource(module) for module in SELFCHECK_MODULES)
    done = subprocess.run([sys.executable, "-I", "-S", "-c", SELFCHECK_SCRIPT], input=source,
                          capture_output=True, text=True, timeout=60, check=True)
    *problems, normalised, imported = json.loads(done.stdout)
    assert problems[:3] == [None, None, None] and problems[6] is None
    assert problems[3] == "the expression ends too early at column 4: x +"
    assert problems[4].startswith("unknown name 'z'")
    assert "too large to evaluate" in problems[5]
    assert normalised == "2pi" and imported == []


# the stdlib check and the grader agree ---------------------------------------------------

def _grader_problem(text, variables):
    try:
        parse_expression(text, variables)
    except ExpressionError as error:
        return str(error)
    return None


PIECES = ["x", "y", "2", "0", "1.5", "9", "e", "pi", "+", "-", "*", "/", "^", "**", "(", ")", "|",
          " ", "sin", "ln", "sqrt", "cbrt", "exp", "abs", "²", "⁻¹", "√", "π", "−", "·", "=", "f(x)",
          "'", r"\frac{", "}{", "}", r"\left(", r"\right)", r"\cdot", "$", "1e999", "1e-5", "64",
          "z", ".", ",", "[", "]", "_", "∂", "np.", "x^1000", "2^1000", "(1-1)", "0^"]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_check_agrees_with_the_grader_on_generated_text(text):
    assert expression_problem(text, VARIABLES) == _grader_problem(text, VARIABLES)


@pytest.mark.slow  # the same property over many more examples
@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_check_agrees_with_the_grader_on_much_generated_text(text):
    assert expression_problem(text, VARIABLES) == _grader_problem(text, VARIABLES)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_check_agrees_with_the_grader_on_any_text(text):
    assert expression_problem(text, VARIABLES) == _grader_problem(text, VARIABLES)


@st.composite
def towers(draw):
    """Numbers, powers and quotients stacked: the values the exact bounds are about."""
    text = draw(st.sampled_from(["2", "9", "0.5", "1e300", "x", "(x-y)", "3x", "0", "-1", "1/3"]))
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["^", "*", "/", "+", "-", " "]))
        other = draw(st.sampled_from(["2", "64", "1000", "4097", "0", "-1", "(1/2)", "x", "(x-x)",
                                      "(2-2)", "1e308", "10^300", "(-3)"]))
        text = f"({text}){op}{other}" if draw(st.booleans()) else f"{other}{op}({text})"
    return text


@settings(max_examples=120, deadline=None)
@given(towers())
def test_check_agrees_with_the_grader_on_towers_of_numbers(text):
    assert expression_problem(text, VARIABLES) == _grader_problem(text, VARIABLES)


@pytest.mark.slow  # the same property over many more examples
@settings(max_examples=600, deadline=None)
@given(towers())
def test_check_agrees_with_the_grader_on_many_towers_of_numbers(text):
    assert expression_problem(text, VARIABLES) == _grader_problem(text, VARIABLES)


@pytest.mark.parametrize("text", [
    "1e999999999", "(((((9**64)**64)**64)**64)**64)", "9^9^9^9", "1/(x - x)", "1/(2 - 2)",
    "(2x)^6000", "(x - y)^6000", "x^(2^1000*2^1000)", "0^-1", "0^(x-x)", "sqrt(0)^-1",
    "||x| - 1|", "sin^2 x", "sin^-1 x", "|x", "x|", "(" * 100 + "x" + ")" * 100, "x" * 2001,
    "1e308*10", "1e308*1e308/1e308", "2^1000 x 2^1000 x 2^1000", "(1/3)^1000/(1/3)^1000",
    "e^(10^400)", "sin(1/0)", "\\frac{1}{0}", "$$", "f(x) = ", "٣", "x\x00",
])
def test_check_agrees_with_the_grader_on_hostile_text(text):
    assert expression_problem(text, VARIABLES) == _grader_problem(text, VARIABLES)


def test_a_non_text_answer_is_refused_alike():
    assert expression_problem(42, VARIABLES) == _grader_problem(42, VARIABLES) \
        == "an expression must be text, not int"


# printed LaTeX reads back --------------------------------------------------------------

def test_printed_latex_reads_back_as_the_same_function():
    rng = np.random.default_rng(7)
    points = {"x": np.linspace(0.3, 2.9, 7), "y": np.linspace(-1.7, 2.2, 7)}
    for _ in range(300):
        tree = random_tree(rng, ("x", "y"))
        again = parse_expression(f"$${to_latex(tree)}$$", ["x", "y"])
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(compile_numeric(again)(points) + 0 * points["x"],
                                       compile_numeric(tree)(points) + 0 * points["x"],
                                       rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize("latex, oracle", [
    (r"\frac{x^{2} + 1}{\sqrt{x}}", "(x**2 + 1)/sqrt(x)"),
    (r"e^{- \frac{x}{2}} \sin\left(3 x\right)", "exp(-x/2)*sin(3*x)"),
    (r"\left|x - 1\right| + \ln\left(x\right)", "Abs(x - 1) + log(x)"),
    (r"\sqrt[3]{x^{2}}", "real_root(x**2, 3)"),
])
def test_latex_agrees_with_sympy(latex, oracle):
    x = sympy.Symbol("x", real=True)
    expected = sympy.sympify(oracle, locals={"x": x, "real_root": sympy.real_root})
    got = to_sympy(parse_expression(latex, ["x"]))
    for value in (Fraction(1, 3), Fraction(5, 2)):
        assert float(got.subs(x, value)) == pytest.approx(float(expected.subs(x, value)))
