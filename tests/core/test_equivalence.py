"""Expression equivalence decided where the reference lives (core/equivalence.py).

Oracles: sympy (identities it proves, rewritings it produces), mpmath at high precision,
closed-form domains worked by hand, and Python's math module for function answers.
"""

from __future__ import annotations

import math
import os
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from calcgrade.core import equivalence
from calcgrade.core import expr as ex
from calcgrade.core.equivalence import (compare_by_sampling, expressions_equivalent, sample_points,
                                        values_equivalent)
from calcgrade.core.errors import ExpressionError
from calcgrade.core.numeric import evaluate
from calcgrade.core.parse import parse_expression
from calcgrade.core.symbolic import SymbolicChecker, to_sympy
from tests.solutions.random_trees import random_tree

X, XY = ("x",), ("x", "y")
x, y = ex.Sym("x"), ex.Sym("y")


def parse(text: str, variables=X) -> ex.Expr:
    return parse_expression(text, variables)


def sympy_difference_is_zero(a: ex.Expr, b: ex.Expr) -> bool:
    """The oracle for identities: sympy simplifies the difference to 0."""
    return sympy.simplify(to_sympy(a) - to_sympy(b)) == 0


@pytest.fixture(scope="module")
def checker():
    helper = SymbolicChecker(timeout=30.0)
    yield helper
    helper.close()


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


# identities --------------------------------------------------------------------------------

IDENTITIES = [
    ("x*e^x + e^x", "(x + 1)*exp(x)", X),
    ("(x^2 - 1)/(x - 1)", "x + 1", X),
    ("1/(1 + exp(-x)) * (1 - 1/(1 + exp(-x)))", "exp(-x)/(1 + exp(-x))^2", X),
    ("log(x + 1) - log(1 - x)", "log((x + 1)/(1 - x))", X),
    ("sqrt(x^2 - 8x + 15)", "sqrt((x - 3)*(x - 5))", X),
    ("0.5*(x - 50)^(-1/2)", "1/(2*sqrt(x - 50))", X),
    ("-x/sqrt(1 - x^2 - y^2)", "-x*(1 - x^2 - y^2)^(-1/2)", XY),
    ("2*x*y*exp(x^2*y)", "2*y*x*e^(y*x^2)", XY),
    ("sin(2x)", "2 sin(x) cos(x)", X),
    ("1/cosh(x)^2", "1 - tanh(x)^2", X),
    ("x^(1/3) * x^(1/3)", "(x^2)^(1/3)", X),
    ("log(x^2)", "2*log(x)", X),  # the reference lives on x > 0, where they agree
]


@pytest.mark.parametrize("student, reference, variables", IDENTITIES)
def test_sympy_proven_identities_are_equivalent_by_sampling_alone(student, reference, variables):
    a, b = parse(student, variables), parse(reference, variables)
    difference = to_sympy(a) - to_sympy(b)
    positive = {s: sympy.Symbol(s.name, positive=True) for s in difference.free_symbols}
    # the oracle: sympy finds them equal where logarithms' arguments are positive (as on
    # the reference's domain) or where the variables are
    assert sympy.simplify(sympy.expand_log(difference, force=True)) == 0 or \
        sympy.simplify(difference.subs(positive)) == 0
    assert compare_by_sampling(a, b, variables) is True
    assert expressions_equivalent(a, b, variables) is True


def _from_sympy_text(expression, variables):
    """sympy's printed text read back by our parser (None when it prints what we do not read)."""
    try:
        return parse_expression(str(expression), variables)
    except (ExpressionError, OverflowError, ZeroDivisionError):
        return None


@pytest.mark.parametrize("seed", range(0, 160, 8))
def test_random_trees_equal_their_sympy_expansion_and_factorization(seed, checker):
    decided = 0
    for offset in range(8):
        rng = np.random.default_rng(seed + offset)
        variables = XY if (seed + offset) % 3 == 0 else X
        tree = random_tree(rng, variables, depth=4)
        for rewrite in (sympy.expand, sympy.factor):
            other = _from_sympy_text(rewrite(to_sympy(tree)), variables)
            if other is None or other == tree:
                continue
            assert expressions_equivalent(other, tree, variables, checker=checker) is True, (other, tree)
            decided += 1
    assert decided >= 1


