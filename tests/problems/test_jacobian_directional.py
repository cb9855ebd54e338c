"""The jacobian_directional family: a hand-worked example, sympy and finite-difference oracles
over hundreds of seeds, validation, its mistakes and grading."""

from __future__ import annotations

import math

import pytest
import sympy as sp

from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.core.numeric import compile_numeric
from calcgrade.core.parse import parse_expression
from calcgrade.grader.grading.marking import mark_problem
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions import jacobian_directional as sol
from tests.grader.test_marking import problem_of
from tests.sweep import sweep

family = get_family("jacobian_directional")


def sympy_answers(params) -> dict:
    symbols = sp.symbols(" ".join(params["vars"]), real=True)
    names = dict(zip(params["vars"], symbols))
    at = dict(zip(symbols, (sp.Integer(p) if float(p).is_integer() else sp.Rational(repr(p)) for p in params["point"])))
    F = sp.Matrix([sp.sympify(c, locals=names) for c in params["components"]])
    f = sp.sympify(params["f"], locals=names)
    jacobian = F.jacobian(symbols).subs(at)
    gradient = [sp.diff(f, s).subs(at) for s in symbols]
    d = sp.Matrix(params["direction"])
    directional = (sp.Matrix([gradient]) * d)[0] / d.norm()
    return {"jacobian": [[float(v) for v in jacobian.row(i)] for i in range(2)],
            "gradient": [float(g) for g in gradient], "directional": float(directional)}


