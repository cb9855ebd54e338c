"""``computation_graph``: forward values and reverse-mode partials of a small expression graph.

Params: the inputs ``vars`` with their values ``point``, and ``nodes`` v1, v2, ... in
topological order, each ``[op, arg]`` or ``[op, arg, arg]`` (op: add, mul, sin, exp,
log; an argument is an input or an earlier node); the last node is f. The sampler draws
a random expression tree over 2 or 3 inputs in which some input occurs twice, so its
partial derivative sums over several paths.

>>> family = ComputationGraphFamily()
>>> params = family.validate({"vars": ["x", "y"], "point": [0, 1], "nodes": [
...     ["mul", "x", "y"], ["sin", "x"], ["add", "v1", "v2"], ["exp", "y"], ["mul", "v3", "v4"]]})
>>> [round(p, 4) for p in family.solve(params)["partials"]]
[5.4366, 0.0]
"""

from __future__ import annotations

import math

import numpy as np

from calcgrade.core.errors import ParamsError
from calcgrade.problems.checks import Nodes, Variables, Vector
from calcgrade.problems.family import AnswerSpec, Family, Mistake, OptionSpec, ParamSpec, Reject
from calcgrade.problems.sampling import nice, pick
from calcgrade.solutions import computation_graph as cg

VARIABLES = {2: ["x", "y"], 3: ["x", "y", "z"]}
MAX_NODES = 12
MIN_LOG_ARGUMENT = 0.25  # sampled logs stay away from 0
MAX_VALUE, MAX_PARTIAL = 50.0, 200.0


def _solved(params) -> dict:
    return cg.computation_graph(params["vars"], params["point"], params["nodes"])


def _partials_with(params, local=cg.local_derivatives, keep=None) -> list[float]:
    env = cg.forward(params["vars"], params["point"], params["nodes"])
    return cg.backward(params["vars"], params["nodes"], env, local, keep)


def _first_uses(params) -> set[tuple[int, int]] | None:
    """The first edge (node, position) of each input, or None when no input is used twice."""
    first, repeated = {}, False
    for k, (_, *args) in enumerate(params["nodes"]):
        for position, arg in enumerate(args):
            if arg in params["vars"]:
                repeated |= arg in first
                first.setdefault(arg, (k, position))
    return set(first.values()) if repeated else None


def _one_path(params):
    first = _first_uses(params)
    if first is None:
        return None
    keep = lambda k, position, arg: arg not in params["vars"] or (k, position) in first  # noqa: E731
    return {"partials": _partials_with(params, keep=keep)}


def _skipped_local(params):
    if not any(op in cg.UNARY for op, *_ in params["nodes"]):
        return None

    def local(op, args, value):
        return [1.0] if op in cg.UNARY else cg.local_derivatives(op, args, value)
    return {"partials": _partials_with(params, local)}


def _value_for_derivative(params):
    if not any(op in ("sin", "log") for op, *_ in params["nodes"]):
        return None

    def local(op, args, value):
        return [value] if op in cg.UNARY else cg.local_derivatives(op, args, value)
    return {"partials": _partials_with(params, local)}


# the sampler: a random expression tree, written out in post-order ------------------------


def _shape(rng, binary: int, unary: int):
    """A random tree with exactly ``binary`` add/mul and ``unary`` sin/exp/log nodes:
    None for a leaf, else (op, child, ...)."""
    if binary + unary == 0:
        return None
    if rng.random() * (binary + unary) < unary:
        return (pick(rng, tuple(cg.UNARY)), _shape(rng, binary, unary - 1))
    left_binary, left_unary = int(rng.integers(binary)), int(rng.integers(unary + 1))
    return (pick(rng, tuple(cg.BINARY)), _shape(rng, left_binary, left_unary),
            _shape(rng, binary - 1 - left_binary, unary - left_unary))


def _write(tree, leaves: list[str], nodes: list) -> str:
    """Append the tree's operations to ``nodes`` children first; return the name of its root."""
    if tree is None:
        return leaves.pop()
    op, *children = tree
    args = [_write(child, leaves, nodes) for child in children]
    if op in ("exp", "log") and args[0].startswith("v") and \
            nodes[int(args[0][1:]) - 1][0] == ({"exp": "log", "log": "exp"}[op]):
        raise Reject("exp and log cancel")
    nodes.append([op, *args])
    return cg.node_name(len(nodes) - 1)


# LaTeX ---------------------------------------------------------------------------------------


def _node_latex(op: str, args: list[str]) -> tuple[str, int]:
    """(LaTeX, precedence) of one operation on already printed arguments [(text, precedence)]."""
    if op == "add":
        return f"{args[0][0]} + {args[1][0]}", 1
    if op == "mul":
        a, b = (f"\\left({t}\\right)" if p < 2 else t for t, p in args)
        return f"{a} \\cdot {b}", 2
    if op == "exp":
        return f"e^{{{args[0][0]}}}", 3
    return f"\\{'ln' if op == 'log' else 'sin'}\\left({args[0][0]}\\right)", 3