@pytest.mark.parametrize("seed", range(0, 160, 8))
def test_random_trees_differ_from_their_perturbations(seed, checker):
    for offset in range(8):
        rng = np.random.default_rng(seed + offset)
        variables = XY if (seed + offset) % 3 == 0 else X
        tree = random_tree(rng, variables, depth=4)
        # t + 1 + |t| is beyond any tolerance from t wherever t is defined
        perturbed = ex.add(tree, ex.ONE, ex.fn("Abs", tree))
        verdict = expressions_equivalent(perturbed, tree, variables, checker=checker)
        assert verdict is not True, tree
        if sample_points(tree, variables):  # the tree has a real domain
            assert verdict is False, tree


@settings(max_examples=60, deadline=None)
@given(st.integers(-9, 9), st.integers(-9, 9), st.integers(-3, 3))
def test_factored_and_expanded_polynomials(a, b, c):
    factored = parse(f"(x + {a})*(x + {b})*exp({c}*x)")
    expanded = parse(f"(x^2 + {a + b}*x + {a * b})*exp({c}*x)")
    assert compare_by_sampling(expanded, factored, X) is True
    wrong = parse(f"(x^2 + {a + b}*x + {a * b + 1})*exp({c}*x)")
    assert compare_by_sampling(wrong, factored, X) is False


# non-identities ------------------------------------------------------------------------------

NON_IDENTITIES = [
    ("x*e^x + e^x + 1", "(x + 1)*exp(x)", X),           # a constant
    ("x*e^x", "(x + 1)*exp(x)", X),                      # a term
    ("1.01*(x + 1)*exp(x)", "(x + 1)*exp(x)", X),        # a factor just beyond rtol
    ("-(x + 1)*exp(x)", "(x + 1)*exp(x)", X),            # a sign
    ("2*x*sin(x^2)", "2*x*cos(x^2)", X),
    ("sqrt(x^2)", "x", X),                               # |x|
    ("(x^2)^(1/2)", "x", X),
    ("2*log(x)", "log(x^2)", X),                         # undefined for x < 0
    ("sqrt(x - 3)*sqrt(x - 5)", "sqrt((x - 3)*(x - 5))", X),  # undefined below 3
    ("log(x + 1) - log(1 - x) + 0.01", "log((x + 1)/(1 - x))", X),
    ("sqrt(1 - x^2 + y^2)", "sqrt(1 - x^2 - y^2)", XY),
    ("x*y", "x*y + y^2", XY),
]


@pytest.mark.parametrize("student, reference, variables", NON_IDENTITIES)
def test_non_identities_are_rejected(student, reference, variables):
    a, b = parse(student, variables), parse(reference, variables)
    assert not sympy_difference_is_zero(a, b)
    assert compare_by_sampling(a, b, variables) is False
    assert expressions_equivalent(a, b, variables) is False


def test_special_value_traps_built_as_raw_trees_are_rejected():
    # trees the constructors would fold: (sqrt(x))^2, exp(log(x)), sqrt(x)*sqrt(x)
    for student in (ex.Pow(ex.Pow(x, ex.HALF), ex.Num(2)), ex.Fn("exp", ex.Fn("log", x)),
                    ex.Mul((ex.Pow(x, ex.HALF), ex.Pow(x, ex.HALF)))):
        # equal to x for x > 0, undefined for x < 0 where the reference x is defined
        assert compare_by_sampling(student, x, X) is False
        assert expressions_equivalent(student, x, X) is False


