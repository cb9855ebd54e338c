"""The corpus: realistic submissions, each with the score a fair human grader gives.

Every case is one student's whole notebook. Parts the case is not about hold the plain
answer a careful student types (computed by :mod:`oracle`, never read from the key);
the case then rewrites some answers the way real students write them and says what a
fair grader gives for each part (a fraction of the part's points). A case picks the first
student of the class whose variant suits it (e.g. a Hessian with a saddle).

>>> lit([1.5, [2, "a"]])
"[1.5, [2, 'a']]"
>>> sig(0.123456, 3)
0.123
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable

import numpy as np
import sympy as sp
from sympy.printing.numpy import NumPyPrinter

from calcgrade.core.names import answer_variable

from . import oracle
from .oracle import (close, entry_share, gradient_share, iterate_share, paired_label_share,
                     unordered_share)

# problem numbers in assignment.toml
D, GD1, GD2, NR, NM, H, SG, CP, CC, PD, LR, SM, LG, D2 = range(1, 15)

EMPTY = object()   # leave the generated "..." in place
DELETE = object()  # remove the answer line (the case assigns it elsewhere)


def lit(value) -> str:
    """A Python literal for plain data (floats at full precision)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    return repr(value)


def sig(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant digits, as a student types it."""
    return float(f"{float(value):.{digits}g}")


class Student:
    """One student's variants: params and independent reference answers per problem."""

    def __init__(self, record: dict):
        self.id = record["id"]
        self.problems = {p["number"]: p for p in record["problems"]}
        self._answers: dict[int, dict] = {}

    def p(self, number: int) -> dict:
        return self.problems[number]["params"]

    def a(self, number: int) -> dict:
        if number not in self._answers:
            problem = self.problems[number]
            self._answers[number] = oracle.answers_for(problem["family"], problem["params"])
        return self._answers[number]


@dataclass
class Edit:
    """What a case changes in the baseline notebook and what a fair grader gives."""

    answers: dict = field(default_factory=dict)   # part -> code of its value, EMPTY or DELETE
    before: dict = field(default_factory=dict)    # problem -> scratch cells before its answers
    after: dict = field(default_factory=dict)     # problem -> cells right after its answers
    end: list = field(default_factory=list)       # cells just before the self-check
    expect: dict = field(default_factory=dict)    # part -> fraction of its points
    mistakes: dict = field(default_factory=dict)  # part -> catalogued mistake id
    blank: bool = False                           # every answer left as "..."


@dataclass
class Case:
    name: str
    description: str
    build: Callable[[Student], Edit]
    fits: Callable[[Student], bool]
    rule: str  # the reading rule the case exercises (groups the report)


CASES: list[Case] = []


def case(name: str, description: str, rule: str, fits: Callable[[Student], bool] = lambda s: True):
    def register(build):
        CASES.append(Case(name, description, build, fits, rule))
        return build
    return register


# --- the baseline: every answer in its plain form --------------------------------------------------

def baseline_code(student: Student, problem: int, answer: str) -> str:
    value = student.a(problem)[answer]
    if isinstance(value, sp.Basic):
        return repr(str(value))
    return lit(value)


def free_of(text: str, *names: str) -> bool:
    return not any(name in text for name in names)


# --- printing expressions the ways students write them ----------------------------------------------

_FUNCTIONS = r"\b(exp|log|sin|cos|tan|sqrt|atan|asin|acos)\("


def prefixed(expr, prefix: str) -> str:
    return re.sub(_FUNCTIONS, lambda m: f"{prefix}{m.group(1)}(", str(expr))


def numpy_text(expr, prefix: str = "np.") -> str:
    return NumPyPrinter().doprint(expr).replace("numpy.", prefix)


_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def unicode_text(expr, times: str = "") -> str:
    """``12x² − 12``: superscript powers, unicode minus, implicit or unicode products."""
    text = str(expr)
    text = re.sub(r"\*\*(\d+)", lambda m: m.group(1).translate(_SUPERSCRIPTS), text)
    text = re.sub(r"(\d)\*([a-z(])", lambda m: m.group(1) + times + m.group(2), text)
    text = text.replace("*", times or "·").replace("-", "−")
    return text


def plain_polynomial(expr) -> bool:
    return re.fullmatch(r"[x0-9*+\-/ ().]*", str(expr)) is not None


# === numbers ==========================================================================================

SIGMOID_SETUP = """w = np.array({w})
x_vec = np.array({x})
b = {b}
y = {y}
z = w @ x_vec + b
y_hat = 1 / (1 + np.exp(-z))"""


def sigmoid_setup(s: Student) -> str:
    p = s.p(SG)
    return SIGMOID_SETUP.format(w=lit(p["w"]), x=lit(p["x"]), b=lit(p["b"]), y=lit(p["y"]))


@case("numbers_numpy_float64", "logistic unit computed with numpy: every scalar a numpy float64,"
      " the gradient a numpy array", "numbers: numpy scalars")
def _(s):
    return Edit(before={SG: [sigmoid_setup(s)]}, answers={
        "q7_z": "z", "q7_y_hat": "y_hat",
        "q7_loss": "-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))",
        "q7_sigmoid_prime": "y_hat * (1 - y_hat)", "q7_grad_w": "(y_hat - y) * x_vec",
        "q7_grad_b": "y_hat - y"})


@case("numbers_float32", "sigma' and the softmax loss as numpy float32", "numbers: numpy scalars")
def _(s):
    return Edit(before={SG: [sigmoid_setup(s)]}, answers={
        "q7_sigmoid_prime": "np.float32(y_hat * (1 - y_hat))",
        "q12_loss": f"np.float32({lit(s.a(SM)['loss'])})"})


@case("numbers_zero_dim_array", "the linear-regression cost as a 0-d array and the softmax loss"
      " from np.squeeze", "numbers: 0-d arrays")
def _(s):
    p, q = s.p(LR), s.p(SM)
    return Edit(before={
        LR: [f"X = np.array({lit(p['X'])}, dtype=float)\nY = np.array({lit(p['y'])}, dtype=float)\n"
             f"err = X[:, 0] * {lit(p['w'][0])} + {lit(p['b'])} - Y\n"
             "J = np.array(err @ err / (2 * len(Y)))"],
        SM: [f"scores = np.array({lit(q['scores'])})\np = np.exp(scores) / np.exp(scores).sum()"]},
        answers={"q11_cost": "J", "q12_loss": f"np.squeeze(-np.log(p[[{q['label']}]]))"})


@case("numbers_text_decimal", "f'(a) typed as text, \"0.44071\"", "numbers: numeric text")
def _(s):
    return Edit(answers={"q1_value": repr(str(sig(s.a(D)["value"], 6)))})


@case("numbers_text_spaces", "z as text with spaces around it, \" -1.4 \"", "numbers: numeric text")
def _(s):
    return Edit(answers={"q7_z": repr(f" {sig(s.a(SG)['z'], 8)} ")})


def _z_fraction(s) -> Fraction:
    return Fraction(str(sig(s.a(SG)["z"], 10)))


@case("numbers_text_fraction", "z as the fraction text \"-7/5\"", "numbers: numeric text",
      fits=lambda s: _z_fraction(s).denominator > 1)
def _(s):
    return Edit(answers={"q7_z": repr(str(_z_fraction(s)))})


def _exact_value(s):
    x = sp.Symbol("x")
    exact = oracle.parse(s.p(D)["f"], ["x"])
    return sp.nsimplify(sp.diff(exact, x).subs(x, sp.nsimplify(s.p(D)["at"])))


@case("numbers_text_fraction_value", "a rational f'(a) as the text \"p/q\"", "numbers: numeric text",
      fits=lambda s: _exact_value(s).is_Rational and _exact_value(s).q > 1)
def _(s):
    return Edit(answers={"q1_value": repr(str(_exact_value(s)))})


@case("numbers_text_exponent", "losses as text in scientific notation, \"5.15894e+00\"",
      "numbers: numeric text")
def _(s):
    return Edit(answers={"q12_loss": repr(f"{s.a(SM)['loss']:.6e}"),
                         "q7_grad_b": repr(f"{s.a(SG)['grad_b']:.5e}")})


@case("numbers_fraction", "z and the regression's grad_b as fractions.Fraction, computed exactly",
      "numbers: Fraction and Decimal")
def _(s):
    p = s.p(LR)
    code = (f"X = {lit([r[0] for r in p['X']])}\nY = {lit(p['y'])}\n"
            f"w0, b0 = Fraction({str(p['w'][0])!r}), Fraction({str(p['b'])!r})\n"
            "grad_b_exact = sum(w0 * xi + b0 - yi for xi, yi in zip(X, Y)) / len(Y)")
    return Edit(before={SG: ["from fractions import Fraction"], LR: [code]},
                answers={"q7_z": f"Fraction({str(_z_fraction(s))!r})",
                                              "q11_grad_b": "grad_b_exact"})


@case("numbers_decimal", "y_hat and the logistic loss as decimal.Decimal", "numbers: Fraction and Decimal")
def _(s):
    return Edit(before={SG: ["from decimal import Decimal"]}, answers={
        "q7_y_hat": f"Decimal({str(sig(s.a(SG)['y_hat'], 8))!r})",
        "q13_loss": f"Decimal({str(sig(s.a(LG)['loss'], 7))!r})"})


@case("numbers_one_element_list", "a scalar as a one-element list and a one-element array",
      "numbers: one-element list or array")
def _(s):
    return Edit(answers={"q12_loss": f"[{lit(s.a(SM)['loss'])}]",
                         "q13_loss": f"np.array([{lit(s.a(LG)['loss'])}])"})


@case("numbers_column_regression", "linear regression with column vectors: the cost a (1, 1) array,"
      " grad_w a (1, 1) array, the predictions an (m, 1) column", "numbers: one-element list or array")
def _(s):
    p = s.p(LR)
    code = (f"X = np.array({lit(p['X'])}, dtype=float)\n"
            f"Y = np.array({lit([[v] for v in p['y']])}, dtype=float)\n"
            f"w = np.array([[{lit(p['w'][0])}]])\nb = {lit(p['b'])}\nm = len(Y)\n"
            "err = X @ w + b - Y\nJ = err.T @ err / (2 * m)\ngrad_w = X.T @ err / m\n"
            "grad_b = err.sum() / m")
    return Edit(before={LR: [code]}, answers={"q11_cost": "J", "q11_grad_w": "grad_w",
                                              "q11_predictions": "X @ w + b", "q11_grad_b": "grad_b"})


@case("numbers_sympy_exact_value", "f'(a) as the exact sympy value of sp.diff(f).subs(x, a)",
      "numbers: sympy exact values")
def _(s):
    p = s.p(D)
    code = (f"import sympy as sp\nx = sp.Symbol('x')\nf = sp.sympify({p['f']!r})\n"
            f"df = sp.diff(f, x)")
    return Edit(before={D: [code]}, answers={"q1_value": f"df.subs(x, sp.nsimplify({lit(p['at'])}))"})


@case("numbers_sympy_e_and_log", "the softmax loss and y_hat as exact sympy expressions (E, log, exp)",
      "numbers: sympy exact values")
def _(s):
    q, p = s.p(SM), s.p(SG)
    scores = ", ".join(f"sp.nsimplify({lit(v)})" for v in q["scores"])
    code = (f"import sympy as sp\nzs = [{scores}]\n"
            f"loss_exact = sp.log(sum(sp.exp(v) for v in zs)) - zs[{q['label']}]\n"
            f"z_exact = sp.nsimplify({lit(sig(s.a(SG)['z'], 10))})")
    return Edit(before={SM: [code]}, answers={"q12_loss": "loss_exact"},
                end=["q7_y_hat = 1 / (1 + sp.exp(-z_exact))"])


@case("numbers_sympy_sqrt", "eigenvalues typed as exact sympy numbers with sqrt", "numbers: sympy exact values",
      fits=lambda s: all("sqrt" in str(v) or v.is_Rational for v in oracle.exact_eigenvalues(s.a(H)["exact_hessian"])))
def _(s):
    values = sorted(oracle.exact_eigenvalues(s.a(H)["exact_hessian"]), key=float)
    return Edit(before={H: ["import sympy as sp"]},
                answers={"q6_eigenvalues": "[" + ", ".join(
                    str(v).replace("sqrt(", "sp.sqrt(") for v in values) + "]"})


@case("numbers_sympy_rational", "the regression's grad_b typed as sp.Rational(p, q) and the normal"
      " equation solved exactly with sympy (a column Matrix of rationals)", "numbers: sympy exact values")
def _(s):
    p = s.p(LR)
    exact = sp.nsimplify(sig(s.a(LR)["grad_b"], 12))
    code = (f"import sympy as sp\nA = sp.Matrix([[sp.nsimplify(r[0]), 1] for r in {lit(p['X'])}])\n"
            f"Yc = sp.Matrix({lit(p['y'])})\ntheta = (A.T * A).solve(A.T * Yc)")
    return Edit(before={LR: [code]}, answers={
        "q11_grad_b": f"sp.Rational({exact.p}, {exact.q})", "q11_normal_equation": "theta"})


@case("numbers_constant_expression_int", "f'' of a quadratic given as the number 3",
      "expressions: a number for a constant")
def _(s):
    return Edit(answers={"q14_derivative": "3", "q14_value": "3"})


@case("numbers_constant_expression_sympy", "f'' of a quadratic from sp.diff(f, x, 2): a sympy Integer",
      "expressions: a number for a constant")
def _(s):
    code = "import sympy as sp\nx = sp.Symbol('x')\nf = sp.sympify('1.5*x**2 - 4*x + 7')\nd2 = sp.diff(f, x, 2)"
    return Edit(before={D2: [code]}, answers={"q14_derivative": "d2", "q14_value": "d2.subs(x, 1)"})


@case("numbers_constant_expression_float", "f'' of a quadratic as np.float64(3.0)",
      "expressions: a number for a constant")
def _(s):
    return Edit(answers={"q14_derivative": "np.float64(3.0)"})


@case("numbers_wrong_text", "a wrong f'(a) written as numeric text", "wrong in a lenient form")
def _(s):
    return Edit(answers={"q1_value": repr(str(sig(s.a(D)["value"] * 1.1 + 0.5, 5)))},
                expect={"q1_value": 0.0})


@case("numbers_wrong_fraction", "z with the wrong sign, as a Fraction", "wrong in a lenient form",
      fits=lambda s: _z_fraction(s) != 0)
def _(s):
    return Edit(before={SG: ["from fractions import Fraction"]},
                answers={"q7_z": f"Fraction({str(-_z_fraction(s))!r})"}, expect={"q7_z": 0.0})


@case("numbers_rounded_4_sig", "every number typed by hand, rounded to 4 significant digits",
      "typed by hand, rounded")
def _(s):
    return _rounded(s, 4)


@case("numbers_rounded_6_sig", "every number typed by hand, rounded to 6 significant digits",
      "typed by hand, rounded")
def _(s):
    return _rounded(s, 6)


@case("numbers_rounded_2_decimals", "every number typed with 2 decimals: some fall outside the"
      " tolerance", "typed by hand, rounded")
def _(s):
    return _rounded(s, None)


NUMERIC_PARTS = {SG: ["z", "y_hat", "loss", "sigmoid_prime", "grad_w", "grad_b"],
                 SM: ["probabilities", "loss", "gradient"], LG: ["loss", "grad", "newton_step"],
                 LR: ["cost", "grad_b", "normal_equation"], D: ["value"], PD: ["gradient"],
                 GD2: ["gradients", "iterates"], NR: ["iterates"]}


def _round(value, digits):
    if isinstance(value, list):
        return [_round(v, digits) for v in value]
    return sig(value, digits) if digits else round(float(value), 2)


def _flat(value):
    return [float(v) for v in np.ravel(np.array(value, dtype=float))]


def _rounded(s, digits):
    edit = Edit()
    for problem, names in NUMERIC_PARTS.items():
        for name in names:
            ref = s.a(problem)[name]
            typed = _round(ref, digits)
            part = answer_variable(problem, name)
            edit.answers[part] = lit(typed)
            if problem in (GD2, NR):  # iterates: each step against the student's own previous
                if name == "gradients":
                    share = gradient_share(typed, ref, _round(s.a(problem)["iterates"], digits),
                                           oracle.gd_step_function(s.p(problem)),
                                           oracle.gd_gradient_function(s.p(problem)))
                else:
                    step = (oracle.gd_step_function if problem == GD2 else oracle.newton_step_function)(
                        s.p(problem))
                    share = iterate_share(typed, ref, s.p(problem)["x0"], step)
            else:
                share = entry_share(_flat(typed), _flat(ref))
            edit.expect[part] = share
    return edit


# === vectors and matrices ===========================================================================

@case("vectors_tuples", "the gradient and the logistic gradient as tuples", "vectors: tuples")
def _(s):
    return Edit(answers={"q10_gradient": "(" + ", ".join(lit(v) for v in s.a(PD)["gradient"]) + ")",
                         "q13_grad": "(" + ", ".join(lit(v) for v in s.a(LG)["grad"]) + ")"})


@case("vectors_int_dtype", "integer numpy arrays: predictions of integer data, the Hessian and the"
      " zero gradient", "vectors: numpy arrays of any dtype",
      fits=lambda s: float(s.p(LR)["w"][0]).is_integer() and float(s.p(LR)["b"]).is_integer())
def _(s):
    p = s.p(LR)
    hess = [[int(v) for v in row] for row in s.a(H)["hessian"]]
    return Edit(answers={
        "q11_predictions": f"np.array({lit([r[0] for r in p['X']])}) * {int(p['w'][0])} + {int(p['b'])}",
        "q6_hessian": f"np.array({hess})", "q6_gradient": "np.array([0, 0])"})


@case("vectors_column", "the normal equation solved with a column y: a (2, 1) array; the logistic"
      " gradient as a (2, 1) column", "vectors: column vectors")
def _(s):
    p, q = s.p(LR), s.p(LG)
    code_lr = (f"A = np.hstack([np.array({lit(p['X'])}, dtype=float), np.ones(({len(p['y'])}, 1))])\n"
               f"Ycol = np.array({lit(p['y'])}, dtype=float).reshape(-1, 1)\n"
               "theta = np.linalg.solve(A.T @ A, A.T @ Ycol)")
    code_lg = (f"A2 = np.hstack([np.array({lit(q['X'])}, dtype=float), np.ones(({len(q['y'])}, 1))])\n"
               f"Y2 = np.array({lit(q['y'])}, dtype=float).reshape(-1, 1)\n"
               f"t0 = np.array({lit([*q['w'], q['b']])}).reshape(-1, 1)\n"
               "P = 1 / (1 + np.exp(-(A2 @ t0)))\nG = A2.T @ (P - Y2) / len(Y2)")
    return Edit(before={LR: [code_lr], LG: [code_lg]},
                answers={"q11_normal_equation": "theta", "q13_grad": "G"})


@case("vectors_row", "grad_w and the softmax probabilities as (1, n) row vectors", "vectors: row vectors")
def _(s):
    q = s.p(SM)
    return Edit(before={SG: [sigmoid_setup(s)],
                        SM: [f"scores = np.array({lit(q['scores'])})\n"
                             "probs = (np.exp(scores) / np.exp(scores).sum())[np.newaxis, :]"]},
                answers={"q7_grad_w": "((y_hat - y) * x_vec).reshape(1, -1)",
                         "q12_probabilities": "probs"})


@case("vectors_sympy_matrix", "the gradient at the point as a sympy Matrix of exact values",
      "vectors: sympy Matrix")
def _(s):
    p = s.p(PD)
    code = (f"import sympy as sp\nx, y = sp.symbols('x y')\nf = sp.sympify({p['f']!r})\n"
            f"grad = sp.Matrix([sp.diff(f, x), sp.diff(f, y)])\n"
            f"at = {{x: sp.nsimplify({lit(p['point'][0])}), y: sp.nsimplify({lit(p['point'][1])})}}")
    code_h = (f"fh = sp.sympify({s.p(H)['f']!r})\n"
              f"ath = {{x: {lit(s.p(H)['point'][0])}, y: {lit(s.p(H)['point'][1])}}}")
    return Edit(before={PD: [code]}, answers={"q10_gradient": "grad.subs(at)"},
                end=[code_h + "\nq6_gradient = sp.Matrix([fh.diff(x), fh.diff(y)]).subs(ath)\n"
                     "q6_hessian = sp.hessian(fh, (x, y)).subs(ath)"])


@case("vectors_lambdify_floats", "the gradient as a list of numpy floats from lambdified partials",
      "vectors: numpy arrays of any dtype")
def _(s):
    p = s.p(PD)
    code = (f"import sympy as sp\nx, y = sp.symbols('x y')\nf = sp.sympify({p['f']!r})\n"
            "fx = sp.lambdify((x, y), sp.diff(f, x))\nfy = sp.lambdify((x, y), sp.diff(f, y))")
    px, py = p["point"]
    return Edit(before={PD: [code]},
                answers={"q10_gradient": f"[fx({lit(px)}, {lit(py)}), fy({lit(px)}, {lit(py)})]"})


@case("vectors_eigvals_any_order", "eigenvalues straight from np.linalg.eigvals (numpy's order)",
      "order: eigenvalues in another order")
def _(s):
    return Edit(before={H: [f"H = np.array({lit(s.a(H)['hessian'])})"]},
                answers={"q6_hessian": "H", "q6_eigenvalues": "np.linalg.eigvals(H)"})


def _distinct_eigenvalues(s):
    values = s.a(H)["eigenvalues"]
    return not close(values[0], values[1])


@case("vectors_eigenvalues_descending", "eigenvalues typed largest first (the order carries no"
      " meaning: full credit)", "order: eigenvalues in another order", fits=_distinct_eigenvalues)
def _(s):
    return Edit(answers={"q6_eigenvalues": lit([sig(v, 6) for v in reversed(s.a(H)["eigenvalues"])])})


@case("vectors_eigenvalues_sympy", "eigenvalues as list(sp.Matrix(H).eigenvals()): exact, sympy's order",
      "order: eigenvalues in another order", fits=_distinct_eigenvalues)
def _(s):
    return Edit(before={H: [f"import sympy as sp\nHs = sp.Matrix({lit(s.a(H)['hessian'])})"]},
                answers={"q6_eigenvalues": "list(sp.nsimplify(Hs).eigenvals())"})


def _points(s, n=2):
    return len(s.a(CP)["points"]) >= n


@case("order_critical_points_descending", "stationary points largest first, each label kept with its"
      " point", "order: paired points and labels", fits=_points)
def _(s):
    a = s.a(CP)
    return Edit(answers={"q8_points": lit(list(reversed(a["points"]))),
                         "q8_labels": lit(list(reversed(a["labels"])))})


@case("order_critical_points_sympy_solve", "stationary points from sp.solve(sp.diff(f)) (sympy"
      " rationals) with typed labels", "vectors: sympy numbers")
def _(s):
    code = f"import sympy as sp\nx = sp.Symbol('x')\nf = sp.sympify({s.p(CP)['f']!r})\ncrit = sp.solve(sp.diff(f, x), x)"
    return Edit(before={CP: [code]}, answers={"q8_points": "sorted(crit)"})


@case("order_critical_points_pairs_broken", "points largest first but the labels left in ascending"
      " order: labels are judged against their paired points",
      "order: paired points and labels",
      fits=lambda s: _points(s) and s.a(CP)["labels"] != list(reversed(s.a(CP)["labels"])))
def _(s):
    a = s.a(CP)
    points = list(reversed(a["points"]))
    return Edit(answers={"q8_points": lit(points), "q8_labels": lit(a["labels"])},
                expect={"q8_labels": paired_label_share(points, a["labels"], a["points"], a["labels"])})


@case("order_inflection_points_descending", "inflection points largest first; concavity still left"
      " to right", "order: a set of points", fits=lambda s: len(s.a(CC)["inflection_points"]) >= 2)
def _(s):
    return Edit(answers={"q9_inflection_points": lit(list(reversed(s.a(CC)["inflection_points"])))})


@case("vectors_one_entry_wrong", "one softmax probability mistyped: credit per entry",
      "partial credit per entry")
def _(s):
    p = list(s.a(SM)["probabilities"])
    p[0] = sig(p[0] * 1.1, 6)
    return Edit(answers={"q12_probabilities": lit(p)}, expect={"q12_probabilities": (len(p) - 1) / len(p)})


@case("vectors_column_one_wrong", "the normal equation as a column with a wrong bias", "wrong in a lenient form",
      fits=lambda s: abs(s.a(LR)["normal_equation"][1]) > 0.01)
def _(s):
    w, b = s.a(LR)["normal_equation"]
    return Edit(answers={"q11_normal_equation": f"np.array([[{lit(w)}], [{lit(2 * b)}]])"},
                expect={"q11_normal_equation": 0.5})


@case("mistake_softmax_not_normalized", "probabilities as np.exp(z), not divided by the sum",
      "catalogued mistakes")
def _(s):
    q = s.p(SM)
    wrong = np.exp(np.array(q["scores"], dtype=float))
    return Edit(answers={"q12_probabilities": f"np.exp(np.array({lit(q['scores'])}))"},
                expect={"q12_probabilities": entry_share(wrong, s.a(SM)["probabilities"])},
                mistakes={"q12_probabilities": "softmax_cross_entropy.not_normalized"})


@case("mistake_softmax_gradient_sign", "gradient y − p as a numpy array", "catalogued mistakes")
def _(s):
    a = s.a(SM)
    wrong = -np.array(a["gradient"])
    return Edit(answers={"q12_gradient": f"-np.array({lit(a['gradient'])})"},
                expect={"q12_gradient": entry_share(wrong, a["gradient"])},
                mistakes={"q12_gradient": "softmax_cross_entropy.gradient_sign"})


@case("mistake_gradient_swapped", "the gradient's partials in the wrong order, as a tuple",
      "catalogued mistakes", fits=lambda s: not close(*s.a(PD)["gradient"]))
def _(s):
    g = s.a(PD)["gradient"]
    return Edit(answers={"q10_gradient": f"({lit(g[1])}, {lit(g[0])})"},
                expect={"q10_gradient": entry_share([g[1], g[0]], g)},
                mistakes={"q10_gradient": "partial_derivatives.gradient_swapped"})


@case("vectors_scalar_for_one_entry", "with one feature, grad_w given as a plain number, not a list"
      " of one (beyond the listed rules: a fair grader reads it)", "vectors: a number for a one-entry vector")
def _(s):
    return Edit(answers={"q11_grad_w": lit(s.a(LR)["grad_w"][0])})


@case("matrices_numpy", "the Hessian as a float numpy array", "matrices: numpy arrays")
def _(s):
    return Edit(answers={"q6_hessian": f"np.array({lit(s.a(H)['hessian'])})"})


@case("matrices_sympy_hessian", "the Hessian from sp.hessian(f).subs(point), a sympy Matrix",
      "matrices: sympy Matrix")
def _(s):
    p = s.p(H)
    code = (f"import sympy as sp\nx, y = sp.symbols('x y')\nf = sp.sympify({p['f']!r})\n"
            f"Hs = sp.hessian(f, (x, y)).subs({{x: {lit(p['point'][0])}, y: {lit(p['point'][1])}}})")
    return Edit(before={H: [code]}, answers={"q6_hessian": "Hs", "q6_eigenvalues":
                                             "sorted(np.linalg.eigvalsh(np.array(Hs, dtype=float)))"})


@case("matrices_tuples", "the Hessian as a tuple of tuples", "matrices: tuples")
def _(s):
    rows = s.a(H)["hessian"]
    return Edit(answers={"q6_hessian": "(" + ", ".join("(" + ", ".join(lit(v) for v in r) + ")" for r in rows) + ")"})


@case("matrices_list_of_arrays", "the Hessian as a list of numpy rows", "matrices: numpy arrays")
def _(s):
    rows = s.a(H)["hessian"]
    return Edit(answers={"q6_hessian": "[" + ", ".join(f"np.array({lit(r)})" for r in rows) + "]"})


@case("matrices_np_matrix", "the Hessian as np.matrix", "matrices: numpy arrays")
def _(s):
    return Edit(answers={"q6_hessian": f"np.matrix({lit(s.a(H)['hessian'])})"})


@case("mistake_hessian_missing_mixed", "the Hessian without its mixed partials, and eigenvalues and"
      " classification from that diagonal matrix", "catalogued mistakes",
      fits=lambda s: s.a(H)["hessian"][0][1] != 0)
def _(s):
    a = s.a(H)
    (p, _), (_, q) = a["hessian"]
    diag = [[p, 0.0], [0.0, q]]
    eig = sorted([p, q])
    label = oracle.classify(eig)
    return Edit(answers={"q6_hessian": f"np.array({lit(diag)})", "q6_eigenvalues": lit(eig),
                         "q6_classification": repr(label)},
                expect={"q6_hessian": 0.5, "q6_eigenvalues": unordered_share(eig, a["eigenvalues"]),
                        "q6_classification": float(label == a["classification"])},
                mistakes={"q6_hessian": "hessian.missing_mixed_partials"})


# === iterates ===========================================================================================

def gd1_loop(s, start_code: str = None, keep_start=False, arrays=False) -> str:
    p = s.p(GD1)
    return (f"import sympy as sp\nxsym = sp.Symbol('x')\nf_gd = sp.sympify({p['f']!r})\n"
            "df = sp.lambdify(xsym, sp.diff(f_gd, xsym))\n"
            f"x = {start_code or lit(p['x0'][0])}\n"
            f"xs, grads = {'[x]' if keep_start else '[]'}, []\n"
            f"for k in range({p['steps']}):\n    g = df(x)\n    grads.append(g)\n"
            f"    x = x - {lit(p['lr'])} * g\n    xs.append(x)")


@case("iterates_1d_flat_list", "1-D gradient descent: xs.append(x) in a loop, a flat list of floats",
      "iterates: flat 1-D lists")
def _(s):
    return Edit(before={GD1: [gd1_loop(s)]}, answers={"q2_iterates": "xs", "q2_gradients": "grads"})


@case("iterates_1d_flat_array", "1-D gradient descent as flat numpy arrays", "iterates: flat 1-D lists")
def _(s):
    return Edit(before={GD1: [gd1_loop(s)]},
                answers={"q2_iterates": "np.array(xs)", "q2_gradients": "np.array(grads, dtype=float)"})


@case("iterates_1d_with_start", "1-D gradient descent listing x0 first, then the 3 iterates",
      "iterates: start point included")
def _(s):
    return Edit(before={GD1: [gd1_loop(s, keep_start=True)]}, answers={"q2_iterates": "xs"})


@case("iterates_1d_column", "1-D iterates as a (3, 1) column array", "iterates: numpy arrays")
def _(s):
    return Edit(before={GD1: [gd1_loop(s)]}, answers={"q2_iterates": "np.array(xs).reshape(-1, 1)"})


def gd2_loop(s, *, start=None, keep_start=False, copy=True, slip=None, lr=None) -> str:
    p = s.p(GD2)
    return (f"import sympy as sp\nxv, yv = sp.symbols('x y')\nf2 = sp.sympify({p['f']!r})\n"
            "grad_f = sp.lambdify((xv, yv), [sp.diff(f2, xv), sp.diff(f2, yv)])\n"
            f"theta = np.array({lit(start or [float(v) for v in p['x0']])}, dtype=float)\n"
            f"path, grads2 = {'[theta.copy()]' if keep_start else '[]'}, []\n"
            f"for k in range({p['steps']}):\n    g = np.array(grad_f(*theta), dtype=float)\n"
            "    grads2.append(g)\n"
            f"    theta {'-=' if not copy else '= theta -'} {lit(lr or p['lr'])} * g\n"
            + (f"    if k == 0:\n        theta = theta + {lit(slip)}\n" if slip else "")
            + f"    path.append({'theta.copy()' if copy else 'theta'})")


@case("iterates_2d_array", "2-D gradient descent as a (k, 2) numpy array from np.vstack",
      "iterates: numpy arrays")
def _(s):
    return Edit(before={GD2: [gd2_loop(s)]},
                answers={"q3_iterates": "np.vstack(path)", "q3_gradients": "np.vstack(grads2)"})


@case("iterates_2d_list_of_arrays", "2-D gradient descent as a list of numpy arrays",
      "iterates: list of arrays")
def _(s):
    return Edit(before={GD2: [gd2_loop(s)]}, answers={"q3_iterates": "path", "q3_gradients": "grads2"})


@case("iterates_2d_with_start", "2-D iterates with θ0 first, as a (k+1, 2) array", "iterates: start point included")
def _(s):
    return Edit(before={GD2: [gd2_loop(s, keep_start=True)]}, answers={"q3_iterates": "np.array(path)"})


@case("iterates_2d_aliasing_bug", "path.append(theta) after theta -= ...: every entry is the last"
      " point (a wrong answer in a lenient form)", "wrong in a lenient form")
def _(s):
    a, p = s.a(GD2), s.p(GD2)
    student = [a["iterates"][-1]] * p["steps"]
    return Edit(before={GD2: [gd2_loop(s, copy=False)]}, answers={"q3_iterates": "path", "q3_gradients": "grads2"},
                expect={"q3_iterates": iterate_share(student, a["iterates"], p["x0"], oracle.gd_step_function(p))})


def newton_loop(s, problem, *, start=None, keep_start=False, slip=None, rule=None) -> str:
    p = s.p(problem)
    update = rule or ("x - f(x) / df(x)" if p["goal"] == "root" else "x - df(x) / d2f(x)")
    return (f"import sympy as sp\nxsym = sp.Symbol('x')\nfn = sp.sympify({p['f']!r})\n"
            "f = sp.lambdify(xsym, fn)\ndf = sp.lambdify(xsym, sp.diff(fn, xsym))\n"
            "d2f = sp.lambdify(xsym, sp.diff(fn, xsym, 2))\n"
            f"x = {lit(start if start is not None else float(p['x0'][0]))}\n"
            f"newton_xs = {'[x]' if keep_start else '[]'}\n"
            f"for k in range({p['steps']}):\n    x = {update}\n"
            + (f"    if k == 0:\n        x = x + {lit(slip)}\n" if slip else "")
            + "    newton_xs.append(float(x))")


@case("iterates_newton_root_flat", "Newton for a root: a flat list from a loop", "iterates: flat 1-D lists")
def _(s):
    return Edit(before={NR: [newton_loop(s, NR)]}, answers={"q4_iterates": "newton_xs"})


@case("iterates_newton_root_with_start", "Newton for a root: x0 then the 3 iterates, flat",
      "iterates: start point included")
def _(s):
    return Edit(before={NR: [newton_loop(s, NR, keep_start=True)]}, answers={"q4_iterates": "newton_xs"})


@case("iterates_newton_min_flat", "Newton for a minimum with sp.diff and lambdify: a flat list",
      "iterates: flat 1-D lists")
def _(s):
    return Edit(before={NM: [newton_loop(s, NM)]}, answers={"q5_iterates": "newton_xs"})


@case("iterates_newton_min_arrays", "Newton for a minimum as a list of one-element arrays",
      "iterates: list of arrays")
def _(s):
    return Edit(before={NM: [newton_loop(s, NM)]}, answers={"q5_iterates": "[np.array([v]) for v in newton_xs]"})


def lr_loop(s, *, keep_start=False, slip=None, tuples=False) -> str:
    p = s.p(LR)
    return (f"Xr = np.array({lit([r[0] for r in p['X']])}, dtype=float)\n"
            f"Yr = np.array({lit(p['y'])}, dtype=float)\n"
            f"w, b = {lit(p['w'][0])}, {lit(p['b'])}\n"
            f"lr_path = {'[(w, b)]' if keep_start else '[]'}\n"
            f"for k in range({p['steps']}):\n    err = w * Xr + b - Yr\n"
            "    w, b = w - %s * (err * Xr).mean(), b - %s * err.mean()\n" % (lit(p["lr"]), lit(p["lr"]))
            + (f"    if k == 0:\n        w = w + {lit(slip)}\n" if slip else "")
            + f"    lr_path.append({'(w, b)' if tuples else '[w, b]'})")


@case("iterates_regression_tuples", "regression iterates as a list of (w, b) tuples", "iterates: tuples")
def _(s):
    return Edit(before={LR: [lr_loop(s, tuples=True)]}, answers={"q11_iterates": "lr_path"})


@case("iterates_regression_with_start", "regression iterates with the starting [w, b] first",
      "iterates: start point included")
def _(s):
    return Edit(before={LR: [lr_loop(s, keep_start=True)]}, answers={"q11_iterates": "lr_path"})


def lg_code(s, *, keep_start=False, slip=None) -> str:
    q = s.p(LG)
    return (f"def sigmoid(t):\n    return 1 / (1 + np.exp(-t))\n\n"
            f"A = np.hstack([np.array({lit(q['X'])}, dtype=float), np.ones(({len(q['y'])}, 1))])\n"
            f"Yl = np.array({lit(q['y'])}, dtype=float)\nm = len(Yl)\n\n"
            "def loss(theta):\n    p = sigmoid(A @ theta)\n"
            "    return -np.mean(Yl * np.log(p) + (1 - Yl) * np.log(1 - p))\n\n"
            "def grad(theta):\n    return A.T @ (sigmoid(A @ theta) - Yl) / m\n\n"
            "def hess(theta):\n    p = sigmoid(A @ theta)\n    return (A.T * (p * (1 - p))) @ A / m\n\n"
            f"theta0 = np.array({lit([*q['w'], q['b']])})\ntheta = theta0.copy()\n"
            f"lg_path = {'[theta0]' if keep_start else '[]'}\n"
            f"for k in range({q['steps']}):\n    theta = theta - {lit(q['lr'])} * grad(theta)\n"
            + (f"    if k == 0:\n        theta = theta + np.array({lit(slip)})\n" if slip else "")
            + "    lg_path.append(theta)\n"
            "newton = theta0 - np.linalg.solve(hess(theta0), grad(theta0))")


@case("iterates_logistic_helpers", "logistic regression with helper functions: the iterates a (k, 2)"
      " array, the Newton step a numpy array", "helpers and numpy")
def _(s):
    return Edit(before={LG: [lg_code(s)]}, answers={
        "q13_loss": "loss(theta0)", "q13_grad": "grad(theta0)", "q13_iterates": "np.array(lg_path)",
        "q13_newton_step": "newton"})


@case("iterates_logistic_with_start", "logistic iterates with θ0 first (a list of arrays)",
      "iterates: start point included")
def _(s):
    return Edit(before={LG: [lg_code(s, keep_start=True)]}, answers={"q13_iterates": "lg_path"})


# --- error carried forward ----------------------------------------------------------------------------

def _slipped(start, step, steps, slip):
    points, point = [], list(start)
    for k in range(steps):
        point = step(point)
        if k == 0:
            point = [v + d for v, d in zip(point, slip)]
        points.append(point)
    return points


@case("carried_gd_1d", "1-D gradient descent: a slip in step 1, later steps right from the wrong point",
      "error carried forward")
def _(s):
    p, a = s.p(GD1), s.a(GD1)
    slip = 0.05 * abs(a["iterates"][0][0]) + 0.05
    start = a["iterates"][0][0] + slip
    student = _slipped(p["x0"], oracle.gd_step_function(p), p["steps"], [slip])
    grad = oracle.gd_gradient_function(p)
    grads = [grad([float(p["x0"][0])])] + [grad(q) for q in student[:-1]]
    step = oracle.gd_step_function(p)
    code = gd1_loop(s) + f"\nxs[0] = {lit(start)}  # copied wrong\nx = xs[0]\nfor k in range(1, {p['steps']}):\n" \
        f"    g = df(x)\n    grads[k] = g\n    x = x - {lit(p['lr'])} * g\n    xs[k] = x"
    return Edit(before={GD1: [code]}, answers={"q2_iterates": "xs", "q2_gradients": "grads"},
                expect={"q2_iterates": iterate_share(student, a["iterates"], p["x0"], step),
                        "q2_gradients": gradient_share(grads, a["gradients"], student, step, grad)})


@case("carried_gd_2d", "2-D gradient descent: a slip in step 1, step 2 right from the wrong point",
      "error carried forward")
def _(s):
    p, a = s.p(GD2), s.a(GD2)
    slip = [0.1, -0.1]
    step, grad = oracle.gd_step_function(p), oracle.gd_gradient_function(p)
    student = _slipped(p["x0"], step, p["steps"], slip)
    grads = [grad([float(v) for v in p["x0"]])] + [grad(q) for q in student[:-1]]
    return Edit(before={GD2: [gd2_loop(s, slip=slip)]}, answers={"q3_iterates": "path", "q3_gradients": "grads2"},
                expect={"q3_iterates": iterate_share(student, a["iterates"], p["x0"], step),
                        "q3_gradients": gradient_share(grads, a["gradients"], student, step, grad)})


@case("carried_newton_root", "Newton for a root: a slip in step 1, later steps right from it",
      "error carried forward")
def _(s):
    p, a = s.p(NR), s.a(NR)
    slip = 0.1 * abs(a["iterates"][0][0]) + 0.05
    step = oracle.newton_step_function(p)
    student = _slipped(p["x0"], step, p["steps"], [slip])
    return Edit(before={NR: [newton_loop(s, NR, slip=slip)]}, answers={"q4_iterates": "newton_xs"},
                expect={"q4_iterates": iterate_share(student, a["iterates"], p["x0"], step)})


@case("carried_newton_min", "Newton for a minimum: a slip in step 1, step 2 right from it",
      "error carried forward")
def _(s):
    p, a = s.p(NM), s.a(NM)
    slip = 0.1 * abs(a["iterates"][0][0]) + 0.05
    step = oracle.newton_step_function(p)
    student = _slipped(p["x0"], step, p["steps"], [slip])
    return Edit(before={NM: [newton_loop(s, NM, slip=slip)]}, answers={"q5_iterates": "newton_xs"},
                expect={"q5_iterates": iterate_share(student, a["iterates"], p["x0"], step)})


@case("carried_regression", "linear regression: w slips in step 1, step 2 right from it",
      "error carried forward")
def _(s):
    p, a = s.p(LR), s.a(LR)
    slip = 0.1 * abs(a["iterates"][0][0]) + 0.1
    step = oracle.linear_regression_step(p)
    student = _slipped([*p["w"], p["b"]], step, p["steps"], [slip, 0.0])
    return Edit(before={LR: [lr_loop(s, slip=slip)]}, answers={"q11_iterates": "lr_path"},
                expect={"q11_iterates": iterate_share(student, a["iterates"], [*p["w"], p["b"]], step)})


@case("carried_logistic", "logistic regression: a slip in step 1, step 2 right from it",
      "error carried forward")
def _(s):
    q, a = s.p(LG), s.a(LG)
    slip = [0.2, 0.0]
    step = oracle.logistic_step(q)
    student = _slipped([*q["w"], q["b"]], step, q["steps"], slip)
    return Edit(before={LG: [lg_code(s, slip=slip)]}, answers={"q13_iterates": "lg_path"},
                expect={"q13_iterates": iterate_share(student, a["iterates"], [*q["w"], q["b"]], step)})


def _minimizer(p):
    x = sp.Symbol("x")
    f = oracle.parse(p["f"], ["x"])
    try:
        root = float(sp.nsolve(sp.diff(f, x), x, float(p["x0"][0]) - 0.01, prec=30))
    except Exception:  # noqa: BLE001 - no minimizer near the start: the case does not fit
        return None
    return root if float(sp.diff(f, x, 2).subs(x, root)) > 0 else None


@case("carried_not_from_stationary", "1-D gradient descent: the minimizer typed for every iterate;"
      " no carried credit from a point that is already stationary", "error carried forward",
      fits=lambda s: _minimizer(s.p(GD1)) is not None
      and not any(close(_minimizer(s.p(GD1)), v[0]) for v in s.a(GD1)["iterates"]))
def _(s):
    p, a = s.p(GD1), s.a(GD1)
    star = _minimizer(p)
    student = [[star]] * p["steps"]
    step, grad = oracle.gd_step_function(p), oracle.gd_gradient_function(p)
    grads = [a["gradients"][0]] + [[0.0]] * (p["steps"] - 1)
    return Edit(answers={"q2_iterates": lit(student), "q2_gradients": lit(grads)},
                expect={"q2_iterates": iterate_share(student, a["iterates"], p["x0"], step),
                        "q2_gradients": gradient_share(grads, a["gradients"], student, step, grad)})


@case("typo_in_step_2", "1-D gradient descent: step 2 mistyped, step 3 right from the true step 2"
      " (one wrong step of three)", "partial credit per step")
def _(s):
    p, a = s.p(GD1), s.a(GD1)
    typed = [list(v) for v in a["iterates"]]
    typed[1] = [sig(typed[1][0] * 1.2 + 0.3, 6)]
    step = oracle.gd_step_function(p)
    return Edit(answers={"q2_iterates": lit(typed)},
                expect={"q2_iterates": iterate_share(typed, a["iterates"], p["x0"], step)})


def _uphill(p):
    grad = oracle.gd_gradient_function(p)
    point, student, grads = [float(p["x0"][0])], [], []
    for _ in range(p["steps"]):
        g = grad(point)
        grads.append(g)
        point = [point[0] + p["lr"] * g[0]]
        student.append(point)
    grad(point)  # still inside the domain
    return student, grads


@case("mistake_gd_uphill", "1-D gradient descent adding the gradient, as a flat list",
      "catalogued mistakes", fits=lambda s: _uphill(s.p(GD1)) is not None)
def _(s):
    p, a = s.p(GD1), s.a(GD1)
    grad = oracle.gd_gradient_function(p)
    student, grads = _uphill(p)
    step = oracle.gd_step_function(p)
    return Edit(before={GD1: [gd1_loop(s).replace(f"x = x - {lit(p['lr'])} * g", f"x = x + {lit(p['lr'])} * g")]},
                answers={"q2_iterates": "xs", "q2_gradients": "grads"},
                expect={"q2_iterates": iterate_share(student, a["iterates"], p["x0"], step),
                        "q2_gradients": gradient_share(grads, a["gradients"], student, step, grad)},
                mistakes={"q2_iterates": "gradient_descent.uphill"})


@case("mistake_gd_forgot_learning_rate", "2-D gradient descent stepping by the whole gradient,"
      " as a list of arrays", "catalogued mistakes")
def _(s):
    p, a = s.p(GD2), s.a(GD2)
    grad = oracle.gd_gradient_function(p)
    point, student, grads = [float(v) for v in p["x0"]], [], []
    for _ in range(p["steps"]):
        g = grad(point)
        grads.append(g)
        point = [v - gi for v, gi in zip(point, g)]
        student.append(point)
    step = oracle.gd_step_function(p)
    return Edit(before={GD2: [gd2_loop(s, lr=1.0)]}, answers={"q3_iterates": "path", "q3_gradients": "grads2"},
                expect={"q3_iterates": iterate_share(student, a["iterates"], p["x0"], step),
                        "q3_gradients": gradient_share(grads, a["gradients"], student, step, grad)},
                mistakes={"q3_iterates": "gradient_descent.forgot_learning_rate"})


def _newton_mistake(s, rule, update, mistake):
    p, a = s.p(NM), s.a(NM)
    x = sp.Symbol("x")
    f = oracle.parse(p["f"], ["x"])
    fn = sp.lambdify(x, update(f, x), "math")
    point, student = float(p["x0"][0]), []
    for _ in range(p["steps"]):
        point = float(fn(point))
        student.append([point])
    return Edit(before={NM: [newton_loop(s, NM, rule=rule)]}, answers={"q5_iterates": "newton_xs"},
                expect={"q5_iterates": iterate_share(student, a["iterates"], p["x0"],
                                                     oracle.newton_step_function(p))},
                mistakes={"q5_iterates": mistake})


@case("mistake_newton_gradient_step", "Newton for a minimum written x − f'(x), a flat list",
      "catalogued mistakes")
def _(s):
    return _newton_mistake(s, "x - df(x)", lambda f, x: x - sp.diff(f, x), "newton.gradient_step")


@case("mistake_newton_root_formula", "minimizing with the root update x − f/f', a flat list",
      "catalogued mistakes")
def _(s):
    return _newton_mistake(s, "x - f(x) / df(x)", lambda f, x: x - f / sp.diff(f, x),
                           "newton.root_formula_when_minimizing")


# === expressions ========================================================================================

def dtext(s):
    return s.a(D)["derivative"]


@case("expr_np_prefix", "f' as text with np. prefixes, \"np.exp(2*x)/x - ...\"", "expressions: np./math./sp. prefixes",
      fits=lambda s: free_of(numpy_text(dtext(s)), "arctan", "arcsin", "arccos"))
def _(s):
    return Edit(answers={"q1_derivative": repr(numpy_text(dtext(s)))})


@case("expr_numpy_prefix_partials", "both partials with numpy. prefixes", "expressions: np./math./sp. prefixes",
      fits=lambda s: free_of(numpy_text(s.a(PD)["f_x"]) + numpy_text(s.a(PD)["f_y"]), "arctan", "arcsin", "arccos"))
def _(s):
    return Edit(answers={"q10_f_x": repr(numpy_text(s.a(PD)["f_x"], "numpy.")),
                         "q10_f_y": repr(numpy_text(s.a(PD)["f_y"], "numpy."))})


@case("expr_math_prefix", "f' as text from sp.pycode: math.exp, math.sin", "expressions: np./math./sp. prefixes")
def _(s):
    return Edit(answers={"q1_derivative": repr(sp.pycode(dtext(s)))})


@case("expr_sp_prefix", "the partials as text with sp. prefixes", "expressions: np./math./sp. prefixes")
def _(s):
    return Edit(answers={"q10_f_x": repr(prefixed(s.a(PD)["f_x"], "sp.")),
                         "q10_f_y": repr(prefixed(s.a(PD)["f_y"], "sp."))})


@case("expr_sympy_prefix", "f'' as text with sympy. prefixes", "expressions: np./math./sp. prefixes",
      fits=lambda s: not plain_polynomial(s.a(CC)["second_derivative"]))
def _(s):
    return Edit(answers={"q9_second_derivative": repr(prefixed(s.a(CC)["second_derivative"], "sympy."))})


@case("expr_fprime_equals", "f' written \"f'(x) = ...\"", "expressions: a leading f'(x) =")
def _(s):
    return Edit(answers={"q1_derivative": repr(f"f'(x) = {dtext(s)}")})


@case("expr_dfdx_equals", "f' written \"df/dx = ...\"", "expressions: a leading f'(x) =")
def _(s):
    return Edit(answers={"q1_derivative": repr(f"df/dx = {dtext(s)}")})


@case("expr_y_equals", "f'' written \"y = ...\"", "expressions: a leading f'(x) =")
def _(s):
    return Edit(answers={"q9_second_derivative": repr(f"y = {s.a(CC)['second_derivative']}")})


@case("expr_fsecond_equals", "f'' written \"f''(x) = ...\" (the f'(x) = rule for a second derivative)",
      "expressions: a leading f'(x) =")
def _(s):
    return Edit(answers={"q9_second_derivative": repr(f"f''(x) = {s.a(CC)['second_derivative']}")})


@case("expr_unicode_superscripts", "f'' typed \"12x² − 12\": superscripts, unicode minus, implicit products",
      "expressions: unicode", fits=lambda s: plain_polynomial(s.a(CC)["second_derivative"]))
def _(s):
    return Edit(answers={"q9_second_derivative": repr(unicode_text(s.a(CC)["second_derivative"]))})


@case("expr_unicode_dot", "the partials typed with · for products and − for minus", "expressions: unicode")
def _(s):
    a = s.a(PD)
    return Edit(answers={"q10_f_x": repr(unicode_text(a["f_x"], "·")),
                         "q10_f_y": repr(unicode_text(a["f_y"], "·"))})


@case("expr_unicode_times", "f'' typed with × for products", "expressions: unicode",
      fits=lambda s: plain_polynomial(s.a(CC)["second_derivative"]))
def _(s):
    return Edit(answers={"q9_second_derivative": repr(unicode_text(s.a(CC)["second_derivative"], "×"))})


@case("expr_unicode_sqrt", "f' typed with √ for sqrt", "expressions: unicode",
      fits=lambda s: "sqrt(" in str(dtext(s)))
def _(s):
    return Edit(answers={"q1_derivative": repr(str(dtext(s)).replace("sqrt(", "√("))})


def _latex(expr, **options):
    return sp.latex(expr, ln_notation=True, **options)


@case("expr_latex_sympy", "f' in LaTeX as sympy prints it: \\frac, \\left( \\right), e^{...}, \\sin, \\ln",
      "expressions: LaTeX", fits=lambda s: "operatorname" not in _latex(dtext(s)))
def _(s):
    return Edit(answers={"q1_derivative": repr(_latex(dtext(s)))})


@case("expr_latex_cdot", "f'' in LaTeX with \\cdot", "expressions: LaTeX",
      fits=lambda s: "operatorname" not in _latex(s.a(CC)["second_derivative"]))
def _(s):
    return Edit(answers={"q9_second_derivative": repr(_latex(s.a(CC)["second_derivative"], mul_symbol="dot"))})


@case("expr_latex_partials", "the partials in LaTeX", "expressions: LaTeX",
      fits=lambda s: "operatorname" not in _latex(s.a(PD)["f_x"]) + _latex(s.a(PD)["f_y"]))
def _(s):
    return Edit(answers={"q10_f_x": repr(_latex(s.a(PD)["f_x"])), "q10_f_y": repr(_latex(s.a(PD)["f_y"]))})


@case("expr_sympy_objects", "f', f'' and the partials as sympy expressions from sp.diff",
      "expressions: sympy objects")
def _(s):
    code = (f"import sympy as sp\nx, y = sp.symbols('x y')\nf1 = sp.sympify({s.p(D)['f']!r})\n"
            f"f9 = sp.sympify({s.p(CC)['f']!r})\nf10 = sp.sympify({s.p(PD)['f']!r})")
    return Edit(before={D: [code]}, answers={
        "q1_derivative": "sp.diff(f1, x)", "q9_second_derivative": "sp.diff(f9, x, 2)",
        "q10_f_x": "sp.diff(f10, x)", "q10_f_y": "sp.diff(f10, y)"})


@case("expr_sympy_factored", "f'' as sp.factor(sp.diff(f, x, 2))", "expressions: sympy objects")
def _(s):
    code = f"import sympy as sp\nx = sp.Symbol('x')\nf9 = sp.sympify({s.p(CC)['f']!r})"
    return Edit(before={CC: [code]}, answers={"q9_second_derivative": "sp.factor(sp.diff(f9, x, 2))"})


@case("expr_function_def", "f' as a Python function def q1_derivative(x): return np....",
      "expressions: a Python function", fits=lambda s: free_of(numpy_text(dtext(s)), "arctan", "arcsin", "arccos"))
def _(s):
    return Edit(answers={"q1_derivative": DELETE},
                after={D: [f"def q1_derivative(x):\n    return {numpy_text(dtext(s))}"]})


@case("expr_lambda_partials", "the partials as lambdas of x and y", "expressions: a Python function",
      fits=lambda s: free_of(numpy_text(s.a(PD)["f_x"]) + numpy_text(s.a(PD)["f_y"]), "arctan", "arcsin", "arccos"))
def _(s):
    a = s.a(PD)
    return Edit(answers={"q10_f_x": f"lambda x, y: {numpy_text(a['f_x'])}",
                         "q10_f_y": f"lambda x, y: {numpy_text(a['f_y'])}"})


@case("expr_lambdify", "f'' as sp.lambdify(x, sp.diff(f, x, 2))", "expressions: a Python function")
def _(s):
    code = f"import sympy as sp\nx = sp.Symbol('x')\nf9 = sp.sympify({s.p(CC)['f']!r})"
    return Edit(before={CC: [code]}, answers={"q9_second_derivative": "sp.lambdify(x, sp.diff(f9, x, 2))"})


def _log_abs(s):
    text = str(dtext(s))
    return re.sub(r"log\((\d*)\*?x\)", lambda m: f"ln|{m.group(1)}x|", text)


@case("expr_abs_bars", "f' with ln|x| bars where f is defined for x > 0 only", "expressions: |x| bars",
      fits=lambda s: re.search(r"log\(\d*\*?x\)", str(dtext(s))) is not None
      and re.search(r"log\(\d*\*?x\)", s.p(D)["f"]) is not None)
def _(s):
    return Edit(answers={"q1_derivative": repr(_log_abs(s))})


def _juxtaposed(expr):
    """``sin 3x``, ``ln x``: one-term arguments without parentheses; None where unsafe."""
    text = str(expr)
    if re.search(r"\b(sin|cos|tan|log|exp|sqrt|atan)\([^()]*\b(sin|cos|tan|log|exp|sqrt|atan)\(", text):
        return None  # nested calls: no student drops those parentheses
    pattern = r"\b(sin|cos|log)\((\d*)\*?x\)(?=$| [+-]|\))"
    if not re.search(pattern, text):
        return None
    out = re.sub(pattern, lambda m: f"{'ln' if m.group(1) == 'log' else m.group(1)} {m.group(2)}x", text)
    return None if re.search(r"\b(sin|cos|ln) \d*x(\*\*|\*|/)", out) else out


@case("expr_juxtaposed_functions", "f' with sin 3x, cos x, ln x written without parentheses",
      "expressions: sin 2x, ln x", fits=lambda s: _juxtaposed(dtext(s)) is not None)
def _(s):
    return Edit(answers={"q1_derivative": repr(_juxtaposed(dtext(s)))})


@case("expr_trig_power", "3(sin^2 x + cos^2 x) for the constant f'' = 3", "expressions: sin 2x, ln x")
def _(s):
    return Edit(answers={"q14_derivative": repr("3(sin^2 x + cos^2 x)")})


@case("expr_nameerror_derivative", "f' typed without quotes in its own cell: NameError, no answer",
      "empty or undefined answers")
def _(s):
    return Edit(answers={"q1_derivative": DELETE}, after={D: [f"q1_derivative = {dtext(s)}"]},
                expect={"q1_derivative": 0.0})


@case("expr_nameerror_partial", "∂f/∂y typed without quotes in its own cell: NameError",
      "empty or undefined answers")
def _(s):
    return Edit(answers={"q10_f_y": DELETE}, after={PD: [f"q10_f_y = {s.a(PD)['f_y']}"]},
                expect={"q10_f_y": 0.0})


@case("expr_unquoted_number", "f'' typed without quotes while x holds a number from a loop: a"
      " number, wrong", "wrong in a lenient form",
      fits=lambda s: plain_polynomial(s.a(CC)["second_derivative"])
      and "x" in str(s.a(CC)["second_derivative"]))
def _(s):
    return Edit(before={GD1: [gd1_loop(s)]},
                answers={"q9_second_derivative": DELETE},
                after={CC: [f"q9_second_derivative = {s.a(CC)['second_derivative']}"]},
                expect={"q9_second_derivative": 0.0})


def _cos_sign_derivative(s):
    x = sp.Symbol("x")
    f = oracle.parse(s.p(D)["f"], ["x"])
    flipped = f.replace(sp.cos, lambda u: -sp.cos(u))
    # f = g + c·cos(u): the derivative with the sign of the cos term flipped is (flipped)' plus
    # the derivative of the non-cos part counted twice, so take the cos terms apart.
    cos_part = (f - flipped) / 2
    return sp.diff(f - cos_part, x) - sp.diff(cos_part, x)


@case("mistake_cos_sign_latex", "f' with +sin for the derivative of cos, in LaTeX", "catalogued mistakes",
      fits=lambda s: re.search(r"(?<![a-z])cos\(", s.p(D)["f"]) and "sin" not in s.p(D)["f"]
      and re.search(r"cos\([^()]*\)\*\*", s.p(D)["f"]) is None
      and "operatorname" not in _latex(_cos_sign_derivative(s)))
def _(s):
    return Edit(answers={"q1_derivative": repr(_latex(_cos_sign_derivative(s)))},
                expect={"q1_derivative": 0.0}, mistakes={"q1_derivative": "derivative.cos_derivative_sign"})


@case("expr_wrong_unicode", "f' given for f'', in unicode", "wrong in a lenient form",
      fits=lambda s: plain_polynomial(s.a(CC)["second_derivative"]))
def _(s):
    x = sp.Symbol("x")
    first = sp.diff(oracle.parse(s.p(CC)["f"], ["x"]), x)
    return Edit(answers={"q9_second_derivative": repr(unicode_text(first))}, expect={"q9_second_derivative": 0.0})


@case("expr_wrong_sympy", "f' (first derivative) from sp.diff for ∂f/∂x of the wrong variable",
      "wrong in a lenient form")
def _(s):
    code = f"import sympy as sp\nx, y = sp.symbols('x y')\nf10 = sp.sympify({s.p(PD)['f']!r})"
    return Edit(before={PD: [code]}, answers={"q10_f_x": "sp.diff(f10, y)"}, expect={"q10_f_x": 0.0})


@case("empty_string_and_none", "f' as empty text and ∂f/∂y as None", "empty or undefined answers")
def _(s):
    return Edit(answers={"q1_derivative": repr(""), "q10_f_y": "None"},
                expect={"q1_derivative": 0.0, "q10_f_y": 0.0})


@case("empty_some_parts", "the Newton step and the normal equation left as ...", "empty or undefined answers")
def _(s):
    return Edit(answers={"q13_newton_step": EMPTY, "q11_normal_equation": EMPTY},
                expect={"q13_newton_step": 0.0, "q11_normal_equation": 0.0})


@case("empty_notebook", "the notebook as generated, nothing answered", "empty or undefined answers")
def _(s):
    return Edit(blank=True)


@case("baseline_plain", "every answer in the plain documented form", "plain forms")
def _(s):
    return Edit()


# === labels =============================================================================================

@case("labels_quoted", "the classification with quotes inside the text, \"'saddle'\"", "labels: quotes, punctuation, articles")
def _(s):
    return Edit(answers={"q6_classification": repr(f"'{s.a(H)['classification']}'")})


for _label in ("minimum", "maximum", "saddle"):
    @case(f"labels_article_point_{_label}", f"\"a {_label} point.\" for the classification",
          "labels: quotes, punctuation, articles", fits=lambda s, _l=_label: s.a(H)["classification"] == _l)
    def _(s):
        label = s.a(H)["classification"]
        return Edit(answers={"q6_classification": repr(f"{'An' if label[0] in 'aeiou' else 'A'} {label} point.")})


@case("labels_inconclusive_sentence", "\"Inconclusive.\" with a capital and a full stop",
      "labels: quotes, punctuation, articles", fits=lambda s: s.a(H)["classification"] == "inconclusive")
def _(s):
    return Edit(answers={"q6_classification": repr("Inconclusive.")})


@case("labels_local_extremum", "\"Local minimum\" / \"Local maximum\" for the Hessian test",
      "labels: synonyms", fits=lambda s: s.a(H)["classification"] in ("minimum", "maximum"))
def _(s):
    return Edit(answers={"q6_classification": repr(f"Local {s.a(H)['classification']}")})


@case("labels_uppercase", "\"SADDLE\" etc. in capitals", "labels: synonyms")
def _(s):
    return Edit(answers={"q6_classification": repr(s.a(H)["classification"].upper())})


CRIT_FORMS = {"local minimum": "A local minimum.", "local maximum": "Local max", "neither": "Neither."}
CRIT_SYNONYMS = {"local minimum": "min", "local maximum": "relative maximum", "neither": "inflection point"}


@case("labels_critical_sentences", "stationary-point labels with articles, capitals, full stops",
      "labels: quotes, punctuation, articles")
def _(s):
    return Edit(answers={"q8_labels": lit([CRIT_FORMS[v] for v in s.a(CP)["labels"]])})


@case("labels_critical_synonyms", "\"min\", \"relative maximum\", \"inflection point\"", "labels: synonyms",
      fits=lambda s: "neither" in s.a(CP)["labels"])
def _(s):
    return Edit(answers={"q8_labels": lit([CRIT_SYNONYMS[v] for v in s.a(CP)["labels"]])})


@case("labels_critical_tuple", "stationary-point labels as a tuple", "labels: synonyms")
def _(s):
    return Edit(answers={"q8_labels": "(" + ", ".join(repr(v) for v in s.a(CP)["labels"]) + ",)"})


CONCAVITY_FORMS = {"concave up": "convex", "concave down": "Concave downward."}


@case("labels_concavity_synonyms", "\"convex\" and \"Concave downward.\"", "labels: synonyms")
def _(s):
    return Edit(answers={"q9_concavity": lit([CONCAVITY_FORMS[v] for v in s.a(CC)["concavity"]]),
                         "q14_concavity": repr("Concave up.")})


@case("labels_concavity_quoted", "concavity labels with quotes inside the text", "labels: quotes, punctuation, articles")
def _(s):
    return Edit(answers={"q9_concavity": lit([f'"{v}"' for v in s.a(CC)["concavity"]]),
                         "q14_concavity": repr("convex")})


@case("labels_wrong_sentence", "a wrong classification written \"A ... point.\"", "wrong in a lenient form")
def _(s):
    right = s.a(H)["classification"]
    wrong = "maximum" if right != "maximum" else "minimum"
    return Edit(answers={"q6_classification": repr(f"A {wrong} point.")}, expect={"q6_classification": 0.0})


@case("mistake_min_max_swapped", "minima and maxima swapped, as \"Local min\"/\"Local max\"",
      "catalogued mistakes", fits=lambda s: "neither" not in s.a(CP)["labels"])
def _(s):
    swap = {"local minimum": "Local max", "local maximum": "Local min"}
    return Edit(answers={"q8_labels": lit([swap[v] for v in s.a(CP)["labels"]])},
                expect={"q8_labels": 0.0}, mistakes={"q8_labels": "critical_points_1d.min_max_swapped"})


@case("mistake_concavity_flipped", "every concavity label flipped, as \"convex\"/\"concave down\"",
      "catalogued mistakes")
def _(s):
    flip = {"concave up": "concave down", "concave down": "convex"}
    return Edit(answers={"q9_concavity": lit([flip[v] for v in s.a(CC)["concavity"]])},
                expect={"q9_concavity": 0.0}, mistakes={"q9_concavity": "concavity.sign_flipped"})


@case("mistake_classified_by_trace", "a saddle classified by the sign of the trace", "catalogued mistakes",
      fits=lambda s: s.a(H)["classification"] == "saddle" and abs(sum(s.a(H)["eigenvalues"])) > 1e-9)
def _(s):
    label = "minimum" if sum(s.a(H)["eigenvalues"]) > 0 else "maximum"
    return Edit(answers={"q6_classification": repr(label)}, expect={"q6_classification": 0.0},
                mistakes={"q6_classification": "hessian.classified_by_trace"})


# === how the notebook was run =============================================================================

@case("style_global_in_function", "every sigmoid answer set through global inside a function",
      "how the notebook was run")
def _(s):
    p = s.p(SG)
    code = ("def solve_unit(w, x, b, y):\n"
            "    global q7_z, q7_y_hat, q7_loss, q7_sigmoid_prime, q7_grad_w, q7_grad_b\n"
            "    q7_z = sum(wi * xi for wi, xi in zip(w, x)) + b\n"
            "    q7_y_hat = 1 / (1 + math.exp(-q7_z))\n"
            "    q7_loss = -(y * math.log(q7_y_hat) + (1 - y) * math.log(1 - q7_y_hat))\n"
            "    q7_sigmoid_prime = q7_y_hat * (1 - q7_y_hat)\n"
            "    q7_grad_w = [(q7_y_hat - y) * xi for xi in x]\n"
            "    q7_grad_b = q7_y_hat - y\n\n"
            f"solve_unit({lit(p['w'])}, {lit(p['x'])}, {lit(p['b'])}, {lit(p['y'])})")
    return Edit(answers={f"q7_{n}": DELETE for n in ("z", "y_hat", "loss", "sigmoid_prime", "grad_w", "grad_b")},
                after={SG: [code]})


@case("style_assigned_in_later_cell", "softmax answers left as ... in their cell and assigned in a"
      " scratch cell at the end", "how the notebook was run")
def _(s):
    q = s.p(SM)
    code = (f"z = np.array({lit(q['scores'])})\ne = np.exp(z - z.max())\np = e / e.sum()\n"
            f"q12_probabilities = p\nq12_loss = -np.log(p[{q['label']}])\n"
            f"q12_gradient = p - np.eye(len(z))[{q['label']}]")
    parts = [f"q12_{n}" for n in ("probabilities", "loss", "gradient")]
    return Edit(answers={n: EMPTY for n in parts}, end=[code], expect={n: 1.0 for n in parts})


@case("style_reassigned_later", "a wrong logistic loss first, corrected in a later cell",
      "how the notebook was run")
def _(s):
    return Edit(answers={"q13_loss": lit(s.a(LG)["loss"] * 2 + 1)}, end=[f"q13_loss = {lit(s.a(LG)['loss'])}"])


@case("style_own_answer_cell", "the generated sigmoid cell deleted, answers written in the student's"
      " own cell with helpers", "how the notebook was run")
def _(s):
    p = s.p(SG)
    code = ("def sigmoid(t):\n    return 1 / (1 + np.exp(-t))\n\n"
            f"xv = np.array({lit(p['x'])}); wv = np.array({lit(p['w'])})\n"
            f"q7_z = float(wv @ xv + {lit(p['b'])})\nq7_y_hat = sigmoid(q7_z)\n"
            f"q7_loss = -np.log(1 - q7_y_hat) if {p['y']} == 0 else -np.log(q7_y_hat)\n"
            "q7_sigmoid_prime = sigmoid(q7_z) * (1 - sigmoid(q7_z))\n"
            f"q7_grad_w = list((q7_y_hat - {p['y']}) * xv)\nq7_grad_b = q7_y_hat - {p['y']}")
    return Edit(answers={f"q7_{n}": DELETE for n in ("z", "y_hat", "loss", "sigmoid_prime", "grad_w", "grad_b")},
                before={SG: [code]})


@case("style_numpy_everything", "a numpy-minded student: every vector an array, every scalar a numpy"
      " float", "helpers and numpy")
def _(s):
    edit = Edit(before={SG: [sigmoid_setup(s)], GD1: [gd1_loop(s)], GD2: [gd2_loop(s)],
                        LG: [lg_code(s)], NR: [newton_loop(s, NR)]})
    for problem, names in {PD: ["gradient"], SM: ["probabilities", "gradient"], LR: ["predictions", "grad_w",
                           "normal_equation"], H: ["gradient", "eigenvalues"]}.items():
        for name in names:
            edit.answers[answer_variable(problem, name)] = f"np.array({lit(s.a(problem)[name])})"
    edit.answers.update({"q7_z": "z", "q7_y_hat": "y_hat", "q7_grad_w": "(y_hat - y) * x_vec",
                         "q7_grad_b": "y_hat - y", "q2_iterates": "np.array(xs)",
                         "q2_gradients": "np.array(grads)", "q3_iterates": "np.array(path)",
                         "q3_gradients": "np.array(grads2)", "q4_iterates": "np.array(newton_xs)",
                         "q13_loss": "loss(theta0)", "q13_grad": "grad(theta0)",
                         "q13_iterates": "np.array(lg_path)", "q13_newton_step": "newton",
                         "q6_hessian": f"np.array({lit(s.a(H)['hessian'])})"})
    return edit


@case("style_sympy_everything", "a sympy-minded student: derivatives, Hessian and gradient from sympy",
      "helpers and numpy")
def _(s):
    code = (f"import sympy as sp\nx, y = sp.symbols('x y')\nf1 = sp.sympify({s.p(D)['f']!r})\n"
            f"f6 = sp.sympify({s.p(H)['f']!r})\nf9 = sp.sympify({s.p(CC)['f']!r})\n"
            f"f10 = sp.sympify({s.p(PD)['f']!r})\npt6 = {{x: {lit(s.p(H)['point'][0])}, y: {lit(s.p(H)['point'][1])}}}\n"
            f"pt10 = {{x: {lit(s.p(PD)['point'][0])}, y: {lit(s.p(PD)['point'][1])}}}\n"
            "H6 = sp.hessian(f6, (x, y)).subs(pt6)")
    return Edit(before={D: [code]}, answers={
        "q1_derivative": "sp.diff(f1, x)", "q1_value": f"sp.diff(f1, x).subs(x, {lit(s.p(D)['at'])})",
        "q6_gradient": "[sp.diff(f6, v).subs(pt6) for v in (x, y)]", "q6_hessian": "H6",
        "q6_eigenvalues": "sorted(sp.Matrix(H6).eigenvals(multiple=True), key=float)",
        "q9_second_derivative": "sp.diff(f9, x, 2)", "q10_f_x": "sp.diff(f10, x)", "q10_f_y": "sp.diff(f10, y)",
        "q10_gradient": "[sp.diff(f10, v).subs(pt10) for v in (x, y)]"})


@case("mistake_sigmoid_sign_flipped", "the gradient as (y − ŷ)·x and y − ŷ, numpy", "catalogued mistakes")
def _(s):
    a = s.a(SG)
    return Edit(before={SG: [sigmoid_setup(s)]},
                answers={"q7_grad_w": "(y - y_hat) * x_vec", "q7_grad_b": "y - y_hat"},
                expect={"q7_grad_w": entry_share([-v for v in a["grad_w"]], a["grad_w"]),
                        "q7_grad_b": float(close(-a["grad_b"], a["grad_b"]))},
                mistakes={"q7_grad_b": "sigmoid_gradient.sign_flipped_error"})


@case("mistake_sigmoid_positive_exponent", "ŷ = 1/(1 + e^z), everything after computed from it",
      "catalogued mistakes")
def _(s):
    p, a = s.p(SG), s.a(SG)
    z, y = a["z"], p["y"]
    wrong = 1 / (1 + np.exp(z))
    student = {"y_hat": wrong, "loss": -(y * np.log(wrong) + (1 - y) * np.log(1 - wrong)),
               "sigmoid_prime": wrong * (1 - wrong), "grad_b": wrong - y}
    code = sigmoid_setup(s).replace("np.exp(-z)", "np.exp(z)")
    return Edit(before={SG: [code]}, answers={
        "q7_y_hat": "y_hat", "q7_loss": "-(y * np.log(y_hat) + (1 - y) * np.log(1 - y_hat))",
        "q7_sigmoid_prime": "y_hat * (1 - y_hat)", "q7_grad_w": "(y_hat - y) * x_vec", "q7_grad_b": "y_hat - y"},
        expect={**{f"q7_{k}": float(close(v, a[k])) for k, v in student.items()},
                "q7_grad_w": entry_share([(wrong - y) * xi for xi in p["x"]], a["grad_w"])},
        mistakes={"q7_y_hat": "sigmoid_gradient.positive_exponent"})


@case("mistake_regression_forgot_mean", "the cost without 1/m (a numpy float)", "catalogued mistakes",
      fits=lambda s: len(s.p(LR)["y"]) != 2)
def _(s):
    m = len(s.p(LR)["y"])
    return Edit(answers={"q11_cost": f"np.float64({lit(s.a(LR)['cost'] * m)})"}, expect={"q11_cost": 0.0},
                mistakes={"q11_cost": "linear_regression_gd.forgot_mean"})


@case("mistake_softmax_log10", "the loss with log base 10, as numeric text", "catalogued mistakes")
def _(s):
    return Edit(answers={"q12_loss": repr(str(sig(s.a(SM)["loss"] / np.log(10), 7)))},
                expect={"q12_loss": 0.0}, mistakes={"q12_loss": "softmax_cross_entropy.log_base_10"})


@case("mistake_logistic_missing_mean", "the logistic loss summed, not averaged, as a one-element list",
      "catalogued mistakes")
def _(s):
    m = len(s.p(LG)["y"])
    return Edit(answers={"q13_loss": f"[{lit(s.a(LG)['loss'] * m)}]"}, expect={"q13_loss": 0.0},
                mistakes={"q13_loss": "logistic_regression.missing_mean"})


@case("mistake_missing_repeated_root", "a repeated root of f' left out of the stationary points",
      "catalogued mistakes",
      fits=lambda s: any(sp.Poly(sp.diff(oracle.parse(s.p(CP)["f"], ["x"]), sp.Symbol("x")),
                                 sp.Symbol("x")).real_roots().count(r) > 1
                         for r in s.a(CP)["exact_points"]) and len(s.a(CP)["points"]) >= 2)
def _(s):
    x = sp.Symbol("x")
    roots = sp.Poly(sp.diff(oracle.parse(s.p(CP)["f"], ["x"]), x), x).real_roots()
    a = s.a(CP)
    keep = [i for i, r in enumerate(a["exact_points"]) if roots.count(r) == 1]
    return Edit(answers={"q8_points": lit([a["points"][i] for i in keep]),
                         "q8_labels": lit([a["labels"][i] for i in keep])},
                expect={"q8_points": 0.0, "q8_labels": 0.0},
                mistakes={"q8_points": "critical_points_1d.missing_repeated_root"})



# === more of the same rules, on other problems ===============================================================

@case("numbers_zero_dim_from_matmul", "z from a (1, 2) @ (2, 1) product squeezed to a 0-d array, σ' as"
      " np.array(...)", "numbers: 0-d arrays")
def _(s):
    p = s.p(SG)
    code = (f"W = np.array([{lit(p['w'])}])\nXc = np.array({lit([[v] for v in p['x']])})\n"
            f"zz = np.squeeze(W @ Xc + {lit(p['b'])})\nsig = 1 / (1 + np.exp(-zz))")
    return Edit(before={SG: [code]}, answers={"q7_z": "zz", "q7_sigmoid_prime": "np.array(sig * (1 - sig))"})


@case("vectors_row_gradient", "the logistic gradient and the Newton step as (1, 2) rows", "vectors: row vectors")
def _(s):
    return Edit(before={LG: [lg_code(s)]}, answers={"q13_grad": "grad(theta0).reshape(1, -1)",
                                                    "q13_newton_step": "newton[np.newaxis, :]"})


def _quadratic_second(s):
    d2 = s.a(CC)["second_derivative"]
    x = sp.Symbol("x")
    return d2.is_polynomial(x) and sp.degree(d2, x) == 2 and len(s.a(CC)["inflection_points"]) == 2


@case("order_inflection_points_np_roots", "inflection points straight from np.roots of f'' (numpy's order)",
      "order: a set of points", fits=_quadratic_second)
def _(s):
    x = sp.Symbol("x")
    coeffs = [float(c) for c in sp.Poly(s.a(CC)["second_derivative"], x).all_coeffs()]
    return Edit(answers={"q9_inflection_points": f"np.roots({lit(coeffs)})"})


@case("expr_abs_bars_even_power", "f'' written with |x|² for x²", "expressions: |x| bars",
      fits=lambda s: plain_polynomial(s.a(CC)["second_derivative"]) and "x**2" in str(s.a(CC)["second_derivative"]))
def _(s):
    return Edit(answers={"q9_second_derivative": repr(str(s.a(CC)["second_derivative"]).replace("x**2", "|x|**2"))})


@case("style_global_regression", "the regression answers set through global inside a helper",
      "how the notebook was run")
def _(s):
    p = s.p(LR)
    code = ("def fit(X, y, w, b):\n    global q11_predictions, q11_cost, q11_grad_w, q11_grad_b\n"
            "    X = np.asarray(X, dtype=float)[:, 0]\n    y = np.asarray(y, dtype=float)\n"
            "    q11_predictions = w * X + b\n    err = q11_predictions - y\n"
            "    q11_cost = (err ** 2).mean() / 2\n    q11_grad_w = [(err * X).mean()]\n"
            "    q11_grad_b = err.mean()\n\n"
            f"fit({lit(p['X'])}, {lit(p['y'])}, {lit(p['w'][0])}, {lit(p['b'])})")
    return Edit(answers={f"q11_{n}": DELETE for n in ("predictions", "cost", "grad_w", "grad_b")}, after={LR: [code]})


@case("labels_hessian_synonym_sentence", "\"Saddle point\" / \"Local max\" / \"local min\" synonyms for the test",
      "labels: synonyms", fits=lambda s: s.a(H)["classification"] != "inconclusive")
def _(s):
    words = {"saddle": "Saddle point", "maximum": "local max", "minimum": "Local min"}
    return Edit(answers={"q6_classification": repr(words[s.a(H)["classification"]])})