@pytest.mark.parametrize("count", sweep(300, few=15))
def test_answers_agree_with_sympy(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        answers, truth = family.solve(params), sympy_answers(params)
        assert answers["jacobian"] == [pytest.approx(row, rel=1e-9, abs=1e-12) for row in truth["jacobian"]], params
        assert answers["gradient"] == pytest.approx(truth["gradient"], rel=1e-9, abs=1e-12), params
        assert answers["directional"] == pytest.approx(truth["directional"], rel=1e-9, abs=1e-12), params


@pytest.mark.parametrize("count", sweep(300, few=30))
def test_directional_derivative_agrees_with_central_differences_along_the_unit_vector(count):
    for seed in range(count):
        params = family.sample(generator(seed))
        f = compile_numeric(parse_expression(params["f"], tuple(params["vars"])))
        d = params["direction"]
        u = [v / math.sqrt(sum(w * w for w in d)) for v in d]
        h = 1e-5

        def at(t):
            return float(f(dict(zip(params["vars"], (p + t * c for p, c in zip(params["point"], u))))))

        assert family.solve(params)["directional"] == pytest.approx((at(h) - at(-h)) / (2 * h), rel=1e-5, abs=1e-6)


def test_forward_mode_on_odd_roots_absolute_values_and_variable_powers():
    x = ["x", "y"]
    tree = parse_expression("x^(1/3) + abs(y) + x^y", x)
    # at (−8, 1): ∂/∂x = ⅓(−8)^(−2/3) + y·x^(y−1) = 1/12 + 1; ∂/∂y = 1 + x^y ln x is undefined (x < 0)
    value, grad = sol.value_and_gradient(parse_expression("x^(1/3) + abs(y)", x), x, [-8, 1])
    assert value == pytest.approx(-1.0) and grad == pytest.approx([1 / 12, 1.0])
    assert all(math.isnan(g) for g in sol.value_and_gradient(tree, x, [-8, 1])[1])
    value, grad = sol.value_and_gradient(tree, x, [2, -1])  # 2^(1/3) + 1 + 1/2
    assert grad == pytest.approx([2 ** (-2 / 3) / 3 - 2**-2, -1.0 + 0.5 * math.log(2)])
    assert math.isnan(sol.value_and_gradient(parse_expression("sqrt(x) + y", x), x, [0, 1])[1][0])


HAND = {"components": ["x^2*y", "5x + sin(y)"], "f": "x^2 + 3*x*y", "vars": ["x", "y"],
        "point": [1, 0], "direction": [3, 4]}
# J = [[2xy, x²], [5, cos y]] = [[0, 1], [5, 1]]; ∇f = (2x + 3y, 3x) = (2, 3);
# u = (3, 4)/5 = (0.6, 0.8); D_u f = 2·0.6 + 3·0.8 = 3.6 (∇f·d = 18 before normalising).


def test_the_hand_worked_example():
    answers = family.solve(family.validate(HAND))
    assert answers == {"jacobian": [[0.0, 1.0], [5.0, 1.0]], "gradient": [2.0, 3.0],
                       "directional": pytest.approx(3.6, abs=1e-12)}


def diagnosed(mistake: str, params=HAND):
    return family.diagnose(family.validate(params)).get(f"jacobian_directional.{mistake}")


def test_the_mistakes_on_the_hand_example():
    assert diagnosed("not_normalised") == {"directional": pytest.approx(18.0)}
    assert diagnosed("transposed_jacobian") == {"jacobian": [[0.0, 5.0], [1.0, 1.0]]}
    assert diagnosed("gradient_norm_instead_of_directional") == {"directional": pytest.approx(math.sqrt(13))}
    unit = {**HAND, "direction": [0.6, 0.8]}
    assert diagnosed("not_normalised", unit) is None
    assert family.solve(family.validate(unit))["directional"] == pytest.approx(3.6)


def test_a_three_variable_jacobian_has_two_rows_of_three_and_its_transpose_is_caught_by_shape():
    params = family.validate({"components": ["x*y*z", "x + 2*z"], "f": "x*y + z^2", "vars": ["x", "y", "z"],
                              "point": [1, 2, 3], "direction": [1, 2, 2]})
    answers = family.solve(params)
    # ∂(xyz) = (yz, xz, xy) = (6, 3, 2); ∂(x + 2z) = (1, 0, 2); ∇f = (y, x, 2z) = (2, 1, 6)
    assert answers["jacobian"] == [[6.0, 3.0, 2.0], [1.0, 0.0, 2.0]]
    assert answers["directional"] == pytest.approx((2 + 2 + 12) / 3)
    transposed = diagnosed("transposed_jacobian", params)["jacobian"]
    assert transposed == [[6.0, 1.0], [3.0, 0.0], [2.0, 2.0]]
    assert not answer_matches(family.answers["jacobian"], transposed, answers["jacobian"])


def test_sampled_directions_are_never_unit_vectors_and_both_sizes_are_sampled():
    sizes = set()
    for seed in range(100):
        params = family.sample(generator(seed))
        sizes.add(len(params["vars"]))
        assert sum(v * v for v in params["direction"]) != 1
    assert sizes == {2, 3}
    assert {len(family.sample(generator(s), dims=3)["point"]) for s in range(10)} == {3}
    with pytest.raises(OptionsError, match="dims"):
        family.sample(generator(0), dims=4)


@pytest.mark.parametrize("change, fragment", [
    ({"direction": [0, 0]}, "must not be the zero vector"),
    ({"direction": [1, 2, 3]}, "'direction' must have 2 entries"),
    ({"components": ["x"]}, "'components' must be a list of 2 expressions"),
    ({"components": ["x", "log(x - 1)"]}, "component of F .* not defined at point"),
    ({"f": "sqrt(x - 2)"}, "f or one of its partial derivatives is not defined"),
    ({"f": "x*w"}, "param 'f'"),
])
def test_bad_params_are_named(change, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({**HAND, **change})


PROBLEM = problem_of("jacobian_directional", '{ components = ["x^2*y", "5x + sin(y)"], f = "x^2 + 3*x*y", '
                                             'vars = ["x", "y"], point = [1, 0], direction = [3, 4] }')


def test_grading_names_the_transposed_the_unnormalised_and_the_gradient_norm_answers():
    marks = {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, {
        "jacobian": [[0, 1], [5, 1]], "gradient": [2, 3], "directional": 3.6})}
    assert [m.status for m in marks.values()] == ["correct"] * 3
    marks = {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, {
        "jacobian": [[0, 5], [1, 1]], "gradient": [2, 3], "directional": 18})}
    assert marks["jacobian"].mistake == "jacobian_directional.transposed_jacobian"
    assert marks["directional"].mistake == "jacobian_directional.not_normalised"
    marks = {m.answer: m for m in mark_problem(PROBLEM, PROBLEM.params, {
        "jacobian": [[0, 1], [5, 1]], "gradient": [2, 3], "directional": 13**0.5})}
    assert marks["directional"].score == 0
    assert marks["directional"].mistake == "jacobian_directional.gradient_norm_instead_of_directional"


def test_statement_says_to_normalise_and_lays_out_the_jacobian():
    text = family.statement(family.validate(HAND))
    for fragment in ("`jacobian`", "`gradient`", "`directional`", "not necessarily a unit vector",
                     r"\mathbf{d} = (3, 4)", "row $i$ for the component $F_i$", "(x, y) = (1, 0)"):
        assert fragment in text
    assert "3.6" not in text