def test_the_complex_fallback_never_makes_a_wrong_answer_right():
    # in complex arithmetic sqrt(x**2) == x for Re x > 0 and (sqrt(x))**2 == x everywhere;
    # neither is accepted for the real x
    assert compare_by_sampling(parse("sqrt(x^2)"), x, X) is False
    assert compare_by_sampling(ex.Pow(ex.Pow(x, ex.HALF), ex.Num(2)), x, X) is False
    # where both are undefined in the reals it only confirms, never refutes
    reference = parse("log(-1 - x^2)")
    assert compare_by_sampling(parse("log(-1 - x^2) + 1"), reference, X) is None


def test_the_complex_fallback_confirms_expressions_nowhere_real():
    reference, student = parse("log(-1 - x^2)"), parse("log(1 + x^2) + log(-1)")
    assert sympy.simplify(to_sympy(reference) - to_sympy(student)) == 0
    assert sample_points(reference, X) == []
    assert compare_by_sampling(student, reference, X) is True


def test_a_name_outside_the_variables_is_wrong_and_a_reference_with_one_is_an_error():
    assert expressions_equivalent(parse("x + y", XY), x, X) is False
    with pytest.raises(ValueError):
        expressions_equivalent(x, parse("x + y", XY), X)


def test_constants_compare_at_one_point():
    assert expressions_equivalent(parse("2*pi", ()), parse("pi + pi", ()), ()) is True
    assert expressions_equivalent(parse("sqrt(2)", ()), parse("1.41", ()), ()) is False
    assert expressions_equivalent(parse("e^2", ()), parse("7.389056", ()), ()) is True
    # beyond floats, and undefined in the reals
    assert compare_by_sampling(parse("e", ()), parse("exp(1000)/exp(999)", ()), ()) is True
    assert compare_by_sampling(parse("1", ()), parse("log(-1)", ()), ()) is None


# domains -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reference, inside, variables", [
    ("log((x + 1)/(1 - x))", lambda p: -1 < p["x"] < 1, X),
    ("sqrt((x - 3)*(x - 5))", lambda p: p["x"] <= 3 or p["x"] >= 5, X),
    ("sqrt(x - 50)", lambda p: p["x"] >= 50, X),
    ("sqrt(x - 5000)", lambda p: p["x"] >= 5000, X),
    ("log(x)", lambda p: p["x"] > 0, X),
    ("sqrt(0.001 - (x - 7)^2)", lambda p: abs(p["x"] - 7) <= math.sqrt(0.001), X),
    ("sqrt(1 - x^2 - y^2)", lambda p: p["x"] ** 2 + p["y"] ** 2 <= 1, XY),
    ("asin(x - 10) + log(y + 300)", lambda p: 9 <= p["x"] <= 11 and p["y"] > -300, XY),
])
def test_points_lie_in_the_reference_domain_and_spread_over_it(reference, inside, variables):
    points = sample_points(parse(reference, variables), variables)
    assert len(points) == equivalence.TARGET_POINTS
    assert all(inside(p) for p in points)
    for name in variables:  # spread: not clustered on one value
        values = sorted(p[name] for p in points)
        assert values[-1] - values[0] > 1e-3 * max(1.0, abs(values[0]))


def test_both_branches_and_negative_values_are_sampled_where_the_reference_lives():
    points = [p["x"] for p in sample_points(parse("sqrt((x - 3)*(x - 5))"), X)]
    assert any(v < 0 for v in points) and any(v > 5 for v in points)
    disc = sample_points(parse("sqrt(1 - x^2 - y^2)", XY), XY)
    assert any(p["x"] < 0 for p in disc) and any(p["y"] < 0 for p in disc)


@settings(max_examples=40, deadline=None)
@given(st.floats(-1e5, 1e5), st.floats(1e-2, 1e3))
def test_any_interval_is_found(start, width):
    end = start + width
    reference = parse(f"log((x - ({start!r}))*({end!r} - x))")
    points = sample_points(reference, X)
    assert len(points) == equivalence.TARGET_POINTS
    assert all(start < p["x"] < end for p in points)


