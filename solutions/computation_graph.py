"""Forward values and reverse-mode partial derivatives of a small computation graph.

A graph is a list of nodes v1, v2, ... in topological order; each node is
``[op, arg]`` or ``[op, arg, arg]`` with op one of add, mul, sin, exp, log and each
argument an input name or an earlier node ``"v<j>"``. The last node is f. Backward,
each node passes its adjoint ∂f/∂v times the local derivative to each argument, and an
input's partial is the sum over all its uses (all paths to f).

>>> nodes = [["mul", "x", "y"], ["sin", "x"], ["add", "v1", "v2"], ["exp", "y"], ["mul", "v3", "v4"]]
>>> out = computation_graph(["x", "y"], [0.0, 1.0], nodes)
>>> [round(v, 6) for v in out["values"]], [round(p, 6) for p in out["partials"]]
([0.0, 0.0, 0.0, 2.718282, 0.0], [5.436564, 0.0])
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

UNARY = {"sin": math.sin, "exp": math.exp, "log": math.log}
BINARY = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b}
OPS = tuple(BINARY) + tuple(UNARY)


def node_name(index: int) -> str:
    """The name of the node at 0-based ``index``: v1, v2, ..."""
    return f"v{index + 1}"


def apply(op: str, values: Sequence[float]) -> float:
    """The value of one node from its arguments' values (math domain errors propagate)."""
    return BINARY[op](*values) if op in BINARY else UNARY[op](values[0])


def forward(variables: Sequence[str], point: Sequence[float], nodes: Sequence[Sequence[str]]) -> dict:
    """Every value by name: the inputs and then each node in order (math domain errors propagate)."""
    env = dict(zip(variables, (float(p) for p in point)))
    for k, (op, *args) in enumerate(nodes):
        env[node_name(k)] = apply(op, [env[a] for a in args])
    return env


def local_derivatives(op: str, args: list[float], value: float) -> list[float]:
    """∂(node)/∂(each argument): add 1, 1; mul the other factor; sin cos; exp e^u; log 1/u."""
    if op == "add":
        return [1.0, 1.0]
    if op == "mul":
        return [args[1], args[0]]
    if op == "sin":
        return [math.cos(args[0])]
    if op == "exp":
        return [value]
    return [1.0 / args[0]]


Local = Callable[[str, list, float], list]


def backward(variables: Sequence[str], nodes: Sequence[Sequence[str]], env: dict,
             local: Local = local_derivatives,
             keep: Callable[[int, int, str], bool] | None = None) -> list[float]:
    """∂f/∂(each input) by reverse accumulation; ``keep(node, position, arg)`` can drop edges."""
    adjoint = dict.fromkeys(env, 0.0)
    adjoint[node_name(len(nodes) - 1)] = 1.0
    for k in range(len(nodes) - 1, -1, -1):
        op, *args = nodes[k]
        values = [env[a] for a in args]
        bar = adjoint[node_name(k)]
        for position, (arg, d) in enumerate(zip(args, local(op, values, env[node_name(k)]))):
            if keep is None or keep(k, position, arg):
                adjoint[arg] += bar * d
    return [adjoint[v] for v in variables]


def computation_graph(variables: Sequence[str], point: Sequence[float],
                      nodes: Sequence[Sequence[str]]) -> dict:
    """``values`` (each node, in order) and ``partials`` (∂f/∂ each input, in order)."""
    env = forward(variables, point, nodes)
    return {"values": [env[node_name(k)] for k in range(len(nodes))],
            "partials": backward(variables, nodes, env)}
