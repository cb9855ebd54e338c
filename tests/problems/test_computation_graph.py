"""The computation_graph family: options, sampled shapes, validation and its mistakes on the
course's worked example f = (x·y + sin x)·exp(y)."""

from __future__ import annotations

import math

import pytest

from calcgrade.core.errors import OptionsError, ParamsError
from calcgrade.problems import get_family
from calcgrade.problems.variant import generator

family = get_family("computation_graph")

EXAMPLE = [["mul", "x", "y"], ["sin", "x"], ["add", "v1", "v2"], ["exp", "y"], ["mul", "v3", "v4"]]
HAND = {"vars": ["x", "y"], "point": [1, 2], "nodes": EXAMPLE}
X, Y = 1.0, 2.0
E = math.exp(Y)


def diagnosed(mistake):
    return family.diagnose(family.validate(HAND)).get(f"computation_graph.{mistake}")


def test_option_inputs_and_sampled_shapes():
    for n in (2, 3):
        for seed in range(30):
            p = family.sample(generator(seed), inputs=n)
            assert len(p["vars"]) == n == len(p["point"])
            assert 4 <= len(p["nodes"]) <= 6
            uses = [a for _, *args in p["nodes"] for a in args if a in p["vars"]]
            assert set(uses) == set(p["vars"]) and len(uses) > n  # every input, one twice
            assert any(op in ("sin", "exp", "log") for op, *_ in p["nodes"])
    with pytest.raises(OptionsError, match="inputs"):
        family.sample(generator(0), inputs=4)


def test_hand_example_reference():
    answers = family.solve(family.validate(HAND))
    assert answers["partials"] == pytest.approx([(Y + math.cos(X)) * E, X * E + (X * Y + math.sin(X)) * E])


@pytest.mark.parametrize("change, fragment", [
    ({"nodes": [["pow", "x", "y"]]}, "starting with one of add, mul, sin, exp, log"),
    ({"nodes": [["sin", "x", "y"]]}, r"v1 \(sin\) takes 1 argument, not 2"),
    ({"nodes": [["mul", "x"]]}, r"v1 \(mul\) takes 2 arguments, not 1"),
    ({"nodes": [["mul", "x", "v2"], ["sin", "v1"]]}, "v1 uses 'v2', which is neither an input nor an earlier"),
    ({"nodes": [["mul", "x", "q"]]}, "uses 'q'"),
    ({"nodes": [["mul", "x", [1]]]}, r"uses \[1\]"),
    ({"nodes": [["mul", "x", "y"], ["sin", "x"]]}, "node v1 is never used"),
    ({"nodes": [["log", "x"]], "point": [-1, 2]}, "v1 takes the log of -1"),
    ({"nodes": [["exp", "x"], ["exp", "v1"]], "point": [10, 1]}, "v2 is too large"),
    ({"nodes": []}, "list of 1 to 12 nodes"),
    ({"point": [1]}, "'point' must have 2 entries"),
    ({"vars": ["x", "x"]}, "names a variable twice"),
])
def test_bad_params_are_named(change, fragment):
    with pytest.raises(ParamsError, match=fragment):
        family.validate({**HAND, **change})


def test_one_path():
    # both inputs are used twice; the first use of each is v1 = x·y
    assert diagnosed("one_path")["partials"] == pytest.approx([Y * E, X * E])
    single = family.validate({"vars": ["x", "y"], "point": [1, 2], "nodes": [["mul", "x", "y"], ["sin", "v1"]]})
    assert "computation_graph.one_path" not in family.diagnose(single)


def test_skipped_local_derivative():
    assert diagnosed("skipped_local_derivative")["partials"] == pytest.approx(
        [(Y + 1) * E, X * E + (X * Y + math.sin(X))])


def test_value_for_derivative():
    assert diagnosed("value_for_derivative")["partials"] == pytest.approx(
        [(Y + math.sin(X)) * E, X * E + (X * Y + math.sin(X)) * E])
    only_exp = family.validate({"vars": ["x", "y"], "point": [1, 2], "nodes": [["mul", "x", "y"], ["exp", "v1"]]})
    assert "computation_graph.value_for_derivative" not in family.diagnose(only_exp)


def test_statement_lists_the_nodes_and_names_the_answers():
    text = family.statement(family.validate(HAND))
    for fragment in ("$v_{1} = x \\cdot y$", "$v_{2} = \\sin\\left(x\\right)$", "$v_{4} = e^{y}$",
                     "f = v_{5}", "`values`", "`partials`", r"\ln"):
        assert fragment in text
    assert str(round(E, 3)) not in text