@pytest.mark.parametrize("student, reference, variables, expected", [
    ("sqrt(0.001 - x^2 + 14x - 49)", "sqrt(0.001 - (x - 7)^2)", X, True),
    ("1.01*sqrt(0.001 - (x - 7)^2)", "sqrt(0.001 - (x - 7)^2)", X, False),
    ("(x - 5000)^(-1/2)/2", "1/(2 sqrt(x - 5000))", X, True),
    ("(x - 5000)^(-1/2)/2 + 1e-3", "1/(2 sqrt(x - 5000))", X, False),
    ("sqrt((1 - x)*(1 + x) - y^2)", "sqrt(1 - x^2 - y^2)", XY, True),
    ("1.01 * sqrt(1 - x^2 - y^2)", "sqrt(1 - x^2 - y^2)", XY, False),
])
def test_decisions_in_narrow_and_far_domains(student, reference, variables, expected):
    assert compare_by_sampling(parse(student, variables), parse(reference, variables), variables) is expected


# large values --------------------------------------------------------------------------------


def test_huge_exponents_compare_without_overflow():
    reference = ex.Pow(x - 2, ex.Num(6000))  # beyond the parser's exponent limit: built raw
    same = [ex.Pow(ex.add(x ** 2, -4 * x, ex.Num(4)), ex.Num(3000)),
            ex.Mul((ex.Pow(x - 2, ex.Num(5999)), x - 2)),
            ex.Pow(2 - x, ex.Num(6000))]
    different = [ex.Pow(x - 2, ex.Num(5999)),
                 ex.Pow(ex.add(x, ex.Num(Fraction(-2001, 1000))), ex.Num(6000)),
                 ex.add(reference, ex.ONE)]
    for student in same:  # the oracle: sympy factors both to the same (simplify would expand)
        assert sympy.factor(to_sympy(student)) == sympy.factor(to_sympy(reference))
        assert compare_by_sampling(student, reference, X) is True
    for student in different:
        assert compare_by_sampling(student, reference, X) is False


def test_overflowing_floats_are_recomputed_in_high_precision():
    e800 = ex.exp(800 * x)
    # (e^400x + 1)^2 - 2 e^400x - 1 overflows or cancels in floats
    assert compare_by_sampling(ex.add(ex.Pow(ex.exp(400 * x) + 1, ex.Num(2)), -2 * ex.exp(400 * x), ex.Num(-1)),
                               e800, X) is True
    assert compare_by_sampling(ex.Mul((ex.exp(400 * x), ex.exp(400 * x))), e800, X) is True
    assert compare_by_sampling(ex.exp(801 * x), e800, X) is False
    # this reference lives only where e^800x is beyond any float: x > 2
    reference = ex.sqrt(x - 2) * e800
    points = sample_points(reference, X)
    assert len(points) >= equivalence.MIN_AGREEING and all(p["x"] >= 2 for p in points)
    assert all(mpmath.exp(800 * p["x"]) > 1e308 for p in points)
    assert compare_by_sampling(ex.Mul((ex.sqrt(x - 2), ex.exp(400 * x), ex.exp(400 * x))), reference, X) is True
    assert compare_by_sampling(ex.sqrt(x - 2) * ex.exp(801 * x), reference, X) is False


def test_cancellation_in_floats_does_not_make_a_right_answer_wrong():
    # in floats (e^40x + 1) - e^40x is 0 for x near 1 (and in 60 digits for x near 17)
    student = ex.Add((ex.exp(40 * x), ex.ONE, ex.Mul((ex.MINUS_ONE, ex.exp(40 * x)))))
    assert evaluate(student, {"x": 1.0}) != 1.0
    assert compare_by_sampling(student, ex.ONE, X) is True
    assert compare_by_sampling(student, ex.Num(2), X) is False


# the symbolic path ---------------------------------------------------------------------------


