"""The derivative family: options, validation, answers asked for, statement and mistakes."""

from __future__ import annotations

import json
import math

import pytest

from calcgrade.grader import cli
from calcgrade.core.answers import answer_matches
from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.derivative import _CATALOG, RULES, _buggy_derivative
from calcgrade.problems.variant import generator
from calcgrade.solutions import calculus
from calcgrade.core.parse import parse_expression

family = get_family("derivative")

# sampler rule -> the tags calculus.Rules records when a derivation needs it
TAGS = {"exp": {"exp", "exponential"}, "inverse": {"inverse"}}


def rules_needed(params) -> set[str]:
    rules = calculus.Rules()
    calculus.diff(parse_expression(params["f"], [params["var"]]), params["var"],
                  params.get("order", 1), rules)
    return rules.used


@pytest.mark.parametrize("rule", RULES)
def test_a_variant_sampled_for_one_rule_needs_that_rule(rule):
    for seed in range(40):
        params = family.sample(generator(seed), rules=[rule])
        used = rules_needed(params)
        if rule == "inverse" and "sqrt" in params["f"]:
            continue  # a square root is the inverse of a square
        assert used & TAGS.get(rule, {rule}), (rule, params["f"], used)


def test_quotient_variants_need_the_quotient_rule_at_both_orders():
    for seed in range(60):
        for order in (1, 2):
            params = family.sample(generator(seed), rules=["quotient"], order=order)
            assert "quotient" in rules_needed(params), params


def test_default_sampling_covers_every_rule():
    seen = set()
    for seed in range(200):
        seen |= rules_needed(family.sample(generator(seed)))
    assert {"power", "constant_multiple", "sum", "product", "quotient", "chain", "exp", "log",
            "trig", "inverse"} <= seen


def test_rules_option_accepts_names_separated_by_commas():
    assert family.sample(generator(3), rules="product, chain") == \
        family.sample(generator(3), rules=["chain", "product"])


@pytest.mark.parametrize("options, fragment", [
    ({"rules": ["division"]}, "unknown rule 'division'"),
    ({"rules": []}, "no rule"),
    ({"order": 3}, "must lie in"),
    ({"at": "yes"}, "option at must be true or false"),
    ({"colour": 1}, "unknown option 'colour'"),
])
def test_bad_options_are_named(options, fragment):
    with pytest.raises(OptionsError, match=fragment):
        family.sample(generator(0), **options)


def test_options_pick_the_answers():
    first = family.sample(generator(4))
    second = family.sample(generator(4), order=2)
    bare = family.sample(generator(4), at=False)
    other = family.sample(generator(4), var="t")
    assert set(family.solve(first)) == {"derivative", "value"} and first["order"] == 1
    assert set(family.solve(second)) == {"derivative", "value", "concavity"}
    assert "at" not in bare and set(family.solve(bare)) == {"derivative"}
    assert other["var"] == "t" and parse_expression(other["f"], ["t"]).free_symbols() == {"t"}


def test_order_two_points_decide_the_concavity():
    for seed in range(100):
        params = family.sample(generator(seed), order=2)
        assert abs(family.solve(params)["value"]) >= 0.05


def test_sampled_points_are_nice_and_in_the_domain():
    for seed in range(200):
        params = family.sample(generator(seed))
        at = params["at"]
        assert at != 0 and float(at * 2).is_integer() and -3 <= at <= 3
        assert math.isfinite(family.solve(params)["value"])


@pytest.mark.parametrize("params, fragment", [
    ({"f": "__import__('os')", "var": "x"}, "param 'f': unexpected character '_'"),
    ({"f": "x.real", "var": "x"}, "param 'f': unexpected character '.'"),
    ({"f": "y**2 + x", "var": "x"}, "param 'f': unknown name 'y'"),
    ({"f": "q**2", "var": "q"}, "param 'var' must be one of"),
    ({"f": 3, "var": "x"}, "param 'f' must be an expression as text"),
    ({"f": "log(x)", "var": "x", "at": -1},
     r"f is not defined at at=-1 \(log of a negative number\?\)"),
    ({"f": "1/(x - 2)", "var": "x", "at": 2}, r"f is not defined at at=2 \(division by zero\?\)"),
    ({"f": "sqrt(x)", "var": "x", "at": 0},
     r"the derivative of f is not defined at at=0 \(division by zero\?\)"),
    ({"f": "x^3", "var": "x", "at": 1, "order": 3}, "param 'order' must be between 1 and 2"),
    ({"f": "x^3", "var": "x", "at": "1"}, "param 'at' must be a number"),
    ({"f": "x^3", "var": "x", "point": 1}, "unknown param 'point'"),
    ({"var": "x"}, "param 'f' is missing"),
])
def test_bad_params_get_one_line_errors(params, fragment):
    with pytest.raises(ParamsError, match=fragment) as error:
        family.validate(params)
    assert "\n" not in str(error.value)


def test_answer_names_follow_the_params():
    assert family.answer_names(family.validate({"f": "x^2", "var": "x"})) == ["derivative"]
    assert family.answer_names(family.validate({"f": "x^2", "var": "x", "at": 1})) == \
        ["derivative", "value"]
    assert family.answer_names(family.validate({"f": "x^2", "var": "x", "at": 1, "order": 2})) == \
        ["derivative", "value", "concavity"]
    assert family.validate({"f": "x^2"})["var"] == "x"


