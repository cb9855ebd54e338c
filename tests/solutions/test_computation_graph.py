"""The computation-graph solver against sympy, finite differences of a loop-written forward pass
and the course's worked example."""

from __future__ import annotations

import math

import pytest
import sympy

from calcgrade.problems import get_family
from calcgrade.problems.variant import generator
from calcgrade.solutions.computation_graph import computation_graph

from ..sweep import sweep

EXAMPLE = [["mul", "x", "y"], ["sin", "x"], ["add", "v1", "v2"], ["exp", "y"], ["mul", "v3", "v4"]]


def loop_forward(variables, point, nodes):
    """Node values written out with a plain loop over math functions."""
    names = dict(zip(variables, point))
    values = []
    for op, *args in nodes:
        a = [names[arg] for arg in args]
        if op == "add":
            v = a[0] + a[1]
        elif op == "mul":
            v = a[0] * a[1]
        else:
            v = {"sin": math.sin, "exp": math.exp, "log": math.log}[op](a[0])
        names[f"v{len(values) + 1}"] = v
        values.append(v)
    return values


def sympy_f(variables, nodes):
    names = {v: sympy.Symbol(v) for v in variables}
    ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b,
           "sin": sympy.sin, "exp": sympy.exp, "log": sympy.log}
    for k, (op, *args) in enumerate(nodes):
        names[f"v{k + 1}"] = ops[op](*(names[a] for a in args))
    return names[f"v{len(nodes)}"], [names[v] for v in variables]


def test_worked_example_closed_form():
    x, y = 1.0, 2.0
    out = computation_graph(["x", "y"], [x, y], EXAMPLE)
    f = (x * y + math.sin(x)) * math.exp(y)
    assert out["values"] == pytest.approx([x * y, math.sin(x), x * y + math.sin(x), math.exp(y), f])
    assert out["partials"] == pytest.approx([(y + math.cos(x)) * math.exp(y),
                                             x * math.exp(y) + (x * y + math.sin(x)) * math.exp(y)])


def test_a_node_used_twice_sums_both_paths():
    nodes = [["mul", "x", "y"], ["sin", "v1"], ["mul", "v1", "v2"]]  # f = xy·sin(xy)
    out = computation_graph(["x", "y"], [0.5, 1.5], nodes)
    u = 0.75
    assert out["partials"] == pytest.approx([1.5 * (math.sin(u) + u * math.cos(u)),
                                             0.5 * (math.sin(u) + u * math.cos(u))])


@pytest.mark.parametrize("count", sweep(200))
def test_against_finite_differences_over_seeds(count):
    family = get_family("computation_graph")
    h = 1e-6
    for seed in range(count):
        p = family.sample(generator(seed))
        out = computation_graph(p["vars"], p["point"], p["nodes"])
        assert out["values"] == pytest.approx(loop_forward(p["vars"], p["point"], p["nodes"]), rel=1e-12, abs=1e-14)
        for i in range(len(p["vars"])):
            up, down = list(p["point"]), list(p["point"])
            up[i] += h
            down[i] -= h
            numeric = (loop_forward(p["vars"], up, p["nodes"])[-1]
                       - loop_forward(p["vars"], down, p["nodes"])[-1]) / (2 * h)
            assert out["partials"][i] == pytest.approx(numeric, rel=1e-5, abs=1e-7), (seed, p)


@pytest.mark.parametrize("count", sweep(200))
def test_against_sympy_derivatives_over_seeds(count):
    family = get_family("computation_graph")
    for seed in range(count):
        p = family.sample(generator(seed))
        f, symbols = sympy_f(p["vars"], p["nodes"])
        at = dict(zip(symbols, p["point"]))
        expected = [float(sympy.diff(f, s).subs(at).evalf()) for s in symbols]
        out = computation_graph(p["vars"], p["point"], p["nodes"])
        assert out["partials"] == pytest.approx(expected, rel=1e-9, abs=1e-12), (seed, p)
        assert out["values"][-1] == pytest.approx(float(f.subs(at).evalf()), rel=1e-9, abs=1e-12)