@pytest.mark.slow
def test_values_beyond_any_numeric_range_are_decided_by_sympy(checker):
    # e^(10^7 (x^2 + 1)) is beyond mpmath's allowed range at every real x
    reference = parse("exp(10000000*(x^2 + 1))")
    right = ex.Mul((ex.exp(10_000_000 * x ** 2), ex.exp(ex.Num(10_000_000))))
    wrong = ex.Mul((ex.exp(10_000_000 * x ** 2), ex.exp(ex.Num(9_999_999))))
    assert sympy.expand(to_sympy(right) - to_sympy(reference)) == 0
    assert compare_by_sampling(right, reference, X) is None
    assert compare_by_sampling(wrong, reference, X) is None
    assert expressions_equivalent(right, reference, X, checker=checker) is True
    assert expressions_equivalent(wrong, reference, X, checker=checker) is False


@pytest.mark.slow
def test_a_reference_defined_only_at_isolated_points_goes_to_sympy(checker):
    # real only where sin(pi x)^2 = 1 (x = 1/2 + k), and beyond floats even in complex
    reference = parse("sqrt(sin(pi*x)^2 - 1)*exp(800*(x^2 + 1))")
    student = parse("sqrt(-cos(pi*x)^2)*exp(800 x^2 + 800)")
    assert sympy.simplify(to_sympy(student) - to_sympy(reference)) == 0
    assert sample_points(reference, X) == []
    assert compare_by_sampling(student, reference, X) is None
    assert expressions_equivalent(student, reference, X, checker=checker) is True
    wrong = parse("sqrt(-cos(pi*x)^2)*exp(800 x^2 + 799)")
    assert expressions_equivalent(wrong, reference, X, checker=checker) is not True


@pytest.mark.slow
def test_nowhere_defined_expressions_stay_undecided(checker):
    assert expressions_equivalent(parse("2*log(x - x)"), parse("log(x - x)"), X, checker=checker) is None


def _slow_for_sympy():
    """sympy needs seconds of simplify on this (an expanded trig product, minus itself,
    plus sqrt(x)), which sampling decides at once."""
    sx, sy = sympy.symbols("x y", real=True)
    product = sympy.Mul(*[sympy.sin(k * sx) + sympy.cos(k * sy) for k in range(1, 5)])
    expanded = parse(str(sympy.expand(sympy.expand_trig(product))), XY)
    return expanded, parse(str(product), XY) + ex.sqrt(x)


@pytest.mark.slow
def test_a_pathological_simplify_times_out_to_none_and_the_helper_restarts():
    helper = SymbolicChecker(timeout=0.3)
    try:
        assert helper.decide(x * ex.exp(x) + ex.exp(x), (x + 1) * ex.exp(x)) is True
        first = helper.pid
        a, b = _slow_for_sympy()
        assert helper.decide(a, b) is None
        assert helper.pid is None and not process_exists(first)
        assert helper.decide(x * ex.exp(x), (x + 1) * ex.exp(x)) is False
        assert helper.pid not in (None, first)
    finally:
        helper.close()


@pytest.mark.slow
def test_the_helper_is_limited_and_gets_no_secret(monkeypatch):
    monkeypatch.setenv("CALCGRADE_SECRET", "0123456789abcdef")
    helper = SymbolicChecker(memory_limit=900 << 20)
    try:
        assert helper.decide(x ** 2 - 1, (x - 1) * (x + 1)) is True
        limits = f"/proc/{helper.pid}/limits"
        if not os.path.exists(limits):
            pytest.skip("no /proc on this system")
        line = next(row for row in open(limits) if row.startswith("Max address space"))
        assert line.split()[3] == str(900 << 20)
        environ = open(f"/proc/{helper.pid}/environ", "rb").read()
        assert b"CALCGRADE_SECRET" not in environ
    finally:
        helper.close()


@pytest.mark.slow
def test_no_helper_survives_close():
    helper = SymbolicChecker()
    assert helper.pid is None  # started on the first question only
    assert expressions_equivalent(parse("x^2"), parse("x*x + 0*x"), X, checker=helper) is True
    assert helper.pid is None  # sampling decided; no helper needed
    assert helper.decide(x ** 2, x * x) is True
    pid = helper.pid
    assert process_exists(pid)
    helper.close()
    assert helper.pid is None and not process_exists(pid)
    # the shared helper too
    shared = equivalence.symbolic_checker()
    assert expressions_equivalent(parse("2*log(x - x)"), parse("log(x - x)"), X) is None
    pid = shared.pid
    assert pid is not None
    equivalence.close()
    assert shared.pid is None and not process_exists(pid)