def test_the_expression_answer_is_compared_in_the_family_variable():
    params = family.validate({"f": "t^2 e^t", "var": "t", "at": 1})
    spec = family.answer_specs(params)["derivative"]
    assert spec.variables == ("t",)
    assert answer_matches(spec, "t*e^t*(t + 2)", family.solve(params)["derivative"])
    assert not answer_matches(spec, "2*t*e^t", family.solve(params)["derivative"])


@pytest.mark.parametrize("written, label", [
    ("concave up", "concave up"), ("Concave-Up", "concave up"), ("convex", "concave up"),
    ("up", "concave up"), ("concave", "concave down"), ("DOWN", "concave down"),
    ("concave downward", "concave down"), ("inconclusive", "neither"), ("flat", "neither"),
])
def test_concavity_synonyms(written, label):
    assert answer_matches(family.answers["concavity"], written, label)


def test_concavity_rejects_other_words():
    assert not answer_matches(family.answers["concavity"], "concave up", "concave down")
    assert not answer_matches(family.answers["concavity"], "maximum", "concave up")


# each mistake on a hand-made example: (params, mistake id, buggy derivative, buggy value)
EXAMPLES = [
    ({"f": "sin(3x)", "at": 0}, "missing_chain_factor", "cos(3*x)", 1.0),
    ({"f": "x^2 e^x", "at": 1}, "product_of_derivatives", "2*x*exp(x)", 2 * math.e),
    ({"f": "x/(x + 1)", "at": 1}, "quotient_numerator_swapped", "-1/(x + 1)^2", -0.25),
    ({"f": "1/x^2", "at": 2}, "power_rule_negative_exponent", "-2/x", -1.0),
    ({"f": "x^3", "at": 2}, "power_rule_exponent_kept", "3*x^3", 24.0),
    ({"f": "cos(x)", "at": 1}, "cos_derivative_sign", "sin(x)", math.sin(1)),
]


@pytest.mark.parametrize("given, mistake, derivative, value", EXAMPLES)
def test_each_mistake_is_diagnosed_on_a_hand_made_example(given, mistake, derivative, value):
    params = family.validate({"var": "x", **given})
    buggy = family.diagnose(params)[f"derivative.{mistake}"]
    spec = family.answer_specs(params)["derivative"]
    assert answer_matches(spec, derivative, buggy["derivative"])
    assert buggy["value"] == pytest.approx(value)
    reference = family.solve(params)
    assert not answer_matches(spec, buggy["derivative"], reference["derivative"])


def test_no_mistake_arises_where_no_broken_rule_is_used():
    params = family.validate({"var": "x", "f": "4*x + 1", "at": 1})
    assert family.diagnose(params) == {}


def test_a_mistake_changes_the_concavity_at_order_two():
    params = family.validate({"f": "cos(x)", "var": "x", "at": 0, "order": 2})
    assert family.solve(params)["concavity"] == "concave down"
    buggy = family.diagnose(params)["derivative.cos_derivative_sign"]
    assert buggy["concavity"] == "concave up" and buggy["value"] == pytest.approx(1.0)


def test_quotient_mistake_made_twice_gives_the_right_second_derivative():
    params = family.validate({"f": "x/(x + 1)", "var": "x", "at": 1, "order": 2})
    assert "derivative.quotient_numerator_swapped" not in family.diagnose(params)


def test_memo_shortcut_in_buggy_rules_changes_nothing():
    """Buggy rules skip subtrees whose right derivation never uses the broken rule; the
    same rules without that shortcut must give the same trees."""
    for seed in range(120):
        params = family.sample(generator(seed), order=1 + seed % 2)
        f = parse_expression(params["f"], [params["var"]])
        for _, rules_class, _ in _CATALOG:
            plain = type("Plain", (rules_class,), {"d": calculus.Rules.d})()
            tree = calculus.diff(f, params["var"], params["order"], plain)
            fast = _buggy_derivative(rules_class, params)
            if fast is None:
                continue
            assert fast == tree, (rules_class.__name__, params)


def test_statement_states_the_conventions_and_names_the_answers():
    params = family.validate({"f": "x^2*exp(x)", "var": "x", "at": 1, "order": 2})
    text = family.statement(params)
    assert "natural logarithm" in text and "$" in text
    for name in ("`derivative`", "`value`", "`concavity`", '"concave up"', '"neither"'):
        assert name in text
    answers = family.solve(params)
    assert answers["derivative"] not in text and repr(answers["value"])[:6] not in text
    first = family.statement(family.validate({"f": "x^2", "var": "x"}))
    assert "`value`" not in first and "`concavity`" not in first


def test_statement_example_is_never_the_answer():
    params = family.validate({"f": "x^3 + exp(x)", "var": "x"})
    assert family.solve(params)["derivative"] == "3*x**2 + exp(x)"
    assert "3*x**2 + exp(x)" not in family.statement(params)


def test_cli_solve_and_sample(capsys):
    assert cli.main(["solve", "derivative", "--params",
                     '{"f": "x^2*exp(x)", "var": "x", "at": 1}']) == 0
    solved = json.loads(capsys.readouterr().out)
    assert solved["answers"]["value"] == pytest.approx(3 * math.e)
    assert cli.main(["sample", "derivative", "--seed", "1"]) == 0
    sampled = json.loads(capsys.readouterr().out)
    assert set(sampled["answers"]) == {"derivative", "value"}
    assert cli.main(["solve", "derivative", "--params", '{"f": "ln(x)", "var": "x", "at": -1}']) == 2
    assert "log of a negative number" in capsys.readouterr().err