def _latex_arg(arg: str) -> str:
    return f"v_{{{arg[1:]}}}" if arg.startswith("v") else arg


class ComputationGraphFamily(Family):
    name = "computation_graph"
    topic = "computation graphs and backpropagation"
    skills = ("forward pass", "chain rule", "sum over paths", "reverse-mode differentiation")
    summary = "values of every node of a computation graph and ∂f/∂ each input by backpropagation"
    params = (
        ParamSpec("vars", Variables((1, 2, 3), shown="list of 1 to 3 variable names"), "the inputs, in order"),
        ParamSpec("point", Vector(length="vars"), "the value of each input"),
        ParamSpec("nodes", Nodes(cg.OPS, tuple(cg.BINARY), MAX_NODES,
                                 shown="list of [op, arg] or [op, arg, arg]"),
                  "nodes v1, v2, ... in order; op is add, mul, sin, exp or log; an argument is an "
                  "input or an earlier node 'v<j>'; the last node is f"),
    )
    options = (
        OptionSpec("inputs", "any", "the number of inputs (2, 3 or 'any')", choices=(2, 3, "any")),
    )
    answers = {
        "values": AnswerSpec("vector", "the value of each node v1, v2, ..., in order (the last is f)"),
        "partials": AnswerSpec("vector", "∂f/∂ each input, in the order of the inputs"),
    }

    catalog = (
        Mistake("one_path",
                "an input that is used more than once reaches f along several paths: its partial "
                "derivative is the sum of the contributions of all paths, not just one",
                _one_path),
        Mistake("skipped_local_derivative",
                "going back through a sin, exp or log node you did not multiply by its local "
                "derivative (cos u, e^u or 1/u at the node's input u)",
                _skipped_local),
        Mistake("value_for_derivative",
                "you multiplied by the node's value (sin u or ln u) instead of its derivative "
                "(cos u or 1/u)",
                _value_for_derivative),
    )

    def check(self, params):
        variables, point = params["vars"], params["point"]
        nodes = params["nodes"]
        env = dict(zip(variables, (float(p) for p in point)))
        for k, (op, *args) in enumerate(nodes):
            if op == "log" and env[args[0]] <= 0:
                raise ParamsError(f"{self.name}: node {cg.node_name(k)} takes the log of "
                                  f"{env[args[0]]:g}; log needs a positive argument")
            try:
                value = cg.apply(op, [env[a] for a in args])
            except OverflowError:
                value = math.inf
            if not math.isfinite(value):
                raise ParamsError(f"{self.name}: node {cg.node_name(k)} is too large to compute; "
                                  "use smaller input values")
            env[cg.node_name(k)] = value
        if not all(math.isfinite(p) for p in cg.backward(variables, nodes, env)):
            raise ParamsError(f"{self.name}: a partial derivative is too large to compute; "
                              "use other input values")
        return {"vars": variables, "point": point, "nodes": nodes}

    def draw(self, rng: np.random.Generator, *, inputs):
        n = pick(rng, (2, 3)) if inputs == "any" else inputs
        variables = VARIABLES[n]
        size = pick(rng, (4, 5, 6))
        binary = int(rng.integers(n, size))  # n + 1 or more leaves: every input, one twice
        tree = _shape(rng, binary, size - binary)
        count = binary + 1
        leaves = list(variables) + [pick(rng, variables) for _ in range(count - n)]
        leaves = [leaves[i] for i in rng.permutation(count)]
        nodes: list = []
        _write(tree, leaves, nodes)
        point = [nice(rng, -2, 2, step=0.5, nonzero=True) for _ in variables]
        env = dict(zip(variables, (float(p) for p in point)))
        for k, (op, *args) in enumerate(nodes):
            if op == "log" and env[args[0]] < MIN_LOG_ARGUMENT:
                raise Reject("log of a small or negative number")
            value = cg.apply(op, [env[a] for a in args])
            if abs(value) > MAX_VALUE:
                raise Reject("a node value is too large")
            env[cg.node_name(k)] = value
        if max(abs(p) for p in cg.backward(variables, nodes, env)) > MAX_PARTIAL:
            raise Reject("a partial derivative is too large")
        return {"vars": list(variables), "point": point, "nodes": nodes}

    def solve(self, params):
        return _solved(params)

    def context(self, params):
        variables, nodes = params["vars"], params["nodes"]
        steps, composed = [], {v: (v, 3) for v in variables}
        for k, (op, *args) in enumerate(nodes):
            steps.append(_node_latex(op, [(_latex_arg(a), 3) for a in args])[0])
            composed[cg.node_name(k)] = _node_latex(op, [composed[a] for a in args])
        formula = composed[cg.node_name(len(nodes) - 1)][0]
        return {
            "steps": steps,
            "formula": formula if len(formula) <= 600 else "",
            "inputs_text": ", ".join(f"{v} = {p}" for v, p in zip(variables, params["point"])),
            "args": ", ".join(variables),
            "k": len(nodes),
            "n": len(variables),
            "partials_text": ", ".join(rf"\dfrac{{\partial f}}{{\partial {v}}}" for v in variables),
        }