# bounds --------------------------------------------------------------------------------------


def test_trees_too_large_to_compare_are_undecided():
    wide = ex.add(*(ex.fn("sin", ex.Num(k) * x) for k in range(1, equivalence.MAX_NODES)))
    assert expressions_equivalent(wide, x, X) is None
    deep = x
    for _ in range(equivalence.MAX_DEPTH + 1):
        deep = ex.fn("sin", deep)
    assert expressions_equivalent(deep, x, X) is None
    assert expressions_equivalent(ex.Num(10 ** 7000) * x, x, X) is None


def test_towers_and_huge_powers_finish(checker):
    tower = ex.exp(ex.exp(ex.exp(ex.exp(x))))
    assert compare_by_sampling(tower + 1, tower, X) is False
    helper = SymbolicChecker(timeout=1.0)
    try:
        huge = ex.Pow(x, ex.Num(10 ** 300))
        verdict = expressions_equivalent(ex.Pow(x, ex.Num(10 ** 300 + 1)), huge, X, checker=helper)
        assert verdict is not True
    finally:
        helper.close()


# function answers ----------------------------------------------------------------------------


def test_function_values_compare_with_the_reference():
    reference = parse("x*exp(x) + exp(x)")
    points = sample_points(reference, X)
    right = [(p["x"] + 1) * math.exp(p["x"]) for p in points]
    assert values_equivalent(right, reference, points) is True
    wrong = [p["x"] * math.exp(p["x"]) for p in points]
    assert values_equivalent(wrong, reference, points) is False
    several = parse("x^2*y + sin(y)", XY)
    points = sample_points(several, XY)
    assert values_equivalent([p["x"] ** 2 * p["y"] + math.sin(p["y"]) for p in points], several, points) is True


def test_failures_count_where_the_reference_is_defined_only():
    reference = parse("sqrt(x)")
    points = [{"x": v} for v in (-3.0, -1.0, -0.5)] + sample_points(reference, X)

    def student(v):
        return math.sqrt(v) if v >= 0 else {"$marker": "error", "type": "ValueError"}

    assert values_equivalent([student(p["x"]) for p in points], reference, points) is True
    moderate = next(i for i, p in enumerate(points) if 0 < p["x"] <= 4)
    values = [student(p["x"]) for p in points]
    values[moderate] = {"$marker": "nan"}
    assert values_equivalent(values, reference, points) is False
    values[moderate] = True  # a boolean is not a number
    assert values_equivalent(values, reference, points) is False


def test_float_overflow_of_a_function_far_out_is_not_held_against_it():
    reference = parse("exp(x)")
    points = sample_points(reference, X) + [{"x": 800.0}]

    def student(v):
        try:
            return math.exp(v)
        except OverflowError:
            return {"$marker": "error", "type": "OverflowError"}

    assert values_equivalent([student(p["x"]) for p in points], reference, points) is True


def test_too_few_values_are_undecided_and_lengths_must_match():
    reference = parse("x^2")
    points = [{"x": 1.5}, {"x": -2.0}]
    assert values_equivalent([2.25, 4.0], reference, points) is None
    with pytest.raises(ValueError):
        values_equivalent([2.25], reference, points)


# determinism ---------------------------------------------------------------------------------


def test_points_are_deterministic_and_leave_global_random_state_alone():
    reference = parse("log(x) + sqrt(1 - x^2 - y^2)*y", XY)
    state = np.random.get_state()[1].copy()
    first = sample_points(reference, XY)
    equivalence.plan_samples.cache_clear()
    assert sample_points(reference, XY) == first
    assert (np.random.get_state()[1] == state).all()
    assert all(isinstance(v, float) for p in first for v in p.values())
